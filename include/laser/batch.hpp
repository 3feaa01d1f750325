// Column batches: how events go into and come out of Laser.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "laser/schema.hpp"

namespace laser {

// One column of a batch. Exactly one lane vector is used, chosen by LaneOf(type);
// its size is the batch's row count. `nulls` is empty when no row is NULL,
// else it has one byte per row (1 = NULL; the lane holds a zero value there).
struct ColumnVector {
  Type type = Type::kI64;
  std::vector<int64_t> ints;
  std::vector<uint64_t> uints;
  std::vector<double> floats;
  std::vector<std::string> strings;
  std::vector<uint8_t> nulls;

  ColumnVector() = default;
  explicit ColumnVector(Type t) : type(t) {}

  size_t size() const;
  bool IsNull(size_t row) const { return !nulls.empty() && nulls[row] != 0; }
  // Appends v, which must already be of this column's lane (or NULL).
  void Append(const Value& v);
  // Returns row `row` as a Value (NULL, Int, UInt, Float or String).
  Value Get(size_t row) const;
  void Reserve(size_t n);
  void Clear();
};

// A set of equally long named columns.
struct Batch {
  std::vector<std::string> names;
  std::vector<ColumnVector> columns;

  size_t num_rows() const { return columns.empty() ? 0 : columns[0].size(); }
  size_t num_columns() const { return columns.size(); }
  // Returns the index of the column named `name` (case-insensitive), or -1.
  int Find(std::string_view name) const;
  // Adds an empty column.
  ColumnVector& AddColumn(std::string name, Type type);
  // Returns OK iff every column has the same length and a consistent lane.
  Status Validate() const;
};

}  // namespace laser
