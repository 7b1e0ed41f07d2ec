#include "sim/random/law_math.hpp"

#include <boost/math/distributions/normal.hpp>
#include <boost/math/special_functions/beta.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>

namespace tamcarlo::detail {

namespace bm = boost::math;

namespace {

// Horner's rule over 8 coefficients c[0] + c[1]·r + … + c[7]·r⁷, in this order (the same bits on every machine: no
// fused multiply-add at the baseline instruction set this file is built for).
double poly8(const double (&c)[8], double r) {
  double v = c[7];
  for (int i = 6; i >= 0; --i) v = v * r + c[i];
  return v;
}

}  // namespace

namespace {
// Wichura (1988), AS 241 PPND16: rational approximations in three ranges, relative error about 1e-16.
constexpr double a[8] = {3.3871328727963666080e0,   1.3314166789178437745e+2, 1.9715909503065514427e+3,
                                  1.3731693765509461125e+4,  4.5921953931549871457e+4, 6.7265770927008700853e+4,
                                  3.3430575583588128105e+4,  2.5090809287301226727e+3};
constexpr double b[8] = {1.0,                       4.2313330701600911252e+1, 6.8718700749205790830e+2,
                                  5.3941960214247511077e+3,  2.1213794301586595867e+4, 3.9307895800092710610e+4,
                                  2.8729085735721942674e+4,  5.2264952788528545610e+3};
constexpr double c[8] = {1.42343711074968357734e0,  4.63033784615654529590e0, 5.76949722146069140550e0,
                                  3.64784832476320460504e0,  1.27045825245236838258e0, 2.41780725177450611770e-1,
                                  2.27238449892691845833e-2, 7.74545014278341407640e-4};
constexpr double d[8] = {1.0,                       2.05319162663775882187e0, 1.67638483018380384940e0,
                                  6.89767334985100004550e-1, 1.48103976427480074590e-1, 1.51986665636164571966e-2,
                                  5.47593808499534494600e-4, 1.05075007164441684324e-9};
constexpr double e[8] = {6.65790464350110377720e0,  5.46378491116411436990e0, 1.78482653991729133580e0,
                                  2.96560571828504891230e-1, 2.65321895265761230930e-2, 1.24266094738807843860e-3,
                                  2.71155556874348757815e-5, 2.01033439929228813265e-7};
constexpr double f[8] = {1.0,                       5.99832206555887937690e-1, 1.36929880922735805310e-1,
                                  1.48753612908506148525e-2, 7.86869131145613259100e-4, 1.84631831751005468180e-5,
                                  1.42151175831644588870e-7, 2.04426310338993978564e-15};

// The tails of AS 241 (|p − ½| > 0.425) and the ends.
double normal_quantile_tail(double p) {
  if (std::isnan(p)) return p;
  if (p <= 0) return -HUGE_VAL;
  if (p >= 1) return HUGE_VAL;
  const double q = p - 0.5;
  const double r = std::sqrt(-std::log(q < 0 ? p : 1 - p));
  const double z = r <= 5 ? poly8(c, r - 1.6) / poly8(d, r - 1.6) : poly8(e, r - 5) / poly8(f, r - 5);
  return q < 0 ? -z : z;
}

}  // namespace

double normal_quantile(double p) {
  const double q = p - 0.5;
  if (std::fabs(q) <= 0.425) {
    const double r = 0.180625 - q * q;
    return q * poly8(a, r) / poly8(b, r);
  }
  return normal_quantile_tail(p);
}

// Built for AVX2 too (without FMA, as -ffp-contract=off has it everywhere: the same operations, so the same bits at
// either level); the machine's best is taken at load time.
__attribute__((target_clones("avx2", "default"))) void normal_quantiles(std::span<double> v) {
  // The central range for every value, in a loop the compiler vectorizes (the same operations in the same order as
  // normal_quantile, so the same bits). Then the tails (about 15% of uniforms), gathered: their logarithms one by one
  // (libm's, as normal_quantile_tail takes them), and the square root and the r ≤ 5 rational function vectorized over
  // the gathered ones. The far tails (r > 5: p below 1.4e-11), the ends and NaN go through normal_quantile_tail.
  const std::size_t n = v.size();
  constexpr std::size_t chunk = 256;
  std::array<double, chunk> p, t, root;
  std::array<std::uint32_t, chunk> at;
  for (std::size_t first = 0; first < n; first += chunk) {
    const std::size_t m = std::min(chunk, n - first);
    double* x = v.data() + first;
    std::copy(x, x + m, p.begin());
    for (std::size_t i = 0; i < m; ++i) {
      const double q = p[i] - 0.5, r = 0.180625 - q * q;
      x[i] = q * poly8(a, r) / poly8(b, r);
    }
    std::size_t tails = 0;
    for (std::size_t i = 0; i < m; ++i) {
      at[tails] = static_cast<std::uint32_t>(i);
      tails += !(std::fabs(p[i] - 0.5) <= 0.425) ? 1 : 0;
    }
    for (std::size_t k = 0; k < tails; ++k) {
      const double pk = p[at[k]];
      t[k] = pk > 0 && pk < 1 ? -std::log(pk - 0.5 < 0 ? pk : 1 - pk) : std::numeric_limits<double>::quiet_NaN();  // (redone below)
    }
    for (std::size_t k = 0; k < tails; ++k) {
      root[k] = std::sqrt(t[k]);
      t[k] = poly8(c, root[k] - 1.6) / poly8(d, root[k] - 1.6);
    }
    for (std::size_t k = 0; k < tails; ++k) {
      const double pk = p[at[k]];
      x[at[k]] = !(root[k] <= 5) ? normal_quantile_tail(pk) : pk - 0.5 < 0 ? -t[k] : t[k];
    }
  }
}
double normal_cdf(double z) { return 0.5 * std::erfc(-z * 0.70710678118654752440); }

TruncParts::TruncParts(const TruncNormal& n)
    : alpha((n.min - n.mu) / n.sigma),
      beta((n.max - n.mu) / n.sigma),
      z(normal_cdf(beta) - normal_cdf(alpha)),
      phi_a(std::isinf(alpha) ? 0.0 : std::exp(-0.5 * alpha * alpha) / std::sqrt(2 * M_PI)),
      phi_b(std::isinf(beta) ? 0.0 : std::exp(-0.5 * beta * beta) / std::sqrt(2 * M_PI)) {}

double weighted_mean(const std::vector<double>& v, const std::vector<double>& w) {
  return std::inner_product(v.begin(), v.end(), w.begin(), 0.0) / std::accumulate(w.begin(), w.end(), 0.0);
}

double weighted_sd(const std::vector<double>& v, const std::vector<double>& w) {
  const double m = weighted_mean(v, w);
  double s = 0, total = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    s += w[i] * (v[i] - m) * (v[i] - m);
    total += w[i];
  }
  return std::sqrt(s / total);
}

Steps::Steps(const std::vector<double>& values, const std::vector<double>& weights) {
  std::vector<std::size_t> idx(values.size());
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  std::stable_sort(idx.begin(), idx.end(), [&](auto a, auto b) { return values[a] < values[b]; });
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  double c = 0;
  for (auto i : idx) {
    c += weights[i] / total;
    if (!x.empty() && x.back() == values[i]) cum.back() = c;
    else {
      x.push_back(values[i]);
      cum.push_back(c);
    }
  }
  cum.back() = 1.0;
}

double Steps::cdf(double t) const {
  const auto it = std::upper_bound(x.begin(), x.end(), t);
  return it == x.begin() ? 0.0 : cum[static_cast<std::size_t>(it - x.begin()) - 1];
}

double Steps::quantile(double p) const {
  const auto it = std::lower_bound(cum.begin(), cum.end(), p);
  return x[std::min(static_cast<std::size_t>(it - cum.begin()), x.size() - 1)];
}

Steps empirical_steps(const Empirical& e) { return Steps(e.data, std::vector<double>(e.data.size(), 1.0)); }

bm::beta_distribution<double> pert_beta(const Pert& p) { return {p.alpha(), p.beta()}; }

double beta_quantile(const bm::beta_distribution<double>& d, double p, bool upper) {
  try {
    return upper ? bm::quantile(bm::complement(d, p)) : bm::quantile(d, p);
  } catch (const std::exception&) {
    const double a = d.alpha(), b = d.beta(), beta_ab = bm::beta(a, b);
    return upper ? 1 - std::pow(p * b * beta_ab, 1 / b) : std::pow(p * a * beta_ab, 1 / a);
  }
}

}  // namespace tamcarlo::detail
