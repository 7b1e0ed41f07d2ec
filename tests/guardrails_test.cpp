// Guardrails: a share typed as a percentage (in an input, a constant, a --set or a stress), a growth rate typed as 30
// for 30%, an event --set to a constant and an event's unwritten base case are refused with the fix; [checks] and
// formulas' bounds are counted on every sample and reported (table, JSON, HDF5) with their probability, and --strict
// makes a violation exit 4.
#include "sim/engine/nonfinite.hpp"
#include "sim/engine/plan.hpp"
#include "sim/engine/plan_source.hpp"
#include "sim/io/results_file.hpp"
#include "sim/lang/scenario.hpp"
#include "sim/run/job.hpp"
#include "sim/stats/statistics.hpp"
#include "tests/support.hpp"

#include <boost/math/distributions/normal.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>

using namespace tamcarlo;
using Catch::Contains;
using Catch::StartsWith;
using tamcarlo::test::error_of;

namespace {

// Every lint warning of the scenario `text`, one a line.
std::string warnings_of(const std::string& text) {
  std::string all;
  for (const Warning& w : test::scenario(text).warnings) all += w.str() + "\n";
  return all;
}

std::string fs_text(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string write(const test::TempDir& dir, const std::string& name, const std::string& text) {
  const auto path = (dir.path() / name).string();
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("guardrails: a share typed as a percentage is refused, by format = percent and by bounds", "[guardrails][errors]") {
  const std::string law = "capture = { dist = \"pert\", min = 10, mode = 25, max = 50, ";
  const std::string by_format = error_of("[inputs]\n" + law + "format = \"percent\" }\n");
  CHECK_THAT(by_format, Contains("test.toml:2:1: error: [inputs.capture]") && Contains("format = \"percent\" makes it a share") &&
                            Contains("values 12.6–43.7 look like percentages") && Contains("did you mean 0.126–0.437"));
  const std::string by_bounds = error_of("[inputs]\n" + law + "bounds = [0, 1] }\n");
  CHECK_THAT(by_bounds, Contains("[inputs.capture]") && Contains("its bounds = [0, 1]") && Contains("did you mean 0.126–0.437"));
  // Typed as fractions, both pass; a law with a tail beyond the bounds does not.
  CHECK(error_of("[inputs]\ncapture = { dist = \"pert\", min = 0.1, mode = 0.25, max = 0.5, format = \"percent\" }\n").empty());
  CHECK_THAT(error_of("[inputs]\ns = { dist = \"normal\", mean = 0.1, sd = 0.1, bounds = [0, 1] }\n"),
             Contains("0.159 of its probability lies outside"));
  CHECK_THAT(error_of("[inputs]\ns = { dist = \"beta\", mean = 0.3, sd = 0.1, point = 1.5, bounds = [0, 1] }\n"),
             Contains("point 1.5 lies outside"));
  CHECK_THAT(error_of("[inputs]\ns = { value = 1, bounds = [2, 1] }\n"), Contains("[inputs.s.bounds]") && Contains("must lie below"));
}

TEST_CASE("guardrails: a share typed as a percentage with no format, bounds or unit gets a warning with the fraction", "[guardrails]") {
  const auto warnings = [](const std::string& input) { return warnings_of("[inputs]\n" + input + "\n"); };
  CHECK_THAT(warnings("automation_share = { dist = \"uniform\", min = 20, max = 30, source = \"t\" }"),
             Contains("[inputs.automation_share]") && Contains("named like a share or rate") &&
                 Contains("values run 20.1–29.9") && Contains("write the fraction (0.201–0.299)"));
  CHECK_THAT(warnings("adoption_rate = { dist = \"pert\", min = 5, mode = 20, max = 60, source = \"t\" }"),
             Contains("[inputs.adoption_rate]"));
  CHECK_THAT(warnings("stake_sold = { dist = \"uniform\", min = 10, max = 25, source = \"t\" }"),
             Contains("[inputs.stake_sold]") && Contains("named like a share or rate"));
  CHECK_THAT(warnings("market_capture = { dist = \"uniform\", min = 2, max = 8, source = \"t\" }"),
             Contains("[inputs.market_capture]"));
  // Not for fractions, for an input with a unit, bounds or format, nor for names that are not shares.
  CHECK(warnings("automation_share = { dist = \"uniform\", min = 0.2, max = 0.3, source = \"t\" }").empty());
  CHECK(warnings("churn = { dist = \"uniform\", min = 2, max = 30, unit = \"months\", source = \"t\" }").empty());
  CHECK(warnings("shareholders = { dist = \"uniform\", min = 20, max = 30, source = \"t\" }").empty());
  CHECK(warnings("headcount = { dist = \"uniform\", min = 20, max = 30, source = \"t\" }").empty());
  CHECK(warnings("share = { dist = \"uniform\", min = 20, max = 30, bounds = [0, 100], source = \"t\" }").empty());
}

TEST_CASE("guardrails: a unit that says share or percent does not silence the 100x check", "[guardrails]") {
  const auto warnings = [](const std::string& adoption, const std::string& formula) {
    const std::string text = "[inputs]\nadoption = { dist = \"uniform\", min = 20, max = 30, " + adoption +
                             ", source = \"t\" }\nmarket = { value = 1e9, unit = \"CNY\", source = \"t\" }\n"
                             "[formulas]\nm = \"" + formula + "\"\n[outputs]\nreport = [\"m\", \"market\"]\n";
    return warnings_of(text);
  };
  // unit = "share" (a fraction) with values 20-30: the input's warning, whatever its name.
  CHECK_THAT(warnings("unit = \"share\"", "market * adoption"),
             Contains("[inputs.adoption]") && Contains("has unit = \"share\", a fraction, but its values run 20.1–29.9") &&
                 Contains("write the fraction (0.201–0.299)"));
  CHECK_THAT(warnings("unit = \"Fraction\"", "market * adoption"), Contains("[inputs.adoption]"));
  // unit = "%": values in percent are meant, so each formula that multiplies or divides by one without / 100 is warned.
  for (const char* formula : {"market * adoption", "market / adoption", "-adoption * market"}) {
    INFO(formula);
    CHECK_THAT(warnings("unit = \"%\"", formula),
               Contains("[formulas.m]") && Contains("`adoption` has unit = \"%\", a label") &&
                   Contains("makes `m` 100× off") && Contains("write `adoption / 100` there"));
  }
  for (const char* formula : {"market * adoption / 100", "market * (adoption * 0.01)", "market / (adoption / 100)",
                              "if(adoption > 25, market, 0)", "adoption + 5", "adoption"}) {
    INFO(formula);
    CHECK(warnings("unit = \"percent\"", formula).empty());
  }
  // Through formulas: one that carries the percentage unscaled (a sum, a min, a multiple) is in percent too, and so is
  // one whose written unit is "%"; one that divides it by 100 is a fraction.
  const auto through = [](const std::string& formulas) {
    const std::string text = "[inputs]\nadoption = { dist = \"uniform\", min = 20, max = 30, unit = \"%\", source = \"t\" }\n"
                             "share = { dist = \"uniform\", min = 0.2, max = 0.3, source = \"t\" }\n"
                             "market = { value = 1e9, unit = \"CNY\", source = \"t\" }\n[formulas]\n" + formulas;
    return warnings_of(text);
  };
  CHECK_THAT(through("eff = \"adoption + 5\"\nm = \"market * min(eff, 28) * 2\"\n"),
             Contains("[formulas.m]") && Contains("`eff` is in percent (\"adoption + 5\" carries a value in percent") &&
                 Contains("makes `m` 100× off") && Contains("divide by 100 where the percentage enters `eff`"));
  CHECK_THAT(through("eff = \"adoption + 5\"\ntwice = \"max(eff, 10) * 2\"\nm = \"market * twice\"\n"),
             Contains("`twice` is in percent"));
  CHECK_THAT(through("shown = { expr = \"share * 100\", unit = \"%\" }\nm = \"market * shown\"\n"),
             Contains("`shown` has unit = \"%\", a label") && Contains("makes `m` 100× off"));
  for (const char* formulas : {"frac = \"adoption / 100\"\nm = \"market * frac\"\n",
                               "eff = \"adoption + 5\"\nm = \"market * eff * 0.01\"\n",
                               "eff = \"adoption + 5\"\nm = \"if(eff > 25, market, 0)\"\n"}) {
    INFO(formulas);
    CHECK(through(formulas).find("100× off") == std::string::npos);
  }
  // (`adoption * share` is itself reported, at `mixed`, not again through it.)
  const std::string mixed = through("mixed = \"adoption * share\"\nm = \"market * mixed\"\n");
  CHECK_THAT(mixed, Contains("[formulas.mixed]"));
  CHECK(mixed.find("[formulas.m]") == std::string::npos);
  // Other units (people, months) are counts and times: left alone.
  CHECK(warnings("unit = \"people\"", "market * adoption").empty());
  CHECK(warnings("unit = \"months\"", "market * adoption").find("100×") == std::string::npos);
}

TEST_CASE("guardrails: a fraction divided by 100 again is warned at the formula", "[guardrails]") {
  const auto warnings = [](const std::string& share, const std::string& formula) {
    return warnings_of("[inputs]\nspend = { value = 1e9, unit = \"CNY\", source = \"t\" }\n" + share +
                       "\n[formulas]\nm = \"" + formula + "\"\n");
  };
  const std::string named = "ai_share = { dist = \"beta\", mean = 0.25, sd = 0.05, source = \"t\" }";
  CHECK_THAT(warnings(named, "spend * ai_share / 100"),
             Contains("[formulas.m] `ai_share` is named like a share or rate and runs 0.145–0.375 (P1–P99)") &&
                 Contains("divides it by 100 again, which makes `m` 100× too small") &&
                 Contains("drop the division by 100"));
  // However it is known to be a fraction: its format, its unit, its standard beta law; a growth in a power; a divisor.
  CHECK_THAT(warnings("x = { dist = \"uniform\", min = 0.2, max = 0.3, format = \"percent\", source = \"t\" }",
                      "spend * x * 0.01"), Contains("`x` has format = \"percent\""));
  CHECK_THAT(warnings("x = { dist = \"uniform\", min = 0.2, max = 0.3, unit = \"share\", source = \"t\" }",
                      "spend * x / 100"), Contains("`x` has unit = \"share\""));
  CHECK_THAT(warnings("x = { dist = \"beta\", alpha = 2, beta = 5, source = \"t\" }", "spend * x / 100"),
             Contains("`x` is a beta(alpha=2, beta=5) on [0, 1]"));
  CHECK_THAT(warnings("cagr = { value = 0.3, source = \"t\" }", "spend * (1 + cagr / 100)^5"),
             Contains("`cagr` is named like a share or rate and is 0.3"));
  CHECK_THAT(warnings(named, "spend / (ai_share / 100)"), Contains("`ai_share`"));
  // A formula in percent format, read by another.
  CHECK_THAT(warnings_of("[inputs]\nspend = { value = 1e9, unit = \"CNY\", source = \"t\" }\n[formulas]\n"
                         "a = { expr = \"0.1 + 0.2\", format = \"percent\" }\nm = \"spend * a / 100\"\n"),
             Contains("[formulas.m] `a` has format = \"percent\""));
  // What is not 100× off: the fraction used as it is, a ×100 the division undoes, a /100 on another factor's side,
  // a value in percent (unit "%"), a quantity that is not a fraction (a count, values beyond 1).
  for (const char* formula : {"spend * ai_share", "spend * (ai_share * 100) / 100", "spend / 100 * ai_share",
                              "if(ai_share > 0.3, spend / 100, spend)"}) {
    INFO(formula);
    CHECK(warnings(named, formula).empty());
  }
  CHECK(warnings("x = { dist = \"uniform\", min = 20, max = 30, unit = \"%\", source = \"t\" }", "spend * x / 100").empty());
  CHECK(warnings("x = { dist = \"uniform\", min = 0.2, max = 0.3, unit = \"people\", source = \"t\" }",
                 "spend * x / 100").empty());
  CHECK(warnings("growth = { dist = \"uniform\", min = 0.5, max = 3, source = \"t\" }", "spend * growth / 100").empty());
}

TEST_CASE("guardrails: a figure its source writes with a scale word, typed without it, is warned", "[guardrails]") {
  const auto warnings = [](const std::string& input) { return warnings_of("[inputs]\n" + input + "\n"); };
  CHECK_THAT(warnings("salary = { dist = \"lognormal\", median = 7.5, sigma = 0.15, unit = \"CNY/year\", "
                      "source = \"R1 §1.3.2: average salary 7.5万\" }"),
             Contains("[inputs.salary] `salary`'s source writes \"7.5万\" (75000), and its point is 7.5") &&
                 Contains("10000× too small; write 75000") && Contains("(unit = \"万CNY/year\")"));
  CHECK_THAT(warnings("staff = { dist = \"triangular\", min = 2, mode = 2.2, max = 2.6, unit = \"people\", "
                      "source = \"R1 §1.3.2: over 2万 (2024)\" }"),
             Contains("writes \"2万\" (20000), and its lowest value is 2"));
  CHECK_THAT(warnings("post_money = { value = 850, unit = \"USD\", source = \"a $850M valuation\" }"),
             Contains("writes \"850M\" (8.5e+08), and its value is 850") && Contains("1e+06× too small"));
  CHECK_THAT(warnings("check = { value = 1.5, unit = \"USD\", source = \"Series C, 1.5 billion\" }"),
             Contains("writes \"1.5 billion\""));
  // Not when the number is the scaled figure, the unit carries the scale, the number is part of a word or a section
  // number, or the letter begins a word (5 Mbps).
  for (const char* quiet :
       {"salary = { dist = \"lognormal\", median = 75000, sigma = 0.15, unit = \"CNY/year\", source = \"7.5万\" }",
        "salary = { dist = \"lognormal\", median = 7.5, sigma = 0.15, unit = \"万CNY/year\", source = \"7.5万\" }",
        "x = { value = 2, source = \"R1 §1.2万 and p2万\" }", "speed = { value = 5, source = \"5 Mbps\" }",
        "years = { dist = \"pert\", min = 3, mode = 5, max = 10, source = \"raised 5亿\" }"}) {
    INFO(quiet);
    CHECK(warnings(quiet).empty());
  }
}

TEST_CASE("guardrails: a constant share typed as a percentage gets the same warning", "[guardrails]") {
  const auto warnings = [](const std::string& input) { return warnings_of("[inputs]\n" + input + "\n"); };
  CHECK_THAT(warnings("automation_share = { value = 50, source = \"t\" }"),
             Contains("[inputs.automation_share]") && Contains("is named like a share or rate but is 50 with no unit") &&
                 Contains("write the fraction (0.5)"));
  CHECK_THAT(warnings("take = { value = 30, unit = \"share\", source = \"t\" }"),
             Contains("has unit = \"share\", a fraction, but is 30"));
  // A whole share (1), a fraction, a value with bounds or another unit: no warning.
  for (const char* input : {"automation_share = { value = 1, source = \"t\" }", "automation_share = { value = 0.5, source = \"t\" }",
                            "automation_share = { value = 50, bounds = [0, 100], source = \"t\" }",
                            "churn_rate = { value = 12, unit = \"months\", source = \"t\" }"}) {
    INFO(input);
    CHECK(warnings(input).empty());
  }
}

TEST_CASE("guardrails: a --set or a stress keeps the input's bounds and refuses a share typed as a percentage", "[guardrails][errors]") {
  const Scenario s = test::scenario(
      "[inputs]\nmarket = { value = 1e9, unit = \"CNY\", source = \"t\" }\n"
      "bounded = { dist = \"uniform\", min = 0.2, max = 0.3, bounds = [0, 1], source = \"t\" }\n"
      "pct = { dist = \"uniform\", min = 0.2, max = 0.3, format = \"percent\", source = \"t\" }\n"
      "take_share = { dist = \"normal\", mean = 0.25, sd = 0.02, source = \"t\" }\n"
      "taken = { dist = \"beta\", alpha = 10, beta = 10, source = \"t\" }\n"
      "growth = { dist = \"normal\", mean = 0.2, sd = 0.05, unit = \"1/year\", source = \"t\" }\n"
      "people = { dist = \"uniform\", min = 0.2, max = 0.3, source = \"t\" }\n"
      "[formulas]\nm = \"market * bounded * pct * take_share * taken * (1 + growth) * people\"\n");
  const auto refusal = [&](const std::string& spec) {
    try {
      (void)parse_override(spec, s);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  // The input's bounds (written, or implied by format = "percent") hold for a replacement.
  CHECK_THAT(refusal("bounded=25"), Contains("--set bounded=25: 25 lies outside `bounded`'s bounds = [0, 1]") &&
                                        Contains("did you mean 0.25?") && Contains("keeps its input's bounds"));
  CHECK_THAT(refusal("pct=25"), Contains("format = \"percent\" makes it a share") && Contains("did you mean 0.25?"));
  CHECK_THAT(refusal("bounded=20 to 30"), Contains("leaves `bounded`'s bounds = [0, 1]") && Contains("did you mean 0.184–0.326"));
  CHECK_THAT(refusal("bounded=1.2"), Contains("1.2 lies outside `bounded`'s bounds"));
  // Without bounds: a share by its name or its standard beta law, replaced by values in [1, 100] at least 20× its median.
  CHECK_THAT(refusal("take_share=25"), Contains("`take_share` is a fraction") && Contains("25 is 100× its median") &&
                                           Contains("did you mean 0.25?") && Contains("bounds = [0, 100]"));
  CHECK_THAT(refusal("take_share=20 to 30"), Contains("did you mean 0.184–0.326 (each number / 100)?"));
  CHECK_THAT(refusal("taken=50"), Contains("`taken` is a fraction (beta(alpha=10, beta=10)") && Contains("did you mean 0.5?"));
  CHECK_THAT(refusal("growth=30"), Contains("30 is 150× its median") && Contains("did you mean 0.3?"));
  // What passes: fractions; growth 0.2 stressed to 2 (10×: 200% is a stress one may mean); a quantity that is not a
  // share by name, unit or law; a replacement that states its own bounds.
  for (const char* spec : {"bounded=0.5", "pct=0.3 to 0.5", "take_share=0.3", "taken=0.5", "growth=2", "people=25",
                           "take_share={ value = 25, bounds = [0, 100] }", "bounded={ value = 25, bounds = [0, 100] }"}) {
    INFO(spec);
    CHECK(refusal(spec).empty());
  }
  // A replacement with its own bounds runs with them.
  const Input own = parse_override("bounded={ value = 25, bounds = [0, 100] }", s);
  REQUIRE(own.bounds);
  CHECK(with_overrides(s, {own}).inputs.at(1).bounds->hi == 100);
  // A stress in the file is refused the same way, at its key.
  CHECK_THAT(error_of("[inputs]\ntake_share = { dist = \"normal\", mean = 0.25, sd = 0.02, source = \"t\" }\n"
                      "[stress.typo]\ntake_share = 25\n"),
             Contains("test.toml:4:1: error: [stress.typo.take_share]") && Contains("did you mean 0.25?"));
  CHECK_THAT(error_of("[inputs]\nx = { dist = \"uniform\", min = 0.2, max = 0.3, bounds = [0, 1], source = \"t\" }\n"
                      "[stress.up]\nx = { dist = \"uniform\", min = 20, max = 30 }\n"),
             Contains("[stress.up.x]") && Contains("leaves `x`'s bounds = [0, 1]"));
  // From the command line: exit 1, nothing run, on the shipped scenario whose share is a beta.
  const auto p = test::run_tamcarlo({"run", test::source_path("scenarios/cells/cs_ecommerce.toml"), "--point", "--set",
                                     "automation_share=50"});
  CHECK(p.exit_code == 1);
  CHECK_THAT(p.err, Contains("`automation_share` is a fraction") && Contains("did you mean 0.5?"));
}

TEST_CASE("guardrails: a monthly figure replacing a yearly input (or the reverse) gets a warning", "[guardrails]") {
  const Scenario s = test::scenario(
      "[inputs]\nsalary = { dist = \"lognormal\", median = 75000, sigma = 0.15, unit = \"CNY/year\", source = \"t\" }\n"
      "rent = { dist = \"normal\", mean = 2000, sd = 100, unit = \"USD/month\", source = \"t\" }\n"
      "growth = { dist = \"normal\", mean = 0.24, sd = 0.02, unit = \"1/year\", source = \"t\" }\n"
      "staff = { dist = \"uniform\", min = 100, max = 200, unit = \"people\", source = \"t\" }\n"
      "[formulas]\na = \"salary * 2\"\nb = \"rent * 2\"\nc = \"growth * 2\"\nd = \"staff * 2\"\n");
  const auto warned = [&](const std::string& spec) {
    std::string all;
    for (const Warning& w : set_warnings(s, {spec})) all += w.str() + "\n";
    return all;
  };
  CHECK_THAT(warned("salary=6250"), Contains("--set salary=6250: warning: [set.salary]") &&
                                        Contains("`salary` is in CNY/year") && Contains("about 1/12 of the input's (75000)") &&
                                        Contains("multiply it by 12 (75000)"));
  CHECK_THAT(warned("salary=5000 to 7500"), Contains("[set.salary]"));
  CHECK_THAT(warned("rent=24000"), Contains("`rent` is in USD/month") && Contains("about 12× the input's (2000)") &&
                                       Contains("divide it by 12 (2000)"));
  CHECK_THAT(warned("growth=0.02"), Contains("`growth` is in 1/year"));  // a monthly rate for a yearly one
  // A figure in 万 (R1's 7.5万) or in thousands typed as a number, for any input with a unit.
  CHECK_THAT(warned("salary=7.5"), Contains("[set.salary]") && Contains("about 1/10000 of the input's (75000)") &&
                                       Contains("a figure in 万 typed as a number") && Contains("multiply it by 10000 (75000)"));
  CHECK_THAT(warned("salary=7 to 8"), Contains("a figure in 万"));
  CHECK_THAT(warned("staff=0.15"), Contains("`staff` is in people") && Contains("a figure in thousands (k)"));
  // A stress that is not about 12× off, or an input that is not per year or month: none.
  for (const char* spec : {"salary=70000", "salary=30000", "rent=2500", "staff=10", "salary=20", "staff=0.5"}) {
    INFO(spec);
    CHECK(warned(spec).empty());
  }
  // A [stress] set in the file: a warning at its key, with the scenario's.
  const std::string file = warnings_of("[inputs]\nrent = { dist = \"normal\", mean = 2000, sd = 100, unit = \"USD/month\", "
                                      "source = \"t\" }\n[stress.typo]\nrent = 24000\n");
  CHECK_THAT(file, Contains("test.toml:4:1: warning: [stress.typo.rent]") && Contains("about 12×"));
  // From the command line: printed, and the run goes on.
  const test::TempDir dir;
  const auto p = test::run_tamcarlo({"run", test::source_path("scenarios/cells/cs_ecommerce.toml"), "-n", "2000", "--set",
                                     "salary=6250", "-o", (dir.path() / "w.h5").string()});
  CHECK(p.exit_code == 0);
  CHECK_THAT(p.err, Contains("--set salary=6250: warning: [set.salary]") && Contains("multiply it by 12"));
}

TEST_CASE("guardrails: a growth rate typed as 30 for 30% is refused with the fraction it meant", "[guardrails][errors]") {
  const std::string e = error_of("[inputs]\ngrowth = { dist = \"normal\", mean = 30, sd = 5, unit = \"1/year\", format = \"percent\" }\n");
  CHECK_THAT(e, Contains("[inputs.growth]") && Contains("did you mean 0.184–0.416"));
  // A growth rate that may be negative states its own bounds.
  CHECK(error_of("[inputs]\ngrowth = { dist = \"normal\", mean = 0.1, sd = 0.2, unit = \"1/year\", format = \"percent\", "
                 "bounds = [-1, inf] }\n")
            .empty());
}

TEST_CASE("guardrails: an event --set to a constant is refused with the form that changes its probability", "[guardrails][errors]") {
  const std::string augment = test::source_path("scenarios/investments/augment.toml");
  const auto p = test::run_tamcarlo({"run", augment, "-n", "2000", "--set", "failed=0.4"});
  CHECK(p.exit_code == 1);
  CHECK_THAT(p.err, Contains("`failed` is an event") && Contains("0.4 is not one of its values, 0 and 1") &&
                        Contains("failed.p=0.4"));
  // The form it names runs, and raises the loss probability (paired samples: more failures, never fewer).
  const test::TempDir dir;
  const auto q = test::run_tamcarlo({"run", augment, "-n", "20000", "--seed", "5", "--set", "failed.p=0.4", "--json", "-o",
                                     (dir.path() / "a.h5").string()});
  REQUIRE(q.exit_code == 0);
  const auto j = nlohmann::json::parse(q.out.substr(0, q.out.find('\n')));
  const auto& set = j.at("stresses").at(0);
  CHECK(set.at("overrides").at(0).get<std::string>() == "failed = bernoulli(p=0.4)");
  CHECK(set.at("run").at("variables").at("failed").at("mean").get<double>() >
        j.at("variables").at("failed").at("mean").get<double>());
  // A parameter the law does not have, and a formula, are named.
  CHECK_THAT(test::run_tamcarlo({"run", augment, "--point", "--set", "failed.q=0.4"}).err,
             Contains("`q` is not a parameter") && Contains("did you mean `p`"));
  CHECK_THAT(test::run_tamcarlo({"run", augment, "--point", "--set", "exit_value=3"}).err, Contains("`exit_value` is a formula"));
  // A count takes whole numbers (here in a stress set, which is read the same way).
  CHECK_THAT(error_of("[inputs]\ndeals = { dist = \"poisson\", mean = 3 }\n[stress.more]\ndeals = 2.5\n"),
             Contains("[stress.more.deals]") && Contains("is a count") && Contains("deals.mean=2.5"));
}

TEST_CASE("guardrails: an event that if() branches on needs its base case written, and a stress changes only its p", "[guardrails][errors]") {
  const std::string inputs = "[inputs]\nvalue = { value = 100, unit = \"USD\" }\n";
  const std::string e = error_of(inputs + "failed = { dist = \"bernoulli\", p = 0.6 }\n[formulas]\nv = \"if(failed, 0, value)\"\n");
  CHECK_THAT(e, Contains("test.toml:5:9: error: [formulas.v]") && Contains("`failed` is an event") &&
                    Contains("add point = 0") && Contains("its median, 1, is taken otherwise"));
  const Scenario s = test::scenario(inputs + "failed = { dist = \"bernoulli\", p = 0.3, point = 0 }\n[formulas]\n"
                                    "v = \"if(failed, 0, value)\"\n[stress.bear]\nfailed = { p = 0.6 }\n");
  REQUIRE(s.stresses.size() == 1);
  const Input& bear = s.stresses[0].overrides.at(0);
  CHECK(std::get<Bernoulli>(bear.dist).p == 0.6);
  CHECK(bear.point == 0);  // the base table's point, kept
  CHECK_THAT(error_of(inputs + "failed = { dist = \"bernoulli\", p = 0.3, point = 0 }\n[stress.bear]\nfailed = 0.5\n"),
             Contains("[stress.bear.failed]") && Contains("failed.p=0.5"));
}

TEST_CASE("guardrails: a violated check and a formula leaving its bounds are counted in every sample and reported", "[guardrails]") {
  // x ~ N(0, 1): the check x <= 1 fails with probability 1 − Φ(1) and y = x leaves [−1, inf] with Φ(−1), both 0.158655.
  const test::TempDir dir;
  const std::string file = write(dir, "c.toml",
                                 "[scenario]\nname = \"c\"\n[inputs]\nx = { dist = \"normal\", mean = 0, sd = 1, source = \"t\" }\n"
                                 "[formulas]\ny = { expr = \"x\", bounds = [-1, inf] }\n[checks]\nx_small = \"x <= 1\"\n"
                                 "always = \"x < 100\"\n[outputs]\nreport = [\"y\"]\n");
  const std::string out = (dir.path() / "c.h5").string();
  const std::uint64_t n = 200000;
  const auto p = test::run_tamcarlo({"run", file, "-n", std::to_string(n), "--seed", "3", "-o", out, "--json"});
  REQUIRE(p.exit_code == 0);
  const double exact = boost::math::cdf(boost::math::normal(), -1.0);
  const double se = std::sqrt(exact * (1 - exact) / static_cast<double>(n));
  const auto j = nlohmann::json::parse(p.out.substr(0, p.out.find('\n')));
  const auto& checks = j.at("checks");
  for (const char* key : {"check.x_small", "bounds.y"}) {
    INFO(key);
    const double pv = checks.at(key).at("p_violated").get<double>();
    CHECK(std::fabs(pv - exact) < 4 * se);  // within 4 binomial SE
    CHECK(checks.at(key).at("violations").get<double>() == std::round(pv * static_cast<double>(n)));
    CHECK(checks.at(key).at("p_violated_ci").at(0).get<double>() < pv);
    CHECK(checks.at(key).at("p_violated_ci").at(1).get<double>() > pv);
  }
  CHECK(checks.at("check.always").at("violations") == 0);
  CHECK(checks.at("bounds.y").at("condition") == "y >= -1");
  CHECK_FALSE(j.at("variables").contains("check.x_small"));  // a check is not a variable
  CHECK_THAT(p.err, Contains("warning: check x_small `x <= 1` is violated in") && Contains("warning: bounds of y `y >= -1`"));
  CHECK_THAT(p.err, !Contains("always"));
  // The result file: the check's summary with its kind and condition; its mean is the probability.
  CHECK(read_string_attribute(out, "/summary/check.x_small", "kind") == "check");
  CHECK(read_string_attribute(out, "/summary/check.x_small", "condition") == "x <= 1");
  CHECK(std::fabs(read_number_attribute(out, "/summary/check.x_small", "mean") - exact) < 4 * se);
  // The table.
  const auto t = test::run_tamcarlo({"run", file, "-n", "20000", "-o", out, "--force"});
  CHECK_THAT(t.out, Contains("checks (violated in how many samples") && Contains("x_small") && Contains("VIOLATED") &&
                        Contains("y bounds"));
  // --strict: exit 4, the result written all the same.
  std::filesystem::remove(out);
  const auto strict = test::run_tamcarlo({"run", file, "-n", "20000", "-o", out, "--strict"});
  CHECK(strict.exit_code == 4);
  CHECK_THAT(strict.err, Contains("2 checks violated (--strict)"));
  CHECK(std::filesystem::exists(out));
}

TEST_CASE("guardrails: a formula whose range lies wholly outside its bounds is refused at validate", "[guardrails][errors]") {
  const std::string inputs = "[inputs]\npool = { dist = \"uniform\", min = 1e9, max = 2e9 }\n"
                             "capture = { dist = \"pert\", min = 10, mode = 25, max = 50 }\n"
                             "growth = { dist = \"normal\", mean = 30, sd = 5, bounds = [-inf, inf] }\n[formulas]\n";
  // A share computed from a percentage: [10, 50] by interval arithmetic, none of it in [0, 1].
  CHECK_THAT(error_of(inputs + "share = { expr = \"capture / 1\", format = \"percent\" }\nm = \"pool * share\"\n"),
             Contains("test.toml:6:") && Contains("[formulas.share]") && Contains("takes values in [10, 50]") &&
                 Contains("within its bounds [0, 1]") && Contains("a share written as a percentage? divide by 100"));
  // Through several formulas and functions: min(capture, 60) * 2 is in [20, 100], bounds [0, 5].
  CHECK_THAT(error_of(inputs + "twice = \"min(capture, 60) * 2\"\nr = { expr = \"twice + 0\", bounds = [0, 5] }\n"),
             Contains("[formulas.r]") && Contains("takes values in [20, 100]") && Contains("within its bounds [0, 5]"));
  // No false alarm: a range that meets the bounds (a normal's tail reaches any bound) is left to the run's counts,
  // and so is a division whose divisor can be 0.
  CHECK(error_of(inputs + "g = { expr = \"growth / 100\", bounds = [-1, 1] }\n").empty());
  CHECK(error_of(inputs + "g = { expr = \"growth\", bounds = [-1, 1] }\n").empty());
  CHECK(error_of(inputs + "q = { expr = \"capture / (growth - 30)\", bounds = [0, 1] }\n").empty());
  // A divisor that reaches 0 from one side makes the ratio one-sided: u = pool/1e9 − 1 is in [0, 1], so 10 / u is in
  // [10, ∞), none of it in [0, 1].
  const std::string u = inputs + "u = \"pool / 1e9 - 1\"\n";
  CHECK_THAT(error_of(u + "q = { expr = \"10 / u\", bounds = [0, 1] }\n"),
             Contains("[formulas.q]") && Contains("takes values in [10, inf]"));
  CHECK(error_of(u + "q = { expr = \"10 / u\", bounds = [0, 11] }\n").empty());
}

TEST_CASE("guardrails: an input with no finite mean (or a one-sided tail with no sd) is named with what it reaches",
          "[guardrails]") {
  const auto warnings = [](const std::string& input, const std::string& formula = "v = \"x * 2\"",
                           const std::string& report = "[\"v\"]") {
    return warnings_of("[inputs]\n" + input + "\n[formulas]\n" + formula + "\n[outputs]\nreport = " + report + "\n");
  };
  // A lower-bounded metalog through an expert's wide range: on ln x the three points give a2 = ln(1000)/(2 ln 9) =
  // 1.572 and a3 = ln(10)/(0.8 ln 9) = 1.310, so the upper tail's power is a2 + a3/2 = 2.227: P(X > x) ~ x^(−0.449).
  const std::string wide = "x = { dist = \"metalog\", p10 = 1e6, p50 = 1e7, p90 = 1e9, lower = 0, source = \"t\" }";
  CHECK_THAT(warnings(wide), Contains("[inputs.x] metalog(") && Contains("x^(−0.45) (a2 + a3/2 = 2.23)") &&
                                 Contains("no finite mean, nor has `v`") && Contains("an `upper` bound"));
  // The power read off the law's own far quantiles: Q(1 − ε) grows as ε^(−c), so the ratio of the quantiles at
  // ε = 1e-10 and 1e-8 tends to 100^c (within 1% of c at these ε, where the logistic basis is all but linear in L).
  const Scenario one = test::scenario("[inputs]\n" + wide + "\n");
  const Distribution& law = one.inputs.front().dist;
  CHECK(std::log(quantile(law, 1 - 1e-10) / quantile(law, 1 - 1e-8)) / std::log(100.0) ==
        Approx(2.227).epsilon(0.01));
  // Narrower (a2 + a3/2 = 0.826): a mean, but no sd.
  CHECK_THAT(warnings("x = { dist = \"metalog\", p10 = 1e6, p50 = 5e6, p90 = 3e7, lower = 0, source = \"t\" }"),
             Contains("its mean exists but its sd does not") && Contains("the mean of `v`"));
  // The mirror image: an upper bound, a power lower tail.
  CHECK_THAT(warnings("x = { dist = \"metalog\", p10 = -1e9, p50 = -1e7, p90 = -1e6, upper = 0, source = \"t\" }"),
             Contains("its lower tail is a power, P(X < −x)") && Contains("a `lower` bound"));
  CHECK_THAT(warnings("x = { dist = \"student_t\", df = 0.8, source = \"t\" }", "v = \"x + 1\""),
             Contains("[inputs.x] student_t(df=0.8") && Contains("no finite mean, nor has `v`"));
  // Every moment exists: a thin tail, both bounds or none, a student_t with df > 1 (symmetric: its t interval
  // stays conservative).
  CHECK(warnings("x = { dist = \"metalog\", p10 = 20, p50 = 35, p90 = 80, lower = 0, source = \"t\" }").empty());
  CHECK(warnings("x = { dist = \"metalog\", p10 = 1e6, p50 = 1e7, p90 = 1e9, lower = 0, upper = 1e12, source = \"t\" }")
            .empty());
  CHECK(warnings("x = { dist = \"metalog\", p10 = 1, p50 = 2, p90 = 5, source = \"t\" }").empty());
  CHECK(warnings("x = { dist = \"student_t\", df = 1.5, source = \"t\" }").empty());
  // What the input reaches only through a bound, or not at all, keeps its mean.
  CHECK(warnings(wide, "v = \"min(x, 1e9)\"").empty());
  CHECK(warnings(wide, "v = \"if(x > 1e8, 1, 0)\"").empty());
  CHECK_THAT(warnings(wide + "\ny = { value = 3, source = \"t\" }", "v = \"y * 2\""),  // (x is warned as unused)
             !Contains("mean"));
  CHECK_THAT(warnings(wide, "u = \"x * 2\"\nv = \"u - 1\"\nw = \"min(u, 5)\"", "[\"v\", \"w\", \"x\"]"),
             Contains("nor has `v` and `x`, which"));
  // What the run reports beside those means (Scenario::without_mean, each variable's no_mean), and a replacement that
  // gives the input a mean takes it away.
  const Scenario s = test::scenario("[inputs]\n" + wide + "\n[formulas]\nv = \"x * 2\"\nw = \"min(x, 5)\"\n");
  CHECK(s.without_mean == std::map<std::string, std::string>{
                              {"v", "through `x`, a metalog whose upper tail falls as x^(−0.45)"}});
  CHECK(Plan(s).variables()[1].no_mean == "through `x`, a metalog whose upper tail falls as x^(−0.45)");
  Input fixed = s.inputs.front();
  fixed.dist = Constant{3e7};
  CHECK(with_overrides(s, {fixed}).without_mean.empty());
  // A mean but no sd: Scenario::without_sd, each variable's no_sd, and the table's note in place of the heavy-tail
  // advice (more samples cannot mend the CI); a replacement with a thin tail takes it away.
  const std::string narrow = "x = { dist = \"metalog\", p10 = 1e6, p50 = 5e6, p90 = 3e7, lower = 0, source = \"t\" }";
  const Scenario n = test::scenario("[scenario]\nname = \"n\"\n[inputs]\n" + narrow + "\n[formulas]\nv = \"x * 2\"\n");
  CHECK(n.without_mean.empty());
  CHECK(n.without_sd == std::map<std::string, std::string>{{"v", "through `x`, a metalog whose upper tail falls as x^(−1.2)"}});
  CHECK(Plan(n).variables()[1].no_sd == "through `x`, a metalog whose upper tail falls as x^(−1.2)");
  Input thin = n.inputs.front();
  thin.dist = Constant{5e6};
  CHECK(with_overrides(n, {thin}).without_sd.empty());
  const test::TempDir dir;
  const auto path = (dir.path() / "n.toml").string();
  std::ofstream(path) << n.text;
  const auto p = test::run_tamcarlo({"run", path, "-n", "100000", "-o", (dir.path() / "n.h5").string(), "--json"});
  REQUIRE(p.exit_code == 0);
  const auto v = nlohmann::json::parse(p.out.substr(0, p.out.find('\n'))).at("variables").at("v");
  CHECK(v.at("no_finite_sd") == "through `x`, a metalog whose upper tail falls as x^(−1.2)");
  CHECK_FALSE(v.contains("no_finite_mean"));
  const auto t = test::run_tamcarlo({"run", path, "-n", "100000", "-o", (dir.path() / "n.h5").string(), "--force"});
  CHECK_THAT(t.out, Contains("† `v` has no finite sd (through `x`") && Contains("however many samples are drawn"));
  CHECK(t.out.find("heavy tail") == std::string::npos);
}

TEST_CASE("guardrails: a ratio by an input that comes near zero is warned: it has no finite mean", "[guardrails]") {
  const auto warnings = [](const std::string& divisor, const std::string& formulas = "payback = \"cost / d\"",
                           const std::string& report = "[\"payback\"]") {
    return warnings_of("[inputs]\ncost = { value = 1e6, source = \"t\" }\nd = " + divisor + "\n[formulas]\n" +
                       formulas + "\n[outputs]\nreport = " + report + "\n");
  };
  // normal(4e5, 1.6e5): within 1% of its median (4,000) of zero with probability 2·4000·φ(2.5)/1.6e5 = 0.00088.
  CHECK_THAT(warnings("{ dist = \"normal\", mean = 4e5, sd = 1.6e5, source = \"t\" }"),
             Contains("[formulas.payback] \"cost / d\" divides by `d`, which comes near zero (P(|d| < 4000) = 0.00088") &&
                 Contains("so `payback` has no finite mean either"));
  // A law with density at 0 (uniform from 0, exponential) or a mode there; the ratio read by another formula.
  CHECK_THAT(warnings("{ dist = \"uniform\", min = 0, max = 1, source = \"t\" }"), Contains("divides by `d`"));
  CHECK_THAT(warnings("{ dist = \"exponential\", mean = 3, source = \"t\" }", "r = \"cost / d\"\npayback = \"r + 1\""),
             Contains("[formulas.r]") && Contains("so `payback` has no finite mean"));
  // Far from zero (a lognormal: P = Φ(ln 0.01 / 0.5) ≈ 1e-20; a normal 20 sd away), or the ratio bounded: nothing.
  CHECK(warnings("{ dist = \"lognormal\", median = 4e5, sigma = 0.5, source = \"t\" }").empty());
  CHECK(warnings("{ dist = \"normal\", mean = 4e5, sd = 2e4, source = \"t\" }").empty());
  CHECK(warnings("{ dist = \"uniform\", min = 0, max = 1, source = \"t\" }", "payback = \"min(cost / d, 50)\"").empty());
  CHECK(warnings("{ dist = \"uniform\", min = 0, max = 1, source = \"t\" }",
                 "payback = \"cost * d\"\nq = \"cost / d\"").empty());  // q is not reported
}

TEST_CASE("guardrails: a share whose law leaves 0 to 1 is warned with the share of samples outside", "[guardrails]") {
  const auto warnings = [](const std::string& input) { return warnings_of("[inputs]\n" + input + "\n"); };
  // normal(0.5, 0.3): Φ(−0.5/0.3) = 4.78% below 0 and as much above 1.
  CHECK_THAT(warnings("automation_share = { dist = \"normal\", mean = 0.5, sd = 0.3, source = \"t\" }"),
             Contains("[inputs.automation_share] `automation_share` is named like a share of a whole") &&
                 Contains("puts 4.78% of its probability below 0 and 4.78% above 1") &&
                 Contains("negative or more than the whole") && Contains("`truncnormal` with min = 0 and max = 1"));
  // The shorthand's lognormal through P5 = 0.3 and P95 = 0.9: σ = ln 3/(2·1.645), P(X > 1) = Φ(−ln(1/√0.27)/σ) = 2.5%.
  CHECK_THAT(warnings("market_share = \"0.3 to 0.9\""), Contains("puts 2.5% of its probability above 1") &&
                                                             Contains("more than the whole"));
  CHECK_THAT(warnings("p = { dist = \"normal\", mean = 0.1, sd = 0.05, unit = \"share\", source = \"t\" }"),
             Contains("[inputs.p] `p` is in unit = \"share\"") && Contains("2.28% of its probability below 0"));
  // Not for a law on [0, 1], a tail beyond under 0.1% (normal(0.3, 0.1): 0.13% below 0 warns, (0.3, 0.09): 0.043%
  // does not), a quantity that may leave [0, 1] (a growth, a margin, a ratio), an input with a unit, bounds or format,
  // nor a percentage typed as a number (the 100× warning's).
  CHECK_THAT(warnings("adoption = { dist = \"normal\", mean = 0.3, sd = 0.1, source = \"t\" }"), Contains("0.13%"));
  for (const char* quiet : {"adoption = { dist = \"normal\", mean = 0.3, sd = 0.09, source = \"t\" }",
                            "share = { dist = \"beta\", mean = 0.5, sd = 0.3, source = \"t\" }",
                            "share = { dist = \"pert\", min = 0, mode = 0.2, max = 1, source = \"t\" }",
                            "share_growth = { dist = \"normal\", mean = 0.1, sd = 0.2, source = \"t\" }",
                            "margin = { dist = \"normal\", mean = 0.1, sd = 0.2, source = \"t\" }",
                            "share_ratio = { dist = \"lognormal\", median = 0.8, sigma = 0.5, source = \"t\" }",
                            "share = { dist = \"normal\", mean = 0.5, sd = 0.3, unit = \"h\", source = \"t\" }",
                            "share = { dist = \"normal\", mean = 0.5, sd = 0.3, bounds = [-1, 2], source = \"t\" }"}) {
    INFO(quiet);
    CHECK(warnings(quiet).empty());
  }
  CHECK_THAT(warnings("share = { dist = \"normal\", mean = 50, sd = 20, source = \"t\" }"),
             !Contains("share of a whole"));
  // A replacement is held to it too: in a stress (at its key) and from --set.
  CHECK_THAT(warnings_of("[inputs]\nshare = { dist = \"beta\", mean = 0.5, sd = 0.1, source = \"t\" }\n"
                         "[stress.wide]\nshare = { dist = \"normal\", mean = 0.5, sd = 0.3 }\n"),
             Contains("test.toml:4:1: warning: [stress.wide.share]") && Contains("4.78% of its probability below 0"));
  const Scenario s = test::scenario("[inputs]\nshare = { dist = \"beta\", mean = 0.5, sd = 0.1, source = \"t\" }\n");
  const std::vector<Warning> set = set_warnings(s, {"share=0.3 to 0.9"});
  REQUIRE(set.size() == 1);
  CHECK_THAT(set[0].str(), Contains("--set share=0.3 to 0.9: warning: [set.share]") && Contains("2.5%"));
  CHECK(set_warnings(s, {"share=0.3 to 0.6"}).empty());
}

TEST_CASE("guardrails: an amount of money or a count whose law goes below 0 is warned with the share of samples there",
          "[guardrails]") {
  const auto warnings = [](const std::string& input) { return warnings_of("[inputs]\n" + input + "\n"); };
  // normal(20000, 12000): Φ(−20000/12000) = 4.78% below 0; normal(75000, 40000): Φ(−1.875) = 3.04%.
  CHECK_THAT(warnings("staff = { dist = \"normal\", mean = 20000, sd = 12000, unit = \"people\", source = \"t\" }"),
             Contains("[inputs.staff] `staff` is a count (unit = \"people\"), which cannot be negative") &&
                 Contains("puts 4.78% of its probability below 0") &&
                 Contains("`{ dist = \"lognormal\", mean = 20000, sd = 12000 }` keeps its mean and sd"));
  CHECK_THAT(warnings("salary = { dist = \"normal\", mean = 75000, sd = 40000, unit = \"CNY/year\", source = \"t\" }"),
             Contains("`salary` is an amount of money (unit = \"CNY/year\")") && Contains("3.04%"));
  // A scaled count or currency, a price per unit, a uniform from below 0 (1/11 of it: 9.09%).
  CHECK_THAT(warnings("users = { dist = \"normal\", mean = 3, sd = 2, unit = \"万人\", source = \"t\" }"),
             Contains("`users` is a count"));
  CHECK_THAT(warnings("price = { dist = \"normal\", mean = 0.02, sd = 0.01, unit = \"USD/token\", source = \"t\" }"),
             Contains("`price` is an amount of money") && Contains("2.28%"));
  CHECK_THAT(warnings("spend = { dist = \"uniform\", min = -100, max = 1000, unit = \"USD\", source = \"t\" }"),
             Contains("9.09%"));
  // The threshold, 0.1%: normal(75000, 25000) puts Φ(−3) = 0.13% below 0 and warns, (75000, 24000) Φ(−3.125) = 0.089%
  // does not.
  CHECK_THAT(warnings("salary = { dist = \"normal\", mean = 75000, sd = 25000, unit = \"CNY/year\", source = \"t\" }"),
             Contains("0.13%"));
  // Not for a law on [0, ∞), a tail below 0 under 0.1%, a name that says it may be negative, a unit that is not an
  // amount (none, a fraction, a rate per year, points, a time), bounds, a median below 0, nor values as written.
  for (const char* quiet : {
           "salary = { dist = \"normal\", mean = 75000, sd = 24000, unit = \"CNY/year\", source = \"t\" }",
           "salary = { dist = \"lognormal\", mean = 75000, sd = 40000, unit = \"CNY/year\", source = \"t\" }",
           "staff = { dist = \"truncnormal\", mean = 20000, sd = 12000, min = 0, max = 1e9, unit = \"people\", source = \"t\" }",
           "net_revenue = { dist = \"normal\", mean = 1e6, sd = 1e6, unit = \"USD\", source = \"t\" }",
           "profit = { dist = \"normal\", mean = 1e6, sd = 1e6, unit = \"USD/year\", source = \"t\" }",
           "headcount_change = { dist = \"normal\", mean = 100, sd = 100, unit = \"people\", source = \"t\" }",
           "x = { dist = \"normal\", mean = 1e6, sd = 1e6, source = \"t\" }",
           "g = { dist = \"normal\", mean = 0.1, sd = 0.1, unit = \"1/year\", source = \"t\" }",
           "lift = { dist = \"normal\", mean = 2, sd = 2, unit = \"pp\", source = \"t\" }",
           "delay = { dist = \"normal\", mean = 2, sd = 2, unit = \"months\", source = \"t\" }",
           "spend = { dist = \"normal\", mean = 1e6, sd = 1e6, unit = \"USD\", bounds = [-1e7, 1e7], source = \"t\" }",
           "spend = { dist = \"normal\", mean = -1e6, sd = 1e6, unit = \"USD\", source = \"t\" }",
           "spend = { dist = \"discrete\", values = [-1, 5], unit = \"USD\", source = \"t\" }"}) {
    INFO(quiet);
    CHECK(warnings(quiet).empty());
  }
  // A replacement is held to it too: in a stress (at its key) and from --set.
  const std::string base = "[inputs]\nstaff = { dist = \"lognormal\", mean = 20000, sd = 5000, unit = \"people\", source = \"t\" }\n";
  CHECK_THAT(warnings_of(base + "[stress.wide]\nstaff = { dist = \"normal\", mean = 20000, sd = 12000 }\n"),
             Contains("test.toml:4:1: warning: [stress.wide.staff]") && Contains("4.78% of its probability below 0"));
  const Scenario s = test::scenario(base);
  const std::vector<Warning> set = set_warnings(s, {"staff={ dist = \"normal\", mean = 20000, sd = 12000 }"});
  REQUIRE(set.size() == 1);
  CHECK_THAT(set[0].str(), Contains("[set.staff]") && Contains("4.78%"));
  CHECK(set_warnings(s, {"staff=15000 to 30000"}).empty());
}

TEST_CASE("guardrails: a lognormal's sigma typed as a percentage is warned with the spread it gives", "[guardrails]") {
  const auto warnings = [](const std::string& input) { return warnings_of("[inputs]\n" + input + "\n"); };
  // sigma = 15: P95/P50 = e^(1.645·15) = 5.2e10; sigma = 0.15: P5–P95 e^(∓0.2467) = 0.78–1.28.
  CHECK_THAT(warnings("salary = { dist = \"lognormal\", median = 75000, sigma = 15, unit = \"CNY/year\", source = \"t\" }"),
             Contains("[inputs.salary] `salary` is a lognormal with sigma = 15") && Contains("≈ 5.2e+10 times its median") &&
                 Contains("sigma = 0.15 spreads it about ±15% (P5–P95 0.78–1.28× the median)"));
  CHECK_THAT(warnings("x = { dist = \"lognormal\", median = 1, sigma = 5, source = \"t\" }"), Contains("sigma = 5,"));
  // A log-sd that is a fraction, one not whole (a shorthand's: "1 to 1e9" is sigma 6.3), or under 5: nothing.
  for (const char* quiet : {"x = { dist = \"lognormal\", median = 1, sigma = 0.15, source = \"t\" }",
                            "x = { dist = \"lognormal\", median = 1, sigma = 4, source = \"t\" }",
                            "x = { dist = \"lognormal\", median = 1, sigma = 5.5, source = \"t\" }",
                            "x = \"1 to 1e9\""}) {  // (which warns only that it has no source)
    INFO(quiet);
    CHECK_THAT(warnings(quiet), !Contains("a lognormal with sigma"));
  }
  // From --set of the one parameter.
  const Scenario s = test::scenario("[inputs]\nx = { dist = \"lognormal\", median = 1, sigma = 0.2, source = \"t\" }\n");
  const std::vector<Warning> set = set_warnings(s, {"x.sigma=20"});
  REQUIRE(set.size() == 1);
  CHECK_THAT(set[0].str(), Contains("[set.x]") && Contains("sigma = 0.2 spreads it about ±20%"));
}

TEST_CASE("guardrails: an input no formula reads and nothing reports is warned: a factor left out", "[guardrails]") {
  const std::string inputs = "[inputs]\nstaff = { value = 2e4, source = \"t\" }\nsalary = { value = 7.5e4, source = \"t\" }\n"
                             "share = { dist = \"beta\", alpha = 10, beta = 10, source = \"t\" }\n";
  CHECK_THAT(warnings_of(inputs + "[formulas]\nmarket = \"staff * salary\"\n[outputs]\nreport = [\"market\"]\n"),
             Contains("test.toml:4:1: warning: [inputs.share] `share` is an input that no formula reads and nothing "
                      "reports: `market` does not depend on it, so it changes no number the run prints; a factor left "
                      "out of a formula?"));
  // Read by a formula (a check's too), reported, or conditioned on: nothing.
  for (const char* quiet : {"[formulas]\nmarket = \"staff * salary * share\"\n",
                            "[formulas]\nmarket = \"staff * salary\"\n[checks]\nc = \"share < 0.9\"\n",
                            "[formulas]\nmarket = \"staff * salary\"\n[outputs]\nreport = [\"market\", \"share\"]\n",
                            "[formulas]\nmarket = \"staff * salary\"\n[evidence]\nshare = { between = [0.2, 0.8], source = \"t\" }\n"}) {
    INFO(quiet);
    CHECK_THAT(warnings_of(inputs + quiet), !Contains("no formula reads"));
  }
  // Many: ten located, the rest in one warning at the eleventh.
  std::string many = "[inputs]\n";
  for (int i = 0; i < 14; ++i) many += "x" + std::to_string(i) + " = { value = 1, source = \"t\" }\n";
  const Scenario m = test::scenario(many + "[formulas]\ny = \"x0 + 1\"\n");
  REQUIRE(m.warnings.size() == 11);
  CHECK_THAT(m.warnings[9].str(), Contains("[inputs.x10] `x10` is an input that no formula reads"));
  CHECK_THAT(m.warnings[10].str(), Contains("test.toml:13:1: warning: [inputs.x11] and 3 more inputs, `x11` to `x13`, "
                                            "are read by no formula and reported nowhere, as the 10 above"));
}

TEST_CASE("guardrails: a discrete law's probabilities that do not sum to 1 are warned with what normalizing does",
          "[guardrails]") {
  const auto warnings = [](const std::string& weights) {
    return warnings_of("[inputs]\ntier = { dist = \"discrete\", values = [1, 2, 3], weights = " + weights +
                       ", source = \"t\" }\n");
  };
  CHECK_THAT(warnings("[0.5, 0.3, 0.1]"),
             Contains("[inputs.tier] `tier`'s weights [0.5, 0.3, 0.1] read as probabilities but sum to 0.9: they are "
                      "normalized (to 0.556, 0.333, 0.111), which shares the missing 0.1 out among the values"));
  CHECK_THAT(warnings("[0.6, 0.3, 0.3]"), Contains("sum to 1.2") && Contains("the excess 0.2"));
  // Probabilities that sum to 1 (or within 0.02: rounded), relative weights (counts, a weight of 1 or more): nothing.
  for (const char* quiet : {"[0.5, 0.3, 0.2]", "[0.33, 0.33, 0.33]", "[50, 30, 20]", "[1, 1, 1]", "[1, 0.5, 0.5]",
                            "[12, 30, 7]"}) {
    INFO(quiet);
    CHECK(warnings(quiet).empty());
  }
  // A replacement too.
  const Scenario s = test::scenario("[inputs]\ntier = { dist = \"discrete\", values = [1, 2], weights = [1, 1], source = \"t\" }\n");
  const std::vector<Warning> set = set_warnings(s, {"tier.weights=[0.7, 0.2]"});
  REQUIRE(set.size() == 1);
  CHECK_THAT(set[0].str(), Contains("[set.tier]") && Contains("sum to 0.9"));
}

TEST_CASE("guardrails: a formula named like a share whose values all lie outside 0 to 1 is warned: a ratio upside down",
          "[guardrails]") {
  const auto warnings = [](const std::string& formula) {
    return warnings_of("[inputs]\nretail = { dist = \"normal\", mean = 15.42e12, sd = 0.3e12, unit = \"CNY\", source = \"t\" }\n"
                       "jd = { value = 8.712e11, unit = \"CNY\", source = \"t\" }\n"
                       "a = { dist = \"uniform\", min = 0.2, max = 0.3, source = \"t\" }\n[formulas]\n" + formula +
                       "\n[outputs]\nreport = [\"retail\", \"jd\", \"a\", \"jd_share\"]\n");
  };
  // P0.1–P99.9 of the normal: 15.42e12 ± 3.0902·0.3e12; over 8.712e11: 16.64–18.76, its inverse 0.0533–0.0601.
  CHECK_THAT(warnings("jd_share = \"retail / jd\""),
             Contains("[formulas.jd_share] `jd_share` is named like a share of a whole, in [0, 1], but \"retail / jd\" "
                      "takes values from 16.6 to 18.8 (its inputs within their P0.1–P99.9): more than the whole") &&
                 Contains("a ratio upside down (the part over the whole: its inverse runs 0.0533–0.0601)?"));
  CHECK_THAT(warnings("jd_share = \"a * 100\""), Contains("takes values from 20 to 30") &&
                                                    Contains("a percentage (divide by 100)?") && !Contains("upside down"));
  CHECK_THAT(warnings("jd_share = \"a - 1\""), Contains("negative in nearly every sample"));
  CHECK_THAT(warnings("jd_share = { expr = \"a * 100\", unit = \"share\" }"), Contains("is in unit = \"share\","));
  // Within [0, 1] in some samples, named as a ratio, in another unit, or bounded (an error of its own): nothing.
  for (const char* quiet : {"jd_share = \"jd / retail\"", "jd_share = \"a * 4\"", "jd_ratio = \"retail / jd\"\njd_share = \"a\"",
                            "jd_share = { expr = \"a * 100\", unit = \"%\" }"}) {  // (with format = "percent", its implied bounds make a * 100 an error)
    INFO(quiet);
    CHECK_THAT(warnings(quiet), !Contains("share of a whole"));
  }
}

TEST_CASE("guardrails: a stake over a pre-money valuation is warned with how much too large it is", "[guardrails]") {
  const auto warnings = [](const std::string& valuation, const std::string& formula) {
    return warnings_of("[inputs]\ncheck = { value = 2.52e8, unit = \"USD\", source = \"t\" }\n" + valuation +
                       " = { value = 7.25e8, unit = \"USD\", source = \"t\" }\n"
                       "dilution = { value = 0.15, source = \"t\" }\n[formulas]\nstake = \"" + formula + "\"\n");
  };
  // 1 + 2.52e8 / 7.25e8 = 1.35.
  CHECK_THAT(warnings("pre_money", "stake_at_exit(check, pre_money, dilution, 2)"),
             Contains("test.toml:6:31: warning: [formulas.stake] \"stake_at_exit(check, pre_money, dilution, 2)\" gives "
                      "stake_at_exit's post_money `pre_money`, a pre-money valuation by its name") &&
                 Contains("too large (1.35× at the points); write `pre_money + check` there"));
  CHECK_THAT(warnings("premoney_usd", "check / premoney_usd"), Contains("divides by `premoney_usd`"));
  CHECK_THAT(warnings("pre_valuation", "check / pre_valuation * (1 - dilution)"), Contains("divides by `pre_valuation`"));
  // The post-money, or the pre-money made one: nothing.
  for (const auto& [valuation, formula] : std::vector<std::pair<std::string, std::string>>{
           {"post_money", "stake_at_exit(check, post_money, dilution, 2)"},
           {"pre_money", "stake_at_exit(check, pre_money + check, dilution, 2)"},
           {"pre_money", "check / (pre_money + check)"},
           {"prepaid_money", "check / prepaid_money"}}) {
    INFO(formula);
    CHECK_THAT(warnings(valuation, formula), !Contains("pre-money"));
  }
}

TEST_CASE("guardrails: a percentage its source writes, typed as a number, is warned whatever the input's name and unit",
          "[guardrails]") {
  const auto warnings = [](const std::string& input) { return warnings_of("[inputs]\n" + input + "\n"); };
  // A growth rate per year (a unit, so the share-name lint is silent): 30 for 30%.
  CHECK_THAT(warnings("growth = { dist = \"triangular\", min = 20, mode = 30, max = 40, unit = \"1/year\", "
                      "source = \"R1: 30% a year\" }"),
             Contains("[inputs.growth] `growth`'s source writes \"30%\", and its point is 30: a percentage typed as a "
                      "number makes every product with it 100× too large") &&
                 Contains("write 0.3 (each of the law's numbers ÷ 100), or, if percent is meant, unit = \"%\""));
  CHECK_THAT(warnings("take = { value = 50, source = \"R1 §1.3.2: about 50 percent\" }"),
             Contains("writes \"50 percent\", and its value is 50") && Contains("with format = \"percent\""));
  CHECK_THAT(warnings("take = { value = 50, source = \"R1 §1.3.2: about 50％\" }"), Contains("writes \"50%\""));
  // Said once where the share lint says it already (a share-named input with no unit in 1–100).
  const std::string twice = warnings("adoption_share = { value = 25, source = \"25%\" }");
  CHECK(twice.find("a percentage typed as a number") != std::string::npos);
  CHECK(twice.find("a percentage typed as a number") == twice.rfind("a percentage typed as a number"));
  // The fraction, percent meant (unit or format), 1% (too often something else), another number: nothing.
  for (const char* quiet : {"take = { value = 0.5, source = \"about 50%\" }",
                            "take = { value = 30, unit = \"%\", source = \"30%\" }",
                            "take = { value = 0.3, format = \"percent\", source = \"30%\" }",
                            "take = { value = 1, source = \"1% of firms\" }",
                            "take = { value = 300, source = \"grew 30% to 300\" }",
                            "take = { value = 30, source = \"p30%\" }"}) {
    INFO(quiet);
    CHECK_THAT(warnings(quiet), !Contains("a percentage typed"));
  }
}

TEST_CASE("guardrails: a figure in 亿 or 万 read in another scale (亿 as a billion) is warned with the value meant",
          "[guardrails]") {
  const auto warnings = [](const std::string& input) { return warnings_of("[inputs]\n" + input + "\n"); };
  CHECK_THAT(warnings("m = { value = 1.32e11, unit = \"CNY/year\", source = \"R1: about 132亿 a year\" }"),
             Contains("[inputs.m] `m`'s source writes \"132亿\" (1.32e+10), but its value is 1.32e+11, 10× that: a scale "
                      "read as 10^9 where 亿 is 10^8 (a hundred million: a billion is 10亿); write 1.32e+10"));
  CHECK_THAT(warnings("salary = { dist = \"lognormal\", median = 7500, sigma = 0.15, unit = \"CNY/year\", "
                      "source = \"R1: 7.5万 average\" }"),
             Contains("its point is 7500, 0.1× that: a scale read as 10^3 where 万 is 10^4"));
  // In a scaled unit: 132亿 is 1.32e6 万; typed 1.32e7 万 it is 10× off.
  CHECK_THAT(warnings("m = { value = 1.32e7, unit = \"万CNY/year\", source = \"132亿\" }"),
             Contains("its value is 1.32e+07 万CNY/year, 10× that") && Contains("write 1.32e+06 (in 万CNY/year)"));
  // Read right (in the plain or a scaled unit), a one-digit figure (too often another number's), or a power of ten
  // that is no scale word's: nothing.
  for (const char* quiet : {"m = { value = 1.32e10, unit = \"CNY/year\", source = \"132亿\" }",
                            "m = { value = 132, unit = \"亿CNY/year\", source = \"132亿\" }",
                            "v = { value = 2000, unit = \"people\", source = \"over 2万\" }",
                            "v = { value = 13.2, unit = \"people\", source = \"132亿\" }",
                            "v = { value = 2.5e7, unit = \"USD\", source = \"$250M\" }"}) {
    INFO(quiet);
    CHECK_THAT(warnings(quiet), !Contains("a scale read as"));
  }
}

TEST_CASE("guardrails: a reported amount that goes below 0 in some samples is warned after the run, in every output",
          "[guardrails]") {
  const test::TempDir dir;
  const auto scenario = [&](const std::string& formula) {
    return write(dir, "bz.toml", "[scenario]\nname = \"bz\"\n[inputs]\n"
                 "tam = { dist = \"lognormal\", median = 1e9, sigma = 0.2, unit = \"CNY/year\", source = \"t\" }\n"
                 "incumbents = { dist = \"lognormal\", median = 6e8, sigma = 0.3, unit = \"CNY/year\", source = \"t\" }\n"
                 "[formulas]\n" + formula + "\n");
  };
  const std::string h5 = (dir.path() / "bz.h5").string();
  // ln(tam/incumbents) ~ normal(ln(1e9/6e8), √(0.2² + 0.3²)): P(market < 0) = Φ(−0.511/0.361) = 7.8%, so the run's
  // smallest sample is below 0 and its P50 (4e8 at the medians) above.
  const auto p = test::run_tamcarlo({"run", scenario("market = \"tam - incumbents\""), "-n", "20000", "-o", h5});
  REQUIRE(p.exit_code == 0);
  CHECK_THAT(p.out, Contains(" warning: `market` goes below 0, an amount of money that cannot be negative: its smallest "
                             "sample is -") && Contains(", its P1 -") && Contains("if a floor at 0 is meant, write max(…, 0)"));
  CHECK_THAT(read_string_attribute(h5, "/summary/market", "below_zero"), StartsWith("market goes below 0, an amount"));
  const auto j = test::run_tamcarlo({"run", scenario("market = \"tam - incumbents\""), "-n", "20000", "-o", h5, "--force",
                                     "--json"});
  CHECK_THAT(nlohmann::json::parse(j.out.substr(0, j.out.find('\n'))).at("variables").at("market").at("below_zero")
                 .get<std::string>(), StartsWith("goes below 0"));
  REQUIRE(test::run_tamcarlo({"report", h5, "-o", (dir.path() / "page").string()}).exit_code == 0);
  CHECK_THAT(test::slurp((dir.path() / "page" / "index.html").string()), Contains("<b>market</b> goes below 0, an amount"));
  // Floored, named as a difference that may be negative, or without an amount's unit: nothing.
  for (const char* quiet : {"market = \"max(tam - incumbents, 0)\"", "market_change = \"tam - incumbents\"",
                            "market = \"(tam - incumbents) / tam\""}) {
    INFO(quiet);
    const auto q = test::run_tamcarlo({"run", scenario(quiet), "-n", "20000", "-o", h5, "--force"});
    REQUIRE(q.exit_code == 0);
    CHECK_THAT(q.out, !Contains("goes below 0"));
  }
}

TEST_CASE("guardrails: a calendar year where a model function takes years from a start, or mixed with them, is warned",
          "[guardrails]") {
  // The timeline 2024–2030; `mid` and `launch_in` are years from the start (3–8), `launch` a calendar year.
  const auto warnings = [](const std::string& formula) {
    return warnings_of("[scenario]\nname = \"t\"\nyears = [2024, 2030]\n[inputs]\n"
                       "mid = { dist = \"triangular\", min = 3, mode = 5, max = 8, source = \"t\" }\n"
                       "launch = { dist = \"uniform\", min = 2024, max = 2026, source = \"t\" }\n"
                       "g = { dist = \"uniform\", min = 0.1, max = 0.3, source = \"t\" }\n"
                       "[formulas]\nv = \"" + formula + "\"\n");
  };
  // An S-curve's midpoint in years from now against the calendar year: at its ceiling in every sample.
  CHECK_THAT(warnings("logistic(year, mid, 0.8, 0.9)"),
             Contains("test.toml:9:6: warning: [formulas.v] \"logistic(year, mid, 0.8, 0.9)\" gives logistic's t "
                      "`year` (2024–2030), a calendar year, but its t_mid `mid` (3–8), years from a start: the two are "
                      "2016 or more apart, so the curve sits at its ceiling or at 0 in every sample") &&
                 Contains("(`year - 2024`)"));
  CHECK_THAT(warnings("logistic_through(year, 1, 0.1, 6, 0.75, 0.95)"), Contains("logistic_through's t `year`") &&
                                                                           Contains("its t1 1, years from a start"));
  CHECK_THAT(warnings("interpolate(year - 2024, launch, 1, 2030, 2)"),
             Contains("interpolate's t0 `launch` (2024–2026), a calendar year, but its t a value of 0–6") &&
                 Contains("extrapolated about 2018 years from its two points"));
  // A span given a calendar year: the column is the call's, inside the formula.
  CHECK_THAT(warnings("1 + bass_adoption(year, 0.03, 0.4, 1)"),
             Contains("test.toml:9:10: warning: [formulas.v]") &&
                 Contains("bass_adoption's t (the time since launch) is a span of years, but \"1 + bass_adoption(year, "
                          "0.03, 0.4, 1)\" gives it `year` (2024–2030), a calendar year, so every adopter has adopted") &&
                 Contains("`year - 2024`"));
  CHECK_THAT(warnings("project(100, g, launch)"), Contains("project's years is a span of years"));
  CHECK_THAT(warnings("100 * (1 + g)^year"), Contains("raises to the power `year` (2024–2030), a calendar year"));
  CHECK_THAT(warnings("pow(1 + g, year)"), Contains("raises to the power `year`"));
  // Each on one scale: nothing.
  for (const char* quiet : {"logistic(year, 2024 + mid, 0.8, 0.9)", "logistic(year - 2024, mid, 0.8, 0.9)",
                            "logistic_through(year, 2023, 0.1, 2028, 0.75, 0.95)", "interpolate(year, launch, 1, 2030, 2)",
                            "bass_adoption(max(year - launch, 0), 0.03, 0.4, 1)", "100 * (1 + g)^(year - 2023)",
                            "project(100, g, mid)", "2 ^ 10"}) {
    INFO(quiet);
    CHECK_THAT(warnings(quiet), !Contains("calendar year"));  // (the inputs it does not read are warned as unused)
  }
}

TEST_CASE("guardrails: a replacement that takes a mean away is warned where it is written and marked in the stress table",
          "[guardrails]") {
  const std::string base = "[scenario]\nname = \"t\"\n[inputs]\narr = { dist = \"lognormal\", median = 1e7, sigma = 1, "
                           "source = \"t\" }\n[formulas]\nv = \"arr * 2\"\n";
  const std::string wide = "{ dist = \"metalog\", p10 = 1e6, p50 = 1e7, p90 = 1e9, lower = 0 }";
  // In a stress: at the replacement's key, the input's lint.
  CHECK_THAT(warnings_of(base + "[stress.wild]\narr = " + wide + "\n"),
             Contains("test.toml:8:1: warning: [stress.wild.arr] metalog(") && Contains("no finite mean, nor has `v`"));
  // From --set, and the stressed table: its Δ mean's CI marked, and why.
  const Scenario s = test::scenario(base);
  const std::vector<Warning> set = set_warnings(s, {"arr=" + wide});
  REQUIRE(set.size() == 1);
  CHECK_THAT(set[0].str(), Contains("[set.arr] metalog(") && Contains("no finite mean"));
  CHECK(set_warnings(s, {"arr=2e6 to 3e7"}).empty());
  // A divisor made to come near zero: warned at the formula, in the stress's name.
  CHECK_THAT(warnings_of("[inputs]\nc = { value = 1e6, source = \"t\" }\nd = { dist = \"lognormal\", median = 4e5, "
                         "sigma = 0.5, source = \"t\" }\n[formulas]\np = \"c / d\"\n[stress.near]\n"
                         "d = { dist = \"uniform\", min = 0, max = 1e6 }\n"),
             Contains("[formulas.p] in stress `near`: \"c / d\" divides by `d`"));
  const test::TempDir dir;
  const std::string file = write(dir, "t.toml", base);
  const auto p = test::run_tamcarlo({"run", file, "-n", "20000", "-o", (dir.path() / "t.h5").string(), "--set",
                                     "arr=" + wide});
  REQUIRE(p.exit_code == 0);
  CHECK_THAT(p.err, Contains("[set.arr]"));
  CHECK_THAT(p.out, Contains("stress `set`") && Contains("† `v` has no finite mean in this case (through `arr`") &&
                        Contains("compare the P50s"));
}

TEST_CASE("guardrails: the scenario library validates with no guardrail warning", "[guardrails][scenarios]") {
  const auto p = test::run_tamcarlo({"validate", test::source_path("scenarios")});
  CHECK(p.exit_code == 0);
  CHECK(p.err.empty());
}

TEST_CASE("guardrails: checks and bounds are counted, not reported: the default report lists the formulas alone", "[guardrails]") {
  const Scenario s = test::scenario("[inputs]\nx = { dist = \"normal\", mean = 0, sd = 1 }\n[formulas]\n"
                                    "y = { expr = \"x * 2\", bounds = [-1, 1] }\n[checks]\nsmall = \"x < 3\"\n");
  CHECK(s.report == std::vector<std::string>{"y"});
  REQUIRE(s.formulas.size() == 3);
  CHECK(s.formulas[1].name == "bounds.y");
  CHECK(s.formulas[1].condition == "-1 <= y <= 1");
  CHECK(s.formulas[2].name == "check.small");
  CHECK(s.formulas[2].key() == "checks.small");
  // A bad condition is located in [checks]; a check naming an unknown variable too.
  CHECK_THAT(error_of("[inputs]\nx = 1\n[checks]\nc = \"x <\"\n"), Contains("test.toml:4:") && Contains("[checks.c]"));
  CHECK_THAT(error_of("[inputs]\nx = 1\n[checks]\nc = \"z < 1\"\n"), Contains("test.toml:4:6:") && Contains("[checks.c]") &&
                                                                        Contains("unknown name `z`"));
}

TEST_CASE("guardrails: a mean's CI that reaches below the smallest sample is marked, not shown as plausible means", "[guardrails]") {
  // 30 draws of a lognormal with sigma 3 (seed 1): one sample carries most of the spread, and mean − 1.96·SE < 0 while
  // every sample is positive.
  const test::TempDir dir;
  const std::string file = write(dir, "t.toml", "[scenario]\nname = \"t\"\n[inputs]\nx = { dist = \"lognormal\", median = 1, "
                                                "sigma = 3, source = \"t\" }\n[formulas]\ny = \"x * 1\"\n");
  const std::string out = (dir.path() / "t.h5").string();
  const auto p = test::run_tamcarlo({"run", file, "-n", "30", "--seed", "1", "-o", out, "--json"});
  REQUIRE(p.exit_code == 0);
  const auto y = nlohmann::json::parse(p.out.substr(0, p.out.find('\n'))).at("variables").at("y");
  CHECK(y.at("mean_ci").at(0).get<double>() < 0);
  CHECK(y.at("min").get<double>() > 0);
  CHECK(y.at("mean_ci_beyond_samples") == true);
  const auto t = test::run_tamcarlo({"run", file, "-n", "30", "--seed", "1", "-o", out, "--force"});
  CHECK_THAT(t.out, Contains("120 †") && Contains("reaches below its smallest sample") && Contains("not as plausible means"));
  // Moments: the rule itself, on both sides and not for a CI inside the range.
  Moments m = Moments::over(std::vector<double>{1, 1, 1, 1, 100});
  CHECK(m.ci_beyond_samples());
  m = Moments::over(std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  CHECK_FALSE(m.ci_beyond_samples());
}

TEST_CASE("guardrails: a non-finite value is traced to the formula that makes it, with the values it read",
          "[guardrails]") {
  // y = log(x + 0.5) is NaN (or −inf) wherever x ≤ −0.5, a quarter of the samples; z reads y.
  const Scenario s = test::scenario("[inputs]\nx = { dist = \"uniform\", min = -1, max = 1, source = \"t\" }\n"
                                    "[formulas]\ny = \"log(x + 0.5)\"\nz = \"y * 2\"\nw = \"x + 1\"\n");
  const Plan plan(s);
  const std::uint64_t seed = 7, n = 5000;
  EngineOptions eo;
  eo.seed = seed;
  eo.samples = n;
  eo.threads = 1;
  eo.keep.assign(plan.series().size(), true);
  const EngineOutput run = run_engine(plan, eo);
  const std::size_t x = plan.index("x"), z = plan.index("z"), w = plan.index("w");
  const auto first_bad = std::find_if(run.columns[z].begin(), run.columns[z].end(), [](double v) { return !std::isfinite(v); });
  REQUIRE(first_bad != run.columns[z].end());
  const auto at = static_cast<std::size_t>(first_bad - run.columns[z].begin());
  const std::vector<std::string> o = nonfinite_origins(s, plan, seed, n, {z, w});
  REQUIRE(o.size() == 2);
  // The same sample as the run's, its origin y (not z), the value x had there, and log's domain.
  CHECK_THAT(o[0], Contains(fmt::format("sample {}: `y` = log(x + 0.5) is ", at)) &&
                       Contains(fmt::format("with x = {:.6g}", run.columns[x][at])) &&
                       Contains("(log is finite only where x > 0)"));
  CHECK(o[1].empty());  // w is finite everywhere
  // A model function's domain; a timed series named with its year; a ratio by zero shows the zero.
  const Scenario v = test::scenario(
      "[scenario]\nyears = [2024, 2026]\n[inputs]\ncheck = { value = 1.5e8, unit = \"USD\", source = \"t\" }\n"
      "post_money = { value = 850, unit = \"USD\", source = \"t\" }\nvalue = { value = 1e9, unit = \"USD\", source = \"t\" }\n"
      "d = { dist = \"uniform\", min = 0.5, max = 1.5, source = \"t\" }\n"
      "[formulas]\nstake = \"stake_at_exit(check, post_money, 0.1, 1)\"\n"
      "proceeds = { expr = \"exit_proceeds(stake, value, check, 1)\", unit = \"USD\" }\n"
      "root = \"sqrt(d - (year - 2024))\"\nr = \"1 / (d - d)\"\n");
  const Plan pv(v);
  const std::vector<std::size_t> series = [&] {
    std::vector<std::size_t> out;
    for (const char* name : {"proceeds", "r"})
      for (std::size_t i = 0; i < pv.series().size(); ++i)
        if (pv.series()[i].var == pv.index(name)) out.push_back(i);
    for (std::size_t i = 0; i < pv.series().size(); ++i)  // root in 2025: sqrt(d − 1), NaN where d < 1
      if (pv.series()[i].var == pv.index("root") && pv.series()[i].year == 1) out.push_back(i);
    return out;
  }();
  REQUIRE(series.size() == 3);
  const std::vector<std::string> ov = nonfinite_origins(v, pv, 1, 1000, series);
  CHECK_THAT(ov[0], Contains("sample 0: `proceeds` = exit_proceeds(stake, value, check, 1) is NaN with stake = 158824, "
                             "value = 1e+09, check = 1.5e+08") &&
                        Contains("exit_proceeds is finite only where 0 ≤ stake ≤ 1"));
  CHECK_THAT(ov[1], Contains("sample 0: `r` = 1 / (d - d) is +inf with d = "));
  CHECK_THAT(ov[2], Contains("`root[2025]` = sqrt(d - (year - 2024)) is NaN with d = 0.") &&
                        Contains("sqrt is finite only where x ≥ 0"));
  // The table says it under the non-finite counts, once per origin; JSON carries it.
  const test::TempDir dir;
  const std::string file = write(dir, "v.toml", "[scenario]\nname = \"v\"\n" + std::string(
      "[inputs]\ncheck = { value = 1.5e8, unit = \"USD\", source = \"t\" }\n"
      "post_money = { value = 850, unit = \"USD\", source = \"t\" }\n"
      "value = { dist = \"lognormal\", median = 1e9, sigma = 1, unit = \"USD\", source = \"t\" }\n"
      "[formulas]\nstake = \"stake_at_exit(check, post_money, 0.1, 1)\"\n"
      "proceeds = { expr = \"exit_proceeds(stake, value, check, 1)\", unit = \"USD\" }\nmoic = \"moic(proceeds, check)\"\n"
      "[outputs]\nreport = [\"proceeds\", \"moic\"]\n"));
  const auto p = test::run_tamcarlo({"run", file, "-n", "2000", "-o", (dir.path() / "v.h5").string()});
  REQUIRE(p.exit_code == 0);
  CHECK_THAT(p.out, Contains(" where the first non-finite value comes from:\n   `proceeds`, `moic`: sample 0: `proceeds` = "
                             "exit_proceeds(stake, value, check, 1) is NaN with stake = 158824"));
  const auto j = test::run_tamcarlo({"run", file, "-n", "2000", "-o", (dir.path() / "v.h5").string(), "--force", "--json"});
  const auto moic = nlohmann::json::parse(j.out.substr(0, j.out.find('\n'))).at("variables").at("moic");
  CHECK_THAT(moic.at("nonfinite_origin").get<std::string>(), Contains("sample 0: `proceeds` = exit_proceeds"));
  // The result file keeps it (the page, the export and Python read it there).
  CHECK_THAT(read_string_attribute((dir.path() / "v.h5").string(), "/summary/moic", "nonfinite_origin"),
             Contains("sample 0: `proceeds` = exit_proceeds(stake, value, check, 1) is NaN with stake = 158824"));
  // --point says where a NaN point comes from, once, under its table (and in JSON).
  const auto pt = test::run_tamcarlo({"run", file, "--point"});
  REQUIRE(pt.exit_code == 0);
  CHECK_THAT(pt.out, Contains(" — at the points, `proceeds` = exit_proceeds(stake, value, check, 1) is NaN with stake = "
                              "158824, value = 1e+09, check = 1.5e+08"));
  const auto pj = test::run_tamcarlo({"run", file, "--point", "--json"});
  CHECK_THAT(nlohmann::json::parse(pj.out.substr(0, pj.out.find('\n')))
                 .at("variables").at("moic").at("nonfinite_origin").get<std::string>(),
             Contains("`proceeds` = exit_proceeds"));
  // A stressed case that makes them, the base finite: said under its stress table, not under the base's.
  std::string sound = fs_text(file);
  sound.replace(sound.find("value = 850,"), 12, "value = 8.5e8,");
  const std::string base_file = write(dir, "w.toml", sound);
  const auto st = test::run_tamcarlo({"run", base_file, "-n", "2000", "-o", (dir.path() / "w.h5").string(), "--set",
                                      "post_money=850"});
  REQUIRE(st.exit_code == 0);
  CHECK_THAT(st.out, Contains("   warning: `moic` has 2,000 non-finite samples (NaN or ±inf) of 2,000 in this case; the "
                              "first, sample 0: `proceeds` = exit_proceeds"));
  CHECK(st.out.find("where the first non-finite value") == std::string::npos);
}
