// Unit tests of the engine's own formats: manifest, segment frames, the DRAM
// index and its checkpoint.
#include <doctest/doctest.h>

#include <map>
#include <random>

#include "engine/catalog/manifest.hpp"
#include "engine/compaction/sequence.hpp"
#include "engine/index/block_index.hpp"
#include "engine/index/checkpoint.hpp"
#include "engine/segment/segment_format.hpp"
#include "engine/segment/segment_io.hpp"
#include "tests/engine/engine_test_util.hpp"

namespace laser::testing {
namespace {

ManifestData SampleManifest() {
  ManifestData m;
  m.next_table_id = 5;
  m.next_segment_id = 9;
  m.next_model_id = 3;
  m.next_write_id = 1000;
  m.last_seq = 777;
  m.min_wal_number = 4;
  m.index_epoch = 12;
  TableEntry t{2, EventsSchema("clicks")};
  t.schema.columns[5].default_value = Value::String("none");
  t.schema.columns[3].default_value = Value::UInt(7);
  t.schema.columns[4].default_value = Value::Float(-1.5);
  t.schema.columns[7].default_value = Value::Int(-3);
  t.schema.retention.max_events = 1000;
  t.schema.retention.ttl_ms = 86400000;
  t.schema.version = 4;
  m.tables.push_back(t);
  m.tables.push_back(TableEntry{4, EventsSchema("views")});
  m.models.push_back(ModelEntry{"ranker", "model-000001.safetensors"});
  m.segments.push_back(SegmentEntry{3, 4096, 1000});
  m.segments.push_back(SegmentEntry{8, 100, 100});
  m.index_checkpoint = "INDEX";
  return m;
}

BlockHandle H(uint32_t seg, uint64_t off, uint32_t len, int64_t first, int64_t last,
              uint32_t count) {
  return BlockHandle{first, last, off, seg, len, count};
}

}  // namespace

TEST_CASE("manifest round trip") {
  const ManifestData m = SampleManifest();
  const std::vector<uint8_t> bytes = EncodeManifest(m);
  auto back = DecodeManifest(bytes, "MANIFEST");
  REQUIRE_MESSAGE(back.ok(), back.status().ToString());
  CHECK(EncodeManifest(*back) == bytes);
  CHECK(back->tables.size() == 2);
  CHECK(back->tables[0].schema.columns[5].default_value == Value::String("none"));
  CHECK(back->tables[0].schema.columns[2].enum_values ==
        std::vector<std::string>{"pv", "click", "buy"});
  CHECK(back->tables[0].schema.retention.ttl_ms == 86400000);
  CHECK(back->tables[0].schema.version == 4);
  CHECK(back->min_wal_number == 4);
  CHECK(back->FindSegment(8)->live_bytes == 100);
  CHECK(back->FindSegment(5) == nullptr);
}

TEST_CASE("manifest: every damaged byte and truncation is Corruption or a valid manifest") {
  const std::vector<uint8_t> bytes = EncodeManifest(SampleManifest());
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (uint8_t flip : {0x01, 0x80, 0xff}) {
      std::vector<uint8_t> bad = bytes;
      bad[i] ^= flip;
      auto r = DecodeManifest(bad, "/db/MANIFEST");
      if (!r.ok()) {
        CHECK(r.status().IsCorruption());
        CHECK(r.status().message().find("/db/MANIFEST") != std::string::npos);
      }
    }
  }
  // A truncation fails, unless it only cut alignment padding at the end.
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto r = DecodeManifest(std::span<const uint8_t>(bytes.data(), n), "M");
    if (r.ok()) {
      CHECK(bytes.size() - n < 8);
      CHECK(EncodeManifest(*r) == bytes);
    } else {
      CHECK(r.status().IsCorruption());
    }
  }
}

TEST_CASE("manifest invariants are checked") {
  auto expect_bad = [](ManifestData m, const std::string& needle) {
    auto r = DecodeManifest(EncodeManifest(m), "MANIFEST");
    REQUIRE(!r.ok());
    CHECK(r.status().IsCorruption());
    CHECK_MESSAGE(r.status().message().find(needle) != std::string::npos, r.status().message());
  };
  ManifestData m = SampleManifest();
  m.tables[1].id = 2;
  expect_bad(m, "duplicate table id");
  m = SampleManifest();
  m.tables[1].schema.name = "CLICKS";
  expect_bad(m, "duplicate table");
  m = SampleManifest();
  m.tables[0].id = 9;
  expect_bad(m, "next_table_id");
  m = SampleManifest();
  m.segments[0].live_bytes = 5000;
  expect_bad(m, "live bytes");
  m = SampleManifest();
  std::swap(m.segments[0], m.segments[1]);
  expect_bad(m, "ascending");
  m = SampleManifest();
  m.segments[1].id = 9;
  expect_bad(m, "next_segment_id");
  m = SampleManifest();
  m.models[0].file = "../etc/passwd";
  expect_bad(m, "bad file name");
  m = SampleManifest();
  m.tables[0].schema.partition_key = 40;
  expect_bad(m, "invalid schema");
}

TEST_CASE("manifest store and load through the Env") {
  ScratchDir dir;
  CHECK(LoadManifest(Env::Default(), dir.path()).status().IsNotFound());
  REQUIRE(StoreManifest(Env::Default(), dir.path(), SampleManifest()).ok());
  auto m = LoadManifest(Env::Default(), dir.path());
  REQUIRE(m.ok());
  CHECK(m->tables.size() == 2);
}

TEST_CASE("segment frame header round trip and checks") {
  segment::FrameHeader h;
  h.payload_length = 100;
  h.table_id = 3;
  h.count = 9;
  h.user = UINT64_MAX;
  h.write_id = 55;
  h.first_key = INT64_MIN;
  h.last_key = INT64_MAX;
  h.replaces_lo = 10;
  h.replaces_hi = 54;
  std::vector<uint8_t> b;
  segment::EncodeFrameHeader(h, &b);
  REQUIRE(b.size() == segment::kFrameHeaderSize);
  auto back = segment::DecodeFrameHeader(b, "f.seg", 32);
  REQUIRE(back.ok());
  CHECK(back->user == UINT64_MAX);
  CHECK(back->first_key == INT64_MIN);
  CHECK(back->replaces_hi == 54);
  for (size_t i = 0; i < b.size(); ++i) {
    std::vector<uint8_t> bad = b;
    bad[i] ^= 0x10;
    auto r = segment::DecodeFrameHeader(bad, "f.seg", 32);
    REQUIRE(!r.ok());
    CHECK(r.status().message().find("f.seg offset 32") != std::string::npos);
  }
  CHECK(segment::ParseSegmentFileName("000012.seg") == 12u);
  CHECK(!segment::ParseSegmentFileName("12.wal"));
  CHECK(!segment::ParseSegmentFileName(".seg"));
}

TEST_CASE("segment writer and scanner") {
  ScratchDir dir;
  auto w = segment::SegmentWriter::Create(Env::Default(), dir.path(), 7);
  REQUIRE(w.ok());
  std::vector<uint64_t> offsets;
  for (uint64_t i = 1; i <= 50; ++i) {
    segment::FrameHeader h;
    std::vector<uint8_t> payload(i * 13, static_cast<uint8_t>(i));
    h.payload_length = static_cast<uint32_t>(payload.size());
    h.table_id = 1;
    h.count = static_cast<uint32_t>(i);
    h.user = i % 3;
    h.write_id = i;
    h.first_key = static_cast<int64_t>(i);
    h.last_key = static_cast<int64_t>(i * 2);
    auto off = (*w)->Append(h, payload);
    REQUIRE(off.ok());
    offsets.push_back(*off);
  }
  REQUIRE((*w)->Sync().ok());
  const uint64_t size = (*w)->size();
  REQUIRE((*w)->Close().ok());
  std::vector<uint64_t> seen;
  Status st = segment::ScanSegment(Env::Default(), segment::SegmentFileName(dir.path(), 7), 7, size,
                                   [&](const segment::FrameHeader& h, uint64_t off) {
                                     CHECK(h.write_id == seen.size() + 1);
                                     seen.push_back(off);
                                     return Status::OK();
                                   });
  REQUIRE(st.ok());
  CHECK(seen == offsets);
  // A committed size inside a frame is Corruption naming the offset.
  st = segment::ScanSegment(Env::Default(), segment::SegmentFileName(dir.path(), 7), 7,
                            offsets[10] + 20,
                            [](const segment::FrameHeader&, uint64_t) { return Status::OK(); });
  CHECK(st.IsCorruption());
  CHECK(st.message().find("offset " + std::to_string(offsets[10])) != std::string::npos);
  // The wrong id is caught by the file header.
  st = segment::ScanSegment(Env::Default(), segment::SegmentFileName(dir.path(), 7), 8, size,
                            [](const segment::FrameHeader&, uint64_t) { return Status::OK(); });
  CHECK(st.IsCorruption());
}

TEST_CASE("TableIndex matches a std::map under random updates") {
  TableIndex index;
  std::map<uint64_t, std::vector<BlockHandle>> model;
  std::mt19937_64 rng(42);
  for (int step = 0; step < 20000; ++step) {
    const uint64_t user = rng() % 3000 * 7919;
    const int op = static_cast<int>(rng() % 10);
    if (op < 6) {
      std::vector<BlockHandle> hs = {H(1, rng() % 100000, 100, 1, 2, 3)};
      index.Append(user, hs);
      model[user].push_back(hs[0]);
    } else if (op < 8) {
      std::vector<BlockHandle> hs;
      for (uint64_t k = rng() % 3; k > 0; --k) hs.push_back(H(2, k, 80, 0, 0, 1));
      index.Set(user, hs);
      if (hs.empty()) {
        model.erase(user);
      } else {
        model[user] = hs;
      }
    } else {
      auto it = model.find(user);
      CHECK(index.Get(user) == (it == model.end() ? std::vector<BlockHandle>{} : it->second));
    }
  }
  CHECK(index.users() == model.size());
  uint64_t entries = 0;
  for (const auto& [u, hs] : model) entries += hs.size();
  CHECK(index.entries() == entries);
  std::vector<uint64_t> all;
  index.ForEach([&](uint64_t u, std::span<const BlockHandle> hs) {
    all.push_back(u);
    CHECK(std::vector<BlockHandle>(hs.begin(), hs.end()) == model[u]);
  });
  std::vector<uint64_t> want;
  for (const auto& [u, hs] : model) want.push_back(u);
  CHECK(all == want);
  // Paging through Users() yields the same sequence.
  std::vector<uint64_t> paged;
  std::optional<uint64_t> after;
  while (true) {
    auto page = index.Users(after, 97);
    if (page.empty()) break;
    paged.insert(paged.end(), page.begin(), page.end());
    after = page.back();
  }
  CHECK(paged == want);
  CHECK(index.bytes() > entries * sizeof(BlockHandle));
}

TEST_CASE("index bytes per user and per block stay compact") {
  TableIndex index;
  constexpr uint64_t kUsers = 200000;
  for (uint64_t u = 0; u < kUsers; ++u) {
    BlockHandle h = H(1, u * 100, 100, 1, 2, 3);
    index.Append(u * 3, std::span<const BlockHandle>(&h, 1));
  }
  const double one_block = static_cast<double>(index.bytes()) / kUsers;
  for (uint64_t u = 0; u < kUsers; ++u) {
    BlockHandle h = H(1, u * 100, 100, 1, 2, 3);
    index.Append(u * 3, std::span<const BlockHandle>(&h, 1));
  }
  const double two_blocks = static_cast<double>(index.bytes()) / kUsers;
  MESSAGE("index bytes per user with 1 block: " << one_block << ", with 2 blocks: " << two_blocks
                                                << ", per extra block: "
                                                << (two_blocks - one_block));
  CHECK(one_block < 72);
  CHECK(two_blocks - one_block <= 48);
}

TEST_CASE("index checkpoint round trip, staleness and damage") {
  ManifestData m;
  m.next_table_id = 3;
  m.next_segment_id = 5;
  m.index_epoch = 9;
  m.tables.push_back(TableEntry{1, EventsSchema("a")});
  m.tables.push_back(TableEntry{2, EventsSchema("b")});
  m.segments.push_back(SegmentEntry{4, 100000, 5000});
  TableIndex a, b;
  for (uint64_t u = 0; u < 300; ++u) {
    std::vector<BlockHandle> hs = {H(4, 32 + u * 100, 100, static_cast<int64_t>(u), 1000, 2)};
    a.Append(u, hs);
    if (u % 3 == 0) b.Append(u * 1000, hs);
  }
  const std::vector<uint8_t> bytes = EncodeIndexCheckpoint(m, IndexView{{1, &a}, {2, &b}});
  auto back = DecodeIndexCheckpoint(bytes, m, "INDEX");
  REQUIRE_MESSAGE(back.ok(), back.status().ToString());
  CHECK((*back)[1]->users() == 300);
  CHECK((*back)[2]->Get(3000) == b.Get(3000));
  // Stale: another epoch, or another segment list.
  ManifestData other = m;
  other.index_epoch = 10;
  auto stale = DecodeIndexCheckpoint(bytes, other, "INDEX");
  CHECK(stale.status().message().find("stale") != std::string::npos);
  other = m;
  other.segments[0].size = 99999;
  CHECK(!DecodeIndexCheckpoint(bytes, other, "INDEX").ok());
  // A dropped table is skipped.
  other = m;
  other.tables.pop_back();
  auto dropped = DecodeIndexCheckpoint(bytes, other, "INDEX");
  REQUIRE(dropped.ok());
  CHECK(dropped->count(2) == 0);
  for (size_t i = 0; i < bytes.size(); i += 7) {
    std::vector<uint8_t> bad = bytes;
    bad[i] ^= 0x04;
    auto r = DecodeIndexCheckpoint(bad, m, "INDEX");
    REQUIRE(!r.ok());
    CHECK(r.status().IsCorruption());
  }
  for (size_t n = 0; n < bytes.size(); n += 13) {
    CHECK(!DecodeIndexCheckpoint(std::span<const uint8_t>(bytes.data(), n), m, "INDEX").ok());
  }
}

TEST_CASE("AppendRows keeps NULL flags into columns that exist but hold no rows") {
  // The read path creates the answer's columns before any row arrives; rows
  // appended from the memtable must keep their NULLs.
  Batch src;
  src.AddColumn("a", Type::kI64);
  src.AddColumn("b", Type::kString);
  src.columns[0].Append(Value::Int(1));
  src.columns[0].Append(Value::Null());
  src.columns[1].Append(Value::String("x"));
  src.columns[1].Append(Value::String("y"));
  Batch dst;
  dst.AddColumn("a", Type::kI64);
  dst.AddColumn("b", Type::kString);
  compaction::AppendRows(src, &dst);
  REQUIRE(dst.num_rows() == 2);
  CHECK(!dst.columns[0].IsNull(0));
  CHECK(dst.columns[0].IsNull(1));
  CHECK(dst.columns[1].nulls.empty());
  // Rows without NULLs after rows with some: flags of 0 for the new rows.
  Batch plain;
  plain.AddColumn("a", Type::kI64);
  plain.AddColumn("b", Type::kString);
  plain.columns[0].Append(Value::Int(3));
  plain.columns[1].Append(Value::String("z"));
  compaction::AppendRows(plain, &dst);
  REQUIRE(dst.num_rows() == 3);
  REQUIRE(dst.columns[0].nulls.size() == 3);
  CHECK(!dst.columns[0].IsNull(2));
  CHECK(dst.columns[0].Get(2) == Value::Int(3));
}

TEST_CASE("ChunkEnds fills blocks from the newest row back") {
  Batch rows;
  rows.AddColumn("ts", Type::kTimestamp);
  for (int64_t i = 0; i < 2500; ++i) rows.columns[0].ints.push_back(i);
  // Only the oldest chunk is short: the newest 1024 rows are one block.
  CHECK(compaction::ChunkEnds(rows, 1024) == std::vector<size_t>{452, 1476, 2500});
  CHECK(compaction::ChunkEnds(rows, 2500) == std::vector<size_t>{2500});
  CHECK(compaction::ChunkEnds(rows, 1).size() == 2500);
  // The raw-bytes bound applies the same way: 8 bytes a row here.
  const size_t per_block = compaction::kBlockRawBytes / 8;
  Batch wide;
  wide.AddColumn("ts", Type::kTimestamp);
  for (size_t i = 0; i < per_block + 10; ++i) wide.columns[0].ints.push_back(0);
  CHECK(compaction::ChunkEnds(wide, SIZE_MAX) == std::vector<size_t>{10, per_block + 10});
  CHECK(compaction::ChunkEnds(Batch{}, 1024).empty());
}

TEST_CASE("merge policy") {
  using compaction::PlanMerge;
  // Adjacent blocks form one run: nothing to do.
  std::vector<BlockHandle> hs = {H(1, 32, 100, 0, 9, 10), H(1, 132, 100, 10, 19, 10)};
  CHECK(!PlanMerge(hs, 0, std::nullopt, false));
  // Two separate small runs: merge from the first.
  hs = {H(1, 32, 100, 0, 9, 10), H(1, 1000, 100, 10, 19, 10)};
  CHECK(PlanMerge(hs, 0, std::nullopt, false) == 0u);
  // A finished extent followed by two small runs: merge only the tail.
  hs = {H(1, 32, 100, 0, 9, 2000), H(1, 5000, 100, 10, 19, 10), H(2, 32, 100, 20, 29, 10)};
  CHECK(PlanMerge(hs, 0, std::nullopt, false) == 1u);
  // Extent + one small run: already at most two reads.
  hs.pop_back();
  CHECK(!PlanMerge(hs, 0, std::nullopt, false));
  // Retention forces a full rewrite.
  CHECK(PlanMerge(hs, 100, std::nullopt, false) == 0u);
  CHECK(PlanMerge(hs, 0, int64_t{5}, false) == 0u);
  CHECK(!PlanMerge(hs, 0, int64_t{0}, false));
  CHECK(PlanMerge(hs, 0, std::nullopt, true) == 0u);
}

}  // namespace laser::testing
