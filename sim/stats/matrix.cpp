#include "sim/stats/matrix.hpp"
#include "sim/base/numeric.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace tamcarlo {
namespace {


int sign(double d) { return (d > 0) - (d < 0); }

std::vector<QuantileEstimate> quantiles_of(std::span<const double> x, std::span<const double> probs) {
  std::vector<double> copy(x.begin(), x.end());  // quantiles() reorders its input
  return quantiles(copy, probs);
}

}  // namespace

double kendall_tau_b(std::span<const double> x, std::span<const double> y) noexcept {
  const std::size_t n = x.size();
  double concordant_minus_discordant = 0, tied_x = 0, tied_y = 0, pairs = 0;
  for (std::size_t a = 0; a < n; ++a)
    for (std::size_t b = a + 1; b < n; ++b) {
      const int sx = sign(x[a] - x[b]), sy = sign(y[a] - y[b]);
      pairs += 1;
      tied_x += sx == 0;
      tied_y += sy == 0;
      concordant_minus_discordant += sx * sy;
    }
  const double denom = std::sqrt((pairs - tied_x) * (pairs - tied_y));
  return denom > 0 ? concordant_minus_discordant / denom : k_nan;
}

void rank_cells(MatrixStats& m, std::span<const double> stars) {
  const std::size_t c = m.market.size();
  std::vector<double> medians(c);
  for (std::size_t k = 0; k < c; ++k) medians[k] = quantile_at(m.market[k], 0.5).value;
  const auto key = [&](std::size_t k) { return std::isnan(medians[k]) ? -std::numeric_limits<double>::infinity() : medians[k]; };
  m.order.resize(c);
  std::iota(m.order.begin(), m.order.end(), std::size_t{0});
  std::stable_sort(m.order.begin(), m.order.end(), [&](std::size_t a, std::size_t b) { return key(a) > key(b); });
  m.next.clear();
  for (std::size_t r = 0; r + 1 < c; ++r) m.next.push_back(m.greater[m.order[r] * c + m.order[r + 1]]);
  m.agreement.median_ranking = c >= 2 ? kendall_tau_b(medians, stars) : k_nan;
}

MatrixStats compute_matrix(const std::vector<std::span<const double>>& market,
                           const std::vector<std::span<const double>>& share, std::span<const double> stars) {
  const std::size_t c = market.size();
  const std::size_t n = c == 0 ? 0 : market[0].size();
  MatrixStats out;
  for (std::size_t k = 0; k < c; ++k) {
    out.market.push_back(quantiles_of(market[k], k_report_probs));
    out.market_moments.push_back(Moments::over(market[k]));
    out.share.push_back(k < share.size() && !share[k].empty() ? quantiles_of(share[k], k_report_probs)
                                                                : std::vector<QuantileEstimate>{});
  }
  // Pairwise P(a > b): counts over the joint samples (a sample with a NaN on either side is left out).
  std::vector<std::uint64_t> wins(c * c, 0), valid(c * c, 0);
  for (std::size_t a = 0; a < c; ++a)
    for (std::size_t b = 0; b < c; ++b) {
      if (a == b) continue;
      std::uint64_t w = 0, v = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const double x = market[a][i], y = market[b][i];
        if (std::isnan(x) || std::isnan(y)) continue;
        ++v;
        w += x > y;
      }
      wins[a * c + b] = w;
      valid[a * c + b] = v;
    }
  for (std::size_t k = 0; k < c * c; ++k) out.greater.push_back(wilson(wins[k], valid[k]));
  rank_cells(out, stars);

  // Rank agreement with the stars, sample by sample.
  RankAgreement& ag = out.agreement;
  std::vector<double> taus;
  taus.reserve(n);
  std::vector<double> x(c);
  std::uint64_t positive = 0;
  for (std::size_t i = 0; i < n && c >= 2; ++i) {
    bool finite = true;
    for (std::size_t k = 0; k < c; ++k) {
      x[k] = market[k][i];
      finite = finite && std::isfinite(x[k]);
    }
    if (!finite) {
      ++ag.skipped;
      continue;
    }
    const double t = kendall_tau_b(x, stars);
    taus.push_back(t);
    positive += t > 0;
  }
  ag.per_sample = Moments::over(taus);
  const std::array<double, 3> probs = {0.05, 0.50, 0.95};
  ag.quantiles = quantiles(taus, probs);
  ag.positive = wilson(positive, taus.size());
  return out;
}

}  // namespace tamcarlo
