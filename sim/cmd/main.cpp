// tamcarlo command line: parses arguments, calls the library, maps errors to exit codes.
#include "sim/error.hpp"
#include "sim/io/output.hpp"
#include "sim/cmd/run.hpp"
#include "sim/lang/scenario.hpp"
#include "sim/cmd/run_suite.hpp"
#include "sim/io/target.hpp"
#include "sim/io/text.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <variant>

namespace fs = std::filesystem;
using namespace tamcarlo;

namespace {

// Set by SIGINT/SIGTERM; the engine polls it between blocks. (A signal handler can only reach a global.)
// The handler stays installed: a repeated signal (a second Ctrl-C, or `timeout` signalling the process
// and its group) must not kill the process between creating and removing its temporary file.
std::atomic<bool> g_cancel{false};

extern "C" void on_signal(int) { g_cancel.store(true); }

// Scenario files from the arguments: files as given, directories expanded to their *.toml, sorted.
std::vector<std::string> expand(const std::vector<std::string>& args) {
  std::vector<std::string> files;
  for (const auto& a : args) {
    std::error_code ec;
    if (fs::is_directory(a, ec)) {
      std::vector<std::string> found;
      for (const auto& e : fs::directory_iterator(a))
        if (e.is_regular_file() && e.path().extension() == ".toml") found.push_back(e.path().string());
      if (found.empty()) throw UsageError(fmt::format("directory {} holds no .toml scenario files", a));
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(a);
    }
  }
  return files;
}

// A throttled progress bar on stderr, shown only on a terminal and only once a run takes over a second.
class ProgressBar {
 public:
  ProgressBar() : enabled_(::isatty(STDERR_FILENO) != 0), start_(std::chrono::steady_clock::now()) {}
  void operator()(std::uint64_t done, std::uint64_t total) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    if (elapsed < 1.0) return;
    std::unique_lock lock(mutex_, std::try_to_lock);
    if (!lock || (now - last_ < std::chrono::milliseconds(100) && done < total)) return;
    last_ = now;
    const double f = static_cast<double>(done) / static_cast<double>(total);
    const int filled = static_cast<int>(f * 30);
    std::fprintf(stderr, "\r [%s%s] %3.0f%%  %s/%s samples  ETA %.0f s ", std::string(filled, '#').c_str(),
                 std::string(30 - filled, '.').c_str(), f * 100, human(static_cast<double>(done)).c_str(),
                 human(static_cast<double>(total)).c_str(), f > 0 ? elapsed * (1 - f) / f : 0.0);
    shown_ = true;
  }
  /// Erases the bar if it was shown.
  void clear() {
    std::lock_guard lock(mutex_);
    if (shown_) std::fprintf(stderr, "\r%72s\r", "");
    shown_ = false;
  }
  ~ProgressBar() { clear(); }

 private:
  bool enabled_, shown_ = false;
  std::chrono::steady_clock::time_point start_, last_{};
  std::mutex mutex_;
};

// Accepts 1000000, 1e6 or 1_000_000 for a sample count.
std::string parse_count(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == s.size() && v > 1e15)
    throw CLI::ValidationError(fmt::format("`{}` is more than the 1e15 samples a run may take", s));
  if (used != s.size() || v < 1 || v != std::floor(v))
    throw CLI::ValidationError(fmt::format("`{}` is not a whole number of samples ≥ 1 (e.g. 1000000 or 1e6)", s));
  return fmt::format("{:.0f}", v);
}

// A seed: a whole number 0 … 2⁶⁴ − 1, written in digits (no sign, no exponent).
std::string parse_seed(const std::string& s) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      ec != std::errc{} || end != s.data() + s.size())
    throw CLI::ValidationError(fmt::format("`{}` is not a seed; seeds are whole numbers from 0 to 18446744073709551615", s));
  return s;
}

// A scenario file or a suite file, loaded and validated.
using Job = std::variant<Scenario, Suite>;

Job load_job(const std::string& file) {
  if (is_suite_file(file)) return load_suite(file);
  return load_scenario(file);
}

const std::string& job_name(const Job& j) {
  return std::visit([](const auto& x) -> const std::string& { return x.name; }, j);
}
const std::vector<Warning>& job_warnings(const Job& j) {
  return std::visit([](const auto& x) -> const std::vector<Warning>& { return x.warnings; }, j);
}

int cmd_validate(const std::vector<std::string>& args) {
  int failures = 0;
  for (const auto& file : expand(args)) {
    try {
      const Job job = load_job(file);
      for (const auto& w : job_warnings(job)) std::cerr << terminal_safe(w.str()) << '\n';
      const std::size_t nwarn = job_warnings(job).size();
      const std::string warned = nwarn == 0 ? "" : fmt::format(" ({} warnings)", nwarn);
      if (const auto* s = std::get_if<Scenario>(&job)) {
        std::cout << fmt::format("{}: ok: `{}`, {} inputs, {} formulas{}, reports {}{}\n", terminal_safe(file), s->name,
                                 s->inputs.size(), s->formulas.size(),
                                 s->years.empty() ? "" : fmt::format(", years {}–{}", s->years.front(), s->years.back()),
                                 quoted_list(s->report), warned);
      } else {
        const Suite& u = std::get<Suite>(job);
        const auto cells = std::count_if(u.members.begin(), u.members.end(), [](const SuiteMember& m) { return m.cell; });
        std::cout << fmt::format("{}: ok: suite `{}`, {} cells, {} runs, {} shared inputs{}\n", file, u.name, cells,
                                 u.members.size() - static_cast<std::size_t>(cells), u.shared.inputs.size(), warned);
      }
    } catch (const ScenarioError& e) {
      std::cerr << terminal_safe(e.what()) << '\n';
      ++failures;
    }
  }
  return failures == 0 ? 0 : static_cast<int>(ExitCode::invalid_scenario);
}

struct RunArgs {
  std::vector<std::string> files;
  std::uint64_t samples = 0;
  std::uint64_t seed = 0;
  unsigned threads = 0;
  std::string output;
  Store store = Store::all;
  bool point = false, json = false, force = false, timings = false;
  std::vector<std::string> stress, set;
};

// The stressed cases a run asks for: the named [stress.<name>] sets (or all), then --set overrides as "set".
std::vector<StressCase> stress_cases(const Scenario& s, const RunArgs& a) {
  std::vector<StressCase> cases;
  std::vector<std::string> names;
  for (const auto& st : s.stresses) names.push_back(st.name);
  for (std::size_t i = 0; i < a.stress.size(); ++i)
    if (std::find(a.stress.begin(), a.stress.begin() + static_cast<std::ptrdiff_t>(i), a.stress[i]) !=
        a.stress.begin() + static_cast<std::ptrdiff_t>(i))
      throw UsageError(fmt::format("--stress names `{}` twice; each stress set runs once", a.stress[i]));
  for (const auto& want : a.stress) {
    if (want == "all") {
      for (const auto& st : s.stresses) cases.push_back({st.name, st.description, st.overrides});
      if (s.stresses.empty()) throw UsageError(fmt::format("--stress all: {} defines no [stress.<name>] sets", s.path));
      continue;
    }
    const auto it = std::find_if(s.stresses.begin(), s.stresses.end(), [&](const Stress& st) { return st.name == want; });
    if (it == s.stresses.end())
      throw UsageError(fmt::format("--stress {}: {} has no [stress.{}]{}; its stress sets: {}", want, s.path, want,
                                   did_you_mean(want, names), names.empty() ? "none" : quoted_list(names)));
    cases.push_back({it->name, it->description, it->overrides});
  }
  if (!a.set.empty()) {
    StressCase c{"set", "", {}};
    for (const auto& spec : a.set) {
      c.overrides.push_back(parse_override(spec, s));
      c.description += (c.description.empty() ? "command line: --set " : ", --set ") + spec;
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

int cmd_run(const RunArgs& a, const CLI::App& sub) {
  // Validate every scenario before running any: a bad file fails fast and nothing is written.
  std::vector<Job> jobs;
  const auto parse_start = std::chrono::steady_clock::now();
  const std::vector<std::string> files = expand(a.files);
  for (const auto& f : files) jobs.push_back(load_job(f));
  // Parsing time is shared out evenly: it is one phase of every run.
  const double parse_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - parse_start).count() / static_cast<double>(jobs.size());
  for (const auto& j : jobs)
    for (const auto& w : job_warnings(j)) std::cerr << terminal_safe(w.str()) << '\n';

  const bool many = jobs.size() > 1;
  std::error_code ec;
  const bool to_dir = !a.output.empty() && (many || fs::is_directory(a.output, ec) || a.output.back() == '/');
  std::map<std::size_t, std::string> targets;
  if (!a.point) {
    std::set<std::string> seen;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      const std::string& name = job_name(jobs[i]);
      if (!a.output.empty() && !to_dir) targets[i] = a.output;
      else targets[i] = ((a.output.empty() ? fs::path("results") : fs::path(a.output)) / (name + ".h5")).string();
      targets[i] = checked_result_target(targets[i], files, a.force);
      if (!seen.insert(targets[i]).second)
        throw UsageError(fmt::format("two scenarios would write {}; give them different names", targets[i]));
    }
    if (a.output.empty() || to_dir) fs::create_directories(a.output.empty() ? fs::path("results") : fs::path(a.output));
  }

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const auto options_for = [&](std::size_t i) {
    RunOptions opt;
    if (sub.count("--seed")) opt.seed = a.seed;
    if (sub.count("--samples")) opt.samples = a.samples;
    opt.threads = a.threads;
    opt.store = a.store;
    opt.point_only = a.point;
    if (!a.point) opt.output = targets[i];
    if (const auto* s = std::get_if<Scenario>(&jobs[i])) opt.stresses = stress_cases(*s, a);
    else {
      const Suite& u = std::get<Suite>(jobs[i]);
      if (!a.stress.empty() || !a.set.empty())
        throw UsageError(fmt::format("--stress and --set apply to scenario files; {} is a suite", u.path));
      if (!sub.count("--store") && u.store) opt.store = *u.store;
    }
    return opt;
  };
  // Every job is checked (memory, then the disk for all their samples together) before the first is written.
  if (!a.point && jobs.size() > 1) {
    double stored = 0;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      RunOptions opt = options_for(i);
      RunNeeds needs;
      opt.preflight = &needs;
      if (const auto* s = std::get_if<Scenario>(&jobs[i])) (void)run_scenario(*s, opt);
      else (void)run_suite(std::get<Suite>(jobs[i]), opt);
      stored += needs.stored_bytes;
    }
    check_disk_space(targets.at(0), stored);
  }
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    RunOptions opt = options_for(i);  // again: the options checked above
    ProgressBar bar;
    opt.progress = [&bar](std::uint64_t done, std::uint64_t total) { bar(done, total); };
    opt.cancel = &g_cancel;
    if (i > 0 && !a.json) std::cout << '\n';
    if (const auto* s = std::get_if<Scenario>(&jobs[i])) {
      RunSummary r = run_scenario(*s, opt);
      r.timings.parse = parse_seconds;
      bar.clear();
      if (a.json) print_json(r, std::cout);
      else print_table(r, std::cout);
      if (a.timings && !a.json && !a.point) print_timings(r.timings, std::cout);
    } else {
      const Suite& u = std::get<Suite>(jobs[i]);
      SuiteSummary r = run_suite(u, opt);
      r.timings.parse = parse_seconds;
      bar.clear();
      if (a.json) print_suite_json(r, u, std::cout);
      else print_suite(r, u, std::cout);
      if (a.timings && !a.json && !a.point) print_timings(r.timings, std::cout);
    }
    std::cout.flush();
  }
  return 0;
}

}  // namespace

// `tamcarlo report`: hands over to the report script (matplotlib, h5py) under Debian's python.
int cmd_report(const std::string& result, const std::string& output, const std::string& locale) {
  {
    const CommitLock lock(result);  // a run killed between renaming the result and its CSV: finish that first
    (void)finish_interrupted_commit(result);
  }
  const char* env = std::getenv("TAMCARLO_PYTHON");
  const std::string python = env && *env ? env : "/usr/bin/python3";
  std::vector<std::string> args = {python, TAMCARLO_REPORT_SCRIPT, result, "--locale", locale};
  if (!output.empty()) args.insert(args.end(), {"-o", output});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::cout.flush();
  ::execv(python.c_str(), argv.data());
  throw RunError(fmt::format("cannot run {} ({}); `tamcarlo report` needs Debian's python3 with python3-h5py and "
                             "python3-matplotlib (bash .ci/setup installs them), or TAMCARLO_PYTHON set to such a "
                             "python",
                             python, std::strerror(errno)));
}

int main(int argc, char** argv) {
  CLI::App app{"tamcarlo: Monte Carlo market-size and investment simulator"};
  app.set_version_flag("--version", std::string("tamcarlo ") + TAMCARLO_VERSION);
  app.require_subcommand(1);
  app.footer("Exit codes: 0 ok, 1 usage error, 2 invalid scenario, 3 run failure, 130 interrupted.");

  RunArgs ra;
  CLI::App* run = app.add_subcommand("run", "Sample scenarios and write their distributions to HDF5");
  run->add_option("files", ra.files, "Scenario files (.toml) or directories of them")->required();
  run->add_option("-n,--samples", ra.samples, fmt::format("Number of samples (default {})", thousands(k_default_samples)))
      ->transform(parse_count);
  run->add_option("--seed", ra.seed, fmt::format("Random seed (default: the scenario's, else {})", k_default_seed))
      ->transform(parse_seed);
  run->add_option("--threads", ra.threads, "Worker threads (default: one per core)")->check(CLI::Range(1u, 4096u));
  run->add_option("-o,--output", ra.output,
                  "Result file (one scenario) or directory (default: results/<scenario name>.h5)");
  const std::map<std::string, Store> stores = {{"all", Store::all}, {"report", Store::report}, {"none", Store::none}};
  run->add_option("--store", ra.store, "Which variables' samples to store: all, report or none (default all, or a suite's `store`)")
      ->transform(CLI::CheckedTransformer(stores, CLI::ignore_case));
  run->add_option("--stress", ra.stress,
                  "Also run these [stress.<name>] sets beside the base, on the same samples (comma-separated, or all)")
      ->delimiter(',');
  run->add_option("--set", ra.set,
                  "Also run a case with an input replaced: NAME=VALUE, VALUE a number, \"LOW to HIGH\" or a "
                  "{ dist = ... } table (repeatable)");
  run->add_flag("--force", ra.force,
                "Replace an existing regular file at the output path that is not a tamcarlo result (device nodes, "
                "FIFOs, directories and the scenario files themselves are never replaced)");
  run->add_flag("--point", ra.point, "Evaluate every formula once at the inputs' point values (writes no file)");
  run->add_flag("--timings", ra.timings,
                "Print the wall time of each phase (parse, pilot, sampling pass, further passes, statistics, "
                "sensitivity, write); --json always has them");
  run->add_flag("--json", ra.json, "Print the summary as JSON (one object per scenario per line) instead of a table");

  std::vector<std::string> validate_files;
  CLI::App* validate = app.add_subcommand("validate", "Check scenario files and lint their inputs (sources, points)");
  validate->add_option("files", validate_files, "Scenario files (.toml) or directories of them")->required();

  std::string report_file, report_dir, report_locale = "en";
  CLI::App* report = app.add_subcommand("report", "Write charts and a self-contained HTML page from a result file");
  report->add_option("result", report_file, "Result file (.h5) written by `tamcarlo run`")->required();
  report->add_option("-o,--output", report_dir, "Directory to write (default: the result's name + \"-report\")");
  report->add_option("--locale", report_locale, "Number style: en (13.2 bn) or zh (132亿)")
      ->check(CLI::IsMember({"en", "zh"}));

  // An unknown command word: say so, rather than CLI11's "A subcommand is required".
  bool known = true;
  try {
    if (argc > 1 && argv[1][0] != '-') (void)app.get_subcommand_ptr(std::string(argv[1]));
  } catch (const CLI::OptionNotFound&) {
    known = false;
  }
  if (!known) {
    std::cerr << fmt::format("tamcarlo: error: unknown command `{}`; commands are `run`, `validate` and `report`\n"
                             "Run with --help for usage.\n",
                             terminal_safe(argv[1]));
    return static_cast<int>(ExitCode::usage);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "tamcarlo: error: " << terminal_safe(e.what()) << "\nRun with --help for usage.\n";
    return static_cast<int>(ExitCode::usage);
  }

  try {
    if (*run) return cmd_run(ra, *run);
    if (*report) return cmd_report(report_file, report_dir, report_locale);
    return cmd_validate(validate_files);
  } catch (const Error& e) {
    std::cerr << (dynamic_cast<const ScenarioError*>(&e) ? "" : "tamcarlo: error: ") << terminal_safe(e.what()) << '\n';
    return static_cast<int>(e.exit_code());
  } catch (const fs::filesystem_error& e) {
    std::cerr << "tamcarlo: error: " << terminal_safe(e.what()) << '\n';
    return static_cast<int>(ExitCode::run_failure);
  } catch (const std::bad_alloc&) {
    std::cerr << "tamcarlo: error: out of memory; use fewer samples or --store report|none\n";
    return static_cast<int>(ExitCode::run_failure);
  } catch (const std::exception& e) {
    // Anything else is a defect of tamcarlo, not of the input: say so rather than abort.
    std::cerr << "tamcarlo: internal error: " << terminal_safe(e.what()) << " (please report it with the scenario)\n";
    return static_cast<int>(ExitCode::run_failure);
  }
}
