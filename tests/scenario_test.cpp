// Scenario parsing: the accepted forms, and one test per error class checking file:line:col, key and guidance.
#include "tests/support.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace tamcarlo;
using tamcarlo::test::error_of;
using tamcarlo::test::ks;
using Catch::Contains;

namespace {


}  // namespace

TEST_CASE("scenario: the e-commerce cell parses with its sources and points, inputs in file order", "[scenario]") {
  const Scenario s = load_scenario(test::source_path("scenarios/cells/cs_ecommerce.toml"));
  CHECK(s.name == "cs-ecommerce");
  CHECK(s.unit == "CNY/year");
  REQUIRE(s.inputs.size() == 5);
  CHECK(s.inputs[0].name == "jd_staff");  // file order, not alphabetical
  CHECK(s.inputs[4].name == "automation_share");
  CHECK(s.inputs[0].point == 20000);
  CHECK(s.inputs[3].point == 75000);  // salary: median by default
  CHECK(s.inputs[3].source == "R1 §1.3.2: average e-commerce customer-service salary 7.5万; log-sd 0.15 is an assumption (job-board averages)");
  CHECK(s.report == std::vector<std::string>{"headcount", "market"});
}

TEST_CASE("alternative parameterizations define the same laws", "[scenario]") {
  const Scenario s = test::scenario(R"toml(
[inputs]
a = { dist = "lognormal", mean = 100, sd = 30 }
b = { dist = "lognormal", p5 = 60000, p95 = 90000 }
c = "60000 to 90000"
d = { dist = "beta", mean = 0.3, sd = 0.1 }
e = { dist = "gamma", mean = 6, sd = 2 }
f = { value = 7 }
g = 8
h = { dist = "discrete", values = [1, 2, 3] }
[formulas]
y = "a"
)toml");
  CHECK(mean(s.inputs[0].dist) == Approx(100));
  CHECK(sd(s.inputs[0].dist) == Approx(30));
  CHECK(quantile(s.inputs[1].dist, 0.05) == Approx(60000));
  CHECK(quantile(s.inputs[1].dist, 0.95) == Approx(90000));
  CHECK(quantile(s.inputs[2].dist, 0.05) == Approx(60000));
  CHECK(mean(s.inputs[3].dist) == Approx(0.3));
  CHECK(sd(s.inputs[3].dist) == Approx(0.1));
  CHECK(mean(s.inputs[4].dist) == Approx(6));
  CHECK(sd(s.inputs[4].dist) == Approx(2));
  CHECK(s.inputs[5].point == 7);
  CHECK(s.inputs[6].point == 8);
  CHECK(mean(s.inputs[7].dist) == Approx(2));
}

TEST_CASE("error: TOML syntax names line and column", "[scenario][errors]") {
  const auto msg = error_of("[inputs]\na = { dist = \"normal\", mean = 1,, sd = 2 }\n");
  CHECK_THAT(msg, Contains("test.toml:2:") && Contains("TOML syntax"));
}

TEST_CASE("error: unknown section suggests the nearest", "[scenario][errors]") {
  CHECK_THAT(error_of("[input]\na = 1\n"), Contains("test.toml:1:2") && Contains("[input]") &&
                                               Contains("did you mean `inputs`"));
}

TEST_CASE("error: unknown distribution suggests the nearest and lists the allowed", "[scenario][errors]") {
  const auto msg = error_of("[inputs]\nsalary = { dist = \"lognromal\", median = 1, sigma = 0.1 }\n");
  CHECK_THAT(msg, Contains("test.toml:2:19") && Contains("[inputs.salary.dist]") &&
                      Contains("did you mean `lognormal`") && Contains("`truncnormal`"));
}

TEST_CASE("error: unknown key in an input suggests the nearest and lists the allowed", "[scenario][errors]") {
  const auto msg = error_of("[inputs]\nx = { dist = \"normal\", mean = 1, sd = 2, sourse = \"R1\" }\n");
  CHECK_THAT(msg, Contains("test.toml:2:42") && Contains("[inputs.x.sourse]") && Contains("did you mean `source`") &&
                      Contains("allowed for normal"));
}

TEST_CASE("error: invalid parameter value names the value and the allowed range", "[scenario][errors]") {
  CHECK_THAT(error_of("[inputs]\nx = { dist = \"normal\", mean = 1, sd = -2 }\n"),
             Contains("test.toml:2:39") && Contains("[inputs.x.sd]") && Contains("sd = -2 must be > 0"));
  CHECK_THAT(error_of("[inputs]\nx = { dist = \"triangular\", min = 1, mode = 5, max = 3 }\n"),
             Contains("[inputs.x.mode]") && Contains("mode = 5 must lie in [min, max] = [1, 3]"));
  CHECK_THAT(error_of("[inputs]\nx = { dist = \"beta\", mean = 0.5, sd = 0.6 }\n"),
             Contains("[inputs.x.sd]") && Contains("sd² < mean·(1 − mean)"));
  CHECK_THAT(error_of("[inputs]\nx = { dist = \"normal\", mean = \"1\", sd = 2 }\n"),
             Contains("[inputs.x.mean]") && Contains("expected a number, got a string"));
}

TEST_CASE("error: incomplete or mixed parameter sets list the valid sets", "[scenario][errors]") {
  CHECK_THAT(error_of("[inputs]\nx = { dist = \"lognormal\", median = 5, sd = 1 }\n"),
             Contains("test.toml:2:5") && Contains("[inputs.x]") &&
                 Contains("lognormal needs median + sigma, mean + sd, or two quantiles such as p10 + p90; got `median`, `sd`"));
  CHECK_THAT(error_of("[inputs]\nx = { mean = 5 }\n"), Contains("[inputs.x]") && Contains("missing `dist`"));
}

TEST_CASE("error: a bad range string suggests naming a distribution", "[scenario][errors]") {
  CHECK_THAT(error_of("[inputs]\nx = \"0 to 10\"\n"),
             Contains("test.toml:2:5") && Contains("[inputs.x]") && Contains("reaches zero or below") &&
                 Contains("dist = \"uniform\", min = 0, max = 10"));
  CHECK_THAT(error_of("[inputs]\nx = \"90 to 60\"\n"), Contains("is reversed or empty"));
  CHECK_THAT(error_of("[inputs]\nx = \"about 60\"\n"), Contains("is not a range"));
}

TEST_CASE("error: unknown name in a formula points at it and suggests the nearest", "[scenario][errors]") {
  const auto msg = error_of("[inputs]\nsalary = 1\nshare = 2\n[formulas]\nmarket = \"salry * share\"\n");
  CHECK_THAT(msg, Contains("test.toml:5:11") && Contains("[formulas.market]") && Contains("unknown name `salry`") &&
                      Contains("did you mean `salary`"));
  CHECK_THAT(error_of("[inputs]\na = 1\n[formulas]\ny = \"a + max\"\n"),
             Contains("test.toml:4:10") && Contains("`max` is a function"));
}

TEST_CASE("error: a formula syntax error points at the character", "[scenario][errors]") {
  CHECK_THAT(error_of("[inputs]\na = 1\n[formulas]\ny = \"a * (a + 1\"\n"),
             Contains("test.toml:4:16") && Contains("[formulas.y]") && Contains("missing `)`"));
  CHECK_THAT(error_of("[inputs]\na = 1\n[formulas]\ny = \"lgo(a)\"\n"),
             Contains("test.toml:4:6") && Contains("did you mean `log`"));
}

TEST_CASE("error: a cycle of formulas is named", "[scenario][errors]") {
  const auto msg = error_of("[inputs]\na = 1\n[formulas]\nx = \"y + a\"\ny = \"z * 2\"\nz = \"x - 1\"\n");
  CHECK_THAT(msg, Contains("test.toml:4:6") && Contains("[formulas.x]") && Contains("cycle: x → y → z → x"));
  CHECK_THAT(error_of("[formulas]\nx = \"x + 1\"\n"), Contains("cycle: x → x"));
}

TEST_CASE("error: names must be unique identifiers", "[scenario][errors]") {
  CHECK_THAT(error_of("[inputs]\na = 1\n[formulas]\na = \"2\"\n"),
             Contains("test.toml:4:1") && Contains("[formulas.a]") && Contains("already defined"));
  CHECK_THAT(error_of("[inputs]\n\"growth rate\" = 1\n"),
             Contains("test.toml:2:1") && Contains("not a valid name"));
}

TEST_CASE("error: report names must exist", "[scenario][errors]") {
  CHECK_THAT(error_of("[inputs]\nmarket = 1\n[outputs]\nreport = [\"markt\"]\n"),
             Contains("test.toml:4:11") && Contains("[outputs.report]") && Contains("did you mean `market`"));
}

TEST_CASE("error: unknown keys are errors everywhere", "[scenario][errors]") {
  CHECK_THAT(error_of("[scenario]\nnmae = \"x\"\n[inputs]\na = 1\n"),
             Contains("test.toml:2:1") && Contains("[scenario.nmae]") && Contains("did you mean `name`"));
  CHECK_THAT(error_of("[inputs]\na = 1\n[formulas]\ny = { expr = \"a\", unti = \"CNY\" }\n"),
             Contains("[formulas.y.unti]") && Contains("did you mean `unit`"));
  CHECK_THAT(error_of("[inputs]\na = 1\n[outputs]\nreprot = [\"a\"]\n"), Contains("did you mean `report`"));
}

TEST_CASE("error: a missing file is reported as such", "[scenario][errors]") {
  CHECK_THROWS_WITH(load_scenario("/nonexistent/x.toml"), Contains("/nonexistent/x.toml") && Contains("cannot open"));
}

TEST_CASE("lint: inputs without a source and points outside the 1–99% range are warned about", "[scenario][lint]") {
  const Scenario s = test::scenario(
      "[inputs]\na = { dist = \"normal\", mean = 0, sd = 1, point = 5, source = \"R1 §1\" }\nb = 3\n");
  REQUIRE(s.warnings.size() == 2);
  CHECK_THAT(s.warnings[0].str(), Contains("test.toml:2:1: warning: [inputs.a]") && Contains("point 5 lies outside"));
  CHECK_THAT(s.warnings[1].str(), Contains("test.toml:3:1: warning: [inputs.b]") && Contains("no `source`"));
  // A point outside on purpose says why, and is not warned about; the note must be text.
  const Scenario noted = test::scenario("[inputs]\na = { dist = \"normal\", mean = 0, sd = 1, point = 5, "
                                        "point_note = \"the report's ceiling\", source = \"R1 §1\" }\n");
  CHECK(noted.warnings.empty());
  CHECK(noted.inputs[0].point_note == "the report's ceiling");
  CHECK_THROWS_WITH(test::scenario("[inputs]\na = { dist = \"normal\", mean = 0, sd = 1, point_note = 3 }\n"),
                    Contains("[inputs.a.point_note]"));
}

TEST_CASE("scenario: a formula's unit and year format follow from its operands where they decide them", "[scenario]") {
  const Scenario s = test::scenario(R"TOML(
[inputs]
staff  = { value = 20000, unit = "people" }
sales  = { value = 15e12, unit = "CNY" }
anchor = { value = 8.7e11, unit = "CNY" }
salary = { value = 75000, unit = "CNY/year/people" }
share  = { value = 0.5 }
wage   = { value = 1, unit = "CNY/year" }
start  = { value = 2024, format = "year" }
span   = { value = 6, unit = "years" }
[formulas]
headcount = "staff * sales / anchor"
pool      = "headcount * salary"
market    = "pool * share"
area      = "staff ^ 2"
ratio     = "sales / anchor"
called    = "moic(sales, anchor)"
on_top    = "called * salary"
end       = "start + span"
length    = "end - start"
fixed     = { expr = "start + span", format = "auto" }
)TOML");
  const auto f = [&](const std::string& name) -> const Formula& {
    for (const auto& x : s.formulas)
      if (x.name == name) return x;
    FAIL("no formula " << name);
    return s.formulas.front();
  };
  CHECK(f("headcount").unit == "people");  // people × CNY ÷ CNY
  CHECK(f("headcount").unit_inferred);
  CHECK(f("pool").unit == "CNY/year");     // people × CNY/(year·people); `wage`'s text, as written
  CHECK(f("market").unit == "CNY/year");
  CHECK(f("area").unit == "people^2");
  CHECK(f("ratio").unit.empty());          // CNY ÷ CNY: unit-free
  CHECK(f("called").unit.empty());         // a model function decides nothing ...
  CHECK(f("on_top").unit.empty());         // ... nor what is built on it
  CHECK(f("end").format == NumberStyle::year);
  CHECK(f("length").format == NumberStyle::automatic);  // a year minus a year is a duration
  CHECK(f("fixed").format == NumberStyle::automatic);   // a written format is kept
}

TEST_CASE("scenario: `format` must be auto, year or percent", "[scenario][errors]") {
  try {
    (void)test::scenario("[inputs]\nx = { value = 1, format = \"money\" }\n");
    FAIL("accepted format = \"money\"");
  } catch (const ScenarioError& e) {
    CHECK_THAT(e.what(), Catch::Contains("test.toml:2:") && Catch::Contains("[inputs.x.format]") &&
                             Catch::Contains("unknown format \"money\"") && Catch::Contains("\"percent\""));
  }
}

TEST_CASE("scenario: every law parses with its parameter names, and bad values are located errors", "[scenario]") {
  const Scenario s = test::scenario(R"TOML(
[inputs]
fail   = { dist = "bernoulli", p = 0.3 }
deals  = { dist = "binomial", n = 20, p = 0.25 }
events = { dist = "poisson", mean = 4.5 }
wait   = { dist = "exponential", mean = 2 }
rate   = { dist = "exponential", rate = 0.5 }
life   = { dist = "weibull", shape = 1.5, scale = 3 }
peak   = { dist = "gumbel", location = 10, scale = 2 }
peak2  = { dist = "gumbel", mean = 10, sd = 2 }
noise  = { dist = "student-t", df = 5, location = 1, scale = 0.5 }
std_t  = { dist = "student_t", df = 4 }
price  = { dist = "loguniform", min = 1, max = 1000 }
share  = { dist = "beta", alpha = 2, beta = 5, min = 0.1, max = 0.6 }
share2 = { dist = "beta", mean = 0.3, sd = 0.1, min = 0.1, max = 0.6 }
share3 = { dist = "beta", p10 = 0.2, p90 = 0.5, min = 0.1, max = 0.6 }
mult   = { dist = "lognormal", p10 = 4, p90 = 20 }
cost   = { dist = "gamma", p10 = 2, p90 = 9 }
frac   = { dist = "beta", "p2.5" = 0.1, "p97.5" = 0.4 }  # a fractional percent is a quoted key in TOML
)TOML");
  const auto law = [&](const std::string& name) {
    for (const auto& in : s.inputs)
      if (in.name == name) return in.dist;
    FAIL("no input " << name);
    return Distribution{};
  };
  CHECK(std::get<Bernoulli>(law("fail")).p == 0.3);
  CHECK(std::get<Binomial>(law("deals")).n == 20);
  CHECK(std::get<Poisson>(law("events")).lambda == 4.5);
  CHECK(std::get<Exponential>(law("wait")).rate == 0.5);
  CHECK(std::get<Exponential>(law("rate")).rate == 0.5);
  CHECK(mean(law("peak2")) == Approx(10).epsilon(1e-12));
  CHECK(sd(law("peak2")) == Approx(2).epsilon(1e-12));
  CHECK(std::get<StudentT>(law("noise")).df == 5);
  CHECK(std::get<StudentT>(law("std_t")).scale == 1);
  CHECK(mean(law("share2")) == Approx(0.3).epsilon(1e-12));
  CHECK(sd(law("share2")) == Approx(0.1).epsilon(1e-12));
  CHECK(quantile(law("share3"), 0.10) == Approx(0.2).epsilon(1e-9));
  CHECK(quantile(law("share3"), 0.90) == Approx(0.5).epsilon(1e-9));
  CHECK(quantile(law("mult"), 0.90) == Approx(20).epsilon(1e-12));
  CHECK(quantile(law("cost"), 0.10) == Approx(2).epsilon(1e-9));
  CHECK(quantile(law("frac"), 0.975) == Approx(0.4).epsilon(1e-9));

  CHECK_THAT(error_of("[inputs]\nx = { dist = \"binomial\", n = 2.5, p = 0.5 }\n"),
             Contains("test.toml:2:") && Contains("[inputs.x.n]") && Contains("whole number"));
  CHECK_THAT(error_of("[inputs]\nx = { dist = \"bernoulli\", p = 1.5 }\n"),
             Contains("[inputs.x.p]") && Contains("must lie in [0, 1]"));
  CHECK_THAT(error_of("[inputs]\nx = { dist = \"gamma\", p10 = 5, p90 = 3 }\n"),
             Contains("[inputs.x.p90]") && Contains("p90 = 3 must exceed p10 = 5"));
  CHECK_THAT(error_of("[inputs]\nx = { dist = \"beta\", p10 = 0.5, p90 = 3 }\n"),
             Contains("must lie in (0, 1); for another range add min and max"));
  CHECK_THAT(error_of("[inputs]\nx = { dist = \"lognormal\", p10 = 5 }\n"),
             Contains("lognormal needs") && Contains("two quantiles such as p10 + p90") && Contains("got `p10`"));
  CHECK_THAT(error_of("[inputs]\nx = { dist = \"loguniform\", min = 0, max = 3 }\n"),
             Contains("[inputs.x.min]") && Contains("positive numbers"));
  CHECK_THAT(error_of("[inputs]\nx = { dist = \"normal\", p10 = 1, p90 = 2 }\n"),
             Contains("unknown key `p10`"));
  // metalog: 3–5 points, rising, bounds outside them, a fit that rises everywhere
  const Scenario m = test::scenario("[inputs]\nx = { dist = \"metalog\", p10 = 2, p50 = 5, p90 = 15, lower = 0 }\n");
  CHECK(quantile(m.inputs[0].dist, 0.9) == Approx(15).epsilon(1e-12));
  CHECK(m.inputs[0].point == Approx(5).epsilon(1e-12));
  CHECK_THAT(error_of("[inputs]\nx = { dist = \"metalog\", p10 = 1, p90 = 2 }\n"), Contains("3 to 5 quantile points"));
  CHECK_THAT(error_of("[inputs]\nx = { dist = \"metalog\", p10 = 3, p50 = 2, p90 = 4 }\n"),
             Contains("[inputs.x.p50]") && Contains("must exceed the quantile before it"));
  CHECK_THAT(error_of("[inputs]\nx = { dist = \"metalog\", p10 = 1, p50 = 2, p90 = 4, lower = 1 }\n"),
             Contains("[inputs.x.lower]") && Contains("must lie below p10"));
  CHECK_THAT(error_of("[inputs]\nx = { dist = \"metalog\", p10 = 1, p50 = 1.01, p90 = 100 }\n"),
             Contains("rises everywhere"));
}
