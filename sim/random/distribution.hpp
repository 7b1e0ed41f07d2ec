// Input distributions: a closed set in a std::variant. Each knows its law (mean, sd, cdf,
// quantile) and draws from a SampleStream; parameters are validated by the scenario parser.
#pragma once
#include "sim/random/rng.hpp"

#include <span>
#include <string>
#include <variant>
#include <vector>

namespace tamcarlo {

/// Degenerate law: always `value`.
struct Constant {
  double value;
};
/// Uniform on [min, max].
struct Uniform {
  double min, max;
};
/// Triangular on [min, max] with peak at mode.
struct Triangular {
  double min, mode, max;
};
/// Standard PERT (λ = 4): min + (max − min)·Beta(α, β), α = 1 + 4(mode − min)/(max − min), β = 1 + 4(max − mode)/(max − min).
struct Pert {
  double min, mode, max;
  [[nodiscard]] double alpha() const { return 1 + 4 * (mode - min) / (max - min); }
  [[nodiscard]] double beta() const { return 1 + 4 * (max - mode) / (max - min); }
};
/// Normal with mean and standard deviation sd > 0.
struct Normal {
  double mean, sd;
};
/// Normal(mean, sd) conditioned on [min, max]; mean and sd are the parent normal's.
struct TruncNormal {
  double mean, sd, min, max;
};
/// exp(Normal(mu, sigma)): median = e^mu.
struct LogNormal {
  double mu, sigma;
};
/// Beta(alpha, beta) on [0, 1].
struct Beta {
  double alpha, beta;
};
/// Gamma with shape k and scale θ: mean kθ, variance kθ².
struct Gamma {
  double shape, scale;
};
/// Finite law: values[i] with probability weights[i] / Σ weights.
struct Discrete {
  std::vector<double> values;
  std::vector<double> weights;
};
/// Resampling of observed data: each observation with probability 1/n.
struct Empirical {
  std::vector<double> data;
};

/// One input's law.
using Distribution = std::variant<Constant, Uniform, Triangular, Pert, Normal, TruncNormal, LogNormal, Beta, Gamma,
                                  Discrete, Empirical>;

/// Lowercase family name as written in scenarios ("lognormal", ...).
[[nodiscard]] std::string family_name(const Distribution& d);
/// Family and parameters, e.g. "lognormal(mu=11.225, sigma=0.15)".
[[nodiscard]] std::string describe(const Distribution& d);
/// E[X].
[[nodiscard]] double mean(const Distribution& d);
/// sqrt(Var X).
[[nodiscard]] double sd(const Distribution& d);
/// P(X ≤ x).
[[nodiscard]] double cdf(const Distribution& d, double x);
/// Generalized inverse: inf{x : P(X ≤ x) ≥ p}, p in (0, 1).
[[nodiscard]] double quantile(const Distribution& d, double p);
/// quantile(d, 0.5).
[[nodiscard]] double median(const Distribution& d);

/// Marsaglia–Tsang constants for Gamma(shape, 1): d = a − 1/3, c = 1/√(9d), with a = max(shape, shape + 1 if shape < 1).
struct GammaConstants {
  double d = 0, c = 0, inv_shape = 0;
  bool boosted = false;  // shape < 1: draw Gamma(shape + 1) and multiply by U^(1/shape)
  /// Constants for Gamma(shape, 1), shape > 0.
  static GammaConstants of(double shape) noexcept;
};

/// Precomputed state for fast sampling of one distribution (cumulative tables, gamma constants).
class Sampler {
 public:
  /// Prepares sampling of `d`; d must be valid (parameters checked by the parser).
  explicit Sampler(Distribution d);
  /// Fills out[j] with the draw for sample `first + j` of the variable `var_id` under `seed`; the streams' first
  /// words are computed at `level` (the same bits at every level).
  void fill(std::uint64_t seed, std::uint64_t var_id, std::uint64_t first, std::span<double> out,
            SimdLevel level = best_simd_level()) const;
  /// One draw from `s` (for tests and scalar use).
  [[nodiscard]] double draw(SampleStream& s) const;
  [[nodiscard]] const Distribution& distribution() const noexcept { return dist_; }

 private:
  Distribution dist_;
  std::vector<double> table_;  // discrete: cumulative weights; empirical: data
  double c0_ = 0, c1_ = 0;     // truncnormal: Φ(a) and Φ(b) of the standardized bounds
  GammaConstants ga_{}, gb_{};  // gamma, beta and PERT: one per gamma variate drawn
};

/// Standard normal by the 256-layer ziggurat (Marsaglia & Tsang 2000), one 64-bit word per try.
[[nodiscard]] double standard_normal(SampleStream& s) noexcept;
/// Gamma(shape, 1) by Marsaglia & Tsang (2000) with precomputed constants.
[[nodiscard]] double standard_gamma(SampleStream& s, const GammaConstants& g) noexcept;


}  // namespace tamcarlo
