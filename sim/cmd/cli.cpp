#include "sim/cmd/cli.hpp"

#include "sim/base/error.hpp"
#include "sim/base/text.hpp"
#include "sim/run/options.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iostream>
#include <map>
#include <regex>
#include <filesystem>
#include <set>

namespace tamcarlo {

namespace {

// CLI11's message for a command line it could not parse, said as tamcarlo says things (what is wrong, what is
// allowed, an example); a message it does not know passes unchanged.
std::string plain_parse_error(const std::string& what, const std::string& command) {
  static const std::map<std::string, std::string> k_examples = {
      {"--samples", "-n 1e6"},         {"--seed", "--seed 7"},         {"--threads", "--threads 4"},
      {"--output", "-o results/x.h5"}, {"--store", "--store report"},  {"--stress", "--stress bear"},
      {"--set", "--set share=0.05"},   {"--shard", "--shard 0/4"},     {"--precision", "--precision market=1%"},
      {"--checkpoint", "--checkpoint 600"}, {"--locale", "--locale zh"}, {"--dpi", "--dpi 300"}};
  std::smatch m;
  if (std::regex_match(what, m, std::regex(R"((--?[\w-]+): At Most 1 required but received (\d+))")))
    return fmt::format("{} is given {} times; give it once", m[1].str(), m[2].str());
  if (std::regex_match(what, m, std::regex(R"((--?[\w-]+): \d+ required \w+ missing)"))) {
    const auto ex = k_examples.find(m[1].str());
    return fmt::format("{} needs a value{}", m[1].str(), ex == k_examples.end() ? "" : " (e.g. " + ex->second + ")");
  }
  if (std::regex_match(what, m, std::regex(R"((--?[\w-]+): Value (\S+) not in range (\S+) to (\S+))")))
    return fmt::format("{} {}: expected a whole number from {} to {}", m[1].str(), m[2].str(), m[3].str(), m[4].str());
  if (std::regex_match(what, m, std::regex(R"((--?[\w-]+): (\S+) not in \{(.*)\})")))
    return fmt::format("{} {}: expected one of {}", m[1].str(), m[2].str(), m[3].str());
  if (std::regex_match(what, m, std::regex(R"(The following arguments? (was|were) not expected: (.*))")))
    return fmt::format("{} is not an option{}", m[2].str(), command.empty() ? "" : " of `" + command + "`");
  if (what == "files is required")
    return fmt::format("{}: give a scenario or suite (.toml), a directory of them, or - for standard input", command);
  if (what == "parts is required") return "merge: give the parts written by `tamcarlo run --shard i/K`";
  if (what == "result is required") return fmt::format("{}: give a result file (.h5) written by `tamcarlo run`", command);
  if (what == "--to is required") return "export: give --to markdown, latex, xlsx or sip";
  if (what == "A subcommand is required") return "give a command: run, merge, validate, report or export";
  return what;
}

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

// `run`: what to run, where to write, how to execute.
CLI::App* add_run(CLI::App& app, RunArgs& ra) {
  CLI::App* run = app.add_subcommand("run", "Sample scenarios and write their distributions to HDF5");
  run->add_option("files", ra.files, "Scenario files (.toml), directories of them, or - for standard input")->required();
  run->add_option("-n,--samples", ra.samples, fmt::format("Number of samples (default {})", thousands(k_default_samples)))
      ->transform(parse_count);
  run->add_option("--seed", ra.seed, fmt::format("Random seed (default: the scenario's, else {})", k_default_seed))
      ->transform(parse_seed);
  run->add_option("--threads", ra.threads, "Worker threads (default: one per core)")->check(CLI::Range(1u, 4096u));
  run->add_option("-o,--output", ra.output,
                  "Result file (one scenario file) or directory (several scenarios, a directory of them, an existing "
                  "directory or a path ending in /; default: results/<scenario name>.h5)");
  run->add_option("--store", ra.store_text,
                  "Which variables' samples to store: all, report or none (default report, or a suite's `store`)");
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
  run->add_flag("--strict", ra.strict,
                "Exit 4 when a [checks] condition or a formula's bounds is violated in any sample (the result is still "
                "written); without it a violation is a warning");
  run->add_flag("--json", ra.json, "Print the summary as JSON (one object per scenario per line) instead of a table");
  run->add_option("--shard", ra.shard_text,
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
  return run;
}

// `merge`: the parts and where the result goes.
CLI::App* add_merge(CLI::App& app, RunArgs& ma) {
  CLI::App* merge = app.add_subcommand("merge", "Join the parts of a run's shards (run --shard i/K) into its result");
  merge->add_option("parts", ma.parts, "Every part of one run (any order)")->required();
  merge->add_option("-o,--output", ma.output, "Result file (default: results/<scenario name>.h5)");
  merge->add_option("--threads", ma.threads, "Worker threads (default: one per core)")->check(CLI::Range(1u, 4096u));
  merge->add_flag("--force", ma.force, "Replace an existing regular file at the output path that is not a tamcarlo result");
  merge->add_flag("--json", ma.json, "Print the summary as JSON instead of a table");
  merge->add_flag("--timings", ma.timings, "Print the wall time of each phase");
  return merge;
}

// `validate`: the files to check.
CLI::App* add_validate(CLI::App& app, std::vector<std::string>& files) {
  CLI::App* validate = app.add_subcommand("validate", "Check scenario files and lint their inputs (sources, points)");
  validate->add_option("files", files, "Scenario files (.toml), directories of them, or - for standard input")->required();
  return validate;
}

// `report`: the result file and the page's settings.
CLI::App* add_report(CLI::App& app, ReportArgs& ra) {
  CLI::App* report = app.add_subcommand("report", "Write charts and a self-contained HTML page from a result file");
  report->add_option("result", ra.result, "Result file (.h5) written by `tamcarlo run`")->required();
  report->add_option("-o,--output", ra.output, "Directory to write (default: the result's name + \"-report\")");
  report->add_option("--locale", ra.locale, "Numbers and labels: en (13.2B) or zh (132亿, Chinese labels)")
      ->check(CLI::IsMember({"en", "zh"}));
  report->add_option("--dpi", ra.dpi, "PNG resolution of the charts with --png (default 200)")->check(CLI::Range(50u, 1200u));
  report->add_flag("--svg", ra.svg, "Also write every chart as an SVG file");
  report->add_flag("--png", ra.png, "Also write every chart as a PNG file (at --dpi), for a memo");
  return report;
}

// `export`: the result file, the format and the file to write.
CLI::App* add_export(CLI::App& app, ExportArgs& ea) {
  CLI::App* exp = app.add_subcommand("export", "Write a result's tables for a memo, a paper or a spreadsheet");
  exp->add_option("result", ea.result, "Result file (.h5) written by `tamcarlo run`")->required();
  exp->add_option("--to", ea.to, "markdown or latex (tables and a methods paragraph), xlsx (a workbook), or sip (a "
                                  "SIPmath 3.0 library of the inputs, and the outputs' trials)")
      ->required()
      ->check(CLI::IsMember({"markdown", "latex", "xlsx", "sip"}));
  exp->add_option("-o,--output", ea.output, "File to write (default: the result's name with .md, .tex, .xlsx or .json)");
  exp->add_flag("--force", ea.force, "Replace an existing file that is not an earlier export (never a device or FIFO)");
  return exp;
}

// `fit`: the data, which column or variable, and the ranking's settings.
CLI::App* add_fit(CLI::App& app, FitArgs& fa) {
  CLI::App* fit = app.add_subcommand("fit", "Fit tamcarlo's laws to data by maximum likelihood, ranked by AIC, with "
                                            "goodness of fit and the scenario line to paste");
  fit->add_option("data", fa.data, "A CSV file with a header row, or a result file (.h5) with --variable")->required();
  fit->add_option("--column", fa.column, "The CSV column to fit (default: the only column of numbers)");
  fit->add_option("--variable", fa.variable, "A result file's variable to fit (its stored samples)");
  fit->add_option("--year", fa.year, "A timed variable's year");
  fit->add_option("--families", fa.families, "Laws to try, comma-separated (default: every law that fits the data's "
                                             "support)");
  fit->add_option("--bootstrap", fa.bootstrap, "Refits per KS/AD p-value (default 199; 0: no p-values)")
      ->check(CLI::Range(0u, 100000u));
  fit->add_option("--seed", fa.seed, "Seed of the bootstrap (default 1)");
  fit->add_option("--plot", fa.plot, "Write a Q-Q chart of the best law to this PNG or SVG file");
  fit->add_flag("--json", fa.json, "Print the ranking as JSON");
  return fit;
}

}  // namespace

std::variant<CommandLine, int> parse_command_line(int argc, char** argv) {
  CLI::App app{"tamcarlo: Monte Carlo market-size and investment simulator"};
  app.set_version_flag("--version", std::string("tamcarlo ") + TAMCARLO_VERSION);
  app.require_subcommand(1);
  app.footer("Exit codes: 0 ok, 1 usage error, 2 invalid scenario, 3 run failure, 4 check violated (--strict), 130 "
             "interrupted.");

  CommandLine cl;
  CLI::App* run = add_run(app, cl.run);
  CLI::App* merge = add_merge(app, cl.merge);
  add_validate(app, cl.validate_files);
  CLI::App* report = add_report(app, cl.report);
  CLI::App* exp = add_export(app, cl.export_);
  CLI::App* fit = add_fit(app, cl.fit);

  // An unknown command word: say so, rather than CLI11's "A subcommand is required".
  bool known = true;
  try {
    if (argc > 1 && argv[1][0] != '-') (void)app.get_subcommand_ptr(std::string(argv[1]));
  } catch (const CLI::OptionNotFound&) {
    known = false;
  }
  if (!known) {
    std::cerr << fmt::format("tamcarlo: error: unknown command `{}`; commands are `run`, `merge`, `validate`, `report`, "
                             "`export` and `fit`\n"
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
    const std::string command = argc > 1 && argv[1][0] != '-' ? argv[1] : "";
    std::cerr << "tamcarlo: error: " << terminal_safe(plain_parse_error(e.what(), command)) << "\nRun `tamcarlo "
              << (command.empty() ? "" : command + " ") << "--help` for usage.\n";
    return static_cast<int>(ExitCode::usage);
  }

  cl.run.has_seed = run->count("--seed") > 0;
  cl.run.has_samples = run->count("--samples") > 0;
  cl.run.has_store = run->count("--store") > 0;
  cl.run.has_output = run->count("--output") > 0;
  cl.merge.has_output = merge->count("--output") > 0;
  cl.kind = *run      ? CommandKind::run
            : *merge  ? CommandKind::merge
            : *report ? CommandKind::report
            : *exp    ? CommandKind::export_
            : *fit    ? CommandKind::fit
                      : CommandKind::validate;
  return cl;
}

void check_command_line(CommandLine& cl, const Ranks* ranks) {
  RunArgs& ra = cl.run;
  if (ra.has_store) {
    std::string word = ra.store_text;
    std::transform(word.begin(), word.end(), word.begin(), [](unsigned char ch) { return std::tolower(ch); });
    const std::map<std::string, Store> stores = {{"all", Store::all}, {"report", Store::report}, {"none", Store::none}};
    const auto it = stores.find(word);
    if (it == stores.end())
      throw UsageError(fmt::format("--store {}: expected all (every input and formula), report (the reported outputs) "
                                   "or none",
                                   ra.store_text.empty() ? "\"\"" : ra.store_text));
    ra.store = it->second;
  }
  if (!ra.shard_text.empty()) ra.shard = parse_shard(ra.shard_text);
  if (ra.shard && ra.point) throw UsageError("--shard and --point do not go together (--point samples nothing)");
  if (!ra.precision.empty() && (ra.shard || ra.point || ra.resume))
    throw UsageError("--precision runs whole rounds: it does not go with --shard, --point or --resume");
  if (ranks && ranks->size() > 1 && (ra.shard || ra.resume || cl.kind == CommandKind::merge))
    throw UsageError("under mpirun, run without --shard, --resume or merge: the ranks share the blocks themselves");
  if (ra.shard && ra.resume)
    throw UsageError("--resume does not go with --shard: a shard writes its part in one go, and a part that was cut "
                     "short is run again (its blocks are the same)");
  if (!std::isfinite(ra.checkpoint))
    throw UsageError(fmt::format("--checkpoint {}: expected seconds between checkpoints, a number from 0 (none) to 1e9",
                                 ra.checkpoint));
  if (ra.point && (ra.sobol || ra.resume || ra.has_output || !ra.stress.empty()))
    throw UsageError("--point evaluates the formulas once at the inputs' points and writes nothing: it does not go with "
                     "--sobol, --resume, -o or --stress");
  std::set<std::string> set_names;
  for (const std::string& s : ra.set) {
    const std::string name = s.substr(0, s.find('='));
    if (!set_names.insert(name).second)
      throw UsageError(fmt::format("--set {} is given twice: one value per input (or per parameter, NAME.PARAM)", name));
  }
  for (const RunArgs* a : {&cl.run, &cl.merge})
    if (a->has_output && a->output.empty()) throw UsageError("-o \"\": the output path is empty; name a file (or leave -o out)");
  if (cl.kind == CommandKind::merge && !cl.merge.output.empty()) {
    std::error_code ec;
    const auto target = std::filesystem::weakly_canonical(cl.merge.output, ec);
    for (const std::string& part : cl.merge.parts)
      if (!ec && std::filesystem::weakly_canonical(part, ec) == target)
        throw UsageError(fmt::format("merge -o {}: the result would replace one of its own parts; name another file",
                                     cl.merge.output));
  }
}

}  // namespace tamcarlo
