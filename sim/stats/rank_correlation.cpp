#include "sim/stats/rank_correlation.hpp"

#include "sim/stats/order_stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <utility>

namespace tamcarlo {

std::vector<double> average_ranks(std::span<const double> x) { return average_ranks(sort_column(x)); }

std::vector<double> average_ranks(const SortedColumn& s) {
  // Equal values are adjacent (−0 and +0 as one), so ties get the same average rank.
  const std::size_t n = s.at.size();
  std::vector<double> rank(n);
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j + 1 < n && s.value[j + 1] == s.value[i]) ++j;
    const double r = 0.5 * static_cast<double>(i + j) + 1;  // average of ranks i+1 .. j+1
    for (std::size_t k = i; k <= j; ++k) rank[s.at[k]] = r;
    i = j + 1;
  }
  return rank;
}

CenteredRanks centered_ranks(const SortedColumn& s) {
  const std::size_t n = s.at.size();
  if (n > k_max_ranked) throw std::length_error("centered_ranks: more than 2^20 values");
  CenteredRanks out;
  out.d.resize(n);
  const auto m = static_cast<std::int64_t>(n);
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j + 1 < n && s.value[j + 1] == s.value[i]) ++j;
    const std::int64_t d = static_cast<std::int64_t>(i + j) + 1 - m;  // 2·(average of ranks i+1 .. j+1) − (n + 1)
    for (std::size_t k = i; k <= j; ++k) out.d[s.at[k]] = static_cast<std::int32_t>(d);
    out.ss += static_cast<std::int64_t>(j - i + 1) * d * d;
    i = j + 1;
  }
  return out;
}

namespace {

// Σ a_i·b_i, exact in 64-bit integers (an AVX2 clone where the processor has it: the same sum, several lanes at once).
__attribute__((target_clones("avx2", "default"))) std::int64_t dot(const std::int32_t* a, const std::int32_t* b,
                                                                   std::size_t n) {
  std::int64_t sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += static_cast<std::int64_t>(a[i]) * b[i];
  return sum;
}

}  // namespace

double spearman(const CenteredRanks& x, const CenteredRanks& y) {
  if (x.d.size() != y.d.size()) throw std::invalid_argument("spearman: columns of different lengths");
  if (x.d.size() < 2 || x.ss <= 0 || y.ss <= 0) return std::numeric_limits<double>::quiet_NaN();
  const std::int64_t dot = tamcarlo::dot(x.d.data(), y.d.data(), x.d.size());
  // Every sum is exact and below 2^53, so each converts exactly.
  return static_cast<double>(dot) / std::sqrt(static_cast<double>(x.ss) * static_cast<double>(y.ss));
}

double pearson(std::span<const double> x, std::span<const double> y) noexcept {
  // A constant has no correlation (its computed variance would be rounding noise, not zero).
  const auto constant = [](std::span<const double> v) {
    return std::all_of(v.begin(), v.end(), [&](double e) { return e == v[0]; });
  };
  if (x.size() < 2 || constant(x) || constant(y)) return std::numeric_limits<double>::quiet_NaN();
  const auto n = static_cast<double>(x.size());
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    mx += x[i] / n;
    my += y[i] / n;
  }
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : std::numeric_limits<double>::quiet_NaN();
}

std::vector<double> weighted_ranks(std::span<const double> x, std::span<const double> w) {
  const std::size_t n = x.size();
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
  std::vector<double> rank(n);
  double below = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    double tie = 0;
    while (j < n && x[order[j]] == x[order[i]]) tie += w[order[j++]];
    for (std::size_t k = i; k < j; ++k) rank[order[k]] = below + tie / 2;
    below += tie;
    i = j;
  }
  return rank;
}

double weighted_pearson(std::span<const double> x, std::span<const double> y, std::span<const double> w) noexcept {
  double sw = 0, mx = 0, my = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sw += w[i];
    mx += w[i] * x[i];
    my += w[i] * y[i];
  }
  if (!(sw > 0)) return std::nan("");
  mx /= sw;
  my /= sw;
  double sxx = 0, syy = 0, sxy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double dx = x[i] - mx, dy = y[i] - my;
    sxx += w[i] * dx * dx;
    syy += w[i] * dy * dy;
    sxy += w[i] * dx * dy;
  }
  if (!(sxx > 0) || !(syy > 0)) return std::nan("");
  return sxy / std::sqrt(sxx * syy);
}

}  // namespace tamcarlo
