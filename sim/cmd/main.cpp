// tamcarlo command line: parses arguments, calls the library, maps errors to exit codes.
#include "sim/error.hpp"
#include "sim/io/output.hpp"
#include "sim/cmd/run.hpp"
#include "sim/lang/scenario.hpp"
#include "sim/cmd/run_suite.hpp"
#include "sim/cmd/mpi_ranks.hpp"
#include "sim/cmd/spread.hpp"
#include "sim/cmd/precision.hpp"
#include "sim/io/part_file.hpp"
#include "sim/io/target.hpp"
#include "sim/io/number_format.hpp"
#include "sim/lang/toml_read.hpp"
#include "sim/io/text.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sched.h>
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
#include <memory>
#include <optional>
#include <mutex>
#include <set>
#include <thread>
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
  if (std::count(args.begin(), args.end(), "-") > 1)
    throw UsageError("`-` (standard input) can be given once");
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

// Progress on stderr, only on a terminal and only once a run takes over half a second: the phase (pilot,
// sampling, further pass, statistics, sensitivity, writing) and, while sampling, a bar with the ETA. Each
// redraw erases the whole line first (no leftover characters).
class ProgressBar {
 public:
  explicit ProgressBar(bool wanted = true)
      : enabled_(wanted && ::isatty(STDERR_FILENO) != 0), start_(std::chrono::steady_clock::now()) {}
  void phase(std::string_view name) {
    if (!enabled_) return;
    std::lock_guard lock(mutex_);
    phase_ = name;
    phase_start_ = std::chrono::steady_clock::now();
    if (elapsed() >= 0.5) draw(fmt::format(" {}…", phase_));
  }
  void operator()(std::uint64_t done, std::uint64_t total) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (elapsed() < 0.5) return;
    std::unique_lock lock(mutex_, std::try_to_lock);
    if (!lock || (now - last_ < std::chrono::milliseconds(100) && done < total)) return;
    last_ = now;
    const double f = static_cast<double>(done) / static_cast<double>(total);
    const double in_phase = std::chrono::duration<double>(now - phase_start_).count();
    const int filled = static_cast<int>(f * 30);
    draw(fmt::format(" {} [{}{}] {:3.0f}%  {}/{} samples  ETA {:.0f} s", phase_, std::string(filled, '#'),
                     std::string(30 - filled, '.'), f * 100, format_number(static_cast<double>(done)),
                     format_number(static_cast<double>(total)), f > 0 ? in_phase * (1 - f) / f : 0.0));
  }
  /// Erases the line if anything was shown.
  void clear() {
    std::lock_guard lock(mutex_);
    if (shown_) std::fputs("\r\033[K", stderr);
    shown_ = false;
  }
  ~ProgressBar() { clear(); }

 private:
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  void draw(const std::string& line) {
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    std::fflush(stderr);
    shown_ = true;
  }
  bool enabled_, shown_ = false;
  std::string phase_ = "sampling";
  std::chrono::steady_clock::time_point start_, phase_start_ = std::chrono::steady_clock::now(), last_{};
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

// `-` is standard input: a scenario or a suite, named <stdin> in messages; its links and member files resolve from
// the working directory.
Job load_job(const std::string& file) {
  if (file == "-") {
    const std::string name = "<stdin>";
    std::string text;
    char buf[1 << 16];
    while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
      text.append(buf, static_cast<std::size_t>(std::cin.gcount()));
      if (text.size() > detail::k_max_scenario_bytes)
        throw ScenarioError({name, 0, 0}, "", fmt::format("standard input holds over {} MiB; scenario files are "
                                                          "limited to {} MiB", detail::k_max_scenario_bytes >> 20,
                                                          detail::k_max_scenario_bytes >> 20));
    }
    if (text.find_first_not_of(" \t\r\n") == std::string::npos)
      throw ScenarioError({name, 0, 0}, "", "standard input is empty; pipe a scenario in, e.g. tamcarlo run - < cell.toml");
    if (is_suite_text(text, name)) return parse_suite(text, name);
    return parse_scenario(text, name);
  }
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
  bool has_samples = false, has_seed = false, has_store = false;  // given on the command line
  unsigned threads = 0;
  std::string output;
  Store store = Store::report;  // default: the reported outputs (inputs re-draw from the seed)
  bool point = false, json = false, force = false, timings = false, sobol = false;
  std::vector<std::string> stress, set;
  std::optional<Shard> shard;            // --shard i/K
  std::vector<std::string> parts;        // merge: the shards' parts
  bool resume = false;
  double checkpoint = 60;                // seconds between checkpoints; 0 = none
  std::string precision;                 // --precision targets
};

// A scenario run in --precision rounds: each a whole run at a growing N, written only when every target is met
// (or N reaches the cap, the -n given, else 1e9).
RunSummary run_to_precision(const Scenario& s, RunOptions opt, const std::vector<PrecisionTarget>& targets) {
  const std::uint64_t cap = opt.samples.value_or(k_precision_cap);
  std::uint64_t n = first_round(cap);
  std::vector<std::uint64_t> rounds;
  std::vector<PrecisionCheck> checks;
  for (;;) {
    opt.samples = n;
    rounds.push_back(n);
    bool accepted = false;
    opt.accept = [&](RunSummary& r) {
      checks = precision_of(r, targets);
      const bool met = precision_met(checks);
      if (!met && n < cap) return false;
      std::vector<std::string> shown;
      for (const auto k : rounds) shown.push_back(thousands(k));
      r.precision = fmt::format("{} at N = {} after {} round{} (N = {}): {}",
                                met ? "reached" : fmt::format("NOT reached by the cap of {} samples (-n)", thousands(cap)),
                                thousands(n), rounds.size(), rounds.size() > 1 ? "s" : "", fmt::join(shown, " → "),
                                describe(checks));
      accepted = true;
      return true;
    };
    RunSummary r = run_scenario(s, opt);
    if (accepted) return r;
    n = next_round(n, checks, cap);
  }
}

// "i/K" with 0 ≤ i < K ≤ 1,000,000.
Shard parse_shard(const std::string& s) {
  const std::size_t slash = s.find('/');
  Shard out;
  const auto number = [&](std::string_view t, std::uint64_t& v) {
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    return !t.empty() && ec == std::errc{} && end == t.data() + t.size();
  };
  if (slash == std::string::npos || !number(std::string_view(s).substr(0, slash), out.index) ||
      !number(std::string_view(s).substr(slash + 1), out.count) || out.count == 0 || out.count > 1'000'000 ||
      out.index >= out.count)
    throw UsageError(fmt::format("--shard {}: expected i/K, shard i (0-based) of K shards, 0 ≤ i < K ≤ 1000000, "
                                 "e.g. --shard 0/100 (Slurm: --shard $SLURM_ARRAY_TASK_ID/100)",
                                 s));
  return out;
}

// The texts a job's results depend on: its files (and the files they link) and the result-changing options.
RunIdentity identity_of(const std::string& file, const Job& job, const RunArgs& a) {
  std::vector<std::string> texts;
  const auto scenario_texts = [&](const Scenario& s) {
    texts.push_back(s.text);
    for (const Link& l : s.links) texts.push_back(l.text);
  };
  if (const auto* s = std::get_if<Scenario>(&job)) {
    scenario_texts(*s);
  } else {
    const Suite& u = std::get<Suite>(job);
    texts.push_back(u.text);
    for (const SuiteMember& m : u.members) scenario_texts(m.scenario);
  }
  RunIdentity id;
  id.job = fs::absolute(file).lexically_normal().string();
  id.stress = a.stress;
  id.set = a.set;
  for (const auto& x : a.stress) texts.push_back("--stress " + x);
  for (const auto& x : a.set) texts.push_back("--set " + x);
  id.fingerprint = job_fingerprint(texts);
  return id;
}

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

// A process whose CPU affinity allows fewer CPUs than --threads asks for (mpirun binds each rank to a core or a
// socket by default; taskset; a job's allocation) gets fewer workers than it asked for from TBB, which says only
// "the number of workers is currently limited" (measured: mpirun -np 1 … --threads 16 ran 9× slower than the same
// run without mpirun). Says so once (rank 0), naming the fix; under a launcher also when the default thread
// count comes down to one CPU.
void warn_if_bound(const RunArgs& a, const Ranks* ranks) {
  if (ranks && ranks->rank() != 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return;
  const auto cpus = static_cast<unsigned>(CPU_COUNT(&set));
  const unsigned cores = std::max(1U, std::thread::hardware_concurrency());
  const unsigned threads = a.threads != 0 ? a.threads : cpus;  // by default TBB takes the CPUs the mask allows
  const bool launched = started_by_launcher();
  if (threads <= cpus && !(launched && a.threads == 0 && cpus == 1 && cores > 1)) return;
  std::cerr << fmt::format("tamcarlo: warning: this {} may use {} of the machine's {} CPUs (its CPU affinity{}) and "
                           "asks for {} thread{}; {}\n",
                           launched ? "rank" : "process", cpus, cores, launched ? ": mpirun bound it" : "", threads,
                           threads == 1 ? "" : "s",
                           launched ? "unbind the ranks (Open MPI: mpirun --bind-to none, or --map-by "
                                      "slot:PE=<threads per rank>) so each rank's threads get their own cores"
                                    : "run with --threads " + std::to_string(cpus) + " or widen the affinity (taskset, "
                                      "the job's CPU allocation)");
}

int cmd_run(const RunArgs& a, Ranks* ranks) {
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

  // -o is a directory for several scenarios, for a directory of scenarios (however many it holds: what it
  // holds is not known when the command is written), for an existing directory and for a path ending in '/'.
  const bool many = jobs.size() > 1;
  std::error_code ec;
  const bool dir_input = std::any_of(a.files.begin(), a.files.end(), [](const std::string& f) {
    std::error_code e;
    return fs::is_directory(f, e);
  });
  const bool to_dir =
      !a.output.empty() && (many || dir_input || fs::is_directory(a.output, ec) || a.output.back() == '/');
  if (to_dir && !a.point && fs::exists(a.output, ec) && !fs::is_directory(a.output, ec))
    throw UsageError(fmt::format("-o {}: a directory is needed ({}), and this path exists and is not one; give -o "
                                 "a directory or a new path",
                                 a.output, many ? "several scenarios" : "an input is a directory of scenarios"));
  std::map<std::size_t, std::string> targets;
  if (!a.point) {
    std::set<std::string> seen;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      const std::string& name = job_name(jobs[i]);
      if (!a.output.empty() && !to_dir) targets[i] = a.output;
      else targets[i] = ((a.output.empty() ? fs::path("results") : fs::path(a.output)) / (name + ".h5")).string();
      if (a.shard && (a.output.empty() || to_dir)) targets[i] = shard_path(targets[i], *a.shard);  // -o FILE: as given
      if (!a.precision.empty()) {
        const auto* s = std::get_if<Scenario>(&jobs[i]);
        if (!s) throw UsageError(fmt::format("--precision applies to scenario files; {} is a suite", files[i]));
        (void)parse_precision(a.precision, *s);
      }
      targets[i] = checked_result_target(targets[i], files, a.force);
      if (!seen.insert(targets[i]).second)
        throw UsageError(fmt::format("two scenarios would write {}; give them different names", targets[i]));
    }
    if (a.output.empty() || to_dir) fs::create_directories(a.output.empty() ? fs::path("results") : fs::path(a.output));
  }

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  if (!a.point) warn_if_bound(a, ranks);
  const auto options_for = [&](std::size_t i) {
    RunOptions opt;
    if (a.has_seed) opt.seed = a.seed;
    if (a.has_samples) opt.samples = a.samples;
    opt.threads = a.threads;
    opt.store = a.store;
    opt.point_only = a.point;
    opt.sobol = a.sobol;
    if (!a.point) opt.output = targets[i];
    opt.shard = a.shard;
    opt.parts = a.parts;
    opt.ranks = ranks;
    opt.identity = identity_of(files[i], jobs[i], a);
    opt.resume = a.resume;
    opt.checkpoint_seconds = a.shard || (ranks && ranks->size() > 1) ? 0 : a.checkpoint;
    if (const auto* s = std::get_if<Scenario>(&jobs[i])) opt.stresses = stress_cases(*s, a);
    else {
      const Suite& u = std::get<Suite>(jobs[i]);
      if (!a.stress.empty() || !a.set.empty())
        throw UsageError(fmt::format("--stress and --set apply to scenario files; {} is a suite", u.path));
      if (!a.has_store && u.store) opt.store = *u.store;
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
  // Rank 0 of an MPI run speaks for all; a shard says what it wrote.
  const bool quiet = ranks && ranks->rank() != 0;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    RunOptions opt = options_for(i);  // again: the options checked above
    ProgressBar bar(!quiet);
    opt.progress = [&bar](std::uint64_t done, std::uint64_t total) { bar(done, total); };
    opt.phase = [&bar](std::string_view name) { bar.phase(name); };
    opt.cancel = &g_cancel;
    opt.notice = [&](const std::string& line) { std::cerr << files[i] << ": " << line << '\n'; };
    if (i > 0 && !a.json && !quiet) std::cout << '\n';
    if (const auto* s = std::get_if<Scenario>(&jobs[i])) {
      RunSummary r = a.precision.empty() ? run_scenario(*s, opt)
                                         : run_to_precision(*s, opt, parse_precision(a.precision, *s));
      r.timings.parse = parse_seconds;
      bar.clear();
      if (quiet) continue;
      if (a.shard) std::cout << fmt::format("{}: shard {} of {} written to {}\n", files[i], a.shard->index, a.shard->count, r.output);
      else if (a.json) print_json(r, std::cout);
      else print_table(r, std::cout);
      if (a.timings && !a.json && !a.point) print_timings(r.timings, std::cout);
    } else {
      const Suite& u = std::get<Suite>(jobs[i]);
      SuiteSummary r = run_suite(u, opt);
      r.timings.parse = parse_seconds;
      bar.clear();
      if (quiet) continue;
      if (a.shard) std::cout << fmt::format("{}: shard {} of {} written to {}\n", files[i], a.shard->index, a.shard->count, r.output);
      else if (a.json) print_suite_json(r, u, std::cout);
      else print_suite(r, u, std::cout);
      if (a.timings && !a.json && !a.point) print_timings(r.timings, std::cout);
    }
    std::cout.flush();
  }
  return 0;
}

// `tamcarlo merge`: checks that the parts are every shard of one run, then writes that run's result.
int cmd_merge(RunArgs a, Ranks* ranks) {
  if (a.parts.empty()) throw UsageError("merge: give the parts written by `tamcarlo run --shard i/K`");
  std::vector<std::unique_ptr<PartReader>> parts;
  for (const auto& p : a.parts) parts.push_back(std::make_unique<PartReader>(p));
  const PartInfo& first = parts.front()->info();
  std::map<std::uint64_t, std::string> by_shard;
  for (const auto& part : parts) {
    const PartInfo& p = part->info();
    const auto differs = [&](const char* what, const std::string& mine, const std::string& theirs) {
      if (mine != theirs)
        throw UsageError(fmt::format("merge: {} and {} are not parts of one run: {} {} vs {}", a.parts.front(),
                                     part->path(), what, theirs, mine));
    };
    if (p.kind != "shard") throw UsageError(fmt::format("merge: {} is a {}, not a shard's part", part->path(), p.kind));
    differs("job", p.job, first.job);
    differs("seed", std::to_string(p.seed), std::to_string(first.seed));
    differs("samples", std::to_string(p.samples), std::to_string(first.samples));
    differs("shard count", std::to_string(p.shards), std::to_string(first.shards));
    differs("store", p.store, first.store);
    differs("tamcarlo version", p.tamcarlo_version, first.tamcarlo_version);
    differs("stream version", std::to_string(p.stream_version), std::to_string(first.stream_version));
    differs("--stress/--set", fmt::format("{}", fmt::join(p.stress, ",")) + "|" + fmt::format("{}", fmt::join(p.set, ",")),
            fmt::format("{}", fmt::join(first.stress, ",")) + "|" + fmt::format("{}", fmt::join(first.set, ",")));
    differs("scenario text fingerprint", p.fingerprint, first.fingerprint);
    if (const auto [it, fresh] = by_shard.emplace(p.shard, part->path()); !fresh)
      throw UsageError(fmt::format("merge: shard {} of {} is given twice: {} and {}", p.shard, p.shards, it->second,
                                   part->path()));
  }
  std::vector<std::string> missing;
  for (std::uint64_t i = 0; i < first.shards && missing.size() < 10; ++i)
    if (!by_shard.count(i)) missing.push_back(std::to_string(i));
  if (!missing.empty())
    throw UsageError(fmt::format("merge: shard{} {} of {} {} missing (a run of {} with --shard i/{} writes each)",
                                 missing.size() > 1 ? "s" : "", fmt::join(missing, ", "), first.shards,
                                 missing.size() > 1 ? "are" : "is", first.job, first.shards));
  // The run the parts came from, as it was.
  a.files = {first.job};
  a.seed = first.seed;
  a.has_seed = true;
  a.samples = first.samples;
  a.has_samples = true;
  a.store = store_named(first.store);
  a.has_store = true;
  a.stress = first.stress;
  a.set = first.set;
  a.checkpoint = 0;
  {
    std::error_code ec;
    if (!fs::is_regular_file(first.job, ec))
      throw UsageError(fmt::format("merge: the parts are of {}, which is not there any more", first.job));
    const Job job = load_job(first.job);
    if (identity_of(first.job, job, a).fingerprint != first.fingerprint)
      throw UsageError(fmt::format("merge: {} (or a file it links) has changed since the parts were written; "
                                   "run the shards again",
                                   first.job));
  }
  return cmd_run(a, ranks);
}

}  // namespace

// `tamcarlo report`: hands over to the report script (matplotlib, h5py) under Debian's python.
int cmd_report(const std::string& result, const std::string& output, const std::string& locale, unsigned dpi, bool svg) {
  {
    const CommitLock lock(result);  // a run killed between renaming the result and its CSV: finish that first
    (void)finish_interrupted_commit(result);
  }
  const char* env = std::getenv("TAMCARLO_PYTHON");
  const std::string python = env && *env ? env : "/usr/bin/python3";
  std::vector<std::string> args = {python, TAMCARLO_REPORT_SCRIPT, result, "--locale", locale, "--dpi",
                                   std::to_string(dpi)};
  if (!output.empty()) args.insert(args.end(), {"-o", output});
  if (svg) args.push_back("--svg");
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

int run_main(int argc, char** argv, Ranks* ranks) {
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
                  "Result file (one scenario file) or directory (several scenarios, a directory of them, an existing "
                  "directory or a path ending in /; default: results/<scenario name>.h5)");
  const std::map<std::string, Store> stores = {{"all", Store::all}, {"report", Store::report}, {"none", Store::none}};
  run->add_option("--store", ra.store, "Which variables' samples to store: all, report or none (default report, or a suite's `store`)")
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
  run->add_flag("--sobol", ra.sobol,
                "Also compute Sobol' first-order and total indices of each reported output (Saltelli design on the "
                "first min(N, 100,000) samples; the model runs N·(inputs + 2) times)");
  run->add_flag("--json", ra.json, "Print the summary as JSON (one object per scenario per line) instead of a table");
  std::string shard_text;
  run->add_option("--shard", shard_text,
                  "Compute only shard i of K (i/K, 0-based) and write a part beside the result "
                  "(<name>.part-i-of-K.h5); `tamcarlo merge` joins the K parts into the result");
  run->add_flag("--resume", ra.resume,
                "Continue from the checkpoint beside the result (<result>.checkpoint) if there is one; the result "
                "is bit-identical to an uninterrupted run");
  run->add_option("--precision", ra.precision,
                  "Run in rounds of growing N until each target's 95% CI half-width, relative to its value, is at most "
                  "X: TARGET=X% (comma-separated; TARGET = all, VARIABLE or VARIABLE.STAT with STAT mean, p1 … p99), "
                  "e.g. market.p50=0.5%; -n caps N (default 1e9)");
  run->add_option("--checkpoint", ra.checkpoint,
                  "Seconds between checkpoints of a long run (default 60; 0 = none); removed once the result is written")
      ->check(CLI::Range(0.0, 1e9));

  RunArgs ma;
  CLI::App* merge = app.add_subcommand("merge", "Join the parts of a run's shards (run --shard i/K) into its result");
  merge->add_option("parts", ma.parts, "Every part of one run (any order)")->required();
  merge->add_option("-o,--output", ma.output, "Result file (default: results/<scenario name>.h5)");
  merge->add_option("--threads", ma.threads, "Worker threads (default: one per core)")->check(CLI::Range(1u, 4096u));
  merge->add_flag("--force", ma.force, "Replace an existing regular file at the output path that is not a tamcarlo result");
  merge->add_flag("--json", ma.json, "Print the summary as JSON instead of a table");
  merge->add_flag("--timings", ma.timings, "Print the wall time of each phase");

  std::vector<std::string> validate_files;
  CLI::App* validate = app.add_subcommand("validate", "Check scenario files and lint their inputs (sources, points)");
  validate->add_option("files", validate_files, "Scenario files (.toml) or directories of them")->required();

  std::string report_file, report_dir, report_locale = "en";
  CLI::App* report = app.add_subcommand("report", "Write charts and a self-contained HTML page from a result file");
  report->add_option("result", report_file, "Result file (.h5) written by `tamcarlo run`")->required();
  report->add_option("-o,--output", report_dir, "Directory to write (default: the result's name + \"-report\")");
  report->add_option("--locale", report_locale, "Numbers and labels: en (13.2B) or zh (132亿, Chinese labels)")
      ->check(CLI::IsMember({"en", "zh"}));
  unsigned report_dpi = 200;
  bool report_svg = false;
  report->add_option("--dpi", report_dpi, "PNG resolution of the charts (default 200)")->check(CLI::Range(50u, 1200u));
  report->add_flag("--svg", report_svg, "Also write every chart as SVG beside its PNG");

  // An unknown command word: say so, rather than CLI11's "A subcommand is required".
  bool known = true;
  try {
    if (argc > 1 && argv[1][0] != '-') (void)app.get_subcommand_ptr(std::string(argv[1]));
  } catch (const CLI::OptionNotFound&) {
    known = false;
  }
  if (!known) {
    std::cerr << fmt::format("tamcarlo: error: unknown command `{}`; commands are `run`, `merge`, `validate` and `report`\n"
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
    ra.has_seed = run->count("--seed") > 0;
    ra.has_samples = run->count("--samples") > 0;
    ra.has_store = run->count("--store") > 0;
    if (!shard_text.empty()) ra.shard = parse_shard(shard_text);
    if (ra.shard && ra.point) throw UsageError("--shard and --point do not go together (--point samples nothing)");
    if (!ra.precision.empty() && (ra.shard || ra.point || ra.resume))
      throw UsageError("--precision runs whole rounds: it does not go with --shard, --point or --resume");
    if (ranks && ranks->size() > 1 && (ra.shard || ra.resume || *merge))
      throw UsageError("under mpirun, run without --shard, --resume or merge: the ranks share the blocks themselves");
    if (*run) return cmd_run(ra, ranks);
    if (*merge) return cmd_merge(ma, ranks);
    if (*report) return cmd_report(report_file, report_dir, report_locale, report_dpi, report_svg);
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

int main(int argc, char** argv) {
  std::unique_ptr<Ranks> ranks;
  try {
    ranks = start_ranks(argc, argv);  // before the arguments are read: MPI may take some of its own
  } catch (const Error& e) {
    std::cerr << "tamcarlo: error: " << terminal_safe(e.what()) << '\n';
    return static_cast<int>(e.exit_code());
  }
  const int code = run_main(argc, argv, ranks.get());
  if (code != 0) abort_ranks(ranks.get(), code);  // one rank failing ends them all, with its exit status
  return code;
}
