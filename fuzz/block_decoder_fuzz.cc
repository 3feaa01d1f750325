// libFuzzer target: the block decoder must never crash or read out of bounds,
// whatever the bytes. Each input is decoded twice: as given (the checksum
// rejects almost everything), and resealed with a matching header check and
// checksum, so mutations reach the structural checks behind them.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <numeric>
#include <span>
#include <vector>

#include "engine/format/block.hpp"
#include "tests/format/block_fuzz_schema.hpp"

namespace {

using laser::Batch;
using laser::Result;
using laser::TableSchema;
using namespace laser::format;

// Decoded rows are materialised, so a forged count times a long dictionary
// string could ask for gigabytes; blocks above this are parsed but not decoded.
constexpr uint32_t kMaxDecodedEvents = 4096;

void Check(bool ok) {
  if (!ok) std::abort();
}

void DecodeAll(const TableSchema& schema, std::span<const uint8_t> bytes) {
  Result<BlockInfo> info = ReadBlockInfo(bytes);
  if (info.ok()) Check(info->count >= 1 && info->count <= kMaxBlockEvents);
  if (info.ok() && info->count > kMaxDecodedEvents) return;

  std::vector<int> all(schema.columns.size());
  std::iota(all.begin(), all.end(), 0);
  Result<Batch> full = DecodeBlock(schema, bytes, all);
  if (full.ok()) {
    Check(full->Validate().ok());
    Check(info.ok() && full->num_rows() == info->count);
  }

  // A projection out of schema order with a repeat, from the middle of the block.
  const std::vector<int> some = {11, 1, 12, 13, 11, 0};
  const uint32_t row_begin = info.ok() ? info->count / 2 : 0;
  Result<Batch> part = DecodeBlock(schema, bytes, some, row_begin);
  if (part.ok()) Check(part->Validate().ok());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const TableSchema schema = BlockFuzzSchema();
  DecodeAll(schema, {data, size});
  if (size >= kBlockHeaderSize + kBlockTrailerSize) {
    std::vector<uint8_t> sealed(data, data + size);
    ResealBlock(sealed);
    DecodeAll(schema, sealed);
  }
  return 0;
}
