#include "engine/wal/wal_format.hpp"

#include <xxhash.h>

#include <cassert>
#include <cstdio>
#include <cstring>

#include "engine/memtable/varint.hpp"

namespace laser::wal {

bool IsKnownRecordType(uint8_t t) { return t == static_cast<uint8_t>(RecordType::kAppendBatch); }

std::string WalFileName(const std::string& dir, uint64_t number) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "/%06llu.wal", static_cast<unsigned long long>(number));
  return dir + buf;
}

std::optional<uint64_t> ParseWalFileName(std::string_view name) {
  constexpr std::string_view kSuffix = ".wal";
  if (name.size() <= kSuffix.size() || !name.ends_with(kSuffix)) return std::nullopt;
  const std::string_view digits = name.substr(0, name.size() - kSuffix.size());
  // 20 digits can overflow u64; WAL numbers never get near that.
  if (digits.size() < 6 || digits.size() > 19) return std::nullopt;
  uint64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

void EncodeFileHeader(uint64_t number, std::vector<uint8_t>* out) {
  out->insert(out->end(), kMagic, kMagic + sizeof(kMagic));
  coding::PutFixed(out, kFormatVersion);
  coding::PutFixed(out, uint32_t{0});
  coding::PutFixed(out, number);
}

void EncodeRecord(RecordType type, std::span<const uint8_t> payload, std::vector<uint8_t>* out) {
  assert(payload.size() <= kMaxPayload);
  const size_t start = out->size();
  out->resize(start + kRecordHeaderSize + payload.size());
  uint8_t* p = out->data() + start;
  const uint32_t len = static_cast<uint32_t>(payload.size());
  std::memcpy(p + 8, &len, 4);
  p[12] = static_cast<uint8_t>(type);
  if (!payload.empty()) std::memcpy(p + kRecordHeaderSize, payload.data(), payload.size());
  const uint64_t sum = XXH64(p + 8, 5 + payload.size(), 0);
  std::memcpy(p, &sum, 8);
}

}  // namespace laser::wal
