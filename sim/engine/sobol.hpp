// Global sensitivity: Sobol' first-order and total indices of outputs with respect to the uncertain inputs, by
// the Saltelli design (two independent sample sets A and B, and A with input i taken from B for each i).
#pragma once
#include "sim/engine/plan.hpp"
#include "sim/stats/sobol_index.hpp"

#include <atomic>
#include <cstdint>
#include <vector>

namespace tamcarlo {

/// The indices of one output series.
struct SobolOutput {
  std::size_t series = 0;          ///< in Plan::series()
  std::vector<SobolIndex> first;   ///< per input: S_i = V_i / V, V_i = (1/N)·Σ f(B)·(f(A_B⁽ⁱ⁾) − f(A)) (Saltelli 2010)
  std::vector<SobolIndex> total;   ///< per input: ST_i = (1/2N)·Σ (f(A) − f(A_B⁽ⁱ⁾))² / V (Jansen 1999)
  double variance = 0;             ///< V over the rows of A and B
  std::uint64_t skipped = 0;       ///< rows left out for a non-finite value
};

/// Sobol' indices of the wanted series.
struct SobolResult {
  std::vector<std::uint32_t> inputs;  ///< variable indices of the non-constant inputs, in slot order
  std::vector<SobolOutput> outputs;   ///< one per wanted series, in series order
  std::uint64_t n = 0;                ///< base samples N: rows of A and of B; the model ran N·(k + 2) times
  unsigned batches = 0;
  bool correlated = false;            ///< the plan correlates inputs: the A/B swaps drop that dependence
};

/// The wanted series global sensitivity covers: untimed ones, and each timed variable at the last year; `year` is set
/// to that year's index (−1 when none is timed).
[[nodiscard]] std::vector<std::size_t> global_series(const Plan& plan, const std::vector<bool>& wanted, std::int32_t& year);

/// Sobol' indices of each wanted series (untimed, or a timed variable's last year) under `seed`: A is the run's
/// own first n samples, B the same indices under a seed derived from `seed` ("sobol:B"); every draw is keyed,
/// and the block sums merge in block order, so the result does not depend on `threads`. Throws Interrupted when
/// `cancel` becomes true (polled before each block and each input's evaluation).
[[nodiscard]] SobolResult sobol_indices(const Plan& plan, std::uint64_t seed, std::uint64_t n,
                                        const std::vector<bool>& wanted, unsigned threads,
                                        const std::atomic<bool>* cancel = nullptr);

}  // namespace tamcarlo
