// Input distributions: the closed set of laws (laws.hpp) in a std::variant, with what works on any of them: its name
// and description, moments, cdf and quantile; QuantileFunction, a quantile prepared for many calls; Sampler, which
// draws from a SampleStream. Parameters are validated by the scenario parser.
#pragma once
#include "sim/random/laws.hpp"
#include "sim/random/rng.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace tamcarlo {

/// One input's law.
using Distribution = std::variant<Constant, Uniform, Triangular, Pert, Normal, TruncNormal, LogNormal, Beta, Gamma,
                                  Discrete, Empirical, Bernoulli, Binomial, Poisson, Exponential, Weibull, Gumbel,
                                  StudentT, LogUniform, Metalog>;

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

/// Calls body(i) for every i in [0, n), each independent of the others, in any order and on any threads (the engine
/// passes a oneTBB loop; empty: one by one on the calling thread).
using ParallelFor = std::function<void(std::size_t n, const std::function<void(std::size_t)>& body)>;

/// True when a and b are one law that QuantileFunction tabulates (beta, PERT, gamma, Student's t) with bit-identical
/// parameters: one table serves both.
[[nodiscard]] bool same_tabulated_law(const Distribution& a, const Distribution& b) noexcept;

/// Relative accuracy of QuantileFunction's interpolated quantiles: |Q̃(u) − Q(u)| ≤ this × (Q(0.99) − Q(0.01)).
inline constexpr double k_quantile_table_tolerance = 1e-11;

/// quantile(d, ·) prepared for many calls (a copula, a sampling design). Finite laws and counts search a cdf table
/// (exact). Beta, PERT, gamma and Student's t, whose Boost.Math quantiles are iterative inversions (1–10 µs), are
/// tabulated once: x at 2,048 even steps of z = Φ⁻¹(u) over [−8.3, 8.3] with its slope dx/dz = φ(z)/pdf(x), joined
/// by cubic Hermite pieces; each piece is checked at its midpoint against Boost and, when it misses by more than
/// k_quantile_table_tolerance, left to Boost, as are u beyond the table. Every other law is its closed form.
class QuantileFunction {
 public:
  /// Prepares quantile(d, u) for repeated calls, computing a table's nodes and checks through `each` (the same bits
  /// on any threads).
  explicit QuantileFunction(Distribution d, const ParallelFor& each = {});
  /// quantile(d, u), u in (0, 1) (within k_quantile_table_tolerance where tabulated).
  [[nodiscard]] double operator()(double u) const;
  /// In place: each u in (0, 1) becomes operator()(u) (the law looked up once for the whole span).
  void apply(std::span<double> u) const;
  /// In place: each normal score z becomes quantile(d, Φ(z)), with z held where Φ(z) stays within the samplers'
  /// open interval [2⁻⁵⁴, 1 − 2⁻⁵³]. Normal and lognormal laws and tabulated ones take z itself (no Φ, no Φ⁻¹);
  /// the others take Φ(z). (A copula's members; a design's coordinates go through apply.)
  void apply_scores(std::span<double> z) const;
  /// True when the law's quantile is tabulated in z (beta, PERT, gamma, Student's t).
  [[nodiscard]] bool tabulated() const noexcept { return !tx_.empty(); }
  /// The law.
  [[nodiscard]] const Distribution& distribution() const noexcept { return dist_; }

 private:
  [[nodiscard]] double from_table(double u) const;
  [[nodiscard]] double from_table_z(double z, double u) const;  // u = Φ(z) where the table does not answer (NaN: computed)
  Distribution dist_;
  std::vector<double> x_, cum_;  // discrete and empirical: the sorted support and its cumulative probabilities
  std::vector<double> tx_, ts_;  // tabulated: x and dx/dz at z_k = z0 + k·h
  std::vector<std::uint8_t> exact_;  // per piece: 1 where it missed the tolerance, so Boost answers there
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
  /// Binomial and Poisson: table_[i] = cdf(c0_ + i) for every count a draw can reach, when there are at most 2²⁰.
  template <class Count>
  void count_table(const Count& law);

  Distribution dist_;
  std::vector<double> table_;  // discrete: cumulative weights; empirical: data; binomial, poisson: cdf by count
  double c0_ = 0, c1_ = 0;     // truncnormal: Φ(a) and Φ(b) of the standardized bounds; counts: the table's first
  GammaConstants ga_{}, gb_{};  // gamma, beta and PERT: one per gamma variate drawn
};

/// Standard normal by the 256-layer ziggurat (Marsaglia & Tsang 2000), one 64-bit word per try.
[[nodiscard]] double standard_normal(SampleStream& s) noexcept;
/// Gamma(shape, 1) by Marsaglia & Tsang (2000) with precomputed constants.
[[nodiscard]] double standard_gamma(SampleStream& s, const GammaConstants& g) noexcept;


}  // namespace tamcarlo
