// The fuzz target's body, shared by libFuzzer (scenario_fuzz) and the normal test suite's replay of every library
// scenario and every input that once crashed.
#pragma once
#include <string>

namespace tamcarlo::test {

/// What the target did with one input.
enum class FuzzOutcome {
  evaluated,  ///< parsed, validated, compiled to a Plan and evaluated at its points
  refused,    ///< refused with a ScenarioError (or the UsageError a run would give)
};

/// Parses `text` as the scenario file `path`, compiles it and evaluates it at its points. Any other exception
/// escapes: that, or a sanitizer report, is a defect.
[[nodiscard]] FuzzOutcome fuzz_one(const std::string& text, const std::string& path = "fuzz.toml");

}  // namespace tamcarlo::test
