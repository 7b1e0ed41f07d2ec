// The market matrix of a suite: cells ranked by simulated market space, with the probability that
// each ranking step is right (from the joint samples) and the ranking's agreement with a star rating.
// Pure statistics over sample columns; no I/O.
#pragma once
#include "sim/stats/statistics.hpp"

#include <span>
#include <string>
#include <vector>

namespace tamcarlo {

/// Kendall's τ_b between x and y (equal lengths ≥ 2): (n_c − n_d) / √((n₀ − n₁)(n₀ − n₂)), where n₁ and n₂
/// count the pairs tied in x and in y; NaN when either is constant.
[[nodiscard]] double kendall_tau_b(std::span<const double> x, std::span<const double> y) noexcept;

/// Statistics of the per-sample rank agreement τ_b(markets of sample i, stars).
struct RankAgreement {
  double median_ranking = 0;                  ///< τ_b of the cells' median markets against the stars
  Moments per_sample;                         ///< mean of τ_b over samples, with its standard error
  std::vector<QuantileEstimate> quantiles;    ///< of per-sample τ_b at 5%, 50%, 95%
  Proportion positive;                        ///< P(τ_b > 0)
  std::uint64_t skipped = 0;                  ///< samples with a non-finite market in some cell
};

/// The ranked matrix. Cells are ordered by market median, largest first; `order[r]` is the input index of rank r.
struct MatrixStats {
  std::vector<std::size_t> order;
  std::vector<std::vector<QuantileEstimate>> market;  ///< per input cell, at k_report_probs
  std::vector<Moments> market_moments;                ///< per input cell
  std::vector<std::vector<QuantileEstimate>> share;   ///< per input cell, at k_report_probs
  std::vector<Proportion> greater;   ///< C × C, row-major, input order: P(market_a > market_b) over joint samples
  std::vector<Proportion> next;      ///< per rank r < C − 1: P(rank r's market > rank r + 1's)
  RankAgreement agreement;
};

/// Orders the cells of `m` by market median, largest first (stable; NaN last), and sets `order`, `next`
/// (from `greater`) and the median ranking's τ_b against `stars`; market and greater must be set.
void rank_cells(MatrixStats& m, std::span<const double> stars);

/// Ranks cells by the median of `market` (one column per cell, the same N joint samples each, in one
/// currency) and compares the ranking with `stars` (one rating per cell). `share` columns (may be
/// empty for a cell) give the second axis. Columns are not modified.
[[nodiscard]] MatrixStats compute_matrix(const std::vector<std::span<const double>>& market,
                                         const std::vector<std::span<const double>>& share,
                                         std::span<const double> stars);

}  // namespace tamcarlo
