// Sobol' indices against closed forms: the Ishigami function and a linear model. Tolerance: 4 SE (the SE
// from 50 replicate batches), i.e. within twice the reported 95% CI's half-width.
#include "sim/engine/sobol.hpp"
#include "tests/support.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace tamcarlo;

namespace {

SobolResult indices(const std::string& text, const std::string& output, std::uint64_t n, unsigned threads = 2) {
  const Scenario s = test::scenario(text);
  const Plan plan(s);
  std::vector<bool> wanted(plan.series().size(), false);
  wanted[plan.index(output)] = true;  // untimed: series index = variable index
  return sobol_indices(plan, 3, n, wanted, threads);
}

}  // namespace

TEST_CASE("sobol: Ishigami (a = 7, b = 0.1) indices match their exact values", "[sobol][statistical]") {
  const std::string text = R"TOML([inputs]
x1 = { dist = "uniform", min = -3.141592653589793, max = 3.141592653589793 }
x2 = { dist = "uniform", min = -3.141592653589793, max = 3.141592653589793 }
x3 = { dist = "uniform", min = -3.141592653589793, max = 3.141592653589793 }
[formulas]
y = "sin(x1) + 7 * sin(x2)^2 + 0.1 * x3^4 * sin(x1)"
)TOML";
  const SobolResult r = indices(text, "y", 200000);
  REQUIRE(r.outputs.size() == 1);
  REQUIRE(r.inputs.size() == 3);
  const double first[] = {0.3139, 0.4424, 0.0}, total[] = {0.5576, 0.4424, 0.2437};
  for (std::size_t i = 0; i < 3; ++i) {
    const SobolIndex& s = r.outputs[0].first[i];
    const SobolIndex& st = r.outputs[0].total[i];
    INFO("x" << i + 1 << ": S = " << s.index << " ± " << s.se << ", ST = " << st.index << " ± " << st.se);
    CHECK(std::fabs(s.index - first[i]) <= 4 * s.se);
    CHECK(std::fabs(st.index - total[i]) <= 4 * st.se);
    CHECK(s.se < 0.02);  // the design resolves the indices, not just covers them with wide intervals
  }
}

TEST_CASE("sobol: a linear model's indices are its squared standardized coefficients", "[sobol][statistical]") {
  const std::string text = R"TOML([inputs]
a = { dist = "normal", mean = 1, sd = 1 }
b = { dist = "normal", mean = 2, sd = 2 }
c = { dist = "uniform", min = 0, max = 6 }
k = 4
[formulas]
y = "2 * a + 1.5 * b - c + k"
)TOML";
  // Var = 4·1 + 2.25·4 + 1·3 = 16: S = (0.25, 0.5625, 0.1875), ST = S (no interactions).
  const SobolResult r = indices(text, "y", 100000);
  REQUIRE(r.inputs.size() == 3);  // the constant k has no index
  const double exact[] = {0.25, 0.5625, 0.1875};
  for (std::size_t i = 0; i < 3; ++i) {
    const SobolIndex& s = r.outputs[0].first[i];
    const SobolIndex& st = r.outputs[0].total[i];
    INFO("input " << i << ": S = " << s.index << " ± " << s.se << ", ST = " << st.index << " ± " << st.se);
    CHECK(std::fabs(s.index - exact[i]) <= 4 * s.se);
    CHECK(std::fabs(st.index - exact[i]) <= 4 * st.se);
  }
}

TEST_CASE("sobol: the indices do not depend on the thread count", "[sobol]") {
  const std::string text = "[inputs]\na = { dist = \"normal\", mean = 0, sd = 1 }\nb = { dist = \"gamma\", shape = 2, scale = 1 }\n"
                           "[formulas]\ny = \"a * b + a^2\"\n";
  const SobolResult one = indices(text, "y", 20000, 1), two = indices(text, "y", 20000, 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(one.outputs[0].first[i].index == two.outputs[0].first[i].index);
    CHECK(one.outputs[0].total[i].hi == two.outputs[0].total[i].hi);
  }
}

TEST_CASE("sobol: --sobol shows the indices in the table and writes them to the file and the report", "[sobol][cli]") {
  test::TempDir dir;
  const std::string f = dir.write("ishi.toml", R"TOML([scenario]
name = "ishigami"
[inputs]
x1 = { dist = "uniform", min = -3.141592653589793, max = 3.141592653589793, source = "test" }
x2 = { dist = "uniform", min = -3.141592653589793, max = 3.141592653589793, source = "test" }
x3 = { dist = "uniform", min = -3.141592653589793, max = 3.141592653589793, source = "test" }
[formulas]
y = "sin(x1) + 7 * sin(x2)^2 + 0.1 * x3^4 * sin(x1)"
)TOML");
  const std::string h5 = (dir.path() / "i.h5").string();
  const auto p = test::run_tamcarlo({"run", f, "-n", "50000", "--sobol", "-o", h5});
  REQUIRE(p.exit_code == 0);
  CHECK_THAT(p.out, Catch::Contains("Sobol' indices of y") && Catch::Contains("N = 50,000 → 250,000 model runs") &&
                        Catch::Contains(" x3 ") && Catch::Contains("an estimate below 0 or a CI wider than the index"));
  const auto dump = test::run_shell("h5ls -r " + h5);
  CHECK_THAT(dump.out, Catch::Contains("/summary/y/sobol/first ") && Catch::Contains("/summary/y/sobol/total_hi"));
  const auto r = test::run_tamcarlo({"report", h5, "--png"});
  REQUIRE(r.exit_code == 0);
  CHECK(std::filesystem::exists(dir.path() / "i-report" / "ishigami__y__sobol.png"));
  // Without --sobol, none of it.
  const auto plain = test::run_tamcarlo(
      {"run", f, "-n", "5000", "--store", "none", "--json", "-o", (dir.path() / "plain.h5").string()});
  CHECK_THAT(plain.out, !Catch::Contains("\"sobol\""));
}
