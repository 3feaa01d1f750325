#include "operators/copy_to.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>

#include "operators/expression.hpp"

namespace laser::ops {
namespace {

void CsvField(const std::string& s, char delim, std::string* out) {
  bool quote = s.find_first_of(std::string("\"\r\n") + delim) != std::string::npos;
  if (!quote) {
    *out += s;
    return;
  }
  *out += '"';
  for (char c : s) {
    if (c == '"') *out += '"';
    *out += c;
  }
  *out += '"';
}

void JsonString(const std::string& s, std::string* out) {
  *out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          *out += buf;
        } else {
          *out += static_cast<char>(c);
        }
    }
  }
  *out += '"';
}

}  // namespace

CopyToOp::CopyToOp(std::unique_ptr<Operator> child, CopyToSpec spec) : spec_(std::move(spec)) {
  children_.push_back(std::move(child));
}

Result<bool> CopyToOp::NextImpl(Chunk*) {
  if (done_) return false;
  done_ = true;
  const std::string tmp = spec_.path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return Status::FromErrno("CopyTo: cannot create '" + tmp + "'", errno);
  const Schema& schema = children_[0]->schema();
  std::string buf;
  auto fail = [&](Status s) {
    std::fclose(f);
    std::remove(tmp.c_str());
    return s;
  };
  if (!spec_.jsonl && spec_.header) {
    for (size_t k = 0; k < schema.size(); ++k) {
      if (k > 0) buf += spec_.delimiter;
      CsvField(schema[k].name, spec_.delimiter, &buf);
    }
    buf += '\n';
  }
  Chunk c;
  uint64_t rows = 0;
  while (true) {
    Result<bool> more = children_[0]->Next(&c);
    if (!more.ok()) return fail(more.status());
    if (!*more) break;
    for (size_t i = 0; i < c.size(); ++i) {
      const uint32_t row = c.row(i);
      if (spec_.jsonl) buf += '{';
      for (size_t k = 0; k < schema.size(); ++k) {
        const Value v = c.data.columns[k].Get(row);
        if (spec_.jsonl) {
          if (k > 0) buf += ',';
          JsonString(schema[k].name, &buf);
          buf += ':';
          const LType& t = schema[k].type;
          if (v.is_null()) {
            buf += "null";
          } else if (t.type == Type::kString || t.type == Type::kEnum ||
                     t.type == Type::kTimestamp) {
            JsonString(FormatValue(v, t), &buf);
          } else if (t.type == Type::kBool) {
            buf += FormatValue(v, t);
          } else if (const double* d = std::get_if<double>(&v.v); d && !std::isfinite(*d)) {
            buf += "null";
          } else {
            buf += v.ToString();
          }
        } else {
          if (k > 0) buf += spec_.delimiter;
          if (v.is_null()) {
            buf += spec_.null_string;
          } else {
            CsvField(FormatValue(v, schema[k].type), spec_.delimiter, &buf);
          }
        }
      }
      buf += spec_.jsonl ? "}\n" : "\n";
      ++rows;
    }
    if (buf.size() > (1u << 20)) {
      if (std::fwrite(buf.data(), 1, buf.size(), f) != buf.size()) {
        return fail(Status::FromErrno("CopyTo: writing '" + tmp + "'", errno));
      }
      buf.clear();
    }
  }
  if (!buf.empty() && std::fwrite(buf.data(), 1, buf.size(), f) != buf.size()) {
    return fail(Status::FromErrno("CopyTo: writing '" + tmp + "'", errno));
  }
  if (std::fclose(f) != 0) {
    std::remove(tmp.c_str());
    return Status::FromErrno("CopyTo: closing '" + tmp + "'", errno);
  }
  if (std::rename(tmp.c_str(), spec_.path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Status::FromErrno("CopyTo: renaming to '" + spec_.path + "'", errno);
  }
  ctx_->rows_affected += rows;
  return false;
}

}  // namespace laser::ops
