// Safetensors reader (docs/model.md): an 8-byte little-endian header length
// N, N bytes of JSON naming every tensor's dtype, shape and [begin, end) byte
// range in the data that follows, plus an optional "__metadata__" object of
// string values. Parsing validates everything before any tensor is read and
// never reads out of bounds, whatever the bytes.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "laser/status.hpp"

namespace laser::model {

enum class DType : unsigned char {
  kF64,
  kF32,
  kF16,
  kBF16,
  kI64,
  kI32,
  kI16,
  kI8,
  kU64,
  kU32,
  kU16,
  kU8,
  kBool
};

// "F32", "BF16", ... as spelled in safetensors headers.
const char* DTypeName(DType t);
size_t DTypeSize(DType t);

struct TensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<uint64_t> shape;
  uint64_t begin = 0;  // byte range relative to the first data byte
  uint64_t end = 0;
  uint64_t num_elements = 0;
};

// Largest header accepted (the real files' headers are a few KiB).
inline constexpr uint64_t kMaxSafetensorsHeader = 64ull << 20;

class SafetensorsFile {
 public:
  // Validates `bytes` (the whole file). `source` names it in errors. Returns
  // Corruption naming the source, the tensor and the problem iff the header
  // length, the JSON, a dtype, a shape or an offset is invalid, or the data
  // ranges overlap, leave holes or do not end exactly at the end of the file.
  static Result<SafetensorsFile> Parse(std::vector<uint8_t> bytes, std::string source);
  // Reads the file at `path` and parses it. NotFound / IOError / Corruption.
  static Result<SafetensorsFile> ReadFile(const std::string& path);

  const std::string& source() const { return source_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // Returns the tensor named `name`, or nullptr.
  const TensorInfo* Find(std::string_view name) const;
  // The tensor's raw little-endian bytes. REQUIRES t is one of tensors().
  std::span<const uint8_t> Data(const TensorInfo& t) const {
    return std::span<const uint8_t>(bytes_).subspan(data_start_ + t.begin, t.end - t.begin);
  }

 private:
  std::string source_;
  std::vector<uint8_t> bytes_;
  uint64_t data_start_ = 0;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace laser::model
