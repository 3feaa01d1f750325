// markdown mode: a GitHub pipe table, columns padded to their widest value.
#include <algorithm>
#include <vector>

#include "shell/render/renderer.hpp"

namespace laser::shell {
namespace {

// A '|' would end the cell early; a newline would end the table.
std::string MarkdownEscape(std::string_view s) {
  std::string out;
  for (char c : EscapeControl(s)) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

class MarkdownRenderer : public Renderer {
 public:
  MarkdownRenderer(const RenderOptions& options, std::ostream& out)
      : options_(options), out_(out) {}

  void Begin(std::span<const std::string> names) override {
    rows_.clear();
    std::vector<std::string> header;
    for (const std::string& n : names) header.push_back(MarkdownEscape(n));
    // The separator cell (width + 2 dashes) then always has the "---" GFM needs.
    widths_.assign(names.size(), 1);
    numeric_.assign(names.size(), false);
    Add(std::move(header));
  }

  void Row(std::span<const Cell> cells) override {
    std::vector<std::string> row;
    for (size_t i = 0; i < cells.size(); ++i) {
      if (cells[i].kind == CellKind::kNull) {
        row.push_back(options_.null_text.value_or("NULL"));
      } else {
        row.push_back(MarkdownEscape(cells[i].text));
        if (cells[i].kind == CellKind::kNumber) numeric_[i] = true;
      }
    }
    Add(std::move(row));
  }

  void End() override {
    if (widths_.empty()) return;
    for (size_t r = options_.headers ? 0 : 1; r < rows_.size(); ++r) {
      Line(rows_[r], r == 0);
      if (r == 0) {
        out_ << '|';
        for (size_t w : widths_) out_ << std::string(w + 2, '-') << '|';
        out_ << '\n';
      }
    }
    rows_.clear();
  }

 private:
  void Add(std::vector<std::string> row) {
    for (size_t i = 0; i < row.size(); ++i) widths_[i] = std::max(widths_[i], DisplayWidth(row[i]));
    rows_.push_back(std::move(row));
  }

  void Line(const std::vector<std::string>& row, bool header) {
    out_ << '|';
    for (size_t i = 0; i < row.size(); ++i) {
      const size_t pad = widths_[i] - DisplayWidth(row[i]);
      if (header) {
        out_ << ' ' << std::string(pad / 2, ' ') << row[i] << std::string(pad - pad / 2, ' ');
      } else if (numeric_[i]) {
        out_ << ' ' << std::string(pad, ' ') << row[i];
      } else {
        out_ << ' ' << row[i] << std::string(pad, ' ');
      }
      out_ << " |";
    }
    out_ << '\n';
  }

  RenderOptions options_;
  std::ostream& out_;
  std::vector<std::vector<std::string>> rows_;  // rows_[0] is the header
  std::vector<size_t> widths_;
  std::vector<bool> numeric_;
};

}  // namespace

std::unique_ptr<Renderer> MakeMarkdownRenderer(const RenderOptions& options, std::ostream& out) {
  return std::make_unique<MarkdownRenderer>(options, out);
}

}  // namespace laser::shell
