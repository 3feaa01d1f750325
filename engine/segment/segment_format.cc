#include "engine/segment/segment_format.hpp"

#include <xxhash.h>

#include <cstdio>
#include <cstring>

namespace laser::segment {
namespace {

// Resize + memcpy rather than push_back: GCC 12 reports a false
// -Wstringop-overflow for byte-wise push_back after insert.
void PutBytes(const uint8_t* p, size_t n, std::vector<uint8_t>* out) {
  const size_t at = out->size();
  out->resize(at + n);
  std::memcpy(out->data() + at, p, n);
}
void PutU32(uint32_t v, std::vector<uint8_t>* out) {
  uint8_t b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  PutBytes(b, 4, out);
}
void PutU64(uint64_t v, std::vector<uint8_t>* out) {
  uint8_t b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  PutBytes(b, 8, out);
}
uint32_t GetU32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
uint64_t GetU64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

Status FrameError(const std::string& file, uint64_t offset, const std::string& what) {
  return Status::Corruption("segment " + file + " offset " + std::to_string(offset) + ": frame " +
                            what);
}

}  // namespace

std::string SegmentFileName(const std::string& dir, uint64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%06llu.seg", static_cast<unsigned long long>(id));
  return dir + "/" + buf;
}

std::optional<uint64_t> ParseSegmentFileName(std::string_view name) {
  constexpr std::string_view kSuffix = ".seg";
  if (name.size() <= kSuffix.size() || name.substr(name.size() - kSuffix.size()) != kSuffix) {
    return std::nullopt;
  }
  std::string_view digits = name.substr(0, name.size() - kSuffix.size());
  if (digits.size() > 19) return std::nullopt;
  uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

void EncodeFileHeader(uint64_t id, std::vector<uint8_t>* out) {
  const size_t start = out->size();
  PutBytes(reinterpret_cast<const uint8_t*>(kMagic), 8, out);
  PutU32(kFormatVersion, out);
  PutU32(0, out);
  PutU64(id, out);
  PutU64(XXH64(out->data() + start, 24, 0), out);
}

Status CheckFileHeader(std::span<const uint8_t> bytes, uint64_t id, const std::string& file) {
  const std::string where = "segment " + file + " offset 0: ";
  if (bytes.size() < kFileHeaderSize) return Status::Corruption(where + "truncated file header");
  if (std::memcmp(bytes.data(), kMagic, 8) != 0) return Status::Corruption(where + "bad magic");
  if (GetU64(bytes.data() + 24) != XXH64(bytes.data(), 24, 0)) {
    return Status::Corruption(where + "file header checksum mismatch");
  }
  if (GetU32(bytes.data() + 8) != kFormatVersion) {
    return Status::Corruption(where + "unsupported format version " +
                              std::to_string(GetU32(bytes.data() + 8)));
  }
  if (GetU64(bytes.data() + 16) != id) {
    return Status::Corruption(where + "header names segment " +
                              std::to_string(GetU64(bytes.data() + 16)) + ", expected " +
                              std::to_string(id));
  }
  return Status::OK();
}

void EncodeFrameHeader(const FrameHeader& h, std::vector<uint8_t>* out) {
  const size_t start = out->size();
  PutU32(kFrameMagic, out);
  PutU32(h.payload_length, out);
  PutU32(h.table_id, out);
  PutU32(h.count, out);
  PutU64(h.user, out);
  PutU64(h.write_id, out);
  PutU64(static_cast<uint64_t>(h.first_key), out);
  PutU64(static_cast<uint64_t>(h.last_key), out);
  PutU64(h.replaces_lo, out);
  PutU64(h.replaces_hi, out);
  PutU64(XXH64(out->data() + start, 64, 0), out);
}

Result<FrameHeader> DecodeFrameHeader(std::span<const uint8_t> b, const std::string& file,
                                      uint64_t offset) {
  const uint8_t* p = b.data();
  if (GetU32(p) != kFrameMagic) return FrameError(file, offset, "bad magic");
  if (GetU64(p + 64) != XXH64(p, 64, 0)) return FrameError(file, offset, "checksum mismatch");
  FrameHeader h;
  h.payload_length = GetU32(p + 4);
  h.table_id = GetU32(p + 8);
  h.count = GetU32(p + 12);
  h.user = GetU64(p + 16);
  h.write_id = GetU64(p + 24);
  h.first_key = static_cast<int64_t>(GetU64(p + 32));
  h.last_key = static_cast<int64_t>(GetU64(p + 40));
  h.replaces_lo = GetU64(p + 48);
  h.replaces_hi = GetU64(p + 56);
  if (h.payload_length > kMaxPayload) {
    return FrameError(file, offset,
                      "payload length " + std::to_string(h.payload_length) + " exceeds the limit");
  }
  if (h.count > 0 && h.first_key > h.last_key) {
    return FrameError(file, offset, "first order key above last order key");
  }
  if ((h.count == 0) != (h.payload_length == 0)) {
    return FrameError(file, offset, "event count and payload length disagree");
  }
  if (h.write_id == 0 || h.replaces_lo > h.replaces_hi ||
      (h.replaces_lo != 0 && h.replaces_hi >= h.write_id)) {
    return FrameError(file, offset, "bad write id or replaces range");
  }
  if (h.count == 0 && h.replaces_lo == 0) {
    return FrameError(file, offset, "empty frame that supersedes nothing");
  }
  return h;
}

}  // namespace laser::segment
