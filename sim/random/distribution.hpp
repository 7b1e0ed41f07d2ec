// Input distributions: a closed set in a std::variant. Every law is one struct of its parameters with the same four
// members, mean(), sd(), cdf(x) and quantile(u) (sim/random/laws.cpp: closed forms, Boost.Math where it has them);
// a Sampler draws from it. Parameters are validated by the scenario parser.
#pragma once
#include "sim/random/rng.hpp"

#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace tamcarlo {

/// Degenerate law: always `value`.
struct Constant {
  double value;
  [[nodiscard]] double mean() const;
  [[nodiscard]] double sd() const;
  [[nodiscard]] double cdf(double x) const;
  [[nodiscard]] double quantile(double u) const;
};
/// Uniform on [min, max].
struct Uniform {
  double min, max;
  [[nodiscard]] double mean() const;
  [[nodiscard]] double sd() const;
  [[nodiscard]] double cdf(double x) const;
  [[nodiscard]] double quantile(double u) const;
};
/// Triangular on [min, max] with peak at mode.
struct Triangular {
  double min, mode, max;
  [[nodiscard]] double mean() const;
  [[nodiscard]] double sd() const;
  [[nodiscard]] double cdf(double x) const;
  [[nodiscard]] double quantile(double u) const;
};
/// Standard PERT (λ = 4): min + (max − min)·Beta(α, β), α = 1 + 4(mode − min)/(max − min), β = 1 + 4(max − mode)/(max − min).
struct Pert {
  double min, mode, max;
  [[nodiscard]] double alpha() const { return 1 + 4 * (mode - min) / (max - min); }
  [[nodiscard]] double beta() const { return 1 + 4 * (max - mode) / (max - min); }
  [[nodiscard]] double mean() const;
  [[nodiscard]] double sd() const;
  [[nodiscard]] double cdf(double x) const;
  [[nodiscard]] double quantile(double u) const;
};
/// Normal with mean mu and standard deviation sigma > 0.
struct Normal {
  double mu, sigma;  ///< mean and standard deviation (> 0)
  [[nodiscard]] double mean() const;
  [[nodiscard]] double sd() const;
  [[nodiscard]] double cdf(double x) const;
  [[nodiscard]] double quantile(double u) const;
};
/// Normal(mu, sigma) conditioned on [min, max].
struct TruncNormal {
  double mu, sigma, min, max;  ///< the parent normal's mean and sd, and the bounds
  [[nodiscard]] double mean() const;
  [[nodiscard]] double sd() const;
  [[nodiscard]] double cdf(double x) const;
  [[nodiscard]] double quantile(double u) const;
};
/// exp(Normal(mu, sigma)): median = e^mu.
struct LogNormal {
  double mu, sigma;
  [[nodiscard]] double mean() const;
  [[nodiscard]] double sd() const;
  [[nodiscard]] double cdf(double x) const;
  [[nodiscard]] double quantile(double u) const;
};
/// Beta(alpha, beta) on [0, 1], or scaled to [min, max]: min + (max − min)·Beta(alpha, beta).
struct Beta {
  double alpha, beta;
  double min = 0, max = 1;
  [[nodiscard]] bool scaled() const { return min != 0 || max != 1; }
  [[nodiscard]] double mean() const;
  [[nodiscard]] double sd() const;
  [[nodiscard]] double cdf(double x) const;
  [[nodiscard]] double quantile(double u) const;
};
/// Gamma with shape k and scale θ: mean kθ, variance kθ².
struct Gamma {
  double shape, scale;
  [[nodiscard]] double mean() const;
  [[nodiscard]] double sd() const;
  [[nodiscard]] double cdf(double x) const;
  [[nodiscard]] double quantile(double u) const;
};
/// Finite law: values[i] with probability weights[i] / Σ weights.
struct Discrete {
  std::vector<double> values;
  std::vector<double> weights;
  [[nodiscard]] double mean() const;
  [[nodiscard]] double sd() const;
  [[nodiscard]] double cdf(double x) const;
  [[nodiscard]] double quantile(double u) const;
};
/// Resampling of observed data: each observation with probability 1/n.
struct Empirical {
  std::vector<double> data;
  [[nodiscard]] double mean() const;
  [[nodiscard]] double sd() const;
  [[nodiscard]] double cdf(double x) const;
  [[nodiscard]] double quantile(double u) const;
};


/// 1 with probability p, else 0.
struct Bernoulli {
  double p;
  [[nodiscard]] double mean() const;
  [[nodiscard]] double sd() const;
  [[nodiscard]] double cdf(double x) const;
  [[nodiscard]] double quantile(double u) const;
};
/// Successes in n independent trials of probability p (n a whole number ≥ 1).
struct Binomial {
  double n, p;
  [[nodiscard]] double mean() const;
  [[nodiscard]] double sd() const;
  [[nodiscard]] double cdf(double x) const;
  [[nodiscard]] double quantile(double u) const;  ///< smallest k with cdf(k) ≥ u
};
/// Poisson with the given mean (events in a period).
struct Poisson {
  double lambda;
  [[nodiscard]] double mean() const;
  [[nodiscard]] double sd() const;
  [[nodiscard]] double cdf(double x) const;
  [[nodiscard]] double quantile(double u) const;  ///< smallest k with cdf(k) ≥ u
};
/// Exponential with rate λ > 0: mean 1/λ (time to an event).
struct Exponential {
  double rate;
  [[nodiscard]] double mean() const;
  [[nodiscard]] double sd() const;
  [[nodiscard]] double cdf(double x) const;
  [[nodiscard]] double quantile(double u) const;  ///< −ln(1 − u)/λ
};
/// Weibull: scale·(−ln(1 − U))^(1/shape).
struct Weibull {
  double shape, scale;
  [[nodiscard]] double mean() const;
  [[nodiscard]] double sd() const;
  [[nodiscard]] double cdf(double x) const;
  [[nodiscard]] double quantile(double u) const;
};
/// Gumbel of maxima: location − scale·ln(−ln U).
struct Gumbel {
  double location, scale;
  [[nodiscard]] double mean() const;  ///< location + γ·scale (γ: Euler's constant)
  [[nodiscard]] double sd() const;    ///< π·scale/√6
  [[nodiscard]] double cdf(double x) const;
  [[nodiscard]] double quantile(double u) const;
};
/// Student's t with df > 0 degrees of freedom, shifted by location and scaled by scale.
struct StudentT {
  double df, location, scale;
  [[nodiscard]] double mean() const;  ///< location (NaN when df ≤ 1)
  [[nodiscard]] double sd() const;    ///< scale·√(df/(df − 2)) (inf when 1 < df ≤ 2, NaN when df ≤ 1)
  [[nodiscard]] double cdf(double x) const;
  [[nodiscard]] double quantile(double u) const;
};
/// exp(Uniform(ln min, ln max)), 0 < min < max: every factor of 10 equally likely.
struct LogUniform {
  double min, max;
  [[nodiscard]] double mean() const;
  [[nodiscard]] double sd() const;
  [[nodiscard]] double cdf(double x) const;
  [[nodiscard]] double quantile(double u) const;
};

/// Metalog (Keelin 2016) through k = 3–5 quantile points (p_j, x_j): the quantile function
/// M(y) = a1 + a2·L + a3·(y − ½)·L + a4·(y − ½) + a5·(y − ½)², L = ln(y/(1 − y)), its first k terms fitted exactly;
/// with a lower and/or upper bound, M is fitted to ln(x − lower), −ln(upper − x) or ln((x − lower)/(upper − x)).
struct Metalog {
  std::vector<double> p, x;  ///< the quantile points, p rising
  double lower, upper;       ///< NaN when unbounded on that side
  std::vector<double> a;     ///< the fitted coefficients (k of them)
  /// Fits the coefficients; empty when the points admit no increasing quantile function (checked on a grid).
  [[nodiscard]] static std::optional<Metalog> fit(std::vector<double> p, std::vector<double> x, double lower, double upper);
  [[nodiscard]] double mean() const;  ///< by Gauss–Legendre quadrature of the quantile function
  [[nodiscard]] double sd() const;
  [[nodiscard]] double cdf(double v) const;  ///< by bisection on the quantile function
  [[nodiscard]] double quantile(double u) const;
};

/// One input's law.
using Distribution = std::variant<Constant, Uniform, Triangular, Pert, Normal, TruncNormal, LogNormal, Beta, Gamma,
                                  Discrete, Empirical, Bernoulli, Binomial, Poisson, Exponential, Weibull, Gumbel,
                                  StudentT, LogUniform, Metalog>;

/// The lognormal with quantile q1 at probability p1 and q2 at p2 (0 < q1 < q2, 0 < p1 < p2 < 1).
[[nodiscard]] LogNormal lognormal_through(double p1, double q1, double p2, double q2);
/// The gamma with quantile q1 at p1 and q2 at p2 (0 < q1 < q2), its shape in [min_shape, max_shape]; none if none fits.
[[nodiscard]] std::optional<Gamma> gamma_through(double p1, double q1, double p2, double q2, double min_shape,
                                                 double max_shape);
/// The beta on [0, 1] with quantile z1 at p1 and z2 at p2 (0 < z1 < z2 < 1), α + β in [2·min_shape, max_shape];
/// none if none fits.
[[nodiscard]] std::optional<Beta> beta_through(double p1, double z1, double p2, double z2, double min_shape,
                                               double max_shape);

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

/// Relative accuracy of QuantileFunction's interpolated quantiles: |Q̃(u) − Q(u)| ≤ this × (Q(0.99) − Q(0.01)).
inline constexpr double k_quantile_table_tolerance = 1e-11;

/// quantile(d, ·) prepared for many calls (a copula, a sampling design). Finite laws and counts search a cdf table
/// (exact). Beta, PERT, gamma and Student's t, whose Boost.Math quantiles are iterative inversions (1–10 µs), are
/// tabulated once: x at 2,048 even steps of z = Φ⁻¹(u) over [−8.3, 8.3] with its slope dx/dz = φ(z)/pdf(x), joined
/// by cubic Hermite pieces; each piece is checked at its midpoint against Boost and, when it misses by more than
/// k_quantile_table_tolerance, left to Boost, as are u beyond the table. Every other law is its closed form.
class QuantileFunction {
 public:
  /// Prepares quantile(d, u) for repeated calls.
  explicit QuantileFunction(Distribution d);
  /// quantile(d, u), u in (0, 1) (within k_quantile_table_tolerance where tabulated).
  [[nodiscard]] double operator()(double u) const;
  /// In place: each u in (0, 1) becomes operator()(u) (the law looked up once for the whole span).
  void apply(std::span<double> u) const;
  /// True when the law's quantile is tabulated in z (beta, PERT, gamma, Student's t).
  [[nodiscard]] bool tabulated() const noexcept { return !tx_.empty(); }

 private:
  [[nodiscard]] double from_table(double u) const;
  Distribution dist_;
  std::vector<double> x_, cum_;  // discrete and empirical: the sorted support and its cumulative probabilities
  std::vector<double> tx_, ts_;  // tabulated: x and dx/dz at z_k = z0 + k·h
  std::vector<bool> exact_;      // per piece: missed the tolerance, so Boost answers there
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
