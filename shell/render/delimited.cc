// csv, tsv and list modes: one line per row, streamed.
#include <vector>

#include "shell/render/renderer.hpp"

namespace laser::shell {
namespace {

// RFC 4180: a field is quoted iff it holds the separator, a quote, CR or LF,
// or starts or ends with a space; quotes inside are doubled.
std::string CsvField(std::string_view s) {
  bool quote = !s.empty() && (s.front() == ' ' || s.back() == ' ');
  for (char c : s) {
    if (c == ',' || c == '"' || c == '\n' || c == '\r') quote = true;
  }
  if (!quote) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

// The escapes of PostgreSQL's text format, so that every row stays one line
// and every field is recoverable.
std::string TsvField(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
  return out;
}

class DelimitedRenderer : public Renderer {
 public:
  DelimitedRenderer(OutputMode mode, const RenderOptions& options, std::ostream& out)
      : mode_(mode), options_(options), out_(out) {}

  void Begin(std::span<const std::string> names) override {
    if (!options_.headers) return;
    for (size_t i = 0; i < names.size(); ++i) {
      if (i > 0) out_ << Separator();
      out_ << Field(names[i]);
    }
    out_ << '\n';
  }

  void Row(std::span<const Cell> cells) override {
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) out_ << Separator();
      if (cells[i].kind == CellKind::kNull) {
        out_ << options_.null_text.value_or("");
      } else {
        out_ << Field(cells[i].text);
      }
    }
    out_ << '\n';
  }

  void End() override { out_.flush(); }

 private:
  char Separator() const {
    switch (mode_) {
      case OutputMode::kCsv:
        return ',';
      case OutputMode::kTsv:
        return '\t';
      default:
        return '|';
    }
  }

  std::string Field(std::string_view s) const {
    switch (mode_) {
      case OutputMode::kCsv:
        return CsvField(s);
      case OutputMode::kTsv:
        return TsvField(s);
      default:
        return std::string(s);
    }
  }

  OutputMode mode_;
  RenderOptions options_;
  std::ostream& out_;
};

}  // namespace

std::unique_ptr<Renderer> MakeDelimitedRenderer(OutputMode mode, const RenderOptions& options,
                                                std::ostream& out) {
  return std::make_unique<DelimitedRenderer>(mode, options, out);
}

}  // namespace laser::shell
