// A small strict JSON parser (RFC 8259) for safetensors headers. It never
// reads outside the given text, bounds the nesting depth, rejects duplicate
// object keys, and reports errors with the byte offset of the problem.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "laser/status.hpp"

namespace laser::model {

struct JsonValue {
  enum class Kind : unsigned char { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  // Numbers: `number` always; `is_uint` iff the literal is a non-negative
  // integer without fraction or exponent that fits in uint64 (then `uint`).
  double number = 0;
  bool is_uint = false;
  uint64_t uint = 0;
  std::string string;
  std::vector<JsonValue> array;
  // Object members in text order: keys[i] names values[i]; keys are unique.
  // (Parallel vectors: a vector of pairs would need JsonValue complete here.)
  std::vector<std::string> keys;
  std::vector<JsonValue> values;

  // REQUIRES kind == kObject. Returns the member or nullptr.
  const JsonValue* Find(std::string_view key) const;
};

inline constexpr int kJsonMaxDepth = 32;

// Parses exactly one JSON value spanning `text` (surrounding whitespace
// allowed). Errors are Corruption("<what> at byte <offset> of <where>").
Result<JsonValue> ParseJson(std::string_view text, std::string_view where);

}  // namespace laser::model
