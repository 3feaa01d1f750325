// json and jsonl modes, with sqlite3's layout for json: "[{...},\n{...}]".
#include <vector>

#include "shell/render/renderer.hpp"

namespace laser::shell {
namespace {

bool IsJsonNumber(std::string_view s) {
  // nan and inf are numbers to Laser but not to JSON.
  return !s.empty() && s != "nan" && s != "inf" && s != "-inf";
}

class JsonRenderer : public Renderer {
 public:
  JsonRenderer(bool lines, std::ostream& out) : lines_(lines), out_(out) {}

  void Begin(std::span<const std::string> names) override {
    keys_.clear();
    for (const std::string& n : names) keys_.push_back(JsonQuote(n) + ":");
    rows_ = 0;
  }

  void Row(std::span<const Cell> cells) override {
    if (!lines_) out_ << (rows_ == 0 ? "[" : ",\n");
    out_ << '{';
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) out_ << ',';
      out_ << keys_[i];
      const Cell& c = cells[i];
      if (c.kind == CellKind::kNull) {
        out_ << "null";
      } else if (c.kind == CellKind::kNumber) {
        out_ << (IsJsonNumber(c.text) ? c.text : "null");
      } else {
        out_ << JsonQuote(c.text);
      }
    }
    out_ << '}';
    if (lines_) out_ << '\n';
    ++rows_;
  }

  void End() override {
    if (!lines_) out_ << (rows_ == 0 ? "[]\n" : "]\n");
    out_.flush();
  }

 private:
  bool lines_;
  std::ostream& out_;
  std::vector<std::string> keys_;
  size_t rows_ = 0;
};

}  // namespace

std::unique_ptr<Renderer> MakeJsonRenderer(bool lines, std::ostream& out) {
  return std::make_unique<JsonRenderer>(lines, out);
}

}  // namespace laser::shell
