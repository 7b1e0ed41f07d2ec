// Running one scenario end to end: compile, stream the samples through the engine (base, stressed
// cases and portfolio together), write the result file atomically.
#pragma once
#include "sim/engine/plan.hpp"
#include "sim/engine/stream.hpp"
#include "sim/lang/scenario.hpp"
#include "sim/run/options.hpp"
#include "sim/stats/run_summary.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace tamcarlo {

/// Throws RunError when `threads` workspaces of `plans` (k_block_size rows × slots × 8 bytes each, per
/// thread) and the buffers of `stored` stored series (a chunk of min(N, 65,536) rows each, per thread, and one in
/// the file's chunk cache) would not fit in 80% of the memory available (physical, or the cgroup's limit), saying
/// how many threads would, or to store fewer series.
void check_workspace_memory(const std::vector<const Plan*>& plans, unsigned threads, const std::string& name,
                            std::uint64_t stored = 0, std::uint64_t samples = 0);

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

/// The first samples of a run's series as its main pass kept them (a Capture), and where one plan's series start.
struct SensitivityKept {
  const Capture& capture;
  std::size_t first = 0;  ///< the source column of the plan's series 0
};

/// Adds to `capture` the series (source columns from `first`) and first samples the sensitivities of `r` need, as
/// long as all it holds stays within k_sensitivity_values values (beyond, those sensitivities re-draw).
void want_sensitivity_columns(Capture& capture, const RunSummary& r, const Plan& plan, std::size_t first,
                              const Scenario* s = nullptr);

/// Sets the Spearman sensitivities of `r`'s reported formulas to every uncertain input over the run's first
/// samples: from `kept` when the main pass kept them all, else re-drawn (the same values); throws Interrupted when
/// opt.cancel is set.
void add_sensitivity(RunSummary& r, const Plan& plan, const RunOptions& opt, const SensitivityKept* kept = nullptr,
                     const Scenario* s = nullptr);
/// Adds to `capture` the series (source columns from `first`) a [decision] in `s` reads, its options and uncertain
/// inputs, over its min(N, k_decision_samples) samples, as long as all the capture holds stays within
/// k_replay_values values (beyond, the decision re-draws them).
void want_decision_columns(Capture& capture, const RunSummary& r, const Scenario& s, const Plan& plan, std::size_t first);
/// With a [decision] in `s`: the options' means and P(best), EVPI and each question's EVPPI over the first
/// min(N, k_decision_samples) samples of r's seed, into r.decision: from `kept` when the main pass kept them all,
/// else re-drawn (the same values).
void add_decision(RunSummary& r, const Scenario& s, const Plan& plan, const RunOptions& opt,
                  const SensitivityKept* kept = nullptr);

/// Sets nonfinite_origin of each of `r`'s variables with non-finite samples: where the first comes from (re-drawn
/// from `plan`, compiled from `s`, under r's seed and N; see nonfinite_origins).
void add_nonfinite_origins(RunSummary& r, const Scenario& s, const Plan& plan);

/// Sets below_zero of each reported formula of `r` in a unit of money or of a counted thing (detail::amount_kind; a
/// name that says it may be negative, net_ or _change, excepted) whose P50 is above 0 and whose smallest sample is
/// below 0: an amount that cannot be negative went below zero in some samples (a difference, an extrapolation).
void add_below_zero(RunSummary& r);

class ResultWriter;
class RunGroup;

/// Adds the sample datasets of `r`'s stored variables to `group` (when given), noting their columns (offset by
/// `first`).
void add_sample_datasets(RunGroup* group, const RunSummary& r, std::vector<std::size_t>& columns, std::size_t first);

/// Writes the CSV summary (csv_text) beside `writer`'s target, then commits both under a CommitLock, so
/// they appear together; throws Interrupted instead if opt.cancel is set by then.
void commit_with_csv(ResultWriter& writer, const RunOptions& opt, const std::function<void(std::ostream&)>& csv_text);

/// Checks that `s` would fit (block workspace memory; throws RunError otherwise) and says what it would store,
/// before anything is sampled or created: several scenarios are all checked before the first is written.
[[nodiscard]] RunNeeds preflight_scenario(const Scenario& s, const RunOptions& opt);

/// Runs `s` end to end: every sample streamed once (more passes only to narrow quantile brackets),
/// stored samples written as they come, summaries, CSV; the HDF5 and CSV appear together. Each of
/// opt.what.stresses runs beside the base on the same samples, into /stress/<name>, with the paired
/// differences. Throws RunError (I/O) or Interrupted; on any throw no file is left at opt.what.output.
[[nodiscard]] RunSummary run_scenario(const Scenario& s, const RunOptions& opt);

}  // namespace tamcarlo
