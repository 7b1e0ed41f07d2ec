// A scenario run's block columns: the base plan's series, each stressed case's series and their paired
// differences from the base, then a portfolio's derived columns (MOIC, P&L, per-holding P&L and MOIC, IRR), then a
// conditioned run's weight and prior columns.
#pragma once
#include "sim/engine/plan_source.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace tamcarlo {

/// Where a portfolio's variables are among the base series, and its derived columns.
struct PortfolioColumns {
  std::size_t holdings = 0;
  std::vector<std::size_t> check, proceeds, invested, exit;  // base series indices
  bool dated = false;
  // Derived columns, relative to the first portfolio column: moic, pnl, pnl_k (h), moic_k (h), irr.
  [[nodiscard]] std::size_t width() const { return 2 + 2 * holdings + (dated ? 1 : 0); }
  static constexpr std::size_t moic = 0, pnl = 1;
  [[nodiscard]] std::size_t holding_pnl(std::size_t k) const { return 2 + k; }
  [[nodiscard]] std::size_t holding_moic(std::size_t k) const { return 2 + holdings + k; }
  [[nodiscard]] std::size_t irr() const { return 2 + 2 * holdings; }
};

/// A conditioned run's columns ([evidence]): the weight (the product of every figure's likelihood) twice (its weighted
/// moments give the effective sample size, its plain ones the mean likelihood), then the series whose prior
/// (unweighted) statistics are reported beside the posterior, as copies of the base series.
struct EvidenceColumns {
  std::vector<Evidence> figures;
  std::vector<std::size_t> targets;  ///< per figure: its base series
  std::vector<std::size_t> prior;    ///< base series repeated, unweighted
  [[nodiscard]] std::size_t width() const { return 2 + prior.size(); }
};

/// Each of `rows` samples' weight into out: the product of the figures' likelihoods at their values (values[f] holds
/// figure f's variable for those samples), rounded to weight units as the statistics count them; NaN where a figure's
/// variable is not finite.
void evidence_weights(const std::vector<Evidence>& figures, const std::vector<const double*>& values, std::size_t rows,
                      double* out);

/// Columns of a scenario run, per block: the base series; per stressed case its series, then their
/// differences from the base; then the portfolio's derived columns.
class ScenarioSource : public BlockSource {
 public:
  /// The base plan, the stressed cases' plans (same series), drawn under `seed` for a run of `samples`.
  ScenarioSource(const Plan& base, std::vector<const Plan*> stressed, std::uint64_t seed, std::uint64_t samples,
                 std::optional<PortfolioColumns> portfolio, std::optional<EvidenceColumns> evidence = std::nullopt)
      : base_(base), stressed_(std::move(stressed)), seed_(seed), samples_(samples), portfolio_(std::move(portfolio)),
        evidence_(std::move(evidence)) {}
  /// Series of the base plan (each case has as many).
  [[nodiscard]] std::size_t series() const { return base_.series().size(); }
  /// First column of stressed case k's series.
  [[nodiscard]] std::size_t stress_first(std::size_t k) const { return series() * (1 + 2 * k); }
  /// First column of case k's differences from the base (stressed − base, per series).
  [[nodiscard]] std::size_t delta_first(std::size_t k) const { return stress_first(k) + series(); }
  /// First column of the portfolio's derived columns.
  [[nodiscard]] std::size_t portfolio_first() const { return series() * (1 + 2 * stressed_.size()); }
  /// The weight column of a conditioned run (then the weight again, then the prior copies in EvidenceColumns::prior
  /// order).
  [[nodiscard]] std::size_t weight_column() const { return portfolio_first() + (portfolio_ ? portfolio_->width() : 0); }
  [[nodiscard]] std::size_t width() const override {
    return weight_column() + (evidence_ ? evidence_->width() : 0);
  }
  [[nodiscard]] std::unique_ptr<BlockEvaluator> evaluator() const override;
  [[nodiscard]] std::uint32_t replicates() const override { return base_.design().replicates; }

 private:
  friend class ScenarioEvaluator;
  const Plan& base_;
  std::vector<const Plan*> stressed_;
  std::uint64_t seed_, samples_;
  std::optional<PortfolioColumns> portfolio_;
  std::optional<EvidenceColumns> evidence_;
};

}  // namespace tamcarlo
