#include "sim/stats/portfolio.hpp"
#include "sim/stats/rank_correlation.hpp"

#include "models/venture.hpp"
#include "sim/stats/order_stats.hpp"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <numeric>

namespace tamcarlo {

PortfolioStats portfolio_stats(const std::vector<std::string>& names, const std::vector<std::span<const double>>& checks,
                               const std::vector<std::span<const double>>& proceeds, double level,
                               const std::vector<std::span<const double>>& invested_at,
                               const std::vector<std::span<const double>>& exit_at) {
  const std::size_t h = names.size();
  const std::size_t n_all = h == 0 ? 0 : checks[0].size();
  // Keep the samples where every holding is finite.
  std::vector<std::size_t> keep;
  for (std::size_t i = 0; i < n_all; ++i) {
    bool ok = true;
    for (std::size_t k = 0; k < h && ok; ++k) ok = std::isfinite(checks[k][i]) && std::isfinite(proceeds[k][i]);
    if (ok) keep.push_back(i);
  }
  const std::size_t n = keep.size();
  PortfolioStats out;
  out.names = names;
  std::vector<double> moic(n), pnl(n);
  std::vector<std::vector<double>> holding_moic(h, std::vector<double>(n)), holding_pnl(h, std::vector<double>(n));
  for (std::size_t j = 0; j < n; ++j) {
    double c = 0, p = 0;
    for (std::size_t k = 0; k < h; ++k) {
      const double ck = checks[k][keep[j]], pk = proceeds[k][keep[j]];
      c += ck;
      p += pk;
      holding_moic[k][j] = ck > 0 ? pk / ck : std::numeric_limits<double>::quiet_NaN();
      holding_pnl[k][j] = pk - ck;
    }
    moic[j] = c > 0 ? p / c : std::numeric_limits<double>::quiet_NaN();
    pnl[j] = p - c;
  }
  out.moic_moments = Moments::over(moic);
  {
    std::vector<double> copy = moic;
    RiskSpec spec;
    spec.levels = {level};
    spec.below = {1};
    spec.at_least = {2, 3};
    out.moic_risk = risk_of(copy, spec);
    out.moic = quantiles(copy, k_report_probs);
  }
  std::vector<std::vector<double>> ranks;
  for (std::size_t k = 0; k < h; ++k) ranks.push_back(average_ranks(holding_moic[k]));
  for (std::size_t a = 0; a < h; ++a)
    for (std::size_t b = 0; b < h; ++b) out.rank_correlation.push_back(a == b ? 1.0 : pearson(ranks[a], ranks[b]));

  // The worst ⌈αn⌉ samples of portfolio P&L (ties broken by sample index, so the set is deterministic).
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  const std::size_t tail = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(level * static_cast<double>(n))));
  if (n > 0) {
    std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(tail - 1), order.end(),
                     [&](std::size_t a, std::size_t b) { return std::pair(pnl[a], a) < std::pair(pnl[b], b); });
    out.pnl_var = pnl[order[tail - 1]];
  }
  out.contribution.assign(h, 0);
  for (std::size_t t = 0; t < tail && n > 0; ++t) {
    out.pnl_cvar += pnl[order[t]] / static_cast<double>(tail);
    for (std::size_t k = 0; k < h; ++k) out.contribution[k] += holding_pnl[k][order[t]] / static_cast<double>(tail);
  }
  for (std::size_t k = 0; k < h; ++k) {
    double sum = 0;
    std::uint64_t losses = 0;
    for (std::size_t j = 0; j < n; ++j) {
      sum += holding_pnl[k][j];
      losses += holding_pnl[k][j] < 0;
    }
    out.expected_pnl.push_back(n > 0 ? sum / static_cast<double>(n) : std::numeric_limits<double>::quiet_NaN());
    out.p_loss.push_back(wilson(losses, n));
  }
  // The portfolio IRR of the dated flows, sample by sample.
  if (invested_at.size() == h && exit_at.size() == h && h > 0) {
    out.has_irr = true;
    // Each sample's IRR is independent: computed in parallel into its slot, then read in order.
    std::vector<double> rate(n);
    std::vector<char> defined(n);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n), [&](const tbb::blocked_range<std::size_t>& range) {
      std::vector<double> t(2 * h), a(2 * h);
      for (std::size_t j = range.begin(); j != range.end(); ++j) {
        for (std::size_t k = 0; k < h; ++k) {
          t[2 * k] = invested_at[k][keep[j]];
          a[2 * k] = -checks[k][keep[j]];
          t[2 * k + 1] = exit_at[k][keep[j]];
          a[2 * k + 1] = proceeds[k][keep[j]];
        }
        const models::IrrResult r = models::irr(t, a);
        defined[j] = r.status == models::IrrStatus::ok || r.status == models::IrrStatus::total_loss;
        rate[j] = r.rate;
      }
    });
    std::vector<double> irrs;
    std::uint64_t negative = 0;
    for (std::size_t j = 0; j < n; ++j) {
      if (!defined[j]) {
        ++out.irr_undefined;
        continue;
      }
      irrs.push_back(rate[j]);
      negative += rate[j] < 0;
    }
    out.irr_moments = Moments::over(irrs);
    out.p_irr_negative = wilson(negative, irrs.size());
    out.irr = quantiles(irrs, k_report_probs);
  }
  return out;
}

}  // namespace tamcarlo
