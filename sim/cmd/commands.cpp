#include "sim/cmd/commands.hpp"

#include "sim/base/error.hpp"
#include "sim/base/numeric.hpp"
#include "sim/base/text.hpp"
#include "sim/cmd/progress_bar.hpp"
#include "sim/io/commit.hpp"
#include "sim/io/seal.hpp"
#include "sim/io/json_output.hpp"
#include "sim/io/output_path.hpp"
#include "sim/io/part_file.hpp"
#include "sim/io/table.hpp"
#include "sim/run/job.hpp"
#include "sim/run/mpi_ranks.hpp"
#include "sim/run/precision.hpp"
#include "sim/run/run_scenario.hpp"
#include "sim/run/run_suite.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>
#include <sched.h>
#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <cmath>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <variant>

namespace tamcarlo {

namespace fs = std::filesystem;

int cmd_validate(const std::vector<std::string>& args) {
  int failures = 0;
  for (const auto& file : job_files(args)) {
    try {
      const Job job = load_job(file);
      for (const auto& w : job_warnings(job)) std::cerr << terminal_safe(w.str()) << '\n';
      const std::size_t nwarn = job_warnings(job).size();
      const std::string warned = nwarn == 0 ? "" : fmt::format(" ({} warning{})", nwarn, nwarn == 1 ? "" : "s");
      if (const auto* s = std::get_if<Scenario>(&job)) {
        const auto indicators = std::count_if(s->formulas.begin(), s->formulas.end(),
                                              [](const Formula& f) { return f.role != FormulaRole::variable; });
        std::vector<std::string> figures;
        for (const Evidence& e : s->evidence) figures.push_back(e.label());
        std::cout << fmt::format("{}: ok: `{}`, {} inputs, {} formulas{}{}, reports {}{}{}\n", terminal_safe(file), s->name,
                                 s->inputs.size(), s->formulas.size() - static_cast<std::size_t>(indicators),
                                 indicators == 0 ? "" : fmt::format(", {} checks and bounds", indicators),
                                 s->years.empty() ? "" : fmt::format(", years {}–{}", s->years.front(), s->years.back()),
                                 quoted_list(s->report),
                                 figures.empty() ? "" : ", conditioned on " + quoted_list(figures), warned);
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

namespace {

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

// Where each job writes: -o FILE for one job; else DIR/<name>.h5 (DIR = -o or results/); a shard's part beside it.
// -o is a directory for several jobs, for a directory of scenarios (however many it holds: what it holds is not
// known when the command is written), for an existing directory and for a path ending in '/'. Every target is
// checked (what it may replace, two jobs writing one file) and --precision parsed before anything is created.
struct Targets {
  std::vector<std::string> paths;  // per job ("" with --point)
  std::optional<fs::path> directory;  // to create once every check has passed
};

Targets result_targets(const RunArgs& a, const std::vector<std::string>& files, const std::vector<Job>& jobs) {
  Targets out;
  out.paths.assign(jobs.size(), "");
  const bool many = jobs.size() > 1;
  std::error_code ec;
  const bool dir_input = std::any_of(a.files.begin(), a.files.end(), [](const std::string& f) {
    std::error_code e;
    return fs::is_directory(f, e);
  });
  const bool to_dir =
      !a.output.empty() && (many || dir_input || fs::is_directory(a.output, ec) || a.output.back() == '/');
  if (to_dir && !a.point && many && !fs::exists(a.output, ec) && fs::path(a.output).extension() == ".h5")
    throw UsageError(fmt::format("-o {}: several scenarios write several results, so -o names a directory, and one "
                                 "named like a result file would mislead; give -o a directory (e.g. -o {}/)",
                                 a.output, fs::path(a.output).stem().string()));
  if (to_dir && !a.point && fs::exists(a.output, ec) && !fs::is_directory(a.output, ec))
    throw UsageError(fmt::format("-o {}: a directory is needed ({}), and this path exists and is not one; give -o "
                                 "a directory or a new path",
                                 a.output, many ? "several scenarios" : "an input is a directory of scenarios"));
  if (a.point) return out;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    std::string& target = out.paths[i];
    if (!a.output.empty() && !to_dir) target = a.output;
    else target = ((a.output.empty() ? fs::path("results") : fs::path(a.output)) / (job_name(jobs[i]) + ".h5")).string();
    if (a.shard && (a.output.empty() || to_dir)) target = shard_path(target, *a.shard);  // -o FILE: as given
    if (!a.precision.empty()) {
      const auto* s = std::get_if<Scenario>(&jobs[i]);
      if (!s) throw UsageError(fmt::format("--precision applies to scenario files; {} is a suite", files[i]));
      (void)parse_precision(a.precision, *s);
    }
    target = checked_result_target(target, files, a.force, a.shard.has_value());
    if (!seen.insert(target).second)
      throw UsageError(fmt::format("two scenarios would write {}; give them different names", target));
  }
  if (a.output.empty() || to_dir) out.directory = a.output.empty() ? fs::path("results") : fs::path(a.output);
  // -o new/dir/r.h5 makes its directory as -o new/dir/ does (once exit 3 "cannot create", after the checks).
  const fs::path parent = out.paths.empty() ? fs::path() : fs::path(out.paths.front()).parent_path();
  if (!out.directory && !parent.empty()) {
    const fs::file_status st = fs::status(parent, ec);
    if (fs::exists(st) && !fs::is_directory(st))
      throw UsageError(fmt::format("-o {}: {} is not a directory; give -o a path in a directory", a.output,
                                   parent.string()));
    if (!fs::exists(st)) out.directory = parent;
  }
  return out;
}

// The library's options for job i: what the command line asks, where it writes, how it executes.
RunOptions options_for(const RunArgs& a, const std::string& file, const Job& job, const std::string& target,
                       Ranks* ranks) {
  RunOptions opt;
  if (a.has_seed) opt.what.seed = a.seed;
  if (a.has_samples) opt.what.samples = a.samples;
  opt.what.store = a.store;
  opt.what.point_only = a.point;
  opt.what.sobol = a.sobol;
  opt.what.output = target;
  opt.how.threads = a.threads;
  opt.how.shard = a.shard;
  opt.how.parts = a.parts;
  opt.how.ranks = ranks;
  opt.how.identity = identity_of(file, job, a.stress, a.set);
  opt.how.resume = a.resume;
  opt.how.checkpoint_seconds = a.shard || (ranks && ranks->size() > 1) ? 0 : a.checkpoint;
  if (const auto* s = std::get_if<Scenario>(&job)) {
    opt.what.stresses = stress_cases(*s, a.stress, a.set);
  } else {
    const Suite& u = std::get<Suite>(job);
    if (!a.stress.empty() || !a.set.empty())
      throw UsageError(fmt::format("--stress and --set apply to scenario files; {} is a suite", u.path));
    if (!a.has_store && u.store) opt.what.store = *u.store;
  }
  return opt;
}

// Every part is a shard of one run (the same job, seed, samples, shard count, store, versions, options and text),
// each shard given once and none missing.
void check_parts(const std::vector<std::unique_ptr<PartReader>>& parts, const std::string& named) {
  const PartInfo& first = parts.front()->info();
  std::map<std::uint64_t, std::string> by_shard;
  for (const auto& part : parts) {
    const PartInfo& p = part->info();
    const auto differs = [&](const char* what, const std::string& mine, const std::string& theirs) {
      if (mine != theirs)
        throw UsageError(fmt::format("merge: {} and {} are not parts of one run: {} {} vs {}", named,
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
}

// One line per check and bounds some sample of `r` (and its stressed cases) violates.
std::vector<std::string> violation_lines(const std::string& file, const RunSummary& r, const std::string& run_name = "") {
  std::vector<std::string> lines;
  for (const auto& v : r.variables) {
    if (v.var.role == FormulaRole::variable || v.moments.n == 0) continue;
    const Proportion p = v.violations();
    if (p.p <= 0) continue;
    lines.push_back(fmt::format("{}: warning: {}{} `{}` is violated in {} of {} samples (P = {} [{}, {}])", file,
                                run_name.empty() ? "" : run_name + ": ",
                                (v.var.role == FormulaRole::check ? "check " : "bounds of ") + v.indicator_name(),
                                v.var.condition, thousands(v.violated_samples()),
                                thousands(p.n), format_number(p.p), format_number(p.lo), format_number(p.hi)));
  }
  for (const StressResult& st : r.stresses) {
    auto more = violation_lines(file, st.run, "stress " + st.name);
    lines.insert(lines.end(), more.begin(), more.end());
  }
  return lines;
}

// Says on stderr which checks and bounds some sample of `r` (and its stressed cases) violates; returns how many.
std::size_t warn_violations(const std::string& file, const RunSummary& r) {
  const auto lines = violation_lines(file, r);
  for (const auto& line : lines) std::cerr << line << '\n';
  return lines.size();
}

// Runs job i and prints what it gives: a shard's line, the JSON, or the table (and the timings).
void run_job(const RunArgs& a, const std::string& file, const Job& job, RunOptions opt, double parse_seconds, bool quiet) {
  ProgressBar bar(!quiet);
  opt.on.progress = [&bar](std::uint64_t done, std::uint64_t total) { bar(done, total); };
  opt.on.phase = [&bar](std::string_view name) { bar.phase(name); };
  opt.on.notice = [&](const std::string& line) { std::cerr << file << ": " << line << '\n'; };
  const auto print = [&](const auto& r, auto&& print_json_of, auto&& print_table_of) {
    if (quiet) return;
    if (a.shard) std::cout << fmt::format("{}: shard {} of {} written to {}\n", file, a.shard->index, a.shard->count, r.output);
    else if (a.json) print_json_of(r);
    else print_table_of(r);
    if (a.timings && !a.json && !a.point) print_timings(r.timings, std::cout);
  };
  if (const auto* s = std::get_if<Scenario>(&job)) {
    RunSummary r = a.precision.empty() ? run_scenario(*s, opt) : run_to_precision(*s, opt, parse_precision(a.precision, *s));
    r.timings.parse = parse_seconds;
    bar.clear();
    print(r, [](const RunSummary& x) { print_json(x, std::cout); }, [](const RunSummary& x) { print_table(x, std::cout); });
    if (r.precision_missed && !quiet)
      throw CheckFailed(fmt::format("{}: --precision targets NOT reached by the cap of {} samples; the result was "
                                    "written to {} (raise -n, or loosen the targets)",
                                    file, thousands(r.samples), r.output.empty() ? "nowhere" : r.output));
    const std::size_t violated = quiet || a.shard ? 0 : warn_violations(file, r);
    if (violated > 0 && a.strict)
      throw CheckFailed(fmt::format("{}: {} check{} violated (--strict); the result was written{}", file, violated,
                                    violated == 1 ? "" : "s", r.output.empty() ? " nowhere (no output)" : " to " + r.output));
  } else {
    const Suite& u = std::get<Suite>(job);
    SuiteSummary r = run_suite(u, opt);
    r.timings.parse = parse_seconds;
    bar.clear();
    print(r, [&](const SuiteSummary& x) { print_suite_json(x, u, std::cout); },
          [&](const SuiteSummary& x) { print_suite(x, u, std::cout); });
  }
  std::cout.flush();
}

}  // namespace

int cmd_run(const RunArgs& a, Ranks* ranks, const std::atomic<bool>& cancel) {
  // Validate every scenario before running any: a bad file fails fast and nothing is written.
  std::vector<Job> jobs;
  const auto parse_start = Clock::now();
  const std::vector<std::string> files = job_files(a.files);
  for (const auto& f : files) jobs.push_back(load_job(f));
  // Parsing time is shared out evenly: it is one phase of every run.
  const double parse_seconds = seconds_since(parse_start) / static_cast<double>(jobs.size());
  for (const auto& j : jobs)
    for (const auto& w : job_warnings(j)) std::cerr << terminal_safe(w.str()) << '\n';
  if (!a.set.empty())
    for (auto& j : jobs)
      if (auto* s = std::get_if<Scenario>(&j)) {  // said now, and kept with the scenario's own (the file's `warnings`)
        const std::vector<Warning> set = set_warnings(*s, a.set);
        for (const auto& w : set) std::cerr << terminal_safe(w.str()) << '\n';
        s->warnings.insert(s->warnings.end(), set.begin(), set.end());
      }

  const Targets targets = result_targets(a, files, jobs);
  if (!a.point) warn_if_bound(a, ranks);
  // --threads above the CPUs this process may use: TBB would cap it (with its own warning) unless allowed; the
  // run takes the threads asked for (the results do not depend on them), and warn_if_bound has said why not to.
  std::optional<tbb::global_control> allow;
  if (a.threads > static_cast<unsigned>(tbb::info::default_concurrency()))
    allow.emplace(tbb::global_control::max_allowed_parallelism, a.threads);
  // Every job is checked (its stresses and --set, its design, memory) before anything is created, so a usage error
  // leaves no empty results/ behind; then the disk, for all their samples together, before the first is written.
  double stored = 0;
  if (!a.point)
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      const RunOptions opt = options_for(a, files[i], jobs[i], targets.paths[i], ranks);
      const RunNeeds needs = std::holds_alternative<Scenario>(jobs[i]) ? preflight_scenario(std::get<Scenario>(jobs[i]), opt)
                                                                        : preflight_suite(std::get<Suite>(jobs[i]), opt);
      stored += needs.stored_bytes;
    }
  if (targets.directory) fs::create_directories(*targets.directory);
  if (!a.point && jobs.size() > 1) check_disk_space(targets.paths.at(0), stored);
  // Rank 0 of an MPI run speaks for all; a shard says what it wrote.
  const bool quiet = ranks && ranks->rank() != 0;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    RunOptions opt = options_for(a, files[i], jobs[i], targets.paths[i], ranks);  // again: the options checked above
    opt.on.cancel = &cancel;
    if (i > 0 && !a.json && !quiet) std::cout << '\n';
    run_job(a, files[i], jobs[i], std::move(opt), parse_seconds, quiet);
  }
  return 0;
}


LibraryRun run_for_library(const RunArgs& a, const std::string* text, const std::atomic<bool>& cancel,
                           const std::function<void(std::uint64_t, std::uint64_t)>& progress,
                           const std::function<void(std::string_view)>& phase) {
  if (a.files.size() != 1) throw UsageError("a library run takes one scenario or suite");
  if (a.point || a.shard || !a.parts.empty() || a.resume)
    throw UsageError("a library run writes one whole result (no point, shard, merge or resume)");
  const std::string& file = a.files.front();
  Job job = text ? parse_job(*text, file) : load_job(file);
  LibraryRun out;
  if (auto* s = std::get_if<Scenario>(&job); s && !a.set.empty()) {  // kept with the scenario's own, as cmd_run
    const std::vector<Warning> set = set_warnings(*s, a.set);
    s->warnings.insert(s->warnings.end(), set.begin(), set.end());
  }
  for (const auto& w : job_warnings(job)) out.warnings.push_back(w.str());
  const Targets targets = result_targets(a, {file}, {job});
  std::optional<tbb::global_control> allow;  // as cmd_run: the threads asked for, even above the CPUs
  if (a.threads > static_cast<unsigned>(tbb::info::default_concurrency()))
    allow.emplace(tbb::global_control::max_allowed_parallelism, a.threads);
  RunOptions opt = options_for(a, file, job, targets.paths.front(), nullptr);
  (void)(std::holds_alternative<Scenario>(job) ? preflight_scenario(std::get<Scenario>(job), opt)
                                               : preflight_suite(std::get<Suite>(job), opt));
  if (targets.directory) fs::create_directories(*targets.directory);
  opt.on.cancel = &cancel;
  opt.on.progress = progress;
  opt.on.phase = phase;
  if (const auto* s = std::get_if<Scenario>(&job)) {
    const RunSummary r = a.precision.empty() ? run_scenario(*s, opt) : run_to_precision(*s, opt, parse_precision(a.precision, *s));
    out.output = r.output;
    if (r.precision_missed)
      throw CheckFailed(fmt::format("{}: --precision targets NOT reached by the cap of {} samples; the result was "
                                    "written to {} (raise the samples, or loosen the targets)",
                                    file, thousands(r.samples), r.output));
    const auto violated = violation_lines(file, r);
    out.warnings.insert(out.warnings.end(), violated.begin(), violated.end());
    if (!violated.empty() && a.strict)
      throw CheckFailed(fmt::format("{}: {} check{} violated (strict); the result was written to {}", file,
                                    violated.size(), violated.size() == 1 ? "" : "s", r.output));
  } else {
    out.output = run_suite(std::get<Suite>(job), opt).output;
  }
  return out;
}

int cmd_merge(RunArgs a, Ranks* ranks, const std::atomic<bool>& cancel) {
  if (a.parts.empty()) throw UsageError("merge: give the parts written by `tamcarlo run --shard i/K`");
  for (const auto& p : a.parts) {  // a missing part is a usage error (exit 1), as for run and report
    std::error_code ec;
    const fs::file_status st = fs::status(p, ec);
    if (!fs::exists(st)) throw UsageError(fmt::format("merge: {}: no such file", p));
    if (!fs::is_regular_file(st)) throw UsageError(fmt::format("merge: {} is not a regular file (a part is one)", p));
  }
  std::vector<std::unique_ptr<PartReader>> parts;
  for (const auto& p : a.parts) parts.push_back(std::make_unique<PartReader>(p));
  check_parts(parts, a.parts.front());
  const PartInfo& first = parts.front()->info();
  // The run the parts came from, as it was: its file named as the shards named it when that still names the same file
  // from here (so the merged result records the path the single run would), else by its absolute path.
  std::error_code same_ec;
  const bool as_given = !first.job_as_given.empty() && fs::equivalent(first.job_as_given, first.job, same_ec);
  a.files = {as_given ? first.job_as_given : first.job};
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
    if (identity_of(first.job, job, a.stress, a.set).fingerprint != first.fingerprint)
      throw UsageError(fmt::format("merge: {} (or a file it links) has changed since the parts were written; "
                                   "run the shards again",
                                   first.job));
  }
  return cmd_run(a, ranks, cancel);
}

namespace {

// A result file `verb` (report, export) reads (`done`: "reported", "exported"): what is not a regular file is named as what it is (a directory, a
// FIFO, a device), an interrupted commit is finished, and a damaged file is refused before Python starts (the
// package checks the seal again when run alone).
void check_result_file(const std::string& result, const char* verb, const char* done) {
  std::error_code ec;
  const fs::file_status st = fs::status(result, ec);
  if (fs::exists(st) && !fs::is_regular_file(st)) {
    const std::string what = fs::is_directory(st)  ? "a directory"
                             : fs::is_fifo(st)     ? "a FIFO"
                             : fs::is_socket(st)   ? "a socket"
                             : fs::is_block_file(st) || fs::is_character_file(st) ? "a device"
                                                                                  : "not a regular file";
    throw UsageError(fmt::format("{} is {}; {} reads a result file that `tamcarlo run` wrote (RESULT.h5)", result, what,
                                 verb));
  }
  {
    const CommitLock lock(result);  // a run killed between renaming the result and its CSV: finish that first
    (void)finish_interrupted_commit(result);
  }
  std::string why;
  if (fs::is_regular_file(st) && check_seal(result, &why) == SealState::damaged)
    throw RunError(damaged_message(result, why, fmt::format("nothing was {}; run the scenario again (or copy the file "
                                                            "again from where it was written)",
                                                            done)));
}

// Where the report package is: beside an installed tamcarlo (<prefix>/bin/../share/tamcarlo/report), else in the
// source tree this tamcarlo was built from.
std::string report_dir() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  const fs::path installed = ec ? fs::path(TAMCARLO_REPORT_FROM_BIN)
                                : (self.parent_path() / TAMCARLO_REPORT_FROM_BIN).lexically_normal();
  if (!ec && fs::is_regular_file(installed / "tamcarlo_report" / "__main__.py", ec)) return installed.string();
  if (fs::is_regular_file(fs::path(TAMCARLO_REPORT_DIR) / "tamcarlo_report" / "__main__.py", ec)) return TAMCARLO_REPORT_DIR;
  throw RunError(fmt::format("the report package is neither beside this tamcarlo ({}) nor in the source tree it was built "
                             "from ({}/tamcarlo_report); install tamcarlo with `cmake --install BUILD --prefix PREFIX`, "
                             "or build it again from its source tree",
                             installed.string(), TAMCARLO_REPORT_DIR));
}

// Replaces this process with `python -m module args...` of the report package (Debian's python3, or
// TAMCARLO_PYTHON). Returns only by throwing RunError.
[[noreturn]] void exec_report_package(const std::string& module, const std::vector<std::string>& module_args) {
  const std::string dir = report_dir();
  const char* env = std::getenv("TAMCARLO_PYTHON");
  const std::string python = env && *env ? env : "/usr/bin/python3";
  // The report package (sim/report/tamcarlo_report) is found through PYTHONPATH, ahead of anything already there.
  const char* path = std::getenv("PYTHONPATH");
  const std::string python_path = dir + (path && *path ? std::string(":") + path : "");
  ::setenv("PYTHONPATH", python_path.c_str(), 1);
  std::vector<std::string> args = {python, "-m", module};
  args.insert(args.end(), module_args.begin(), module_args.end());
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::cout.flush();
  // Stop signals stay blocked across exec until the package has its handlers: one sent while Python starts is
  // delivered then, and stops it cleanly (never a traceback).
  sigset_t stop;
  sigemptyset(&stop);
  for (const int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&stop, sig);
  sigset_t before;
  ::sigprocmask(SIG_BLOCK, &stop, &before);
  ::execv(python.c_str(), argv.data());
  ::sigprocmask(SIG_SETMASK, &before, nullptr);
  throw RunError(fmt::format("cannot run {} ({}); `tamcarlo report` and `export` need Debian's python3 with "
                             "python3-h5py, python3-matplotlib and python3-xlsxwriter (bash .ci/setup installs them), "
                             "or TAMCARLO_PYTHON set to such a python",
                             python, std::strerror(errno)));
}

}  // namespace

int cmd_report(const ReportArgs& a) {
  check_result_file(a.result, "report", "reported");
  std::vector<std::string> args = {a.result, "--locale", a.locale, "--dpi", std::to_string(a.dpi)};
  if (!a.output.empty()) args.insert(args.end(), {"-o", a.output});
  if (a.svg) args.push_back("--svg");
  if (a.png) args.push_back("--png");
  exec_report_package("tamcarlo_report", args);
}

int cmd_export(const ExportArgs& a) {
  check_result_file(a.result, "export", "exported");
  std::vector<std::string> args = {a.result, "--to", a.to};
  if (!a.output.empty()) args.insert(args.end(), {"-o", a.output});
  if (a.force) args.push_back("--force");
  exec_report_package("tamcarlo_report.export", args);
}

int cmd_fit(const FitArgs& a) {
  std::error_code ec;
  if (!fs::exists(a.data, ec)) throw UsageError(fmt::format("fit: {}: no such file", a.data));
  if (fs::path(a.data).extension() == ".h5") check_result_file(a.data, "fit", "fitted");
  std::vector<std::string> args = {a.data, "--bootstrap", std::to_string(a.bootstrap), "--seed", std::to_string(a.seed)};
  for (const auto& [flag, value] : {std::pair{"--column", &a.column}, {"--variable", &a.variable},
                                    {"--families", &a.families}, {"--plot", &a.plot}})
    if (!value->empty()) args.insert(args.end(), {flag, *value});
  if (a.year != 0) args.insert(args.end(), {"--year", std::to_string(a.year)});
  if (a.json) args.emplace_back("--json");
  exec_report_package("tamcarlo_report.fit", args);
}

}  // namespace tamcarlo
