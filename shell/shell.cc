#include "shell/shell.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "engine/util/status_macros.hpp"
#include "shell/interrupt.hpp"
#include "shell/schema_text.hpp"

namespace laser::shell {
namespace {

constexpr int kMaxReadDepth = 16;

constexpr const char* kHelp =
    ".explain [analyze] SQL   Show the plan of SQL (analyze: run it, rows and time per "
    "operator)\n"
    ".exit                    Exit the shell (also .quit, Ctrl-D)\n"
    ".headers on|off          Show or hide column names\n"
    ".help                    Show this message\n"
    ".import [--header] FILE TABLE\n"
    "                         Append the CSV rows of FILE to TABLE (one atomic COPY)\n"
    ".mode [MODE]             Set the output mode: box, table, markdown, csv, tsv, list,\n"
    "                         json, jsonl, line (no argument: show the current one)\n"
    ".models                  List the scoring models\n"
    ".nullvalue TEXT          Write NULL as TEXT (no argument: the mode's default)\n"
    ".output [FILE]           Send results to FILE (no argument: back to stdout)\n"
    ".quit                    Exit the shell\n"
    ".read FILE               Run the statements and dot-commands in FILE\n"
    ".schema [TABLE]          Show the CREATE TABLE statement of TABLE, or of every table\n"
    ".stats                   Show users, events, bytes on disk, index bytes, cache hit\n"
    "                         rate and the I/O backend\n"
    ".tables                  List the tables\n"
    ".timer on|off            Print the run time of every SQL statement\n";

struct CpuTimes {
  double user = 0;
  double sys = 0;
};

CpuTimes NowCpu() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return CpuTimes{static_cast<double>(ru.ru_utime.tv_sec) + ru.ru_utime.tv_usec / 1e6,
                  static_cast<double>(ru.ru_stime.tv_sec) + ru.ru_stime.tv_usec / 1e6};
}

std::optional<bool> ParseBool(std::string_view s) {
  std::string l(s);
  for (char& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l == "on" || l == "1" || l == "yes" || l == "true") return true;
  if (l == "off" || l == "0" || l == "no" || l == "false") return false;
  return std::nullopt;
}

std::string Bytes(uint64_t n) {
  return HumanCount(static_cast<double>(n), "B") + " (" + std::to_string(n) + ")";
}

}  // namespace

std::vector<std::string> SplitDotArgs(std::string_view line) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= line.size()) break;
    std::string w;
    if (line[i] == '\'' || line[i] == '"') {
      const char q = line[i++];
      while (i < line.size()) {
        if (line[i] == q) {
          if (i + 1 < line.size() && line[i + 1] == q) {
            w += q;
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        w += line[i++];
      }
    } else {
      while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) w += line[i++];
    }
    words.push_back(std::move(w));
  }
  return words;
}

Shell::Shell(Backend& backend, ShellSettings settings, std::ostream& out, std::ostream& err)
    : backend_(backend),
      settings_(std::move(settings)),
      out_(out),
      err_(err),
      progress_(STDERR_FILENO) {
  if (progress_.enabled()) {
    backend_.SetProgress([this](const Progress& p) { progress_.Update(p); });
  }
}

void Shell::Interrupt() {
  interrupted_.store(true);
  backend_.Interrupt();
}

void Shell::OnSigint(uint64_t count) {
  if (settings_.interactive && (!running_.load() || count <= sigints_at_start_.load())) return;
  Interrupt();
}

bool Shell::RunStream(std::istream& in, std::string_view source) {
  StatementSplitter splitter;
  std::string line;
  auto drain = [&]() {
    while (std::optional<Unit> u = splitter.Next()) {
      RunUnit(*u, source);
      if (quit_) return false;
    }
    return true;
  };
  while (std::getline(in, line)) {
    splitter.AddLine(line);
    if (!drain()) return false;
  }
  if (std::optional<Unit> last = splitter.Finish()) RunUnit(*last, source);
  return !quit_;
}

bool Shell::RunText(std::string_view text) {
  std::string s(text);
  std::istringstream in(s);
  return RunStream(in, "");
}

bool Shell::RunUnit(const Unit& unit, std::string_view source) {
  const bool ok = unit.kind == Unit::Kind::kDot ? RunDot(unit, source) : RunSql(unit, source);
  if (!ok) {
    ++failures_;
    if (settings_.bail && !settings_.interactive) quit_ = true;
  }
  if (interrupted_.load() && !settings_.interactive) quit_ = true;
  return ok;
}

void Shell::ReportError(const Unit& unit, std::string_view source, std::string_view message) {
  out().flush();
  if (settings_.interactive && source.empty()) {
    err_ << "Error: " << message << '\n';
  } else if (source.empty()) {
    err_ << "Error near line " << unit.line << ": " << message << '\n';
  } else {
    err_ << "Error near line " << unit.line << " of " << source << ": " << message << '\n';
  }
  err_.flush();
}

bool Shell::RunSql(const Unit& unit, std::string_view source) {
  const auto wall0 = std::chrono::steady_clock::now();
  const CpuTimes cpu0 = NowCpu();
  const Status st = ExecuteAndRender(unit.text, /*plain=*/false);
  if (!st.ok()) ReportError(unit, source, st.message());
  if (settings_.timer) {
    const double real =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    const CpuTimes cpu1 = NowCpu();
    char buf[128];
    std::snprintf(buf, sizeof(buf), "Run Time: real %.3f user %.6f sys %.6f\n", real,
                  cpu1.user - cpu0.user, cpu1.sys - cpu0.sys);
    out() << buf;
  }
  out().flush();
  return st.ok();
}

Status Shell::ExecuteAndRender(std::string_view sql, bool plain) {
  sigints_at_start_.store(InterruptWatcher::Count());
  running_.store(true);
  struct Done {
    Shell* s;
    ~Done() {
      s->running_.store(false);
      s->progress_.Finish();
    }
  } done{this};
  LASER_ASSIGN_OR_RETURN(std::unique_ptr<RowStream> stream, backend_.Execute(sql));
  const std::vector<Column>& cols = stream->columns();
  std::unique_ptr<Renderer> r;
  if (!cols.empty() && !plain) {
    r = MakeRenderer(settings_.mode, settings_.render, out());
    std::vector<std::string> names;
    for (const Column& c : cols) names.push_back(c.name);
    r->Begin(names);
  }
  std::vector<Cell> cells(cols.size());
  Batch b;
  while (true) {
    LASER_ASSIGN_OR_RETURN(const bool more, stream->Next(&b));
    if (!more) break;
    progress_.Finish();
    // Printing a huge result is long work too: Ctrl-C stops it.
    if (interrupted_.load()) return Status::Aborted("interrupted");
    for (size_t row = 0; row < b.num_rows(); ++row) {
      for (size_t c = 0; c < cells.size(); ++c) cells[c] = FormatCell(b.columns[c], row, cols[c]);
      if (r) {
        r->Row(cells);
        continue;
      }
      // A plan is text meant to be read as is: no table around it.
      for (size_t c = 0; c < cells.size(); ++c) out() << (c > 0 ? "  " : "") << cells[c].text;
      out() << '\n';
    }
  }
  if (r) r->End();
  return Status::OK();
}

bool Shell::RunDot(const Unit& unit, std::string_view source) {
  std::vector<std::string> args = SplitDotArgs(std::string_view(unit.text).substr(1));
  if (args.empty()) {
    ReportError(unit, source, "empty dot-command; .help lists them");
    return false;
  }
  const std::string cmd = args[0];
  args.erase(args.begin());
  auto fail = [&](const std::string& m) {
    ReportError(unit, source, m);
    return false;
  };
  if (cmd == "help") return DotHelp();
  if (cmd == "quit" || cmd == "exit") {
    quit_ = true;
    return true;
  }
  if (cmd == "tables") return DotTables(args) || fail("usage: .tables");
  if (cmd == "schema") {
    if (args.size() > 1) return fail("usage: .schema [TABLE]");
    return DotSchema(args) || fail("no such table: " + args[0]);
  }
  if (cmd == "models") return DotModels();
  if (cmd == "stats") return DotStats();
  if (cmd == "mode") {
    if (args.empty()) {
      out() << "current output mode: " << OutputModeName(settings_.mode) << '\n';
      return true;
    }
    if (args.size() != 1) return fail("usage: .mode MODE");
    std::optional<OutputMode> m = ParseOutputMode(args[0]);
    if (!m) return fail("unknown mode '" + args[0] + "'; modes: " + OutputModeList());
    settings_.mode = *m;
    // Tabular modes are unreadable without names: sqlite3 turns headers on.
    if (*m == OutputMode::kBox || *m == OutputMode::kTable || *m == OutputMode::kMarkdown) {
      settings_.render.headers = true;
    }
    return true;
  }
  if (cmd == "headers" || cmd == "header") {
    std::optional<bool> b = args.size() == 1 ? ParseBool(args[0]) : std::nullopt;
    if (!b) return fail("usage: .headers on|off");
    settings_.render.headers = *b;
    return true;
  }
  if (cmd == "timer") {
    std::optional<bool> b = args.size() == 1 ? ParseBool(args[0]) : std::nullopt;
    if (!b) return fail("usage: .timer on|off");
    settings_.timer = *b;
    return true;
  }
  if (cmd == "nullvalue") {
    if (args.size() > 1) return fail("usage: .nullvalue [TEXT]");
    settings_.render.null_text = args.empty() ? std::nullopt : std::optional<std::string>(args[0]);
    return true;
  }
  if (cmd == "read") return DotRead(unit, source, args);
  if (cmd == "output")
    return DotOutput(args) || fail(args.empty() ? "usage: .output [FILE]"
                                                : "cannot open '" + args[0] +
                                                      "' for writing: " + std::strerror(errno));
  if (cmd == "import") return DotImport(unit, source, args);
  if (cmd == "explain") return DotExplain(unit, source);
  return fail("unknown command '." + cmd + "'; .help lists the commands");
}

bool Shell::DotHelp() {
  out() << kHelp;
  return true;
}

bool Shell::DotTables(const std::vector<std::string>& args) {
  if (!args.empty()) return false;
  std::vector<std::string> names = backend_.ListTables();
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) out() << n << '\n';
  return true;
}

bool Shell::DotSchema(const std::vector<std::string>& args) {
  if (!args.empty()) {
    Result<TableSchema> t = backend_.GetTable(args[0]);
    if (!t.ok()) return false;
    out() << CreateTableSql(*t) << '\n';
    return true;
  }
  std::vector<std::string> names = backend_.ListTables();
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) {
    // A table dropped since ListTables simply has nothing to show.
    Result<TableSchema> t = backend_.GetTable(n);
    if (t.ok()) out() << CreateTableSql(*t) << '\n';
  }
  return true;
}

bool Shell::DotModels() {
  std::vector<ModelInfo> models = backend_.ListModels();
  std::sort(models.begin(), models.end(),
            [](const ModelInfo& a, const ModelInfo& b) { return a.name < b.name; });
  size_t width = 0;
  for (const ModelInfo& m : models) width = std::max(width, m.name.size());
  for (const ModelInfo& m : models) {
    out() << m.name << std::string(width - m.name.size() + 2, ' ') << m.path << '\n';
  }
  return true;
}

bool Shell::DotStats() {
  const Stats s = backend_.GetStats();
  const uint64_t lookups = s.cache_hits + s.cache_misses;
  char rate[64];
  if (lookups == 0) {
    std::snprintf(rate, sizeof(rate), "n/a (no lookups yet)");
  } else {
    std::snprintf(rate, sizeof(rate), "%.1f%%",
                  100.0 * static_cast<double>(s.cache_hits) / static_cast<double>(lookups));
  }
  std::ostream& o = out();
  o << "users:          " << s.users << '\n';
  o << "events:         " << s.events << '\n';
  o << "bytes on disk:  " << Bytes(s.disk_bytes) << '\n';
  o << "  segments:     " << Bytes(s.segment_bytes) << ", live " << Bytes(s.live_segment_bytes)
    << '\n';
  o << "  wal:          " << Bytes(s.wal_bytes) << '\n';
  o << "memtable bytes: " << Bytes(s.memtable_bytes) << '\n';
  o << "index bytes:    " << Bytes(s.index_bytes) << " for " << s.index_entries << " blocks\n";
  o << "cache:          " << Bytes(s.cache_bytes) << ", hit rate " << rate;
  if (lookups > 0) o << " (" << s.cache_hits << " hits, " << s.cache_misses << " misses)";
  o << '\n';
  o << "merges:         " << s.merges << '\n';
  o << "flushes:        " << s.flushes << '\n';
  o << "tail folds:     " << s.tail_folds << '\n';
  o << "I/O backend:    " << s.io_backend;
  if (!s.io_fallback_reason.empty()) o << " (" << s.io_fallback_reason << ")";
  o << '\n';
  return true;
}

bool Shell::DotRead(const Unit& unit, std::string_view source,
                    const std::vector<std::string>& args) {
  if (args.size() != 1) {
    ReportError(unit, source, "usage: .read FILE");
    return false;
  }
  if (read_depth_ >= kMaxReadDepth) {
    ReportError(
        unit, source,
        ".read nested more than " + std::to_string(kMaxReadDepth) + " deep at '" + args[0] + "'");
    return false;
  }
  std::ifstream in(args[0]);
  if (!in) {
    ReportError(unit, source, "cannot open '" + args[0] + "': " + std::strerror(errno));
    return false;
  }
  ++read_depth_;
  RunStream(in, args[0]);
  --read_depth_;
  return true;
}

bool Shell::DotOutput(const std::vector<std::string>& args) {
  if (args.size() > 1) return false;
  if (file_out_) file_out_->flush();
  if (args.empty() || args[0] == "stdout") {
    file_out_.reset();
    return true;
  }
  auto f = std::make_unique<std::ofstream>(args[0], std::ios::out | std::ios::trunc);
  if (!*f) return false;
  file_out_ = std::move(f);
  return true;
}

bool Shell::DotImport(const Unit& unit, std::string_view source,
                      const std::vector<std::string>& args) {
  bool header = false;
  std::vector<std::string> rest;
  for (const std::string& a : args) {
    if (a == "--header") {
      header = true;
    } else if (a == "--csv") {
      // The only format .import reads; accepted for sqlite3 habits.
    } else {
      rest.push_back(a);
    }
  }
  if (rest.size() != 2) {
    ReportError(unit, source, "usage: .import [--header] FILE TABLE");
    return false;
  }
  Unit copy = unit;
  copy.kind = Unit::Kind::kSql;
  copy.text = "COPY " + rest[1] + " FROM " + SqlQuote(rest[0]) + " (FORMAT csv, HEADER " +
              (header ? "true" : "false") + ")";
  return RunSql(copy, source);
}

bool Shell::DotExplain(const Unit& unit, std::string_view source) {
  // Everything after ".explain" is the statement, kept verbatim.
  std::string_view rest = std::string_view(unit.text).substr(std::strlen(".explain"));
  while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.front())))
    rest.remove_prefix(1);
  while (!rest.empty() &&
         (rest.back() == ';' || std::isspace(static_cast<unsigned char>(rest.back())))) {
    rest.remove_suffix(1);
  }
  if (rest.empty()) {
    ReportError(unit, source, "usage: .explain [analyze] SQL");
    return false;
  }
  const Status st = ExecuteAndRender("EXPLAIN " + std::string(rest), /*plain=*/true);
  if (!st.ok()) {
    ReportError(unit, source, st.message());
    return false;
  }
  out().flush();
  return true;
}

}  // namespace laser::shell
