// The parallel engine: blocks of samples evaluated in parallel (oneTBB), per-block moments
// merged in block order, so every result is identical for any thread count.
#pragma once
#include "sim/plan.hpp"
#include "sim/statistics.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

namespace tamcarlo {

/// Samples per block: the unit of parallel work and of moment merging (fixed: results depend on it).
inline constexpr std::size_t k_block_size = 4096;  // = the block of Moments::over

/// What to run and what to keep.
struct EngineOptions {
  std::uint64_t seed = 0;
  std::uint64_t samples = 0;
  unsigned threads = 0;                 ///< worker threads; 0 = one per core
  std::vector<bool> keep;               ///< per series (Plan::series()): hold all its samples in memory
  /// Called after each block with (samples done, total); may be called from any worker thread.
  std::function<void(std::uint64_t, std::uint64_t)> progress;
  const std::atomic<bool>* cancel = nullptr;  ///< when it becomes true the run stops and throws Interrupted
};

/// The engine's product.
struct EngineOutput {
  std::vector<std::vector<double>> columns;  ///< per series (Plan::series()): all samples if kept, else empty
  std::vector<Moments> moments;              ///< per series, over all samples
};

/// Draws and evaluates `opt.samples` samples of `plan`. Throws Interrupted if cancelled.
[[nodiscard]] EngineOutput run_engine(const Plan& plan, const EngineOptions& opt);

}  // namespace tamcarlo
