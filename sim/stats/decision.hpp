// A decision between options (formulas in one unit, higher is better) and the value of information: the mergeable
// sums of one sample, and what they give — each option's mean, the probability each is best, the expected value
// of perfect information (EVPI) and of partial perfect information (EVPPI) about one input or a group of inputs.
// EVPPI bins the sample by the input's (or group's) values into cells of equal probability: the value of learning
// the input is the mean gain of choosing the best option per cell (Strong & Oakley 2013 regress instead of binning).
// The sampling lives in engine/decision.hpp.
#pragma once
#include "sim/stats/statistics.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tamcarlo {

/// Most options a [decision] may compare (the sums hold every pair of them per cell).
inline constexpr std::size_t k_max_decision_options = 8;

/// Sums over samples for a decision between K options, with P partitions of the sample into cells. Per sample:
/// the options' values V_k, their differences W_k = V_k − V_0 from the first option, M = max_k W_k, and, per
/// partition, the sample's cell and its half (sample index parity). Adding and merging in a fixed order gives fixed
/// bits.
class DecisionSums {
 public:
  DecisionSums() = default;
  /// Zero sums for options shifted by `shift` (the values' sums are of V_k − shift_k, to keep their squares small),
  /// and partitions of cells[p] cells.
  DecisionSums(std::vector<double> shift, std::vector<std::size_t> cells);
  /// Adds one sample: value[k] of each option, cell[p] in each partition, `half` 0 or 1. A sample with a
  /// non-finite value is counted as skipped.
  void add(std::span<const double> value, std::span<const std::uint32_t> cell, unsigned half);
  /// add() of `rows` samples at once, column by column: value[k][r] is option k's value in row r, cell[p][r] its cell
  /// in partition p, and row r's half is (first_half + r) mod 2. The same sums, bit for bit, as add() row by row (each
  /// sum takes its terms in row order), with less work per sample.
  void add_block(std::span<const double* const> value, std::span<const std::uint32_t* const> cell, std::size_t rows,
                 unsigned first_half);
  /// Adds another range's sums (same layout).
  void merge(const DecisionSums& o);

  /// Options K.
  [[nodiscard]] std::size_t options() const noexcept { return shift_.size(); }
  /// Partitions P.
  [[nodiscard]] std::size_t partitions() const noexcept { return cells_.size(); }
  /// Samples added with finite values, and skipped ones.
  [[nodiscard]] double count() const noexcept { return global_[0]; }
  [[nodiscard]] std::uint64_t skipped() const noexcept { return skipped_; }
  /// Σ (V_k − shift_k) and Σ (V_k − shift_k)².
  [[nodiscard]] double sum(std::size_t k) const { return global_[1 + k]; }
  [[nodiscard]] double sum2(std::size_t k) const { return global_[1 + options() + k]; }
  /// Samples where option k is the best (the first of equal values).
  [[nodiscard]] double best(std::size_t k) const { return global_[1 + 2 * options() + k]; }
  /// Σ (M − W_k) and Σ (M − W_k)²: the regret of always taking option k.
  [[nodiscard]] double regret(std::size_t k) const { return global_[1 + 3 * options() + k]; }
  [[nodiscard]] double regret2(std::size_t k) const { return global_[1 + 4 * options() + k]; }
  /// One cell's sums in partition p, half h: count, Σ W_k (k = 1..K−1), Σ W_j·W_k (1 ≤ j ≤ k ≤ K−1).
  [[nodiscard]] std::span<const double> cell(std::size_t p, unsigned h, std::size_t c) const;
  /// Values per cell: 1 + (K−1) + (K−1)·K/2.
  [[nodiscard]] std::size_t cell_width() const noexcept;
  /// Cells of partition p.
  [[nodiscard]] std::size_t cells(std::size_t p) const { return cells_[p]; }
  [[nodiscard]] double shift(std::size_t k) const { return shift_[k]; }

 private:
  std::vector<double> shift_;
  std::vector<std::size_t> cells_, offset_;  // per partition: cells, first value in cells_sums_
  std::vector<double> global_;
  std::vector<double> cell_sums_;
  std::uint64_t skipped_ = 0;
  std::vector<double> w_;  // scratch: W_k of the sample being added (add_block: of each row, row-major)
  std::vector<std::uint8_t> counted_;  // add_block's scratch: the row's values are all finite
};

/// An option's expected value (mean over the sample) and how often it is the best choice.
struct DecisionOption {
  double mean = 0, se = 0;  ///< in the options' unit; se = sd/√n
  Proportion best;          ///< P(this option has the highest value), with its Wilson 95% interval
};

/// The expected value of partial perfect information about one input or a group: the mean gain of choosing per cell
/// over choosing once, ½(plug-in + cross-fitted). The plug-in estimate (cell means of the whole sample choose and
/// score) is biased up by the cells' noise; the cross-fitted one (one half's means choose, the other half's score)
/// is biased down by it; `bias` = ½|plug-in − cross-fitted| bounds the remaining noise bias. Binning loses the
/// variation of the options' means within a cell (a further downward bias, small when the cells are narrow).
struct PartialValue {
  double value = 0;      ///< EVPPI, in the options' unit
  double se = 0;         ///< sd/√n of the per-sample gain of the plug-in choice
  double bias = 0;       ///< ½|plug-in − cross-fitted|
  double plugin = 0, crossfit = 0;
  std::size_t cells = 0; ///< cells the partition has (empty ones included)
};

/// What the sums give.
struct DecisionEstimate {
  std::vector<DecisionOption> options;
  std::size_t best = 0;           ///< the option with the highest mean (the first of equal means)
  double evpi = 0, evpi_se = 0;   ///< E[max_k V_k] − max_k E[V_k], sd/√n of the per-sample regret
  std::vector<PartialValue> partial;  ///< per partition
  double samples = 0;
  std::uint64_t skipped = 0;
};

/// The decision's estimates from the merged sums.
[[nodiscard]] DecisionEstimate estimate_decision(const DecisionSums& s);

}  // namespace tamcarlo
