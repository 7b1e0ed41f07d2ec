#include "sim/run/run_scenario.hpp"
#include "sim/base/numeric.hpp"

#include "sim/engine/plan_source.hpp"
#include "sim/engine/scenario_source.hpp"
#include "sim/engine/sobol.hpp"
#include "sim/engine/decision.hpp"
#include "sim/engine/shapley.hpp"
#include "sim/engine/nonfinite.hpp"
#include "sim/stats/rank_correlation.hpp"
#include "sim/io/csv.hpp"
#include "sim/run/passes.hpp"
#include "sim/base/error.hpp"
#include "sim/io/table.hpp"
#include "sim/io/results_file.hpp"
#include "sim/engine/sensitivity.hpp"
#include "sim/io/output_path.hpp"
#include "sim/base/number_format.hpp"
#include "sim/lang/law_builder.hpp"
#include "sim/base/text.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <oneapi/tbb/info.h>

#include "models/venture.hpp"

#include <algorithm>
#include <set>
#include <chrono>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <memory>
#include <optional>

namespace tamcarlo {

namespace {


// Calls f(first, count) for each variable's run of consecutive series (a timed variable has one per year).
template <class F>
void for_each_variable(const std::vector<VariableSummary>& series, F f) {
  for (std::size_t i = 0; i < series.size();) {
    std::size_t j = i + 1;
    while (j < series.size() && series[j].var.name == series[i].var.name) ++j;
    f(i, j - i);
    i = j;
  }
}


std::string stress_note(const Input& in) { return fmt::format("{} = {}", in.name, describe(in.dist)); }

// The portfolio's column specs (see PortfolioColumns), and its statistics from their results.
std::vector<ColumnSpec> portfolio_specs(const PortfolioColumns& p, double level, std::size_t first) {
  std::vector<ColumnSpec> specs(p.width());
  ColumnSpec& moic = specs[PortfolioColumns::moic];
  moic.probs.assign(k_report_probs.begin(), k_report_probs.end());
  moic.risk = RiskSpec{{level}, false, {1}, {2, 3}, std::nullopt};
  AllocationSpec alloc;
  alloc.level = level;
  for (std::size_t k = 0; k < p.holdings; ++k) alloc.companions.push_back(first + p.holding_pnl(k));
  specs[PortfolioColumns::pnl].allocation = alloc;
  for (std::size_t k = 0; k < p.holdings; ++k) specs[p.holding_pnl(k)].risk = RiskSpec{{}, false, {0}, {}, std::nullopt};
  if (p.dated) {
    specs[p.irr()].probs.assign(k_report_probs.begin(), k_report_probs.end());
    specs[p.irr()].risk = RiskSpec{{}, false, {0}, {}, std::nullopt};
  }
  return specs;
}

PortfolioStats portfolio_result(const PortfolioColumns& p, const std::vector<std::string>& names,
                                const std::vector<ColumnResult>& res, std::size_t first,
                                const ScenarioSource& source, std::uint64_t samples, unsigned threads,
                                const Capture& kept) {
  PortfolioStats out;
  out.names = names;
  const ColumnResult& moic = res[first + PortfolioColumns::moic];
  out.moic = moic.quantiles;
  out.moic_moments = moic.moments;
  out.moic_risk = *moic.risk;
  const Allocation& alloc = *res[first + PortfolioColumns::pnl].allocation;
  out.pnl_var = alloc.var;
  out.pnl_cvar = alloc.cvar;
  out.contribution = alloc.contribution;
  for (std::size_t k = 0; k < p.holdings; ++k) {
    const ColumnResult& pnl = res[first + p.holding_pnl(k)];
    out.expected_pnl.push_back(pnl.moments.n > 0 ? pnl.moments.mean : k_nan);
    out.p_loss.push_back(pnl.risk->thresholds.at(0).p);
  }
  // Rank correlations of the holdings' MOICs over the first samples (as the sensitivities): as the main pass kept
  // them, or re-drawn (each sample's portfolio IRR with them).
  out.rank_samples = std::min(samples, k_sensitivity_samples);
  std::vector<std::span<const double>> moic_of(p.holdings);
  if (kept.complete() && kept.rows >= out.rank_samples)
    for (std::size_t j = 0; j < kept.columns.size(); ++j)
      for (std::size_t k = 0; k < p.holdings; ++k)
        if (kept.columns[j] == first + p.holding_moic(k)) moic_of[k] = kept.column(j).first(out.rank_samples);
  std::vector<std::vector<double>> cols;
  if (std::any_of(moic_of.begin(), moic_of.end(), [](std::span<const double> c) { return c.empty(); })) {
    std::vector<bool> want(source.width(), false);
    for (std::size_t k = 0; k < p.holdings; ++k) want[first + p.holding_moic(k)] = true;
    cols = collect_columns(source, out.rank_samples, want, threads);
    for (std::size_t k = 0; k < p.holdings; ++k) moic_of[k] = cols[first + p.holding_moic(k)];
  }
  std::vector<std::vector<double>> ranks;
  for (std::size_t k = 0; k < p.holdings; ++k) ranks.push_back(average_ranks(moic_of[k]));
  for (std::size_t a = 0; a < p.holdings; ++a)
    for (std::size_t b = 0; b < p.holdings; ++b) out.rank_correlation.push_back(a == b ? 1.0 : pearson(ranks[a], ranks[b]));
  if (p.dated) {
    const ColumnResult& irr = res[first + p.irr()];
    out.has_irr = true;
    out.irr = irr.quantiles;
    out.irr_moments = irr.moments;
    out.p_irr_negative = irr.risk->thresholds.at(0).p;
    out.irr_undefined = irr.moments.nonfinite - res[first + PortfolioColumns::pnl].moments.nonfinite;
  }
  return out;
}

}  // namespace

namespace {

// Bytes this process may still use: the smaller of the memory available and the cgroup's headroom.
double available_memory() {
  double bytes = static_cast<double>(::sysconf(_SC_AVPHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGESIZE));
  std::ifstream max("/sys/fs/cgroup/memory.max"), cur("/sys/fs/cgroup/memory.current");
  std::string limit;
  double used = 0;
  if (max >> limit && limit != "max" && cur >> used) bytes = std::min(bytes, std::stod(limit) - used);
  return bytes;
}

}  // namespace

namespace {
// The series `r` stores.
std::uint64_t stored_series(const RunSummary& r) {
  return static_cast<std::uint64_t>(
      std::count_if(r.variables.begin(), r.variables.end(), [](const VariableSummary& v) { return v.stored; }));
}

// The series of `r` with exact quantiles: the stored and the reported (column_specs).
std::uint64_t ordered_series(const RunSummary& r) {
  return static_cast<std::uint64_t>(std::count_if(r.variables.begin(), r.variables.end(),
                                                  [](const VariableSummary& v) { return v.stored || v.reported; }));
}

// Most series one run computes exact quantiles of (each keeps order-statistics counts on every thread).
constexpr std::uint64_t k_max_ordered_series = 10'000;
// Most uncertain inputs --sobol takes (N × (inputs + 2) evaluations of the model).
constexpr std::size_t k_max_sobol_inputs = 1'000;
}  // namespace

double stored_bytes(const RunSummary& r) {
  return static_cast<double>(stored_series(r)) * static_cast<double>(r.samples) * sizeof(double);
}

void check_workspace_memory(const std::vector<const Plan*>& plans, unsigned threads, const std::string& name,
                            std::uint64_t stored, std::uint64_t samples) {
  double per_thread = 0;
  for (const Plan* p : plans) per_thread += static_cast<double>(p->slots()) * k_block_size * sizeof(double);
  const unsigned n = threads != 0 ? threads : static_cast<unsigned>(tbb::info::default_concurrency());
  const double have = available_memory();
  // Each stored series: a chunk buffer per thread (the engine's) and one in the file's chunk cache.
  const double chunk = static_cast<double>(std::min<std::uint64_t>(samples, k_chunk_blocks * k_block_size)) * sizeof(double);
  const double buffers = static_cast<double>(stored) * chunk;
  if (buffers > 0 && buffers * (n + 1) > 0.8 * have)
    throw RunError(fmt::format("{}: storing {} series needs {} of buffers ({} per series: a chunk of {} rows for each of "
                               "{} threads and one for the file), but {} is available; use --store report (the "
                               "reported outputs) or --store none, or fewer threads",
                               name, thousands(stored), byte_size(buffers * (n + 1)), byte_size(chunk * (n + 1)),
                               thousands(static_cast<std::uint64_t>(chunk / sizeof(double))), n, byte_size(have)));
  per_thread += buffers;
  if (per_thread * n <= 0.8 * have) return;
  const auto fit = static_cast<unsigned>(0.8 * have / per_thread);
  throw RunError(fmt::format("{}: {} threads need {} of block workspace ({} each: {} rows × the variables, "
                             "temporaries and constants of every plan), but {} is available; {}",
                             name, n, byte_size(per_thread * n), byte_size(per_thread), k_block_size, byte_size(have),
                             fit >= 1 ? fmt::format("use --threads {}", fit)
                                      : std::string("split the scenario: it has too many variables for this machine")));
}

void check_design_samples(const Scenario& s, std::uint64_t samples) {
  const Design& d = s.design;
  if (!d.replicated() || samples == 0) return;
  const std::string where = fmt::format("{}: design = \"{}\" with {} replicates", s.design_where.str(),
                                        design_name(d.kind), d.replicates);
  if (samples < 2 * std::uint64_t{d.replicates})
    throw UsageError(fmt::format("{} samples cannot make {} replicates of at least 2 samples each ({}); run -n {} or "
                                 "more, or set fewer replicates",
                                 thousands(samples), d.replicates, where, 2 * std::uint64_t{d.replicates}));
  if (d.kind == DesignKind::sobol && (samples + d.replicates - 1) / d.replicates > k_sobol_max_points)
    throw UsageError(fmt::format("{} samples make replicates of more than 2³² Sobol' points ({}); set more replicates",
                                 thousands(samples), where));
}

RunSummary describe_run(const Scenario& s, const Plan& plan, const RunOptions& opt) {
  const auto& vars = plan.variables();
  RunSummary out;
  out.scenario_path = s.path;
  out.name = s.name;
  out.title = s.title;
  out.unit = s.unit;
  out.years = s.years;
  out.seed = opt.what.seed.value_or(s.seed.value_or(k_default_seed));
  out.design = s.design;
  out.point_only = opt.what.point_only;
  out.threads = opt.how.threads != 0 ? opt.how.threads : static_cast<unsigned>(tbb::info::default_concurrency());
  out.ranks = opt.how.ranks ? opt.how.ranks->size() : 1;
  // Variables with one value in every sample: constant inputs, and the untimed formulas built on them alone.
  std::set<std::string> constants;
  for (const Input& in : s.inputs)
    if (std::holds_alternative<Constant>(in.dist)) constants.insert(in.name);
  for (const std::size_t i : s.formula_order) {
    const Formula& f = s.formulas[i];
    std::vector<const Expr*> refs;
    collect_refs(f.expr, refs);
    if (!f.timed && std::all_of(refs.begin(), refs.end(), [&](const Expr* r) { return constants.count(r->name) > 0; }))
      constants.insert(f.name);
  }
  std::vector<std::vector<double>> points(std::max<std::size_t>(1, s.years.size()));
  for (std::size_t t = 0; t < points.size(); ++t) points[t] = plan.evaluate_point(t);
  for (const Series& ser : plan.series()) {
    VariableSummary vs;
    vs.var = vars[ser.var];
    if (ser.year >= 0) vs.year = s.years[static_cast<std::size_t>(ser.year)];
    vs.point = points[static_cast<std::size_t>(std::max(0, ser.year))][ser.var];
    vs.reported = std::find(s.report.begin(), s.report.end(), vs.var.name) != s.report.end();
    for (const auto& [name, spec] : s.risk)
      if (name == vs.var.name) vs.risk_spec = spec;
    vs.constant = !vs.year && constants.count(vs.var.name) > 0;
    const bool indicator = vs.var.role != FormulaRole::variable;  // counted (its mean), never stored
    const bool store = !indicator && !opt.what.point_only && !opt.what.output.empty() &&
                       (opt.what.store == Store::all || (opt.what.store == Store::report && vs.reported));
    vs.stored = store && !vs.constant;  // never N copies of one value
    vs.stored_scalar = store && vs.constant;
    out.variables.push_back(std::move(vs));
  }
  if (!opt.what.point_only) out.samples = opt.what.samples.value_or(s.samples.value_or(k_default_samples));
  return out;
}

std::vector<ColumnSpec> column_specs(const RunSummary& r) {
  std::vector<ColumnSpec> specs;
  for (const auto& v : r.variables) {
    ColumnSpec c;
    if (v.stored || v.reported) c.probs.assign(k_report_probs.begin(), k_report_probs.end());
    if (v.risk_spec && (v.stored || v.reported)) c.risk = v.risk_spec;
    c.stored = v.stored;
    c.histogram = v.reported && !v.year && !v.constant;
    specs.push_back(std::move(c));
  }
  return specs;
}

void take_results(RunSummary& r, const std::vector<ColumnResult>& results, std::size_t first) {
  for (std::size_t i = 0; i < r.variables.size(); ++i) {
    const ColumnResult& c = results[first + i];
    r.variables[i].moments = c.moments;
    r.variables[i].quantiles = c.quantiles;
    r.variables[i].risk = c.risk;
    r.variables[i].histogram = c.histogram;
  }
}

// Sobol' indices of every reported formula series (a timed one at its last year) on the first min(N, 100,000)
// samples; none when there are too few samples for the replicate batches.
void add_sobol(RunSummary& r, const Plan& plan, const RunOptions& opt) {
  const std::uint64_t n = std::min<std::uint64_t>(r.samples, 100'000);
  if (n < 2 * k_sobol_batches) return;
  opt.check_cancel();
  std::vector<bool> wanted;
  for (const auto& v : r.variables) wanted.push_back(v.reported && !v.var.input);
  const SobolResult s = sobol_indices(plan, r.seed, n, wanted, opt.how.threads, opt.on.cancel);
  r.sobol_inputs.clear();
  for (const std::uint32_t v : s.inputs) r.sobol_inputs.push_back(plan.variables()[v].name);
  r.sobol_samples = s.n;
  r.sobol_batches = s.batches;
  r.sobol_correlated = s.correlated;
  for (const SobolOutput& o : s.outputs) {
    r.variables[o.series].sobol_first = o.first;
    r.variables[o.series].sobol_total = o.total;
  }
  if (!plan.has_correlations()) return;
  // Correlated inputs: the Sobol' indices above hold for independent inputs only; Shapley effects share the
  // variance fairly under the copula (same inputs, in the same order).
  const ShapleyResult sh = shapley_effects(plan, r.seed, std::min<std::uint64_t>(r.samples, k_shapley_permutations),
                                           wanted, opt.how.threads, opt.on.cancel);
  r.shapley_permutations = sh.permutations;
  for (const ShapleyOutput& o : sh.outputs) r.variables[o.series].shapley = o.effect;
}

namespace {

// A [decision]'s questions: one per input that is neither constant nor yearly (the options are untimed: no
// yearly input moves them), then its groups, in the order the scenario gives them.
std::vector<DecisionQuestion> decision_questions(const Scenario& s, const Plan& plan) {
  std::vector<DecisionQuestion> questions;
  for (std::uint32_t v = 0; v < plan.inputs(); ++v)
    if (!plan.constant_input(v) && !plan.yearly_input(v)) questions.push_back({plan.variables()[v].name, {v}});
  for (const auto& [name, inputs] : s.decision->groups) {
    DecisionQuestion q{name, {}};
    for (const std::string& in : inputs) q.inputs.push_back(static_cast<std::uint32_t>(plan.index(in)));
    questions.push_back(std::move(q));
  }
  return questions;
}

// The variable slots a [decision] reads (its options, then every input its questions bin), each with its series (the
// options and those inputs are untimed: one series each).
std::vector<std::pair<std::uint32_t, std::size_t>> decision_series(const Scenario& s, const Plan& plan,
                                                                   const std::vector<DecisionQuestion>& questions) {
  std::vector<std::uint32_t> slots;
  for (const std::string& o : s.decision->options) slots.push_back(static_cast<std::uint32_t>(plan.index(o)));
  for (const DecisionQuestion& q : questions) slots.insert(slots.end(), q.inputs.begin(), q.inputs.end());
  std::vector<std::pair<std::uint32_t, std::size_t>> out;
  for (const std::uint32_t v : slots) {
    if (std::any_of(out.begin(), out.end(), [&](const auto& p) { return p.first == v; })) continue;
    const auto& series = plan.series();
    const auto at = std::find_if(series.begin(), series.end(), [&](const Series& x) { return x.var == v && x.year < 0; });
    if (at != series.end()) out.emplace_back(v, static_cast<std::size_t>(at - series.begin()));
  }
  return out;
}

}  // namespace

void want_decision_columns(Capture& capture, const RunSummary& r, const Scenario& s, const Plan& plan, std::size_t first) {
  if (!s.decision || r.samples < 2) return;
  const std::uint64_t rows = std::max(capture.rows, std::min(r.samples, k_decision_samples));
  std::vector<std::size_t> columns = capture.columns;
  for (const auto& [v, j] : decision_series(s, plan, decision_questions(s, plan)))
    if (std::find(columns.begin(), columns.end(), first + j) == columns.end()) columns.push_back(first + j);
  if (columns.size() * rows > k_replay_values) return;
  capture.rows = rows;
  capture.columns = std::move(columns);
}

// A [decision]'s options, EVPI and EVPPI (each uncertain input, then each group) over the first
// min(N, k_decision_samples) samples.
void add_decision(RunSummary& r, const Scenario& s, const Plan& plan, const RunOptions& opt, const SensitivityKept* kept) {
  if (!s.decision || r.samples < 2) return;
  opt.check_cancel();
  DecisionSummary d;
  d.options = s.decision->options;
  std::vector<std::uint32_t> options;
  for (const std::string& o : d.options) options.push_back(static_cast<std::uint32_t>(plan.index(o)));
  d.unit = plan.variables()[options.front()].unit;
  const std::vector<DecisionQuestion> questions = decision_questions(s, plan);
  for (const DecisionQuestion& q : questions) {
    std::vector<std::string> names;
    for (const std::uint32_t v : q.inputs) names.push_back(plan.variables()[v].name);
    d.questions.emplace_back(q.name, std::move(names));
  }
  d.groups = s.decision->groups.size();
  d.samples = std::min(r.samples, k_decision_samples);
  std::vector<const double*> at_hand;  // per variable slot: its first d.samples values as the main pass kept them
  if (kept && kept->capture.complete() && kept->capture.rows >= d.samples) {
    at_hand.assign(plan.variables().size(), nullptr);
    for (const auto& [v, j] : decision_series(s, plan, questions))
      for (std::size_t c = 0; c < kept->capture.columns.size(); ++c)
        if (kept->capture.columns[c] == kept->first + j) at_hand[v] = kept->capture.column(c).data();
  }
  d.estimate = decide(plan, options, questions, r.seed, r.samples, d.samples, opt.how.threads, opt.on.cancel,
                      at_hand.empty() ? nullptr : &at_hand);
  r.decision = std::move(d);
}

std::vector<bool> sensitivity_wanted(const RunSummary& r) {
  std::vector<bool> wanted;
  for (const auto& v : r.variables) wanted.push_back(v.reported && !v.var.input);
  return wanted;
}

// A conditioned run's figures and their series, for the weighted sensitivities (none otherwise).
std::optional<SensitivityWeights> sensitivity_weights(const RunSummary& r, const Scenario* s) {
  if (!s || s->evidence.empty()) return std::nullopt;
  SensitivityWeights w;
  w.figures = s->evidence;
  for (const Evidence& e : s->evidence) w.series.push_back(r.series_index(e.variable, e.year));
  return w;
}

void want_sensitivity_columns(Capture& capture, const RunSummary& r, const Plan& plan, std::size_t first,
                              const Scenario* s) {
  const std::optional<SensitivityWeights> weights = sensitivity_weights(r, s);
  const SensitivityNeeds needs = sensitivity_needs(plan, r.samples, sensitivity_wanted(r), weights ? &*weights : nullptr);
  if (needs.inputs.empty()) return;
  const auto held = static_cast<std::uint64_t>(std::count(needs.keep.begin(), needs.keep.end(), true));
  const std::uint64_t rows = std::max(capture.rows, needs.samples);
  if ((capture.columns.size() + held) * rows > k_sensitivity_values) return;
  capture.rows = rows;
  for (std::size_t i = 0; i < needs.keep.size(); ++i)
    if (needs.keep[i]) capture.columns.push_back(first + i);
}

namespace {
// Adds to `capture` the holdings' MOIC columns (source columns from `first`) over the first samples the portfolio's
// rank correlations use, as long as all it holds stays within k_sensitivity_values values.
void want_portfolio_columns(Capture& capture, const PortfolioColumns& p, std::size_t first, std::uint64_t samples) {
  const std::uint64_t rows = std::max(capture.rows, std::min(samples, k_sensitivity_samples));
  if ((capture.columns.size() + p.holdings) * rows > k_sensitivity_values) return;
  capture.rows = rows;
  for (std::size_t k = 0; k < p.holdings; ++k) capture.columns.push_back(first + p.holding_moic(k));
}
}  // namespace

void add_sensitivity(RunSummary& r, const Plan& plan, const RunOptions& opt, const SensitivityKept* kept,
                     const Scenario* s) {
  opt.check_cancel();  // each re-draw takes well under a second
  std::vector<std::span<const double>> columns;
  if (kept && kept->capture.complete()) {  // the series the main pass kept, in series order
    columns.resize(plan.series().size());
    for (std::size_t j = 0; j < kept->capture.columns.size(); ++j) {
      const std::size_t c = kept->capture.columns[j];
      if (c >= kept->first && c < kept->first + columns.size()) columns[c - kept->first] = kept->capture.column(j);
    }
  }
  const std::optional<SensitivityWeights> weights = sensitivity_weights(r, s);
  const Sensitivity sens = sensitivity(plan, r.seed, r.samples, sensitivity_wanted(r), opt.how.threads,
                                       columns.empty() ? nullptr : &columns, weights ? &*weights : nullptr);
  r.sensitivity_inputs.clear();
  for (const std::uint32_t v : sens.inputs) r.sensitivity_inputs.push_back(plan.variables()[v].name);
  r.sensitivity_samples = sens.samples;
  for (std::size_t i = 0; i < r.variables.size(); ++i) {
    r.variables[i].sensitivity = sens.rho[i];
    r.variables[i].swing = i < sens.swing.size() ? sens.swing[i] : std::vector<Swing>{};
  }
}

void add_sample_datasets(RunGroup* group, const RunSummary& r, std::vector<std::size_t>& columns, std::size_t first) {
  for_each_variable(r.variables, [&](std::size_t i, std::size_t count) {
    if (r.variables[i].stored_scalar && group) group->add_constant(r.variables[i].var.name, r.variables[i].point, r.variables[i].var.unit);
    if (!r.variables[i].stored) return;
    const std::span<const int> years = r.variables[i].year ? std::span<const int>(r.years) : std::span<const int>();
    if (group) group->add_samples(r.variables[i].var.name, r.samples, r.variables[i].var.unit, years);
    for (std::size_t k = 0; k < count; ++k) columns.push_back(first + i + k);
  });
}

void commit_with_csv(ResultWriter& writer, const RunOptions& opt, const std::function<void(std::ostream&)>& csv_text) {
  // The CSV beside the HDF5 file, also written under a temporary name and renamed.
  AtomicTarget csv(csv_beside(writer.target()), true);  // its leftovers went with the result's
  {
    std::ofstream f(csv.temp(), std::ios::binary);
    csv_text(f);
    if (!f.flush()) throw RunError(fmt::format("cannot write {}: {}", csv.target(), std::strerror(errno)));
  }
  opt.check_cancel();
  writer.close();     // flushing and sealing a large file takes a while: a signal meanwhile still stops the run
  opt.check_cancel();
  const CommitLock lock(writer.target());  // one run at a time between the journal and its last rename
  writer.commit(&csv);                      // the HDF5 file and its CSV appear as one pair, or the journal finishes it
}

namespace {

// A scenario run put together before sampling: its plan and summary, the stressed cases' scenarios, plans and
// summaries, the portfolio's columns, and the block source over all of them. Not movable: the source refers
// to the plans.
struct ScenarioRun {
  ScenarioRun(const Scenario& s, const RunOptions& opt, PlanUse use = PlanUse::draw);
  ScenarioRun(const ScenarioRun&) = delete;
  ScenarioRun& operator=(const ScenarioRun&) = delete;

  const Scenario& scenario;
  QuantileTables tables;  // shared by the base's and the stressed cases' plans
  const Plan plan;
  RunSummary out;
  std::vector<Scenario> stressed;
  std::vector<std::unique_ptr<Plan>> plans;
  std::vector<RunSummary> cases;
  std::optional<PortfolioColumns> pcols;
  std::vector<std::string> holding_names;
  std::optional<EvidenceColumns> evidence;  // a conditioned run's
  std::optional<ScenarioSource> source;

  // What each column needs: the base's and each case's series, the deltas' moments, the portfolio's.
  [[nodiscard]] std::vector<ColumnSpec> specs() const;
  // Bytes of the sample datasets the result will hold.
  [[nodiscard]] double stored() const;
};

// Where a portfolio's holdings are among the base series.
PortfolioColumns portfolio_columns(const PortfolioSpec& portfolio, const RunSummary& out) {
  PortfolioColumns p;
  p.holdings = portfolio.holdings.size();
  p.dated = std::all_of(portfolio.holdings.begin(), portfolio.holdings.end(),
                        [](const Holding& h) { return !h.invested.empty(); }) && p.holdings > 0;
  for (const Holding& h : portfolio.holdings) {
    p.check.push_back(out.series_index(h.check));
    p.proceeds.push_back(out.series_index(h.proceeds));
    if (p.dated) {
      p.invested.push_back(out.series_index(h.invested));
      p.exit.push_back(out.series_index(h.exit));
    }
  }
  return p;
}

// A conditioned run's refusals: what its weights do not reach yet (UsageError, exit 1).
void check_evidence_run(const Scenario& s, const RunOptions& opt, std::uint64_t samples) {
  const Evidence& e = s.evidence.front();
  const auto refuse = [&](const std::string& why) {
    throw UsageError(fmt::format("{}: {} conditions on observed figures ([evidence] {}), and {}", e.where.str(), s.name,
                                 e.label(), why));
  };
  if (!opt.what.stresses.empty())
    refuse("stressed cases are not run beside a conditioned base: each case would need its own weights; run the "
           "stresses without [evidence], or write each case as a scenario with its [evidence]");
  if (opt.what.sobol)
    refuse("--sobol's indices are computed for the prior (unweighted) model only; run --sobol without [evidence] (the "
           "conditioned run's tornado uses weighted rank correlations)");
  if (samples > k_max_weighted_samples)
    refuse(fmt::format("-n {} is more than the {} samples a conditioned run may draw (their weights are summed exactly in "
                       "64 bits); split the run into shards or draw fewer",
                       thousands(samples), thousands(k_max_weighted_samples)));
}

ScenarioRun::ScenarioRun(const Scenario& s, const RunOptions& opt, PlanUse use)
    : scenario(s), tables(opt.how.threads), plan(s, use, &tables), out(describe_run(s, plan, opt)) {
  if (opt.what.point_only) return;
  check_design_samples(s, out.samples);
  // The stressed cases: their scenarios and plans, evaluated on the same blocks as the base.
  for (const StressCase& c : opt.what.stresses) stressed.push_back(with_overrides(s, c.overrides));
  std::vector<const Plan*> plan_ptrs;
  for (const Scenario& st : stressed) {
    plans.push_back(std::make_unique<Plan>(st, use, &tables));
    plan_ptrs.push_back(plans.back().get());
    cases.push_back(describe_run(st, *plans.back(), opt));
    cases.back().seed = out.seed;
    cases.back().samples = out.samples;
  }
  if (s.portfolio) {
    pcols = portfolio_columns(*s.portfolio, out);
    for (const Holding& h : s.portfolio->holdings) holding_names.push_back(h.name);
  }
  if (!s.evidence.empty()) {
    check_evidence_run(s, opt, out.samples);
    EvidenceColumns e;
    e.figures = s.evidence;
    for (const Evidence& f : s.evidence) e.targets.push_back(out.series_index(f.variable, f.year));
    for (std::size_t i = 0; i < out.variables.size(); ++i) {
      const VariableSummary& v = out.variables[i];
      const bool target = std::find(e.targets.begin(), e.targets.end(), i) != e.targets.end();
      if (v.var.role == FormulaRole::variable && !v.constant && (v.var.input || v.reported || target)) e.prior.push_back(i);
    }
    evidence = std::move(e);
  }
  source.emplace(plan, plan_ptrs, out.seed, out.samples, pcols, evidence);
  std::vector<const Plan*> all_plans = {&plan};
  all_plans.insert(all_plans.end(), plan_ptrs.begin(), plan_ptrs.end());
  std::uint64_t stored = stored_series(out), ordered = 0;
  for (const RunSummary& c : cases) stored += stored_series(c);
  for (const RunSummary* r : {&out}) ordered += ordered_series(*r);
  for (const RunSummary& c : cases) ordered += ordered_series(c);
  if (ordered > k_max_ordered_series)
    throw RunError(fmt::format("{}: quantiles of {} series asked (every stored or reported series has exact "
                               "quantiles), more than the {} a run computes (each keeps order-statistics counts on every "
                               "thread: 20,000 once took 7 GB and 50 s at 1,000 samples); use --store report (the "
                               "reported outputs) or report fewer",
                               s.name, thousands(ordered), thousands(k_max_ordered_series)));
  if (opt.what.sobol) {
    const auto uncertain = static_cast<std::size_t>(std::count_if(
        s.inputs.begin(), s.inputs.end(), [](const Input& in) { return !std::holds_alternative<Constant>(in.dist); }));
    for (const Input& in : s.inputs)
      if (in.yearly != Yearly::none)
        throw UsageError(fmt::format("--sobol: {} draws `{}` per year (yearly = \"{}\"); Sobol' indices and Shapley effects "
                                     "are computed for inputs drawn once per sample, so tamcarlo does not compute them "
                                     "for this scenario (its tornado and swing charts, from Spearman's ρ, are there)",
                                     s.name, in.name, yearly_name(in.yearly)));
    if (uncertain > k_max_sobol_inputs)
      throw UsageError(fmt::format("--sobol: {} has {} uncertain inputs; Sobol' indices evaluate the model N × (inputs "
                                   "+ 2) times, so tamcarlo computes them for at most {} (Spearman's ρ, shown without "
                                   "--sobol, costs nothing extra)",
                                   s.name, thousands(uncertain), thousands(k_max_sobol_inputs)));
  }
  check_workspace_memory(all_plans, opt.how.threads, s.name, stored, out.samples);
}

std::vector<ColumnSpec> ScenarioRun::specs() const {
  std::vector<ColumnSpec> specs = column_specs(out);
  for (const RunSummary& c : cases) {
    const auto more = column_specs(c);
    specs.insert(specs.end(), more.begin(), more.end());
    specs.resize(specs.size() + c.variables.size());  // deltas: moments only
  }
  if (pcols) {
    const auto more = portfolio_specs(*pcols, scenario.portfolio->level, source->portfolio_first());
    specs.insert(specs.end(), more.begin(), more.end());
  }
  if (evidence) {  // every base statistic weighted; the weight twice; the prior copies plain
    for (ColumnSpec& c : specs) c.weighted = true;
    for (const std::size_t i : evidence->prior)  // the posterior's quantiles beside every prior's
      if (specs[i].probs.empty()) specs[i].probs.assign(k_report_probs.begin(), k_report_probs.end());
    specs.emplace_back().weighted = true;
    specs.emplace_back();
    for (std::size_t k = 0; k < evidence->prior.size(); ++k)
      specs.emplace_back().probs.assign(k_report_probs.begin(), k_report_probs.end());
  }
  return specs;
}

double ScenarioRun::stored() const {
  double bytes = stored_bytes(out);
  for (const RunSummary& c : cases) bytes += stored_bytes(c);
  return bytes;
}

// The result file's groups (the root and one per stressed case), created with their sample datasets before the
// samples stream into them; returns the stored columns. (A shard or an MPI rank > 0 writes its rows of the same
// columns into its part: no writer.)
std::vector<std::size_t> open_groups(ScenarioRun& run, const RunOptions& opt, ResultWriter* writer,
                                     std::optional<RunGroup>& root, std::vector<RunGroup>& case_runs) {
  std::vector<std::size_t> stored_columns;
  if (writer) {
    root.emplace(writer->run(""));
    root->write_run(run.scenario, run.out.seed, run.out.samples, opt.what.store);
  }
  add_sample_datasets(root ? &*root : nullptr, run.out, stored_columns, 0);
  for (std::size_t k = 0; k < run.cases.size(); ++k) {
    if (writer) {
      const StressCase& c = opt.what.stresses[k];
      std::string notes;
      for (const Input& in : c.overrides) notes += (notes.empty() ? "" : "\n") + stress_note(in);
      case_runs.push_back(writer->run("stress/" + c.name));
      case_runs.back().write_stress(c.name, c.description, notes);
      case_runs.back().write_run(run.stressed[k], run.out.seed, run.out.samples, opt.what.store);
    }
    add_sample_datasets(writer ? &case_runs.back() : nullptr, run.cases[k], stored_columns, run.source->stress_first(k));
  }
  if (run.evidence && !stored_columns.empty()) {  // stored samples come with their weights (the last column)
    if (root) root->add_weights(run.out.samples);
    stored_columns.push_back(run.source->weight_column());
  }
  return stored_columns;
}

// A conditioned run's evidence summary and priors, from the weight and prior columns. Throws ScenarioError (at the first
// figure) when no sample has weight: the figures lie where the prior does not reach.
void take_evidence(ScenarioRun& run, const std::vector<ColumnResult>& results) {
  RunSummary& out = run.out;
  const EvidenceColumns& e = *run.evidence;
  const std::size_t w = run.source->weight_column();
  EvidenceSummary ev;
  ev.figures = e.figures;
  for (const std::size_t t : e.targets) ev.units.push_back(out.variables[t].var.unit);
  ev.samples = out.samples;
  ev.ess = results[w].moments.ess;
  ev.unjudged = results[w].moments.nonfinite;
  ev.likelihood = results[w + 1].moments;
  for (std::size_t k = 0; k < e.prior.size(); ++k)
    out.variables[e.prior[k]].prior = PriorSummary{results[w + 2 + k].moments, results[w + 2 + k].quantiles};
  if (ev.ess <= 0) {
    std::string where;
    for (std::size_t f = 0; f < e.figures.size(); ++f) {
      const VariableSummary& v = out.variables[e.targets[f]];
      if (!v.prior || v.prior->quantiles.empty()) continue;
      where += fmt::format("\n  {} observed {}; the prior's P1–P99 is {} to {}", e.figures[f].label(), e.figures[f].describe(),
                           format_number(v.prior->quantiles.front().value), format_number(v.prior->quantiles.back().value));
    }
    throw ScenarioError(e.figures.front().where, "evidence." + e.figures.front().label(),
                        fmt::format("no sample of {} is consistent with the observed figures (every likelihood is below "
                                    "2^-30 of a perfect fit, or its variable is not finite): the figures lie where the "
                                    "prior does not reach; widen the prior or the figures' errors, or check their units{}",
                                    thousands(out.samples), where));
  }
  out.evidence = std::move(ev);
}

// Each stressed case's summary and its paired differences from the base, into run.out.stresses.
void take_stresses(ScenarioRun& run, const RunOptions& opt, const std::vector<ColumnResult>& results) {
  RunSummary& out = run.out;
  for (std::size_t k = 0; k < run.cases.size(); ++k) {
    StressResult res;
    res.name = opt.what.stresses[k].name;
    res.description = opt.what.stresses[k].description;
    for (const Input& in : opt.what.stresses[k].overrides) res.overrides.push_back(stress_note(in));
    take_results(run.cases[k], results, run.source->stress_first(k));
    res.delta.resize(out.variables.size());
    for (std::size_t i = 0; i < out.variables.size(); ++i) {
      const bool held = (out.variables[i].stored || out.variables[i].reported) &&
                        (run.cases[k].variables[i].stored || run.cases[k].variables[i].reported);
      if (held) res.delta[i] = results[run.source->delta_first(k) + i].moments;
    }
    res.run = std::move(run.cases[k]);
    out.stresses.push_back(std::move(res));
  }
}

// Which inputs drive each reported output (re-drawn on the first samples; the draws are the same), Sobol'
// indices with --sobol, and the portfolio's statistics. Only the process that writes the result needs the first.
void add_sensitivities(ScenarioRun& run, const RunOptions& opt, bool writes, const std::vector<ColumnResult>& results,
                       const Capture& kept) {
  if (opt.on.phase) opt.on.phase("sensitivity");
  if (writes || opt.what.output.empty()) {
    const SensitivityKept base{kept, 0};
    add_sensitivity(run.out, run.plan, opt, &base, &run.scenario);
    for (std::size_t k = 0; k < run.cases.size(); ++k) {
      const SensitivityKept stressed{kept, run.source->stress_first(k)};
      add_sensitivity(run.cases[k], *run.plans[k], opt, &stressed, &run.stressed[k]);
    }
    if (opt.what.sobol) add_sobol(run.out, run.plan, opt);
    const auto decision_start = Clock::now();
    add_decision(run.out, run.scenario, run.plan, opt, &base);
    for (std::size_t k = 0; k < run.cases.size(); ++k) {
      const SensitivityKept stressed{kept, run.source->stress_first(k)};
      add_decision(run.cases[k], run.stressed[k], *run.plans[k], opt, &stressed);
    }
    run.out.timings.decision = seconds_since(decision_start);
  }
  if (run.pcols)
    run.out.portfolio = portfolio_result(*run.pcols, run.holding_names, results, run.source->portfolio_first(),
                                         *run.source, run.out.samples, opt.how.threads, kept);
}

// The summaries, portfolio and stressed cases into their groups, then the CSV and the commit.
void write_result(ScenarioRun& run, const RunOptions& opt, ResultWriter& writer, RunGroup& root,
                  std::vector<RunGroup>& case_runs) {
  const RunSummary& out = run.out;
  if (opt.on.phase) opt.on.phase("writing");
  if (!out.precision.empty()) root.write_precision(out.precision);
  if (out.portfolio) writer.write_portfolio(*out.portfolio, run.scenario.portfolio->level);
  for (std::size_t k = 0; k < out.stresses.size(); ++k) {
    case_runs[k].write_summaries(out.stresses[k].run);
    case_runs[k].write_delta(out.stresses[k].run, out.stresses[k].delta);
  }
  root.write_summaries(out);
  std::vector<CsvCase> csv_cases = {{"base", &out, &run.scenario}};
  for (std::size_t k = 0; k < out.stresses.size(); ++k)
    csv_cases.push_back({out.stresses[k].name, &out.stresses[k].run, k < run.stressed.size() ? &run.stressed[k] : nullptr});
  commit_with_csv(writer, opt, [&](std::ostream& f) { write_csv(csv_cases, f); });
  remove_checkpoint(opt);
}

}  // namespace

void add_nonfinite_origins(RunSummary& r, const Scenario& s, const Plan& plan) {
  std::vector<std::size_t> targets;
  for (std::size_t i = 0; i < r.variables.size(); ++i)
    if (r.variables[i].moments.nonfinite > 0) targets.push_back(i);
  const std::vector<std::string> origins = nonfinite_origins(s, plan, r.seed, r.samples, targets);
  for (std::size_t k = 0; k < targets.size(); ++k) r.variables[targets[k]].nonfinite_origin = origins[k];
}

void add_below_zero(RunSummary& r) {
  for (VariableSummary& v : r.variables) {
    if (!v.reported || v.var.input || v.var.role != FormulaRole::variable || v.constant) continue;
    const std::string kind = detail::amount_kind(v.var.unit);
    if (kind.empty() || detail::named_signed(v.var.name) || !(v.moments.min < 0)) continue;
    const bool quantiles = !v.quantiles.empty();
    const double middle = quantiles ? v.at(0.5).value : v.moments.mean;
    if (!(middle > 0)) continue;
    const auto shown = [&](double x) { return format_number(x, v.var.format); };
    v.below_zero = fmt::format("goes below 0, {} that cannot be negative: its smallest sample is {}{}, its {} {}; a "
                               "difference in its formula, or an input it reads, goes below zero in some samples; if a "
                               "floor at 0 is meant, write max(…, 0)",
                               kind == "money" ? "an amount of money" : "a count", shown(v.moments.min),
                               quantiles && v.at(0.01).value < 0 ? ", its P1 " + shown(v.at(0.01).value) : "",
                               quantiles ? "P50" : "mean", shown(middle));
  }
}

RunNeeds preflight_scenario(const Scenario& s, const RunOptions& opt) {
  const ScenarioRun run(s, opt, PlanUse::describe);  // checked and sized; the run builds its own to draw from
  return RunNeeds{opt.what.point_only ? 0.0 : run.stored()};
}

RunSummary run_scenario(const Scenario& s, const RunOptions& opt) {
  const auto start = Clock::now();
  // Open the file first: an unwritable target fails before a long run, not after.
  std::unique_ptr<ResultWriter> writer;
  if (opt.writes_result())
    writer = std::make_unique<ResultWriter>(opt.what.output, "scenario", std::max(s.warnings.size(), s.report.size()));
  ScenarioRun run(s, opt);
  RunSummary& out = run.out;
  if (opt.what.point_only) {  // a point that is NaN or ±inf: where it comes from
    std::vector<std::size_t> targets(out.variables.size());
    std::iota(targets.begin(), targets.end(), std::size_t{0});
    const std::vector<std::string> origins = point_nonfinite_origins(run.scenario, run.plan, targets);
    for (std::size_t i = 0; i < targets.size(); ++i) out.variables[i].nonfinite_origin = origins[i];
    return out;
  }

  std::optional<RunGroup> root;
  std::vector<RunGroup> case_runs;
  const std::vector<std::size_t> stored_columns = open_groups(run, opt, writer.get(), root, case_runs);
  // The sensitivities' first samples, kept as the main pass evaluates them (no re-draw) by the process that needs
  // them.
  Capture kept;
  if (writer || opt.what.output.empty()) {
    want_sensitivity_columns(kept, out, run.plan, 0, &s);
    for (std::size_t k = 0; k < run.cases.size(); ++k)
      want_sensitivity_columns(kept, run.cases[k], *run.plans[k], run.source->stress_first(k), &run.stressed[k]);
    want_decision_columns(kept, out, s, run.plan, 0);
    for (std::size_t k = 0; k < run.cases.size(); ++k)
      want_decision_columns(kept, run.cases[k], run.stressed[k], *run.plans[k], run.source->stress_first(k));
    if (run.pcols) want_portfolio_columns(kept, *run.pcols, run.source->portfolio_first(), out.samples);
  }
  out.timings.setup = seconds_since(start);
  const std::optional<std::vector<ColumnResult>> streamed =
      stream_passes(*run.source, run.specs(), stored_columns, opt, out.seed, out.samples, writer.get(),
                    &out.timings.stream, kept.columns.empty() ? nullptr : &kept,
                    run.evidence ? std::optional<std::size_t>(run.source->weight_column()) : std::nullopt);
  if (!streamed) {  // a shard: its part is written
    out.seconds = seconds_since(start);
    out.output = opt.what.output;
    return std::move(out);
  }
  take_results(out, *streamed, 0);
  if (run.evidence) take_evidence(run, *streamed);
  const auto sens_start = Clock::now();
  add_sensitivities(run, opt, writer != nullptr, *streamed, kept);
  out.timings.sensitivity = seconds_since(sens_start) - out.timings.decision;
  take_stresses(run, opt, *streamed);
  if (writer || opt.what.output.empty()) {  // (said by the process that reports)
    add_nonfinite_origins(out, run.scenario, run.plan);
    add_below_zero(out);
    for (std::size_t k = 0; k < out.stresses.size(); ++k) {
      add_nonfinite_origins(out.stresses[k].run, run.stressed[k], *run.plans[k]);
      add_below_zero(out.stresses[k].run);
    }
  }
  out.seconds = seconds_since(start);
  if (opt.on.accept && !opt.on.accept(out)) return std::move(out);  // nothing written
  if (!writer) return std::move(out);

  const auto write_start = Clock::now();
  write_result(run, opt, *writer, *root, case_runs);
  out.output = writer->target();
  out.timings.write = seconds_since(write_start);
  return std::move(out);
}

}  // namespace tamcarlo
