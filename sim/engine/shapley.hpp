// Shapley effects (Owen 2014; Song, Nelson & Staum 2016): each input's share of an output's variance, fair under
// correlated inputs (the effects always sum to one, where Sobol' indices of correlated inputs do not hold). Random
// permutations of the inputs; along each, the cost c(J) = E[Var(Y | X outside J)] of each prefix J is estimated
// from one outer draw of the inputs outside J and three inner draws of J given them (N_O = 1, N_I = 3, the
// authors' choice), by the Gaussian copula's conditional normal scores. Input i's effect is the mean of
// c(J ∪ {i}) − c(J) over the permutations divided by the mean of c(all inputs) = Var(Y).
#pragma once
#include "sim/engine/plan.hpp"
#include "sim/stats/sobol_index.hpp"

#include <atomic>
#include <cstdint>
#include <vector>

namespace tamcarlo {

/// Most permutations: the run's first min(N, this); the model runs 3 × inputs times per permutation.
inline constexpr std::uint64_t k_shapley_permutations = 100'000;
/// Most members of one correlated group (each of its 2^k subsets gets its conditional law).
inline constexpr std::size_t k_shapley_max_group = 12;

/// The effects of one output series.
struct ShapleyOutput {
  std::size_t series = 0;            ///< in Plan::series()
  std::vector<SobolIndex> effect;    ///< per input: effect, 95% CI (normal, ratio-estimator SE), se
  double variance = 0;               ///< Var(Y): the mean of c(all inputs)
  std::uint64_t skipped = 0;         ///< permutations left out for a non-finite value
};

/// Shapley effects of the wanted series.
struct ShapleyResult {
  std::vector<std::uint32_t> inputs;  ///< variable indices of the non-constant inputs, in slot order
  std::vector<ShapleyOutput> outputs; ///< one per wanted series (untimed, or a timed variable's last year)
  std::uint64_t permutations = 0;
};

/// Shapley effects of each wanted series under `seed` from `permutations` random permutations; every draw is keyed
/// by its permutation's index and the sums merge in a fixed order, so the result does not depend on `threads`.
/// Throws std::invalid_argument when a correlated group has more than k_shapley_max_group members, Interrupted
/// when `cancel` becomes true.
[[nodiscard]] ShapleyResult shapley_effects(const Plan& plan, std::uint64_t seed, std::uint64_t permutations,
                                            const std::vector<bool>& wanted, unsigned threads,
                                            const std::atomic<bool>* cancel = nullptr);

}  // namespace tamcarlo
