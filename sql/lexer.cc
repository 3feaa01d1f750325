#include "sql/lexer.hpp"

#include <cctype>

namespace laser::sql {
namespace {

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool IsIdentChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Position PositionOf(std::string_view source, size_t offset) {
  Position p;
  for (size_t i = 0; i < offset && i < source.size(); ++i) {
    if (source[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else {
      ++p.column;
    }
  }
  return p;
}

std::string CaretLine(std::string_view source, size_t offset) {
  if (offset > source.size()) offset = source.size();
  size_t begin = offset;
  while (begin > 0 && source[begin - 1] != '\n') --begin;
  size_t end = offset;
  while (end < source.size() && source[end] != '\n') ++end;
  const Position pos = PositionOf(source, offset);
  std::string prefix = "LINE " + std::to_string(pos.line) + ": ";
  std::string line(source.substr(begin, end - begin));
  // Tabs are shown as spaces so the caret lines up in any terminal.
  for (char& c : line) {
    if (c == '\t' || c == '\r') c = ' ';
  }
  std::string out = prefix + line + "\n";
  out.append(prefix.size() + (offset - begin), ' ');
  out += "^";
  return out;
}

Status ErrorAt(std::string_view source, size_t offset, std::string_view what,
               std::string_view message) {
  const Position p = PositionOf(source, offset);
  std::string m(what);
  m += " at " + std::to_string(p.line) + ":" + std::to_string(p.column) + ": ";
  m += message;
  m += "\n";
  m += CaretLine(source, offset);
  return Status::InvalidArgument(std::move(m));
}

Result<std::vector<Token>> Lex(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      ++i;
      continue;
    }
    if (c == '-' && i + 1 < n && s[i + 1] == '-') {
      while (i < n && s[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && s[i + 1] == '*') {
      const size_t end = s.find("*/", i + 2);
      if (end == std::string_view::npos) {
        return ErrorAt(s, i, "syntax error", "unterminated /* comment");
      }
      i = end + 2;
      continue;
    }
    Token t;
    t.offset = i;
    if (IsIdentStart(c)) {
      size_t j = i;
      while (j < n && IsIdentChar(s[j])) ++j;
      t.kind = TokenKind::kIdent;
      t.text = std::string(s.substr(i, j - i));
      i = j;
    } else if (IsDigit(c) || (c == '.' && i + 1 < n && IsDigit(s[i + 1]))) {
      size_t j = i;
      bool is_float = false;
      while (j < n && IsDigit(s[j])) ++j;
      if (j < n && s[j] == '.') {
        is_float = true;
        ++j;
        while (j < n && IsDigit(s[j])) ++j;
      }
      if (j < n && (s[j] == 'e' || s[j] == 'E')) {
        size_t k = j + 1;
        if (k < n && (s[k] == '+' || s[k] == '-')) ++k;
        if (k < n && IsDigit(s[k])) {
          is_float = true;
          j = k;
          while (j < n && IsDigit(s[j])) ++j;
        }
      }
      if (j < n && IsIdentStart(s[j])) {
        return ErrorAt(s, j, "syntax error", "unexpected character after number");
      }
      t.kind = is_float ? TokenKind::kFloat : TokenKind::kInteger;
      t.text = std::string(s.substr(i, j - i));
      i = j;
    } else if (c == '\'' || c == '"') {
      size_t j = i + 1;
      std::string text;
      bool closed = false;
      while (j < n) {
        if (s[j] == c) {
          if (j + 1 < n && s[j + 1] == c) {
            text += c;
            j += 2;
            continue;
          }
          closed = true;
          ++j;
          break;
        }
        text += s[j++];
      }
      if (!closed) {
        return ErrorAt(
            s, i, "syntax error",
            c == '\'' ? "unterminated string literal" : "unterminated quoted identifier");
      }
      t.kind = c == '\'' ? TokenKind::kString : TokenKind::kQuotedIdent;
      t.text = std::move(text);
      i = j;
    } else if (c == '?') {
      t.kind = TokenKind::kParam;
      t.text = "?";
      ++i;
    } else {
      static constexpr std::string_view kTwo[] = {"<>", "!=", "<=", ">=", "||", "=>", "=="};
      t.kind = TokenKind::kSymbol;
      bool matched = false;
      if (i + 1 < n) {
        for (std::string_view two : kTwo) {
          if (s.substr(i, 2) == two) {
            t.text = two == "==" ? "=" : std::string(two);
            i += 2;
            matched = true;
            break;
          }
        }
      }
      if (!matched) {
        static constexpr std::string_view kOne = "(),;.*+-/%=<>[]";
        if (kOne.find(c) == std::string_view::npos) {
          std::string what = "unexpected character '";
          what += c;
          what += "'";
          return ErrorAt(s, i, "syntax error", what);
        }
        t.text = std::string(1, c);
        ++i;
      }
    }
    t.length = i - t.offset;
    out.push_back(std::move(t));
  }
  Token end;
  end.kind = TokenKind::kEnd;
  end.offset = n;
  out.push_back(end);
  return out;
}

}  // namespace laser::sql
