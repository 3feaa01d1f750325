// Tab completion: keywords, dot-commands and the catalog's tables, columns and
// models, for the word that ends at the cursor.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace laser::shell {

struct CompletionCatalog {
  struct Table {
    std::string name;
    std::vector<std::string> columns;
  };
  std::vector<Table> tables;
  std::vector<std::string> models;
};

struct Completion {
  size_t word_start = 0;                // where the completed word begins in the line
  std::vector<std::string> candidates;  // sorted, unique; each replaces the word
};

// Completes the word that ends at the end of `before_cursor` (letters, digits,
// '_' and '.'). When `statement_start` and the line starts with '.', the first
// word completes to dot-commands. "table.prefix" completes to that table's
// columns. Keywords are offered in the case the word is typed in (lower case
// if it holds any lower-case letter). An empty word completes to nothing.
Completion Complete(std::string_view before_cursor, bool statement_start,
                    const CompletionCatalog& catalog);

// The longest common prefix of `words` (empty for none).
std::string CommonPrefix(const std::vector<std::string>& words);

}  // namespace laser::shell
