// Scratch paths for tests: one place that spells mkdtemp/mkstemp's template.
#pragma once

#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace laser::testing {

// "<system temp dir>/<prefix>" plus the six trailing X that mkdtemp and
// mkstemp replace.
inline std::string TempTemplate(std::string_view prefix) {
  return (std::filesystem::temp_directory_path() / std::string(prefix)).string() +
         std::string(6, 'X');
}

// Creates a fresh directory and returns its path; fails the test if it cannot.
inline std::string NewTempDir(std::string_view prefix) {
  std::string tmpl = TempTemplate(prefix);
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  return tmpl;
}

// Creates a fresh empty file and returns its path; fails the test if it cannot.
inline std::string NewTempFile(std::string_view prefix) {
  std::string tmpl = TempTemplate(prefix);
  const int fd = ::mkstemp(tmpl.data());
  REQUIRE(fd >= 0);
  ::close(fd);
  return tmpl;
}

}  // namespace laser::testing
