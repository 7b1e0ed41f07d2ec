#include "sim/engine/engine.hpp"
#include "sim/stats/statistics.hpp"
#include "tests/support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <numeric>

using namespace tamcarlo;

TEST_CASE("moments merged from blocks equal the moments of the whole", "[statistics]") {
  std::vector<double> x(10007);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<double>(i)) * 1e6 + 3e9;
  Moments merged;
  for (std::size_t b = 0; b < x.size(); b += 1000)
    merged.merge(Moments::of(std::span<const double>(x).subspan(b, std::min<std::size_t>(1000, x.size() - b))));
  const Moments whole = Moments::of(x);
  CHECK(merged.n == whole.n);
  CHECK(merged.mean == Approx(whole.mean).epsilon(1e-14));
  CHECK(merged.sd() == Approx(whole.sd()).epsilon(1e-10));
  CHECK(merged.min == whole.min);
  CHECK(merged.max == whole.max);
}

TEST_CASE("non-finite samples are counted, not averaged", "[statistics]") {
  const std::vector<double> x = {1, 2, NAN, 3, INFINITY, -INFINITY};
  const Moments m = Moments::of(x);
  CHECK(m.n == 3);
  CHECK(m.nonfinite == 3);
  CHECK(m.mean == 2);
  CHECK(m.sd() == 1);
  std::vector<double> y = x;
  const auto q = quantiles(y, std::vector<double>{0.5});
  CHECK(q[0].value == 2);
}

TEST_CASE("quantiles interpolate order statistics like numpy's default", "[statistics]") {
  std::vector<double> x(101);
  std::iota(x.begin(), x.end(), 0.0);
  std::reverse(x.begin(), x.end());
  const auto q = quantiles(x, k_report_probs);
  for (const auto& e : q) CHECK(e.value == Approx(100 * e.p));
  std::vector<double> y = {4, 1, 3, 2};  // numpy.percentile([1,2,3,4], 10) = 1.3
  CHECK(quantiles(y, std::vector<double>{0.1})[0].value == Approx(1.3));
}

TEST_CASE("quantile confidence intervals cover the true quantile about 95% of the time", "[statistics][statistical]") {
  // 400 replications of n = 1000 uniforms; coverage count ~ Binomial(400, ≥0.95), checked within 4 SE.
  const Scenario s = test::scenario("[inputs]\nu = { dist = \"uniform\", min = 0, max = 1 }\n");
  const Plan plan(s);
  int covered = 0;
  const int reps = 400;
  for (int r = 0; r < reps; ++r) {
    EngineOptions opt;
    opt.seed = 1000 + static_cast<std::uint64_t>(r);
    opt.samples = 1000;
    opt.threads = 1;
    opt.keep = {true};
    auto out = run_engine(plan, opt);
    const auto q = quantiles(out.columns[0], std::vector<double>{0.9});
    covered += q[0].lo <= 0.9 && 0.9 <= q[0].hi;
  }
  const double se = std::sqrt(reps * 0.95 * 0.05);
  CHECK(covered >= reps * 0.95 - 4 * se);
}
