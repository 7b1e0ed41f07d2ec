// models/: closed forms, the reports' own arithmetic, edge cases and monotonicity.
#include "models/market.hpp"
#include "sim/engine/plan.hpp"
#include "tests/support.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace tamcarlo;
using namespace tamcarlo::models;

TEST_CASE("labor substitution and anchor extrapolation reproduce R1's worked figures", "[models]") {
  // R1 §1.3.1: 4.38万 staff × 8.4万 CNY × 50% ≈ 18.5亿 (the report rounds the wage pool to 37亿).
  CHECK(labor_substitution(43800, 84000, 0.5) == Approx(1.8396e9));
  // R1 §1.3.2: 2万 × 15.42万亿 / 8712亿 ≈ 35万 people.
  CHECK(headcount_by_ratio(20000, 15.42e12, 8.712e11) == Approx(353994.49).epsilon(1e-8));
  CHECK(spend_share(100, 0.5, 0.2) == Approx(10));
  CHECK(productivity_value(100, 100, 0.5) == Approx(5000));
  CHECK(funnel(1e9, 0.3, 0.1) == Approx(3e7));
}

TEST_CASE("CAGR and compound projection are inverse to each other", "[models]") {
  // R1 §1.4.1: AI pharma 10.4亿 USD (2022) → 29.94亿 USD (2026): implied CAGR ≈ 30.3%.
  const double r = cagr(10.4, 29.94, 4);
  CHECK(r == Approx(0.3026).margin(5e-4));
  CHECK(project(10.4, r, 4) == Approx(29.94));
  CHECK(cagr(100, 100, 5) == 0);
  CHECK(project(50, 0.1, 0) == 50);
  CHECK(std::isnan(cagr(0, 10, 4)));
  CHECK(std::isnan(cagr(10, -1, 4)));
  CHECK(std::isnan(cagr(10, 20, 0)));
  CHECK(std::isnan(project(10, -1.5, 2)));
}

TEST_CASE("interpolation passes through its two points and extrapolates linearly", "[models]") {
  CHECK(interpolate(2022, 2022, 10.4, 2026, 29.94) == 10.4);
  CHECK(interpolate(2026, 2022, 10.4, 2026, 29.94) == Approx(29.94));
  CHECK(interpolate(2024, 2022, 10, 2026, 30) == Approx(20));
  CHECK(interpolate(2028, 2022, 10, 2026, 30) == Approx(40));
  CHECK(std::isnan(interpolate(1, 2, 3, 2, 5)));
}

TEST_CASE("logistic S-curves: midpoint, bounds, monotonicity, and the curve through two dated points", "[models]") {
  CHECK(logistic(2025, 2025, 0.8, 1) == Approx(0.5));
  double previous = 0;
  for (double t = 2015; t <= 2040; t += 0.5) {
    const double y = logistic(t, 2025, 0.8, 0.9);
    CHECK(y > previous);
    CHECK(y < 0.9);
    previous = y;
  }
  // Gartner via R1 §1.1.2: under 10% of enterprise engineers in 2023, 75% by 2028.
  CHECK(logistic_through(2023, 2023, 0.10, 2028, 0.75, 1) == Approx(0.10));
  CHECK(logistic_through(2028, 2023, 0.10, 2028, 0.75, 1) == Approx(0.75));
  const double mid = logistic_through(2025.5, 2023, 0.10, 2028, 0.75, 1);
  CHECK(mid > 0.10);
  CHECK(mid < 0.75);
  CHECK(logistic_through(2050, 2023, 0.10, 2028, 0.75, 0.9) < 0.9);
  CHECK(std::isnan(logistic_through(2025, 2023, 0.10, 2028, 1.0, 1)));  // y must stay below the cap
  CHECK(std::isnan(logistic_through(2025, 2023, 0.10, 2023, 0.75, 1)));
  CHECK(std::isnan(logistic(1, 0, 0, 1)));
}

TEST_CASE("Bass diffusion solves its differential equation and saturates at m", "[models]") {
  const double p = 0.03, q = 0.38, m = 1e6;
  CHECK(bass_adoption(0, p, q, m) == 0);
  CHECK(bass_adoption(200, p, q, m) == Approx(m));
  // dF/dt = (p + q F/m)(m − F), integrated by RK4 with step 1e-3 to t = 5.
  double f = 0;
  const double h = 1e-3;
  const auto rate = [&](double x) { return (p + q * x / m) * (m - x); };
  for (int i = 0; i < 5000; ++i) {
    const double k1 = rate(f), k2 = rate(f + h / 2 * k1), k3 = rate(f + h / 2 * k2), k4 = rate(f + h * k3);
    f += h / 6 * (k1 + 2 * k2 + 2 * k3 + k4);
  }
  CHECK(bass_adoption(5, p, q, m) == Approx(f).epsilon(1e-9));
  CHECK(std::isnan(bass_adoption(1, 0, q, m)));
  CHECK(std::isnan(bass_adoption(-1, p, q, m)));
}

TEST_CASE("model functions are callable from formulas, with arity checked", "[models][formula]") {
  const Scenario s = test::scenario(R"toml(
[inputs]
v0 = 10.4
v1 = 29.94
[formulas]
rate = "cagr(v0, v1, 2026 - 2022)"
v2030 = "project(v1, rate, 4)"
adoption = "logistic_through(2026, 2023, 0.10, 2028, 0.75, 1)"
)toml");
  const Plan plan(s);
  const auto v = plan.evaluate_point();
  CHECK(v[plan.index("rate")] == Approx(cagr(10.4, 29.94, 4)));
  CHECK(v[plan.index("v2030")] == Approx(project(29.94, cagr(10.4, 29.94, 4), 4)));
  CHECK(v[plan.index("adoption")] == Approx(logistic_through(2026, 2023, 0.10, 2028, 0.75, 1)));
  CHECK_THROWS_WITH(test::scenario("[inputs]\na = 1\n[formulas]\ny = \"cagr(a, 2)\"\n"),
                    Catch::Contains("`cagr` takes 3 arguments, got 2"));
}
