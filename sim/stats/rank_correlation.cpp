#include "sim/stats/rank_correlation.hpp"

#include "sim/stats/order_stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>

namespace tamcarlo {

std::vector<double> average_ranks(std::span<const double> x) {
  // Sorted as (order key, index) pairs: a direct integer sort, several times faster than an indirect stable sort
  // of indices; equal values have equal keys, so ties get the same average rank.
  std::vector<std::pair<std::uint64_t, std::size_t>> sorted(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) sorted[i] = {order_key(x[i]), i};
  std::sort(sorted.begin(), sorted.end());
  std::vector<double> rank(x.size());
  for (std::size_t i = 0; i < sorted.size();) {
    std::size_t j = i;
    while (j + 1 < sorted.size() && sorted[j + 1].first == sorted[i].first) ++j;
    const double r = 0.5 * static_cast<double>(i + j) + 1;  // average of ranks i+1 .. j+1
    for (std::size_t k = i; k <= j; ++k) rank[sorted[k].second] = r;
    i = j + 1;
  }
  return rank;
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

}  // namespace tamcarlo
