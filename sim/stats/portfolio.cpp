#include "sim/stats/portfolio.hpp"
#include "sim/base/numeric.hpp"
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

namespace {

// The portfolio's columns over the samples where every holding is finite.
struct HoldingColumns {
  std::vector<std::size_t> keep;                       // the samples kept
  std::vector<double> moic, pnl;                       // Σ proceeds / Σ checks, Σ proceeds − Σ checks
  std::vector<std::vector<double>> holding_moic, holding_pnl;
};

HoldingColumns holding_columns(const std::vector<std::span<const double>>& checks,
                               const std::vector<std::span<const double>>& proceeds) {
  const std::size_t h = checks.size();
  const std::size_t n_all = h == 0 ? 0 : checks[0].size();
  HoldingColumns c;
  for (std::size_t i = 0; i < n_all; ++i) {
    bool ok = true;
    for (std::size_t k = 0; k < h && ok; ++k) ok = std::isfinite(checks[k][i]) && std::isfinite(proceeds[k][i]);
    if (ok) c.keep.push_back(i);
  }
  const std::size_t n = c.keep.size();
  c.moic.resize(n);
  c.pnl.resize(n);
  c.holding_moic.assign(h, std::vector<double>(n));
  c.holding_pnl.assign(h, std::vector<double>(n));
  for (std::size_t j = 0; j < n; ++j) {
    double ch = 0, p = 0;
    for (std::size_t k = 0; k < h; ++k) {
      const double ck = checks[k][c.keep[j]], pk = proceeds[k][c.keep[j]];
      ch += ck;
      p += pk;
      c.holding_moic[k][j] = ck > 0 ? pk / ck : k_nan;
      c.holding_pnl[k][j] = pk - ck;
    }
    c.moic[j] = ch > 0 ? p / ch : k_nan;
    c.pnl[j] = p - ch;
  }
  return c;
}

// MOIC moments, risk (P(MOIC < 1), P(≥ 2), P(≥ 3), CVaR at `level`), quantiles; the holdings' rank correlations.
void add_moic(PortfolioStats& out, const HoldingColumns& c, double level) {
  out.moic_moments = Moments::over(c.moic);
  std::vector<double> copy = c.moic;
  RiskSpec spec;
  spec.levels = {level};
  spec.below = {1};
  spec.at_least = {2, 3};
  out.moic_risk = risk_of(copy, spec);
  out.moic = quantiles(copy, k_report_probs);
  const std::size_t h = c.holding_moic.size();
  std::vector<std::vector<double>> ranks;
  for (std::size_t k = 0; k < h; ++k) ranks.push_back(average_ranks(c.holding_moic[k]));
  for (std::size_t a = 0; a < h; ++a)
    for (std::size_t b = 0; b < h; ++b) out.rank_correlation.push_back(a == b ? 1.0 : pearson(ranks[a], ranks[b]));
}

// P&L VaR and CVaR at `level` over the worst ⌈αn⌉ samples (ties broken by sample index, so the set is
// deterministic), each holding's contribution to that tail, its expected P&L and P(loss).
void add_pnl(PortfolioStats& out, const HoldingColumns& c, double level) {
  const std::size_t n = c.pnl.size(), h = c.holding_pnl.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  const std::size_t tail = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(level * static_cast<double>(n))));
  if (n > 0) {
    std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(tail - 1), order.end(),
                     [&](std::size_t a, std::size_t b) { return std::pair(c.pnl[a], a) < std::pair(c.pnl[b], b); });
    out.pnl_var = c.pnl[order[tail - 1]];
  }
  out.contribution.assign(h, 0);
  for (std::size_t t = 0; t < tail && n > 0; ++t) {
    out.pnl_cvar += c.pnl[order[t]] / static_cast<double>(tail);
    for (std::size_t k = 0; k < h; ++k) out.contribution[k] += c.holding_pnl[k][order[t]] / static_cast<double>(tail);
  }
  for (std::size_t k = 0; k < h; ++k) {
    double sum = 0;
    std::uint64_t losses = 0;
    for (std::size_t j = 0; j < n; ++j) {
      sum += c.holding_pnl[k][j];
      losses += c.holding_pnl[k][j] < 0;
    }
    out.expected_pnl.push_back(n > 0 ? sum / static_cast<double>(n) : k_nan);
    out.p_loss.push_back(wilson(losses, n));
  }
}

// The portfolio IRR of the dated flows, sample by sample: each sample's IRR computed in parallel into its slot,
// then read in order.
void add_irr(PortfolioStats& out, const HoldingColumns& c, const std::vector<std::span<const double>>& checks,
             const std::vector<std::span<const double>>& proceeds, const std::vector<std::span<const double>>& invested_at,
             const std::vector<std::span<const double>>& exit_at) {
  const std::size_t n = c.keep.size(), h = checks.size();
  out.has_irr = true;
  std::vector<double> rate(n);
  std::vector<char> defined(n);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n), [&](const tbb::blocked_range<std::size_t>& range) {
    std::vector<double> t(2 * h), a(2 * h);
    for (std::size_t j = range.begin(); j != range.end(); ++j) {
      for (std::size_t k = 0; k < h; ++k) {
        t[2 * k] = invested_at[k][c.keep[j]];
        a[2 * k] = -checks[k][c.keep[j]];
        t[2 * k + 1] = exit_at[k][c.keep[j]];
        a[2 * k + 1] = proceeds[k][c.keep[j]];
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

}  // namespace

PortfolioStats portfolio_stats(const std::vector<std::string>& names, const std::vector<std::span<const double>>& checks,
                               const std::vector<std::span<const double>>& proceeds, double level,
                               const std::vector<std::span<const double>>& invested_at,
                               const std::vector<std::span<const double>>& exit_at) {
  const HoldingColumns c = holding_columns(checks, proceeds);
  PortfolioStats out;
  out.names = names;
  add_moic(out, c, level);
  add_pnl(out, c, level);
  const std::size_t h = names.size();
  if (invested_at.size() == h && exit_at.size() == h && h > 0) add_irr(out, c, checks, proceeds, invested_at, exit_at);
  return out;
}

}  // namespace tamcarlo
