// line mode: one "name = value" line per column, names right-aligned to the
// longest one (at least 5 wide, as sqlite3 does), a blank line between rows.
#include <algorithm>
#include <vector>

#include "shell/render/renderer.hpp"

namespace laser::shell {
namespace {

class LineRenderer : public Renderer {
 public:
  LineRenderer(const RenderOptions& options, std::ostream& out) : options_(options), out_(out) {}

  void Begin(std::span<const std::string> names) override {
    names_.clear();
    width_ = 5;
    for (const std::string& n : names) {
      names_.push_back(EscapeControl(n));
      width_ = std::max(width_, DisplayWidth(names_.back()));
    }
    rows_ = 0;
  }

  void Row(std::span<const Cell> cells) override {
    if (rows_ > 0) out_ << '\n';
    for (size_t i = 0; i < cells.size(); ++i) {
      out_ << std::string(width_ - DisplayWidth(names_[i]), ' ') << names_[i] << " = ";
      if (cells[i].kind == CellKind::kNull) {
        out_ << options_.null_text.value_or("NULL");
      } else {
        out_ << cells[i].text;
      }
      out_ << '\n';
    }
    ++rows_;
  }

  void End() override { out_.flush(); }

 private:
  RenderOptions options_;
  std::ostream& out_;
  std::vector<std::string> names_;
  size_t width_ = 5;
  size_t rows_ = 0;
};

}  // namespace

std::unique_ptr<Renderer> MakeLineRenderer(const RenderOptions& options, std::ostream& out) {
  return std::make_unique<LineRenderer>(options, out);
}

}  // namespace laser::shell
