// libFuzzer target: the scenario parser, validation and lint, the formula compiler (Plan) and a point
// evaluation, fed arbitrary bytes as a scenario file. Any escape other than a ScenarioError (or a
// UsageError for a scenario the run would refuse) is a defect, as is any sanitizer report.
// Build: cmake --preset sanitize && cmake --build build/sanitize --target scenario_fuzz; run it on a directory seeded
// with scenarios/**/*.toml and tests/fuzz/crashes (as .ci/run does).
#include "tests/fuzz/scenario_fuzz.hpp"

#include "sim/base/error.hpp"
#include "sim/engine/plan.hpp"
#include "sim/lang/scenario.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace tamcarlo::test {

FuzzOutcome fuzz_one(const std::string& text, const std::string& path) {
  try {
    const Scenario s = parse_scenario(text, path);
    const Plan plan(s);
    for (std::size_t t = 0; t < std::max<std::size_t>(1, s.years.size()); ++t) (void)plan.evaluate_point(t);
    return FuzzOutcome::evaluated;
  } catch (const ScenarioError&) {
  } catch (const UsageError&) {
  }
  return FuzzOutcome::refused;
}

}  // namespace tamcarlo::test

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)tamcarlo::test::fuzz_one(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
