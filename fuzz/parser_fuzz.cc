// libFuzzer target: the lexer, parser, binder and planner on arbitrary text,
// against a small catalog (MemDB with one table). Plans are built, never
// run, so no input touches files. Must never crash, hang or leak; errors are
// expected and must carry a caret line.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sql/parser.hpp"
#include "sql/planner.hpp"
#include "tests/sql/support/mem_db.hpp"

namespace {

laser::testing::MemDB* Catalog() {
  static laser::testing::MemDB* db = [] {
    auto* d = new laser::testing::MemDB();
    laser::TableSchema t;
    t.name = "events";
    auto col = [](const char* n, laser::Type ty) {
      laser::Column c;
      c.name = n;
      c.type = ty;
      return c;
    };
    t.columns = {col("user_id", laser::Type::kU64), col("ts", laser::Type::kTimestamp),
                 col("item_id", laser::Type::kU64), col("action", laser::Type::kEnum),
                 col("dwell", laser::Type::kF32),   col("note", laser::Type::kString)};
    t.columns[0].nullable = false;
    t.columns[1].nullable = false;
    t.columns[3].enum_values = {"pv", "buy", "cart", "fav"};
    (void)d->CreateTable(t);
    return d;
  }();
  return db;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  const std::string src(reinterpret_cast<const char*>(data), size);
  auto stmts = laser::sql::Parse(src);
  if (!stmts.ok()) {
    if (stmts.status().message().find("LINE ") == std::string::npos) __builtin_trap();
    return 0;
  }
  std::vector<laser::Value> params;
  for (int i = 0; i < 16; ++i) params.push_back(laser::Value::Int(i));
  for (const auto& st : *stmts) {
    if (st.num_params > 16) continue;
    auto plan = laser::sql::PlanStatement(Catalog(), src, st, params, {});
    (void)plan;
  }
  return 0;
}
