// A Backend with scripted answers, for testing the shell without an engine.
#pragma once

#include <atomic>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "shell/backend.hpp"

namespace laser::shell {

// Answers "SELECT <n>" (any blank space between) with one I64 column "n", "SELECT 'text'" with a
// string, "SLEEP" by waiting for Interrupt, and anything else with an error carrying a caret line,
// as the engine does.
class VectorStream : public RowStream {
 public:
  VectorStream(std::vector<Column> columns, std::vector<Batch> batches)
      : columns_(std::move(columns)), batches_(std::move(batches)) {}
  const std::vector<Column>& columns() const override { return columns_; }
  Result<bool> Next(Batch* out) override {
    if (next_ == batches_.size()) return false;
    *out = batches_[next_++];
    return true;
  }
  uint64_t rows_affected() const override { return 0; }

 private:
  std::vector<Column> columns_;
  std::vector<Batch> batches_;
  size_t next_ = 0;
};

struct ResultSet {
  std::vector<Column> columns;
  std::vector<Batch> batches;
};

class ScriptedBackend : public Backend {
 public:
  Result<std::unique_ptr<RowStream>> Execute(std::string_view sql) override {
    Result<ResultSet> rs = Run(sql);
    if (!rs.ok()) return rs.status();
    return std::unique_ptr<RowStream>(
        std::make_unique<VectorStream>(std::move(rs->columns), std::move(rs->batches)));
  }

  Result<ResultSet> Run(std::string_view sql) {
    executed.emplace_back(sql);
    calls.fetch_add(1);
    std::smatch m;
    const std::string s(sql);
    if (std::regex_match(s, m, std::regex(R"(SELECT\s+(-?\d+))"))) {
      ResultSet rs;
      Column c;
      c.name = "n";
      c.type = Type::kI64;
      rs.columns = {c};
      Batch b;
      b.AddColumn("n", Type::kI64).Append(Value::Int(std::stoll(m[1])));
      rs.batches.push_back(std::move(b));
      return rs;
    }
    if (std::regex_match(s, m, std::regex(R"(SELECT '([^']*)')"))) {
      ResultSet rs;
      Column c;
      c.name = "s";
      c.type = Type::kString;
      rs.columns = {c};
      Batch b;
      b.AddColumn("s", Type::kString).Append(Value::String(m[1]));
      rs.batches.push_back(std::move(b));
      return rs;
    }
    if (s == "SLEEP") {
      while (!interrupted.load()) std::this_thread::yield();
      interrupted.store(false);
      return Status::Aborted("interrupted");
    }
    if (s.rfind("COPY ", 0) == 0 || s.rfind("CREATE ", 0) == 0) return ResultSet{};
    return Status::InvalidArgument("1:1: syntax error at '" + s.substr(0, s.find_first_of(" \n")) +
                                   "'\n" + s + "\n^");
  }
  void Interrupt() override { interrupted.store(true); }
  std::vector<std::string> ListTables() override { return {"zeta", "events"}; }
  Result<TableSchema> GetTable(std::string_view name) override {
    if (name != "events" && name != "zeta") {
      return Status::NotFound("no such table: " + std::string(name));
    }
    TableSchema t;
    t.name = std::string(name);
    Column u;
    u.name = "user_id";
    u.type = Type::kU64;
    Column ts;
    ts.name = "ts";
    ts.type = Type::kI64;
    t.columns = {u, ts};
    return t;
  }
  std::vector<ModelInfo> ListModels() override { return {{"ranker", "/db/models/ranker"}}; }
  Stats GetStats() override {
    Stats s;
    s.users = 3;
    s.events = 42;
    s.disk_bytes = 2'500'000;
    s.index_bytes = 4096;
    s.cache_hits = 3;
    s.cache_misses = 1;
    s.io_backend = "pread";
    s.io_fallback_reason = "io_uring disabled";
    return s;
  }
  void SetProgress(ProgressFn) override {}

  std::vector<std::string> executed;
  std::atomic<int> calls{0};  // readable from other threads, unlike `executed`
  std::atomic<bool> interrupted{false};
};

}  // namespace laser::shell
