// The fuzz target's regression inputs, replayed by the normal test suite through the same code as the fuzzer: every
// input that once crashed (tests/fuzz/crashes) must now end as a result or a located refusal, and every scenario of
// the library (scenarios/, read where it lies: the fuzzer's seeds are these files, never copies) must be evaluated.
#include "tests/fuzz/scenario_fuzz.hpp"
#include "tests/support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

namespace {

}  // namespace

TEST_CASE("fuzz: every input that once crashed now ends in a result or a located refusal", "[fuzz][hardening]") {
  std::size_t replayed = 0;
  for (const auto& e : std::filesystem::directory_iterator(tamcarlo::test::source_path("tests/fuzz/crashes"))) {
    INFO(e.path().string());
    CHECK_NOTHROW((void)tamcarlo::test::fuzz_one(tamcarlo::test::slurp(e.path())));  // any escape but a ScenarioError/UsageError
    ++replayed;
  }
  CHECK(replayed >= 1);
}

TEST_CASE("fuzz: every scenario of the library, the fuzzer's seeds, is evaluated by the fuzz target", "[fuzz]") {
  std::size_t seeds = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(tamcarlo::test::source_path("scenarios"))) {
    if (e.path().extension() != ".toml" || e.path().filename() == "matrix.toml") continue;  // the suite is not a scenario
    INFO(e.path().string());
    CHECK(tamcarlo::test::fuzz_one(tamcarlo::test::slurp(e.path()), e.path().string()) == tamcarlo::test::FuzzOutcome::evaluated);
    ++seeds;
  }
  CHECK(seeds >= 19);
}
