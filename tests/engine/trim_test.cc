// Trimming a cached frame to its newest rows (compaction/trim.hpp).
#include "engine/compaction/trim.hpp"

#include <doctest/doctest.h>

#include "engine/format/block.hpp"
#include "engine/memtable/row_codec.hpp"
#include "engine/segment/segment_format.hpp"
#include "tests/engine/engine_test_util.hpp"

namespace laser::testing {
namespace {

// A frame as a flush writes it: header, then the block of `events`.
std::vector<uint8_t> Frame(const TableSchema& s, uint64_t user, const std::vector<Event>& events) {
  const Batch b = MakeBatch(s, events);
  std::string block;
  REQUIRE(format::EncodeBlock(s, user, b, 0, b.num_rows(), &block).ok());
  segment::FrameHeader h;
  h.payload_length = static_cast<uint32_t>(block.size());
  h.table_id = 3;
  h.count = static_cast<uint32_t>(events.size());
  h.user = user;
  h.write_id = 77;
  h.first_key = std::get<int64_t>(events.front()[1].v);
  h.last_key = std::get<int64_t>(events.back()[1].v);
  std::vector<uint8_t> out;
  segment::EncodeFrameHeader(h, &out);
  out.insert(out.end(), block.begin(), block.end());
  return out;
}

segment::FrameHeader HeaderOf(const std::vector<uint8_t>& frame) {
  auto h = segment::DecodeFrameHeader(
      std::span<const uint8_t>(frame.data(), segment::kFrameHeaderSize), "test", 0);
  REQUIRE_MESSAGE(h.ok(), h.status().ToString());
  return *h;
}

}  // namespace

TEST_CASE("RowsBeyondNewest: the rows of a block that the newest N events do not reach") {
  CHECK(compaction::RowsBeyondNewest(1024, 0, 1024) == 0);
  CHECK(compaction::RowsBeyondNewest(1024, 100, 1024) == 100);
  CHECK(compaction::RowsBeyondNewest(1024, 1023, 1024) == 1023);
  CHECK(compaction::RowsBeyondNewest(1024, 1024, 1024) == 1024);
  CHECK(compaction::RowsBeyondNewest(1024, 5000, 1024) == 1024);
  CHECK(compaction::RowsBeyondNewest(300, 40, 1024) == 0);  // still wholly needed
  CHECK(compaction::RowsBeyondNewest(300, 900, 1024) == 176);
  CHECK(compaction::RowsBeyondNewest(0, 0, 1024) == 0);
}

TEST_CASE("TrimFrame keeps the newest rows, bit for bit, under the same frame identity") {
  const TableSchema s = EventsSchema();
  std::vector<Event> events;
  for (uint64_t i = 0; i < 700; ++i) events.push_back(MakeEvent(42, 1000 + 3 * i, i));
  const std::vector<uint8_t> frame = Frame(s, 42, events);
  const std::vector<uint32_t> all = rowcodec::AllColumns(s);
  const std::vector<int> proj(all.begin(), all.end());
  for (uint32_t drop : {1u, 100u, 699u}) {
    CAPTURE(drop);
    auto trimmed = compaction::TrimFrame(s, frame, drop);
    REQUIRE_MESSAGE(trimmed.ok(), trimmed.status().ToString());
    const segment::FrameHeader before = HeaderOf(frame);
    const segment::FrameHeader after = HeaderOf(*trimmed);
    CHECK(after.count == 700 - drop);
    CHECK(after.first_key == 1000 + 3 * static_cast<int64_t>(drop));
    CHECK(after.last_key == before.last_key);
    CHECK(after.user == 42);
    CHECK(after.table_id == 3);
    CHECK(after.write_id == 77);
    CHECK(after.frame_length() == trimmed->size());
    CHECK(trimmed->size() < frame.size());
    const std::span<const uint8_t> payload(trimmed->data() + segment::kFrameHeaderSize,
                                           after.payload_length);
    REQUIRE(format::VerifyBlockChecksum(payload).ok());
    auto got = format::DecodeBlock(s, payload, proj);
    REQUIRE_MESSAGE(got.ok(), got.status().ToString());
    CheckRows(*got, std::vector<Event>(events.begin() + drop, events.end()));
  }
}

TEST_CASE("TrimFrame rejects a frame whose length disagrees with its header") {
  const TableSchema s = EventsSchema();
  std::vector<Event> events;
  for (uint64_t i = 0; i < 50; ++i) events.push_back(MakeEvent(1, i, i));
  std::vector<uint8_t> frame = Frame(s, 1, events);
  frame.pop_back();
  auto r = compaction::TrimFrame(s, frame, 10);
  REQUIRE(!r.ok());
  CHECK(r.status().IsCorruption());
  frame.resize(10);
  CHECK(compaction::TrimFrame(s, frame, 10).status().IsCorruption());
}

}  // namespace laser::testing
