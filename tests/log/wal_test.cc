#include <doctest/doctest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/io/env.hpp"
#include "engine/wal/batch_codec.hpp"
#include "engine/wal/wal_format.hpp"
#include "engine/wal/wal_reader.hpp"
#include "engine/wal/wal_writer.hpp"
#include "log_test_util.hpp"

namespace laser::wal {
namespace {

using laser::testing::TempDir;

std::vector<uint8_t> Payload(size_t i) {
  // Sizes 0..~3000, with a large one now and then; content depends on i.
  size_t n = (i * 37) % 3001;
  if (i % 50 == 7) n = 300000;
  std::vector<uint8_t> p(n);
  for (size_t k = 0; k < n; ++k) p[k] = static_cast<uint8_t>(i * 131 + k * 7);
  return p;
}

// An in-memory WAL file: the header, then one record per payload. Returns the
// bytes; *offsets gets each record's start and finally the end.
std::vector<uint8_t> BuildFile(uint64_t number, size_t records, std::vector<uint64_t>* offsets) {
  std::vector<uint8_t> f;
  EncodeFileHeader(number, &f);
  for (size_t i = 0; i < records; ++i) {
    offsets->push_back(f.size());
    EncodeRecord(RecordType::kAppendBatch, Payload(i), &f);
  }
  offsets->push_back(f.size());
  return f;
}

struct ReadAll {
  std::vector<WalRecord> records;
  Status status;
  WalTail tail;
};

ReadAll Drain(WalReader* r) {
  ReadAll out;
  WalRecord rec;
  while (true) {
    Result<bool> more = r->Next(&rec);
    if (!more.ok()) {
      out.status = more.status();
      break;
    }
    if (!*more) break;
    out.records.push_back(rec);
  }
  out.tail = r->tail();
  return out;
}

ReadAll DrainBuffer(std::vector<uint8_t> bytes, uint64_t number = 12) {
  return Drain(WalReader::FromBuffer("000012.wal", std::move(bytes), number).get());
}

TEST_CASE("WAL file names") {
  CHECK(WalFileName("/db", 12) == "/db/000012.wal");
  CHECK(WalFileName("/db", 12345678) == "/db/12345678.wal");
  CHECK(ParseWalFileName("000012.wal") == 12u);
  CHECK(ParseWalFileName("12345678.wal") == 12345678u);
  CHECK_FALSE(ParseWalFileName("12.wal"));
  CHECK_FALSE(ParseWalFileName("00001x.wal"));
  CHECK_FALSE(ParseWalFileName("000012.log"));
  CHECK_FALSE(ParseWalFileName(".wal"));
}

TEST_CASE("WAL round trip of many records through files") {
  TempDir dir;
  Env* env = Env::Default();
  auto w = WalWriter::Create(env, dir.path(), 7);
  REQUIRE(w.ok());
  constexpr size_t kRecords = 400;
  for (size_t i = 0; i < kRecords; ++i) {
    REQUIRE((*w)->AddRecord(RecordType::kAppendBatch, Payload(i)).ok());
    if (i % 100 == 0) REQUIRE((*w)->Sync().ok());
  }
  const uint64_t size = (*w)->size();
  REQUIRE((*w)->Close().ok());
  CHECK(env->FileSize(WalFileName(dir.path(), 7)).value() == size);

  ReadAll got = Drain(WalReader::Open(env, {WalFileName(dir.path(), 7)}).get());
  REQUIRE(got.status.ok());
  REQUIRE(got.records.size() == kRecords);
  uint64_t off = kFileHeaderSize;
  for (size_t i = 0; i < kRecords; ++i) {
    CHECK(got.records[i].payload == Payload(i));
    CHECK(got.records[i].offset == off);
    CHECK(got.records[i].type == RecordType::kAppendBatch);
    off += kRecordHeaderSize + Payload(i).size();
  }
  CHECK(got.tail.valid_bytes == size);
  CHECK(got.tail.dropped_bytes == 0);
}

TEST_CASE("WAL writer refuses a payload above the maximum") {
  TempDir dir;
  auto w = WalWriter::Create(Env::Default(), dir.path(), 1);
  REQUIRE(w.ok());
  // Left uninitialised: the size alone must be refused, untouched.
  const size_t n = static_cast<size_t>(kMaxPayload) + 1;
  std::unique_ptr<uint8_t[]> big(new uint8_t[n]);
  Status s = (*w)->AddRecord(RecordType::kAppendBatch, std::span<const uint8_t>(big.get(), n));
  CHECK(s.code() == Status::Code::kResourceExhausted);
}

TEST_CASE("WAL truncated at every byte of the last record ends cleanly") {
  std::vector<uint64_t> off;
  const std::vector<uint8_t> full = BuildFile(12, 5, &off);
  const uint64_t start = off[4], end = off[5];
  for (uint64_t cut = start; cut <= end; ++cut) {
    CAPTURE(cut);
    ReadAll got = DrainBuffer(std::vector<uint8_t>(full.begin(), full.begin() + cut));
    REQUIRE(got.status.ok());
    CHECK(got.records.size() == (cut == end ? 5u : 4u));
    CHECK(got.tail.valid_bytes == (cut == end ? end : start));
    CHECK(got.tail.dropped_bytes == (cut == end ? 0 : cut - start));
  }
}

TEST_CASE("WAL truncated inside the file header ends cleanly with no records") {
  std::vector<uint64_t> off;
  const std::vector<uint8_t> full = BuildFile(12, 1, &off);
  for (size_t cut = 0; cut <= kFileHeaderSize; ++cut) {
    CAPTURE(cut);
    ReadAll got = DrainBuffer(std::vector<uint8_t>(full.begin(), full.begin() + cut));
    REQUIRE(got.status.ok());
    CHECK(got.records.empty());
    CHECK(got.tail.dropped_bytes == (cut == kFileHeaderSize ? 0 : cut));
  }
}

TEST_CASE("WAL zero-filled tail ends cleanly") {
  std::vector<uint64_t> off;
  std::vector<uint8_t> f = BuildFile(12, 3, &off);
  SUBCASE("zeros appended") {
    f.resize(f.size() + 4096, 0);
    ReadAll got = DrainBuffer(f);
    REQUIRE(got.status.ok());
    CHECK(got.records.size() == 3);
    CHECK(got.tail.valid_bytes == off[3]);
    CHECK(got.tail.dropped_bytes == 4096);
  }
  SUBCASE("last record zeroed in place") {
    std::fill(f.begin() + static_cast<std::ptrdiff_t>(off[2]), f.end(), 0);
    ReadAll got = DrainBuffer(f);
    REQUIRE(got.status.ok());
    CHECK(got.records.size() == 2);
    CHECK(got.tail.dropped_bytes == off[3] - off[2]);
  }
  SUBCASE("a whole zero file") {
    ReadAll got = DrainBuffer(std::vector<uint8_t>(100, 0));
    REQUIRE(got.status.ok());
    CHECK(got.records.empty());
  }
  SUBCASE("zeros followed by data are corruption") {
    f.resize(f.size() + 64, 0);
    f.push_back(1);
    ReadAll got = DrainBuffer(f);
    CHECK(got.status.IsCorruption());
    CHECK(got.records.size() == 3);
  }
}

TEST_CASE("WAL flipped byte in the middle record is Corruption at that record's offset") {
  std::vector<uint64_t> off;
  const std::vector<uint8_t> full = BuildFile(12, 3, &off);
  const std::string where = "at offset " + std::to_string(off[1]);
  for (uint64_t pos = off[1]; pos < off[2]; pos += (pos < off[1] + 32 ? 1 : 97)) {
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      CAPTURE(pos);
      CAPTURE(mask);
      std::vector<uint8_t> f = full;
      f[pos] ^= mask;
      ReadAll got = DrainBuffer(f);
      REQUIRE(got.status.IsCorruption());
      CHECK(got.records.size() == 1);
      CHECK(got.status.message().find("000012.wal") != std::string::npos);
      CHECK(got.status.message().find(where) != std::string::npos);
    }
  }
}

TEST_CASE("WAL bad length fields") {
  std::vector<uint64_t> off;
  const std::vector<uint8_t> full = BuildFile(12, 3, &off);
  auto set_len = [](std::vector<uint8_t>* f, uint64_t rec, uint32_t len) {
    std::memcpy(f->data() + rec + 8, &len, 4);
  };
  SUBCASE("above the maximum") {
    std::vector<uint8_t> f = full;
    set_len(&f, off[1], kMaxPayload + 1);
    ReadAll got = DrainBuffer(f);
    REQUIRE(got.status.IsCorruption());
    CHECK(got.status.message().find("exceeds the maximum") != std::string::npos);
    CHECK(got.status.message().find("at offset " + std::to_string(off[1])) != std::string::npos);
  }
  SUBCASE("past the end with an intact record after it") {
    std::vector<uint8_t> f = full;
    set_len(&f, off[1], static_cast<uint32_t>(f.size()));
    ReadAll got = DrainBuffer(f);
    REQUIRE(got.status.IsCorruption());
    CHECK(got.status.message().find("intact record follows at offset " + std::to_string(off[2])) !=
          std::string::npos);
  }
  SUBCASE("past the end in the last record is a torn tail") {
    std::vector<uint8_t> f = full;
    set_len(&f, off[2], static_cast<uint32_t>(f.size()));
    ReadAll got = DrainBuffer(f);
    REQUIRE(got.status.ok());
    CHECK(got.records.size() == 2);
    CHECK(got.tail.valid_bytes == off[2]);
  }
  SUBCASE("shorter than written") {
    std::vector<uint8_t> f = full;
    set_len(&f, off[1], 3);
    ReadAll got = DrainBuffer(f);
    CHECK(got.status.IsCorruption());
  }
}

TEST_CASE("WAL file header checks") {
  std::vector<uint64_t> off;
  const std::vector<uint8_t> full = BuildFile(12, 2, &off);
  SUBCASE("number mismatch") {
    ReadAll got = DrainBuffer(full, 13);
    REQUIRE(got.status.IsCorruption());
    CHECK(got.status.message().find("does not match") != std::string::npos);
  }
  SUBCASE("bad magic") {
    std::vector<uint8_t> f = full;
    f[0] = 'X';
    CHECK(DrainBuffer(f).status.IsCorruption());
  }
  SUBCASE("bad version") {
    std::vector<uint8_t> f = full;
    f[8] = 9;
    CHECK(DrainBuffer(f).status.IsCorruption());
  }
}

TEST_CASE("WAL over several files: torn only at the end of the last one") {
  TempDir dir;
  Env* env = Env::Default();
  std::vector<std::string> paths;
  std::vector<uint64_t> last_offsets;
  for (uint64_t n = 3; n <= 5; ++n) {
    std::vector<uint64_t> off;
    const std::vector<uint8_t> f = BuildFile(n, 4, &off);
    paths.push_back(WalFileName(dir.path(), n));
    REQUIRE(WriteFileAtomic(env, paths.back(), f).ok());
    last_offsets = off;
  }
  ReadAll got = Drain(WalReader::Open(env, paths).get());
  REQUIRE(got.status.ok());
  REQUIRE(got.records.size() == 12);
  CHECK(got.records[4].file == paths[1]);
  CHECK(got.records[4].payload == Payload(0));
  CHECK(got.tail.file == paths[2]);

  SUBCASE("torn last file is a clean end") {
    REQUIRE(env->TruncateFile(paths[2], last_offsets[4] - 5).ok());
    ReadAll t = Drain(WalReader::Open(env, paths).get());
    REQUIRE(t.status.ok());
    CHECK(t.records.size() == 11);
    CHECK(t.tail.dropped_bytes == last_offsets[4] - 5 - last_offsets[3]);

    // Replay truncates the torn tail so the file can stop being the last.
    auto r = ReplayWalDir(env, dir.path(), 0, [](const WalRecord&) { return Status::OK(); });
    REQUIRE(r.ok());
    CHECK(r->records == 11);
    CHECK(r->max_number == 5);
    CHECK(env->FileSize(paths[2]).value() == last_offsets[3]);
    std::vector<uint64_t> off6;
    REQUIRE(WriteFileAtomic(env, WalFileName(dir.path(), 6), BuildFile(6, 1, &off6)).ok());
    auto r2 = ReplayWalDir(env, dir.path(), 0, [](const WalRecord&) { return Status::OK(); });
    REQUIRE(r2.ok());
    CHECK(r2->records == 12);
  }
  SUBCASE("a truncated file before the last is Corruption naming it") {
    REQUIRE(env->TruncateFile(paths[1], last_offsets[4] - 5).ok());
    ReadAll t = Drain(WalReader::Open(env, paths).get());
    REQUIRE(t.status.IsCorruption());
    CHECK(t.status.message().find(paths[1]) != std::string::npos);
    CHECK(t.records.size() == 7);
  }
  SUBCASE("replay from a minimum number skips older files") {
    size_t n = 0;
    auto r = ReplayWalDir(env, dir.path(), 4, [&](const WalRecord&) {
      ++n;
      return Status::OK();
    });
    REQUIRE(r.ok());
    CHECK(n == 8);
  }
  SUBCASE("replay removes a last file without a whole header") {
    const std::string empty = WalFileName(dir.path(), 9);
    REQUIRE(WriteFileAtomic(env, empty, std::vector<uint8_t>{'L', 'A'}).ok());
    auto r = ReplayWalDir(env, dir.path(), 0, [](const WalRecord&) { return Status::OK(); });
    REQUIRE(r.ok());
    CHECK(r->records == 12);
    CHECK_FALSE(env->FileExists(empty));
  }
}

TEST_CASE("WAL reader returns the same error after a failure") {
  std::vector<uint64_t> off;
  std::vector<uint8_t> f = BuildFile(12, 2, &off);
  f[off[0]] ^= 1;
  auto r = WalReader::FromBuffer("x.wal", f, std::nullopt);
  WalRecord rec;
  CHECK(r->Next(&rec).status().IsCorruption());
  CHECK(r->Next(&rec).status().IsCorruption());
}

TEST_CASE("append-batch payload round-trips every type with NULLs and strings") {
  const TableSchema schema = laser::testing::AllTypesSchema();
  Batch b = laser::testing::EmptyBatch(schema);
  for (int64_t k = 0; k < 10; ++k) laser::testing::AppendAllTypesRow(schema, &b, 5, k, k);
  std::vector<uint8_t> enc;
  EncodeAppendBatch(77, 3, b, &enc);
  auto d = DecodeAppendBatch(enc);
  REQUIRE(d.ok());
  CHECK(d->table_id == 77);
  CHECK(d->schema_version == 3);
  CHECK(d->rows.names == b.names);
  REQUIRE(d->rows.num_rows() == b.num_rows());
  for (size_t c = 0; c < b.num_columns(); ++c) {
    CHECK(d->rows.columns[c].type == b.columns[c].type);
    for (size_t r = 0; r < b.num_rows(); ++r) {
      CHECK(d->rows.columns[c].Get(r) == b.columns[c].Get(r));
    }
  }
  // An empty batch too.
  std::vector<uint8_t> e;
  EncodeAppendBatch(1, 1, Batch{}, &e);
  auto de = DecodeAppendBatch(e);
  REQUIRE(de.ok());
  CHECK(de->rows.num_columns() == 0);

  // Every truncation and trailing garbage is Corruption.
  for (size_t n = 0; n < enc.size(); ++n) {
    std::vector<uint8_t> cut(enc.begin(), enc.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK(DecodeAppendBatch(cut).status().IsCorruption());
  }
  enc.push_back(0);
  CHECK(DecodeAppendBatch(enc).status().IsCorruption());
}

TEST_CASE("append-batch decoder survives random bytes") {
  std::mt19937_64 rng(99);
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> junk(rng() % 64);
    for (auto& x : junk) x = static_cast<uint8_t>(rng() % 8 == 0 ? rng() : rng() % 4);
    auto d = DecodeAppendBatch(junk);
    if (d.ok()) CHECK(d->rows.Validate().ok());
  }
}

}  // namespace
}  // namespace laser::wal
