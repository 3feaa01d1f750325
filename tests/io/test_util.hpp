// Scratch directories and file helpers for the I/O tests.
#pragma once

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/io/env.hpp"
#include "tests/support/temp_dir.hpp"

namespace laser::testing {

// A fresh directory under the system temp dir, removed with its contents.
class ScratchDir {
 public:
  ScratchDir() { path_ = NewTempDir("laser_io_"); }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Deterministic bytes: the byte at file offset i of file `seed` is a function of both.
inline uint8_t PatternByte(uint64_t seed, uint64_t i) {
  uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull ^ (seed * 0xC2B2AE3D27D4EB4Full);
  x ^= x >> 29;
  return static_cast<uint8_t>(x);
}

inline std::vector<uint8_t> Pattern(uint64_t seed, size_t n, uint64_t from = 0) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = PatternByte(seed, from + i);
  return v;
}

inline void WritePlainFile(const std::string& path, const std::vector<uint8_t>& data) {
  auto f = Env::Default()->NewWritableFile(path, WritableFileOptions{});
  REQUIRE(f.ok());
  REQUIRE((*f)->Append(data).ok());
  REQUIRE((*f)->Close().ok());
}

}  // namespace laser::testing
