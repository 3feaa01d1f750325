// Output modes of the shell: a Renderer turns the cells of one result set into
// text in one of sqlite3's output formats.
#pragma once

#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shell/render/cell.hpp"

namespace laser::shell {

enum class OutputMode : unsigned char {
  kBox,       // Unicode box drawing, headers centred, numbers right-aligned
  kTable,     // the same in ASCII (+---+)
  kMarkdown,  // GitHub pipe table; '|' in a value is written "\|"
  kCsv,       // RFC 4180 quoting; NULL is an empty field
  kTsv,       // tab-separated; \ tab newline CR escaped as \\ \t \n \r
  kList,      // '|'-separated, no quoting (sqlite3's default)
  kJson,      // one JSON array of objects
  kJsonl,     // one JSON object per line
  kLine,      // "name = value" per column, a blank line between rows
};

// Parses a mode name (case-insensitive; "tabs" is an alias of tsv, "ndjson"
// of jsonl); returns nullopt iff unknown.
std::optional<OutputMode> ParseOutputMode(std::string_view name);
const char* OutputModeName(OutputMode mode);
// "box, table, markdown, csv, tsv, list, json, jsonl, line".
std::string OutputModeList();

struct RenderOptions {
  // Whether box/table/markdown/csv/tsv/list print a header row. json, jsonl
  // and line always name their values.
  bool headers = true;
  // How NULL is written; unset = the mode's own spelling ("NULL" in box,
  // table, markdown and line; empty in csv, tsv and list; null in JSON).
  std::optional<std::string> null_text;
};

// Receives one result set: Begin, any number of Row calls, End. Modes that
// need every width (box, table, markdown) write at End; the others stream.
class Renderer {
 public:
  virtual ~Renderer() = default;
  virtual void Begin(std::span<const std::string> names) = 0;
  // REQUIRES cells.size() == the number of names given to Begin.
  virtual void Row(std::span<const Cell> cells) = 0;
  virtual void End() = 0;
};

std::unique_ptr<Renderer> MakeRenderer(OutputMode mode, const RenderOptions& options,
                                       std::ostream& out);

// Mode constructors (one file each).
std::unique_ptr<Renderer> MakeBoxRenderer(bool ascii, const RenderOptions& options,
                                          std::ostream& out);
std::unique_ptr<Renderer> MakeMarkdownRenderer(const RenderOptions& options, std::ostream& out);
std::unique_ptr<Renderer> MakeDelimitedRenderer(OutputMode mode, const RenderOptions& options,
                                                std::ostream& out);
std::unique_ptr<Renderer> MakeJsonRenderer(bool lines, std::ostream& out);
std::unique_ptr<Renderer> MakeLineRenderer(const RenderOptions& options, std::ostream& out);

// JSON string literal for s, quotes included (control bytes as \u00hh escapes).
std::string JsonQuote(std::string_view s);

}  // namespace laser::shell
