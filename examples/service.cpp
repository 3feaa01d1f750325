// A service-style program: opens (or creates) a database, appends a burst of
// events through a prepared INSERT, then answers "last N events of a user"
// and a per-action summary, as a recommendation service would per request.
// Usage: service_cpp DB_DIR
#include <cstdio>
#include <laser/laser.hpp>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DB_DIR\n", argv[0]);
    return 2;
  }
  laser::Options options;
  options.sync = laser::SyncMode::kInterval;
  auto conn = laser::Connection::Open(argv[1], options);
  if (!conn.ok()) {
    std::fprintf(stderr, "open: %s\n", conn.status().ToString().c_str());
    return 1;
  }
  auto& db = *conn;
  auto created = db->Execute(
      "CREATE TABLE IF NOT EXISTS events (user_id U64 PARTITION KEY, ts TIMESTAMP(ms) ORDER KEY, "
      "item_id U64, action ENUM('pv','buy','cart','fav'))");
  if (!created.ok()) {
    std::fprintf(stderr, "%s\n", created.status().ToString().c_str());
    return 1;
  }
  auto insert = db->Prepare("INSERT INTO events VALUES (?, ?, ?, ?)");
  if (!insert.ok()) return 1;
  const char* actions[] = {"pv", "buy", "cart", "fav"};
  for (int i = 0; i < 100; ++i) {
    (void)(*insert)->Bind(1, laser::Value::UInt(static_cast<uint64_t>(i % 5)));
    (void)(*insert)->Bind(2, laser::Value::Int(1700000000000 + i * 1000));
    (void)(*insert)->Bind(3, laser::Value::UInt(static_cast<uint64_t>(1000 + i)));
    (void)(*insert)->Bind(4, laser::Value::String(actions[i % 4]));
    auto r = (*insert)->Execute();
    if (!r.ok()) {
      std::fprintf(stderr, "insert: %s\n", r.status().ToString().c_str());
      return 1;
    }
  }
  auto last = db->Prepare("SELECT item_id, action, ts FROM events WHERE user_id = ? LAST 3");
  if (!last.ok()) return 1;
  (void)(*last)->Bind(1, laser::Value::UInt(2));
  auto rows = (*last)->Execute();
  if (!rows.ok()) {
    std::fprintf(stderr, "query: %s\n", rows.status().ToString().c_str());
    return 1;
  }
  std::printf("%s", rows->ToString().c_str());
  auto summary = db->Execute(
      "SELECT action, count(*) AS n FROM events WHERE user_id = 2 GROUP BY action ORDER BY action");
  if (!summary.ok()) return 1;
  std::printf("%s", summary->ToString().c_str());
  return 0;
}
