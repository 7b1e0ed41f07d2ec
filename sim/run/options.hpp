// How a run is asked for, in three parts: what to run (it decides the result's bits), how to execute it
// (threads, ranks, shards, checkpoints: never the bits), and the callbacks a caller listens on.
#pragma once
#include "sim/lang/scenario.hpp"
#include "sim/run/distributed.hpp"
#include "sim/stats/run_summary.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
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

/// What to run; unset seed/samples fall back to the scenario's, then to the defaults.
struct RunRequest {
  std::optional<std::uint64_t> seed;
  std::optional<std::uint64_t> samples;
  Store store = Store::all;
  std::string output;                ///< result file to write (or a shard's part); "" = none
  bool point_only = false;           ///< evaluate once at the point values; no sampling, no file
  bool sobol = false;                ///< also Sobol' indices of the reported outputs (scenarios only)
  std::vector<StressCase> stresses;  ///< run beside the base, in this order (scenarios only)
};

/// How to execute it: none of these changes a bit of the result.
struct Execution {
  unsigned threads = 0;  ///< 0 = one per core
  /// Cut each pass into block ranges run apart and merged (see StreamOptions::split_blocks).
  std::vector<std::uint64_t> split_blocks;
  /// Compute only this shard's blocks of the main pass and write them as a part to RunRequest::output.
  std::optional<Shard> shard;
  /// Merge these shards' parts (every shard of one run, any order): their main pass is not sampled again.
  std::vector<std::string> parts;
  /// MPI ranks sharing every pass (null: this process alone); rank 0 writes the result.
  Ranks* ranks = nullptr;
  /// Recorded in parts and checkpoints; what they are checked against.
  RunIdentity identity;
  /// Seconds between checkpoints written to checkpoint_path(output) (0: none). The checkpoint is removed once
  /// the result is written, kept when the run is interrupted.
  double checkpoint_seconds = 0;
  /// Continue from checkpoint_path(output) when it exists (bit-identical to an uninterrupted run).
  bool resume = false;
};

/// What a caller hears while a run goes on; every one may be left empty.
struct RunCallbacks {
  /// Samples done of the total in the current pass.
  std::function<void(std::uint64_t, std::uint64_t)> progress;
  /// Called as each phase starts: the stream's ("pilot", "sampling", "further pass", "statistics"), then
  /// "sensitivity" and "writing".
  std::function<void(std::string_view)> phase;
  /// Polled between blocks: set, the run throws Interrupted and leaves nothing behind.
  const std::atomic<bool>* cancel = nullptr;
  /// Called with the finished summary before anything is written; when it returns false the run writes nothing
  /// (a --precision round short of its target). It may fill in RunSummary::precision.
  std::function<bool(RunSummary&)> accept;
  /// Receives a line for the user about the run's checkpoint: the progress it resumes from, or that one is
  /// there and this run starts afresh.
  std::function<void(const std::string&)> notice;
};

/// A run asked for: what, how, and who listens.
struct RunOptions {
  RunRequest what;
  Execution how;
  RunCallbacks on;

  /// True when this process writes the result file (an output, not a shard, not an MPI rank > 0, not --point).
  [[nodiscard]] bool writes_result() const;
  /// Throws Interrupted when on.cancel is set.
  void check_cancel() const;
};

/// What a run needs before it starts (preflight_scenario, preflight_suite).
struct RunNeeds {
  double stored_bytes = 0;  ///< sample datasets the result file will hold (8 bytes per value)
};

}  // namespace tamcarlo
