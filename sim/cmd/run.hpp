// Running one scenario end to end: compile, stream the samples through the engine (base, stressed
// cases and portfolio together), write the result file atomically.
#pragma once
#include "sim/engine/stream.hpp"
#include "sim/engine/plan.hpp"
#include "sim/cmd/spread.hpp"
#include "sim/lang/scenario.hpp"
#include "sim/stats/summary.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
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

/// What a run needs before it starts, filled in by a preflight (RunOptions::preflight).
struct RunNeeds {
  double stored_bytes = 0;  ///< sample datasets the result file will hold (8 bytes per value)
};

/// How to run a scenario; unset seed/samples fall back to the scenario's, then to the defaults.
struct RunOptions {
  std::optional<std::uint64_t> seed;
  std::optional<std::uint64_t> samples;
  unsigned threads = 0;          ///< 0 = one per core
  Store store = Store::all;
  std::string output;            ///< result file to write; "" = none
  bool point_only = false;       ///< evaluate once at the point values; no sampling, no file
  bool sobol = false;            ///< also Sobol' indices of the reported outputs (run_scenario only)
  std::function<void(std::uint64_t, std::uint64_t)> progress;
  /// Called as each phase starts: the stream's ("pilot", "sampling", "further pass", "statistics"), then
  /// "sensitivity" and "writing".
  std::function<void(std::string_view)> phase;
  const std::atomic<bool>* cancel = nullptr;
  std::vector<StressCase> stresses;  ///< run beside the base, in this order (run_scenario only)
  /// Cut each pass into block ranges run apart and merged (see StreamOptions::split_blocks); same bits.
  std::vector<std::uint64_t> split_blocks;
  /// When set, the run only checks that it fits (memory; throws RunError otherwise), fills this in and returns
  /// before sampling or creating a file: several scenarios are all checked before the first is written.
  RunNeeds* preflight = nullptr;
  /// Compute only this shard's blocks of the main pass and write them as a part to `output` (no result).
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
  /// Called with the finished summary before anything is written; when it returns false the run writes nothing
  /// (a --precision round short of its target). It may fill in RunSummary::precision.
  std::function<bool(RunSummary&)> accept;
  /// Receives a line for the user about the run's checkpoint: the progress it resumes from, or that one is
  /// there and this run starts afresh.
  std::function<void(const std::string&)> notice;

  /// True when this process writes the result file (an output, not a shard, not an MPI rank > 0, not --point).
  [[nodiscard]] bool writes_result() const {
    return !output.empty() && !point_only && !preflight && !shard && !(ranks && ranks->rank() != 0);
  }
};

/// Throws RunError when `threads` workspaces of `plans` (k_block_size rows × slots × 8 bytes each, per
/// thread) would not fit in the memory available (physical, or the cgroup's limit), saying how many
/// threads would.
void check_workspace_memory(const std::vector<const Plan*>& plans, unsigned threads, const std::string& name);

/// Bytes of the sample datasets `r` stores: its stored series × samples × 8.
[[nodiscard]] double stored_bytes(const RunSummary& r);

/// A summary of `s` with every variable's identity and point values, before sampling: one entry per
/// series (Plan::series()); `reported`, `stored` (per opt) and `risk_spec` set.
[[nodiscard]] RunSummary describe_run(const Scenario& s, const Plan& plan, const RunOptions& opt);
/// Throws UsageError when `samples` cannot hold the scenario's design replicates (≥ 2 samples each; ≤ 2³² Sobol'
/// points each), naming where the design is written.
void check_design_samples(const Scenario& s, std::uint64_t samples);

/// What the streaming engine computes for each series of `r` (quantiles for reported or stored ones,
/// risk where specified).
[[nodiscard]] std::vector<ColumnSpec> column_specs(const RunSummary& r);

/// Copies the engine's results for the series of `r` (columns [first, first + series)) into it.
void take_results(RunSummary& r, const std::vector<ColumnResult>& results, std::size_t first);

/// Sets the Spearman sensitivities of `r`'s reported formulas to every uncertain input (first samples, re-drawn);
/// throws Interrupted when opt.cancel is set.
void add_sensitivity(RunSummary& r, const Plan& plan, const RunOptions& opt);

class ResultWriter;
class RunGroup;

/// Adds the sample datasets of `r`'s stored variables to `group` (when given), noting their columns (offset by
/// `first`).
void add_sample_datasets(RunGroup* group, const RunSummary& r, std::vector<std::size_t>& columns, std::size_t first);

/// Streams `source` with opt's threads, progress, cancellation and splits, here or spread as opt says (MPI
/// ranks, a shard, a merge of shards, checkpoints and resume: spread.cpp); the `stored` columns go to
/// `writer`'s sample datasets (which must be in that column order), after a disk-space check, or to the part
/// this process writes. Returns the statistics, or nothing for a shard (its part is written).
[[nodiscard]] std::optional<std::vector<ColumnResult>> stream_into(const BlockSource& source, std::vector<ColumnSpec> specs,
                                                                   std::vector<std::size_t> stored, const RunOptions& opt,
                                                                   std::uint64_t seed, std::uint64_t samples,
                                                                   ResultWriter* writer,
                                                                   StreamTimings* timings);

/// Removes the checkpoint of a run writing `opt.output`, once its result is committed.
void remove_checkpoint(const RunOptions& opt);

/// Writes the CSV summary (csv_text) beside `writer`'s target, then commits both under a CommitLock, so
/// they appear together; throws Interrupted instead if opt.cancel is set by then.
void commit_with_csv(ResultWriter& writer, const RunOptions& opt, const std::function<void(std::ostream&)>& csv_text);

/// Runs `s` end to end: every sample streamed once (more passes only to narrow quantile brackets),
/// stored samples written as they come, summaries, CSV; the HDF5 and CSV appear together. Each of
/// opt.stresses runs beside the base on the same samples, into /stress/<name>, with the paired
/// differences. Throws RunError (I/O) or Interrupted; on any throw no file is left at opt.output.
[[nodiscard]] RunSummary run_scenario(const Scenario& s, const RunOptions& opt);

}  // namespace tamcarlo
