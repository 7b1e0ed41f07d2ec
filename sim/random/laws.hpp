// The laws an input may follow, each one struct of its parameters with the same four members: mean(), sd(), cdf(x)
// and quantile(u) (laws.cpp: closed forms, Boost.Math where it has them); and the fits that find a law's parameters
// from two quantiles.
#pragma once
#include <optional>
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
  /// With one bound, c = a2 + a3/2 (lower bound) or a2 − a3/2 (upper): the free tail's distance from the bound grows
  /// as (its tail probability)^−c, so P(|X| > x) ~ x^(−1/c) and moments of order ≥ 1/c do not exist; 0 with both
  /// bounds or none (every moment exists).
  [[nodiscard]] double tail_power() const;
  [[nodiscard]] double mean() const;  ///< by Gauss–Legendre quadrature of the quantile function (±inf: tail_power ≥ 1)
  [[nodiscard]] double sd() const;    ///< inf when tail_power ≥ ½
  [[nodiscard]] double cdf(double v) const;  ///< by bisection on the quantile function
  [[nodiscard]] double quantile(double u) const;
};

/// The lognormal with quantile q1 at probability p1 and q2 at p2 (0 < q1 < q2, 0 < p1 < p2 < 1).
[[nodiscard]] LogNormal lognormal_through(double p1, double q1, double p2, double q2);
/// The gamma with quantile q1 at p1 and q2 at p2 (0 < q1 < q2), its shape in [min_shape, max_shape]; none if none fits.
[[nodiscard]] std::optional<Gamma> gamma_through(double p1, double q1, double p2, double q2, double min_shape,
                                                 double max_shape);
/// The beta on [0, 1] with quantile z1 at p1 and z2 at p2 (0 < z1 < z2 < 1), α + β in [2·min_shape, max_shape];
/// none if none fits.
[[nodiscard]] std::optional<Beta> beta_through(double p1, double z1, double p2, double z2, double min_shape,
                                               double max_shape);

}  // namespace tamcarlo
