#include "shell/repl.hpp"

#include <histedit.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cwchar>
#include <iostream>

#include "shell/completion.hpp"
#include "shell/interrupt.hpp"

namespace laser::shell {
namespace {

constexpr const char* kPrompt = "laser> ";
constexpr const char* kContinuation = "   ...> ";
constexpr int kHistorySize = 2000;

struct Repl {
  Shell* shell = nullptr;
  const char* prompt = kPrompt;
  bool statement_start = true;
};

// libedit's own reader retries a read() that a signal interrupted, and misses
// a signal that lands between two reads: Ctrl-C could go unnoticed at the
// prompt. This reader waits for input in short slices and gives up as soon as
// a SIGINT is pending; el_gets then returns and the loop sees the signal.
int ReadCharFn(EditLine*, wchar_t* out) {
  static std::mbstate_t state{};
  while (true) {
    if (InterruptWatcher::Pending()) {
      state = std::mbstate_t{};
      errno = EINTR;
      return -1;
    }
    pollfd p{STDIN_FILENO, POLLIN, 0};
    const int ready = ::poll(&p, 1, 100);
    if (ready < 0 && errno != EINTR) return -1;
    if (ready <= 0) continue;
    char byte;
    const ssize_t n = ::read(STDIN_FILENO, &byte, 1);
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return -1;
    }
    wchar_t wc;
    const size_t r = std::mbrtowc(&wc, &byte, 1, &state);
    if (r == static_cast<size_t>(-2)) continue;  // the middle of a multibyte character
    if (r == static_cast<size_t>(-1)) {
      // Not valid in the locale's encoding: pass the byte through as is.
      state = std::mbstate_t{};
      wc = static_cast<unsigned char>(byte);
    }
    *out = wc;
    return 1;
  }
}

char* PromptFn(EditLine* el) {
  void* data = nullptr;
  el_get(el, EL_CLIENTDATA, &data);
  return const_cast<char*>(static_cast<Repl*>(data)->prompt);
}

CompletionCatalog LoadCatalog(Backend& backend) {
  CompletionCatalog cat;
  for (const std::string& name : backend.ListTables()) {
    CompletionCatalog::Table t{name, {}};
    Result<TableSchema> s = backend.GetTable(name);
    if (s.ok()) {
      for (const Column& c : s->columns) t.columns.push_back(c.name);
    }
    cat.tables.push_back(std::move(t));
  }
  for (const ModelInfo& m : backend.ListModels()) cat.models.push_back(m.name);
  return cat;
}

// Bound to Tab: completes the word before the cursor as far as it is
// unambiguous; when it cannot go further, lists the candidates.
unsigned char CompleteFn(EditLine* el, int) {
  void* data = nullptr;
  el_get(el, EL_CLIENTDATA, &data);
  Repl* repl = static_cast<Repl*>(data);
  const LineInfo* li = el_line(el);
  const std::string before(li->buffer, li->cursor);
  const Completion c = Complete(before, repl->statement_start, LoadCatalog(repl->shell->backend()));
  if (c.candidates.empty()) return CC_ERROR;
  const std::string word = before.substr(c.word_start);
  std::string replacement =
      c.candidates.size() == 1 ? c.candidates[0] + " " : CommonPrefix(c.candidates);
  if (replacement.size() > word.size() || (c.candidates.size() == 1 && replacement != word)) {
    el_deletestr(el, static_cast<int>(word.size()));
    el_insertstr(el, replacement.c_str());
    return CC_REFRESH;
  }
  // Nothing more to insert: show the choices below the line.
  size_t width = 0;
  for (const std::string& s : c.candidates) width = std::max(width, s.size());
  const size_t per_line = std::max<size_t>(1, 78 / (width + 2));
  std::string out = "\n";
  for (size_t i = 0; i < c.candidates.size(); ++i) {
    out += c.candidates[i];
    const bool eol = (i + 1) % per_line == 0 || i + 1 == c.candidates.size();
    out += eol ? "\n" : std::string(width + 2 - c.candidates[i].size(), ' ');
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return CC_REDISPLAY;
}

// A multi-line statement is recalled as one line when that changes nothing:
// no line comment (which would swallow what follows) and no newline inside a
// literal (which would change its value).
std::string HistoryEntry(const std::string& text) {
  if (text.find('\n') == std::string::npos) return text;
  if (text.find("--") != std::string::npos) return text;
  std::string out;
  char quote = 0;
  for (char c : text) {
    if (quote != 0) {
      if (c == '\n') return text;
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    }
    out += (c == '\n' && quote == 0) ? ' ' : c;
  }
  return out;
}

}  // namespace

std::string HistoryPath() {
  if (const char* env = std::getenv("LASER_HISTORY")) return env;
  if (const char* home = std::getenv("HOME")) return std::string(home) + "/.laser_history";
  return "";
}

void RunInteractive(Shell& shell, const std::string& history_path) {
  Repl repl;
  repl.shell = &shell;
  EditLine* el = el_init("laser", stdin, stdout, stderr);
  History* hist = history_init();
  HistEvent ev;
  history(hist, &ev, H_SETSIZE, kHistorySize);
  history(hist, &ev, H_SETUNIQUE, 1);
  if (!history_path.empty()) history(hist, &ev, H_LOAD, history_path.c_str());
  el_set(el, EL_CLIENTDATA, &repl);
  el_set(el, EL_EDITOR, "emacs");
  el_set(el, EL_SIGNAL, 1);
  el_set(el, EL_PROMPT, PromptFn);
  el_set(el, EL_GETCFN, ReadCharFn);
  el_set(el, EL_HIST, history, hist);
  el_set(el, EL_ADDFN, "laser-complete", "Complete a keyword, table, column or model", CompleteFn);
  el_set(el, EL_BIND, "^I", "laser-complete", nullptr);
  el_source(el, nullptr);  // the user's ~/.editrc, as every libedit program reads

  StatementSplitter splitter;
  std::string entry;  // the text of the unit being typed, for the history
  while (!shell.quit_requested()) {
    repl.statement_start = !splitter.pending();
    repl.prompt = repl.statement_start ? kPrompt : kContinuation;
    int count = 0;
    InterruptWatcher::TakePending();
    // libedit prints the prompt first and enters raw mode only at the first
    // read: a key typed in between would meet the cooked terminal, where
    // Ctrl-D is not a character. Raw mode before the prompt closes that gap.
    el_set(el, EL_PREP_TERM, 1);
    const char* raw = el_gets(el, &count);
    // Ctrl-C while editing: libedit hands back what was typed so far as if
    // it were a line; drop it, and any unfinished statement, instead.
    if (InterruptWatcher::TakePending()) {
      std::fputs("^C\n", stdout);
      std::fflush(stdout);
      splitter.Reset();
      entry.clear();
      el_reset(el);
      continue;
    }
    if (raw == nullptr || count <= 0) {
      std::fputc('\n', stdout);  // Ctrl-D: leave the cursor on a fresh line
      break;
    }
    std::string line(raw, static_cast<size_t>(count));
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (!entry.empty()) entry += '\n';
    entry += line;
    splitter.AddLine(line);
    while (std::optional<Unit> u = splitter.Next()) {
      shell.ClearInterrupt();
      shell.RunUnit(*u, "");
      if (shell.quit_requested()) break;
    }
    if (!splitter.pending()) {
      const bool blank = entry.find_first_not_of(" \t") == std::string::npos;
      if (!blank) history(hist, &ev, H_ENTER, HistoryEntry(entry).c_str());
      entry.clear();
    }
  }
  if (!history_path.empty()) history(hist, &ev, H_SAVE, history_path.c_str());
  history_end(hist);
  el_end(el);
}

}  // namespace laser::shell
