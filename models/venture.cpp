#include "models/venture.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <utility>
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

namespace {

// Cash flows netted by date, in time order, with times measured from the first (the roots are the same, and
// (1 + r)^t stays finite for calendar years). Up to k_inline dates live on the stack: the IRR runs once a sample.
class DatedFlows {
 public:
  DatedFlows(std::span<const double> times, std::span<const double> amounts) {
    const std::size_t n = times.size();
    if (n > k_inline) {
      heap_time_.resize(n);
      heap_amount_.resize(n);
    }
    double* t = n > k_inline ? heap_time_.data() : time_.data();
    double* a = n > k_inline ? heap_amount_.data() : amount_.data();
    for (std::size_t k = 0; k < n; ++k) {  // insertion by time, equal dates netted
      std::size_t at = size_;
      while (at > 0 && t[at - 1] > times[k]) --at;
      if (at > 0 && t[at - 1] == times[k]) {
        a[at - 1] += amounts[k];
        continue;
      }
      for (std::size_t m = size_; m > at; --m) {
        t[m] = t[m - 1];
        a[m] = a[m - 1];
      }
      t[at] = times[k];
      a[at] = amounts[k];
      ++size_;
    }
    for (std::size_t k = size_; k-- > 0;) t[k] -= t[0];
    time = {t, size_};
    amount = {a, size_};
  }

  /// Sign changes of the netted amounts in time order (zeros skipped).
  [[nodiscard]] int sign_changes() const noexcept {
    int changes = 0, last = 0;
    for (const double a : amount) {
      const int sgn = (a > 0) - (a < 0);
      if (sgn != 0 && last != 0 && sgn != last) ++changes;
      if (sgn != 0) last = sgn;
    }
    return changes;
  }

  /// NPV at u = log(1 + r): Σ a_k e^(−t_k u) [currency].
  [[nodiscard]] double value(double u) const noexcept { return value_and_slope(u).first; }

  /// The NPV at u and its derivative in u: (Σ a_k e^(−t_k u), −Σ t_k a_k e^(−t_k u)).
  [[nodiscard]] std::pair<double, double> value_and_slope(double u) const noexcept {
    double sum = 0, slope = 0;
    for (std::size_t k = 0; k < size_; ++k) {
      const double term = amount[k] * std::exp(-time[k] * u);
      sum += term;
      slope -= time[k] * term;
    }
    return {sum, slope};
  }

  std::span<const double> time, amount;

 private:
  static constexpr std::size_t k_inline = 16;
  std::array<double, k_inline> time_{}, amount_{};
  std::vector<double> heap_time_, heap_amount_;
  std::size_t size_ = 0;
};

// The root of the NPV in u = log(1 + r) between lo and hi (their NPVs f_lo and f_hi of opposite signs, or one zero): Newton steps
// kept inside the bracket, halving it where a step would leave it or shrink it too slowly, until the step or the
// bracket is within a few units in the last place of u (6 steps for a typical round; bisection to 1e-12 took 40).
double root_between(const DatedFlows& f, double lo, double hi, double f_lo, double f_hi) noexcept {
  if (f_lo == 0) return lo;
  if (f_hi == 0) return hi;
  // Oriented so the NPV is negative at `neg` and positive at `pos`.
  double neg = f_lo < 0 ? lo : hi, pos = f_lo < 0 ? hi : lo;
  // A first guess from two lumps: the outflows at their mean date, the inflows at theirs (exact for two flows).
  double out = 0, in = 0, t_out = 0, t_in = 0;
  for (std::size_t k = 0; k < f.time.size(); ++k) {
    const double a = f.amount[k];
    (a < 0 ? out : in) += std::fabs(a);
    (a < 0 ? t_out : t_in) += std::fabs(a) * f.time[k];
  }
  double u = 0.5 * (lo + hi);
  if (out > 0 && in > 0 && t_in / in != t_out / out) {
    const double guess = std::log(in / out) / (t_in / in - t_out / out);
    if (guess > std::min(lo, hi) && guess < std::max(lo, hi)) u = guess;
  }
  double step_before = std::fabs(hi - lo), step = step_before;
  for (int it = 0; it < 200; ++it) {
    const auto [v, slope] = f.value_and_slope(u);
    if (v == 0) return u;
    (v < 0 ? neg : pos) = u;
    const double newton = u - v / slope;
    const double a = std::min(neg, pos), b = std::max(neg, pos);
    const bool inside = std::isfinite(newton) && newton > a && newton < b;
    step_before = step;
    if (!inside || std::fabs(2 * v) > std::fabs(step_before * slope)) {
      step = 0.5 * (b - a);
      u = a + step;
    } else {
      step = std::fabs(newton - u);
      u = newton;
    }
    const double tol = 4 * std::numeric_limits<double>::epsilon() * std::max(1.0, std::fabs(u));
    if (step <= tol || b - a <= tol) return u;
  }
  return u;
}

}  // namespace

IrrResult irr(std::span<const double> times, std::span<const double> amounts) noexcept {
  bool pos = false, neg = false;
  for (const double a : amounts) {
    pos = pos || a > 0;
    neg = neg || a < 0;
  }
  if (neg && !pos) return {-1.0, IrrStatus::total_loss};
  if (!neg || !pos || times.size() != amounts.size()) return {k_nan, IrrStatus::no_sign_change};
  const DatedFlows f(times, amounts);
  const auto npv_at = [&](double r) { return f.value(std::log1p(r)); };
  // One sign change in time order (outflows, then inflows, or the reverse) means exactly one root
  // (Descartes): bracket it directly.
  const int changes = f.sign_changes();
  if (changes == 1) {
    const double lo = std::log(1e-9);  // r = −1 + 1e-9
    const double f_lo = f.value(lo);
    double hi = 1, f_hi = npv_at(hi);
    while ((f_hi < 0) == (f_lo < 0) && hi < 1e6) f_hi = npv_at(hi *= 4);
    if ((f_hi < 0) == (f_lo < 0)) return {k_nan, IrrStatus::no_root};
    return {std::expm1(root_between(f, lo, std::log1p(hi), f_lo, f_hi)), IrrStatus::ok};
  }
  if (changes == 0) return {k_nan, IrrStatus::no_root};  // flows on one date that net to one sign: no rate zeroes them
  // Otherwise scan a grid of rates outward from 0 for the sign change nearest 0, then refine it.
  double best_lo = k_nan, best_hi = k_nan, best_dist = std::numeric_limits<double>::infinity();
  std::vector<double> grid;
  for (double r = -0.999; r < 0; r = r < -0.9 ? r + 0.001 : r + 0.01) grid.push_back(r);
  for (double r = 0; r <= 1000; r = r < 1 ? r + 0.01 : r * 1.05) grid.push_back(r);
  for (std::size_t k = 0; k + 1 < grid.size(); ++k) {
    const double a = npv_at(grid[k]), b = npv_at(grid[k + 1]);
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
  const double u_lo = std::log1p(best_lo), u_hi = std::log1p(best_hi);
  return {std::expm1(root_between(f, u_lo, u_hi, f.value(u_lo), f.value(u_hi))), IrrStatus::ok};
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
