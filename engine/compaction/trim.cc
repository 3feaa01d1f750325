#include "engine/compaction/trim.hpp"

#include <cassert>
#include <string>

#include "engine/format/block.hpp"
#include "engine/memtable/row_codec.hpp"
#include "engine/segment/segment_format.hpp"
#include "engine/util/status_macros.hpp"

namespace laser::compaction {

uint32_t RowsBeyondNewest(uint32_t count, uint64_t newer, uint64_t keep_newest) {
  if (newer >= keep_newest) return count;
  const uint64_t wanted = keep_newest - newer;
  return wanted >= count ? 0 : static_cast<uint32_t>(count - wanted);
}

Result<std::vector<uint8_t>> TrimFrame(const TableSchema& schema, std::span<const uint8_t> frame,
                                       uint32_t drop) {
  if (frame.size() < segment::kFrameHeaderSize) {
    return Status::Corruption("cached frame of " + std::to_string(frame.size()) + " bytes");
  }
  LASER_ASSIGN_OR_RETURN(
      segment::FrameHeader h,
      segment::DecodeFrameHeader(frame.first(segment::kFrameHeaderSize), "block cache", 0));
  assert(drop > 0 && drop < h.count);
  if (frame.size() != h.frame_length()) {
    return Status::Corruption("cached frame of " + std::to_string(frame.size()) +
                              " bytes whose header says " + std::to_string(h.frame_length()));
  }
  const std::vector<uint32_t> all = rowcodec::AllColumns(schema);
  const std::vector<int> proj(all.begin(), all.end());
  Batch rows;
  LASER_RETURN_IF_ERROR(format::DecodeBlockInto(
      schema, frame.subspan(segment::kFrameHeaderSize, h.payload_length), proj, drop, &rows,
      /*verify_checksum=*/false));
  std::string block;
  LASER_RETURN_IF_ERROR(format::EncodeBlock(schema, h.user, rows, 0, rows.num_rows(), &block));
  h.count = static_cast<uint32_t>(rows.num_rows());
  h.first_key = rows.columns[schema.order_key].ints.front();
  h.payload_length = static_cast<uint32_t>(block.size());
  std::vector<uint8_t> out;
  out.reserve(h.frame_length());
  segment::EncodeFrameHeader(h, &out);
  out.insert(out.end(), block.begin(), block.end());
  return out;
}

}  // namespace laser::compaction
