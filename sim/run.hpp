// Running one scenario end to end: compile, sample, summarize, write the result file atomically.
#pragma once
#include "sim/scenario.hpp"
#include "sim/summary.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace tamcarlo {

/// Seed used when neither the command line nor the scenario sets one.
inline constexpr std::uint64_t k_default_seed = 20240101;
/// Sample count used when neither the command line nor the scenario sets one.
inline constexpr std::uint64_t k_default_samples = 1'000'000;

/// How to run a scenario; unset seed/samples fall back to the scenario's, then to the defaults.
struct RunOptions {
  std::optional<std::uint64_t> seed;
  std::optional<std::uint64_t> samples;
  unsigned threads = 0;          ///< 0 = one per core
  Store store = Store::all;
  std::string output;            ///< result file to write; "" = none
  bool point_only = false;       ///< evaluate once at the point values; no sampling, no file
  std::function<void(std::uint64_t, std::uint64_t)> progress;
  const std::atomic<bool>* cancel = nullptr;
};

/// Runs `s`. Throws RunError (I/O) or Interrupted; on any throw no file is left at opt.output.
[[nodiscard]] RunSummary run_scenario(const Scenario& s, const RunOptions& opt);

}  // namespace tamcarlo
