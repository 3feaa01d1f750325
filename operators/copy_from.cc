#include "operators/copy_from.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "engine/util/status_macros.hpp"
#include "operators/expression.hpp"

namespace laser::ops {
namespace {

// Reads a file line by line with one reusable buffer.
class LineReader {
 public:
  explicit LineReader(std::FILE* f) : f_(f) {}
  // Returns false at end of file; `line` excludes the '\n' (and a '\r').
  bool Next(std::string* line) {
    line->clear();
    while (true) {
      if (pos_ == len_) {
        len_ = std::fread(buf_, 1, sizeof(buf_), f_);
        pos_ = 0;
        if (len_ == 0) {
          if (line->empty() && !partial_) return false;
          partial_ = false;
          StripCr(line);
          return true;
        }
      }
      const char* start = buf_ + pos_;
      const void* nl = std::memchr(start, '\n', len_ - pos_);
      if (nl == nullptr) {
        line->append(start, len_ - pos_);
        pos_ = len_;
        partial_ = true;
        continue;
      }
      const size_t n = static_cast<const char*>(nl) - start;
      line->append(start, n);
      pos_ += n + 1;
      partial_ = false;
      StripCr(line);
      return true;
    }
  }
  bool error() const { return std::ferror(f_) != 0; }

 private:
  static void StripCr(std::string* l) {
    if (!l->empty() && l->back() == '\r') l->pop_back();
  }
  std::FILE* f_;
  char buf_[1 << 16];
  size_t pos_ = 0;
  size_t len_ = 0;
  bool partial_ = false;
};

struct RawField {
  std::string text;
  bool quoted = false;
};

// Splits one CSV record, reading more lines while a quoted field spans them.
// Returns false iff a quoted field is never closed.
bool SplitCsv(LineReader* reader, std::string line, char delim, std::vector<RawField>* out,
              uint64_t* line_no) {
  out->clear();
  RawField f;
  size_t i = 0;
  bool in_quotes = false;
  bool field_start = true;
  while (true) {
    if (i >= line.size()) {
      if (in_quotes) {
        std::string more;
        if (!reader->Next(&more)) return false;
        ++*line_no;
        f.text += '\n';
        line = std::move(more);
        i = 0;
        continue;
      }
      out->push_back(std::move(f));
      return true;
    }
    const char c = line[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          f.text += '"';
          i += 2;
          continue;
        }
        in_quotes = false;
        ++i;
        continue;
      }
      f.text += c;
      ++i;
      continue;
    }
    if (c == '"' && field_start) {
      in_quotes = true;
      f.quoted = true;
      field_start = false;
      ++i;
      continue;
    }
    if (c == delim) {
      out->push_back(std::move(f));
      f = RawField();
      field_start = true;
      ++i;
      continue;
    }
    f.text += c;
    field_start = false;
    ++i;
  }
}

// A minimal parser of one flat JSON object per line: string, number,
// true/false/null values. Returns an error message, or empty on success.
std::string ParseJsonObject(std::string_view s, std::vector<std::pair<std::string, RawField>>* out,
                            std::vector<bool>* is_null) {
  out->clear();
  is_null->clear();
  size_t i = 0;
  auto ws = [&]() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) ++i;
  };
  auto str = [&](std::string* o) -> std::string {
    if (i >= s.size() || s[i] != '"') return "expected a string";
    ++i;
    while (i < s.size() && s[i] != '"') {
      if (s[i] == '\\') {
        if (++i >= s.size()) return "unterminated string";
        switch (s[i]) {
          case 'n':
            *o += '\n';
            break;
          case 't':
            *o += '\t';
            break;
          case 'r':
            *o += '\r';
            break;
          case 'b':
            *o += '\b';
            break;
          case 'f':
            *o += '\f';
            break;
          case 'u': {
            if (i + 4 >= s.size()) return "bad \\u escape";
            unsigned cp = 0;
            auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 5, cp, 16);
            if (ec != std::errc() || p != s.data() + i + 5) return "bad \\u escape";
            if (cp < 0x80) {
              *o += static_cast<char>(cp);
            } else if (cp < 0x800) {
              *o += static_cast<char>(0xC0 | (cp >> 6));
              *o += static_cast<char>(0x80 | (cp & 0x3F));
            } else {
              *o += static_cast<char>(0xE0 | (cp >> 12));
              *o += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
              *o += static_cast<char>(0x80 | (cp & 0x3F));
            }
            i += 4;
            break;
          }
          default:
            *o += s[i];
        }
        ++i;
        continue;
      }
      *o += s[i++];
    }
    if (i >= s.size()) return "unterminated string";
    ++i;
    return {};
  };
  ws();
  if (i >= s.size() || s[i] != '{') return "expected '{'";
  ++i;
  ws();
  if (i < s.size() && s[i] == '}') {
    ++i;
  } else {
    while (true) {
      ws();
      std::string key;
      if (std::string e = str(&key); !e.empty()) return e;
      ws();
      if (i >= s.size() || s[i] != ':') return "expected ':'";
      ++i;
      ws();
      RawField f;
      bool null = false;
      if (i < s.size() && s[i] == '"') {
        if (std::string e = str(&f.text); !e.empty()) return e;
        f.quoted = true;
      } else {
        const size_t b = i;
        while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ' ' && s[i] != '\t') ++i;
        f.text = std::string(s.substr(b, i - b));
        if (f.text.empty()) return "expected a value";
        if (f.text == "null") null = true;
        if (f.text[0] == '{' || f.text[0] == '[') return "nested values are not supported";
      }
      out->emplace_back(std::move(key), std::move(f));
      is_null->push_back(null);
      ws();
      if (i < s.size() && s[i] == ',') {
        ++i;
        continue;
      }
      if (i < s.size() && s[i] == '}') {
        ++i;
        break;
      }
      return "expected ',' or '}'";
    }
  }
  ws();
  if (i != s.size()) return "unexpected text after the object";
  return {};
}

bool IsInteger(std::string_view s) {
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (i >= s.size()) return false;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

}  // namespace

CopyFromOp::CopyFromOp(CopyFromSpec spec) : spec_(std::move(spec)) {}

std::string CopyFromOp::Details() const {
  return spec_.table.name + " <- '" + spec_.path + "', " + (spec_.jsonl ? "jsonl" : "csv");
}

Status CopyFromOp::Pass(bool commit, uint64_t* rows_out, bool* staged_all, Batch* staged) {
  const std::string where = "COPY " + spec_.table.name + " FROM '" + spec_.path + "'";
  std::FILE* f = std::fopen(spec_.path.c_str(), "rb");
  if (f == nullptr) return Status::FromErrno(where + ": cannot open the file", errno);
  struct Closer {
    std::FILE* f;
    ~Closer() { std::fclose(f); }
  } closer{f};
  LineReader reader(f);
  // For the progress report: the file's size and how far the reader is.
  struct stat st = {};
  const uint64_t file_bytes =
      ::fstat(::fileno(f), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  const std::string progress_what = "COPY " + spec_.table.name + (commit ? " (appending)" : "");
  const TableSchema& t = spec_.table;
  const size_t ncols = t.columns.size();

  // field index -> table column (or -1); for jsonl, resolved by key per line.
  std::vector<int> map;
  std::vector<bool> present(ncols, false);
  uint64_t line_no = 0;
  std::string line;
  std::vector<RawField> fields;
  auto resolve = [&](const std::vector<std::string>& names, bool from_header) -> Status {
    map.clear();
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == "_") {
        map.push_back(-1);
        continue;
      }
      const int c = t.FindColumn(names[i]);
      if (c < 0 && !from_header) {
        return Status::InvalidArgument(where + ": COLUMNS names '" + names[i] +
                                       "', which is not a column of " + t.name);
      }
      if (c >= 0 && present[static_cast<size_t>(c)]) {
        return Status::InvalidArgument(where + ": column '" + names[i] + "' appears twice");
      }
      if (c >= 0) present[static_cast<size_t>(c)] = true;
      map.push_back(c);
    }
    return Status::OK();
  };
  if (!spec_.jsonl) {
    if (spec_.header) {
      if (!reader.Next(&line)) {
        return Status::InvalidArgument(where + ": the file is empty but HEADER is true");
      }
      ++line_no;
      if (!SplitCsv(&reader, line, spec_.delimiter, &fields, &line_no)) {
        return Status::InvalidArgument(where + ": line 1: unterminated quoted field");
      }
    }
    if (!spec_.columns.empty()) {
      LASER_RETURN_IF_ERROR(resolve(spec_.columns, false));
    } else if (spec_.header) {
      std::vector<std::string> names;
      for (RawField& fl : fields) names.push_back(fl.text);
      LASER_RETURN_IF_ERROR(resolve(names, true));
    } else {
      std::vector<std::string> names;
      for (const Column& c : t.columns) names.push_back(c.name);
      LASER_RETURN_IF_ERROR(resolve(names, false));
    }
    for (uint32_t key : {t.partition_key, t.order_key}) {
      if (!present[key]) {
        return Status::InvalidArgument(where + ": key column '" + t.columns[key].name +
                                       "' is not among the file's columns");
      }
    }
  } else {
    present.assign(ncols, false);
    for (size_t c = 0; c < ncols; ++c) present[c] = true;
  }

  Batch batch;
  std::vector<int> batch_col(ncols, -1);
  auto start_batch = [&]() {
    batch = Batch();
    for (size_t c = 0; c < ncols; ++c) {
      if (!present[c]) continue;
      batch_col[c] = static_cast<int>(batch.num_columns());
      batch.AddColumn(t.columns[c].name, t.columns[c].type);
    }
  };
  start_batch();
  bool staging = !commit;
  uint64_t committed = 0;
  uint64_t rows = 0;
  std::vector<uint8_t> seen(ncols, 0);
  std::vector<std::pair<std::string, RawField>> kv;
  std::vector<bool> kv_null;

  auto convert = [&](size_t c, const RawField& fl, bool json_null) -> Status {
    const Column& col = t.columns[c];
    Value v;
    if (json_null || (!fl.quoted && fl.text == spec_.null_string)) {
      v = Value::Null();
    } else if (col.type == Type::kTimestamp && IsInteger(fl.text)) {
      int64_t x = 0;
      auto [p, ec] = std::from_chars(fl.text.data() + (fl.text[0] == '+' ? 1 : 0),
                                     fl.text.data() + fl.text.size(), x);
      if (ec != std::errc()) {
        return Status::InvalidArgument("value '" + fl.text + "' out of range for TIMESTAMP");
      }
      (void)p;
      const TimeUnit fu = spec_.time_unit.value_or(col.unit);
      const int64_t fn = NanosPerUnit(fu), cn = NanosPerUnit(col.unit);
      if (fn >= cn) {
        if (__builtin_mul_overflow(x, fn / cn, &x)) {
          return Status::InvalidArgument("timestamp " + fl.text + " overflows " +
                                         TimeUnitName(col.unit));
        }
      } else {
        const int64_t q = cn / fn;
        x = x >= 0 ? x / q : -((-x + q - 1) / q);
      }
      v = Value::Int(x);
    } else if (col.type == Type::kTimestamp) {
      Result<int64_t> ts = ParseTimestamp(fl.text, col.unit);
      if (!ts.ok()) return ts.status();
      v = Value::Int(*ts);
    } else {
      Result<Value> cv = CoerceValue(col, Value::String(fl.text));
      if (!cv.ok()) return cv.status();
      v = std::move(*cv);
    }
    if (v.is_null()) {
      Result<Value> cv = CoerceValue(col, v);
      if (!cv.ok()) return cv.status();
    }
    batch.columns[static_cast<size_t>(batch_col[c])].Append(v);
    return Status::OK();
  };
  auto row_error = [&](uint64_t ln, const std::string& col, size_t field, const Status& s) {
    std::string m = where + ": line " + std::to_string(ln);
    if (!col.empty()) m += ", column '" + col + "' (field " + std::to_string(field + 1) + ")";
    m += ": " + s.message();
    if (commit && committed > 0) {
      m += " (" + std::to_string(committed) + " rows were already committed)";
    } else {
      m += "; nothing was ingested";
    }
    return Status::InvalidArgument(m);
  };

  while (reader.Next(&line)) {
    ++line_no;
    const uint64_t record_line = line_no;
    if ((rows & 4095) == 0) {
      LASER_RETURN_IF_ERROR(ctx_->CheckInterrupt());
      const long at = std::ftell(f);
      ctx_->ReportProgress(progress_what, "B", at > 0 ? static_cast<uint64_t>(at) : 0, file_bytes);
    }
    if (line.empty()) continue;
    if (!spec_.jsonl) {
      if (!SplitCsv(&reader, line, spec_.delimiter, &fields, &line_no)) {
        return row_error(record_line, "", 0, Status::InvalidArgument("unterminated quoted field"));
      }
      if (fields.size() != map.size()) {
        return row_error(
            record_line, "", 0,
            Status::InvalidArgument("expected " + std::to_string(map.size()) + " fields, found " +
                                    std::to_string(fields.size())));
      }
      for (size_t i = 0; i < fields.size(); ++i) {
        if (map[i] < 0) continue;
        const size_t c = static_cast<size_t>(map[i]);
        Status s = convert(c, fields[i], false);
        if (!s.ok()) return row_error(record_line, t.columns[c].name, i, s);
      }
    } else {
      const std::string err = ParseJsonObject(line, &kv, &kv_null);
      if (!err.empty()) {
        return row_error(record_line, "", 0, Status::InvalidArgument("bad JSON: " + err));
      }
      std::fill(seen.begin(), seen.end(), 0);
      for (size_t i = 0; i < kv.size(); ++i) {
        const int c = t.FindColumn(kv[i].first);
        if (c < 0) continue;
        if (seen[static_cast<size_t>(c)] != 0) {
          return row_error(record_line, kv[i].first, i, Status::InvalidArgument("key given twice"));
        }
        seen[static_cast<size_t>(c)] = 1;
        Status s = convert(static_cast<size_t>(c), kv[i].second, kv_null[i]);
        if (!s.ok()) return row_error(record_line, t.columns[static_cast<size_t>(c)].name, i, s);
      }
      for (size_t c = 0; c < ncols; ++c) {
        if (seen[c] != 0) continue;
        Value d = t.columns[c].default_value;
        if (c == t.partition_key || c == t.order_key || (d.is_null() && !t.columns[c].nullable)) {
          return row_error(record_line, t.columns[c].name, c,
                           Status::InvalidArgument("missing, and the column has no default"));
        }
        batch.columns[static_cast<size_t>(batch_col[c])].Append(d);
      }
    }
    ++rows;
    if (commit) {
      if (batch.num_rows() >= spec_.chunk_rows) {
        Status s = ctx_->db()->Append(t.name, batch);
        if (!s.ok()) {
          return s.WithContext(where + " (" + std::to_string(committed) +
                               " rows were already committed)");
        }
        committed += batch.num_rows();
        start_batch();
      }
    } else if (staging) {
      if ((rows & 1023) == 0 && BatchBytes(batch) > spec_.staging_bytes) staging = false;
    } else if (batch.num_rows() >= spec_.chunk_rows) {
      start_batch();  // validation only: the rows are not kept
    }
  }
  if (reader.error()) return Status::FromErrno(where + ": reading the file", errno);
  if (commit && batch.num_rows() > 0) {
    Status s = ctx_->db()->Append(t.name, batch);
    if (!s.ok()) {
      return s.WithContext(where + " (" + std::to_string(committed) +
                           " rows were already committed)");
    }
  }
  *rows_out = rows;
  if (!commit) {
    *staged_all = staging;
    if (staging) *staged = std::move(batch);
  }
  return Status::OK();
}

Result<bool> CopyFromOp::NextImpl(Chunk*) {
  if (done_) return false;
  done_ = true;
  uint64_t rows = 0;
  bool staged_all = false;
  Batch staged;
  LASER_RETURN_IF_ERROR(Pass(false, &rows, &staged_all, &staged));
  if (rows == 0) return false;
  if (staged_all) {
    const size_t bytes = BatchBytes(staged);
    LASER_RETURN_IF_ERROR(ctx_->Reserve(bytes, "CopyFrom staging"));
    Status s = ctx_->db()->Append(spec_.table.name, staged);
    ctx_->Release(bytes);
    if (!s.ok()) {
      return s.WithContext("COPY " + spec_.table.name + " FROM '" + spec_.path +
                           "': nothing was ingested");
    }
  } else {
    uint64_t again = 0;
    LASER_RETURN_IF_ERROR(Pass(true, &again, &staged_all, &staged));
  }
  ctx_->rows_affected += rows;
  return false;
}

}  // namespace laser::ops
