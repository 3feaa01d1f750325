#include "shell/render/renderer.hpp"

#include <array>
#include <cstdio>

namespace laser::shell {
namespace {

struct ModeName {
  OutputMode mode;
  const char* name;
};

constexpr std::array<ModeName, 9> kModes = {{
    {OutputMode::kBox, "box"},
    {OutputMode::kTable, "table"},
    {OutputMode::kMarkdown, "markdown"},
    {OutputMode::kCsv, "csv"},
    {OutputMode::kTsv, "tsv"},
    {OutputMode::kList, "list"},
    {OutputMode::kJson, "json"},
    {OutputMode::kJsonl, "jsonl"},
    {OutputMode::kLine, "line"},
}};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

std::optional<OutputMode> ParseOutputMode(std::string_view name) {
  for (const ModeName& m : kModes) {
    if (EqualsIgnoreCase(name, m.name)) return m.mode;
  }
  if (EqualsIgnoreCase(name, "tabs")) return OutputMode::kTsv;
  if (EqualsIgnoreCase(name, "ndjson")) return OutputMode::kJsonl;
  return std::nullopt;
}

const char* OutputModeName(OutputMode mode) {
  for (const ModeName& m : kModes) {
    if (m.mode == mode) return m.name;
  }
  return "?";
}

std::string OutputModeList() {
  std::string s;
  for (const ModeName& m : kModes) {
    if (!s.empty()) s += ", ";
    s += m.name;
  }
  return s;
}

std::unique_ptr<Renderer> MakeRenderer(OutputMode mode, const RenderOptions& options,
                                       std::ostream& out) {
  switch (mode) {
    case OutputMode::kBox:
      return MakeBoxRenderer(/*ascii=*/false, options, out);
    case OutputMode::kTable:
      return MakeBoxRenderer(/*ascii=*/true, options, out);
    case OutputMode::kMarkdown:
      return MakeMarkdownRenderer(options, out);
    case OutputMode::kCsv:
    case OutputMode::kTsv:
    case OutputMode::kList:
      return MakeDelimitedRenderer(mode, options, out);
    case OutputMode::kJson:
      return MakeJsonRenderer(/*lines=*/false, out);
    case OutputMode::kJsonl:
      return MakeJsonRenderer(/*lines=*/true, out);
    case OutputMode::kLine:
      return MakeLineRenderer(options, out);
  }
  return nullptr;
}

std::string JsonQuote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace laser::shell
