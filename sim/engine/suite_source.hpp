// A suite run's block columns: the shared inputs' and every member's series, then per cell its market in the
// suite's unit and its share, P(a > b) indicators for each ordered pair of cells, and the per-sample τ_b.
#pragma once
#include "sim/engine/plan_source.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace tamcarlo {

/// Columns of a suite run, per block: the shared inputs' series, each member's series, then per cell its
/// market in the suite's unit and its share, P(a > b) indicators for each ordered pair of cells, and the
/// per-sample rank agreement τ_b of the cells' markets with the stars.
class SuiteSource : public BlockSource {
 public:
  /// Where a matrix cell's values are among the members' columns.
  struct Cell {
    std::size_t market = 0;               ///< column of the member's market series
    std::optional<std::size_t> share;     ///< column of its share series
    std::optional<std::size_t> fx;        ///< column of the shared fx input
  };
  /// The shared and member plans (each under its seed) for a run of `samples`, the cells and their stars.
  SuiteSource(std::vector<const Plan*> plans, std::vector<std::uint64_t> seeds, std::uint64_t samples,
              std::vector<Cell> cells, std::vector<double> stars)
      : plans_(std::move(plans)), seeds_(std::move(seeds)), samples_(samples), cells_(std::move(cells)),
        stars_(std::move(stars)) {
    for (const Plan* p : plans_) {
      first_.push_back(runs_width_);
      runs_width_ += p->series().size();
    }
  }
  /// First column of plan k's series.
  [[nodiscard]] std::size_t plan_first(std::size_t k) const { return first_[k]; }
  /// Column of cell c's market in the suite's unit.
  [[nodiscard]] std::size_t market(std::size_t c) const { return runs_width_ + c; }
  /// Column of cell c's share (NaN when it has none).
  [[nodiscard]] std::size_t share(std::size_t c) const { return runs_width_ + cells_.size() + c; }
  /// Column of the indicator market(a) > market(b).
  [[nodiscard]] std::size_t greater(std::size_t a, std::size_t b) const {
    return runs_width_ + 2 * cells_.size() + a * cells_.size() + b;  // a == b columns are NaN
  }
  /// Column of the per-sample Kendall τ_b of the markets with the stars.
  [[nodiscard]] std::size_t tau() const { return runs_width_ + 2 * cells_.size() + cells_.size() * cells_.size(); }
  [[nodiscard]] std::size_t width() const override { return tau() + 1; }
  [[nodiscard]] std::unique_ptr<BlockEvaluator> evaluator() const override;
  [[nodiscard]] std::uint32_t replicates() const override { return plans_.front()->design().replicates; }

 private:
  friend class SuiteEvaluator;
  std::vector<const Plan*> plans_;
  std::vector<std::uint64_t> seeds_;
  std::uint64_t samples_;
  std::vector<Cell> cells_;
  std::vector<double> stars_;
  std::vector<std::size_t> first_;
  std::size_t runs_width_ = 0;
};

}  // namespace tamcarlo
