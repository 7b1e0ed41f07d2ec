// Running one scenario end to end: compile, sample, summarize, write the result file atomically.
#pragma once
#include "sim/results_file.hpp"
#include "sim/scenario.hpp"
#include "sim/summary.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace tamcarlo {

/// Seed used when neither the command line nor the scenario sets one.
inline constexpr std::uint64_t k_default_seed = 20240101;
/// Sample count used when neither the command line nor the scenario sets one.
inline constexpr std::uint64_t k_default_samples = 1'000'000;

/// A stressed variant of the base: a [stress.<name>] set, or the command line's --set overrides.
struct StressCase {
  std::string name, description;
  std::vector<Input> overrides;
};

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
  std::vector<StressCase> stresses;  ///< run beside the base, in this order (run_scenario only)
};

/// One scenario sampled in memory, before its quantiles are computed and anything is written.
struct Simulation {
  RunSummary summary;                         ///< variables: one per series, moments set, quantiles not yet
  std::vector<std::vector<double>> columns;   ///< per series: every sample if held (stored or reported), else empty
};

/// Samples `s` (no file is touched; opt.output only decides which series count as stored).
/// Refuses (RunError) a run whose held samples would not fit in memory. Throws Interrupted if cancelled.
[[nodiscard]] Simulation simulate(const Scenario& s, const RunOptions& opt);

/// Computes the quantiles of every held series (reordering its samples), then frees the samples.
void finish_statistics(Simulation& sim, unsigned threads);

/// Writes the stored series of `sim` (before finish_statistics) to `group`'s samples/.
void write_samples(RunGroup& group, const Simulation& sim);

/// Writes every variable's summary (after finish_statistics) to `group`'s summary/.
void write_summaries(RunGroup& group, const RunSummary& r);

/// Runs `s` end to end: simulate, write samples, statistics, summaries, CSV; the HDF5 and CSV appear
/// together. Each of opt.stresses runs too, on the same seed and samples, into /stress/<name>, with the
/// paired differences from the base. Throws RunError (I/O) or Interrupted; on any throw no file is
/// left at opt.output.
[[nodiscard]] RunSummary run_scenario(const Scenario& s, const RunOptions& opt);

}  // namespace tamcarlo
