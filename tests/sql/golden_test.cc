// Runs every tests/golden/*.sql file against MemDB through the C++ API and
// compares each statement's output (or error text) with the file.
//
// File format: blocks separated by blank lines. A block is a directive line,
// SQL lines, a "----" line, then the expected output lines:
//   statement ok      the SQL must succeed (no "----" part)
//   query             the SQL's result as QueryResult::ToString()
//   error             the SQL must fail; expected = Status::ToString()
// Lines starting with "#" between blocks are comments. Statements run in a
// scratch directory where data/ is tests/data, so that paths in SQL, and the
// error positions that follow from them, are the same on every checkout.
// With LASER_GOLDEN_UPDATE=1 the files are rewritten with the actual output.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "laser/laser.hpp"
#include "tests/sql/support/mem_db.hpp"

namespace {

namespace fs = std::filesystem;

std::string SourceDir() {
  const char* e = std::getenv("LASER_SOURCE_DIR");
  return e != nullptr ? e : LASER_SOURCE_DIR;
}

// Restores the working directory however the test case ends.
class ChangeDir {
 public:
  explicit ChangeDir(const fs::path& to) : old_(fs::current_path()) { fs::current_path(to); }
  ~ChangeDir() { fs::current_path(old_); }

 private:
  fs::path old_;
};

struct Block {
  std::string directive;
  std::string sql;
  std::vector<std::string> expected;
  bool has_expected = false;
};

std::vector<Block> ParseFile(const std::string& text, std::vector<std::string>* prelude) {
  std::vector<Block> out;
  std::istringstream in(text);
  std::string line;
  Block cur;
  int state = 0;  // 0 between blocks, 1 sql, 2 expected
  auto flush = [&]() {
    if (!cur.directive.empty()) out.push_back(cur);
    cur = Block();
    state = 0;
  };
  while (std::getline(in, line)) {
    if (state == 0) {
      if (line.empty()) continue;
      if (line[0] == '#') {
        if (out.empty()) prelude->push_back(line);
        continue;
      }
      cur.directive = line;
      state = 1;
    } else if (state == 1) {
      if (line == "----") {
        state = 2;
        cur.has_expected = true;
      } else if (line.empty()) {
        flush();
      } else {
        cur.sql += (cur.sql.empty() ? "" : "\n") + line;
      }
    } else {
      if (line.empty()) {
        flush();
      } else {
        cur.expected.push_back(line);
      }
    }
  }
  flush();
  return out;
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string l;
  while (std::getline(in, l)) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("golden files") {
  const fs::path dir = fs::path(SourceDir()) / "tests" / "golden";
  const bool update = std::getenv("LASER_GOLDEN_UPDATE") != nullptr;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".sql") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 5);
  const fs::path tmp = fs::temp_directory_path() / ("laser_golden_" + std::to_string(getpid()));
  fs::create_directories(tmp);
  fs::create_directory_symlink(fs::path(SourceDir()) / "tests" / "data", tmp / "data");
  std::optional<ChangeDir> in_tmp(tmp);
  for (const fs::path& f : files) {
    std::ifstream in(f);
    std::stringstream ss;
    ss << in.rdbuf();
    std::vector<std::string> prelude;
    std::vector<Block> blocks = ParseFile(ss.str(), &prelude);
    for (const std::string backend : {"memory", "disk"}) {
      // The same file runs on MemDB and on a real database directory.
      laser::testing::MemDB mem;
      std::unique_ptr<laser::Connection> conn;
      if (backend == "memory") {
        conn = laser::Connection::Wrap(&mem);
      } else {
        laser::Options o;
        o.sync = laser::SyncMode::kNone;
        auto c = laser::Connection::Open((tmp / ("db_" + f.stem().string())).string(), o);
        REQUIRE_MESSAGE(c.ok(), c.status().ToString());
        conn = std::move(*c);
      }
      std::string rewritten;
      for (const auto& p : prelude) rewritten += p + "\n";
      if (!prelude.empty()) rewritten += "\n";
      for (Block& b : blocks) {
        auto r = conn->Execute(b.sql);
        std::vector<std::string> actual;
        std::string label = backend + " " + f.filename().string() + ": " + b.sql;
        if (b.directive == "statement ok") {
          INFO(label);
          CHECK_MESSAGE(r.ok(), r.status().ToString());
        } else if (b.directive == "query") {
          INFO(label);
          REQUIRE_MESSAGE(r.ok(), r.status().ToString());
          actual = Lines(r->ToString());
          if (!update) CHECK(actual == b.expected);
        } else if (b.directive == "error") {
          INFO(label);
          REQUIRE_FALSE(r.ok());
          actual = Lines(r.status().ToString());
          if (!update) CHECK(actual == b.expected);
        } else {
          FAIL("unknown directive '" << b.directive << "' in " << f.string());
        }
        rewritten += b.directive + "\n" + b.sql + "\n";
        if (b.directive != "statement ok") {
          rewritten += "----\n";
          for (const auto& l : actual) rewritten += l + "\n";
        }
        rewritten += "\n";
      }
      if (update && backend == "memory") {
        std::ofstream out(f);
        out << rewritten;
      }
    }
  }
  in_tmp.reset();
  fs::remove_all(tmp);
}
