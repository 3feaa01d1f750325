// The safetensors reader and the JSON parser on valid, corrupt and hostile
// bytes: every failure is an error naming the problem, never a crash.
#include "operators/model/safetensors.hpp"

#include <doctest/doctest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "operators/model/json.hpp"
#include "operators/model/model.hpp"

namespace laser::model {
namespace {

std::vector<uint8_t> MakeFile(const std::string& header, size_t data_bytes) {
  std::vector<uint8_t> f(8);
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) f[static_cast<size_t>(i)] = static_cast<uint8_t>(n >> (8 * i));
  f.insert(f.end(), header.begin(), header.end());
  f.resize(f.size() + data_bytes, 0);
  return f;
}

std::string ErrorOf(const std::string& header, size_t data_bytes) {
  auto r = SafetensorsFile::Parse(MakeFile(header, data_bytes), "t.safetensors");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsCorruption());
  return r.status().message();
}

std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

const std::string kGolden = std::string(LASER_SOURCE_DIR) + "/tests/model/golden/";

TEST_CASE("json: values, escapes and strictness") {
  auto v = ParseJson(R"( {"a": [1, 18446744073709551615, -2, 1.5e3], "b": "x\u00e9\ud83d\ude00\n",
                         "c": true, "d": null} )",
                     "t");
  REQUIRE(v.ok());
  const JsonValue* a = v->Find("a");
  REQUIRE(a != nullptr);
  REQUIRE(a->array.size() == 4);
  CHECK(a->array[1].is_uint);
  CHECK(a->array[1].uint == 18446744073709551615ull);
  CHECK_FALSE(a->array[2].is_uint);
  CHECK_FALSE(a->array[3].is_uint);
  CHECK(a->array[3].number == 1500.0);
  CHECK(v->Find("b")->string == "x\xc3\xa9\xf0\x9f\x98\x80\n");
  for (const char* bad :
       {"", "{", "{\"a\":1,}", "[1 2]", "01", "1.", "\"\\x\"", "\"a\nb\"", "{\"a\":1,\"a\":2}",
        "tru", "\"\\ud800\"", "{} x", "18446744073709551616e"}) {
    auto r = ParseJson(bad, "t");
    CHECK_MESSAGE(!r.ok(), bad);
    if (!r.ok()) CHECK(r.status().message().find("at byte") != std::string::npos);
  }
  CHECK_FALSE(ParseJson("18446744073709551616", "t")->is_uint);  // overflows uint64
  std::string deep(1000, '[');
  auto r = ParseJson(deep, "t");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("nested too deeply") != std::string::npos);
}

TEST_CASE("safetensors: a valid file with metadata and several dtypes") {
  auto f = SafetensorsFile::Parse(
      MakeFile(
          R"({"__metadata__":{"L":"7"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
          R"("b":{"dtype":"U64","shape":[1],"data_offsets":[16,24]},)"
          R"("e":{"dtype":"F32","shape":[0,3],"data_offsets":[24,24]}})",
          24),
      "t");
  REQUIRE_MESSAGE(f.ok(), f.status().ToString());
  CHECK(f->metadata().at("L") == "7");
  REQUIRE(f->Find("a") != nullptr);
  CHECK(f->Find("a")->num_elements == 4);
  CHECK(f->Data(*f->Find("b")).size() == 8);
  CHECK(f->Find("e")->num_elements == 0);
  CHECK(f->Find("zz") == nullptr);
}

TEST_CASE("safetensors: each structural error is named") {
  CHECK(SafetensorsFile::Parse({1, 2, 3}, "t").status().message().find("shorter than") !=
        std::string::npos);
  {
    std::vector<uint8_t> f = MakeFile("{}", 0);
    f[7] = 0x7f;  // absurd header length
    auto r = SafetensorsFile::Parse(f, "t");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("header length") != std::string::npos);
  }
  CHECK(ErrorOf("[1]", 0).find("not a JSON object") != std::string::npos);
  CHECK(ErrorOf(R"({"a":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}})", 4)
            .find("tensor 'a': unknown dtype") != std::string::npos);
  CHECK(ErrorOf(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", 4)
            .find("tensor 'a': data_offsets span 4 bytes but the shape and dtype need 8") !=
        std::string::npos);
  CHECK(ErrorOf(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}})", 4)
            .find("outside the 4 data bytes") != std::string::npos);
  CHECK(
      ErrorOf(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})", 4).find("tensor 'a'") !=
      std::string::npos);
  CHECK(ErrorOf(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                R"("b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}})",
                8)
            .find("overlaps") != std::string::npos);
  CHECK(ErrorOf(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8)
            .find("tensor 'a': hole in the data") != std::string::npos);
  CHECK(ErrorOf(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 8)
            .find("cover 4 of the 8 data bytes") != std::string::npos);
  CHECK(ErrorOf(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4)
            .find("non-negative") != std::string::npos);
  CHECK(ErrorOf(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})", 4)
            .find("more elements than the file has bytes") != std::string::npos);
  CHECK(ErrorOf(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}})", 4)
            .find("unknown field") != std::string::npos);
  CHECK(ErrorOf(R"({"a":{"dtype":"F32","shape":[1]}})", 4).find("data_offsets") !=
        std::string::npos);
  CHECK(ErrorOf(R"({"__metadata__":{"L":7}})", 0).find("not a string") != std::string::npos);
  auto missing = SafetensorsFile::ReadFile(kGolden + "no-such-file.safetensors");
  CHECK(missing.status().IsNotFound());
}

TEST_CASE("safetensors: a model file truncated anywhere is an error, never a crash") {
  const std::vector<uint8_t> bytes = ReadBytes(kGolden + "odd.safetensors");
  uint64_t header = 0;
  for (int i = 7; i >= 0; --i) header = (header << 8) | bytes[static_cast<size_t>(i)];
  std::vector<size_t> cuts;
  for (size_t n = 0; n < 8 + header + 64; ++n) cuts.push_back(n);
  for (size_t n = 8 + header + 64; n < bytes.size(); n += 509) cuts.push_back(n);
  cuts.push_back(bytes.size() - 1);
  for (size_t n : cuts) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(n));
    auto m = Model::FromBytes(std::move(cut), "odd.safetensors", ModelOptions{});
    CHECK_MESSAGE(!m.ok(), "accepted a file truncated to ", n, " bytes");
    if (!m.ok()) CHECK(m.status().message().find("odd.safetensors") != std::string::npos);
  }
}

TEST_CASE("safetensors: flipped header bytes are rejected or harmless") {
  const std::vector<uint8_t> bytes = ReadBytes(kGolden + "odd.safetensors");
  uint64_t header = 0;
  for (int i = 7; i >= 0; --i) header = (header << 8) | bytes[static_cast<size_t>(i)];
  size_t rejected = 0;
  for (size_t i = 0; i < 8 + header; ++i) {
    for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x20}, uint8_t{0xff}}) {
      std::vector<uint8_t> b = bytes;
      b[i] ^= mask;
      auto m = Model::FromBytes(std::move(b), "odd.safetensors", ModelOptions{});
      if (!m.ok()) {
        ++rejected;
        CHECK(!m.status().message().empty());
      } else {
        CHECK(m.value()->config().d > 0);
      }
    }
  }
  // Nearly every flip breaks the JSON, a name, a number or the layout.
  CHECK(rejected > (8 + header) * 3 * 9 / 10);
}

}  // namespace
}  // namespace laser::model
