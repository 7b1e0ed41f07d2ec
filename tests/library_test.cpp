// The scenario library (scenarios/): every worked figure of the reports reproduced at the point
// values, every input sourced or marked as an assumption, and the matrix suite valid.
#include "sim/engine/plan.hpp"
#include "sim/run/run_suite.hpp"
#include "tests/support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace tamcarlo;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

// Value of `name` with every input at its point (in `year` for a timed variable).
double point(const std::string& file, const std::string& name, int year = 0) {
  const Scenario s = load_scenario(test::source_path(file));
  const Plan plan(s);
  std::size_t t = 0;
  if (year != 0) t = static_cast<std::size_t>(std::find(s.years.begin(), s.years.end(), year) - s.years.begin());
  REQUIRE((year == 0 || t < s.years.size()));
  return plan.evaluate_point(t)[plan.index(name)];
}

std::vector<std::string> library_files(std::vector<const char*> dirs = {"scenarios/cells", "scenarios/projections"}) {
  std::vector<std::string> files;
  for (const char* dir : dirs)
    for (const auto& e : fs::directory_iterator(test::source_path(dir)))
      if (e.path().extension() == ".toml") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

TEST_CASE("library: --point reproduces the reports' worked figures within their rounding", "[library]") {
  // R1 §1.3.1: 4.38万 × 8.4万 = 36.8亿, which R1 rounds to 37亿 (±0.5亿) before halving it to 18.5亿;
  // so the market must be 18.5亿 within half of that rounding, ±0.25亿.
  CHECK(std::fabs(point("scenarios/cells/cs_finance.toml", "wage_pool") - 37e8) <= 0.5e8);
  CHECK(std::fabs(point("scenarios/cells/cs_finance.toml", "market") - 18.5e8) <= 0.25e8);
  // R1 §1.3.2: 2万 × 15.42万亿 / 8712亿 = 35.4万, rounded to "about 35万" (±0.5万); × 7.5万 × 50% = 132亿,
  // so within 0.5万 × 7.5万 × 50% = 1.875亿 of the report's 132亿 (plus its own rounding to 1亿).
  CHECK(std::fabs(point("scenarios/cells/cs_ecommerce.toml", "headcount") - 35e4) <= 0.5e4);
  CHECK(std::fabs(point("scenarios/cells/cs_ecommerce.toml", "market") - 132e8) <= 1.875e8 + 0.5e8);
  // R1 §1.2.2: "over 600亿" at the 10–30% AI share; the cell's base is defined by it at the 20% midpoint.
  CHECK(point("scenarios/cells/content_retail.toml", "market") == Approx(600e8).epsilon(1e-12));
  // R1 §1.2.1: BCG bank of ~20,000 staff saves ~1.5亿 USD = 7% of compensation ("约", ±0.05亿).
  CHECK(std::fabs(point("scenarios/cells/knowledge_finance.toml", "bcg_savings") - 1.5e8) <= 0.05e8);
  // R1 §1.4.1: AI pharma 10.4亿 USD (2022) → 29.94亿 USD (2026), CAGR ≈ 30.3%.
  CHECK(point("scenarios/cells/drug_discovery.toml", "market") == Approx(29.94e8).epsilon(1e-12));
  CHECK(point("scenarios/cells/drug_discovery.toml", "growth") == Approx(0.303).margin(0.0005));
  CHECK(point("scenarios/projections/ai_pharma.toml", "market", 2022) == Approx(10.4e8).epsilon(1e-12));
  CHECK(point("scenarios/projections/ai_pharma.toml", "market", 2026) == Approx(29.94e8).epsilon(1e-12));
  CHECK(point("scenarios/projections/ai_pharma_shocks.toml", "market", 2022) == Approx(10.4e8).epsilon(1e-12));
  CHECK(point("scenarios/projections/ai_pharma_shocks.toml", "market", 2026) == Approx(29.94e8).epsilon(1e-12));
  // R1 §1.2.2: 216亿 in 2024 (the conditioned projection's points meet its observed figure).
  CHECK(point("scenarios/projections/llm_market_cn.toml", "market", 2024) == Approx(216e8).epsilon(1e-12));
  // R1 §1.1.2 (Gartner): under 10% of engineers in 2023, 75% by 2028.
  CHECK(point("scenarios/projections/code_assistant.toml", "adoption", 2023) < 0.10);
  CHECK(point("scenarios/projections/code_assistant.toml", "adoption", 2028) == Approx(0.75).epsilon(1e-12));
}

TEST_CASE("library: every input cites the reports or says it is an assumption, and files explain themselves",
          "[library]") {
  CHECK(library_files().size() == 13);  // nine R1 cells and four projections
  for (const auto& f : library_files({"scenarios/cells", "scenarios/projections", "scenarios/investments"})) {
    INFO(f);
    const Scenario s = load_scenario(f);
    CHECK(s.text.rfind("# ", 0) == 0);  // opens with a comment saying what the file models and from where
    CHECK_FALSE(s.title.empty());
    for (const auto& in : s.inputs) {
      if (in.linked) continue;  // checked in its own file
      INFO(in.name << ": " << in.source);
      const bool cites = in.source.find("R1 §") != std::string::npos || in.source.find("R2") != std::string::npos;
      CHECK((cites || in.source.rfind("assumption", 0) == 0));
      // A spread the reports do not give is marked as an assumption in the same source, unless it was fitted to the
      // reports' data (`tamcarlo fit`'s line, which names the file and column).
      if (!std::holds_alternative<Constant>(in.dist) && in.source.rfind("fit to scenarios/data/", 0) != 0)
        CHECK_THAT(in.source, Contains("assumption"));
    }
  }
  const Suite suite = load_suite(test::source_path("scenarios/matrix.toml"));
  for (const auto& in : suite.shared.inputs) CHECK_THAT(in.source, Contains("assumption"));
  CHECK(std::count_if(suite.members.begin(), suite.members.end(), [](const auto& m) { return m.cell; }) == 9);
}

TEST_CASE("library: validate finds no unsourced input and no other lint in the library", "[library][cli]") {
  const auto p = test::run_tamcarlo({"validate", test::source_path("scenarios"), test::source_path("scenarios/cells"),
                                     test::source_path("scenarios/projections"),
                                     test::source_path("scenarios/investments")});
  CHECK(p.exit_code == 0);
  CHECK_THAT(p.out, Contains("suite `aigc-matrix`, 9 cells, 2 runs"));
  CHECK(p.err.find("no `source`") == std::string::npos);
  // No lint finding at all: cs_ecommerce's point outside its law (R1's floor "over 2万") carries a point_note.
  CHECK(p.err.find("warning") == std::string::npos);
}
