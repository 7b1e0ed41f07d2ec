// Investments end to end: linked scenarios evaluated on the same samples, the failure probability,
// stress sets and --set beside the base, and every seed round of R1 §3 with its risk report.
#include "sim/io/results_file.hpp"
#include "sim/engine/plan_source.hpp"
#include "sim/run/run_scenario.hpp"
#include "tests/support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

using namespace tamcarlo;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

const std::string k_market = R"toml([scenario]
name = "mkt"
years = [2020, 2030]
[inputs]
base = { dist = "lognormal", median = 100, sigma = 0.2, source = "t" }
g = { dist = "normal", mean = 0.2, sd = 0.05, source = "t" }
[formulas]
market = "base * (1 + g)^(year - 2020)"
)toml";

const std::string k_investment = R"toml([scenario]
name = "inv"
[inputs]
exit_a = { dist = "uniform", min = 2024, max = 2030, source = "t" }
exit_b = { dist = "uniform", min = 2024, max = 2030, source = "t" }
p_fail = { value = 0.3, source = "t" }
u = { dist = "uniform", min = 0, max = 1, source = "t" }
[links.m_a]
file = "m.toml"
output = "market"
year = "exit_a"
[links.m_b]
file = "m.toml"
output = "market"
year = "exit_b"
[formulas]
proceeds = "if(u < p_fail, 0, m_a)"
moic = "moic(proceeds, 50)"
[risk.moic]
below = [1e-9]
[stress.bear]
"mkt.g" = { dist = "normal", mean = 0.05, sd = 0.05, source = "t" }
)toml";

}  // namespace

TEST_CASE("investment: a linked output is the linked formula at the bound year, on shared inputs", "[investment]") {
  const test::TempDir dir;
  (void)dir.write("m.toml", k_market);
  const Scenario s = load_scenario(dir.write("inv.toml", k_investment));
  // One set of the linked scenario's inputs, shared by both links.
  CHECK(std::count_if(s.inputs.begin(), s.inputs.end(), [](const Input& i) { return i.name == "mkt.base"; }) == 1);
  RunOptions opt;
  opt.what.samples = 20000;
  opt.what.output = (dir.path() / "inv.h5").string();
  const RunSummary r = run_scenario(s, opt);
  const auto base = read_samples(opt.what.output, "mkt.base"), g = read_samples(opt.what.output, "mkt.g");
  const auto ya = read_samples(opt.what.output, "exit_a"), yb = read_samples(opt.what.output, "exit_b");
  const auto ma = read_samples(opt.what.output, "m_a"), mb = read_samples(opt.what.output, "m_b");
  for (std::size_t i = 0; i < ma.size(); i += 499) {
    CHECK(ma[i] == base[i] * std::pow(1 + g[i], ya[i] - 2020));
    CHECK(mb[i] == base[i] * std::pow(1 + g[i], yb[i] - 2020));
  }
  // The file keeps the linked scenario's text.
  CHECK(read_string_attribute(opt.what.output, "/", "link_m_a_scenario") == k_market);
  // A failure probability p = 0.3 gives P(MOIC = 0) within 4 binomial standard errors of p.
  const auto& moic = *std::find_if(r.variables.begin(), r.variables.end(), [](const auto& v) { return v.var.name == "moic"; });
  REQUIRE(moic.risk);
  CHECK(std::fabs(moic.risk->thresholds[0].p.p - 0.3) < 4 * std::sqrt(0.3 * 0.7 / 20000));
}

TEST_CASE("investment: link mistakes are located errors", "[investment][errors]") {
  const test::TempDir dir;
  (void)dir.write("m.toml", k_market);
  const auto error = [&](const std::string& text) {
    try {
      (void)load_scenario(dir.write("bad.toml", text));
    } catch (const ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(error("[inputs]\ny = 2025\n[links.m]\nfile = \"m.toml\"\noutput = \"markt\"\nyear = \"y\"\n"),
             Contains("bad.toml:3:8") && Contains("[links.m.output]") && Contains("did you mean `market`"));
  CHECK_THAT(error("[inputs]\ny = 2025\n[links.m]\nfile = \"m.toml\"\noutput = \"market\"\n"),
             Contains("depends on the year") && Contains("year = \"...\""));
  CHECK_THAT(error("[inputs]\ny = 2025\n[links.m]\nfile = \"m.toml\"\noutput = \"market\"\nyear = \"yy\"\n"),
             Contains("[links.m.year]") && Contains("did you mean `y`"));
  CHECK_THAT(error("[inputs]\ny = 2025\n[risk.z]\nbelow = [1]\n"), Contains("[risk.z]") && Contains("not a variable"));
  CHECK_THAT(error("[inputs]\ny = { dist = \"uniform\", min = 0, max = 1 }\n[risk.y]\nlevels = [0.7]\n"),
             Contains("[risk.y.levels]") && Contains("(0, 0.5]"));
  CHECK_THAT(error("[inputs]\ny = 1\n[stress.bear]\nz = 2\n"),
             Contains("[stress.bear.z]") && Contains("not an input"));
}

TEST_CASE("cli: --stress and --set run beside the base on the same samples", "[investment][cli]") {
  const test::TempDir dir;
  (void)dir.write("m.toml", k_market);
  const std::string inv = dir.write("inv.toml", k_investment);
  const std::string out = (dir.path() / "inv.h5").string();
  const auto p = test::run_tamcarlo({"run", inv, "-n", "5000", "-o", out, "--store", "all", "--stress", "bear", "--set",
                                     "p_fail=0.5", "--set", "u=0.2 to 0.9"});
  REQUIRE(p.exit_code == 0);
  CHECK_THAT(p.out, Contains("stress `bear`") && Contains("stress `set`") && Contains("--set p_fail=0.5") &&
                        Contains("Δ mean") && Contains("P(moic < 1.00e-09): base"));
  // The stressed case is the scenario with the override, on the same seed: its samples equal a direct run.
  Scenario s = load_scenario(inv);
  const Plan plan(with_overrides(s, s.stresses[0].overrides));
  EngineOptions opt;
  opt.samples = 5000;
  opt.seed = k_default_seed;
  opt.keep.assign(plan.series().size(), true);
  const EngineOutput direct = run_engine(plan, opt);
  CHECK(read_dataset(out, "/stress/bear/samples/m_a") == direct.columns[plan.index("m_a")]);
  // Unchanged inputs keep their draws: exit_a is identical, so its paired difference is exactly 0.
  CHECK(read_dataset(out, "/stress/bear/samples/exit_a") == read_samples(out, "exit_a"));
  CHECK_THAT(read_string_attribute(out, "/stress/set", "overrides"), Contains("p_fail = constant(0.5)"));
  // Errors: an unknown stress (with a suggestion), a bad --set, --stress on a suite.
  const auto bad = test::run_tamcarlo({"run", inv, "-n", "100", "--stress", "baer"});
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Contains("--stress baer") && Contains("did you mean `bear`"));
  const auto bad_set = test::run_tamcarlo({"run", inv, "-n", "100", "--set", "p_fial=2"});
  CHECK(bad_set.exit_code == 1);
  CHECK_THAT(bad_set.err, Contains("did you mean `p_fail`"));
  const auto bad_law = test::run_tamcarlo({"run", inv, "-n", "100", "--set", "u=5 to 1"});
  CHECK(bad_law.exit_code == 1);
  CHECK_THAT(bad_law.err, Contains("--set u=5 to 1") && Contains("0 < LOW < HIGH"));
  CHECK(test::run_tamcarlo({"run", test::source_path("scenarios"), "--stress", "all", "-n", "100"}).exit_code == 1);
  CHECK(fs::directory_iterator(dir.path()) != fs::directory_iterator());
}

TEST_CASE("investment: every seed round of R1 §3 reports MOIC, P(loss), P(≥3×), CVaR and the share for 3×",
          "[investment][library]") {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(test::source_path("scenarios/investments")))
    files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  CHECK(files.size() == 8);  // seven rounds and the portfolio
  const test::TempDir dir;
  for (const auto& f : files) {
    INFO(f);
    const auto p = test::run_tamcarlo({"run", f, "-n", "20000", "--store", "none", "--json"}, dir.path());
    REQUIRE(p.exit_code == 0);
    if (f.find("portfolio") != std::string::npos) {
      CHECK_THAT(p.out, Contains("\"portfolio\":{\"irr\":{\"mean\"") && Contains("\"moic\":{\"mean\"") &&
                            Contains("\"cvar_contribution\"") && Contains("\"rank_correlation\""));
      continue;
    }
    CHECK_THAT(p.out, Contains("\"moic\":{") && Contains("\"irr\":{") && Contains("\"share_for_3x\":{") &&
                          Contains("\"risk\":{\"tails\":[{\"level\":0.05") && Contains("{\"below\":1.0,") &&
                          Contains("{\"at_least\":3.0,") && Contains("\"cvar\":"));
  }
}
