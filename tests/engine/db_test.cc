// End-to-end tests of the engine through DBImpl: write, flush, merge, read,
// reopen, schema changes, retention, locking.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <random>

#include "engine/segment/segment_format.hpp"
#include "tests/engine/engine_test_util.hpp"

namespace laser::testing {
namespace {

// Appends `n` events per user for `users`, timestamps increasing from ts0
// in steps of 10 (interleaved across users), recording them in the oracle.
void AppendEvents(DBImpl* db, Oracle* oracle, const std::vector<uint64_t>& users, int n,
                  int64_t ts0, uint64_t* counter) {
  std::vector<Event> events;
  for (int i = 0; i < n; ++i) {
    for (uint64_t u : users) {
      events.push_back(MakeEvent(u, ts0 + 10 * i, (*counter)++));
    }
  }
  Status st = db->Append(oracle->schema().name, MakeBatch(oracle->schema(), events));
  REQUIRE_MESSAGE(st.ok(), st.ToString());
  oracle->Add(events);
}

std::vector<ReadOptions> ReadShapes() {
  std::vector<ReadOptions> shapes;
  shapes.push_back(ReadOptions{});
  for (uint64_t n : {1, 7, 100, 1000, 5000}) {
    ReadOptions o;
    o.last_n = n;
    shapes.push_back(o);
  }
  {
    ReadOptions o;
    o.min_order_key = 1000 + 333;
    o.max_order_key = 1000 + 2500;
    shapes.push_back(o);
    o.last_n = 17;
    shapes.push_back(o);
    o.columns = {"tag", "ts", "kind"};
    shapes.push_back(o);
  }
  {
    ReadOptions o;
    o.columns = {"price", "user", "u32"};
    o.last_n = 50;
    shapes.push_back(o);
    o.columns = {"flag"};
    o.last_n = 0;
    o.max_order_key = 1500;
    shapes.push_back(o);
  }
  return shapes;
}

void CheckAll(DBImpl* db, const Oracle& oracle) {
  for (uint64_t u : oracle.users()) {
    for (const ReadOptions& o : ReadShapes()) {
      auto got = db->Read(oracle.schema().name, u, o);
      REQUIRE_MESSAGE(got.ok(), got.status().ToString());
      CheckRows(*got, oracle.Expect(u, o));
    }
  }
  // ReadInto equals Read with one Batch reused across users and shapes:
  // each answer replaces the one before, whatever its columns and length.
  // The batch starts out holding columns of no projection.
  Batch reused;
  reused.AddColumn("ts", Type::kString).strings = {"not", "an", "answer"};
  for (int pass = 0; pass < 2; ++pass) {
    for (uint64_t u : oracle.users()) {
      for (const ReadOptions& o : ReadShapes()) {
        Status st = db->ReadInto(oracle.schema().name, u, o, &reused);
        REQUIRE_MESSAGE(st.ok(), st.ToString());
        CheckRows(reused, oracle.Expect(u, o));
        auto fresh = db->Read(oracle.schema().name, u, o);
        REQUIRE(fresh.ok());
        REQUIRE(reused.names == fresh->names);
        for (size_t c = 0; c < fresh->num_columns(); ++c) {
          CHECK(reused.columns[c].type == fresh->columns[c].type);
        }
      }
    }
  }
  // ReadMany equals per-user reads, unknown users and repeats included.
  std::vector<uint64_t> many = oracle.users();
  many.push_back(999999);
  if (!many.empty()) many.push_back(many.front());
  for (const ReadOptions& o : ReadShapes()) {
    auto got = db->ReadMany(oracle.schema().name, many, o);
    REQUIRE_MESSAGE(got.ok(), got.status().ToString());
    REQUIRE(got->size() == many.size());
    for (size_t i = 0; i < many.size(); ++i) CheckRows((*got)[i], oracle.Expect(many[i], o));
  }
}

}  // namespace

TEST_CASE("round trip across memtable, flushed blocks, merged extents and reopen") {
  for (IoBackend backend : {IoBackend::kPread, IoBackend::kUring}) {
    const std::string backend_name = backend == IoBackend::kPread ? "pread" : "io_uring";
    CAPTURE(backend_name);
    if (backend == IoBackend::kUring && !ProbeIoUring().empty()) {
      MESSAGE("io_uring unavailable, its pass is skipped: " << ProbeIoUring());
      continue;
    }
    ScratchDir dir;
    Options opts = TestOptions();
    opts.io_backend = backend;
    Oracle oracle(EventsSchema());
    uint64_t counter = 0;
    const std::vector<uint64_t> users = {1, 2, 42, UINT64_MAX, 1ull << 40};
    {
      auto db = OpenDb(dir.db(), opts);
      REQUIRE(db->CreateTable(oracle.schema()).ok());
      CHECK(db->GetStats().io_backend == backend_name);
      AppendEvents(db.get(), &oracle, users, 40, 1000, &counter);
      CheckAll(db.get(), oracle);  // memtable only
      REQUIRE(db->Flush().ok());
      CheckAll(db.get(), oracle);  // blocks only
      for (int round = 0; round < 5; ++round) {
        AppendEvents(db.get(), &oracle, users, 60, 1400 + 600 * round, &counter);
        REQUIRE(db->Flush().ok());
      }
      AppendEvents(db.get(), &oracle, {1, 42, 7}, 30, 4400, &counter);
      CheckAll(db.get(), oracle);  // several blocks + memtable tail
      REQUIRE(db->Compact().ok());
      CHECK(db->GetStats().merges > 0);
      CheckAll(db.get(), oracle);  // merged extents
      AppendEvents(db.get(), &oracle, {2, 7}, 5, 9000, &counter);
      CheckAll(db.get(), oracle);
      REQUIRE(db->Close().ok());
    }
    {
      auto db = OpenDb(dir.db(), opts);
      CHECK(db->index_source() == "checkpoint");
      CheckAll(db.get(), oracle);
      auto listed = db->ListUsers("events", std::nullopt, 100);
      REQUIRE(listed.ok());
      CHECK(*listed == oracle.users());
      auto page = db->ListUsers("events", 2, 2);
      REQUIRE(page.ok());
      CHECK(*page == std::vector<uint64_t>{7, 42});
    }
  }
}

TEST_CASE("ReadInto reuses the answer's lanes across reads of in-order events") {
  ScratchDir dir;
  auto db = OpenDb(dir.db(), TestOptions());
  Oracle oracle(EventsSchema());
  REQUIRE(db->CreateTable(oracle.schema()).ok());
  uint64_t counter = 0;
  AppendEvents(db.get(), &oracle, {1, 2}, 300, 1000, &counter);
  REQUIRE(db->Flush().ok());
  AppendEvents(db.get(), &oracle, {1, 2}, 50, 5000, &counter);  // a memtable tail
  ReadOptions o;
  o.last_n = 200;
  Batch b;
  REQUIRE(db->ReadInto("events", 1, o, &b).ok());
  CheckRows(b, oracle.Expect(1, o));
  // The address of a column's values, whichever lane holds them.
  auto lane_of = [](const ColumnVector& c) -> const void* {
    if (!c.ints.empty()) return c.ints.data();
    if (!c.uints.empty()) return c.uints.data();
    if (!c.floats.empty()) return c.floats.data();
    return c.strings.data();
  };
  std::vector<const void*> lanes;
  for (const ColumnVector& c : b.columns) {
    REQUIRE(c.size() > 0);
    lanes.push_back(lane_of(c));
  }
  REQUIRE(db->ReadInto("events", 2, o, &b).ok());
  CheckRows(b, oracle.Expect(2, o));
  for (size_t i = 0; i < b.columns.size(); ++i) {
    CHECK_MESSAGE(lane_of(b.columns[i]) == lanes[i], "column " << b.names[i] << " was reallocated");
  }
}

TEST_CASE("out-of-order and tied order keys keep key order, then arrival order") {
  ScratchDir dir;
  auto db = OpenDb(dir.db(), TestOptions());
  Oracle oracle(EventsSchema());
  REQUIRE(db->CreateTable(oracle.schema()).ok());
  std::mt19937_64 rng(7);
  uint64_t counter = 0;
  for (int round = 0; round < 6; ++round) {
    std::vector<Event> events;
    for (int i = 0; i < 300; ++i) {
      const uint64_t user = rng() % 4;
      events.push_back(MakeEvent(user, static_cast<int64_t>(rng() % 500), counter++));
    }
    REQUIRE(db->Append("events", MakeBatch(oracle.schema(), events)).ok());
    oracle.Add(events);
    if (round % 2 == 1) REQUIRE(db->Flush().ok());
    CheckAll(db.get(), oracle);
  }
  REQUIRE(db->Compact().ok());
  CheckAll(db.get(), oracle);
}

TEST_CASE("reopen without close replays the WAL (child process killed)") {
  ScratchDir dir;
  Oracle oracle(EventsSchema());
  uint64_t counter = 0;
  {
    auto db = OpenDb(dir.db(), TestOptions());
    REQUIRE(db->CreateTable(oracle.schema()).ok());
  }
  // The child appends (some flushed, some only in the WAL) and dies without
  // closing; the parent computes the same events.
  std::vector<Event> flushed, tail;
  for (int i = 0; i < 200; ++i) flushed.push_back(MakeEvent(i % 5, 100 + i, counter++));
  for (int i = 0; i < 150; ++i) tail.push_back(MakeEvent(i % 7, 1000 + i, counter++));
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    Options o = TestOptions();
    o.sync = SyncMode::kAlways;
    auto db = DBImpl::OpenWithEnv(dir.db(), o, Env::Default());
    if (!db.ok()) _exit(2);
    if (!(*db)->Append("events", MakeBatch(oracle.schema(), flushed)).ok()) _exit(3);
    if (!(*db)->Flush().ok()) _exit(4);
    if (!(*db)->Append("events", MakeBatch(oracle.schema(), tail)).ok()) _exit(5);
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  oracle.Add(flushed);
  oracle.Add(tail);
  auto db = OpenDb(dir.db(), TestOptions());
  CHECK(db->index_source().rfind("rebuilt", 0) == 0);
  CheckAll(db.get(), oracle);
  REQUIRE(db->Flush().ok());
  CheckAll(db.get(), oracle);
}

TEST_CASE("a second process opening the database gets Busy") {
  ScratchDir dir;
  auto db = OpenDb(dir.db(), TestOptions());
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    auto other = DBImpl::OpenWithEnv(dir.db(), TestOptions(), Env::Default());
    if (other.ok()) _exit(1);
    if (other.status().code() != Status::Code::kBusy) _exit(2);
    if (other.status().message().find("another process") == std::string::npos) _exit(3);
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("schema-violating appends are rejected whole, naming the column") {
  ScratchDir dir;
  auto db = OpenDb(dir.db(), TestOptions());
  TableSchema s = EventsSchema();
  s.columns[3].nullable = false;  // item NOT NULL
  REQUIRE(db->CreateTable(s).ok());
  std::vector<Event> good = {MakeEvent(1, 10, 1), MakeEvent(1, 11, 2)};
  auto expect_bad = [&](const Batch& b, const std::string& needle) {
    Status st = db->Append("events", b);
    CHECK(st.IsInvalidArgument());
    CHECK_MESSAGE(st.message().find(needle) != std::string::npos, st.message());
  };
  {
    Batch b = MakeBatch(s, good);
    b.columns[7].ints[1] = 300;  // I8 out of range in row 1
    expect_bad(b, "small");
    expect_bad(b, "row 1");
  }
  {
    Batch b = MakeBatch(s, good);
    b.names.push_back("nope");
    b.columns.push_back(ColumnVector(Type::kI64));
    b.columns.back().ints = {1, 2};
    expect_bad(b, "nope");
  }
  {
    Batch b = MakeBatch(s, good);
    b.names.erase(b.names.begin() + 1);
    b.columns.erase(b.columns.begin() + 1);
    expect_bad(b, "ts");
  }
  {
    Batch b = MakeBatch(s, good);
    b.columns[3].Append(Value::Null());  // make item NULL in a third row...
    for (size_t c = 0; c < b.columns.size(); ++c) {
      if (c != 3) b.columns[c].Append(MakeEvent(1, 12, 3)[c]);
    }
    expect_bad(b, "item");
  }
  {
    Batch b = MakeBatch(s, good);
    b.columns[2].ints[0] = 9;  // enum ordinal outside the labels
    expect_bad(b, "kind");
  }
  auto got = db->Read("events", 1, ReadOptions{});
  REQUIRE(got.ok());
  CHECK(got->num_rows() == 0);
  REQUIRE(db->Append("events", MakeBatch(s, good)).ok());
  got = db->Read("events", 1, ReadOptions{});
  REQUIRE(got.ok());
  CHECK(got->num_rows() == 2);
  CHECK(db->Append("missing", MakeBatch(s, good)).IsNotFound());
}

TEST_CASE("ADD COLUMN: old blocks and memtable rows read the default") {
  ScratchDir dir;
  Oracle oracle(EventsSchema());
  uint64_t counter = 0;
  {
    auto db = OpenDb(dir.db(), TestOptions());
    REQUIRE(db->CreateTable(oracle.schema()).ok());
    AppendEvents(db.get(), &oracle, {1, 2}, 20, 100, &counter);
    REQUIRE(db->Flush().ok());
    AppendEvents(db.get(), &oracle, {1, 3}, 10, 500, &counter);  // stays in the memtable
    Column c = Col("region", Type::kString);
    c.default_value = Value::String("eu");
    REQUIRE(db->AddColumn("events", c).ok());
    Column d = Col("weight", Type::kF64, false);
    CHECK(db->AddColumn("events", d).IsInvalidArgument());  // NOT NULL without default
    d.default_value = Value::Int(2);                        // coerced to the column's type
    REQUIRE(db->AddColumn("events", d).ok());
    CHECK(db->AddColumn("events", d).code() == Status::Code::kAlreadyExists);
    auto schema = db->GetTable("events");
    REQUIRE(schema.ok());
    CHECK(schema->version == 3);
    CHECK(schema->columns.back().default_value == Value::Float(2.0));
    oracle.set_schema(*schema);
    CheckAll(db.get(), oracle);
    // New rows carry the new columns; an absent one takes the default.
    std::vector<Event> fresh;
    for (int i = 0; i < 5; ++i) {
      Event e = MakeEvent(1, 900 + i, counter++);
      e.push_back(Value::String("us-" + std::to_string(i)));
      e.push_back(Value::Float(i * 1.5));
      fresh.push_back(e);
    }
    REQUIRE(db->Append("events", MakeBatch(*schema, fresh)).ok());
    oracle.Add(fresh);
    CheckAll(db.get(), oracle);
    REQUIRE(db->Compact().ok());
    CheckAll(db.get(), oracle);
  }
  auto db = OpenDb(dir.db(), TestOptions());
  CheckAll(db.get(), oracle);
}

TEST_CASE("retention: max events and TTL hide events at once and drop them at merge") {
  ScratchDir dir;
  int64_t now = 100000;
  Options opts = TestOptions();
  opts.clock_ms = [&now] { return now; };
  auto db = OpenDb(dir.db(), opts);
  TableSchema s = EventsSchema();
  s.retention.max_events = 50;
  REQUIRE(db->CreateTable(s).ok());
  TableSchema t = EventsSchema("ttl");
  t.retention.ttl_ms = 1000;
  REQUIRE(db->CreateTable(t).ok());
  Oracle capped(s), ttl(t);
  uint64_t counter = 0;
  for (int round = 0; round < 4; ++round) {
    AppendEvents(db.get(), &capped, {1, 2}, 40, 1000 * round, &counter);
    AppendEvents(db.get(), &ttl, {1, 2}, 40, now - 1500 + 100 * round, &counter);
    REQUIRE(db->Flush().ok());
  }
  auto check = [&] {
    const int64_t cutoff = now - 1000;
    for (uint64_t u : {1, 2}) {
      for (const ReadOptions& o : ReadShapes()) {
        auto a = db->Read("events", u, o);
        REQUIRE(a.ok());
        CheckRows(*a, capped.Expect(u, o, INT64_MIN, 50));
        auto b = db->Read("ttl", u, o);
        REQUIRE(b.ok());
        CheckRows(*b, ttl.Expect(u, o, cutoff));
      }
    }
  };
  check();
  now += 300;  // more events expire without any write
  check();
  const uint64_t before = db->GetStats().live_segment_bytes;
  REQUIRE(db->Compact().ok());
  check();
  CHECK(db->GetStats().live_segment_bytes < before);
  for (const BlockHandle& h : db->HandlesOf("events", 1)) CHECK(h.count <= 50);
  now += 100000;  // everything of "ttl" expires; merge leaves nothing
  REQUIRE(db->Compact().ok());
  check();
  auto no_events = [](const std::vector<BlockHandle>& hs) {
    return std::all_of(hs.begin(), hs.end(), [](const BlockHandle& h) { return h.count == 0; });
  };
  CHECK(no_events(db->HandlesOf("ttl", 1)));
  CHECK(db->ListUsers("ttl", std::nullopt, 10)->empty());
  REQUIRE(db->Close().ok());
  auto again = OpenDb(dir.db(), opts);
  CHECK(no_events(again->HandlesOf("ttl", 1)));
  auto r = again->Read("events", 2, ReadOptions{});
  REQUIRE(r.ok());
  CheckRows(*r, capped.Expect(2, ReadOptions{}, INT64_MIN, 50));
}

TEST_CASE("merge makes the newest 1000 events at most 2 reads and keeps answers") {
  ScratchDir dir;
  Options opts = TestOptions();
  opts.block_cache_bytes = 0;  // every block read goes to disk
  auto db = OpenDb(dir.db(), opts);
  Oracle oracle(EventsSchema());
  REQUIRE(db->CreateTable(oracle.schema()).ok());
  uint64_t counter = 0;
  // Many small flushes interleaving three users: each user's blocks are
  // scattered over the segment.
  for (int round = 0; round < 30; ++round) {
    AppendEvents(db.get(), &oracle, {10, 20, 30}, 50, round * 1000, &counter);
    REQUIRE(db->Flush().ok());
  }
  ReadOptions last1000;
  last1000.last_n = 1000;
  const uint64_t r0 = db->disk_reads();
  auto before = db->Read("events", 20, last1000);
  REQUIRE(before.ok());
  CHECK(db->disk_reads() - r0 > 2);
  REQUIRE(db->Compact().ok());
  for (uint64_t u : {10, 20, 30}) {
    const uint64_t r1 = db->disk_reads();
    auto after = db->Read("events", u, last1000);
    REQUIRE(after.ok());
    CHECK(db->disk_reads() - r1 <= 2);
    CheckRows(*after, oracle.Expect(u, last1000));
  }
  // More small flushes after the merge, merged again: still <= 2 reads.
  for (int round = 30; round < 40; ++round) {
    AppendEvents(db.get(), &oracle, {10, 20, 30}, 20, round * 1000, &counter);
    REQUIRE(db->Flush().ok());
  }
  REQUIRE(db->Compact().ok());
  for (uint64_t u : {10, 20, 30}) {
    const uint64_t r1 = db->disk_reads();
    auto after = db->Read("events", u, last1000);
    REQUIRE(after.ok());
    CHECK(db->disk_reads() - r1 <= 2);
    CheckRows(*after, oracle.Expect(u, last1000));
  }
  CheckAll(db.get(), oracle);
}

TEST_CASE("relocation empties sparse segments and deletes them after the manifest") {
  ScratchDir dir;
  EngineTuning tuning;
  tuning.segment_target_bytes = 16 << 10;  // many small segments
  auto db = OpenDb(dir.db(), TestOptions(), Env::Default(), tuning);
  Oracle oracle(EventsSchema());
  REQUIRE(db->CreateTable(oracle.schema()).ok());
  uint64_t counter = 0;
  for (int round = 0; round < 12; ++round) {
    AppendEvents(db.get(), &oracle, {1, 2, 3, 4}, 40, round * 1000, &counter);
    REQUIRE(db->Flush().ok());
  }
  auto count_segments = [&] {
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.db())) {
      if (segment::ParseSegmentFileName(e.path().filename().string())) ++n;
    }
    return n;
  };
  const int before = count_segments();
  REQUIRE(db->Compact().ok());
  CheckAll(db.get(), oracle);
  const Stats st = db->GetStats();
  CHECK(count_segments() < before);
  CHECK(st.live_segment_bytes <= st.segment_bytes);
  CHECK(st.live_segment_bytes * 2 >= st.segment_bytes / 2);
  // Suffix merges on top of extents, more relocation; then a rebuild from
  // the segments alone must not bring back any retired frame.
  for (int round = 12; round < 20; ++round) {
    AppendEvents(db.get(), &oracle, {1, 2, 3, 4}, 30, round * 1000, &counter);
    REQUIRE(db->Flush().ok());
    if (round % 3 == 0) REQUIRE(db->Compact().ok());
  }
  REQUIRE(db->Compact().ok());
  REQUIRE(db->Close().ok());
  REQUIRE(Env::Default()->RemoveFile(dir.db() + "/INDEX").ok());
  db = OpenDb(dir.db(), TestOptions(), Env::Default(), tuning);
  CHECK(db->index_source().find("rebuilt") == 0);
  CheckAll(db.get(), oracle);
  REQUIRE(db->DropTable("events").ok());
  REQUIRE(db->Compact().ok());
  CHECK(db->GetStats().live_segment_bytes == 0);
  CHECK(count_segments() <= 1);
  REQUIRE(db->Close().ok());
  auto again = OpenDb(dir.db(), TestOptions());
  CHECK(again->ListTables().empty());
}

TEST_CASE("index checkpoint and rebuild from segments give the same answers") {
  ScratchDir dir;
  Oracle oracle(EventsSchema());
  uint64_t counter = 0;
  {
    auto db = OpenDb(dir.db(), TestOptions());
    REQUIRE(db->CreateTable(oracle.schema()).ok());
    for (int round = 0; round < 8; ++round) {
      AppendEvents(db.get(), &oracle, {5, 6, 7, 8, 9}, 30, round * 500, &counter);
      REQUIRE(db->Flush().ok());
      if (round == 4) REQUIRE(db->Compact().ok());
    }
    REQUIRE(db->Close().ok());
  }
  std::vector<std::vector<BlockHandle>> from_checkpoint;
  {
    auto db = OpenDb(dir.db(), TestOptions());
    CHECK(db->index_source() == "checkpoint");
    for (uint64_t u : oracle.users()) from_checkpoint.push_back(db->HandlesOf("events", u));
    CheckAll(db.get(), oracle);
    REQUIRE(db->Close().ok());
  }
  // Damage the checkpoint: the index is rebuilt by scanning the segments.
  {
    const std::string path = dir.db() + "/INDEX";
    std::vector<uint8_t> bytes = *Env::Default()->ReadFile(path);
    bytes[bytes.size() / 2] ^= 0x40;
    REQUIRE(WriteFileAtomic(Env::Default(), path, bytes).ok());
  }
  auto db = OpenDb(dir.db(), TestOptions());
  CHECK(db->index_source().find("rebuilt") == 0);
  CHECK(db->index_source().find("INDEX") != std::string::npos);
  size_t i = 0;
  for (uint64_t u : oracle.users()) CHECK(db->HandlesOf("events", u) == from_checkpoint[i++]);
  CheckAll(db.get(), oracle);
}

TEST_CASE("catalog: tables and models survive reopen") {
  ScratchDir dir;
  const std::string model_src = dir.path() + "/model.safetensors";
  {
    std::vector<uint8_t> bytes = {1, 2, 3, 4, 5};
    REQUIRE(WriteFileAtomic(Env::Default(), model_src, bytes).ok());
  }
  {
    auto db = OpenDb(dir.db(), TestOptions());
    REQUIRE(db->CreateTable(EventsSchema("a")).ok());
    REQUIRE(db->CreateTable(EventsSchema("b")).ok());
    CHECK(db->CreateTable(EventsSchema("A")).code() == Status::Code::kAlreadyExists);
    TableSchema bad = EventsSchema("c");
    bad.columns[0].type = Type::kI32;  // partition key must be U64
    CHECK(!db->CreateTable(bad).ok());
    REQUIRE(db->DropTable("b").ok());
    CHECK(db->DropTable("b").IsNotFound());
    REQUIRE(db->CreateModel("ranker", model_src).ok());
    CHECK(db->CreateModel("ranker", model_src).code() == Status::Code::kAlreadyExists);
    CHECK(db->CreateModel("../x", model_src).IsInvalidArgument());
    CHECK(!db->CreateModel("m2", dir.path() + "/absent").ok());
    REQUIRE(db->CreateModel("other", model_src).ok());
    REQUIRE(db->DropModel("other").ok());
    Retention r;
    r.max_events = 9;
    REQUIRE(db->SetRetention("a", r).ok());
  }
  auto db = OpenDb(dir.db(), TestOptions());
  CHECK(db->ListTables() == std::vector<std::string>{"a"});
  auto a = db->GetTable("A");
  REQUIRE(a.ok());
  CHECK(a->retention.max_events == 9);
  auto m = db->GetModel("ranker");
  REQUIRE(m.ok());
  CHECK(*Env::Default()->ReadFile(m->path) == std::vector<uint8_t>{1, 2, 3, 4, 5});
  CHECK(db->ListModels().size() == 1);
  CHECK(db->GetModel("other").status().IsNotFound());
  CHECK(Env::Default()->FileExists(dir.db() + "/MANIFEST"));
  db.reset();
  Options o = TestOptions();
  o.error_if_exists = true;
  CHECK(DBImpl::OpenWithEnv(dir.db(), o, Env::Default()).status().code() ==
        Status::Code::kAlreadyExists);
  o = TestOptions();
  o.create_if_missing = false;
  CHECK(DBImpl::OpenWithEnv(dir.path() + "/nothing", o, Env::Default()).status().IsNotFound());
}

TEST_CASE("read-only open sees everything and refuses writes") {
  ScratchDir dir;
  Oracle oracle(EventsSchema());
  uint64_t counter = 0;
  {
    auto db = OpenDb(dir.db(), TestOptions());
    REQUIRE(db->CreateTable(oracle.schema()).ok());
    AppendEvents(db.get(), &oracle, {1, 2}, 30, 0, &counter);
    REQUIRE(db->Flush().ok());
    AppendEvents(db.get(), &oracle, {1, 3}, 30, 1000, &counter);
    // Close flushes; reopen read-only.
  }
  Options ro = TestOptions();
  ro.read_only = true;
  auto db = OpenDb(dir.db(), ro);
  CheckAll(db.get(), oracle);
  CHECK(db->Append("events", MakeBatch(oracle.schema(), {MakeEvent(1, 5, 1)})).code() ==
        Status::Code::kNotSupported);
  CHECK(db->Flush().code() == Status::Code::kNotSupported);
}

}  // namespace laser::testing
