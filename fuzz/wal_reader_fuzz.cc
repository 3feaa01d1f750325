// libFuzzer target for the WAL reader and the append-batch payload decoder.
// The first input byte picks what the rest is:
//   0: a WAL file (the last one: torn tails are clean ends);
//   1: one append-batch payload, decoded directly (random bytes seldom pass
//      a record checksum, so the decoder is also fuzzed on its own);
//   2: payloads separated by 0xFF, framed into a valid WAL file, then cut at
//      a length taken from the input: the reader must return exactly the
//      whole records before the cut, then a clean end.
// Whatever the bytes: no crash, no out-of-bounds read, no leak, and a
// decoded batch is always well-formed.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "engine/wal/batch_codec.hpp"
#include "engine/wal/wal_format.hpp"
#include "engine/wal/wal_reader.hpp"

namespace {

using laser::wal::WalReader;
using laser::wal::WalRecord;

void Check(bool ok) {
  if (!ok) std::abort();
}

void DecodePayload(const std::vector<uint8_t>& payload) {
  auto b = laser::wal::DecodeAppendBatch(payload);
  if (b.ok()) Check(b->rows.Validate().ok());
}

void ReadFile(std::vector<uint8_t> bytes) {
  const size_t size = bytes.size();
  auto reader = WalReader::FromBuffer("fuzz.wal", std::move(bytes), std::nullopt);
  WalRecord rec;
  uint64_t end = 0;
  while (true) {
    auto more = reader->Next(&rec);
    if (!more.ok()) {
      Check(more.status().IsCorruption());
      return;
    }
    if (!*more) break;
    end = rec.offset + laser::wal::kRecordHeaderSize + rec.payload.size();
    Check(end <= size);
    DecodePayload(rec.payload);
  }
  const laser::wal::WalTail& t = reader->tail();
  Check(t.valid_bytes + t.dropped_bytes == size);
  Check(t.valid_bytes >= end);
}

void FrameAndCut(const uint8_t* data, size_t size) {
  if (size < 2) return;
  const size_t cut_seed = static_cast<size_t>(data[0]) << 8 | data[1];
  data += 2;
  size -= 2;
  std::vector<std::vector<uint8_t>> payloads(1);
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0xFF) {
      payloads.emplace_back();
    } else {
      payloads.back().push_back(data[i]);
    }
  }
  std::vector<uint8_t> file;
  laser::wal::EncodeFileHeader(1, &file);
  std::vector<size_t> ends;
  for (const auto& p : payloads) {
    laser::wal::EncodeRecord(laser::wal::RecordType::kAppendBatch, p, &file);
    ends.push_back(file.size());
  }
  const size_t cut = cut_seed % (file.size() + 1);
  file.resize(cut);
  size_t whole = 0;
  while (whole < ends.size() && ends[whole] <= cut) ++whole;

  auto reader = WalReader::FromBuffer("000001.wal", std::move(file), 1);
  WalRecord rec;
  for (size_t i = 0; i < whole; ++i) {
    auto more = reader->Next(&rec);
    Check(more.ok() && *more && rec.payload == payloads[i]);
    DecodePayload(rec.payload);
  }
  auto more = reader->Next(&rec);
  Check(more.ok() && !*more);
  const size_t header = laser::wal::kFileHeaderSize;
  const size_t valid = whole > 0 ? ends[whole - 1] : (cut >= header ? header : 0);
  Check(reader->tail().valid_bytes == valid);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0] % 3;
  ++data;
  --size;
  switch (mode) {
    case 0:
      ReadFile(std::vector<uint8_t>(data, data + size));
      break;
    case 1:
      DecodePayload(std::vector<uint8_t>(data, data + size));
      break;
    case 2:
      FrameAndCut(data, size);
      break;
  }
  return 0;
}
