#include "models/venture.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace tamcarlo::models {
namespace {
constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();
}

double stake_at_exit(double check, double post_money, double dilution, double rounds) noexcept {
  if (!(check >= 0) || !(post_money > 0) || !(dilution >= 0 && dilution < 1) || !(rounds >= 0)) return k_nan;
  return check / post_money * std::pow(1 - dilution, rounds);
}

double exit_proceeds(double stake, double exit_value, double check, double pref) noexcept {
  if (!(stake >= 0 && stake <= 1) || !(exit_value >= 0) || !(check >= 0)) return k_nan;
  const double common = stake * exit_value;
  return pref != 0 ? std::max(common, std::min(check, exit_value)) : common;
}

double moic(double proceeds, double check) noexcept { return check > 0 ? proceeds / check : k_nan; }

double irr_single(double m, double years) noexcept {
  if (!(m >= 0) || !(years > 0)) return k_nan;
  return m == 0 ? -1.0 : std::pow(m, 1 / years) - 1;
}

double npv_single(double check, double proceeds, double years, double rate) noexcept {
  if (!(rate > -1)) return k_nan;
  return -check + proceeds / std::pow(1 + rate, years);
}

double npv(double rate, std::span<const double> times, std::span<const double> amounts) noexcept {
  if (!(rate > -1) || times.size() != amounts.size()) return k_nan;
  double sum = 0;
  for (std::size_t k = 0; k < times.size(); ++k) sum += amounts[k] / std::pow(1 + rate, times[k]);
  return sum;
}

IrrResult irr(std::span<const double> times, std::span<const double> amounts) noexcept {
  bool pos = false, neg = false;
  for (const double a : amounts) {
    pos = pos || a > 0;
    neg = neg || a < 0;
  }
  if (neg && !pos) return {-1.0, IrrStatus::total_loss};
  if (!neg || !pos) return {k_nan, IrrStatus::no_sign_change};
  // Measure time from the first flow: the roots are the same, and (1 + r)^t stays finite for calendar years.
  const double t0 = *std::min_element(times.begin(), times.end());
  std::vector<double> shifted(times.begin(), times.end());
  for (double& t : shifted) t -= t0;
  const auto f = [&](double r) { return npv(r, shifted, amounts); };
  const auto bisect = [&](double lo, double hi) {
    double flo = f(lo);
    for (int it = 0; it < 200 && hi - lo > 1e-12; ++it) {
      const double mid = 0.5 * (lo + hi), fm = f(mid);
      if ((fm < 0) == (flo < 0)) {
        lo = mid;
        flo = fm;
      } else {
        hi = mid;
      }
    }
    return 0.5 * (lo + hi);
  };
  // One sign change in time order (outflows, then inflows, or the reverse) means exactly one root
  // (Descartes): bracket it directly.
  std::vector<std::size_t> order(times.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return times[a] < times[b]; });
  int changes = 0, last = 0;
  for (const std::size_t k : order) {
    const int sgn = (amounts[k] > 0) - (amounts[k] < 0);
    if (sgn != 0 && last != 0 && sgn != last) ++changes;
    if (sgn != 0) last = sgn;
  }
  if (changes == 1) {
    double lo = -1 + 1e-9, hi = 1;
    while ((f(hi) < 0) == (f(lo) < 0) && hi < 1e6) hi *= 4;
    if ((f(hi) < 0) != (f(lo) < 0)) return {bisect(lo, hi), IrrStatus::ok};
    return {k_nan, IrrStatus::no_root};
  }
  // Otherwise scan a grid of rates outward from 0 for the sign change nearest 0, then bisect.
  double best_lo = k_nan, best_hi = k_nan, best_dist = std::numeric_limits<double>::infinity();
  std::vector<double> grid;
  for (double r = -0.999; r < 0; r = r < -0.9 ? r + 0.001 : r + 0.01) grid.push_back(r);
  for (double r = 0; r <= 1000; r = r < 1 ? r + 0.01 : r * 1.05) grid.push_back(r);
  for (std::size_t k = 0; k + 1 < grid.size(); ++k) {
    const double a = f(grid[k]), b = f(grid[k + 1]);
    if (!std::isfinite(a) || !std::isfinite(b)) continue;
    if (a == 0) return {grid[k], IrrStatus::ok};
    if ((a < 0) != (b < 0)) {
      const double dist = std::min(std::fabs(grid[k]), std::fabs(grid[k + 1]));
      if (dist < best_dist) {
        best_dist = dist;
        best_lo = grid[k];
        best_hi = grid[k + 1];
      }
    }
  }
  if (std::isnan(best_lo)) return {k_nan, IrrStatus::no_root};
  return {bisect(best_lo, best_hi), IrrStatus::ok};
}

double required_exit_value(double target, double check, double stake, double pref) noexcept {
  if (!(target > 0) || !(check > 0) || !(stake > 0 && stake <= 1)) return k_nan;
  if (pref != 0 && target <= 1) return target * check;
  return target * check / stake;
}

double required_share(double target, double check, double stake, double multiple, double market,
                      double pref) noexcept {
  if (!(multiple > 0) || !(market > 0)) return k_nan;
  return required_exit_value(target, check, stake, pref) / (multiple * market);
}

}  // namespace tamcarlo::models
