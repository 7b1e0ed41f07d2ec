// The timeline: `years` in [scenario], `year` in formulas, timed outputs as one series per year,
// stored N × T and summarized per year.
#include "sim/engine/plan_source.hpp"
#include "sim/io/results_file.hpp"
#include "sim/run/run_scenario.hpp"
#include "tests/support.hpp"

#include <catch2/catch.hpp>

#include <cmath>

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
  const auto error = [](const std::string& text) {
    try {
      (void)test::scenario(text);
    } catch (const ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
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
