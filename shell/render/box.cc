// box and table modes: every row is buffered so each column can be as wide as
// its widest value, as in sqlite3's .mode box / .mode table.
#include <algorithm>
#include <vector>

#include "shell/render/renderer.hpp"

namespace laser::shell {
namespace {

struct Glyphs {
  const char* horizontal;
  const char* vertical;
  // left, middle, right junctions of the top, separator and bottom rules.
  const char* top[3];
  const char* mid[3];
  const char* bottom[3];
};

constexpr Glyphs kUnicode = {"─", "│", {"┌", "┬", "┐"}, {"├", "┼", "┤"}, {"└", "┴", "┘"}};
constexpr Glyphs kAscii = {"-", "|", {"+", "+", "+"}, {"+", "+", "+"}, {"+", "+", "+"}};

struct Shown {
  std::string text;
  size_t width;
  bool right;  // numbers are right-aligned
};

class BoxRenderer : public Renderer {
 public:
  BoxRenderer(bool ascii, const RenderOptions& options, std::ostream& out)
      : g_(ascii ? kAscii : kUnicode), options_(options), out_(out) {}

  void Begin(std::span<const std::string> names) override {
    header_.clear();
    rows_.clear();
    widths_.assign(names.size(), 0);
    for (size_t i = 0; i < names.size(); ++i) {
      std::string t = EscapeControl(names[i]);
      const size_t w = DisplayWidth(t);
      header_.push_back(Shown{std::move(t), w, false});
      if (options_.headers) widths_[i] = w;
    }
  }

  void Row(std::span<const Cell> cells) override {
    std::vector<Shown> row;
    row.reserve(cells.size());
    for (size_t i = 0; i < cells.size(); ++i) {
      std::string t = cells[i].kind == CellKind::kNull ? options_.null_text.value_or("NULL")
                                                       : EscapeControl(cells[i].text);
      const size_t w = DisplayWidth(t);
      widths_[i] = std::max(widths_[i], w);
      row.push_back(Shown{std::move(t), w, cells[i].kind == CellKind::kNumber});
    }
    rows_.push_back(std::move(row));
  }

  void End() override {
    if (widths_.empty()) return;
    Rule(g_.top);
    if (options_.headers) {
      out_ << g_.vertical;
      for (size_t i = 0; i < header_.size(); ++i) {
        // Headers are centred, the extra space going right (sqlite3).
        const size_t pad = widths_[i] - header_[i].width;
        out_ << ' ' << std::string(pad / 2, ' ') << header_[i].text
             << std::string(pad - pad / 2, ' ') << ' ' << g_.vertical;
      }
      out_ << '\n';
      Rule(g_.mid);
    }
    for (const std::vector<Shown>& row : rows_) {
      out_ << g_.vertical;
      for (size_t i = 0; i < row.size(); ++i) {
        const std::string pad(widths_[i] - row[i].width, ' ');
        out_ << ' ';
        if (row[i].right)
          out_ << pad << row[i].text;
        else
          out_ << row[i].text << pad;
        out_ << ' ' << g_.vertical;
      }
      out_ << '\n';
    }
    Rule(g_.bottom);
    rows_.clear();
  }

 private:
  void Rule(const char* const (&j)[3]) {
    out_ << j[0];
    for (size_t i = 0; i < widths_.size(); ++i) {
      for (size_t k = 0; k < widths_[i] + 2; ++k) out_ << g_.horizontal;
      out_ << (i + 1 < widths_.size() ? j[1] : j[2]);
    }
    out_ << '\n';
  }

  const Glyphs& g_;
  RenderOptions options_;
  std::ostream& out_;
  std::vector<Shown> header_;
  std::vector<std::vector<Shown>> rows_;
  std::vector<size_t> widths_;
};

}  // namespace

std::unique_ptr<Renderer> MakeBoxRenderer(bool ascii, const RenderOptions& options,
                                          std::ostream& out) {
  return std::make_unique<BoxRenderer>(ascii, options, out);
}

}  // namespace laser::shell
