#include "shell/completion.hpp"

#include <algorithm>
#include <cctype>

namespace laser::shell {
namespace {

constexpr const char* kKeywords[] = {
    "ADD",       "ALTER",     "ANALYZE",   "AND",    "AS",       "ASC",      "AVG",    "BETWEEN",
    "BOOL",      "BY",        "CASE",      "CAST",   "COLUMN",   "COLUMNS",  "COPY",   "COUNT",
    "CREATE",    "DEFAULT",   "DELIMITER", "DESC",   "DESCRIBE", "DISTINCT", "DROP",   "ELSE",
    "END",       "ENUM",      "EXPLAIN",   "F32",    "F64",      "FALSE",    "FORMAT", "FROM",
    "GROUP",     "HAVING",    "HEADER",    "I16",    "I32",      "I64",      "I8",     "IN",
    "INSERT",    "INTO",      "IS",        "KEY",    "LAST",     "LIMIT",    "MAX",    "MIN",
    "MODEL",     "MODELS",    "NOT",       "NULL",   "OFFSET",   "OR",       "ORDER",  "PARTITION",
    "SCORE",     "SELECT",    "SHOW",      "STRING", "SUM",      "TABLE",    "TABLES", "THEN",
    "TIMESTAMP", "TIME_UNIT", "TO",        "TRUE",   "U16",      "U32",      "U64",    "U8",
    "VALUES",    "WHEN",      "WHERE",     "WITH",
};

constexpr const char* kDotCommands[] = {
    ".exit",   ".explain", ".headers", ".help",   ".import", ".mode",   ".models", ".nullvalue",
    ".output", ".quit",    ".read",    ".schema", ".stats",  ".tables", ".timer",
};

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && StartsWithIgnoreCase(a, b);
}

}  // namespace

std::string CommonPrefix(const std::vector<std::string>& words) {
  if (words.empty()) return "";
  std::string p = words[0];
  for (const std::string& w : words) {
    size_t n = 0;
    while (n < p.size() && n < w.size() && p[n] == w[n]) ++n;
    p.resize(n);
  }
  return p;
}

Completion Complete(std::string_view line, bool statement_start, const CompletionCatalog& cat) {
  Completion c;
  size_t start = line.size();
  while (start > 0 && IsWordChar(line[start - 1])) --start;
  c.word_start = start;
  const std::string_view word = line.substr(start);
  if (word.empty()) return c;
  auto add = [&](std::string_view cand) {
    if (StartsWithIgnoreCase(cand, word)) c.candidates.emplace_back(cand);
  };

  size_t first = 0;
  while (first < line.size() && std::isspace(static_cast<unsigned char>(line[first]))) ++first;
  if (statement_start && start == first && word[0] == '.') {
    for (const char* d : kDotCommands) add(d);
  } else if (const size_t dot = word.find('.'); dot != std::string_view::npos) {
    const std::string_view table = word.substr(0, dot);
    for (const CompletionCatalog::Table& t : cat.tables) {
      if (!EqualsIgnoreCase(t.name, table)) continue;
      for (const std::string& col : t.columns) add(t.name + "." + col);
    }
  } else {
    const bool lower = std::any_of(word.begin(), word.end(), [](char ch) {
      return std::islower(static_cast<unsigned char>(ch));
    });
    for (const char* k : kKeywords) {
      std::string kw = k;
      if (lower) {
        for (char& ch : kw) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      }
      add(kw);
    }
    for (const CompletionCatalog::Table& t : cat.tables) {
      add(t.name);
      for (const std::string& col : t.columns) add(col);
    }
    for (const std::string& m : cat.models) add(m);
  }
  std::sort(c.candidates.begin(), c.candidates.end());
  c.candidates.erase(std::unique(c.candidates.begin(), c.candidates.end()), c.candidates.end());
  return c;
}

}  // namespace laser::shell
