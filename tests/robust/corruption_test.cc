// Corruption test: a database with every file kind (MANIFEST, index
// checkpoint INDEX, several segment files, a finished WAL file and the live
// one holding acknowledged records) is copied; in the copy one file gets a
// byte flipped or is truncated; the copy is opened and read in full. Rules,
// per file kind (the Status must be Corruption and name the damaged file):
//
//   MANIFEST  open fails naming MANIFEST, or every read returns exactly the
//             acknowledged data.
//   INDEX     open succeeds with the index rebuilt from the segments
//             (index_source() "rebuilt: ..."), and every read is exact.
//   segment   flip: open fails naming the segment, or open succeeds and each
//             read (and ListUsers) either fails naming the segment or is
//             exact; tested with the checkpoint (the damage is met when a
//             block is read) and without it (met by the rebuild scan).
//             truncation below the committed size: open fails naming it.
//   WAL       truncation of the last WAL file: open succeeds and the data is
//             the segments plus exactly the records wholly inside the kept
//             prefix (a torn tail is a clean end); truncation of an earlier
//             WAL file: open fails naming it.
//             flip: open fails naming the file, or the data is exact, or — a
//             flip in the last record of the last file, which a reader
//             cannot tell from a torn write (docs/format/wal.md) — exact
//             without that record.
// Never a crash, never a read that returns other rows than these.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/robust/robust_util.hpp"

namespace laser::robust {
namespace {

constexpr const char* kTable = "events";

// The pristine database: its directory (a crash image: WAL records not yet
// flushed) and the acknowledged rows.
struct Pristine {
  std::string dir;
  TableSchema schema;
  std::map<uint64_t, std::vector<Row>> base;  // rows in segment files, per user
  std::vector<std::vector<Row>> wal;          // rows of WAL record i, in log order
  std::vector<uint64_t> users;                // every user with rows
};

// Segment files are started by the first write of each session, so the
// pristine image gets several by closing and reopening between rounds.
EngineTuning Tuning() { return EngineTuning{}; }

Options PristineOptions() {
  Options o;
  o.sync = SyncMode::kAlways;
  o.background_merge = false;
  o.memtable_bytes = size_t{1} << 30;  // flushes only when asked
  o.block_cache_bytes = 0;             // every read goes to the files
  return o;
}

std::vector<Row> RandomRows(const TableSchema& s, const std::vector<uint64_t>& users, size_t n,
                            int64_t ts0, std::mt19937_64& rng) {
  std::vector<Row> rows;
  for (size_t i = 0; i < n; ++i) {
    Row r;
    for (size_t c = 0; c < s.columns.size(); ++c) {
      if (c == s.partition_key) {
        r.push_back(Value::UInt(users[rng() % users.size()]));
      } else if (c == s.order_key) {
        // Increasing with ties and some events older than their batch.
        r.push_back(Value::Int(ts0 + static_cast<int64_t>(i / 3) -
                               (rng() % 8 == 0 ? static_cast<int64_t>(rng() % 5000) : 0)));
      } else {
        r.push_back(RandomValue(s.columns[c], rng));
      }
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

void AppendOk(DBImpl* db, const TableSchema& s, const std::vector<Row>& rows) {
  Status st = db->Append(kTable, MakeBatch(s, rows));
  REQUIRE_MESSAGE(st.ok(), st.ToString());
}

// Builds the pristine image under `root`/pristine.
Pristine BuildPristine(const std::string& root) {
  Pristine p;
  p.dir = root + "/pristine";
  p.schema = AllTypesSchema(kTable);
  const std::string live = root + "/live";
  std::mt19937_64 rng(20260101);
  const std::vector<uint64_t> users = {1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, UINT64_MAX};
  auto add_base = [&](const std::vector<Row>& rows) {
    for (const Row& r : rows) p.base[std::get<uint64_t>(r[0].v)].push_back(r);
  };
  std::unique_ptr<DBImpl> db;
  int64_t ts = 1'700'000'000'000'000;
  // Flushed blocks, merged into extents by Compact, then more flushed blocks
  // after the extents, over several sessions.
  for (int round = 0; round < 6; ++round) {
    auto opened = DBImpl::OpenWithEnv(live, PristineOptions(), Env::Default(), Tuning());
    REQUIRE_MESSAGE(opened.ok(), opened.status().ToString());
    db = std::move(opened).value();
    if (round == 0) REQUIRE(db->CreateTable(p.schema).ok());
    std::vector<Row> rows = RandomRows(p.schema, users, 400, ts, rng);
    ts += 1000;
    AppendOk(db.get(), p.schema, rows);
    add_base(rows);
    REQUIRE(db->Flush().ok());
    if (round == 3) REQUIRE(db->Compact().ok());
    REQUIRE(db->Close().ok());  // writes the index checkpoint
    db.reset();
  }

  // Acknowledged appends that only the WAL holds: the image is copied while
  // the database is open, as a killed process would leave it.
  auto opened = DBImpl::OpenWithEnv(live, PristineOptions(), Env::Default(), Tuning());
  REQUIRE_MESSAGE(opened.ok(), opened.status().ToString());
  db = std::move(opened).value();
  REQUIRE(db->index_source() == "checkpoint");
  for (int i = 0; i < 6; ++i) {
    std::vector<Row> rows = RandomRows(p.schema, {1, 2, 3, 777}, 5 + rng() % 30, ts, rng);
    ts += 100;
    AppendOk(db.get(), p.schema, rows);
    p.wal.push_back(rows);
  }
  CopyDir(live, p.dir);
  REQUIRE(db->Close().ok());
  std::set<uint64_t> all(users.begin(), users.end());
  all.insert(777);
  p.users.assign(all.begin(), all.end());
  return p;
}

// Every column, every row of `user` the database must return with the
// first `k` WAL records applied.
std::vector<Row> Expected(const Pristine& p, uint64_t user, size_t k) {
  std::vector<Row> rows;
  if (auto it = p.base.find(user); it != p.base.end()) rows = it->second;
  for (size_t i = 0; i < k; ++i) {
    for (const Row& r : p.wal[i]) {
      if (std::get<uint64_t>(r[0].v) == user) rows.push_back(r);
    }
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::get<int64_t>(a[1].v) < std::get<int64_t>(b[1].v);
  });
  return rows;
}

// What a damaged copy may do.
struct Rule {
  std::string file;             // the damaged file's name; errors must name it
  bool open_must_fail = false;  // a truncated segment or non-last WAL file
  bool open_must_succeed = false;
  bool must_rebuild_index = false;
  bool reads_may_fail = false;    // damage met when a block is read
  std::set<size_t> wal_prefixes;  // numbers of WAL records the data may hold
};

bool NamesFile(const Status& st, const std::string& file) {
  return st.IsCorruption() && st.message().find(file) != std::string::npos;
}

// Opens `dir` and checks it against `rule`. Returns a description of the
// violation, or "" if none.
std::string Probe(const Pristine& p, const std::string& dir, const Rule& rule,
                  const std::string& what) {
  Options o = PristineOptions();
  o.sync = SyncMode::kNone;
  auto opened = DBImpl::OpenWithEnv(dir, o, Env::Default(), Tuning());
  if (!opened.ok()) {
    if (rule.open_must_succeed) return what + ": open failed: " + opened.status().ToString();
    if (!NamesFile(opened.status(), rule.file)) {
      return what + ": open failed without a Corruption naming " + rule.file + ": " +
             opened.status().ToString();
    }
    return "";
  }
  std::unique_ptr<DBImpl> db = std::move(opened).value();
  if (rule.open_must_fail) return what + ": open succeeded";
  if (rule.must_rebuild_index && db->index_source().rfind("rebuilt", 0) != 0) {
    return what + ": index source is '" + db->index_source() + "', want rebuilt";
  }
  std::string problem;
  auto read_failed = [&](const Status& st, const std::string& op) {
    if (problem.empty() && !(rule.reads_may_fail && NamesFile(st, rule.file))) {
      problem = what + ": " + op + ": " + st.ToString();
    }
  };
  // Every user's full sequence, once per user and once batched.
  std::map<uint64_t, Batch> got;
  for (uint64_t u : p.users) {
    auto r = db->Read(kTable, u, ReadOptions{});
    if (r.ok()) {
      got[u] = std::move(r).value();
    } else {
      read_failed(r.status(), "read of user " + std::to_string(u));
    }
  }
  std::vector<Batch> many;
  if (auto r = db->ReadMany(kTable, p.users, ReadOptions{}); r.ok()) {
    many = std::move(r).value();
  } else {
    read_failed(r.status(), "ReadMany");
  }
  std::vector<uint64_t> listed;
  if (auto r = db->ListUsers(kTable, std::nullopt, 1000); r.ok()) {
    listed = std::move(r).value();
  } else {
    read_failed(r.status(), "ListUsers");
  }
  if (!problem.empty()) return problem;
  // The data must be one of the allowed states, the same for every read.
  std::string why;
  for (size_t k : rule.wal_prefixes) {
    why.clear();
    for (const auto& [u, b] : got) {
      std::string d = DiffRows(b, Expected(p, u, k));
      if (!d.empty()) {
        why = "user " + std::to_string(u) + ": " + d;
        break;
      }
    }
    for (size_t i = 0; why.empty() && i < many.size(); ++i) {
      std::string d = DiffRows(many[i], Expected(p, p.users[i], k));
      if (!d.empty()) why = "ReadMany user " + std::to_string(p.users[i]) + ": " + d;
    }
    if (why.empty() && !listed.empty()) {
      std::vector<uint64_t> want;
      for (uint64_t u : p.users) {
        if (!Expected(p, u, k).empty()) want.push_back(u);
      }
      if (listed != want) why = "ListUsers differs";
    }
    if (why.empty()) return "";
  }
  return what + ": wrong data returned (" + why + ")";
}

// The byte ranges [begin, end) of each record of a WAL file, parsed from
// docs/format/wal.md: a 24-byte header, then checksum u64 | length u32 |
// type u8 | payload.
std::vector<std::pair<uint64_t, uint64_t>> WalRecords(const std::vector<uint8_t>& f) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  REQUIRE(f.size() >= 24);
  REQUIRE(std::string(f.begin(), f.begin() + 8) == "LASERWAL");
  uint64_t off = 24;
  while (off < f.size()) {
    REQUIRE(off + 13 <= f.size());
    const uint32_t len =
        static_cast<uint32_t>(f[off + 8]) | static_cast<uint32_t>(f[off + 9]) << 8 |
        static_cast<uint32_t>(f[off + 10]) << 16 | static_cast<uint32_t>(f[off + 11]) << 24;
    out.emplace_back(off, off + 13 + len);
    off += 13 + len;
  }
  REQUIRE(off == f.size());
  return out;
}

struct FileKind {
  std::string name;
  enum { kManifest, kIndex, kSegment, kWal } kind;
};

// Positions to damage: the first and last bytes, the bytes around
// `boundaries`, and a seeded sample.
std::vector<uint64_t> Positions(uint64_t size, size_t sample, std::mt19937_64& rng,
                                const std::vector<uint64_t>& boundaries = {}) {
  std::set<uint64_t> pos = {0, size - 1};
  for (uint64_t b : boundaries) {
    for (uint64_t q : {b - 1, b, b + 1}) {
      if (q < size) pos.insert(q);
    }
  }
  for (size_t i = 0; i < sample; ++i) pos.insert(rng() % size);
  return std::vector<uint64_t>(pos.begin(), pos.end());
}

uint64_t Seed() {
  const char* s = std::getenv("LASER_ROBUST_SEED");
  return s != nullptr ? std::strtoull(s, nullptr, 0) : 0xc0ffee;
}

// Damages each file of kind `kinds` of the pristine image in turn, probing
// every damaged copy; returns the violations.
std::vector<std::string> DamageAll(const Pristine& p, const std::string& work,
                                   const std::vector<FileKind>& files, bool drop_checkpoint,
                                   size_t flips, size_t truncations, std::mt19937_64& rng) {
  std::vector<std::string> violations;
  // WAL files in number order; the last one is the live file.
  std::vector<std::string> wal_files;
  for (const auto& e : std::filesystem::directory_iterator(p.dir)) {
    const std::string n = e.path().filename().string();
    if (n.ends_with(".wal")) wal_files.push_back(n);
  }
  std::sort(wal_files.begin(), wal_files.end());
  // Index of the first WAL record of each file.
  std::map<std::string, size_t> first_record;
  size_t records = 0;
  for (const std::string& w : wal_files) {
    first_record[w] = records;
    records += WalRecords(ReadAll(p.dir + "/" + w)).size();
  }
  REQUIRE(records == p.wal.size());

  for (const FileKind& f : files) {
    const std::vector<uint8_t> orig = ReadAll(p.dir + "/" + f.name);
    REQUIRE(!orig.empty());
    const bool last_wal = f.kind == FileKind::kWal && f.name == wal_files.back();
    std::vector<std::pair<uint64_t, uint64_t>> recs;
    std::vector<uint64_t> bounds;
    if (f.kind == FileKind::kWal) {
      recs = WalRecords(orig);
      bounds.push_back(24);
      for (const auto& r : recs) bounds.push_back(r.second);
    }
    auto prepare = [&](const std::vector<uint8_t>& bytes) {
      CopyDir(p.dir, work);
      if (drop_checkpoint) std::filesystem::remove(work + "/INDEX");
      WriteAll(work + "/" + f.name, bytes);
    };
    // Flips.
    for (uint64_t pos : Positions(orig.size(), flips, rng, bounds)) {
      std::vector<uint8_t> bytes = orig;
      const uint8_t mask = rng() % 3 == 0 ? 0xff : static_cast<uint8_t>(1u << (rng() % 8));
      bytes[pos] ^= mask;
      prepare(bytes);
      Rule rule;
      rule.file = f.name;
      rule.wal_prefixes = {p.wal.size()};
      switch (f.kind) {
        case FileKind::kManifest:
          break;
        case FileKind::kIndex:
          rule.open_must_succeed = true;
          rule.must_rebuild_index = true;
          break;
        case FileKind::kSegment:
          rule.reads_may_fail = true;
          break;
        case FileKind::kWal:
          // A flip in the last record of the last file may read as a torn
          // write of that record.
          if (last_wal && !recs.empty() && pos >= recs.back().first) {
            rule.wal_prefixes.insert(p.wal.size() - 1);
          }
          break;
      }
      std::string v =
          Probe(p, work, rule,
                f.name + " byte " + std::to_string(pos) + " ^= " + std::to_string(mask) +
                    (drop_checkpoint ? " (no checkpoint)" : ""));
      if (!v.empty()) violations.push_back(v);
    }
    // Truncations.
    std::vector<uint64_t> lengths = Positions(orig.size(), truncations, rng, bounds);
    for (uint64_t len : lengths) {
      std::vector<uint8_t> bytes(orig.begin(), orig.begin() + static_cast<ptrdiff_t>(len));
      prepare(bytes);
      Rule rule;
      rule.file = f.name;
      rule.wal_prefixes = {p.wal.size()};
      switch (f.kind) {
        case FileKind::kManifest:
          break;
        case FileKind::kIndex:
          rule.open_must_succeed = true;
          rule.must_rebuild_index = true;
          break;
        case FileKind::kSegment:
          rule.open_must_fail = true;
          break;
        case FileKind::kWal:
          if (last_wal) {
            // Records wholly inside the kept prefix, after the earlier files'.
            size_t kept = 0;
            for (const auto& r : recs) kept += r.second <= len ? 1 : 0;
            rule.open_must_succeed = true;
            rule.wal_prefixes = {first_record[f.name] + kept};
          } else {
            rule.open_must_fail = true;
          }
          break;
      }
      std::string v =
          Probe(p, work, rule,
                f.name + " truncated to " + std::to_string(len) + " of " +
                    std::to_string(orig.size()) + (drop_checkpoint ? " (no checkpoint)" : ""));
      if (!v.empty()) violations.push_back(v);
    }
  }
  return violations;
}

struct Fixture {
  ScratchDir tmp;
  Pristine p = BuildPristine(tmp.path());
  std::vector<FileKind> files;
  std::mt19937_64 rng{Seed()};

  Fixture() {
    std::vector<FileKind> all;
    for (const auto& e : std::filesystem::directory_iterator(p.dir)) {
      const std::string n = e.path().filename().string();
      if (n == "MANIFEST") {
        files.push_back({n, FileKind::kManifest});
      } else if (n == "INDEX") {
        files.push_back({n, FileKind::kIndex});
      } else if (n.ends_with(".seg")) {
        files.push_back({n, FileKind::kSegment});
      } else if (n.ends_with(".wal")) {
        files.push_back({n, FileKind::kWal});
      }
    }
    std::sort(files.begin(), files.end(),
              [](const FileKind& a, const FileKind& b) { return a.name < b.name; });
  }

  std::vector<FileKind> Of(decltype(FileKind::kind) kind) const {
    std::vector<FileKind> out;
    for (const FileKind& f : files) {
      if (f.kind == kind) out.push_back(f);
    }
    return out;
  }
};

void Report(const std::vector<std::string>& violations) {
  for (size_t i = 0; i < violations.size() && i < 20; ++i) MESSAGE(violations[i]);
  CHECK_MESSAGE(violations.empty(), violations.size() << " damaged copies broke the rule");
}

TEST_CASE("corruption: the pristine image has every file kind and reads back exactly") {
  Fixture fx;
  CHECK(fx.Of(FileKind::kManifest).size() == 1);
  CHECK(fx.Of(FileKind::kIndex).size() == 1);
  CHECK(fx.Of(FileKind::kSegment).size() >= 2);
  // A finished WAL file and the live one with the unflushed records.
  CHECK(fx.Of(FileKind::kWal).size() >= 2);
  CHECK(fx.p.wal.size() == 6);
  Rule rule;
  rule.file = "-";
  rule.open_must_succeed = true;
  rule.wal_prefixes = {fx.p.wal.size()};
  const std::string work = fx.tmp.path() + "/work";
  CopyDir(fx.p.dir, work);
  CHECK(Probe(fx.p, work, rule, "pristine") == "");
}

TEST_CASE("corruption: WAL files, flipped and truncated") {
  Fixture fx;
  Report(DamageAll(fx.p, fx.tmp.path() + "/work", fx.Of(FileKind::kWal), false, 20, 8, fx.rng));
}

TEST_CASE("corruption: segment files, flipped and truncated, with the checkpoint") {
  Fixture fx;
  Report(DamageAll(fx.p, fx.tmp.path() + "/work", fx.Of(FileKind::kSegment), false, 12, 3, fx.rng));
}

TEST_CASE("corruption: segment files, flipped and truncated, index rebuilt by a scan") {
  Fixture fx;
  Report(DamageAll(fx.p, fx.tmp.path() + "/work", fx.Of(FileKind::kSegment), true, 10, 2, fx.rng));
}

TEST_CASE("corruption: index checkpoint, flipped and truncated") {
  Fixture fx;
  Report(DamageAll(fx.p, fx.tmp.path() + "/work", fx.Of(FileKind::kIndex), false, 20, 8, fx.rng));
}

TEST_CASE("corruption: MANIFEST, flipped and truncated") {
  Fixture fx;
  Report(
      DamageAll(fx.p, fx.tmp.path() + "/work", fx.Of(FileKind::kManifest), false, 60, 10, fx.rng));
}

}  // namespace
}  // namespace laser::robust
