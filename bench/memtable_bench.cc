// Memtable write/read cost: ns per inserted event, ns per event read back by
// ReadUser, and arena bytes per event.
//
// Workload (flags: --events N --users N --batch N): real-time ingest, events
// interleaved across users (Zipf-free uniform pick), each user's timestamps
// ascending, 6 columns (user, ts, item u64, action enum, category i32, dwell
// f32), inserted in batches as the WAL group commit applies them. Reads go
// over every user in order, then (--random-reads N, default users) N reads
// of random users with the columns a last-N query asks for, as a service
// reads them: each a cold user.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "engine/memtable/memtable.hpp"
#include "engine/memtable/row_codec.hpp"

namespace {

using laser::Batch;
using laser::Column;
using laser::MemTable;
using laser::TableSchema;
using laser::Type;

TableSchema EventSchema() {
  TableSchema s;
  s.name = "events";
  const auto add = [&](const char* name, Type t) {
    Column c;
    c.name = name;
    c.type = t;
    s.columns.push_back(c);
  };
  add("user_id", Type::kU64);
  add("ts", Type::kTimestamp);
  add("item_id", Type::kU64);
  add("action", Type::kEnum);
  add("category", Type::kI32);
  add("dwell", Type::kF32);
  s.columns[3].enum_values = {"a0", "a1", "a2", "a3", "a4"};
  s.partition_key = 0;
  s.order_key = 1;
  return s;
}

// CPU time of this thread: the figure that matters on a shared machine.
double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

size_t Flag(int argc, char** argv, const char* name, size_t def) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return std::strtoull(argv[i + 1], nullptr, 10);
  }
  return def;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t events = Flag(argc, argv, "--events", 1000000);
  const size_t users = Flag(argc, argv, "--users", 10000);
  const size_t batch_rows = Flag(argc, argv, "--batch", 256);
  const size_t random_reads = Flag(argc, argv, "--random-reads", users);
  const TableSchema schema = EventSchema();

  // Pre-build every batch so that only MemTable work is timed.
  std::mt19937_64 rng(42);
  std::vector<int64_t> next_ts(users, 1'700'000'000'000);
  std::vector<Batch> batches;
  for (size_t done = 0; done < events;) {
    Batch b;
    for (const Column& c : schema.columns) b.AddColumn(c.name, c.type);
    const size_t n = std::min(batch_rows, events - done);
    for (size_t r = 0; r < n; ++r) {
      const uint64_t u = rng() % users;
      next_ts[u] += static_cast<int64_t>(rng() % 5000);
      b.columns[0].uints.push_back(u);
      b.columns[1].ints.push_back(next_ts[u]);
      b.columns[2].uints.push_back(rng() % 1000000);
      b.columns[3].ints.push_back(static_cast<int64_t>(rng() % 5));
      b.columns[4].ints.push_back(static_cast<int64_t>(rng() % 300));
      b.columns[5].floats.push_back(static_cast<float>(rng() % 10000) / 100.0f);
    }
    done += n;
    batches.push_back(std::move(b));
  }

  MemTable mem;
  const double t0 = CpuSeconds();
  uint64_t seq = 1;
  for (const Batch& b : batches) {
    mem.Insert(1, schema, b, seq);
    seq += b.num_rows();
  }
  const double t1 = CpuSeconds();

  // The events of user u projected onto `columns`; exits on an error.
  const auto read_user = [&](uint64_t u, const std::vector<uint32_t>& columns) {
    Batch out;
    auto n = mem.ReadUser(1, u, schema, columns, std::nullopt, std::nullopt, &out);
    if (!n.ok()) {
      std::fprintf(stderr, "ReadUser user %llu: %s\n", static_cast<unsigned long long>(u),
                   n.status().ToString().c_str());
      std::exit(1);
    }
    return *n;
  };
  const std::vector<uint32_t> all = laser::rowcodec::AllColumns(schema);
  size_t read = 0;
  for (uint64_t u = 0; u < users; ++u) read += read_user(u, all);
  const double t2 = CpuSeconds();
  if (read != events || mem.NumEvents() != events) {
    std::fprintf(stderr, "read %zu events, memtable holds %llu, inserted %zu\n", read,
                 static_cast<unsigned long long>(mem.NumEvents()), events);
    return 1;
  }

  const std::vector<uint32_t> query = {1, 2, 3, 4, 5};  // every column but the user
  std::mt19937_64 pick(7);
  size_t random_read = 0;
  const double t3 = CpuSeconds();
  for (size_t i = 0; i < random_reads; ++i) random_read += read_user(pick() % users, query);
  const double t4 = CpuSeconds();
  std::printf(
      "events=%zu users=%zu batch=%zu insert_cpu_ns_per_event=%.1f readuser_cpu_ns_per_event=%.1f "
      "random_readuser_cpu_ns_per_event=%.1f random_readuser_cpu_us_per_user=%.2f "
      "bytes_per_event=%.1f\n",
      events, users, batch_rows, (t1 - t0) * 1e9 / static_cast<double>(events),
      (t2 - t1) * 1e9 / static_cast<double>(events),
      random_read == 0 ? 0.0 : (t4 - t3) * 1e9 / static_cast<double>(random_read),
      random_reads == 0 ? 0.0 : (t4 - t3) * 1e6 / static_cast<double>(random_reads),
      static_cast<double>(mem.ApproximateBytes()) / static_cast<double>(events));
  return 0;
}
