// Reproducibility promises: thread-count invariance and name-keyed streams, checked bitwise.
#include "sim/engine/plan_source.hpp"
#include "sim/run/run_scenario.hpp"
#include "sim/io/table.hpp"
#include "sim/stats/portfolio.hpp"
#include "sim/stats/rank_correlation.hpp"
#include "tests/support.hpp"

#include <boost/math/distributions/normal.hpp>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <sstream>

using namespace tamcarlo;

namespace {

const char* k_every_family = R"toml(
[inputs]
a = { dist = "uniform", min = 1, max = 2 }
b = { dist = "triangular", min = 0, mode = 1, max = 4 }
c = { dist = "pert", min = 0, mode = 1, max = 4 }
d = { dist = "normal", mean = 10, sd = 2 }
e = { dist = "truncnormal", mean = 0.5, sd = 0.3, min = 0, max = 1 }
f = { dist = "lognormal", median = 75000, sigma = 0.15 }
g = { dist = "beta", alpha = 10, beta = 10 }
h = { dist = "gamma", shape = 0.7, scale = 3 }
i = { dist = "discrete", values = [1, 2, 3], weights = [1, 1, 2] }
j = { dist = "empirical", data = [3, 1, 4, 1, 5] }
k = 3.5
[formulas]
y = "a * b + c / d - e ^ g + log(f) * h"
z = "if(y > 5, max(i, j), min(k, y))"
)toml";


bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

bool same_bits(const Moments& a, const Moments& b) {
  return a.n == b.n && a.nonfinite == b.nonfinite && std::memcmp(&a.mean, &b.mean, sizeof(double)) == 0 &&
         std::memcmp(&a.m2, &b.m2, sizeof(double)) == 0 && a.min == b.min && a.max == b.max;
}

}  // namespace

TEST_CASE("samples and statistics are bit-identical on 1, 2 and 8 threads", "[engine][reproducibility]") {
  const Scenario s = test::scenario(k_every_family);
  const std::uint64_t n = 10 * k_block_size + 123;  // a partial last block too
  const EngineOutput one = test::run_all(s, n, 1, 99), two = test::run_all(s, n, 2, 99), eight = test::run_all(s, n, 8, 99);
  for (std::size_t v = 0; v < one.columns.size(); ++v) {
    INFO("variable " << v);
    CHECK(same_bits(one.columns[v], two.columns[v]));
    CHECK(same_bits(one.columns[v], eight.columns[v]));
    CHECK(same_bits(one.moments[v], two.moments[v]));
    CHECK(same_bits(one.moments[v], eight.moments[v]));
  }
}

TEST_CASE("plans that share quantile tables draw the same bits as plans with their own", "[engine][reproducibility]") {
  // Under LHS every input inverts its law; a correlated beta pair inverts through the copula. Two inputs of one PERT
  // law share a table, and a second plan takes every table from the first's (a stressed case, a suite member).
  const Scenario s = test::scenario(R"toml(
[scenario]
design = "lhs"
[inputs]
a = { dist = "pert", min = 3, mode = 6, max = 10 }
b = { dist = "pert", min = 3, mode = 6, max = 10 }
c = { dist = "beta", alpha = 2, beta = 5 }
d = { dist = "gamma", shape = 3, scale = 2 }
e = { dist = "beta", alpha = 2, beta = 5, min = 1, max = 4 }
[correlations]
pairs = [["c", "d", 0.4]]
[formulas]
y = "a * b + c * d - e"
)toml");
  const std::uint64_t n = 6 * k_block_size + 5;
  const auto draw = [&](const Plan& plan) {
    EngineOptions opt;
    opt.seed = 7;
    opt.samples = n;
    opt.threads = 2;
    opt.keep.assign(plan.series().size(), true);
    return run_engine(plan, opt);
  };
  QuantileTables tables(2);
  const Plan own(s), first(s, PlanUse::draw, &tables), second(s, PlanUse::draw, &tables);
  const EngineOutput a = draw(own), b = draw(first), c = draw(second);
  for (std::size_t v = 0; v < a.columns.size(); ++v) {
    INFO("variable " << v);
    CHECK(same_bits(a.columns[v], b.columns[v]));
    CHECK(same_bits(a.columns[v], c.columns[v]));
  }
}

TEST_CASE("a variable's draws depend on its name, not its position or its neighbours", "[engine][reproducibility]") {
  const Scenario base = test::scenario(R"toml(
[inputs]
salary = { dist = "lognormal", median = 75000, sigma = 0.15 }
share = { dist = "beta", alpha = 10, beta = 10 }
[formulas]
market = "salary * share"
)toml");
  const Scenario reordered = test::scenario(R"toml(
[inputs]
unrelated = { dist = "normal", mean = 0, sd = 1 }
share = { dist = "beta", alpha = 10, beta = 10 }
another = { dist = "gamma", shape = 2, scale = 1 }
salary = { dist = "lognormal", median = 75000, sigma = 0.15 }
[formulas]
other = "unrelated * 2"
market = "salary * share"
)toml");
  const std::uint64_t n = 3 * k_block_size + 7;
  const EngineOutput a = test::run_all(base, n, 2, 99), b = test::run_all(reordered, n, 2, 99);
  const Plan pa(base), pb(reordered);
  for (const char* name : {"salary", "share", "market"}) {
    INFO(name);
    CHECK(same_bits(a.columns[pa.index(name)], b.columns[pb.index(name)]));
  }
  // ... and a different seed gives different draws.
  const EngineOutput c = test::run_all(base, n, 2, 100);
  CHECK_FALSE(same_bits(a.columns[pa.index("salary")], c.columns[pa.index("salary")]));
}

TEST_CASE("a product of three lognormals matches the exact lognormal quantiles within their CIs",
          "[engine][statistical]") {
  // ln(abc) ~ N(μa + μb + μc, σa² + σb² + σc²). Each estimate is checked within 4 SE of the exact quantile,
  // SE = (95% CI width) / (2 · 1.96): nine 95% intervals of one sample often miss together at the 5% level.
  const Scenario s = test::scenario(R"toml(
[inputs]
a = { dist = "lognormal", median = 20000, sigma = 0.2 }
b = { dist = "lognormal", median = 75000, sigma = 0.15 }
c = { dist = "lognormal", median = 0.5, sigma = 0.3 }
[formulas]
market = "a * b * c"
)toml");
  RunOptions opt;
  opt.what.samples = 400000;
  opt.what.seed = 2024;
  const RunSummary r = run_scenario(s, opt);
  const auto& m = r.variables[3];
  REQUIRE(m.var.name == "market");
  const double mu = std::log(20000.0 * 75000 * 0.5), sigma = std::sqrt(0.04 + 0.0225 + 0.09);
  const boost::math::normal_distribution<double> z;
  for (const auto& q : m.quantiles) {
    const double exact = std::exp(mu + sigma * boost::math::quantile(z, q.p));
    INFO("p = " << q.p << ": exact " << exact << ", estimate " << q.value << " [" << q.lo << ", " << q.hi << "]");
    const double se = (q.hi - q.lo) / (2 * k_z95_two_sided);
    CHECK(std::fabs(q.value - exact) <= 4 * se);
  }
  // The mean too: within 4 SE of exp(μ + σ²/2).
  CHECK(std::fabs(m.moments.mean - std::exp(mu + sigma * sigma / 2)) <= 4 * m.moments.se());
}

TEST_CASE("a constant reports its exact value, no spread and no rank correlation", "[engine]") {
  // 0.1 · 3 is not exact in binary, so a mean summed over the samples would come back off by rounding; the
  // drivers of a constant would be Spearman ρ of rounding noise.
  const Scenario s = test::scenario(R"toml(
[inputs]
a = { dist = "normal", mean = 10, sd = 1 }
k = { value = 0.1 }
[formulas]
thrice_k = "k * 3"
total = "a * k"
)toml");
  RunOptions opt;
  opt.what.samples = 50000;
  opt.what.seed = 7;
  const RunSummary r = run_scenario(s, opt);
  const auto& c = r.variables[2];
  REQUIRE(c.var.name == "thrice_k");
  CHECK(c.moments.mean == 0.1 * 3);
  CHECK(c.moments.sd() == 0);
  CHECK(c.moments.min == c.moments.max);
  REQUIRE(c.sensitivity.size() == 1);  // against the one random input, a
  CHECK(std::isnan(c.sensitivity[0]));
  const auto& t = r.variables[3];
  REQUIRE(t.sensitivity.size() == 1);
  CHECK(t.sensitivity[0] == Approx(1.0).margin(1e-12));  // a monotone function of a: ρ = 1
  CHECK(std::isnan(pearson(std::vector<double>{2, 2, 2}, std::vector<double>{1, 2, 3})));
}

TEST_CASE("the table names a main driver only when its rho clears 2 SE of zero", "[engine][output]") {
  const Scenario s = test::scenario(R"toml(
[inputs]
a = { dist = "normal", mean = 10, sd = 1 }
b = { dist = "uniform", min = 0, max = 1 }
[formulas]
total = "a + b"
)toml");
  RunOptions opt;
  opt.what.samples = 2000;
  RunSummary r = run_scenario(s, opt);
  auto& total = r.variables[2];
  REQUIRE(total.var.name == "total");
  REQUIRE(r.sensitivity_inputs == std::vector<std::string>{"a", "b"});
  const auto row = [&] {
    std::ostringstream os;
    print_table(r, os);
    std::istringstream lines(os.str());
    std::string line;
    while (std::getline(lines, line))
      if (line.rfind(" total", 0) == 0) return line;
    return std::string();
  };
  r.sensitivity_samples = 50'000;  // 2 SE = 2/√49,999 = 0.00894
  total.sensitivity = {0.0095, -0.004};
  total.swing = {{9.0, 12.5, 0.1}, {10.1, 9.9, 0.1}};  // the driver's swing (high − low) beside its ρ
  CHECK_THAT(row(), Catch::EndsWith("a (+0.01, 3.50)"));
  total.sensitivity = {0.0085, -0.004};
  CHECK(row().find('(') == std::string::npos);
  total.sensitivity = {0.0085, -0.0091};
  CHECK_THAT(row(), Catch::EndsWith("b (-0.01, -0.200)"));
  total.swing.clear();  // none computed: ρ alone
  CHECK_THAT(row(), Catch::EndsWith("b (-0.01)"));
}

TEST_CASE("swing: a linear model's tornado in money matches its closed form, the same bits on any thread count", "[engine][statistical]") {
  // total = 2a + 3b, a ~ N(0, 1), b ~ N(0, 2) independent: with a in its top decile E[a] = φ(z₀.₉)/0.1 = 1.754983 and
  // in its bottom decile −1.754983, so total's swing over a is 2·2·1.754983 = 7.019932 and over b 3·2·2·1.754983 =
  // 21.059797; the low and high means sit symmetrically about the mean 0. Within 4 SE: the reported se (of the
  // difference) is a batch-means estimate over 10 batches, so error/se is t with 9 df, beyond 4 with probability
  // 0.3% (each side's own SE is about se/√2: 4 se is 5.7 of them).
  const Scenario s = test::scenario(R"toml(
[inputs]
a = { dist = "normal", mean = 0, sd = 1 }
b = { dist = "normal", mean = 0, sd = 2 }
[formulas]
total = "2 * a + 3 * b"
)toml");
  RunOptions opt;
  opt.what.samples = 200'000;
  opt.what.seed = 11;
  opt.how.threads = 1;
  const RunSummary one = run_scenario(s, opt);
  const auto& total = one.variables[2];
  REQUIRE(total.var.name == "total");
  REQUIRE(one.sensitivity_inputs == std::vector<std::string>{"a", "b"});
  REQUIRE(total.swing.size() == 2);
  const double tail_mean = 1.7549833193248685;  // φ(1.2815515655446004) / 0.1
  const double want[2] = {2 * 2 * tail_mean, 3 * 2 * 2 * tail_mean};
  for (std::size_t k = 0; k < 2; ++k) {
    const Swing& w = total.swing[k];
    INFO("input " << one.sensitivity_inputs[k] << ": low " << w.low << ", high " << w.high << ", se " << w.se);
    CHECK(std::fabs(w.width() - want[k]) < 4 * w.se);
    CHECK(std::fabs(w.high - want[k] / 2) < 4 * w.se);
    CHECK(std::fabs(w.low + want[k] / 2) < 4 * w.se);
  }
  REQUIRE(one.variables[0].swing.empty());  // an input is not reported: no swing of it over the others
  opt.how.threads = 3;
  const RunSummary three = run_scenario(s, opt);
  for (std::size_t k = 0; k < 2; ++k) {
    CHECK(std::memcmp(&three.variables[2].swing[k], &total.swing[k], sizeof(Swing)) == 0);
  }
}

TEST_CASE("a cancelled run stops and reports it", "[engine]") {
  const Scenario s = test::scenario(k_every_family);
  const Plan plan(s);
  std::atomic<bool> cancel{true};
  const PlanSource source(plan, 1, 100000);
  StreamOptions opt;
  opt.samples = 100000;
  opt.cancel = &cancel;
  CHECK_THROWS_AS(run_stream(source, std::vector<ColumnSpec>(source.width()), opt), Interrupted);
}
