// libFuzzer target: the scenario parser, validation and lint, the formula compiler (Plan) and a point
// evaluation, fed arbitrary bytes as a scenario file. Any escape other than a ScenarioError (or a
// UsageError for a scenario the run would refuse) is a defect, as is any sanitizer report.
// Build: cmake --preset fuzz && cmake --build --preset fuzz; run: build/fuzz/scenario_fuzz tests/fuzz/corpus
#include "sim/engine/plan.hpp"
#include "sim/base/error.hpp"
#include "sim/lang/scenario.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const tamcarlo::Scenario s = tamcarlo::parse_scenario(text, "fuzz.toml");
    const tamcarlo::Plan plan(s);
    for (std::size_t t = 0; t < std::max<std::size_t>(1, s.years.size()); ++t) (void)plan.evaluate_point(t);
  } catch (const tamcarlo::ScenarioError&) {
  } catch (const tamcarlo::UsageError&) {
  }
  return 0;
}
