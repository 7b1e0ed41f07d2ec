#include "sim/cmd/run.hpp"

#include "sim/engine/engine.hpp"
#include "sim/error.hpp"
#include "sim/io/output.hpp"
#include "sim/io/results_file.hpp"
#include "sim/engine/sensitivity.hpp"
#include "sim/io/target.hpp"
#include "sim/io/number_format.hpp"
#include "sim/io/text.hpp"

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
#include <memory>
#include <optional>

namespace tamcarlo {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();

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

// Where a portfolio's variables are among the base series, and its derived columns.
struct PortfolioColumns {
  std::size_t holdings = 0;
  std::vector<std::size_t> check, proceeds, invested, exit;  // base series indices
  bool dated = false;
  // Derived columns, relative to the first portfolio column: moic, pnl, pnl_k (h), moic_k (h), irr.
  [[nodiscard]] std::size_t width() const { return 2 + 2 * holdings + (dated ? 1 : 0); }
  static constexpr std::size_t moic = 0, pnl = 1;
  [[nodiscard]] std::size_t holding_pnl(std::size_t k) const { return 2 + k; }
  [[nodiscard]] std::size_t holding_moic(std::size_t k) const { return 2 + holdings + k; }
  [[nodiscard]] std::size_t irr() const { return 2 + 2 * holdings; }
};

// Columns of a scenario run, per block: the base series; per stressed case its series, then their
// differences from the base; then the portfolio's derived columns.
class ScenarioSource : public BlockSource {
 public:
  ScenarioSource(const Plan& base, std::vector<const Plan*> stressed, std::uint64_t seed, std::uint64_t samples,
                 std::optional<PortfolioColumns> portfolio)
      : base_(base), stressed_(std::move(stressed)), seed_(seed), samples_(samples), portfolio_(std::move(portfolio)) {}
  [[nodiscard]] std::size_t series() const { return base_.series().size(); }
  [[nodiscard]] std::size_t stress_first(std::size_t k) const { return series() * (1 + 2 * k); }
  [[nodiscard]] std::size_t delta_first(std::size_t k) const { return stress_first(k) + series(); }
  [[nodiscard]] std::size_t portfolio_first() const { return series() * (1 + 2 * stressed_.size()); }
  [[nodiscard]] std::size_t width() const override {
    return portfolio_first() + (portfolio_ ? portfolio_->width() : 0);
  }
  [[nodiscard]] std::unique_ptr<BlockEvaluator> evaluator() const override;
  [[nodiscard]] std::uint32_t replicates() const override { return base_.design().replicates; }

  const Plan& base_;
  std::vector<const Plan*> stressed_;
  std::uint64_t seed_, samples_;
  std::optional<PortfolioColumns> portfolio_;
};

class ScenarioEvaluator : public BlockEvaluator {
 public:
  explicit ScenarioEvaluator(const ScenarioSource& src) : src_(src), base_(src.base_, src.samples_) {
    for (const Plan* p : src.stressed_) stressed_.emplace_back(*p, src.samples_);
    const std::size_t derived = src.width() - src.series() * (1 + src.stressed_.size());
    buffer_.assign(derived, std::vector<double>(k_block_size));
  }

  void evaluate(std::uint64_t first, std::size_t rows, std::vector<const double*>& cols) override {
    const std::size_t s = src_.series();
    base_.evaluate(src_.seed_, first, rows);
    for (std::size_t i = 0; i < s; ++i) cols[i] = base_.series(i);
    std::size_t b = 0;  // next derived buffer
    for (std::size_t k = 0; k < stressed_.size(); ++k) {
      stressed_[k].evaluate(src_.seed_, first, rows);
      for (std::size_t i = 0; i < s; ++i) {
        const double* x = base_.series(i);
        const double* y = stressed_[k].series(i);
        double* d = buffer_[b++].data();
        for (std::size_t j = 0; j < rows; ++j) d[j] = y[j] - x[j];
        cols[src_.stress_first(k) + i] = y;
        cols[src_.delta_first(k) + i] = d;
      }
    }
    if (src_.portfolio_) portfolio(*src_.portfolio_, rows, cols, b);
  }

 private:
  // Σ proceeds / Σ checks, P&L, per holding P&L and MOIC, and the IRR of the dated flows; NaN in
  // every portfolio column for a sample where some holding is not finite.
  void portfolio(const PortfolioColumns& p, std::size_t rows, std::vector<const double*>& cols, std::size_t b) {
    const std::size_t h = p.holdings;
    const std::size_t first = src_.portfolio_first();
    std::vector<double*> out(p.width());
    for (std::size_t c = 0; c < p.width(); ++c) {
      out[c] = buffer_[b + c].data();
      cols[first + c] = out[c];
    }
    std::vector<double> t(2 * h), a(2 * h);
    for (std::size_t j = 0; j < rows; ++j) {
      bool ok = true;
      double check = 0, proceeds = 0;
      for (std::size_t k = 0; k < h; ++k) {
        const double ck = base_.series(p.check[k])[j], pk = base_.series(p.proceeds[k])[j];
        ok = ok && std::isfinite(ck) && std::isfinite(pk);
        check += ck;
        proceeds += pk;
        out[p.holding_pnl(k)][j] = pk - ck;
        out[p.holding_moic(k)][j] = ck > 0 ? pk / ck : k_nan;
      }
      if (!ok) {
        for (std::size_t c = 0; c < p.width(); ++c) out[c][j] = k_nan;
        continue;
      }
      out[PortfolioColumns::moic][j] = check > 0 ? proceeds / check : k_nan;
      out[PortfolioColumns::pnl][j] = proceeds - check;
      if (!p.dated) continue;
      for (std::size_t k = 0; k < h; ++k) {
        t[2 * k] = base_.series(p.invested[k])[j];
        a[2 * k] = -base_.series(p.check[k])[j];
        t[2 * k + 1] = base_.series(p.exit[k])[j];
        a[2 * k + 1] = base_.series(p.proceeds[k])[j];
      }
      const models::IrrResult r = models::irr(t, a);
      const bool defined = r.status == models::IrrStatus::ok || r.status == models::IrrStatus::total_loss;
      out[p.irr()][j] = defined ? r.rate : k_nan;
    }
  }

  const ScenarioSource& src_;
  PlanBlock base_;
  std::vector<PlanBlock> stressed_;
  std::vector<std::vector<double>> buffer_;
};

std::unique_ptr<BlockEvaluator> ScenarioSource::evaluator() const { return std::make_unique<ScenarioEvaluator>(*this); }

std::size_t series_of(const RunSummary& r, const std::string& name) {
  for (std::size_t i = 0; i < r.variables.size(); ++i)
    if (r.variables[i].var.name == name && !r.variables[i].year) return i;
  throw std::logic_error("portfolio variable is not an untimed series: " + name);
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
                                const ScenarioSource& source, std::uint64_t samples, unsigned threads) {
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
  // Rank correlations of the holdings' MOICs over the first samples (as the sensitivities).
  out.rank_samples = std::min(samples, k_sensitivity_samples);
  std::vector<bool> want(source.width(), false);
  for (std::size_t k = 0; k < p.holdings; ++k) want[first + p.holding_moic(k)] = true;
  const auto cols = collect_columns(source, out.rank_samples, want, threads);
  std::vector<std::vector<double>> ranks;
  for (std::size_t k = 0; k < p.holdings; ++k) ranks.push_back(average_ranks(cols[first + p.holding_moic(k)]));
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

double stored_bytes(const RunSummary& r) {
  const auto series = std::count_if(r.variables.begin(), r.variables.end(), [](const VariableSummary& v) { return v.stored; });
  return static_cast<double>(series) * static_cast<double>(r.samples) * sizeof(double);
}

void check_workspace_memory(const std::vector<const Plan*>& plans, unsigned threads, const std::string& name) {
  double per_thread = 0;
  for (const Plan* p : plans) per_thread += static_cast<double>(p->slots()) * k_block_size * sizeof(double);
  const unsigned n = threads != 0 ? threads : static_cast<unsigned>(tbb::info::default_concurrency());
  const double have = available_memory();
  if (per_thread * n <= 0.8 * have) return;
  const auto fit = static_cast<unsigned>(0.8 * have / per_thread);
  throw RunError(fmt::format("{}: {} threads need {}B of block workspace ({}B each: {} rows × the variables, "
                             "temporaries and constants of every plan), but {}B is available; {}",
                             name, n, format_number(per_thread * n), format_number(per_thread), k_block_size, format_number(have),
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
  out.seed = opt.seed.value_or(s.seed.value_or(k_default_seed));
  out.design = s.design;
  out.point_only = opt.point_only;
  out.threads = opt.threads != 0 ? opt.threads : static_cast<unsigned>(tbb::info::default_concurrency());
  out.ranks = opt.ranks ? opt.ranks->size() : 1;
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
    const bool store = !opt.point_only && !opt.output.empty() &&
                       (opt.store == Store::all || (opt.store == Store::report && vs.reported));
    vs.stored = store && !vs.constant;  // never N copies of one value
    vs.stored_scalar = store && vs.constant;
    out.variables.push_back(std::move(vs));
  }
  if (!opt.point_only) out.samples = opt.samples.value_or(s.samples.value_or(k_default_samples));
  return out;
}

std::vector<ColumnSpec> column_specs(const RunSummary& r) {
  std::vector<ColumnSpec> specs;
  for (const auto& v : r.variables) {
    ColumnSpec c;
    if (v.stored || v.reported) c.probs.assign(k_report_probs.begin(), k_report_probs.end());
    if (v.risk_spec && (v.stored || v.reported)) c.risk = v.risk_spec;
    c.stored = v.stored;
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
  }
}

// Sobol' indices of every reported formula series (a timed one at its last year) on the first min(N, 100,000)
// samples; none when there are too few samples for the replicate batches.
void add_sobol(RunSummary& r, const Plan& plan, const RunOptions& opt) {
  const std::uint64_t n = std::min<std::uint64_t>(r.samples, 100'000);
  if (n < 2 * k_sobol_batches) return;
  if (opt.cancel && opt.cancel->load()) throw Interrupted();
  std::vector<bool> wanted;
  for (const auto& v : r.variables) wanted.push_back(v.reported && !v.var.input);
  const SobolResult s = sobol_indices(plan, r.seed, n, wanted, opt.threads);
  r.sobol_inputs.clear();
  for (const std::uint32_t v : s.inputs) r.sobol_inputs.push_back(plan.variables()[v].name);
  r.sobol_samples = s.n;
  r.sobol_batches = s.batches;
  r.sobol_correlated = s.correlated;
  for (const SobolOutput& o : s.outputs) {
    r.variables[o.series].sobol_first = o.first;
    r.variables[o.series].sobol_total = o.total;
  }
}

void add_sensitivity(RunSummary& r, const Plan& plan, const RunOptions& opt) {
  if (opt.cancel && opt.cancel->load()) throw Interrupted();  // each re-draw takes well under a second
  std::vector<bool> wanted;
  for (const auto& v : r.variables) wanted.push_back(v.reported && !v.var.input);
  const Sensitivity sens = sensitivity(plan, r.seed, r.samples, wanted, opt.threads);
  r.sensitivity_inputs.clear();
  for (const std::uint32_t v : sens.inputs) r.sensitivity_inputs.push_back(plan.variables()[v].name);
  r.sensitivity_samples = sens.samples;
  for (std::size_t i = 0; i < r.variables.size(); ++i) r.variables[i].sensitivity = sens.rho[i];
}


namespace {

}  // namespace

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
  AtomicTarget csv(csv_beside(writer.target()));
  {
    std::ofstream f(csv.temp(), std::ios::binary);
    csv_text(f);
    if (!f.flush()) throw RunError(fmt::format("cannot write {}: {}", csv.target(), std::strerror(errno)));
  }
  if (opt.cancel && opt.cancel->load()) throw Interrupted();
  const CommitLock lock(writer.target());  // one run at a time between the journal and its last rename
  writer.commit(&csv);                      // the HDF5 file and its CSV appear as one pair, or the journal finishes it
}

RunSummary run_scenario(const Scenario& s, const RunOptions& opt) {
  const auto start = Clock::now();
  // Open the file first: an unwritable target fails before a long run, not after.
  std::unique_ptr<ResultWriter> writer;
  if (opt.writes_result()) writer = std::make_unique<ResultWriter>(opt.output, "scenario");
  const Plan plan(s);
  RunSummary out = describe_run(s, plan, opt);
  if (opt.point_only) return out;
  check_design_samples(s, out.samples);

  // The stressed cases: their scenarios and plans, evaluated on the same blocks as the base.
  std::vector<Scenario> stressed;
  for (const StressCase& c : opt.stresses) stressed.push_back(with_overrides(s, c.overrides));
  std::vector<std::unique_ptr<Plan>> plans;
  std::vector<const Plan*> plan_ptrs;
  std::vector<RunSummary> cases;
  for (const Scenario& st : stressed) {
    plans.push_back(std::make_unique<Plan>(st));
    plan_ptrs.push_back(plans.back().get());
    cases.push_back(describe_run(st, *plans.back(), opt));
    cases.back().seed = out.seed;
    cases.back().samples = out.samples;
  }
  std::optional<PortfolioColumns> pcols;
  std::vector<std::string> holding_names;
  if (s.portfolio) {
    PortfolioColumns p;
    p.holdings = s.portfolio->holdings.size();
    p.dated = std::all_of(s.portfolio->holdings.begin(), s.portfolio->holdings.end(),
                          [](const Holding& h) { return !h.invested.empty(); }) && p.holdings > 0;
    for (const Holding& h : s.portfolio->holdings) {
      holding_names.push_back(h.name);
      p.check.push_back(series_of(out, h.check));
      p.proceeds.push_back(series_of(out, h.proceeds));
      if (p.dated) {
        p.invested.push_back(series_of(out, h.invested));
        p.exit.push_back(series_of(out, h.exit));
      }
    }
    pcols = p;
  }
  const ScenarioSource source(plan, plan_ptrs, out.seed, out.samples, pcols);
  std::vector<const Plan*> all_plans = {&plan};
  all_plans.insert(all_plans.end(), plan_ptrs.begin(), plan_ptrs.end());
  check_workspace_memory(all_plans, opt.threads, s.name);
  if (opt.preflight) {
    opt.preflight->stored_bytes = stored_bytes(out);
    for (const RunSummary& c : cases) opt.preflight->stored_bytes += stored_bytes(c);
    return out;
  }

  // What each column needs: the base's and each case's series, the deltas' moments, the portfolio's.
  std::vector<ColumnSpec> specs = column_specs(out);
  for (const RunSummary& c : cases) {
    const auto more = column_specs(c);
    specs.insert(specs.end(), more.begin(), more.end());
    specs.resize(specs.size() + c.variables.size());  // deltas: moments only
  }
  if (pcols) {
    const auto more = portfolio_specs(*pcols, s.portfolio->level, source.portfolio_first());
    specs.insert(specs.end(), more.begin(), more.end());
  }

  // The result file's groups and sample datasets, created before the samples stream into them.
  std::optional<RunGroup> root;
  std::vector<RunGroup> case_runs;
  std::vector<std::size_t> stored_columns;
  if (writer) {
    root.emplace(writer->run(""));
    root->write_run(s, out.seed, out.samples, opt.store);
  }
  // (A shard or an MPI rank > 0 writes its rows of the same columns into its part.)
  add_sample_datasets(root ? &*root : nullptr, out, stored_columns, 0);
  for (std::size_t k = 0; k < cases.size(); ++k) {
    if (writer) {
      const StressCase& c = opt.stresses[k];
      std::string notes;
      for (const Input& in : c.overrides) notes += (notes.empty() ? "" : "\n") + stress_note(in);
      case_runs.push_back(writer->run("stress/" + c.name));
      case_runs.back().write_stress(c.name, c.description, notes);
      case_runs.back().write_run(stressed[k], out.seed, out.samples, opt.store);
    }
    add_sample_datasets(writer ? &case_runs.back() : nullptr, cases[k], stored_columns, source.stress_first(k));
  }
  const std::optional<std::vector<ColumnResult>> streamed = stream_into(
      source, std::move(specs), stored_columns, opt, out.seed, out.samples, writer.get(), &out.timings.stream);
  if (!streamed) {  // a shard: its part is written
    out.seconds = since(start);
    out.output = opt.output;
    return out;
  }
  const std::vector<ColumnResult>& results = *streamed;
  take_results(out, results, 0);

  // Which inputs drive each reported output (re-drawn on the first samples; the draws are the same). Only the
  // process that writes the result needs them.
  const auto sens_start = Clock::now();
  if (opt.phase) opt.phase("sensitivity");
  if (writer || opt.output.empty()) {
    add_sensitivity(out, plan, opt);
    for (std::size_t k = 0; k < cases.size(); ++k) add_sensitivity(cases[k], *plans[k], opt);
    if (opt.sobol) add_sobol(out, plan, opt);
  }
  if (pcols)
    out.portfolio = portfolio_result(*pcols, holding_names, results, source.portfolio_first(), source, out.samples,
                                     opt.threads);
  out.timings.sensitivity = since(sens_start);

  for (std::size_t k = 0; k < cases.size(); ++k) {
    StressResult res;
    res.name = opt.stresses[k].name;
    res.description = opt.stresses[k].description;
    for (const Input& in : opt.stresses[k].overrides) res.overrides.push_back(stress_note(in));
    take_results(cases[k], results, source.stress_first(k));
    res.delta.resize(out.variables.size());
    for (std::size_t i = 0; i < out.variables.size(); ++i) {
      const bool held = (out.variables[i].stored || out.variables[i].reported) &&
                        (cases[k].variables[i].stored || cases[k].variables[i].reported);
      if (held) res.delta[i] = results[source.delta_first(k) + i].moments;
    }
    res.run = std::move(cases[k]);
    out.stresses.push_back(std::move(res));
  }
  out.seconds = since(start);
  if (opt.accept && !opt.accept(out)) return out;  // nothing written
  if (!writer) return out;

  const auto write_start = Clock::now();
  if (opt.phase) opt.phase("writing");
  if (!out.precision.empty()) root->write_precision(out.precision);
  if (out.portfolio) writer->write_portfolio(*out.portfolio, s.portfolio->level);
  for (std::size_t k = 0; k < out.stresses.size(); ++k) {
    case_runs[k].write_summaries(out.stresses[k].run);
    case_runs[k].write_delta(out.stresses[k].run, out.stresses[k].delta);
  }
  root->write_summaries(out);
  commit_with_csv(*writer, opt, [&](std::ostream& f) { write_csv(out, f); });
  remove_checkpoint(opt);
  out.output = writer->target();
  out.timings.write = since(write_start);
  return out;
}

}  // namespace tamcarlo
