#include "sim/stats/risk.hpp"

#include <algorithm>
#include <cmath>

namespace tamcarlo {

RiskStats risk_of(std::span<double> data, const RiskSpec& spec) {
  // Finite values first; the statistics below use them only.
  const auto end = std::partition(data.begin(), data.end(), [](double x) { return std::isfinite(x); });
  const std::span<double> x(data.begin(), end);
  const auto n = static_cast<double>(x.size());
  RiskStats out;
  double mean = 0;
  for (const double v : x) mean += v / n;

  for (const double alpha : spec.levels) {
    TailRisk t;
    t.level = alpha;
    const double p = spec.upper_tail ? 1 - alpha : alpha;
    const double probs[1] = {p};
    t.var = quantiles(x, probs).at(0);
    // ES = q + (1 / (nα)) Σ (x − q)·1{x beyond q}: the tail mean, and its asymptotic standard error.
    const double q = t.var.value;
    double sum = 0, sum2 = 0;
    for (const double v : x) {
      const double d = spec.upper_tail ? std::max(v - q, 0.0) : std::min(v - q, 0.0);
      sum += d;
      sum2 += d * d;
    }
    const double mean_d = sum / n, var_d = std::max(0.0, sum2 / n - mean_d * mean_d);
    t.cvar = q + mean_d / alpha;
    t.cvar_se = std::sqrt(var_d) / (alpha * std::sqrt(n));
    out.tails.push_back(t);
  }
  const auto count = [&](auto pred) {
    std::uint64_t k = 0;
    for (const double v : x) k += pred(v);
    return k;
  };
  for (const double t : spec.below)
    out.thresholds.push_back({t, true, wilson(count([t](double v) { return v < t; }), x.size())});
  for (const double t : spec.at_least)
    out.thresholds.push_back({t, false, wilson(count([t](double v) { return v >= t; }), x.size())});

  out.downside_target = spec.downside_target ? *spec.downside_target : !spec.below.empty() ? spec.below.front() : mean;
  double sum = 0, sum2 = 0;
  for (const double v : x) {
    const double d = spec.upper_tail ? std::max(v - out.downside_target, 0.0) : std::min(v - out.downside_target, 0.0);
    const double y = d * d;
    sum += y;
    sum2 += y * y;
  }
  const double my = sum / n, vy = std::max(0.0, sum2 / n - my * my);
  out.semi_deviation = std::sqrt(my);
  out.semi_deviation_se = my > 0 ? std::sqrt(vy / n) / (2 * out.semi_deviation) : 0;
  return out;
}

}  // namespace tamcarlo
