#include "sim/run/run_suite.hpp"
#include "sim/base/numeric.hpp"

#include "sim/engine/plan_source.hpp"
#include "sim/engine/suite_source.hpp"
#include "sim/io/csv.hpp"
#include "sim/run/passes.hpp"
#include "sim/base/error.hpp"
#include "sim/io/table.hpp"
#include "sim/io/results_file.hpp"
#include "sim/io/output_path.hpp"

#include <fmt/format.h>

#include <oneapi/tbb/info.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <memory>
#include <numeric>

namespace tamcarlo {

namespace {

// The matrix from the statistics of its columns (markets, shares, pairwise indicators, τ_b).
MatrixStats matrix_of(const SuiteSource& source, const std::vector<SuiteSource::Cell>& cells,
                      const std::vector<ColumnResult>& results, std::span<const double> stars) {
  const std::size_t nc = cells.size();
  MatrixStats mx;
  for (std::size_t c = 0; c < nc; ++c) {
    mx.market.push_back(results[source.market(c)].quantiles);
    mx.market_moments.push_back(results[source.market(c)].moments);
    mx.share.push_back(cells[c].share ? results[source.share(c)].quantiles : std::vector<QuantileEstimate>{});
  }
  for (std::size_t a = 0; a < nc; ++a)
    for (std::size_t b = 0; b < nc; ++b) {
      if (a == b) {
        mx.greater.push_back(wilson(0, 0));
        continue;
      }
      const ColumnResult& g = results[source.greater(a, b)];
      mx.greater.push_back(g.risk->thresholds.at(0).p);
    }
  rank_cells(mx, stars);
  RankAgreement& ag = mx.agreement;
  if (nc >= 2) {
    const ColumnResult& t = results[source.tau()];
    ag.per_sample = t.moments;
    ag.per_sample.nonfinite = 0;
    for (const double p : {0.05, 0.50, 0.95}) ag.quantiles.push_back(quantile_at(t.quantiles, p));
    ag.positive = t.risk->thresholds.at(0).p;
    ag.skipped = t.moments.nonfinite;
  }
  return mx;
}


// A suite run put together before sampling: every run (the shared inputs under the suite seed, each member under
// its own), their plans and summaries, the matrix's cells, and the block source over all of them. Not movable:
// the source refers to the plans.
struct SuiteRun {
  SuiteRun(const Suite& suite, const RunOptions& opt, SuiteSummary& out, PlanUse use = PlanUse::draw);
  SuiteRun(const SuiteRun&) = delete;
  SuiteRun& operator=(const SuiteRun&) = delete;

  const Suite& suite;
  bool has_shared = false;
  std::size_t member0 = 0;                 // index of the first member among the runs
  std::vector<const Scenario*> scenarios;  // per run
  std::vector<std::uint64_t> seeds;
  std::vector<std::string> groups;         // the result file's group of each run
  std::vector<std::unique_ptr<Plan>> plans;
  std::vector<RunSummary> runs;
  std::vector<std::size_t> plan_first;     // first column of each run's series
  std::vector<SuiteSource::Cell> cells;
  std::vector<double> stars;
  std::optional<SuiteSource> source;

  // The matrix's cells: market (converted) and share columns, and the stars they are compared with.
  void find_cells(SuiteSummary& out);
  // What each column needs: every run's series, the cells' markets and shares, P(a > b), τ_b.
  [[nodiscard]] std::vector<ColumnSpec> specs() const;
  // Bytes of the sample datasets the result will hold.
  [[nodiscard]] double stored(Store store, std::uint64_t samples) const;
};

SuiteRun::SuiteRun(const Suite& s, const RunOptions& opt, SuiteSummary& out, PlanUse use) : suite(s) {
  has_shared = !suite.shared.inputs.empty();
  member0 = has_shared ? 1 : 0;
  if (has_shared) {
    scenarios.push_back(&suite.shared);
    seeds.push_back(out.seed);
    groups.push_back("shared");
  }
  for (const SuiteMember& m : suite.members) {
    scenarios.push_back(&m.scenario);
    seeds.push_back(member_seed(out.seed, m.key));
    groups.push_back((m.cell ? "cells/" : "runs/") + m.key);
  }
  QuantileTables tables(opt.how.threads);  // shared by every run's plan (a law's table is built once)
  RunOptions base = opt;
  base.what.samples = out.samples;
  std::vector<const Plan*> plan_ptrs;
  for (std::size_t k = 0, w = 0; k < scenarios.size(); ++k) {
    plans.push_back(std::make_unique<Plan>(*scenarios[k], use, &tables));
    plan_ptrs.push_back(plans.back().get());
    RunOptions o = base;
    o.what.seed = seeds[k];
    runs.push_back(describe_run(*scenarios[k], *plans.back(), o));
    plan_first.push_back(w);
    w += plans.back()->series().size();
  }
  if (opt.what.point_only) return;
  for (const SuiteMember& m : suite.members)
    if (!m.scenario.evidence.empty())
      throw UsageError(fmt::format("{}: {} conditions on observed figures ([evidence] {}); a suite's members are not "
                                   "conditioned yet (each would weigh its samples differently on the suite's shared "
                                   "draws); run that scenario on its own",
                                   m.scenario.evidence.front().where.str(), m.scenario.name,
                                   m.scenario.evidence.front().label()));
  check_design_samples(suite.members.front().scenario, out.samples);
  find_cells(out);
  source.emplace(plan_ptrs, seeds, out.samples, cells, stars);
  check_workspace_memory(plan_ptrs, opt.how.threads, suite.name);
}

void SuiteRun::find_cells(SuiteSummary& out) {
  const auto rb = static_cast<std::size_t>(
      std::find(suite.star_names.begin(), suite.star_names.end(), suite.rank_by) - suite.star_names.begin());
  for (std::size_t k = 0; k < suite.members.size(); ++k) {
    const SuiteMember& m = suite.members[k];
    if (!m.cell) continue;
    const RunSummary& r = runs[member0 + k];
    SuiteSource::Cell c;
    c.market = plan_first[member0 + k] + r.series_index(m.market, m.year);
    if (!m.share.empty()) c.share = plan_first[member0 + k] + r.series_index(m.share, m.year);
    if (!m.fx.empty()) c.fx = plan_first[0] + runs[0].series_index(m.fx);
    cells.push_back(c);
    out.cells.push_back(k);
    stars.push_back(rb < m.stars.size() ? m.stars[rb] : 0);
  }
}

std::vector<ColumnSpec> SuiteRun::specs() const {
  std::vector<ColumnSpec> specs;
  for (const RunSummary& r : runs) {
    const auto more = column_specs(r);
    specs.insert(specs.end(), more.begin(), more.end());
  }
  specs.resize(source->width());
  const std::size_t nc = cells.size();
  for (std::size_t c = 0; c < nc; ++c) {
    specs[source->market(c)].probs.assign(k_report_probs.begin(), k_report_probs.end());
    if (cells[c].share) specs[source->share(c)].probs.assign(k_report_probs.begin(), k_report_probs.end());
    // P(market c > market b), from the 0/1 column's count at or above 0.5. Only the count is read: the
    // semi-deviation's target is set to the threshold, a cut the pass has anyway (its default, the mean, is known
    // only after the pass and could cost a further one).
    for (std::size_t b = 0; b < nc; ++b)
      if (b != c) specs[source->greater(c, b)].risk = RiskSpec{{}, false, {}, {0.5}, 0.5};
  }
  if (nc >= 2) {
    specs[source->tau()].probs.assign(k_report_probs.begin(), k_report_probs.end());
    const double above_zero = std::nextafter(0.0, 1.0);
    specs[source->tau()].risk = RiskSpec{{}, false, {}, {above_zero}, above_zero};  // P(τ_b > 0)
  }
  return specs;
}

double SuiteRun::stored(Store store, std::uint64_t samples) const {
  double bytes = 0;
  for (const RunSummary& r : runs) bytes += stored_bytes(r);
  if (store != Store::none) {
    const auto matrix_columns = std::count_if(cells.begin(), cells.end(), [](const auto& c) { return c.share.has_value(); });
    bytes += static_cast<double>(cells.size() + static_cast<std::size_t>(matrix_columns)) * static_cast<double>(samples) *
             sizeof(double);
  }
  return bytes;
}

// The suite's identity and settings in its summary.
SuiteSummary describe_suite(const Suite& suite, const RunOptions& opt) {
  SuiteSummary out;
  out.path = suite.path;
  out.name = suite.name;
  out.title = suite.title;
  out.unit = suite.unit;
  out.seed = opt.what.seed.value_or(suite.seed.value_or(k_default_seed));
  out.samples = opt.what.samples.value_or(suite.samples.value_or(k_default_samples));
  out.threads = opt.how.threads != 0 ? opt.how.threads : static_cast<unsigned>(tbb::info::default_concurrency());
  out.ranks = opt.how.ranks ? opt.how.ranks->size() : 1;
  out.point_only = opt.what.point_only;
  out.star_names = suite.star_names;
  out.rank_by = suite.rank_by;
  return out;
}

// The result file's groups and sample datasets (every run's, then the matrix's columns), created before the samples
// stream in; returns the stored columns, in column order as the sink hands them. (A shard or an MPI rank > 0
// writes its rows of the same columns into its part: no writer.)
std::vector<std::size_t> open_groups(SuiteRun& run, const RunOptions& opt, const SuiteSummary& out, ResultWriter* writer,
                                     std::vector<RunGroup>& run_groups) {
  std::vector<std::size_t> stored;
  if (opt.what.output.empty()) return stored;
  const Suite& suite = run.suite;
  for (std::size_t k = 0; k < run.runs.size(); ++k) {
    if (writer) {
      run_groups.push_back(writer->run(run.groups[k]));
      if (k >= run.member0 && suite.members[k - run.member0].cell)
        run_groups.back().write_cell(suite.members[k - run.member0], suite.star_names);
      run_groups.back().write_run(*run.scenarios[k], run.seeds[k], out.samples, opt.what.store);
    }
    add_sample_datasets(writer ? &run_groups.back() : nullptr, run.runs[k], stored, run.plan_first[k]);
  }
  if (run.cells.empty() || opt.what.store == Store::none) return stored;
  for (std::size_t c = 0; c < run.cells.size(); ++c) {
    if (writer) writer->add_matrix_column("market_" + suite.members[out.cells[c]].key, out.samples, suite.unit);
    stored.push_back(run.source->market(c));
  }
  for (std::size_t c = 0; c < run.cells.size(); ++c) {
    if (!run.cells[c].share) continue;
    if (writer) writer->add_matrix_column("share_" + suite.members[out.cells[c]].key, out.samples, "");
    stored.push_back(run.source->share(c));
  }
  if (!std::is_sorted(stored.begin(), stored.end())) throw std::logic_error("suite: stored columns out of order");
  return stored;
}

// Every run's summaries into out (the shared inputs, the members), written to their groups when there is a writer.
void take_runs(SuiteRun& run, SuiteSummary& out, std::vector<RunGroup>* run_groups) {
  if (run.has_shared) out.shared = run.runs[0];
  if (run_groups)
    for (std::size_t k = 0; k < run.runs.size(); ++k) (*run_groups)[k].write_summaries(run.runs[k]);
  for (std::size_t k = run.member0; k < run.runs.size(); ++k) out.members.push_back(std::move(run.runs[k]));
}

}  // namespace

RunNeeds preflight_suite(const Suite& suite, const RunOptions& opt) {
  SuiteSummary out = describe_suite(suite, opt);
  const SuiteRun run(suite, opt, out, PlanUse::describe);  // checked and sized; the run builds its own to draw from
  return RunNeeds{opt.what.point_only ? 0.0 : run.stored(opt.what.store, out.samples)};
}

SuiteSummary run_suite(const Suite& suite, const RunOptions& opt) {
  const auto start = Clock::now();
  SuiteSummary out = describe_suite(suite, opt);
  SuiteRun run(suite, opt, out);
  if (opt.what.point_only) {
    take_runs(run, out, nullptr);
    return out;
  }
  std::unique_ptr<ResultWriter> writer;
  std::vector<RunGroup> run_groups;
  if (opt.writes_result()) {
    std::size_t longest = 0;  // the most warnings or reported outputs of one run (string-list attributes)
    for (const Scenario* sc : run.scenarios) longest = std::max({longest, sc->warnings.size(), sc->report.size()});
    writer = std::make_unique<ResultWriter>(opt.what.output, "suite", longest);
    writer->write_suite(suite, out.seed, out.samples);
  }
  const std::vector<std::size_t> stored = open_groups(run, opt, out, writer.get(), run_groups);
  // The sensitivities' first samples, kept as the main pass evaluates them (no re-draw) by the process that needs
  // them.
  Capture kept;
  if (writer || opt.what.output.empty())
    for (std::size_t k = 0; k < run.runs.size(); ++k)
      want_sensitivity_columns(kept, run.runs[k], *run.plans[k], run.plan_first[k]);
  if (writer || opt.what.output.empty())
    for (std::size_t k = 0; k < run.runs.size(); ++k)
      want_decision_columns(kept, run.runs[k], *run.scenarios[k], *run.plans[k], run.plan_first[k]);
  out.timings.setup = seconds_since(start);
  const std::optional<std::vector<ColumnResult>> streamed =
      stream_passes(*run.source, run.specs(), stored, opt, out.seed, out.samples, writer.get(), &out.timings.stream,
                    kept.columns.empty() ? nullptr : &kept);
  if (!streamed) {  // a shard: its part is written
    out.seconds = seconds_since(start);
    out.output = opt.what.output;
    return out;
  }
  const auto sens_start = Clock::now();
  for (std::size_t k = 0; k < run.runs.size(); ++k) {
    take_results(run.runs[k], *streamed, run.plan_first[k]);
    const SensitivityKept mine{kept, run.plan_first[k]};
    if (writer || opt.what.output.empty()) {  // only the writer needs them
      add_sensitivity(run.runs[k], *run.plans[k], opt, &mine);
      const auto decision_start = Clock::now();
      add_decision(run.runs[k], *run.scenarios[k], *run.plans[k], opt, &mine);
      out.timings.decision += seconds_since(decision_start);
      add_nonfinite_origins(run.runs[k], *run.scenarios[k], *run.plans[k]);
      add_below_zero(run.runs[k]);
    }
  }
  out.timings.sensitivity = seconds_since(sens_start) - out.timings.decision;
  out.matrix = matrix_of(*run.source, run.cells, *streamed, run.stars);
  out.seconds = seconds_since(start);

  const auto write_start = Clock::now();
  take_runs(run, out, writer ? &run_groups : nullptr);
  if (!writer) return out;
  if (!run.cells.empty()) writer->write_matrix(suite, out, opt.what.store != Store::none);
  commit_with_csv(*writer, opt, [&](std::ostream& f) { write_matrix_csv(out, suite, f); });
  remove_checkpoint(opt);
  out.output = writer->target();
  out.timings.write = seconds_since(write_start);
  return out;
}

}  // namespace tamcarlo
