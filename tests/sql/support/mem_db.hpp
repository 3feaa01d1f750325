// MemDB: an in-memory implementation of the laser::DB interface for the
// query layer's tests. It follows DB's documented contracts (atomic appends,
// order-key order with ties in arrival order, ranges, last_n, projection,
// ListUsers paging, max_events retention) without any storage.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "laser/db.hpp"

namespace laser::testing {

class MemDB : public DB {
 public:
  Status CreateTable(const TableSchema& schema) override;
  Status DropTable(std::string_view name) override;
  Status AddColumn(std::string_view table, const Column& column) override;
  Result<TableSchema> GetTable(std::string_view name) const override;
  std::vector<std::string> ListTables() const override;
  Status CreateModel(std::string_view name, const std::string& source_path) override;
  Status DropModel(std::string_view name) override;
  Result<ModelInfo> GetModel(std::string_view name) const override;
  std::vector<ModelInfo> ListModels() const override;
  Status Append(std::string_view table, const Batch& rows) override;
  Result<Batch> Read(std::string_view table, uint64_t user, const ReadOptions& options) override;
  Result<std::vector<Batch>> ReadMany(std::string_view table, std::span<const uint64_t> users,
                                      const ReadOptions& options) override;
  Result<std::vector<uint64_t>> ListUsers(std::string_view table, std::optional<uint64_t> after,
                                          size_t limit) override;
  Status Flush() override { return Status::OK(); }
  Status Compact() override { return Status::OK(); }
  Stats GetStats() override { return Stats(); }

  // Test hooks: how many users Read/ReadMany were asked for in total.
  uint64_t users_read() const { return users_read_; }
  // Makes the next Append fail with IOError (once).
  void FailNextAppend() { fail_next_append_ = true; }
  uint64_t appends() const { return appends_; }

 private:
  struct Table {
    TableSchema schema;
    // user -> rows (each row: one Value per schema column), in order-key order.
    std::map<uint64_t, std::vector<std::vector<Value>>> users;
  };
  Table* Find(std::string_view name);
  const Table* Find(std::string_view name) const;

  mutable std::mutex mu_;
  std::map<std::string, Table> tables_;
  std::map<std::string, ModelInfo> models_;
  uint64_t users_read_ = 0;
  uint64_t appends_ = 0;
  bool fail_next_append_ = false;
};

}  // namespace laser::testing
