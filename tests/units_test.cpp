// Units as dimensions: the mistakes a wrong unit makes are refused at validate, located, with both units and the fix;
// the same models written correctly (named conversions, an exchange-rate input) pass and compute the right number.
#include "sim/engine/plan.hpp"
#include "sim/lang/scenario.hpp"
#include "tests/support.hpp"

#include <catch2/catch.hpp>

using namespace tamcarlo;
using Catch::Contains;
using tamcarlo::test::error_of;

namespace {

// The value of formula `name` with every input at its point.
double point_of(const std::string& text, const std::string& name) {
  const Scenario s = test::scenario(text);
  const Plan plan(s);
  const std::vector<double> values = plan.evaluate_point(0);
  for (std::size_t v = 0; v < plan.variables().size(); ++v)
    if (plan.variables()[v].name == name) return values[v];
  FAIL("no variable " << name);
  return 0;
}

const std::string k_staff = "staff  = { value = 100, unit = \"people\" }\n";

}  // namespace

TEST_CASE("units: a monthly salary declared yearly is refused with the factor 12 and the conversion", "[units][errors]") {
  const std::string inputs = "[inputs]\n" + k_staff + "salary = { value = 5000, unit = \"USD/month\" }\n";
  const std::string e = error_of(inputs + "[formulas]\npool = { expr = \"staff * salary\", unit = \"USD/year\" }\n");
  CHECK_THAT(e, Contains("test.toml:5:18: error: [formulas.pool]") && Contains("declared unit = \"USD/year\"") &&
                    Contains("computes USD/month") && Contains("12× too small") && Contains("multiply by months_per_year") &&
                    Contains("or declare unit = \"USD/month\""));
  // Written with the conversion the message names: accepted, and 12 times the monthly pool.
  const std::string fixed = inputs + "[formulas]\npool = { expr = \"staff * salary * months_per_year\", unit = \"USD/year\" }\n";
  CHECK(error_of(fixed).empty());
  CHECK(point_of(fixed, "pool") == 100 * 5000 * 12.0);
  // Minutes and seconds, hours per year: the library's own conversions.
  CHECK_THAT(error_of("[inputs]\na = { value = 5, unit = \"min\" }\nb = { value = 20, unit = \"s\" }\n[formulas]\n"
                      "d = { expr = \"a - b / 60\", unit = \"min\" }\n"),
             Contains("[formulas.d]") && Contains("differ by a factor 0.0166667") && Contains("divide by seconds_per_minute"));
  CHECK(error_of("[inputs]\na = { value = 5, unit = \"min\" }\nb = { value = 20, unit = \"s\" }\n[formulas]\n"
                 "d = { expr = \"a - b / seconds_per_minute\", unit = \"min\" }\n")
            .empty());
}

TEST_CASE("units: people plus money is refused, naming both operands and their units", "[units][errors]") {
  const std::string e = error_of("[inputs]\n" + k_staff + "salary = { value = 5000, unit = \"USD/year\" }\n"
                                 "[formulas]\npool = \"staff + salary\"\n");
  CHECK_THAT(e, Contains("test.toml:5:17: error: [formulas.pool]") && Contains("`staff` (people)") &&
                    Contains("`salary` (USD/year)") && Contains("different kinds of quantity") && Contains("\"staff + salary\""));
}

TEST_CASE("units: two currencies need an exchange-rate input, and with one the sum is accepted and converted", "[units][errors]") {
  const std::string inputs = "[inputs]\nus = { value = 1e6, unit = \"USD\" }\ncn = { value = 7e6, unit = \"CNY\" }\n"
                             "usd_cny = { value = 7.2, unit = \"CNY/USD\" }\n";
  CHECK_THAT(error_of(inputs + "[formulas]\ntotal = \"us + cn\"\n"),
             Contains("[formulas.total]") && Contains("`us` (USD)") && Contains("`cn` (CNY)") && Contains("CNY/USD"));
  const std::string fixed = inputs + "[formulas]\ntotal = { expr = \"us * usd_cny + cn\", unit = \"CNY\" }\n";
  CHECK(error_of(fixed).empty());
  CHECK(point_of(fixed, "total") == Approx(14.2e6).epsilon(1e-12));
  // A declared unit in the other currency is refused too.
  CHECK_THAT(error_of(inputs + "[formulas]\ntotal = { expr = \"us * usd_cny\", unit = \"USD\" }\n"),
             Contains("declared unit = \"USD\"") && Contains("computes CNY"));
}

TEST_CASE("units: a conversion the wrong way round (a currency squared) is warned where the unit is not written",
          "[units]") {
  const auto warnings = [](const std::string& formulas) {
    std::string all;
    const std::string text = "[inputs]\nspend = { value = 1e9, unit = \"USD/year\", source = \"t\" }\n"
                             "usd_cny = { value = 7.2, unit = \"CNY/USD\", source = \"t\" }\n[formulas]\n" + formulas;
    for (const Warning& w : test::scenario(text).warnings) all += w.str() + "\n";
    return all;
  };
  CHECK_THAT(warnings("market = \"spend / usd_cny\"\n"),
             Contains("test.toml:5:11: warning: [formulas.market] \"spend / usd_cny\" works out to USD^2/CNY·year, USD "
                      "squared: a currency conversion the wrong way round?"));
  CHECK_THAT(warnings("cny = \"spend * usd_cny\"\nback = \"cny * usd_cny\"\n"), Contains("[formulas.back]") &&
                                                                              Contains("CNY squared"));
  // The right way round, a rate derived from two amounts, or the unit written (and then checked): nothing.
  for (const char* quiet : {"market = \"spend * usd_cny\"\n", "rate = \"spend * usd_cny / spend\"\n",
                            "v = { expr = \"spend * spend\", unit = \"USD^2/year^2\" }\n"}) {
    INFO(quiet);
    CHECK_THAT(warnings(quiet), !Contains("squared"));
  }
}

TEST_CASE("units: exp, ln and the trigonometric functions refuse an amount of money", "[units][errors]") {
  const std::string inputs = "[inputs]\nrevenue = { value = 1e6, unit = \"USD/year\" }\nbase = { value = 5e5, unit = \"USD/year\" }\n";
  CHECK_THAT(error_of(inputs + "[formulas]\ng = \"exp(revenue)\"\n"),
             Contains("test.toml:5:10:") && Contains("exp needs a dimensionless argument") && Contains("`revenue` (USD/year)"));
  CHECK_THAT(error_of(inputs + "[formulas]\ng = \"ln(revenue)\"\n"), Contains("dimensionless argument"));
  CHECK_THAT(error_of(inputs + "[formulas]\ng = \"sin(revenue)\"\n"), Contains("sin needs a dimensionless argument"));
  CHECK(error_of(inputs + "[formulas]\ng = \"ln(revenue / base)\"\n").empty());  // a ratio is a number
}

TEST_CASE("units: model functions declare what they take, and a growth rate per month over years is refused", "[units][errors]") {
  const std::string inputs = "[scenario]\nyears = [2024, 2026]\n[inputs]\nv0 = { value = 100, unit = \"USD/year\" }\n"
                             "g = { value = 0.02, unit = \"1/month\" }\ng_year = { value = 0.3, unit = \"1/year\" }\n";
  CHECK_THAT(error_of(inputs + "[formulas]\nv = \"project(v0, g, year - 2024)\"\n"),
             Contains("[formulas.v]") && Contains("project") && Contains("must be per the same period") && Contains("factor 12"));
  CHECK(error_of(inputs + "[formulas]\nv = { expr = \"project(v0, g_year, year - 2024)\", unit = \"USD/year\" }\n").empty());
  // An EV/revenue multiple times a yearly revenue is a value only when the multiple is in years.
  const std::string deal = "[inputs]\nrevenue = { value = 1e8, unit = \"USD/year\" }\ncheck = { value = 1e7, unit = \"USD\" }\n";
  CHECK_THAT(error_of(deal + "multiple = { value = 10 }\n[formulas]\nexit = { expr = \"revenue * multiple\", unit = \"USD\" }\n"),
             Contains("declared unit = \"USD\"") && Contains("computes USD/year") && Contains("further factor of year"));
  CHECK(error_of(deal + "multiple = { value = 10, unit = \"years\" }\n[formulas]\nexit = { expr = \"revenue * multiple\", unit = \"USD\" }\n"
                        "m = \"moic(exit * 0.1, check)\"\n")
            .empty());
}

TEST_CASE("units: a number without a unit is a share or a multiple, never the cause of a mismatch", "[units]") {
  // A share scales money; a literal and a unitless rate take the unit around them; a calendar year is a time.
  CHECK(error_of("[scenario]\nyears = [2024, 2030]\n[inputs]\n" + k_staff +
                 "salary = { value = 9e4, unit = \"CNY/year\" }\nshare = { value = 0.5 }\ngrowth = { value = 0.1 }\n"
                 "start = { value = 2024, format = \"year\" }\nspan = { value = 6, unit = \"years\" }\n[formulas]\n"
                 "market = { expr = \"staff * salary * share * (1 + growth)^(year - 2024)\", unit = \"CNY/year\" }\n"
                 "floor = { expr = \"max(market, 0)\", unit = \"CNY/year\" }\nexit = \"start + span\"\n")
            .empty());
}

TEST_CASE("units: scale words (万, 亿, million, kUSD) are scales: a figure in 万 declared in units is refused with the "
          "factor and the conversion", "[units][errors]") {
  // R1 §1.3.2 written as the report writes it: 2万 people at 7.5万 CNY a year.
  const std::string inputs = "[inputs]\nstaff = { value = 2, unit = \"万人\" }\nsalary = { value = 7.5, unit = \"万CNY/year\" }\n"
                             "[formulas]\n";
  CHECK_THAT(error_of(inputs + "pool = { expr = \"staff * salary\", unit = \"CNY/year\" }\n"),
             Contains("[formulas.pool]") && Contains("computes CNY/year (×1e+08)") && Contains("1e+08× too small") &&
                 Contains("multiply by yi"));  // 万 × 万 = 亿
  const std::string fixed = inputs + "pool = { expr = \"staff * wan * salary * wan\", unit = \"CNY/year\" }\n";
  CHECK(error_of(fixed).empty());
  CHECK(point_of(fixed, "pool") == 2e4 * 7.5e4);
  // Declared in 亿CNY/year, the report's own unit for the result: 15亿.
  const std::string in_yi = inputs + "pool = { expr = \"staff * salary\", unit = \"亿CNY/year\" }\n";
  CHECK(error_of(in_yi).empty());
  CHECK(point_of(in_yi, "pool") == 15);
  // A formula without a unit cancels the scales it multiplies out: salary × wan is in CNY/year.
  const Scenario s = test::scenario(inputs + "pool = \"salary * wan\"\nraw = \"salary * 2\"\n");
  CHECK(s.formulas[0].unit == "CNY/year");
  CHECK(s.formulas[1].unit == "万CNY/year");
  // 亿元 (元 is CNY) plus CNY: the factor and its conversion; a monthly figure in 万 both conversions.
  CHECK_THAT(error_of("[inputs]\na = { value = 3, unit = \"亿元\" }\nb = { value = 5e8, unit = \"CNY\" }\n[formulas]\n"
                      "c = \"a + b\"\n"),
             Contains("differ by a factor 1e-08") && Contains("divide by yi"));
  CHECK_THAT(error_of("[inputs]\nw = { value = 1, unit = \"万CNY/month\" }\n[formulas]\n"
                      "y = { expr = \"w * 2\", unit = \"CNY/year\" }\n"),
             Contains("120000× too small") && Contains("multiply by months_per_year and by wan"));
  // English: "USD million" and "MUSD" are one scale; kUSD times thousand is USD.
  CHECK(error_of("[inputs]\na = { value = 3, unit = \"USD million\" }\nb = { value = 5, unit = \"MUSD\" }\n"
                 "c0 = { value = 7, unit = \"kUSD\" }\n[formulas]\nc = \"a + b\"\n"
                 "d = { expr = \"c0 * thousand\", unit = \"USD\" }\n")
            .empty());
  CHECK_THAT(error_of("[inputs]\na = { value = 3, unit = \"USD bn\" }\nb = { value = 5, unit = \"USD\" }\n[formulas]\n"
                      "c = \"a + b\"\n"),
             Contains("differ by a factor 1e-09") && Contains("divide by billion"));
  // Not scales: a short prefix on a word that is not a currency (kWh, Tokens), a counted word alone.
  CHECK(error_of("[inputs]\na = { value = 3, unit = \"kWh\" }\nb = { value = 5, unit = \"Tokens\" }\n"
                 "c0 = { value = 1, unit = \"people\" }\n[formulas]\nc = \"a * b * c0 + 1\"\n")
            .empty());
}
