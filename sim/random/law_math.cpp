#include "sim/random/law_math.hpp"

#include <boost/math/distributions/normal.hpp>
#include <boost/math/special_functions/beta.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tamcarlo::detail {

namespace bm = boost::math;

double normal_quantile(double p) { return bm::quantile(bm::normal_distribution<double>(), p); }
double normal_cdf(double z) { return bm::cdf(bm::normal_distribution<double>(), z); }

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
