#include "shell/splitter.hpp"

namespace laser::shell {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

}  // namespace

void StatementSplitter::AddLine(std::string_view line) {
  ++line_no_;
  if (!has_content_ && state_ == State::kCode) {
    size_t i = 0;
    while (i < line.size() && IsBlank(line[i])) ++i;
    if (i < line.size() && line[i] == '.') {
      text_.clear();
      ready_.push_back(Unit{Unit::Kind::kDot, std::string(line.substr(i)), line_no_});
      return;
    }
  }
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    const char next = i + 1 < line.size() ? line[i + 1] : '\0';
    switch (state_) {
      case State::kCode:
        if (c == ';') {
          Emit();
          continue;
        }
        if (c == '-' && next == '-') {
          // A line comment runs to the end of the line.
          if (has_content_) text_.append(line.substr(i));
          i = line.size();
          continue;
        }
        if (c == '/' && next == '*') {
          state_ = State::kBlockComment;
          if (has_content_) text_ += "/*";
          ++i;
          continue;
        }
        if (IsBlank(c) && !has_content_) continue;
        if (!has_content_) {
          has_content_ = true;
          start_line_ = line_no_;
        }
        if (c == '\'') state_ = State::kSingle;
        if (c == '"') state_ = State::kDouble;
        text_ += c;
        break;
      case State::kSingle:
      case State::kDouble:
        // A doubled quote inside a literal is the quote itself and is read as
        // closing then reopening, which leaves the state right.
        if (c == (state_ == State::kSingle ? '\'' : '"')) state_ = State::kCode;
        text_ += c;
        break;
      case State::kBlockComment:
        if (c == '*' && next == '/') {
          state_ = State::kCode;
          if (has_content_) text_ += "*/";
          ++i;
          continue;
        }
        if (has_content_) text_ += c;
        break;
    }
  }
  if (has_content_) text_ += '\n';
}

void StatementSplitter::Emit() {
  if (has_content_) {
    while (!text_.empty() && (text_.back() == '\n' || IsBlank(text_.back()))) text_.pop_back();
    ready_.push_back(Unit{Unit::Kind::kSql, std::move(text_), start_line_});
  }
  text_.clear();
  has_content_ = false;
}

std::optional<Unit> StatementSplitter::Next() {
  if (ready_.empty()) return std::nullopt;
  Unit u = std::move(ready_.front());
  ready_.pop_front();
  return u;
}

bool StatementSplitter::pending() const { return has_content_ || state_ != State::kCode; }

std::optional<Unit> StatementSplitter::Finish() {
  std::optional<Unit> last;
  if (has_content_) {
    Emit();
    last = std::move(ready_.back());
    ready_.pop_back();
  }
  Reset();
  return last;
}

void StatementSplitter::Reset() {
  text_.clear();
  has_content_ = false;
  state_ = State::kCode;
}

}  // namespace laser::shell
