// Conditioning on observed figures ([evidence]): weighted statistics against closed forms (a conjugate normal, a
// truncation), the effective sample size against its formula, weighted quantiles against a sort of the weighted
// samples (bit for bit, through the histogram passes too), the same bits on any thread count and split, and the
// errors. Statistical checks: within 4 standard errors, each SE derived in place.
#include "sim/engine/scenario_source.hpp"
#include "sim/engine/stream.hpp"
#include "sim/run/run_scenario.hpp"
#include "sim/stats/order_stats.hpp"
#include "tests/support.hpp"

#include <boost/math/distributions/normal.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>

using namespace tamcarlo;
using Catch::Contains;

namespace {

const char* k_conjugate = R"toml(
[inputs]
x = { dist = "normal", mean = 0, sd = 1 }
z = { dist = "normal", mean = 0, sd = 1 }
[formulas]
y = "x + z"
[outputs]
report = ["x", "y"]
[evidence]
y = { observed = 1.5, sd = 0.1 }
)toml";

// Ties (a discrete input, a point mass at 0), non-finite values (log of a negative), a heavy tail, and two figures:
// a normal error on a gamma input and an interval on the discrete one.
const char* k_awkward = R"toml(
[inputs]
u = { dist = "uniform", min = 0, max = 1 }
d = { dist = "discrete", values = [1, 2, 3], weights = [1, 1, 2] }
g = { dist = "gamma", shape = 0.3, scale = 2 }
[formulas]
y = "log(u - 0.2) * d + g"
w = "if(u < 0.5, 0, g)"
[outputs]
report = ["y", "w", "u"]
[evidence]
g = { observed = 0.5, sd = 0.3 }
d = { between = [1, 2] }
)toml";

bool same(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

RunSummary run(const Scenario& s, std::uint64_t n, unsigned threads, std::vector<std::uint64_t> split = {}) {
  RunOptions opt;
  opt.what.samples = n;
  opt.what.seed = 11;
  opt.how.threads = threads;
  opt.how.split_blocks = std::move(split);
  return run_scenario(s, opt);
}

const VariableSummary& var(const RunSummary& r, const std::string& name) { return r.variables[r.series_index(name)]; }

// Each sample's weight as the run rounds it: the product of the figures' likelihoods at its values.
std::vector<double> weights_of(const Scenario& s, const EngineOutput& e, const Plan& plan) {
  std::vector<double> w(e.columns.front().size(), 1.0);
  for (const Evidence& f : s.evidence) {
    std::size_t col = 0;
    while (plan.variables()[plan.series()[col].var].name != f.variable) ++col;
    for (std::size_t i = 0; i < w.size(); ++i) w[i] *= f.likelihood(e.columns[col][i]);
  }
  for (double& x : w) x = static_cast<double>(weight_units(x)) * k_weight_unit;
  return w;
}

double ess_of(const std::vector<double>& w) {
  double s = 0, s2 = 0;
  for (const double x : w) {
    s += x;
    s2 += x * x;
  }
  return s * s / s2;
}

// The weighted quantile estimates of x (as the run defines them) from a sort of (value, units) pairs; `ess` gives
// the CI's probabilities.
std::vector<QuantileEstimate> sorted_quantiles(const std::vector<double>& x, const std::vector<double>& w, double ess) {
  std::vector<std::pair<double, std::uint64_t>> v;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const auto u = static_cast<std::uint64_t>(std::llround(w[i] / k_weight_unit));
    if (std::isfinite(x[i]) && u > 0) v.emplace_back(x[i] == 0 ? 0.0 : x[i], u);
  }
  std::sort(v.begin(), v.end());
  std::uint64_t total = 0;
  for (const auto& p : v) total += p.second;
  const auto at = [&](std::uint64_t rank) {
    std::uint64_t cum = 0;
    for (const auto& p : v)
      if ((cum += p.second) > rank) return p.first;
    return std::nan("");
  };
  std::vector<QuantileEstimate> out;
  for (const double p : k_report_probs) {
    const WeightedQuantileRanks r = weighted_quantile_ranks(total, ess, p);
    out.push_back({p, at(r.at), at(r.lo), at(r.hi)});
  }
  return out;
}

bool same(const std::vector<QuantileEstimate>& a, const std::vector<QuantileEstimate>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!same(a[i].value, b[i].value) || !same(a[i].lo, b[i].lo) || !same(a[i].hi, b[i].hi)) return false;
  return true;
}

}  // namespace

TEST_CASE("evidence: a normal figure of a sum gives the conjugate posterior, and the ESS its formula", "[evidence]") {
  // x, z ~ N(0, 1), y = x + z observed as 1.5 with a normal error of sd 0.1: x | y is normal with mean 1.5/2.01 =
  // 0.746 and sd √(1 − 1/2.01) = 0.709. 400,000 samples give an ESS of about 22,800.
  const Scenario s = test::scenario(k_conjugate);
  const std::uint64_t n = 400'000;
  const RunSummary r = run(s, n, 2);
  REQUIRE(r.evidence);
  const VariableSummary& x = var(r, "x");
  const double mean = 1.5 / 2.01, sd = std::sqrt(1 - 1 / 2.01), ess = x.moments.ess;
  REQUIRE(ess > 10'000);
  CHECK(std::fabs(x.moments.mean - mean) <= 4 * x.moments.se());
  CHECK(std::fabs(x.moments.sd() - sd) <= 4 * sd / std::sqrt(2 * ess));  // SE of a normal's sd
  const boost::math::normal_distribution<double> z01;
  for (const double p : {0.05, 0.5, 0.95}) {
    const double zp = boost::math::quantile(z01, p);
    const double se = std::sqrt(p * (1 - p) / ess) * sd / boost::math::pdf(z01, zp);
    INFO("p = " << p);
    CHECK(std::fabs(x.at(p).value - (mean + sd * zp)) <= 4 * se);
    CHECK(x.at(p).lo <= x.at(p).value);
    CHECK(x.at(p).hi >= x.at(p).value);
  }
  // The prior beside it: N(0, 1).
  REQUIRE(x.prior);
  CHECK(std::fabs(x.prior->moments.mean) <= 4 / std::sqrt(static_cast<double>(n)));
  CHECK(x.prior->moments.ess == 0);
  // The ESS is (Σw)²/Σw² of the samples' rounded likelihoods (summed in another order: equal up to rounding).
  const Plan plan(s);
  const EngineOutput all = test::run_all(s, n, 2, 11);
  const std::vector<double> w = weights_of(s, all, plan);
  CHECK(r.evidence->ess == Approx(ess_of(w)).epsilon(1e-9));
  CHECK(x.moments.ess == Approx(ess_of(w)).epsilon(1e-9));
  // The mean likelihood estimates E[exp(−(y − 1.5)²/(2·0.01))], y ~ N(0, 2): 0.1/√2.01 · exp(−1.5²/(2·2.01)).
  const double z_exact = 0.1 / std::sqrt(2.01) * std::exp(-2.25 / 4.02);
  CHECK(std::fabs(r.evidence->likelihood.mean - z_exact) <= 4 * r.evidence->likelihood.se());
  // The posterior rank correlation of x with y: Cov/√(Var·Var) = 0.005/√(0.5025·0.00995) = 0.071 (Spearman of a
  // bivariate normal: (6/π)·asin(ρ/2) = 0.068), within 4 SE ≈ 4/√ESS of the 50,000 samples ranked.
  const double rho = 6 / std::numbers::pi * std::asin(0.005 / std::sqrt(0.502488 * 0.00995025) / 2);
  const double ess_ranked = ess * static_cast<double>(r.sensitivity_samples) / static_cast<double>(n);
  const VariableSummary& y = var(r, "y");
  REQUIRE(!y.sensitivity.empty());
  CHECK(std::fabs(y.sensitivity[0] - rho) <= 4 / std::sqrt(ess_ranked));
}

TEST_CASE("evidence: an interval figure truncates the law: mean, quantiles, probabilities and CVaR", "[evidence]") {
  // x ~ N(0, 1) known to be ≥ 0: a half-normal, mean √(2/π), median Φ⁻¹(0.75), P(x < 1) = 2Φ(1) − 1, and the mean of
  // its worst 10% 20·(φ(0) − φ(q)), q = Φ⁻¹(0.55). Every weight is 1: the ESS is the count of samples ≥ 0.
  const Scenario s = test::scenario(R"toml(
[inputs]
x = { dist = "normal", mean = 0, sd = 1 }
[formulas]
twice = "2 * x"
[outputs]
report = ["x", "twice"]
[risk.x]
levels = [0.1]
below = [1]
[evidence]
x = { between = [0, inf] }
)toml");
  const std::uint64_t n = 200'000;
  const RunSummary r = run(s, n, 2);
  const VariableSummary& x = var(r, "x");
  const EngineOutput all = test::run_all(s, n, 2, 11);
  const auto kept = static_cast<double>(std::count_if(all.columns[0].begin(), all.columns[0].end(), [](double v) { return v >= 0; }));
  CHECK(r.evidence->ess == kept);
  const boost::math::normal_distribution<double> z01;
  CHECK(std::fabs(x.moments.mean - std::sqrt(2 / std::numbers::pi)) <= 4 * x.moments.se());
  const double median = boost::math::quantile(z01, 0.75);
  CHECK(std::fabs(x.at(0.5).value - median) <= 4 * std::sqrt(0.25 / kept) / (2 * boost::math::pdf(z01, median)));
  CHECK(x.moments.min >= 0);
  REQUIRE(x.risk);
  const double p_below = 2 * boost::math::cdf(z01, 1.0) - 1;
  CHECK(std::fabs(x.risk->thresholds.at(0).p.p - p_below) <= 4 * std::sqrt(p_below * (1 - p_below) / kept));
  const double q = boost::math::quantile(z01, 0.55);
  const double cvar = 20 * (boost::math::pdf(z01, 0.0) - boost::math::pdf(z01, q));
  CHECK(std::fabs(x.risk->tails.at(0).cvar - cvar) <= 4 * x.risk->tails.at(0).cvar_se);
  // The prior of the formula is beside its posterior: 2x is N(0, 4) before, 2·half-normal after.
  REQUIRE(var(r, "twice").prior);
  CHECK(std::fabs(var(r, "twice").prior->moments.sd() - 2) <= 4 * 2 / std::sqrt(2.0 * static_cast<double>(n)));
}

TEST_CASE("evidence: weighted quantiles equal a sort of the weighted samples, on ties and non-finite values too", "[evidence]") {
  const Scenario s = test::scenario(k_awkward);
  const Plan plan(s);
  // 100,000: no pilot, every value collected; 300,000: a pilot places brackets.
  const std::uint64_t n = GENERATE(std::uint64_t{100'000}, std::uint64_t{300'000});
  INFO("N = " << n);
  const RunSummary r = run(s, n, 2);
  const EngineOutput all = test::run_all(s, n, 2, 11);
  const std::vector<double> w = weights_of(s, all, plan);
  for (const char* name : {"y", "w", "u"}) {
    INFO(name);
    const std::size_t i = r.series_index(name);
    const VariableSummary& v = r.variables[i];
    std::vector<double> wf = w;  // the ESS over this series' finite samples
    for (std::size_t k = 0; k < wf.size(); ++k)
      if (!std::isfinite(all.columns[i][k])) wf[k] = 0;
    CHECK(v.moments.ess == Approx(ess_of(wf)).epsilon(1e-9));
    CHECK(same(v.quantiles, sorted_quantiles(all.columns[i], w, v.moments.ess)));
  }
  // Through the histogram passes: the same source and specs under a budget of 2,000 collected values.
  EvidenceColumns e;
  e.figures = s.evidence;
  for (const Evidence& f : s.evidence) e.targets.push_back(r.series_index(f.variable));
  const ScenarioSource source(plan, {}, 11, n, std::nullopt, e);
  std::vector<ColumnSpec> specs(source.width());
  for (std::size_t c = 0; c < plan.series().size(); ++c) {
    specs[c].probs.assign(k_report_probs.begin(), k_report_probs.end());
    specs[c].weighted = true;
  }
  specs[source.weight_column()].weighted = true;
  StreamOptions so;
  so.samples = n;
  so.threads = 2;
  so.collect_budget = 2000;
  so.weights = source.weight_column();
  const std::vector<ColumnResult> narrow = run_stream(source, specs, so);
  for (const char* name : {"y", "w", "u"}) {
    INFO(name << " under a narrow budget");
    const std::size_t i = r.series_index(name);
    CHECK(same(narrow[i].quantiles, r.variables[i].quantiles));
    CHECK(same(narrow[i].moments.mean, r.variables[i].moments.mean));
  }
}

TEST_CASE("evidence: a conditioned run gives the same bits on 1, 2 and 8 threads and split into ranges", "[evidence][reproducibility]") {
  const Scenario s = test::scenario(k_awkward);
  const std::uint64_t n = 300'000;
  const RunSummary one = run(s, n, 1), two = run(s, n, 2), eight = run(s, n, 8), split = run(s, n, 2, {3, 17, 60});
  for (const RunSummary* o : {&two, &eight, &split}) {
    CHECK(same(o->evidence->ess, one.evidence->ess));
    CHECK(same(o->evidence->likelihood.mean, one.evidence->likelihood.mean));
    for (std::size_t i = 0; i < one.variables.size(); ++i) {
      INFO(one.variables[i].label());
      const Moments &a = one.variables[i].moments, &b = o->variables[i].moments;
      CHECK((same(a.mean, b.mean) && same(a.m2, b.m2) && same(a.ess, b.ess) && same(a.weighted_se, b.weighted_se)));
      CHECK(same(one.variables[i].quantiles, o->variables[i].quantiles));
      CHECK(one.variables[i].sensitivity.size() == o->variables[i].sensitivity.size());
      for (std::size_t k = 0; k < one.variables[i].sensitivity.size(); ++k)
        CHECK(same(one.variables[i].sensitivity[k], o->variables[i].sensitivity[k]));
    }
  }
}

TEST_CASE("evidence: the weighted moments merge in any grouping to the moments of the whole", "[evidence]") {
  // Σw²(x − m)² and Σw²(x − m) carried through the merge give the self-normalized mean's SE of the whole.
  std::vector<double> x;
  std::vector<std::uint64_t> u;
  for (int i = 0; i < 1000; ++i) {
    x.push_back(std::sin(i * 0.7) * 10 + i * 0.01);
    u.push_back(weight_units(std::exp(-0.5 * std::pow((x.back() - 3) / 4, 2))));
  }
  WeightedMoments whole = WeightedMoments::of(x, u), parts;
  for (std::size_t at = 0; at < x.size(); at += 137) {
    const std::size_t m = std::min<std::size_t>(137, x.size() - at);
    parts.merge(WeightedMoments::of(std::span<const double>(x).subspan(at, m), std::span<const std::uint64_t>(u).subspan(at, m)));
  }
  double sw = 0, swx = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sw += static_cast<double>(u[i]) * k_weight_unit;
    swx += static_cast<double>(u[i]) * k_weight_unit * x[i];
  }
  const double mean = swx / sw;
  double v = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double wi = static_cast<double>(u[i]) * k_weight_unit;
    v += wi * wi * (x[i] - mean) * (x[i] - mean);
  }
  for (const WeightedMoments* m : {&whole, &parts}) {
    CHECK(m->mean == Approx(mean).epsilon(1e-12));
    CHECK(m->reported().se() == Approx(std::sqrt(v) / sw).epsilon(1e-9));
    CHECK(m->units == whole.units);
  }
  CHECK(parts.m2 == Approx(whole.m2).epsilon(1e-9));
  CHECK(parts.m3 == Approx(whole.m3).epsilon(1e-7));
}

TEST_CASE("evidence: errors name the figure, the value and what is allowed", "[evidence][errors]") {
  const auto fails = [](const std::string& evidence, const std::string& expect, const std::string& extra = "") {
    const std::string text = "[scenario]\nyears = [2024, 2026]\n[inputs]\nx = { dist = \"normal\", mean = 1, sd = 1 }\n"
                             "[formulas]\ny = \"x * (year - 2020)\"\nv = \"2 * x\"\n" +
                             extra + "[evidence]\n" + evidence + "\n";
    INFO(evidence);
    try {
      (void)test::scenario(text);
      FAIL("accepted");
    } catch (const ScenarioError& e) {
      CHECK_THAT(e.what(), Catch::Contains(expect));
      CHECK_THAT(e.what(), Catch::Contains("test.toml:"));
    }
  };
  fails("q = { observed = 1, sd = 1 }", "`q` is not an input or formula of this scenario");
  fails("y = { observed = 1, sd = 1 }", "name the year the figure was observed in, e.g. \"y[2024]\"");
  fails("\"y[2030]\" = { observed = 1, sd = 1 }", "2030 is not a year of the timeline (2024–2026)");
  fails("\"v[2025]\" = { observed = 1, sd = 1 }", "does not depend on the year");
  fails("\"y[20x5]\" = { observed = 1, sd = 1 }", "is not a variable or \"variable[year]\"");
  fails("v = { observed = 1 }", "{ observed = <value>, sd = <its error> }");
  fails("v = { observed = 1, sd = 1, sd_log = 0.1 }", "one of `sd` and `sd_log`, not both");
  fails("v = { observed = 1, sd = 0 }", "0 is not a positive error");
  fails("v = { observed = -2, sd_log = 0.1 }", "-2 is not positive; a log-normal error (sd_log) needs an observed value > 0");
  fails("v = { between = [3, 1] }", "[3, 1] is empty; expected low < high");
  fails("v = { between = [1, 2], observed = 1 }", "give either `between` or `observed`");
  fails("v = { observed = 1, sd = 1, error = 2 }", "error");
  fails("v = 3", "expected { observed = <value>, sd = <its error> }");
  fails("v = { observed = 1, sd = 1 }", "cannot have a [decision]",
        "v2 = \"3 * x\"\n[decision]\noptions = [\"v\", \"v2\"]\n");
  // Figures no sample meets: a located error that shows the prior's range beside the figure.
  const Scenario far = test::scenario(R"toml(
[inputs]
x = { dist = "uniform", min = 0, max = 1 }
[evidence]
x = { between = [2, 3], source = "test" }
)toml");
  try {
    (void)run(far, 20'000, 2);
    FAIL("accepted");
  } catch (const ScenarioError& e) {
    CHECK_THAT(e.what(), Catch::Contains("no sample of 20,000 is consistent with the observed figures"));
    CHECK_THAT(e.what(), Catch::Contains("x observed in [2, 3]; the prior's P1–P99 is"));
  }
  // What the weights do not reach yet is refused with the reason (exit 1), not run unweighted.
  const Scenario s = test::scenario(k_conjugate);
  RunOptions opt;
  opt.what.samples = 1000;
  opt.what.sobol = true;
  CHECK_THROWS_WITH(run_scenario(s, opt), Catch::Contains("--sobol's indices are computed for the prior"));
  opt.what.sobol = false;
  opt.what.stresses.push_back({"up", "", {parse_override("x=2", s)}});
  CHECK_THROWS_WITH(run_scenario(s, opt), Catch::Contains("stressed cases are not run beside a conditioned base"));
}

TEST_CASE("evidence: the library's projection conditioned on R1's 216亿 narrows 2024 around it", "[evidence][library]") {
  const Scenario s = load_scenario(test::source_path("scenarios/projections/llm_market_cn.toml"));
  const RunSummary r = run(s, 200'000, 2);
  REQUIRE(r.evidence);
  const VariableSummary& m = r.variables[r.series_index("market", 2024)];
  REQUIRE(m.prior);
  // The posterior's P5–P95 is inside the prior's, holds 216亿, and is narrower than half of it.
  CHECK(m.at(0.05).value > m.prior->quantiles.at(1).value);
  CHECK(m.at(0.95).value < m.prior->quantiles.at(7).value);
  CHECK(m.at(0.05).value < 216e8);
  CHECK(m.at(0.95).value > 216e8);
  CHECK(m.at(0.95).value - m.at(0.05).value < 0.5 * (m.prior->quantiles.at(7).value - m.prior->quantiles.at(1).value));
  CHECK(!r.evidence->too_few());
}

TEST_CASE("evidence: the terminal, the page and the exports show the figures with prior and posterior", "[evidence][report]") {
  const test::TempDir dir;
  const std::string h5 = (dir.path() / "llm.h5").string();
  const auto run = test::run_tamcarlo({"run", test::source_path("scenarios/projections/llm_market_cn.toml"), "-n",
                                       "20000", "--store", "all", "-o", h5});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.out, Contains("conditioned on 1 observed figure") && Contains("effective sample size") &&
                          Contains("prior → posterior"));
  const auto page = test::run_tamcarlo({"report", h5, "-o", (dir.path() / "page").string()});
  INFO(page.err);
  REQUIRE(page.exit_code == 0);
  const std::string html = test::slurp(dir.path() / "page" / "index.html");
  CHECK_THAT(html, Contains("Observed figures") && Contains("Prior and posterior") &&
                       Contains("prior (before the evidence)") && Contains("effective sample size"));
  const auto md = test::run_tamcarlo({"export", h5, "--to", "markdown"});
  REQUIRE(md.exit_code == 0);
  CHECK_THAT(test::slurp(dir.path() / "llm.md"), Contains("### Observed figures the run is conditioned on") &&
                                                     Contains("### Prior and posterior") &&
                                                     Contains("The run is conditioned on the observed figures"));
  const auto sip = test::run_tamcarlo({"export", h5, "--to", "sip"});
  CHECK(sip.exit_code == 1);
  CHECK_THAT(sip.err, Contains("is a conditioned run ([evidence])"));
  CHECK_FALSE(std::filesystem::exists(dir.path() / "llm.json"));
}
