// The decision analysis of a scenario's [decision]: one more sweep over the run's own first samples (read from the
// columns the main pass kept, or re-drawn: every draw is keyed by its sample index), feeding DecisionSums block by
// block in batches of consecutive blocks merged in batch order, so the result is the same bits on any number of
// threads, ranks or shards.
#pragma once
#include "sim/engine/plan.hpp"
#include "sim/stats/decision.hpp"

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace tamcarlo {

/// Samples the decision analysis sweeps: the run's first min(N, this).
inline constexpr std::uint64_t k_decision_samples = 10'000'000;
/// Most inputs one EVPPI group may bin jointly (cells per input shrink as n^(1/(g+2))).
inline constexpr std::size_t k_max_group_inputs = 6;

/// What to learn about: one input, or a group of inputs binned jointly (input slots of the plan).
struct DecisionQuestion {
  std::string name;
  std::vector<std::uint32_t> inputs;
};

/// Cells per input of a question about g inputs over n samples: ⌊n^(1/(g+2))⌋ (the cells' noise bias grows and
/// their discretization bias shrinks with the cells), at least 4 (2 in a group), at most 1,000 (64 in a group).
[[nodiscard]] std::uint32_t decision_bins(std::uint64_t n, std::size_t g);

/// A decision's estimates under `seed` over samples [0, n) of a run of `samples` (the run's design): the options'
/// values are untimed variable slots `options`; each question's inputs are binned at their laws' quantiles
/// j/B (cells of equal probability; a discrete law's repeated edges leave cells empty). With `kept` (per variable
/// slot, its first n values as the run drew them, or null), the options and inputs are read there instead of
/// re-drawn when all are at hand: the same bits. Throws Interrupted when `cancel` becomes true.
[[nodiscard]] DecisionEstimate decide(const Plan& plan, const std::vector<std::uint32_t>& options,
                                      const std::vector<DecisionQuestion>& questions, std::uint64_t seed,
                                      std::uint64_t samples, std::uint64_t n, unsigned threads,
                                      const std::atomic<bool>* cancel = nullptr,
                                      const std::vector<const double*>* kept = nullptr);

}  // namespace tamcarlo
