#include "sim/random/laws.hpp"

#include "sim/random/law_math.hpp"
#include "sim/base/numeric.hpp"

#include <boost/math/distributions/beta.hpp>
#include <boost/math/distributions/binomial.hpp>
#include <boost/math/distributions/gamma.hpp>
#include <boost/math/distributions/triangular.hpp>
#include <boost/math/distributions/poisson.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <boost/math/special_functions/gamma.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <array>
#include <limits>
#include <optional>
#include <numbers>

namespace tamcarlo {
namespace {

namespace bm = boost::math;
// Discrete quantiles as the generalized inverse inf{k : F(k) ≥ u}: Boost's round-up policy.
using RoundUp = bm::policies::policy<bm::policies::discrete_quantile<bm::policies::integer_round_up>>;
constexpr double k_inf = std::numeric_limits<double>::infinity();

}  // namespace

// The laws with closed forms (and Boost.Math's beta and gamma).

double Constant::mean() const { return value; }
double Constant::sd() const { return 0.0; }
double Constant::cdf(double x) const { return x < value ? 0.0 : 1.0; }
double Constant::quantile(double) const { return value; }

double Uniform::mean() const { return 0.5 * (min + max); }
double Uniform::sd() const { return (max - min) / std::sqrt(12.0); }
double Uniform::cdf(double x) const { return std::clamp((x - min) / (max - min), 0.0, 1.0); }
double Uniform::quantile(double u) const { return min + u * (max - min); }

double Triangular::mean() const { return (min + mode + max) / 3.0; }
double Triangular::sd() const {
  const double a = min, b = max, c = mode;
  return std::sqrt((a * a + b * b + c * c - a * b - a * c - b * c) / 18.0);
}
double Triangular::cdf(double x) const {
  if (x <= min) return 0.0;
  if (x >= max) return 1.0;
  return bm::cdf(bm::triangular_distribution<double>(min, mode, max), x);
}
double Triangular::quantile(double u) const {
  const double a = min, b = max, c = mode;
  if (u < (c - a) / (b - a)) return a + std::sqrt(u * (b - a) * (c - a));
  return b - std::sqrt((1 - u) * (b - a) * (b - c));
}

double Pert::mean() const { return (min + 4 * mode + max) / 6.0; }
double Pert::sd() const { return bm::standard_deviation(detail::pert_beta(*this)) * (max - min); }
double Pert::cdf(double x) const {
  const double z = (x - min) / (max - min);
  return z <= 0 ? 0.0 : z >= 1 ? 1.0 : bm::cdf(detail::pert_beta(*this), z);
}
double Pert::quantile(double u) const { return min + (max - min) * detail::beta_quantile(detail::pert_beta(*this), u); }

double Normal::mean() const { return mu; }
double Normal::sd() const { return sigma; }
double Normal::cdf(double x) const { return detail::normal_cdf((x - mu) / sigma); }
double Normal::quantile(double u) const { return mu + sigma * detail::normal_quantile(u); }

double TruncNormal::mean() const {
  const detail::TruncParts t(*this);
  return mu + sigma * (t.phi_a - t.phi_b) / t.z;
}
double TruncNormal::sd() const {
  const detail::TruncParts t(*this);
  const double a_term = std::isinf(t.alpha) ? 0.0 : t.alpha * t.phi_a;
  const double b_term = std::isinf(t.beta) ? 0.0 : t.beta * t.phi_b;
  const double r = (t.phi_a - t.phi_b) / t.z;
  return sigma * std::sqrt(1.0 + (a_term - b_term) / t.z - r * r);
}
double TruncNormal::cdf(double x) const {
  if (x <= min) return 0.0;
  if (x >= max) return 1.0;
  const detail::TruncParts t(*this);
  return (detail::normal_cdf((x - mu) / sigma) - detail::normal_cdf(t.alpha)) / t.z;
}
double TruncNormal::quantile(double u) const {
  const detail::TruncParts t(*this);
  const double lo = detail::normal_cdf(t.alpha);
  return std::clamp(mu + sigma * detail::normal_quantile(lo + u * t.z), min, max);
}

double LogNormal::mean() const { return std::exp(mu + 0.5 * sigma * sigma); }
double LogNormal::sd() const {
  const double s2 = sigma * sigma;
  return std::sqrt(std::expm1(s2)) * std::exp(mu + 0.5 * s2);
}
double LogNormal::cdf(double x) const { return x <= 0 ? 0.0 : detail::normal_cdf((std::log(x) - mu) / sigma); }
double LogNormal::quantile(double u) const { return std::exp(mu + sigma * detail::normal_quantile(u)); }

double Beta::mean() const { return min + (max - min) * (alpha / (alpha + beta)); }
double Beta::sd() const {
  const double s = alpha + beta;
  return (max - min) * std::sqrt(alpha * beta / (s * s * (s + 1)));
}
double Beta::cdf(double x) const {
  const double z = (x - min) / (max - min);
  return z <= 0 ? 0.0 : z >= 1 ? 1.0 : bm::cdf(bm::beta_distribution<double>(alpha, beta), z);
}
double Beta::quantile(double u) const {
  const double z = detail::beta_quantile(bm::beta_distribution<double>(alpha, beta), u);
  return scaled() ? min + (max - min) * z : z;
}

double Gamma::mean() const { return shape * scale; }
double Gamma::sd() const { return std::sqrt(shape) * scale; }
double Gamma::cdf(double x) const { return x <= 0 ? 0.0 : bm::cdf(bm::gamma_distribution<double>(shape, scale), x); }
double Gamma::quantile(double u) const { return bm::quantile(bm::gamma_distribution<double>(shape, scale), u); }

double Discrete::mean() const { return detail::weighted_mean(values, weights); }
double Discrete::sd() const { return detail::weighted_sd(values, weights); }
double Discrete::cdf(double x) const { return detail::Steps(values, weights).cdf(x); }
double Discrete::quantile(double u) const { return detail::Steps(values, weights).quantile(u); }

double Empirical::mean() const { return std::accumulate(data.begin(), data.end(), 0.0) / data.size(); }
double Empirical::sd() const { return detail::weighted_sd(data, std::vector<double>(data.size(), 1.0)); }
double Empirical::cdf(double x) const { return detail::empirical_steps(*this).cdf(x); }
double Empirical::quantile(double u) const { return detail::empirical_steps(*this).quantile(u); }

// The laws with Boost.Math's moments, cdf and quantile, or their own series.

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

// ---- metalog ----

#include <Eigen/Dense>

namespace tamcarlo {
namespace {

// The metalog basis at y: 1, L, (y − ½)L, (y − ½), (y − ½)².
std::array<double, 5> metalog_basis(double y) {
  const double l = std::log(y / (1 - y)), c = y - 0.5;
  return {1.0, l, c * l, c, c * c};
}

double metalog_m(const std::vector<double>& a, double y) {
  const auto b = metalog_basis(y);
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m += a[i] * b[i];
  return m;
}

// x from M by the bounds' transform, and its inverse.
double from_m(double m, double lo, double hi) {
  const bool has_lo = !std::isnan(lo), has_hi = !std::isnan(hi);
  if (has_lo && has_hi) return (lo + hi * std::exp(m)) / (1 + std::exp(m));
  if (has_lo) return lo + std::exp(m);
  if (has_hi) return hi - std::exp(-m);
  return m;
}
double to_m(double x, double lo, double hi) {
  const bool has_lo = !std::isnan(lo), has_hi = !std::isnan(hi);
  if (has_lo && has_hi) return std::log((x - lo) / (hi - x));
  if (has_lo) return std::log(x - lo);
  if (has_hi) return -std::log(hi - x);
  return x;
}

// ∫₀¹ f(y) dy by 16-point Gauss–Legendre on pieces that halve toward each end.
template <class F>
double integrate01(F f) {
  static const auto nodes = detail::gauss_legendre<16>();
  // Pieces halving toward each end, [2^−(j+2), 2^−(j+1)] and their mirror images, so the ends' logarithmic
  // singularities are resolved (the last 2^−51 at each end left out: 1 − 2^−53 is the last double below 1, and
  // that sliver carries under 1e-13 of the integral).
  const auto piece = [&](double lo, double hi) {
    const double half = 0.5 * (hi - lo);
    double t = 0;
    for (const auto& [x, w] : nodes) t += w * half * f(lo + half * (x + 1));
    return t;
  };
  double total = 0;
  for (int j = 0; j < 50; ++j) {
    const double lo = std::ldexp(1.0, -(j + 2)), hi = std::ldexp(1.0, -(j + 1));
    total += piece(lo, hi) + piece(1 - hi, 1 - lo);
  }
  return total;
}

}  // namespace

std::optional<Metalog> Metalog::fit(std::vector<double> p, std::vector<double> x, double lower, double upper) {
  const std::size_t k = p.size();
  if (k < 3 || k > 5 || x.size() != k) return std::nullopt;
  Eigen::MatrixXd basis(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(k));
  Eigen::VectorXd target(static_cast<Eigen::Index>(k));
  for (std::size_t j = 0; j < k; ++j) {
    const auto b = metalog_basis(p[j]);
    for (std::size_t i = 0; i < k; ++i) basis(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(i)) = b[i];
    target(static_cast<Eigen::Index>(j)) = to_m(x[j], lower, upper);
    if (!std::isfinite(target(static_cast<Eigen::Index>(j)))) return std::nullopt;
  }
  const Eigen::VectorXd a = basis.fullPivLu().solve(target);
  Metalog m{std::move(p), std::move(x), lower, upper, std::vector<double>(a.data(), a.data() + a.size())};
  // Feasible: M increasing on (0, 1), checked on a grid dense in the tails.
  double prev = -std::numeric_limits<double>::infinity();
  for (int i = 1; i < 20000; ++i) {
    const double v = metalog_m(m.a, static_cast<double>(i) / 20000);
    if (!(v > prev)) return std::nullopt;
    prev = v;
  }
  for (int e = 2; e <= 40; ++e) {  // the tails: y = 2^−e and 1 − 2^−e keep the order
    const double y = std::ldexp(1.0, -e);
    if (!(metalog_m(m.a, y) < metalog_m(m.a, 2 * y)) || !(metalog_m(m.a, 1 - 2 * y) < metalog_m(m.a, 1 - y)))
      return std::nullopt;
  }
  return m;
}

double Metalog::quantile(double u) const { return from_m(metalog_m(a, u), lower, upper); }

double Metalog::cdf(double v) const {
  if (!std::isnan(lower) && v <= lower) return 0;
  if (!std::isnan(upper) && v >= upper) return 1;
  double lo = 0, hi = 1;
  for (int i = 0; i < 200 && hi - lo > 1e-17; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    (quantile(mid) < v ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

double Metalog::tail_power() const {
  const bool lo = !std::isnan(lower), hi = !std::isnan(upper);
  if (lo == hi) return 0;  // unbounded (logistic tails) or bounded: every moment exists
  const double a3 = a.size() > 2 ? a[2] : 0.0;
  return lo ? a[1] + a3 / 2 : a[1] - a3 / 2;
}

double Metalog::mean() const {
  if (tail_power() >= 1) return std::isnan(lower) ? -k_inf : k_inf;
  return integrate01([&](double y) { return quantile(y); });
}

double Metalog::sd() const {
  if (tail_power() >= 0.5) return k_inf;
  const double m = mean();
  return std::sqrt(integrate01([&](double y) {
    const double d = quantile(y) - m;
    return d * d;
  }));
}

}  // namespace tamcarlo
