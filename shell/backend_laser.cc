// The Backend of the `laser` binary: a laser::Connection and its DB.
#include <memory>

#include "engine/util/status_macros.hpp"
#include "laser/laser.hpp"
#include "shell/backend.hpp"

namespace laser::shell {
namespace {

class LaserRowStream : public RowStream {
 public:
  explicit LaserRowStream(std::unique_ptr<ResultStream> s) : stream_(std::move(s)) {
    for (const ResultColumn& rc : stream_->columns()) {
      Column c;
      c.name = rc.name;
      c.type = rc.type;
      c.unit = rc.unit;
      columns_.push_back(std::move(c));
    }
  }
  const std::vector<Column>& columns() const override { return columns_; }
  Result<bool> Next(Batch* out) override { return stream_->Next(out); }
  uint64_t rows_affected() const override { return stream_->rows_affected(); }

 private:
  std::unique_ptr<ResultStream> stream_;
  std::vector<Column> columns_;
};

class LaserBackend : public Backend {
 public:
  explicit LaserBackend(std::unique_ptr<Connection> conn) : conn_(std::move(conn)) {}

  Result<std::unique_ptr<RowStream>> Execute(std::string_view sql) override {
    LASER_ASSIGN_OR_RETURN(std::unique_ptr<ResultStream> s, conn_->Stream(sql));
    return std::unique_ptr<RowStream>(std::make_unique<LaserRowStream>(std::move(s)));
  }
  void Interrupt() override { conn_->Interrupt(); }
  std::vector<std::string> ListTables() override { return conn_->db()->ListTables(); }
  Result<TableSchema> GetTable(std::string_view name) override {
    return conn_->db()->GetTable(name);
  }
  std::vector<ModelInfo> ListModels() override { return conn_->db()->ListModels(); }
  Stats GetStats() override { return conn_->db()->GetStats(); }
  void SetProgress(ProgressFn fn) override {
    if (!fn) {
      conn_->SetProgressHandler(nullptr);
      return;
    }
    conn_->SetProgressHandler([fn = std::move(fn)](std::string_view what, std::string_view unit,
                                                   uint64_t done, uint64_t total) {
      fn(Progress{what, unit, done, total});
    });
  }

 private:
  std::unique_ptr<Connection> conn_;
};

}  // namespace

Result<std::unique_ptr<Backend>> MakeLaserBackend(const std::string& dir, bool readonly) {
  Options options;
  options.read_only = readonly;
  options.create_if_missing = !readonly;
  Result<std::unique_ptr<Connection>> conn = Connection::Open(dir, options);
  if (!conn.ok()) return conn.status().WithContext("cannot open database '" + dir + "'");
  return std::unique_ptr<Backend>(std::make_unique<LaserBackend>(std::move(*conn)));
}

}  // namespace laser::shell
