#include "sim/cmd/run_suite.hpp"

#include "sim/engine/engine.hpp"
#include "sim/error.hpp"
#include "sim/io/output.hpp"
#include "sim/io/results_file.hpp"
#include "sim/io/target.hpp"

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

// Index of the series of `name` (in `year` if given) in a run's summary.
std::size_t series_index(const RunSummary& r, const std::string& name, std::optional<int> year) {
  for (std::size_t i = 0; i < r.variables.size(); ++i)
    if (r.variables[i].var.name == name && (!r.variables[i].year || r.variables[i].year == year)) return i;
  throw std::logic_error("series not found: " + name);
}

}  // namespace

namespace {

constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();

// Columns of a suite run, per block: the shared inputs' series, each member's series, then per cell its
// market in the suite's unit and its share, P(a > b) indicators for each ordered pair of cells, and the
// per-sample rank agreement τ_b of the cells' markets with the stars.
class SuiteSource : public BlockSource {
 public:
  struct Cell {
    std::size_t market = 0;               // column of the member's market series
    std::optional<std::size_t> share;     // column of its share series
    std::optional<std::size_t> fx;        // column of the shared fx input
  };
  SuiteSource(std::vector<const Plan*> plans, std::vector<std::uint64_t> seeds, std::uint64_t samples,
              std::vector<Cell> cells, std::vector<double> stars)
      : plans_(std::move(plans)), seeds_(std::move(seeds)), samples_(samples), cells_(std::move(cells)),
        stars_(std::move(stars)) {
    for (const Plan* p : plans_) {
      first_.push_back(runs_width_);
      runs_width_ += p->series().size();
    }
  }
  [[nodiscard]] std::size_t plan_first(std::size_t k) const { return first_[k]; }
  [[nodiscard]] std::size_t market(std::size_t c) const { return runs_width_ + c; }
  [[nodiscard]] std::size_t share(std::size_t c) const { return runs_width_ + cells_.size() + c; }
  [[nodiscard]] std::size_t greater(std::size_t a, std::size_t b) const {
    return runs_width_ + 2 * cells_.size() + a * cells_.size() + b;  // a == b columns are NaN
  }
  [[nodiscard]] std::size_t tau() const { return runs_width_ + 2 * cells_.size() + cells_.size() * cells_.size(); }
  [[nodiscard]] std::size_t width() const override { return tau() + 1; }
  [[nodiscard]] std::unique_ptr<BlockEvaluator> evaluator() const override;
  [[nodiscard]] std::uint32_t replicates() const override { return plans_.front()->design().replicates; }

  std::vector<const Plan*> plans_;
  std::vector<std::uint64_t> seeds_;
  std::uint64_t samples_;
  std::vector<Cell> cells_;
  std::vector<double> stars_;
  std::vector<std::size_t> first_;
  std::size_t runs_width_ = 0;
};

class SuiteEvaluator : public BlockEvaluator {
 public:
  explicit SuiteEvaluator(const SuiteSource& src) : src_(src) {
    for (const Plan* p : src.plans_) blocks_.emplace_back(*p, src.samples_);
    const std::size_t c = src.cells_.size();
    buffer_.assign(src.width() - src.runs_width_, std::vector<double>(k_block_size, k_nan));
    markets_.resize(c);
  }

  void evaluate(std::uint64_t first, std::size_t rows, std::vector<const double*>& cols) override {
    for (std::size_t k = 0; k < blocks_.size(); ++k) {
      blocks_[k].evaluate(src_.seeds_[k], first, rows);
      for (std::size_t i = 0; i < src_.plans_[k]->series().size(); ++i) cols[src_.plan_first(k) + i] = blocks_[k].series(i);
    }
    const std::size_t nc = src_.cells_.size();
    const auto buf = [&](std::size_t col) { return buffer_[col - src_.runs_width_].data(); };
    for (std::size_t c = 0; c < nc; ++c) {
      const auto& cell = src_.cells_[c];
      double* m = buf(src_.market(c));
      const double* x = cols[cell.market];
      if (cell.fx) {
        const double* rate = cols[*cell.fx];
        for (std::size_t j = 0; j < rows; ++j) m[j] = x[j] * rate[j];
      } else {
        std::copy(x, x + rows, m);
      }
      cols[src_.market(c)] = m;
      cols[src_.share(c)] = cell.share ? cols[*cell.share] : buf(src_.share(c));  // NaN when the cell has none
    }
    for (std::size_t a = 0; a < nc; ++a)
      for (std::size_t b = 0; b < nc; ++b) {
        double* g = buf(src_.greater(a, b));
        cols[src_.greater(a, b)] = g;
        if (a == b) continue;
        const double* x = cols[src_.market(a)];
        const double* y = cols[src_.market(b)];
        for (std::size_t j = 0; j < rows; ++j) g[j] = std::isnan(x[j]) || std::isnan(y[j]) ? k_nan : x[j] > y[j] ? 1.0 : 0.0;
      }
    double* t = buf(src_.tau());
    cols[src_.tau()] = t;
    for (std::size_t j = 0; j < rows; ++j) {
      bool finite = nc >= 2;
      for (std::size_t c = 0; c < nc; ++c) {
        markets_[c] = cols[src_.market(c)][j];
        finite = finite && std::isfinite(markets_[c]);
      }
      t[j] = finite ? kendall_tau_b(markets_, src_.stars_) : k_nan;
    }
  }

 private:
  const SuiteSource& src_;
  std::vector<PlanBlock> blocks_;
  std::vector<std::vector<double>> buffer_;
  std::vector<double> markets_;
};

std::unique_ptr<BlockEvaluator> SuiteSource::evaluator() const { return std::make_unique<SuiteEvaluator>(*this); }

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

}  // namespace

SuiteSummary run_suite(const Suite& suite, const RunOptions& opt) {
  const auto start = std::chrono::steady_clock::now();
  SuiteSummary out;
  out.path = suite.path;
  out.name = suite.name;
  out.title = suite.title;
  out.unit = suite.unit;
  out.seed = opt.seed.value_or(suite.seed.value_or(k_default_seed));
  out.samples = opt.samples.value_or(suite.samples.value_or(k_default_samples));
  out.threads = opt.threads != 0 ? opt.threads : static_cast<unsigned>(tbb::info::default_concurrency());
  out.ranks = opt.ranks ? opt.ranks->size() : 1;
  out.point_only = opt.point_only;
  out.star_names = suite.star_names;
  out.rank_by = suite.rank_by;

  // Every run of the suite: the shared inputs (if any) under the suite seed, each member under its own.
  RunOptions base = opt;
  base.samples = out.samples;
  std::vector<const Scenario*> scenarios;
  std::vector<std::uint64_t> seeds;
  std::vector<std::string> groups;
  const bool has_shared = !suite.shared.inputs.empty();
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
  std::vector<std::unique_ptr<Plan>> plans;
  std::vector<const Plan*> plan_ptrs;
  std::vector<RunSummary> runs;
  for (std::size_t k = 0; k < scenarios.size(); ++k) {
    plans.push_back(std::make_unique<Plan>(*scenarios[k]));
    plan_ptrs.push_back(plans.back().get());
    RunOptions o = base;
    o.seed = seeds[k];
    runs.push_back(describe_run(*scenarios[k], *plans.back(), o));
  }
  const std::size_t member0 = has_shared ? 1 : 0;
  if (!opt.point_only) check_design_samples(suite.members.front().scenario, out.samples);
  const auto finish_point = [&] {
    if (has_shared) out.shared = runs[0];
    for (std::size_t k = member0; k < runs.size(); ++k) out.members.push_back(std::move(runs[k]));
  };
  if (opt.point_only) {
    finish_point();
    return out;
  }

  // The matrix's cells: market (converted) and share columns, and the stars they are compared with.
  std::vector<SuiteSource::Cell> cells;
  std::vector<double> stars;
  const auto rb = static_cast<std::size_t>(
      std::find(suite.star_names.begin(), suite.star_names.end(), suite.rank_by) - suite.star_names.begin());
  std::vector<std::size_t> plan_first(scenarios.size());
  for (std::size_t k = 0, w = 0; k < scenarios.size(); ++k) {
    plan_first[k] = w;
    w += plans[k]->series().size();
  }
  for (std::size_t k = 0; k < suite.members.size(); ++k) {
    const SuiteMember& m = suite.members[k];
    if (!m.cell) continue;
    const RunSummary& r = runs[member0 + k];
    SuiteSource::Cell c;
    c.market = plan_first[member0 + k] + series_index(r, m.market, m.year);
    if (!m.share.empty()) c.share = plan_first[member0 + k] + series_index(r, m.share, m.year);
    if (!m.fx.empty()) c.fx = plan_first[0] + series_index(runs[0], m.fx, std::nullopt);
    cells.push_back(c);
    out.cells.push_back(k);
    stars.push_back(rb < m.stars.size() ? m.stars[rb] : 0);
  }
  const SuiteSource source(plan_ptrs, seeds, out.samples, cells, stars);
  check_workspace_memory(plan_ptrs, opt.threads, suite.name);
  if (opt.preflight) {
    opt.preflight->stored_bytes = 0;
    for (const RunSummary& r : runs) opt.preflight->stored_bytes += stored_bytes(r);
    if (opt.store != Store::none) {
      const auto matrix_columns = std::count_if(cells.begin(), cells.end(), [](const auto& c) { return c.share.has_value(); });
      opt.preflight->stored_bytes += static_cast<double>(cells.size() + static_cast<std::size_t>(matrix_columns)) *
                                     static_cast<double>(out.samples) * sizeof(double);
    }
    return out;
  }
  const std::size_t nc = cells.size();

  std::vector<ColumnSpec> specs;
  for (const RunSummary& r : runs) {
    const auto more = column_specs(r);
    specs.insert(specs.end(), more.begin(), more.end());
  }
  specs.resize(source.width());
  for (std::size_t c = 0; c < nc; ++c) {
    specs[source.market(c)].probs.assign(k_report_probs.begin(), k_report_probs.end());
    if (cells[c].share) specs[source.share(c)].probs.assign(k_report_probs.begin(), k_report_probs.end());
    for (std::size_t b = 0; b < nc; ++b)
      if (b != c) specs[source.greater(c, b)].risk = RiskSpec{{}, false, {}, {0.5}, std::nullopt};
  }
  if (nc >= 2) {
    specs[source.tau()].probs.assign(k_report_probs.begin(), k_report_probs.end());
    specs[source.tau()].risk = RiskSpec{{}, false, {}, {std::nextafter(0.0, 1.0)}, std::nullopt};  // P(τ_b > 0)
  }

  // The result file: every run's group and sample datasets, created before the samples stream in.
  std::unique_ptr<ResultWriter> writer;
  std::vector<RunGroup> run_groups;
  std::vector<std::size_t> stored;
  const bool joint = opt.store != Store::none;
  if (opt.writes_result()) {
    writer = std::make_unique<ResultWriter>(opt.output, "suite");
    writer->write_suite(suite, out.seed, out.samples);
  }
  if (!opt.output.empty()) {  // (a shard or an MPI rank > 0 writes its rows of the same columns into its part)
    for (std::size_t k = 0; k < runs.size(); ++k) {
      if (writer) {
        run_groups.push_back(writer->run(groups[k]));
        if (k >= member0 && suite.members[k - member0].cell)
          run_groups.back().write_cell(suite.members[k - member0], suite.star_names);
        run_groups.back().write_run(*scenarios[k], seeds[k], out.samples, opt.store);
      }
      add_sample_datasets(writer ? &run_groups.back() : nullptr, runs[k], stored, plan_first[k]);
    }
    if (nc > 0 && joint) {
      for (std::size_t c = 0; c < nc; ++c) {
        if (writer) writer->add_matrix_column("market_" + suite.members[out.cells[c]].key, out.samples, suite.unit);
        stored.push_back(source.market(c));
      }
      for (std::size_t c = 0; c < nc; ++c) {
        if (!cells[c].share) continue;
        if (writer) writer->add_matrix_column("share_" + suite.members[out.cells[c]].key, out.samples, "");
        stored.push_back(source.share(c));
      }
    }
  }
  // Stored columns are added in column order (members, then matrix columns), as the sink hands them.
  if (!std::is_sorted(stored.begin(), stored.end())) throw std::logic_error("suite: stored columns out of order");
  const std::optional<std::vector<ColumnResult>> streamed =
      stream_into(source, std::move(specs), stored, opt, out.seed, out.samples, writer.get(), &out.timings.stream);
  if (!streamed) {  // a shard: its part is written
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    out.output = opt.output;
    return out;
  }
  const std::vector<ColumnResult>& results = *streamed;

  const auto sens_start = std::chrono::steady_clock::now();
  for (std::size_t k = 0; k < runs.size(); ++k) {
    RunSummary& r = runs[k];
    take_results(r, results, plan_first[k]);
    if (writer || opt.output.empty()) add_sensitivity(r, *plans[k], opt);  // only the writing process needs them
  }

  out.timings.sensitivity = std::chrono::duration<double>(std::chrono::steady_clock::now() - sens_start).count();
  out.matrix = matrix_of(source, cells, results, stars);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const auto write_start = std::chrono::steady_clock::now();
  if (has_shared) out.shared = runs[0];
  if (writer)
    for (std::size_t k = 0; k < runs.size(); ++k) run_groups[k].write_summaries(runs[k]);
  for (std::size_t k = member0; k < runs.size(); ++k) out.members.push_back(std::move(runs[k]));
  if (!writer) return out;

  if (nc > 0) writer->write_matrix(suite, out, joint);
  commit_with_csv(*writer, opt, [&](std::ostream& f) { write_matrix_csv(out, suite, f); });
  remove_checkpoint(opt);
  out.output = writer->target();
  out.timings.write = std::chrono::duration<double>(std::chrono::steady_clock::now() - write_start).count();
  return out;
}

}  // namespace tamcarlo
