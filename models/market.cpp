#include "models/market.hpp"

#include <cmath>
#include <limits>

namespace tamcarlo::models {
namespace {
constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();
double logit(double x) { return std::log(x / (1 - x)); }
}  // namespace

double labor_substitution(double headcount, double salary, double share) noexcept { return headcount * salary * share; }

double headcount_by_ratio(double anchor_headcount, double market_volume, double anchor_volume) noexcept {
  return anchor_headcount * (market_volume / anchor_volume);
}

double spend_share(double pool, double addressable, double capture) noexcept { return pool * addressable * capture; }

double productivity_value(double hours_saved, double cost_per_hour, double capture) noexcept {
  return hours_saved * cost_per_hour * capture;
}

double cagr(double v0, double v1, double years) noexcept {
  if (!(v0 > 0) || !(v1 >= 0) || !(years > 0)) return k_nan;
  return std::pow(v1 / v0, 1 / years) - 1;
}

double project(double v0, double rate, double years) noexcept {
  if (!(rate > -1)) return k_nan;
  return v0 * std::pow(1 + rate, years);
}

double interpolate(double t, double t0, double v0, double t1, double v1) noexcept {
  if (t0 == t1) return k_nan;
  return v0 + (v1 - v0) * ((t - t0) / (t1 - t0));
}

double logistic(double t, double t_mid, double k, double cap) noexcept {
  if (!(k > 0)) return k_nan;
  return cap / (1 + std::exp(-k * (t - t_mid)));
}

double logistic_through(double t, double t1, double y1, double t2, double y2, double cap) noexcept {
  if (t1 == t2 || !(y1 > 0 && y1 < cap) || !(y2 > 0 && y2 < cap)) return k_nan;
  // logit(y/cap) is linear in t: logit(y/cap) = k (t − t_mid).
  const double l1 = logit(y1 / cap), l2 = logit(y2 / cap);
  const double l = l1 + (l2 - l1) * ((t - t1) / (t2 - t1));
  return cap / (1 + std::exp(-l));
}

double bass_adoption(double t, double p, double q, double m) noexcept {
  if (!(p > 0) || !(q >= 0) || !(t >= 0)) return k_nan;
  const double e = std::exp(-(p + q) * t);
  return m * (1 - e) / (1 + (q / p) * e);
}

double funnel(double tam, double sam_share, double som_share) noexcept { return tam * sam_share * som_share; }

}  // namespace tamcarlo::models
