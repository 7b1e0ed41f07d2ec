// Moments, cdf and quantile of the laws that carry their own (distribution.hpp), from closed forms and Boost.Math.
#include "sim/random/distribution.hpp"

#include <boost/math/distributions/binomial.hpp>
#include <boost/math/distributions/poisson.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <boost/math/special_functions/gamma.hpp>

#include <cmath>
#include <limits>
#include <numbers>

namespace tamcarlo {
namespace {

namespace bm = boost::math;
// Discrete quantiles as the generalized inverse inf{k : F(k) ≥ u}: Boost's round-up policy.
using RoundUp = bm::policies::policy<bm::policies::discrete_quantile<bm::policies::integer_round_up>>;
constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();
constexpr double k_inf = std::numeric_limits<double>::infinity();

}  // namespace

double Bernoulli::mean() const { return p; }
double Bernoulli::sd() const { return std::sqrt(p * (1 - p)); }
double Bernoulli::cdf(double x) const { return x < 0 ? 0.0 : x < 1 ? 1 - p : 1.0; }
double Bernoulli::quantile(double u) const { return u > 1 - p ? 1.0 : 0.0; }

double Binomial::mean() const { return n * p; }
double Binomial::sd() const { return std::sqrt(n * p * (1 - p)); }
double Binomial::cdf(double x) const {
  if (x < 0) return 0;
  if (x >= n) return 1;
  return bm::cdf(bm::binomial_distribution<double, RoundUp>(n, p), std::floor(x));
}
double Binomial::quantile(double u) const { return bm::quantile(bm::binomial_distribution<double, RoundUp>(n, p), u); }

double Poisson::mean() const { return lambda; }
double Poisson::sd() const { return std::sqrt(lambda); }
double Poisson::cdf(double x) const {
  return x < 0 ? 0.0 : bm::cdf(bm::poisson_distribution<double, RoundUp>(lambda), std::floor(x));
}
double Poisson::quantile(double u) const { return bm::quantile(bm::poisson_distribution<double, RoundUp>(lambda), u); }

double Exponential::mean() const { return 1 / rate; }
double Exponential::sd() const { return 1 / rate; }
double Exponential::cdf(double x) const { return x <= 0 ? 0.0 : -std::expm1(-rate * x); }
double Exponential::quantile(double u) const { return -std::log1p(-u) / rate; }

double Weibull::mean() const { return scale * std::tgamma(1 + 1 / shape); }
double Weibull::sd() const {
  const double g1 = std::tgamma(1 + 1 / shape);
  return scale * std::sqrt(std::tgamma(1 + 2 / shape) - g1 * g1);
}
double Weibull::cdf(double x) const { return x <= 0 ? 0.0 : -std::expm1(-std::pow(x / scale, shape)); }
double Weibull::quantile(double u) const { return scale * std::pow(-std::log1p(-u), 1 / shape); }

double Gumbel::mean() const { return location + std::numbers::egamma * scale; }
double Gumbel::sd() const { return std::numbers::pi * scale / std::sqrt(6.0); }
double Gumbel::cdf(double x) const { return std::exp(-std::exp(-(x - location) / scale)); }
double Gumbel::quantile(double u) const { return location - scale * std::log(-std::log(u)); }

double StudentT::mean() const { return df > 1 ? location : k_nan; }
double StudentT::sd() const { return df > 2 ? scale * std::sqrt(df / (df - 2)) : df > 1 ? k_inf : k_nan; }
double StudentT::cdf(double x) const { return bm::cdf(bm::students_t_distribution<double>(df), (x - location) / scale); }
double StudentT::quantile(double u) const {
  return location + scale * bm::quantile(bm::students_t_distribution<double>(df), u);
}

double LogUniform::mean() const { return (max - min) / std::log(max / min); }
double LogUniform::sd() const {
  const double m = mean();
  return std::sqrt((max * max - min * min) / (2 * std::log(max / min)) - m * m);
}
double LogUniform::cdf(double x) const {
  return x <= min ? 0.0 : x >= max ? 1.0 : std::log(x / min) / std::log(max / min);
}
double LogUniform::quantile(double u) const { return std::exp(std::log(min) + u * (std::log(max) - std::log(min))); }

}  // namespace tamcarlo

// ---- laws through two quantiles ----

#include <boost/math/distributions/beta.hpp>
#include <boost/math/distributions/gamma.hpp>
#include <boost/math/distributions/normal.hpp>

namespace tamcarlo {
namespace {

// The x in [lo, hi] where f (monotone) crosses 0, by bisection on the midpoint (geometric when `log_scale`).
template <class F>
double bisect(F f, double lo, double hi, bool log_scale) {
  const bool rising = f(hi) > f(lo);
  for (int i = 0; i < 200; ++i) {
    const double mid = log_scale ? std::sqrt(lo * hi) : 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    ((f(mid) > 0) == rising ? hi : lo) = mid;
  }
  return log_scale ? std::sqrt(lo * hi) : 0.5 * (lo + hi);
}

double z_of(double p) { return bm::quantile(bm::normal_distribution<double>(0, 1), p); }

}  // namespace

LogNormal lognormal_through(double p1, double q1, double p2, double q2) {
  const double sigma = (std::log(q2) - std::log(q1)) / (z_of(p2) - z_of(p1));
  return {std::log(q1) - sigma * z_of(p1), sigma};
}

std::optional<Gamma> gamma_through(double p1, double q1, double p2, double q2, double min_shape, double max_shape) {
  // Q(k, p2)/Q(k, p1) of Gamma(k, 1) falls from ∞ to 1 as the shape k grows; the scale then fits q1.
  const auto ratio = [&](double k) {
    const bm::gamma_distribution<double> g(k, 1.0);
    return std::log(bm::quantile(g, p2)) - std::log(bm::quantile(g, p1)) - std::log(q2 / q1);
  };
  if (!(ratio(min_shape) > 0 && ratio(max_shape) < 0)) return std::nullopt;
  const double k = bisect(ratio, min_shape, max_shape, true);
  return Gamma{k, q1 / bm::quantile(bm::gamma_distribution<double>(k, 1.0), p1)};
}

std::optional<Beta> beta_through(double p1, double z1, double p2, double z2, double min_shape, double max_shape) {
  // For a concentration c = α + β, the mean m with Q(p1) = z1 (Q rises with m); then Q(p2) − z2 falls as c
  // grows (a narrower law), which fixes c.
  const auto fit_mean = [&](double c) {
    return bisect([&](double m) { return bm::quantile(bm::beta_distribution<double>(m * c, (1 - m) * c), p1) - z1; },
                  1e-12, 1 - 1e-12, false);
  };
  const auto gap = [&](double c) {
    const double m = fit_mean(c);
    return bm::quantile(bm::beta_distribution<double>(m * c, (1 - m) * c), p2) - z2;
  };
  const double c_lo = 2 * min_shape, c_hi = max_shape;
  if (!(gap(c_lo) > 0 && gap(c_hi) < 0)) return std::nullopt;
  const double c = bisect(gap, c_lo, c_hi, true);
  const double m = fit_mean(c);
  return Beta{m * c, (1 - m) * c};
}

}  // namespace tamcarlo
