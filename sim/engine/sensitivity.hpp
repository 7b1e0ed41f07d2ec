// Which input drives an output's spread: Spearman rank correlation of each uncertain input with
// each reported output, and the output's mean with the input in its lowest and highest deciles (the swing, in
// the output's unit), over the run's first samples (kept from the main pass, or re-drawn: draws are a function
// of the sample index).
#pragma once
#include "sim/engine/plan.hpp"
#include "sim/stats/run_summary.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tamcarlo {

/// Samples the sensitivities use: the first min(N, this) of the run (Spearman's SE ≈ 1/√M ≈ 0.0045).
inline constexpr std::uint64_t k_sensitivity_samples = 50'000;
/// Values the sensitivities may hold (inputs and outputs × samples, 8 bytes each): with many inputs, fewer
/// samples are used (never fewer than 1,000), so memory stays bounded; the count used is reported.
inline constexpr std::uint64_t k_sensitivity_values = 16'000'000;

/// Rank correlations of outputs with inputs, and the outputs' swings.
struct Sensitivity {
  std::vector<std::uint32_t> inputs;        ///< variable indices of the non-constant inputs
  std::vector<std::vector<double>> rho;     ///< per series of Plan::series() (empty unless wanted): ρ per input
  std::vector<std::vector<Swing>> swing;    ///< per series (empty unless wanted): its swing per input
  std::uint64_t samples = 0;
};

/// A conditioned run's figures for the sensitivities: each sample then weighs the product of their likelihoods at
/// its values of the figures' series (Spearman ρ becomes the weighted Pearson correlation of weighted mid-ranks; the
/// deciles and the swing's group means are weighted).
struct SensitivityWeights {
  std::vector<Evidence> figures;
  std::vector<std::size_t> series;  ///< per figure: its series of Plan::series()
};

/// What the sensitivities hold: the series they keep (the non-constant inputs' and the wanted ones) and over how
/// many first samples.
struct SensitivityNeeds {
  std::vector<bool> keep;                ///< per series of Plan::series()
  std::vector<std::uint32_t> inputs;     ///< variable indices of the non-constant inputs
  std::uint64_t samples = 0;             ///< min(N, k_sensitivity_samples), fewer with many series held
};
/// The series and first samples sensitivity() uses for a run of `samples`.
[[nodiscard]] SensitivityNeeds sensitivity_needs(const Plan& plan, std::uint64_t samples, const std::vector<bool>& wanted,
                                                 const SensitivityWeights* weights = nullptr);

/// Spearman ρ (average ranks; NaN samples dropped pairwise) and swing (over the samples where the series is finite)
/// of each wanted series with each non-constant input, over samples [0, sensitivity_needs(…).samples) under `seed`: from `kept` when given (per
/// series, its first values as the run's main pass evaluated them; empty where not kept), else re-drawn.
[[nodiscard]] Sensitivity sensitivity(const Plan& plan, std::uint64_t seed, std::uint64_t samples,
                                      const std::vector<bool>& wanted, unsigned threads,
                                      const std::vector<std::span<const double>>* kept = nullptr,
                                      const SensitivityWeights* weights = nullptr);

}  // namespace tamcarlo
