// The streaming engine's promises: statistics from mergeable summaries equal the in-memory ones
// (quantiles exactly, on ties and non-finite values too), any split of the blocks merged after a
// serialization round trip gives the same bits, and so does any thread count.
#include "sim/engine/plan_source.hpp"
#include "sim/run/run_scenario.hpp"
#include "sim/engine/stream.hpp"
#include "sim/run/run_suite.hpp"
#include "sim/stats/order_stats.hpp"
#include "tests/support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <cstring>
#include <limits>
#include <random>

using namespace tamcarlo;

namespace {

// Ties (discrete, empirical, a constant), non-finite values (log of a negative, division by zero), a
// heavy tail, and a timeline.
const char* k_awkward = R"toml(
[scenario]
years = [2024, 2026]
[inputs]
u = { dist = "uniform", min = 0, max = 1 }
d = { dist = "discrete", values = [1, 2, 3], weights = [1, 1, 2] }
e = { dist = "empirical", data = [3, 1, 4, 1, 5] }
k = 2.5
g = { dist = "gamma", shape = 0.3, scale = 2 }
[formulas]
y = "log(u - 0.2) * d + g"
z = "d / (e - 1)"
w = "if(u < 0.5, 0, g)"
t = "u * (year - 2023)"
)toml";

bool same(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

bool same(const Moments& a, const Moments& b) {
  return a.n == b.n && a.nonfinite == b.nonfinite && same(a.mean, b.mean) && same(a.m2, b.m2) && same(a.min, b.min) &&
         same(a.max, b.max);
}

bool same(const std::vector<QuantileEstimate>& a, const std::vector<QuantileEstimate>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!same(a[i].value, b[i].value) || !same(a[i].lo, b[i].lo) || !same(a[i].hi, b[i].hi)) return false;
  return true;
}

bool same(const std::optional<Histogram>& a, const std::optional<Histogram>& b) {
  if (a.has_value() != b.has_value()) return false;
  if (!a) return true;
  const HistogramLayout &x = a->layout, &y = b->layout;
  return a->counts == b->counts && x.atoms.size() == y.atoms.size() &&
         std::equal(x.atoms.begin(), x.atoms.end(), y.atoms.begin(), [](double u, double v) { return same(u, v); }) &&
         x.bins == y.bins && x.log == y.log && same(x.lo, y.lo) && same(x.hi, y.hi) && same(x.inv_width, y.inv_width) &&
         x.key_lo == y.key_lo && x.key_shift == y.key_shift;
}

bool same(const ColumnResult& a, const ColumnResult& b) {
  if (!same(a.moments, b.moments) || !same(a.quantiles, b.quantiles) || !same(a.histogram, b.histogram)) return false;
  if (a.risk.has_value() != b.risk.has_value() || a.allocation.has_value() != b.allocation.has_value()) return false;
  if (a.risk) {
    for (std::size_t i = 0; i < a.risk->tails.size(); ++i)
      if (!same(a.risk->tails[i].cvar, b.risk->tails[i].cvar) || !same(a.risk->tails[i].cvar_se, b.risk->tails[i].cvar_se) ||
          !same(a.risk->tails[i].var.value, b.risk->tails[i].var.value))
        return false;
    for (std::size_t i = 0; i < a.risk->thresholds.size(); ++i)
      if (a.risk->thresholds[i].p.p != b.risk->thresholds[i].p.p) return false;
    if (!same(a.risk->semi_deviation, b.risk->semi_deviation)) return false;
  }
  if (a.allocation) {
    if (!same(a.allocation->var, b.allocation->var) || !same(a.allocation->cvar, b.allocation->cvar)) return false;
    for (std::size_t i = 0; i < a.allocation->contribution.size(); ++i)
      if (!same(a.allocation->contribution[i], b.allocation->contribution[i])) return false;
  }
  return true;
}

// Every series gets quantiles; y gets risk (lower tail, thresholds, mean target), w an upper-tail risk
// and an allocation of itself over (w, g).
std::vector<ColumnSpec> specs_for(const Plan& plan) {
  std::vector<ColumnSpec> specs(plan.series().size());
  for (auto& s : specs) {
    s.probs.assign(k_report_probs.begin(), k_report_probs.end());
    s.histogram = true;
  }
  const auto at = [&](const char* name) {
    for (std::size_t i = 0; i < plan.series().size(); ++i)
      if (plan.variables()[plan.series()[i].var].name == name) return i;
    FAIL("no series " << name);
    return std::size_t{0};
  };
  specs[at("y")].risk = RiskSpec{{0.05, 0.01}, false, {0}, {1.5}, std::nullopt};
  specs[at("y")].allocation = AllocationSpec{0.05, {at("y"), at("g")}};
  specs[at("w")].risk = RiskSpec{{0.1}, true, {0.5}, {}, 2.0};
  specs[at("w")].allocation = AllocationSpec{0.05, {at("w"), at("g")}};
  return specs;
}

std::vector<ColumnResult> stream(const Plan& plan, std::uint64_t n, unsigned threads, StreamOptions opt = {}) {
  const PlanSource source(plan, 42, n);
  opt.samples = n;
  opt.threads = threads;
  return run_stream(source, specs_for(plan), opt);
}

}  // namespace

TEST_CASE("stream: quantiles equal the in-memory selection exactly, with ties and non-finite values", "[stream]") {
  const Scenario s = test::scenario(k_awkward);
  const Plan plan(s);
  // 100,000: no pilot, every value collected in the one pass; 300,000: a pilot of 8,192 places the brackets.
  const std::uint64_t n = GENERATE(std::uint64_t{100'000}, std::uint64_t{300'000});
  INFO("N = " << n);
  EngineOptions eo;
  eo.seed = 42;
  eo.samples = n;
  eo.keep.assign(plan.series().size(), true);
  const EngineOutput whole = run_engine(plan, eo);
  StreamOptions narrow;
  narrow.collect_budget = 2000;  // forces histogram passes before the brackets are collected
  for (const auto& results : {stream(plan, n, 2), stream(plan, n, 2, narrow)}) {
    for (std::size_t i = 0; i < plan.series().size(); ++i) {
      INFO("series " << i);
      std::vector<double> column = whole.columns[i];
      CHECK(same(results[i].moments, Moments::over(column)));
      CHECK(same(results[i].quantiles, quantiles(column, k_report_probs)));
      if (results[i].risk) {
        std::vector<double> copy = whole.columns[i];
        const RiskStats ref = risk_of(copy, *specs_for(plan)[i].risk);
        const RiskStats& got = *results[i].risk;
        for (std::size_t t = 0; t < ref.tails.size(); ++t) {
          CHECK(same(got.tails[t].var.value, ref.tails[t].var.value));
          // Sums in another order: equal up to rounding.
          CHECK(got.tails[t].cvar == Approx(ref.tails[t].cvar).epsilon(1e-9));
          CHECK(got.tails[t].cvar_se == Approx(ref.tails[t].cvar_se).epsilon(1e-6));
        }
        for (std::size_t t = 0; t < ref.thresholds.size(); ++t) CHECK(got.thresholds[t].p.p == ref.thresholds[t].p.p);
        CHECK(got.semi_deviation == Approx(ref.semi_deviation).epsilon(1e-9));
      }
    }
  }
}

TEST_CASE("stream: a short run takes no pilot, a longer one a sixty-fourth, and a semi-deviation about the mean one pass", "[stream]") {
  // Fixed costs in proportion (#24): at N ≤ 131,072 the pilot would re-draw the whole run, so the one pass collects
  // every value; up to 16 Mi a pilot of N/64 (at least 8,192, not 262,144); the mean, the default semi-deviation target, falls among
  // values collected about the pilot's mean, so no further pass is needed for it.
  const Scenario s = test::scenario(R"toml(
[inputs]
a = { dist = "normal", mean = 10, sd = 2 }
b = { dist = "lognormal", median = 1, sigma = 0.5 }
[formulas]
y = "a * b"
)toml");
  const Plan plan(s);
  for (const std::uint64_t n : {std::uint64_t{100'000}, std::uint64_t{1'000'000}}) {
    INFO("N = " << n);
    const PlanSource source(plan, 7, n);
    std::vector<ColumnSpec> specs(plan.series().size());
    for (auto& sp : specs) sp.probs.assign(k_report_probs.begin(), k_report_probs.end());
    specs[plan.index("y")].risk = RiskSpec{{0.05}, false, {}, {}, std::nullopt};
    StreamOptions opt;
    opt.samples = n;
    opt.threads = 2;
    std::vector<std::string> phases;
    opt.phase = [&](std::string_view p) { phases.emplace_back(p); };
    StreamTimings t;
    const auto got = run_stream(source, specs, opt, &t);
    CHECK(t.extra_passes == 0);
    CHECK((std::find(phases.begin(), phases.end(), "pilot") != phases.end()) == (n > 131'072));
    // The semi-deviation against its definition over the whole sample (sums in another order: up to rounding).
    std::vector<double> y = test::run_all(s, n, 2, 7).columns[plan.index("y")];
    const RiskStats ref = risk_of(y, *specs[plan.index("y")].risk);
    CHECK(got[plan.index("y")].risk->semi_deviation == Approx(ref.semi_deviation).epsilon(1e-9));
    CHECK(got[plan.index("y")].risk->tails[0].cvar == Approx(ref.tails[0].cvar).epsilon(1e-9));
  }
}

TEST_CASE("order statistics: many ranks read in one collected region equal a full sort", "[stream]") {
  // locate on a region of 100,000 values with ties (key buckets, then selections between bounds) and on short regions
  // (sorted by radix the first time a rank is read there), ranks asked in a scattered order.
  std::mt19937_64 gen(5);
  std::lognormal_distribution<double> law(0, 2);
  for (const std::uint64_t n : {std::uint64_t{100'000}, std::uint64_t{9'000}}) {
    std::vector<double> x(n);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = i % 7 == 0 ? 1.0 : (i % 11 == 0 ? -law(gen) : law(gen));
    const Layout layout = Layout::make({}, {{0, k_max_key, true, 0}});
    LayoutCounts counts = LayoutCounts::for_layout(layout);
    count_into(layout, x, counts);
    std::vector<double> sorted = x;
    std::sort(sorted.begin(), sorted.end());
    for (const std::uint64_t r100k : {50'000, 0, 99'999, 14'285, 14'286, 1, 99'998, 77'777, 50'001, 49'999, 3, 60'000}) {
      const std::uint64_t r = r100k * n / 100'000;
      INFO("N " << n << ", rank " << r);
      const RankCell c = locate(layout, counts, r);
      CHECK(c.exact);
      CHECK(c.value == sorted[r]);
    }
  }
}

TEST_CASE("stream: the worst-tail allocation adds up and matches its definition", "[stream]") {
  const Scenario s = test::scenario(k_awkward);
  const Plan plan(s);
  const auto results = stream(plan, 100'000, 2);
  const std::size_t w = plan.index("w");
  const Allocation& a = *results[w].allocation;
  // Companion w is the column itself: its contribution is the CVaR; w ≥ 0 with many zeros (ties at v).
  CHECK(a.contribution[0] == Approx(a.cvar).epsilon(1e-12));
  CHECK(a.var == 0.0);
  CHECK(a.cvar == 0.0);
  // y (continuous, with NaNs): against the worst ⌈αn⌉ finite samples picked in memory.
  EngineOptions eo;
  eo.seed = 42;
  eo.samples = 100'000;
  eo.keep.assign(plan.series().size(), true);
  const EngineOutput whole = run_engine(plan, eo);
  const auto& y = whole.columns[plan.index("y")];
  const auto& g = whole.columns[plan.index("g")];
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < y.size(); ++i)
    if (std::isfinite(y[i])) idx.push_back(i);
  std::sort(idx.begin(), idx.end(), [&](std::size_t p, std::size_t q) { return y[p] < y[q]; });
  const auto tail = static_cast<std::size_t>(std::ceil(0.05 * static_cast<double>(idx.size())));
  double ys = 0, gs = 0;
  for (std::size_t i = 0; i < tail; ++i) {
    ys += y[idx[i]];
    gs += g[idx[i]];
  }
  const Allocation& b = *results[plan.index("y")].allocation;
  CHECK(b.var == y[idx[tail - 1]]);
  CHECK(b.cvar == Approx(ys / static_cast<double>(tail)).epsilon(1e-12));
  CHECK(b.contribution[0] == Approx(ys / static_cast<double>(tail)).epsilon(1e-12));
  CHECK(b.contribution[1] == Approx(gs / static_cast<double>(tail)).epsilon(1e-12));
}

namespace {
// A probe around a source: its evaluators count the blocks they evaluate and put NaN in every column a pass says it
// does not need (need_only), so that a pass that read one would change the statistics.
class ProbeSource : public BlockSource {
 public:
  explicit ProbeSource(const BlockSource& inner) : inner_(inner) {}
  [[nodiscard]] std::size_t width() const override { return inner_.width(); }
  [[nodiscard]] std::uint32_t replicates() const override { return inner_.replicates(); }
  [[nodiscard]] std::unique_ptr<BlockEvaluator> evaluator() const override {
    return std::make_unique<Eval>(inner_.evaluator(), *this);
  }
  [[nodiscard]] int passes_skipping() const { return skipped_.load(); }
  [[nodiscard]] long blocks() const { return blocks_.load(); }

 private:
  class Eval : public BlockEvaluator {
   public:
    Eval(std::unique_ptr<BlockEvaluator> inner, const ProbeSource& probe)
        : inner_(std::move(inner)), probe_(probe), nan_(k_block_size, std::nan("")) {}
    void evaluate(std::uint64_t first, std::size_t rows, std::vector<const double*>& columns) override {
      ++probe_.blocks_;
      inner_->evaluate(first, rows, columns);
      for (std::size_t c = 0; c < needed_.size(); ++c)
        if (!needed_[c]) columns[c] = nan_.data();
    }
    void need_only(const std::vector<bool>& needed) override {
      needed_ = needed;
      if (std::count(needed.begin(), needed.end(), false) > 0) ++probe_.skipped_;
    }

   private:
    std::unique_ptr<BlockEvaluator> inner_;
    const ProbeSource& probe_;
    std::vector<double> nan_;
    std::vector<bool> needed_;
  };
  const BlockSource& inner_;
  mutable std::atomic<int> skipped_{0};
  mutable std::atomic<long> blocks_{0};
};

// A run whose main pass ran in "another process" (its state merged here, as a shard merge does: nothing kept), and
// whose further passes evaluate `further`.
std::vector<ColumnResult> merged_then_drawn(const BlockSource& main, const BlockSource& further,
                                            const std::vector<ColumnSpec>& specs, const StreamOptions& o) {
  Stream elsewhere(main, specs, o);
  elsewhere.evaluate(0, elsewhere.blocks());
  Stream drawn(further, specs, o);
  drawn.add_state(elsewhere.take_state());
  drawn.complete();
  while (!drawn.finished()) {
    drawn.evaluate(0, drawn.blocks());
    drawn.complete();
  }
  return drawn.results();
}
}  // namespace

TEST_CASE("stream: a further pass reads only the columns it says it needs", "[stream][reproducibility]") {
  // The allocations need a further pass; the columns with quantiles alone settle earlier, and later passes leave them
  // unfilled. (The main pass merged from another process: the further passes re-draw rather than replay.)
  const Scenario s = test::scenario(k_awkward);
  const Plan plan(s);
  const std::uint64_t n = 200'000;
  const PlanSource source(plan, 42, n);
  const ProbeSource poisoned(source);
  for (const std::uint64_t budget : {k_collect_budget, std::uint64_t{2000}}) {
    StreamOptions o;
    o.samples = n;
    o.threads = 2;
    o.collect_budget = budget;
    const auto plain = run_stream(source, specs_for(plan), o);
    const auto skipping = merged_then_drawn(source, poisoned, specs_for(plan), o);
    for (std::size_t i = 0; i < plain.size(); ++i) {
      INFO("series " << i << ", budget " << budget);
      CHECK(same(plain[i], skipping[i]));
    }
  }
  CHECK(poisoned.passes_skipping() > 0);
}

TEST_CASE("stream: the allocation pass replays the main pass's kept columns, the same bits as re-drawing them", "[stream][reproducibility]") {
  // The allocations of y and w need a pass after the main one, which replays y, w and g as the main pass kept them
  // (25 blocks: every value collected; 300,000 samples: a pilot first). Re-drawn instead (a main pass merged from
  // another process's state keeps nothing, as in a shard merge), the statistics are the same bits.
  const Scenario s = test::scenario(k_awkward);
  const Plan plan(s);
  const std::uint64_t n = GENERATE(std::uint64_t{25 * k_block_size - 123}, std::uint64_t{300'000});
  INFO("N = " << n);
  const PlanSource plain(plan, 42, n);
  StreamOptions o;
  o.samples = n;
  o.threads = 2;
  const ProbeSource replayed_source(plain);
  Stream replayed(replayed_source, specs_for(plan), o);
  replayed.run_rest();
  // Without a pilot: the first block (re-drawn to centre the tail sums), then the main pass, and nothing after.
  if (n < 25 * k_block_size) CHECK(replayed_source.blocks() == 1 + 25);
  const ProbeSource drawn_source(plain);
  const auto drawn = merged_then_drawn(plain, drawn_source, specs_for(plan), o);
  CHECK(drawn_source.blocks() > replayed_source.blocks());  // each allocation pass re-drew every block
  for (std::size_t i = 0; i < plan.series().size(); ++i) {
    INFO("series " << i);
    CHECK(same(replayed.results()[i], drawn[i]));
  }
  CHECK(replayed.results()[plan.index("y")].allocation.has_value());
}

TEST_CASE("stream: blocks split anywhere, serialized and merged give the same bits as one run", "[stream][reproducibility]") {
  const Scenario s = test::scenario(k_awkward);
  const Plan plan(s);
  // 20 blocks: no pilot, every value collected; 40 blocks under a narrow budget: a pilot and histogram passes.
  const std::uint64_t blocks = GENERATE(std::uint64_t{20}, std::uint64_t{40});
  const std::uint64_t n = blocks * k_block_size + 77;
  StreamOptions narrow;
  if (blocks == 40) narrow.collect_budget = 500;
  const auto whole = stream(plan, n, 2, narrow);
  for (const std::vector<std::uint64_t>& split : {std::vector<std::uint64_t>{blocks / 2}, {3, 17, blocks - 7}, {1, 2, blocks - 1}}) {
    StreamOptions o = narrow;
    o.split_blocks = split;
    const auto parts = stream(plan, n, 2, o);
    for (std::size_t i = 0; i < whole.size(); ++i) {
      INFO("series " << i << ", split at " << split.front());
      CHECK(same(whole[i], parts[i]));
    }
  }
}

TEST_CASE("stream: every statistic is bit-identical on 1, 2 and 8 threads", "[stream][reproducibility]") {
  const Scenario s = test::scenario(k_awkward);
  const Plan plan(s);
  const std::uint64_t n = GENERATE(std::uint64_t{70'000}, std::uint64_t{300'000});  // without and with a pilot
  INFO("N = " << n);
  const auto one = stream(plan, n, 1), two = stream(plan, n, 2), eight = stream(plan, n, 8);
  for (std::size_t i = 0; i < one.size(); ++i) {
    INFO("series " << i);
    CHECK(same(one[i], two[i]));
    CHECK(same(one[i], eight[i]));
  }
}

TEST_CASE("stream: sensitivities from the samples the main pass kept equal re-drawn ones, stresses too", "[stream][reproducibility]") {
  // The main pass keeps the first 50,000 samples of the inputs and reported formulas (#24: no re-draw); the ρ must be
  // the bits a re-draw of those samples gives, for the base and each stressed case (its own columns).
  const Scenario s = load_scenario(test::source_path("scenarios/investments/augment.toml"));
  RunOptions a;
  a.what.samples = 80'000;
  a.how.threads = 2;
  for (const auto& st : s.stresses) a.what.stresses.push_back({st.name, st.description, st.overrides});
  REQUIRE_FALSE(a.what.stresses.empty());
  const RunSummary x = run_scenario(s, a);
  const auto check = [&](const RunSummary& got, const Scenario& sc) {
    RunSummary redrawn = got;
    for (auto& v : redrawn.variables) v.sensitivity.clear();
    add_sensitivity(redrawn, Plan(sc), a);  // no kept samples: re-drawn
    REQUIRE(redrawn.sensitivity_samples == 50'000);
    std::size_t compared = 0;
    for (std::size_t i = 0; i < got.variables.size(); ++i) {
      INFO(got.variables[i].label());
      REQUIRE(got.variables[i].sensitivity.size() == redrawn.variables[i].sensitivity.size());
      for (std::size_t k = 0; k < got.variables[i].sensitivity.size(); ++k, ++compared)
        CHECK(same(got.variables[i].sensitivity[k], redrawn.variables[i].sensitivity[k]));
    }
    CHECK(compared > 0);
  };
  check(x, s);
  for (std::size_t k = 0; k < x.stresses.size(); ++k) check(x.stresses[k].run, with_overrides(s, a.what.stresses[k].overrides));
}

TEST_CASE("stream: a scenario run split into ranges reports the same summaries and stresses", "[stream][reproducibility]") {
  const test::TempDir dir;
  const Scenario s = load_scenario(test::source_path("scenarios/investments/augment.toml"));
  RunOptions a;
  a.what.samples = 30'000;
  a.how.threads = 2;
  for (const auto& st : s.stresses) a.what.stresses.push_back({st.name, st.description, st.overrides});
  RunOptions b = a;
  b.how.split_blocks = {2, 5};
  const RunSummary x = run_scenario(s, a), y = run_scenario(s, b);
  REQUIRE(x.variables.size() == y.variables.size());
  for (std::size_t i = 0; i < x.variables.size(); ++i) {
    INFO(x.variables[i].label());
    CHECK(same(x.variables[i].moments, y.variables[i].moments));
    CHECK(same(x.variables[i].quantiles, y.variables[i].quantiles));
  }
  REQUIRE(x.stresses.size() == y.stresses.size());
  for (std::size_t k = 0; k < x.stresses.size(); ++k)
    for (std::size_t i = 0; i < x.stresses[k].delta.size(); ++i) CHECK(same(x.stresses[k].delta[i], y.stresses[k].delta[i]));
}

TEST_CASE("block tree: joining adjacent ranges anywhere gives the canonical nodes", "[stream]") {
  struct Sum {
    double v = 0;
    void merge(const Sum& o) { v = v + o.v; }
  };
  const auto range = [](std::uint64_t a, std::uint64_t b) {
    BlockTree<Sum> t;
    for (std::uint64_t i = a; i < b; ++i) t.add(i, Sum{1.0 / static_cast<double>(i + 3)});
    return t;
  };
  const double whole = range(0, 37).total().v;
  for (std::uint64_t k = 1; k < 37; ++k) {
    BlockTree<Sum> left = range(0, k);
    left.join(range(k, 37));
    CHECK(same(left.total().v, whole));
  }
  BlockTree<Sum> gap = range(0, 4);
  CHECK_THROWS_AS(gap.join(range(5, 9)), std::logic_error);
}

TEST_CASE("stream: a suite split into ranges gives the same matrix, bit for bit", "[stream][reproducibility][suite]") {
  const Suite u = load_suite(test::source_path("scenarios/matrix.toml"));
  RunOptions a;
  a.what.samples = 20'000;
  a.how.threads = 2;
  RunOptions b = a;
  b.how.split_blocks = {1, 3};
  const SuiteSummary x = run_suite(u, a), y = run_suite(u, b);
  const MatrixStats &p = x.matrix, &q = y.matrix;
  CHECK(p.order == q.order);
  for (std::size_t c = 0; c < p.market.size(); ++c) {
    CHECK(same(p.market[c], q.market[c]));
    CHECK(same(p.share[c], q.share[c]));
    CHECK(same(p.market_moments[c], q.market_moments[c]));
  }
  for (std::size_t k = 0; k < p.greater.size(); ++k) CHECK((p.greater[k].p == q.greater[k].p || std::isnan(p.greater[k].p)));
  CHECK(same(p.agreement.per_sample, q.agreement.per_sample));
  CHECK(same(p.agreement.quantiles, q.agreement.quantiles));
  CHECK(p.agreement.positive.p == q.agreement.positive.p);
  CHECK(p.agreement.skipped == q.agreement.skipped);
}

TEST_CASE("order statistics: the region search counts the same at every SIMD level", "[stream][rng]") {
  // 41 regions (the scan's range), some collected, some histogrammed; values with ties, −0, ±∞ and NaN, in a
  // length that leaves tails for every vector width.
  std::mt19937_64 gen(11);
  std::normal_distribution<double> normal(0, 1);
  std::vector<double> x(10'007);
  for (double& v : x) v = std::round(normal(gen) * 64) / 64;
  x[5] = -0.0;
  x[6] = std::numeric_limits<double>::infinity();
  x[7] = std::nan("");
  std::vector<std::uint64_t> cuts;
  for (int k = -20; k <= 20; ++k) cuts.push_back(order_key(0.1 * k));
  const Layout layout = Layout::make(cuts, {{order_key(-0.5), order_key(-0.3) - 1, true, 0},
                                            {order_key(0.0), order_key(0.2) - 1, false, 7},
                                            {order_key(1.0), order_key(1.2) - 1, true, 0}});
  REQUIRE(layout.starts.size() <= 64);
  LayoutCounts reference = LayoutCounts::for_layout(layout);
  count_into(layout, x, reference, SimdLevel::scalar);
  std::uint64_t total = 0;
  for (const std::uint64_t c : reference.region) total += c;
  CHECK(total == x.size() - 2);  // the infinity and the NaN are not counted
  for (const SimdLevel level : {SimdLevel::avx2, SimdLevel::avx512}) {
    if (!simd_supported(level)) {
      WARN("this processor lacks " << simd_name(level) << ": that path is not checked here");
      continue;
    }
    INFO(simd_name(level));
    LayoutCounts got = LayoutCounts::for_layout(layout);
    count_into(layout, x, got, level);
    CHECK(got.region == reference.region);
    CHECK(got.bin == reference.bin);
    CHECK(got.collected == reference.collected);
  }
}

TEST_CASE("stream: the chart histogram counts every finite value once, point masses apart, pilot or not", "[stream]") {
  const Scenario s = test::scenario(k_awkward);
  const Plan plan(s);
  const std::uint64_t n = GENERATE(std::uint64_t{70'000}, std::uint64_t{300'000});  // without and with a pilot
  INFO("N = " << n);
  const auto res = stream(plan, n, 2);
  const PlanSource source(plan, 42, n);
  const std::vector<bool> all(plan.series().size(), true);
  const auto columns = collect_columns(source, n, all, 2);
  for (std::size_t i = 0; i < res.size(); ++i) {
    const std::string name = plan.variables()[plan.series()[i].var].name;
    INFO(name);
    REQUIRE(res[i].histogram);
    const Histogram& h = *res[i].histogram;
    // The same counts as placing every sample by slot() one at a time, and every finite value counted.
    std::vector<std::uint64_t> direct(h.layout.slots(), 0);
    for (const double v : columns[i])
      if (std::isfinite(v)) ++direct[h.layout.slot(v)];
    CHECK(direct == h.counts);
    std::uint64_t total = 0;
    for (const auto c : h.counts) total += c;
    CHECK(total == res[i].moments.n);
    const auto edges = h.layout.edges();
    CHECK(edges.size() == h.layout.bins + 1);
    CHECK(std::is_sorted(edges.begin(), edges.end()));
    if (name == "w") {  // if(u < 0.5, 0, g): a point mass at 0 of about half the samples (5 SE: 0.5 · √(1/n)·5)
      REQUIRE(!h.layout.atoms.empty());
      CHECK(h.layout.atoms.front() == 0);
      CHECK(std::abs(static_cast<double>(h.counts[0]) / static_cast<double>(n) - 0.5) < 5 * 0.5 / std::sqrt(double(n)));
    }
    if (name == "g") {  // gamma(0.3): P99 far beyond 100 × P1, positive: log bins, no point mass
      CHECK(h.layout.log);
      CHECK(h.layout.atoms.empty());
    }
    if (name == "z") {  // d / (e − 1) takes few values (and ±inf, not counted): every value a point mass, no bins
      CHECK(h.layout.bins == 0);
      CHECK(h.counts[h.layout.atoms.size()] + h.counts[h.layout.atoms.size() + 1] == 0);
    }
  }
}

TEST_CASE("histogram: placement finds point masses, a log axis for a heavy tail, and slots every value", "[stream]") {
  std::vector<double> v;
  for (int i = 0; i < 300; ++i) v.push_back(0);  // 30%: a point mass
  for (int i = 1; i <= 700; ++i) v.push_back(std::pow(10.0, 4.0 * i / 700));  // 1 … 10^4: two decades and more
  std::sort(v.begin(), v.end());
  const HistogramLayout h = HistogramLayout::place(v);
  REQUIRE(h.atoms == std::vector<double>{0.0});
  CHECK(h.log);
  CHECK(h.bins > HistogramLayout::k_bins / 2);
  CHECK(h.bins <= HistogramLayout::k_bins);
  CHECK(h.slot(0.0) == 0);
  CHECK(h.slot(-1.0) == 1);                    // below the bins
  CHECK(h.slot(1e9) == 1 + h.bins + 1);        // above them
  const auto edges = h.edges();
  for (const double x : {2.0, 35.0, 4000.0}) {  // a binned value lies between its bin's edges
    const std::size_t b = h.slot(x) - 2;
    CHECK(edges[b] <= x);
    CHECK(x < edges[b + 1]);
  }
  // The block counter gives slot()'s counts, also at the edges, beyond the bins and on non-finite values.
  std::vector<double> probe = {-1.0, 0.0, 1e9, std::nan(""), HUGE_VAL, -HUGE_VAL};
  for (const double e : edges) probe.insert(probe.end(), {e, std::nextafter(e, 0.0), std::nextafter(e, 1e300)});
  std::vector<double> heavy_tail, even;  // without point masses: the block counter's own paths (log, linear)
  for (int i = 1; i <= 700; ++i) heavy_tail.push_back(std::pow(10.0, 4.0 * i / 700));
  for (int i = 0; i < 1000; ++i) even.push_back(i / 1000.0);
  const HistogramLayout log_only = HistogramLayout::place(heavy_tail), linear = HistogramLayout::place(even);
  REQUIRE(log_only.atoms.empty());
  REQUIRE(log_only.log);
  REQUIRE(linear.atoms.empty());
  REQUIRE(!linear.log);
  for (const double e : log_only.edges()) probe.insert(probe.end(), {e, std::nextafter(e, 0.0), std::nextafter(e, 1e300)});
  for (const double e : linear.edges()) probe.insert(probe.end(), {e, std::nextafter(e, -1.0), std::nextafter(e, 1e300)});
  for (const HistogramLayout& layout : {h, log_only, linear}) {
    std::vector<std::uint64_t> fast(layout.slots(), 0), one(layout.slots(), 0);
    count_histogram(layout, probe, fast);
    for (const double v : probe)
      if (std::isfinite(v)) ++one[layout.slot(v)];
    CHECK(fast == one);
  }
  const std::vector<double> few = {1, 1, 2, 2, 2, 7};
  const HistogramLayout d = HistogramLayout::place(few);
  CHECK(d.atoms == std::vector<double>{1, 2, 7});
  CHECK(d.bins == 0);
}
