// The streaming engine: a run is a sweep over blocks of samples, evaluated in parallel (oneTBB) by
// a BlockSource, whose columns feed mergeable summaries. Moments and region sums merge through a
// canonical BlockTree, counts by integer addition, so any split of the blocks (threads, ranges
// run apart and merged) gives the same bits. Exact quantiles come from order_stats: a pilot over the
// first blocks brackets every wanted rank, the main pass collects the brackets (or histograms them
// when they would not fit), and further passes re-draw only to narrow what is left; a short run has no
// pilot, and its one pass collects every value. Memory depends on the block size, the thread count
// and the collection budget, never on the sample count.
#pragma once
#include "sim/stats/block_tree.hpp"
#include "sim/stats/histogram.hpp"
#include "sim/stats/run_summary.hpp"
#include "sim/stats/order_stats.hpp"
#include "sim/stats/risk.hpp"
#include "sim/stats/statistics.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string_view>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tamcarlo {

/// Blocks per chunk: the unit of work a thread takes, and one HDF5 chunk of stored samples.
inline constexpr std::size_t k_chunk_blocks = 16;
/// Fewest blocks the pilot re-draws to place the quantile brackets (it takes the run's first samples:
/// enough for the brackets to fit the collection budget, at least N/128 and these 262,144, at most 8 Mi).
inline constexpr std::size_t k_pilot_blocks = 64;
/// Fewest blocks the pilot of a short run re-draws (N/64 when it is more, below 64·k_pilot_blocks blocks).
inline constexpr std::size_t k_small_pilot_blocks = 2;
/// A run of at most these blocks (131,072 samples) whose values fit the collection budget has no pilot: its first
/// pass collects every value.
inline constexpr std::size_t k_whole_blocks = 32;
/// Values the first pass may collect over all columns (8 bytes each); beyond it, brackets are histogrammed.
inline constexpr std::uint64_t k_collect_budget = 16'000'000;
/// Values the main pass may keep (8 bytes each: 64 MiB) for a further pass to replay rather than re-draw: a worst-tail
/// allocation's column and companions over every sample (a portfolio of 4 holdings up to 1.6 million samples).
inline constexpr std::uint64_t k_replay_values = std::uint64_t{8} << 20;

/// Evaluates blocks for one thread.
class BlockEvaluator {
 public:
  virtual ~BlockEvaluator() = default;
  /// Evaluates samples [first, first + rows), rows ≤ k_block_size; columns[c] then points at column c's
  /// `rows` values, valid until the next call.
  virtual void evaluate(std::uint64_t first, std::size_t rows, std::vector<const double*>& columns) = 0;
  /// The following evaluate calls may leave column c unfilled (its pointer stale) where needed[c] is false, to skip
  /// costly columns a further pass does not read; by default every column is filled.
  virtual void need_only(const std::vector<bool>& needed) { (void)needed; }
};

/// The columns every block of a run has (e.g. a plan's series, then derived columns).
class BlockSource {
 public:
  virtual ~BlockSource() = default;
  /// Number of columns.
  [[nodiscard]] virtual std::size_t width() const = 0;
  /// A new evaluator (one per thread).
  [[nodiscard]] virtual std::unique_ptr<BlockEvaluator> evaluator() const = 0;
  /// R > 0 when the samples are R independent replicates of a design (ReplicateSplit over the run's N): every
  /// column's mean then gets its standard error from the R replicate means. 0: independent samples.
  [[nodiscard]] virtual std::uint32_t replicates() const { return 0; }
};

/// Worst-tail allocation of a column x (portfolio P&L): with v the ⌈αn⌉-th smallest x and k the samples
/// below v, each companion c's mean over the worst ⌈αn⌉ samples, ties at v shared pro rata:
/// (Σ_{x<v} c + (⌈αn⌉ − k)/t · Σ_{x=v} c) / ⌈αn⌉, t = samples with x = v.
struct AllocationSpec {
  double level = 0.05;
  std::vector<std::size_t> companions;  ///< column indices
};

/// What a run computes for one column beyond its moments.
struct ColumnSpec {
  std::vector<double> probs;               ///< quantiles with 95% CIs (exact order statistics)
  std::optional<RiskSpec> risk;            ///< VaR, CVaR, threshold probabilities, semi-deviation
  std::optional<AllocationSpec> allocation;
  bool stored = false;                     ///< handed to the sample sink in the first pass
  bool histogram = false;                  ///< keep a chart histogram (HistogramLayout) of every finite value
  /// A conditioned run's column: every statistic is the weighted one, under StreamOptions::weights (moments with the
  /// effective sample size, quantiles as weight units in value order, risk metrics, the histogram in weight units).
  bool weighted = false;
};

/// Result of an AllocationSpec.
struct Allocation {
  double var = 0;                  ///< v, the ⌈αn⌉-th smallest value
  double cvar = 0;                 ///< mean of x over the worst ⌈αn⌉ samples
  std::vector<double> contribution;  ///< per companion; they sum to cvar when the companions sum to x
};

/// Everything a run reports for one column.
struct ColumnResult {
  Moments moments;
  std::vector<QuantileEstimate> quantiles;  ///< at ColumnSpec::probs
  std::optional<RiskStats> risk;
  std::optional<Allocation> allocation;
  std::optional<Histogram> histogram;       ///< when ColumnSpec::histogram and the column had a finite value
};

/// Receives the stored columns of samples [first, first + rows) (rows ≤ k_chunk_blocks × k_block_size), in
/// ColumnSpec order of the stored columns; called from worker threads, never twice at once.
using SampleSink = std::function<void(std::uint64_t first, std::size_t rows, const std::vector<std::span<const double>>& columns)>;

/// Some columns of the run's first `rows` samples, kept as the main pass evaluates them (the sensitivities use the
/// first samples, and need not re-draw them). Filled only for the blocks this process evaluates in its main pass.
struct Capture {
  std::uint64_t rows = 0;
  std::vector<std::size_t> columns;          ///< the source columns kept
  std::vector<std::unique_ptr<double[]>> values;  ///< per kept column, its first `rows` values (unset until kept)
  std::vector<std::uint8_t> kept;            ///< per block of the first `rows` samples: 1 once its values are in
  /// Sizes `values` (not zeroed: the pass writes each value before it is read) and `kept` (called by the stream
  /// before its main pass).
  void prepare();
  /// The j-th kept column's first `rows` values.
  [[nodiscard]] std::span<const double> column(std::size_t j) const { return {values.at(j).get(), rows}; }
  /// True when every block of the first `rows` samples was kept (not, e.g., in a resumed run or another rank).
  [[nodiscard]] bool complete() const;
};

/// How to run.
struct StreamOptions {
  std::uint64_t samples = 0;
  unsigned threads = 0;  ///< 0 = one per core
  std::function<void(std::uint64_t, std::uint64_t)> progress;  ///< (samples done, total) over all passes' blocks
  std::function<void(std::string_view)> phase;  ///< called as each phase starts: "pilot", "sampling", "further pass", "statistics"
  const std::atomic<bool>* cancel = nullptr;  ///< when it becomes true the run stops and throws Interrupted
  SampleSink sink;
  /// Blocks at which each pass is cut into ranges evaluated apart, serialized, read back and merged, as
  /// separate processes would (empty: one range). The results are the same bits either way.
  std::vector<std::uint64_t> split_blocks;
  /// Values the first pass may collect (tests lower it to exercise the histogram passes).
  std::uint64_t collect_budget = k_collect_budget;
  /// Columns of the first samples to keep from the main pass (none when null).
  Capture* capture = nullptr;
  /// The column holding each sample's likelihood (in [0, 1]; NaN where it is unknown) that weighted columns are
  /// weighted by, as weight_units() of it. Required when some ColumnSpec is weighted.
  std::optional<std::size_t> weights;
};

/// One run of the streaming engine, driven pass by pass. Each pass's state is built from block ranges
/// appended in block order, evaluated here or serialized by another process running the same source,
/// specs, seed and N (MPI ranks, job-array shards, a checkpoint); any split gives the same bits.
class Stream {
 public:
  /// Prepares the run: draws the pilot (the run's first samples, re-drawn: every process draws the same)
  /// and lays out the main pass. Throws Interrupted.
  Stream(const BlockSource& source, std::vector<ColumnSpec> specs, StreamOptions opt, StreamTimings* timings = nullptr);
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  /// Blocks of the run: ⌈N / k_block_size⌉.
  [[nodiscard]] std::uint64_t blocks() const noexcept;
  /// The pass now due: 0 is the main pass, the only one that feeds the sink.
  [[nodiscard]] unsigned pass() const noexcept;
  /// True once every statistic is final (results() may be called).
  [[nodiscard]] bool finished() const noexcept;
  /// One past the last block the current pass's state covers (0 when empty).
  [[nodiscard]] std::uint64_t state_end() const noexcept;

  /// Evaluates blocks [first, end) of the current pass (clipped to blocks()) and appends them to its state;
  /// ranges arrive in block order. Throws Interrupted.
  void evaluate(std::uint64_t first, std::uint64_t end);
  /// Hands blocks [first, end) to the sink without adding them to any state (a resumed run re-draws the
  /// samples its checkpoint does not hold).
  void store_only(std::uint64_t first, std::uint64_t end);
  /// Appends a range state serialized by take_state()/state() of a run of the same source, specs, seed, N and
  /// pass. Throws RunError when it is damaged, does not fit this pass's layout, or does not follow the state.
  void add_state(const std::string& bytes);
  /// The current pass's state, serialized; the state is emptied.
  [[nodiscard]] std::string take_state();
  /// The current pass's state, serialized; kept.
  [[nodiscard]] std::string state() const;
  /// Ends the current pass, whose state must cover every block (RunError otherwise): settles what it can;
  /// unless finished(), the next pass is due.
  void complete();
  /// Runs every remaining pass here over all blocks (cut at StreamOptions::split_blocks).
  void run_rest();
  /// Each column's statistics, once finished().
  [[nodiscard]] const std::vector<ColumnResult>& results() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Runs every pass of `source` over `samples` samples and returns each column's statistics. Throws Interrupted.
[[nodiscard]] std::vector<ColumnResult> run_stream(const BlockSource& source, const std::vector<ColumnSpec>& specs,
                                                   const StreamOptions& opt, StreamTimings* timings = nullptr);

/// Evaluates samples [0, n) of `source` and returns the wanted columns whole (pilot, tests, sensitivities:
/// small n). Throws Interrupted when `cancel` becomes true.
[[nodiscard]] std::vector<std::vector<double>> collect_columns(const BlockSource& source, std::uint64_t n,
                                                               const std::vector<bool>& wanted, unsigned threads,
                                                               const std::atomic<bool>* cancel = nullptr);

}  // namespace tamcarlo
