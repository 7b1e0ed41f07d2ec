#include "sim/engine/plan_source.hpp"
#include "sim/stats/statistics.hpp"
#include "tests/support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
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

TEST_CASE("a block's moments match a plain two-pass computation at every length", "[statistics]") {
  // Lengths around the fast path's eight lanes, with a non-finite value or an overflowing sum sent to the
  // careful path; min, max and n exact, mean and m2 to rounding (1e-13 relative).
  for (std::size_t n = 1; n <= 41; ++n) {
    for (const int variant : {0, 1, 2}) {
      std::vector<double> x(n);
      for (std::size_t i = 0; i < n; ++i) x[i] = std::cos(static_cast<double>(i) * 0.7) * 1e3 - 5 + static_cast<double>(i % 3);
      if (variant == 1) x[n / 2] = NAN;
      if (variant == 2) std::fill(x.begin(), x.end(), 1.5e308);  // the sum overflows; every value is finite
      const Moments m = Moments::of(x);
      std::size_t count = 0;
      long double sum = 0;
      double lo = HUGE_VAL, hi = -HUGE_VAL;
      for (const double v : x)
        if (std::isfinite(v)) {
          ++count;
          sum += v;
          lo = std::min(lo, v);
          hi = std::max(hi, v);
        }
      INFO("n " << n << ", variant " << variant);
      CHECK(m.n == count);
      CHECK(m.nonfinite == n - count);
      CHECK(m.min == lo);
      CHECK(m.max == hi);
      if (variant == 2 || count == 0) continue;  // (an overflowing mean is not finite either way; n, min, max hold)
      const double mean = static_cast<double>(sum / static_cast<long double>(count));
      long double m2 = 0;
      for (const double v : x)
        if (std::isfinite(v)) m2 += (static_cast<long double>(v) - mean) * (static_cast<long double>(v) - mean);
      CHECK(m.mean == Approx(mean).epsilon(1e-13).margin(1e-13));
      CHECK(m.m2 == Approx(static_cast<double>(m2)).epsilon(1e-13).margin(1e-9));
    }
  }
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

namespace {

// Over `reps` runs of n samples of `law` (seeds 7000 + r): how often the normal 95% CI of the mean covers
// `true_mean`, and how often the run flags a heavy tail.
struct Coverage {
  int covered = 0, flagged = 0;
};
Coverage mean_ci_coverage(const std::string& law, double true_mean, int reps, std::uint64_t n) {
  const Plan plan(test::scenario("[inputs]\nx = " + law + "\n"));
  Coverage c;
  for (int r = 0; r < reps; ++r) {
    EngineOptions opt;
    opt.seed = 7000 + static_cast<std::uint64_t>(r);
    opt.samples = n;
    opt.threads = 1;
    opt.keep = {true};
    const auto out = run_engine(plan, opt);
    const Moments m = Moments::over(out.columns[0]);
    c.covered += std::fabs(m.mean - true_mean) <= k_z95_two_sided * m.se();
    c.flagged += m.heavy_tailed();
  }
  return c;
}

}  // namespace

TEST_CASE("heavy tails: the mean's CI is flagged where it undercovers, and not where it holds", "[statistics][statistical]") {
  // 400 replications at n = 1000; a coverage count ~ Binomial(400, q), so 3 SE = 3·sqrt(400·0.95·0.05) ≈ 13.
  const int reps = 400;
  const double se = std::sqrt(reps * 0.95 * 0.05);
  // A normal: the CI covers 95% (within 3 SE) and is never flagged (its largest share is ~1% at n = 1000).
  const Coverage normal = mean_ci_coverage("{ dist = \"normal\", mean = 5, sd = 2 }", 5.0, reps, 1000);
  CHECK(std::fabs(normal.covered - 0.95 * reps) <= 3 * se);
  CHECK(normal.flagged == 0);
  // A lognormal with σ = 3 (mean e^4.5): the CI covers far less than 95% (measured 62% with numpy; anything
  // more than 3 SE under 95% is the failure the flag exists for), and the flag is up in at least 95% of runs.
  const Coverage heavy = mean_ci_coverage("{ dist = \"lognormal\", median = 1, sigma = 3 }", std::exp(4.5), reps, 1000);
  CHECK(heavy.covered < 0.95 * reps - 3 * se);
  CHECK(heavy.flagged >= 0.95 * reps);
}

TEST_CASE("heavy tails: the table marks the mean's CI and says why, the JSON carries the flag", "[statistics]") {
  test::TempDir dir;
  const std::string f = dir.write("h.toml", "[scenario]\nname = \"h\"\n[inputs]\n"
                                            "heavy = { dist = \"lognormal\", median = 1, sigma = 3, source = \"test\" }\n"
                                            "plain = { dist = \"normal\", mean = 0, sd = 1, source = \"test\" }\n"
                                            "[outputs]\nreport = [\"heavy\", \"plain\"]\n");
  const auto t = test::run_tamcarlo({"run", f, "-n", "1e5", "--store", "none"}, dir.path());
  REQUIRE(t.exit_code == 0);
  CHECK_THAT(t.out, Catch::Contains("† heavy tail: one sample of `heavy` carries") &&
                        !Catch::Contains("sample of `plain`"));
  const auto j = test::run_tamcarlo({"run", f, "-n", "1e5", "--store", "none", "--json"}, dir.path());
  REQUIRE(j.exit_code == 0);
  const auto at = [&](const std::string& name) { return j.out.substr(j.out.find("\"" + name + "\":{")); };
  CHECK_THAT(at("heavy"), Catch::Contains("\"heavy_tail\":true"));
  CHECK_THAT(at("plain").substr(0, at("plain").find("\"heavy_tail\"") + 20), Catch::Contains("\"heavy_tail\":false"));
}
