// Portfolio analysis over joint samples of several holdings: the portfolio multiple and its risk,
// rank correlations between holdings, and each holding's contribution to the portfolio's tail loss.
#pragma once
#include "sim/stats/risk.hpp"
#include "sim/lang/specs.hpp"
#include "sim/stats/statistics.hpp"

#include <span>
#include <string>
#include <vector>

namespace tamcarlo {


/// Statistics of a portfolio over N joint samples.
struct PortfolioStats {
  std::vector<std::string> names;                 ///< holdings, in spec order
  std::vector<QuantileEstimate> moic;             ///< portfolio MOIC = Σ proceeds / Σ checks, at k_report_probs
  Moments moic_moments;
  RiskStats moic_risk;                            ///< levels {α}, P(MOIC < 1), P(MOIC ≥ 2), P(MOIC ≥ 3)
  std::vector<double> rank_correlation;           ///< H × H Spearman correlation of the holdings' MOICs (first rank_samples)
  std::uint64_t rank_samples = 0;                 ///< leading samples the rank correlations use
  double pnl_var = 0;                             ///< α-quantile of portfolio P&L = Σ (proceeds − check) [currency]
  double pnl_cvar = 0;                            ///< mean portfolio P&L over the worst ⌈αN⌉ samples [currency]
  std::vector<double> contribution;               ///< per holding: its mean P&L over those samples (ties at pnl_var shared pro rata); they sum to pnl_cvar
  std::vector<double> expected_pnl;               ///< per holding: mean P&L [currency]
  std::vector<Proportion> p_loss;                 ///< per holding: P(proceeds < check)
  bool has_irr = false;                           ///< every holding gave its investment and exit times
  std::vector<QuantileEstimate> irr;              ///< portfolio IRR of the dated cash flows, at k_report_probs
  Moments irr_moments;
  Proportion p_irr_negative;                      ///< P(IRR < 0)
  std::uint64_t irr_undefined = 0;                ///< samples without an IRR (no inflow and no outflow)
};

/// Portfolio statistics from each holding's check and proceeds samples (equal lengths, NaN-free
/// samples only are used: a sample with any non-finite value is left out).
/// `invested_at` and `exit_at` (times of the checks and the proceeds, per holding) may be empty; when
/// given, the portfolio IRR of the dated flows (−check at invested_at, +proceeds at exit_at) is computed
/// per sample with models::irr (a total loss counts as −100%).
[[nodiscard]] PortfolioStats portfolio_stats(const std::vector<std::string>& names,
                                             const std::vector<std::span<const double>>& checks,
                                             const std::vector<std::span<const double>>& proceeds, double level,
                                             const std::vector<std::span<const double>>& invested_at = {},
                                             const std::vector<std::span<const double>>& exit_at = {});

}  // namespace tamcarlo
