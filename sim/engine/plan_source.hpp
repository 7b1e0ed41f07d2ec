// A plan's series as block columns: PlanBlock evaluates one block (every input drawn from its keyed
// stream, every formula, each year of a timeline); PlanSource makes a plan a BlockSource for the
// streaming engine. run_engine keeps whole columns (tests and small runs only).
#pragma once
#include "sim/engine/plan.hpp"
#include "sim/stats/statistics.hpp"
#include "sim/engine/stream.hpp"

#include <cstdint>
#include <vector>

namespace tamcarlo {

/// One thread's evaluation of a plan over blocks; series(i) points at Plan::series()[i]'s values.
class PlanBlock {
 public:
  /// Blocks of a run of `samples` samples (the span of a design's replicates).
  PlanBlock(const Plan& plan, std::uint64_t samples);
  /// Draws and evaluates samples [first, first + rows) under `seed` (rows ≤ k_block_size).
  void evaluate(std::uint64_t seed, std::uint64_t first, std::size_t rows);
  /// Series i's values of the last block (valid until the next evaluate()).
  [[nodiscard]] const double* series(std::size_t i) const noexcept { return series_[i]; }

 private:
  const Plan& plan_;
  std::uint64_t samples_;
  Workspace ws_;
  std::vector<const double*> series_;
  std::vector<std::vector<double>> timed_;  // per timed series: a copy of its year's column
};

/// A plan drawn under one seed for a run of `samples` samples, as block columns in Plan::series() order.
class PlanSource : public BlockSource {
 public:
  PlanSource(const Plan& plan, std::uint64_t seed, std::uint64_t samples) : plan_(plan), seed_(seed), samples_(samples) {}
  [[nodiscard]] std::size_t width() const override { return plan_.series().size(); }
  [[nodiscard]] std::uint32_t replicates() const override { return plan_.design().replicates; }
  [[nodiscard]] std::unique_ptr<BlockEvaluator> evaluator() const override;

 private:
  const Plan& plan_;
  std::uint64_t seed_, samples_;
};

/// What to run and what to keep (whole columns in memory: for tests and small runs).
struct EngineOptions {
  std::uint64_t seed = 0;
  std::uint64_t samples = 0;
  std::uint64_t run_samples = 0;  ///< N of the run these are the first samples of (a design's span); 0 = samples
  unsigned threads = 0;    ///< worker threads; 0 = one per core
  std::vector<bool> keep;  ///< per series (Plan::series()): hold all its samples in memory
};

/// The engine's product.
struct EngineOutput {
  std::vector<std::vector<double>> columns;  ///< per series: all samples if kept, else empty
  std::vector<Moments> moments;              ///< per kept series, over all samples (as a streaming run's)
};

/// Draws and evaluates `opt.samples` samples of `plan`, keeping the wanted columns whole.
[[nodiscard]] EngineOutput run_engine(const Plan& plan, const EngineOptions& opt);

}  // namespace tamcarlo
