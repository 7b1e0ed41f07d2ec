#include "sim/engine/plan.hpp"
#include "tests/support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>

using namespace tamcarlo;

namespace {

// Value of `expr` at the points of inputs a = 2, b = 3, c = -1.5.
double eval(const std::string& expr) {
  const Scenario s = test::scenario("[inputs]\na = 2\nb = 3\nc = -1.5\n[formulas]\ny = \"" + expr + "\"\n");
  const Plan plan(s);
  return plan.evaluate_point()[plan.index("y")];
}

}  // namespace

TEST_CASE("operators follow the documented precedence and associativity", "[formula]") {
  CHECK(eval("a + b * 2") == 8);
  CHECK(eval("(a + b) * 2") == 10);
  CHECK(eval("a - b - 1") == -2);
  CHECK(eval("12 / a / b") == 2);
  CHECK(eval("-a^2") == -4);
  CHECK(eval("a^b^2") == 512);
  CHECK(eval("2^-1") == 0.5);
  CHECK(eval("-c") == 1.5);
  CHECK(eval("1.5e3 + .5") == 1500.5);
}

TEST_CASE("comparisons give 1 or 0 and if() selects", "[formula]") {
  CHECK(eval("a < b") == 1);
  CHECK(eval("a >= b") == 0);
  CHECK(eval("a == 2") == 1);
  CHECK(eval("a != 2") == 0);
  CHECK(eval("if(a > b, 10, 20)") == 20);
  CHECK(eval("if(a <= b, 10, 20)") == 10);
}

TEST_CASE("built-in functions", "[formula]") {
  CHECK(eval("min(a, b, c)") == -1.5);
  CHECK(eval("max(a, b)") == 3);
  CHECK(eval("abs(c)") == 1.5);
  CHECK(eval("exp(0)") == 1);
  CHECK(eval("log(exp(a))") == Approx(2));
  CHECK(eval("sqrt(16)") == 4);
  CHECK(eval("pow(a, 10)") == 1024);
  CHECK(eval("clamp(b, 0, 2.5)") == 2.5);
  CHECK(eval("clamp(c, 0, 2.5)") == 0);
}

TEST_CASE("NaN propagates through min, max, comparisons and if()", "[formula]") {
  CHECK(std::isnan(eval("min(log(c), a)")));
  CHECK(std::isnan(eval("max(a, sqrt(c))")));
  CHECK(std::isnan(eval("log(c) < a")));
  CHECK(std::isnan(eval("if(sqrt(c), a, b)")));
  CHECK(std::isinf(eval("a / 0")));
}

TEST_CASE("formulas may reference formulas defined later in the file", "[formula]") {
  const Scenario s = test::scenario("[inputs]\nx = 4\n[formulas]\nz = \"y * 2\"\ny = \"x + 1\"\n");
  const Plan plan(s);
  CHECK(plan.evaluate_point()[plan.index("z")] == 10);
}

TEST_CASE("syntax errors point at the offending character", "[formula]") {
  const auto offset_of = [](const std::string& text) {
    try {
      (void)parse_formula(text);
    } catch (const FormulaError& e) {
      return static_cast<long>(e.offset());
    }
    return -1L;
  };
  CHECK(offset_of("a + ") == 4);
  CHECK(offset_of("a * (b + c") == 10);
  CHECK(offset_of("a b") == 2);
  CHECK(offset_of("2x") == 1);
  CHECK(offset_of("a < b < c") == 6);
  CHECK(offset_of("foo(1)") == 0);
  CHECK(offset_of("") == 0);
  CHECK_THROWS_WITH(parse_formula("lgo(a)"), Catch::Contains("did you mean `log`"));
  CHECK_THROWS_WITH(parse_formula("clamp(a, b)"), Catch::Contains("`clamp` takes 3 arguments, got 2"));
}

TEST_CASE("formulas: trigonometry, ln, log10, rounding, pi, e and ** evaluate as in <cmath>", "[formula]") {
  CHECK(eval("sin(pi / 2)") == 1);
  CHECK(eval("cos(0)") == 1);
  CHECK(eval("tan(pi / 4)") == Approx(1).epsilon(1e-15));
  CHECK(eval("ln(e)") == 1);
  CHECK(eval("ln(a)") == std::log(2.0));
  CHECK(eval("log10(1000)") == 3);
  CHECK(eval("floor(c)") == -2);
  CHECK(eval("ceil(c)") == -1);
  CHECK(eval("round(2.5)") == 3);  // halves away from zero
  CHECK(eval("round(c)") == -2);
  CHECK(eval("a ** b") == 8);
  CHECK(eval("a ** b ** 2") == 512);  // right-associative, as ^
  CHECK(eval("3 * a ** 2") == 12);    // binds tighter than *
  CHECK(eval("-a ** 2") == -4);
  // A variable named `e` or `pi` is the variable, not the constant.
  const Scenario s = test::scenario("[inputs]\ne = 5\n[formulas]\ny = \"e * pi\"\n");
  const Plan plan(s);
  CHECK(plan.evaluate_point()[plan.index("y")] == 5 * std::numbers::pi);
}
