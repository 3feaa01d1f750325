// Splits shell input into units: SQL statements, each ending at a ';' that is
// outside quotes and comments, and dot-commands, each one line that starts with
// '.' where no statement is pending.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace laser::shell {

struct Unit {
  enum class Kind : unsigned char { kSql, kDot };
  Kind kind = Kind::kSql;
  // A statement without its ';' (leading blank space and comment-only lines
  // dropped); a dot-command line without its leading spaces.
  std::string text;
  int line = 0;  // 1-based input line where the unit starts
};

class StatementSplitter {
 public:
  // Adds one input line (without its line terminator); the units it completes
  // are queued for Next().
  void AddLine(std::string_view line);
  // The oldest completed unit, or nullopt iff none is queued.
  std::optional<Unit> Next();
  // True iff a statement has started but not ended (the shell shows its
  // continuation prompt), or a quote or block comment is open.
  bool pending() const;
  // Ends the input: returns the unterminated last statement iff it holds more
  // than blank space and comments, and resets.
  std::optional<Unit> Finish();
  // Drops any pending statement (Ctrl-C at a continuation prompt).
  void Reset();

 private:
  enum class State : unsigned char { kCode, kSingle, kDouble, kBlockComment };

  void Emit();

  std::deque<Unit> ready_;
  std::string text_;
  int start_line_ = 0;
  int line_no_ = 0;
  bool has_content_ = false;
  State state_ = State::kCode;
};

}  // namespace laser::shell
