// Tokens of Laser's query dialect and the lexer that produces them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "laser/status.hpp"

namespace laser::sql {

enum class TokenKind : uint8_t {
  kIdent,        // bare word (keywords too: the parser decides)
  kQuotedIdent,  // "name"
  kInteger,      // 123 (no sign)
  kFloat,        // 1.5, 1e3
  kString,       // 'text' ('' is an escaped quote)
  kParam,        // ?
  kSymbol,       // ( ) , ; . * + - / % = <> != < <= > >= || [ ] =>
  kEnd,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;   // identifier/symbol text, or the unescaped string literal
  size_t offset = 0;  // byte offset of the token's first character in the source
  size_t length = 0;  // bytes of source the token spans
};

// Splits `source` into tokens, skipping whitespace, `-- line` and `/* block */`
// comments. The last token is always kEnd (offset = source.size()).
// Returns InvalidArgument with line:column and a caret iff a string, quoted
// identifier or block comment is unterminated, or a character is not part of
// the dialect.
Result<std::vector<Token>> Lex(std::string_view source);

// 1-based line and column of byte `offset` in `source`.
struct Position {
  size_t line = 1;
  size_t column = 1;
};
Position PositionOf(std::string_view source, size_t offset);

// "LINE <n>: <text of that line>\n<spaces>^" with the caret under `offset`.
std::string CaretLine(std::string_view source, size_t offset);

// An InvalidArgument status: "<what> at line:column: <message>\n<caret line>".
Status ErrorAt(std::string_view source, size_t offset, std::string_view what,
               std::string_view message);

}  // namespace laser::sql
