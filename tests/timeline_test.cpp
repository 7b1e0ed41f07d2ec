// The timeline: `years` in [scenario], `year` in formulas, timed outputs as one series per year,
// stored N × T and summarized per year.
#include "sim/engine/plan_source.hpp"
#include "sim/io/results_file.hpp"
#include "sim/run/run_scenario.hpp"
#include "tests/support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <map>

#include <fmt/format.h>

using namespace tamcarlo;
using Catch::Contains;

namespace {

const char* k_growth = R"toml([scenario]
name = "growth"
years = [2022, 2026]
[inputs]
base = { dist = "lognormal", median = 100, sigma = 0.2, source = "test" }
rate = { dist = "normal", mean = 0.3, sd = 0.05, source = "test" }
[formulas]
market = "project(base, rate, year - 2022)"
double_base = "2 * base"
later = "market * 2"
[outputs]
report = ["market", "double_base", "later"]
)toml";

// The message of the error parsing `text` gives ("no error" when it parses).
std::string error(const std::string& text) {
  try {
    (void)test::scenario(text);
  } catch (const ScenarioError& e) {
    return std::string(e.what());
  }
  return std::string("no error");
}

}  // namespace

TEST_CASE("timeline: years expand to every year and `year` makes formulas timed, transitively", "[timeline]") {
  const Scenario s = test::scenario(k_growth);
  CHECK(s.years == std::vector<int>{2022, 2023, 2024, 2025, 2026});
  for (const auto& f : s.formulas) CHECK(f.timed == (f.name != "double_base"));
  const Plan plan(s);
  // Series: inputs and untimed formulas once, timed formulas once per year, in variable order.
  CHECK(plan.series().size() == 2 + 5 + 1 + 5);
  const std::vector<double> p2026 = plan.evaluate_point(4);
  CHECK(p2026[plan.index("market")] == Approx(100 * std::pow(1.3, 4)));
  CHECK(p2026[plan.index("later")] == Approx(200 * std::pow(1.3, 4)));
  CHECK(plan.evaluate_point(0)[plan.index("market")] == Approx(100));
}

TEST_CASE("timeline: bad years and misuse of `year` are located errors", "[timeline][errors]") {
  CHECK_THAT(error("[scenario]\nyears = [2030, 2023]\n[inputs]\na = 1\n"),
             Contains("test.toml:2:9") && Contains("LAST = 2023 is before FIRST = 2030"));
  CHECK_THAT(error("[scenario]\nyears = [2023]\n[inputs]\na = 1\n"),
             Contains("[scenario.years]") && Contains("expected two integers") && Contains("years = [FIRST, LAST]"));
  CHECK_THAT(error("[scenario]\nyears = [2023.5, 2030]\n[inputs]\na = 1\n"), Contains("expected two integers"));
  CHECK_THAT(error("[inputs]\na = 1\n[formulas]\nb = \"a * (year - 2020)\"\n"),
             Contains("test.toml:4:11") && Contains("`year` needs a timeline"));
  CHECK_THAT(error("[scenario]\nyears = [2023, 2024]\n[inputs]\nyear = 1\n"),
             Contains("[inputs.year]") && Contains("`year` is reserved"));
}

TEST_CASE("timeline: each year's samples follow the formula sample by sample, on any thread count", "[timeline]") {
  const Scenario s = test::scenario(k_growth);
  const Plan plan(s);
  EngineOptions eo;
  eo.seed = 11;
  eo.samples = 10000;
  eo.keep.assign(plan.series().size(), true);
  eo.threads = 1;
  const EngineOutput one = run_engine(plan, eo);
  eo.threads = 3;
  const EngineOutput three = run_engine(plan, eo);
  CHECK(one.columns == three.columns);
  const auto column = [&](const std::string& name, int year) {
    for (std::size_t i = 0; i < plan.series().size(); ++i) {
      const Series& ser = plan.series()[i];
      if (plan.variables()[ser.var].name == name && (ser.year < 0 ? year < 0 : plan.years()[ser.year] == year))
        return one.columns[i];
    }
    FAIL("no series " << name << " " << year);
    return std::vector<double>{};
  };
  const auto base = column("base", -1), rate = column("rate", -1);
  for (int y = 2022; y <= 2026; ++y) {
    const auto m = column("market", y);
    for (std::size_t i = 0; i < m.size(); i += 997) CHECK(m[i] == base[i] * std::pow(1 + rate[i], y - 2022));
  }
}

TEST_CASE("timeline: the result file holds N × T samples and per-year summaries matching them", "[timeline][results]") {
  const test::TempDir dir;
  RunOptions opt;
  opt.what.samples = 5000;
  opt.what.seed = 4;
  opt.what.output = (dir.path() / "g.h5").string();
  const RunSummary r = run_scenario(test::scenario(k_growth), opt);
  CHECK(read_dims(opt.what.output, "/samples/market") == std::vector<std::size_t>{5000, 5});
  CHECK(read_dims(opt.what.output, "/samples/double_base") == std::vector<std::size_t>{5000});
  CHECK(read_dataset(opt.what.output, "/summary/market/year") == std::vector<double>{2022, 2023, 2024, 2025, 2026});
  CHECK(read_dims(opt.what.output, "/summary/market/quantile") == std::vector<std::size_t>{5, 9});
  const std::vector<double> flat = read_samples(opt.what.output, "market");      // row-major: sample i, year t
  const std::vector<double> q = read_dataset(opt.what.output, "/summary/market/quantile");
  const std::vector<double> mean = read_dataset(opt.what.output, "/summary/market/mean");
  for (std::size_t t = 0; t < 5; ++t) {
    std::vector<double> col;
    for (std::size_t i = 0; i < 5000; ++i) col.push_back(flat[i * 5 + t]);
    const auto est = quantiles(col, k_report_probs);
    for (std::size_t k = 0; k < k_report_probs.size(); ++k) CHECK(q[t * 9 + k] == est[k].value);
    double sum = 0;
    for (const double x : col) sum += x;
    CHECK(mean[t] == Approx(sum / 5000).epsilon(1e-12));
  }
  // The table and the CSV label each year.
  std::size_t market_rows = 0;
  for (const auto& v : r.variables) market_rows += v.var.name == "market";
  CHECK(market_rows == 5);
  CHECK(r.variables.back().label() == "later[2026]");
}

namespace {

// Inputs drawn per year: independent shocks, a random walk and an ar1 process (σ = 0.1 each), and a growth path
// compounding the walk.
std::string yearly_scenario(int first, int last) {
  return fmt::format(R"toml([scenario]
name = "yearly"
years = [{}, {}]
[inputs]
start = {{ dist = "lognormal", median = 100, sigma = 0.1, source = "test" }}
noise = {{ dist = "normal", mean = 0, sd = 0.1, yearly = "independent", source = "test" }}
walk = {{ dist = "normal", mean = 0, sd = 0.1, yearly = "random_walk", source = "test" }}
ar = {{ dist = "normal", mean = 0, sd = 0.1, yearly = "ar1", phi = 0.6, source = "test" }}
[formulas]
market = "start * exp(walk)"
[outputs]
report = ["market"]
)toml",
                     first, last);
}

// Each series of `plan`'s run under seed 5, by variable name and calendar year.
std::map<std::pair<std::string, int>, std::vector<double>> yearly_columns(const Plan& plan, std::uint64_t n,
                                                                          unsigned threads) {
  EngineOptions eo;
  eo.seed = 5;
  eo.samples = n;
  eo.keep.assign(plan.series().size(), true);
  eo.threads = threads;
  const EngineOutput out = run_engine(plan, eo);
  std::map<std::pair<std::string, int>, std::vector<double>> by;
  for (std::size_t i = 0; i < plan.series().size(); ++i) {
    const Series& ser = plan.series()[i];
    by[{plan.variables()[ser.var].name, ser.year < 0 ? -1 : plan.years()[ser.year]}] = out.columns[i];
  }
  return by;
}

double mean_of(const std::vector<double>& x) {
  double m = 0;
  for (const double v : x) m += v;
  return m / static_cast<double>(x.size());
}
double variance_of(const std::vector<double>& x) {
  const double m = mean_of(x);
  double s = 0;
  for (const double v : x) s += (v - m) * (v - m);
  return s / static_cast<double>(x.size() - 1);
}
double correlation_of(const std::vector<double>& x, const std::vector<double>& y) {
  const double mx = mean_of(x), my = mean_of(y);
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxy / std::sqrt(sxx * syy);
}

}  // namespace

TEST_CASE("timeline: yearly inputs: fresh draws each year, a random walk's variance grows by σ² a year, ar1 settles",
          "[timeline][yearly]") {
  const Scenario s = test::scenario(yearly_scenario(2024, 2030));
  for (const auto& f : s.formulas) CHECK(f.timed);  // market reads the walk: timed
  const Plan plan(s);
  CHECK(plan.yearly_input(plan.index("walk")));
  CHECK_FALSE(plan.yearly_input(plan.index("start")));
  const std::uint64_t n = 40'000;
  const auto by = yearly_columns(plan, n, 2);
  const double sigma2 = 0.01, nn = static_cast<double>(n);
  // A sample variance's SE is about v·√(2/(n−1)) for normal draws; a correlation's about 1/√n. 4 SE each.
  const auto close_var = [&](double got, double want) { return std::abs(got - want) < 4 * want * std::sqrt(2 / (nn - 1)); };
  double ar_var = 0;
  for (int y = 2024; y <= 2030; ++y) {
    INFO("year " << y);
    const int t = y - 2024;
    const auto& noise = by.at({"noise", y});
    CHECK(std::abs(mean_of(noise)) < 4 * std::sqrt(sigma2 / nn));
    CHECK(close_var(variance_of(noise), sigma2));
    CHECK(close_var(variance_of(by.at({"walk", y})), sigma2 * (t + 1)));  // Σ of t + 1 independent draws
    ar_var = 0.36 * ar_var + sigma2;                                         // Var x_t = φ²·Var x_(t−1) + σ²
    CHECK(close_var(variance_of(by.at({"ar", y})), ar_var));
    if (y > 2024) {
      // Independent across years: the shocks of consecutive years are uncorrelated; the walk's steps too.
      CHECK(std::abs(correlation_of(noise, by.at({"noise", y - 1}))) < 4 / std::sqrt(nn));
      std::vector<double> step(n), before(n);
      for (std::size_t i = 0; i < n; ++i) {
        step[i] = by.at({"walk", y})[i] - by.at({"walk", y - 1})[i];
        before[i] = by.at({"walk", y - 1})[i];
      }
      CHECK(close_var(variance_of(step), sigma2));
      CHECK(std::abs(correlation_of(step, before)) < 4 / std::sqrt(nn));
      // ar1: corr(x_t, x_(t−1)) = φ·sd(x_(t−1))/sd(x_t), within 4 SE (≈ (1 − ρ²)/√n).
      const auto& ar = by.at({"ar", y});
      const auto& ar_before = by.at({"ar", y - 1});
      const double rho = 0.6 * std::sqrt(variance_of(ar_before) / variance_of(ar));
      CHECK(std::abs(correlation_of(ar, ar_before) - rho) < 4 * (1 - rho * rho) / std::sqrt(nn));
    }
    // Independent across samples: neighbouring samples are uncorrelated.
    std::vector<double> a(noise.begin(), noise.end() - 1), b(noise.begin() + 1, noise.end());
    CHECK(std::abs(correlation_of(a, b)) < 4 / std::sqrt(nn));
    // The formula compounds the walk sample by sample.
    const auto& market = by.at({"market", y});
    for (std::size_t i = 0; i < n; i += 4999) CHECK(market[i] == by.at({"start", -1})[i] * std::exp(by.at({"walk", y})[i]));
  }
  // The point path: every draw at its point (0) accumulates to 0; market's point is start's.
  CHECK(plan.evaluate_point(6)[plan.index("walk")] == 0);
  CHECK(plan.evaluate_point(6)[plan.index("market")] == Approx(100));
}

TEST_CASE("timeline: yearly inputs: adding years changes no draw of the years before, on any thread count",
          "[timeline][yearly][reproducibility]") {
  const Plan short_plan(test::scenario(yearly_scenario(2024, 2027)));
  const Plan long_plan(test::scenario(yearly_scenario(2024, 2032)));
  const auto a = yearly_columns(short_plan, 5000, 1), b = yearly_columns(long_plan, 5000, 3);
  for (const char* name : {"noise", "walk", "ar", "market"})
    for (int y = 2024; y <= 2027; ++y) {
      INFO(name << " " << y);
      CHECK(a.at({name, y}) == b.at({name, y}));
    }
  // Keyed by calendar year: an independent input's 2026 draws do not depend on where the timeline starts.
  const Plan later(test::scenario(yearly_scenario(2026, 2028)));
  CHECK(yearly_columns(later, 5000, 2).at({"noise", 2026}) == a.at({"noise", 2026}));
}

TEST_CASE("timeline: yearly inputs: misuse is a located error", "[timeline][yearly][errors]") {
  CHECK_THAT(error("[inputs]\nx = { dist = \"normal\", mean = 0, sd = 1, yearly = \"independent\" }\n"),
             Contains("test.toml:2:1") && Contains("drawn per year") && Contains("years = [first, last]"));
  CHECK_THAT(error("[scenario]\nyears = [2024, 2026]\n[inputs]\nx = { dist = \"normal\", mean = 0, sd = 1, yearly = \"randomwalk\" }\n"),
             Contains("[inputs.x.yearly]") && Contains("unknown yearly kind \"randomwalk\"") &&
                 Contains("did you mean `random_walk`?"));
  CHECK_THAT(error("[scenario]\nyears = [2024, 2026]\n[inputs]\nx = { dist = \"normal\", mean = 0, sd = 1, yearly = \"ar1\" }\n"),
             Contains("[inputs.x.phi]") && Contains("needs `phi`"));
  CHECK_THAT(error("[scenario]\nyears = [2024, 2026]\n[inputs]\nx = { dist = \"normal\", mean = 0, sd = 1, yearly = \"ar1\", phi = 1 }\n"),
             Contains("phi = 1") && Contains("|phi| < 1"));
  CHECK_THAT(error("[scenario]\nyears = [2024, 2026]\n[inputs]\nx = { dist = \"normal\", mean = 0, sd = 1, phi = 0.5 }\n"),
             Contains("[inputs.x.phi]") && Contains("has no `yearly` key"));
  CHECK_THAT(error("[scenario]\nyears = [2024, 2026]\n[inputs]\nx = { dist = \"normal\", mean = 0, sd = 1, yearly = \"independent\" }\n"
                   "y = { dist = \"normal\", mean = 0, sd = 1 }\n[correlations]\npairs = [[\"x\", \"y\", 0.5]]\n"),
             Contains("drawn per year") && Contains("correlations are between inputs drawn once per sample"));
  const test::TempDir dir;
  const std::string f = dir.write("y.toml", yearly_scenario(2024, 2026));
  const auto p = test::run_tamcarlo({"run", f, "-n", "1000", "--sobol"});
  CHECK(p.exit_code == 1);
  CHECK_THAT(p.err, Contains("--sobol") && Contains("draws `noise` per year"));
}
