// Internal to sim/random: the special functions and tables the laws, their quantile tables and their samplers share.
#pragma once
#include "sim/random/laws.hpp"

#include <boost/math/distributions/beta.hpp>

#include <array>
#include <cmath>
#include <numbers>
#include <span>
#include <utility>
#include <vector>

namespace tamcarlo::detail {

/// Φ⁻¹(p): Wichura's AS 241 (PPND16), relative error about 1e-16; −inf at p ≤ 0, +inf at p ≥ 1, NaN for NaN.
[[nodiscard]] double normal_quantile(double p);
/// In place: each p becomes normal_quantile(p) (the same bits), the central range vectorized.
void normal_quantiles(std::span<double> p);
/// Φ(z) = erfc(−z/√2)/2 (accurate in both tails).
[[nodiscard]] double normal_cdf(double z);

/// Truncated-normal standardized bounds α = (min − mean)/sd, β = (max − mean)/sd, normalizer Z = Φ(β) − Φ(α), and
/// φ(α), φ(β) (0 at an infinite bound).
struct TruncParts {
  double alpha, beta, z, phi_a, phi_b;
  explicit TruncParts(const TruncNormal& n);
};

/// Values sorted with their weights merged: the support of a finite law with cumulative probabilities.
struct Steps {
  std::vector<double> x, cum;
  /// From values and (positive-sum) weights.
  Steps(const std::vector<double>& values, const std::vector<double>& weights);
  /// P(X ≤ t).
  [[nodiscard]] double cdf(double t) const;
  /// The smallest value whose cumulative probability reaches p.
  [[nodiscard]] double quantile(double p) const;
};

/// The steps of an empirical law: each observation with weight 1.
[[nodiscard]] Steps empirical_steps(const Empirical& e);

/// Σ wᵢvᵢ / Σ wᵢ.
[[nodiscard]] double weighted_mean(const std::vector<double>& v, const std::vector<double>& w);
/// √(Σ wᵢ(vᵢ − m)² / Σ wᵢ), m the weighted mean.
[[nodiscard]] double weighted_sd(const std::vector<double>& v, const std::vector<double>& w);

/// The Beta(α, β) of a PERT law on [0, 1].
[[nodiscard]] boost::math::beta_distribution<double> pert_beta(const Pert& p);

/// Beta quantile at p (or at 1 − q, q given, for the upper tail). Boost's inversion can give up far in a tail when
/// α or β < 1 (p ≈ 1e-16, x ≈ 1e-33); there I_x(α, β) ≈ x^α / (α·B(α, β)), exact to relative O(x).
[[nodiscard]] double beta_quantile(const boost::math::beta_distribution<double>& d, double p, bool upper = false);

/// Nodes and weights {x, w} of n-point Gauss–Legendre quadrature on [−1, 1] (Newton on P_n from Chebyshev starts).
template <int n>
[[nodiscard]] std::array<std::pair<double, double>, n> gauss_legendre() {
  std::array<std::pair<double, double>, n> nw{};
  for (int i = 0; i < n; ++i) {
    double x = std::cos(std::numbers::pi * (i + 0.75) / (n + 0.5)), dp = 0;
    for (int it = 0; it < 100; ++it) {
      double p0 = 1, p1 = x;
      for (int k = 2; k <= n; ++k) {
        const double p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = n * (x * p1 - p0) / (x * x - 1);
      const double dx = p1 / dp;
      x -= dx;
      if (std::fabs(dx) < 1e-16) break;
    }
    nw[static_cast<std::size_t>(i)] = {x, 2 / ((1 - x * x) * dp * dp)};
  }
  return nw;
}

}  // namespace tamcarlo::detail
