// Rank correlation: average ranks with ties, and the Pearson correlation of two columns (Spearman ρ is the
// Pearson correlation of their ranks).
#pragma once
#include "sim/stats/order_stats.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace tamcarlo {

/// Ranks 1..n of x with ties given their average rank (x finite; −0 and +0 tie).
[[nodiscard]] std::vector<double> average_ranks(std::span<const double> x);
/// The same ranks from x sorted (sort_column(x)).
[[nodiscard]] std::vector<double> average_ranks(const SortedColumn& sorted);

/// The most values centered_ranks takes: its sums stay exact integers below 2^53.
inline constexpr std::size_t k_max_ranked = std::size_t{1} << 20;
/// Twice the mid-ranks about their mean, 2·rank − (n + 1): exact integers (ties share their average).
struct CenteredRanks {
  std::vector<std::int32_t> d;  ///< 2·rank − (n + 1), in x's order
  std::int64_t ss = 0;          ///< Σ d²
};
/// x's doubled centered mid-ranks from x sorted (sort_column(x), at most k_max_ranked values).
[[nodiscard]] CenteredRanks centered_ranks(const SortedColumn& sorted);
/// Spearman's ρ of two columns of one length from their centered ranks: Σ dx·dy / √(Σdx²·Σdy²), the sums exact
/// (NaN when either column is constant).
[[nodiscard]] double spearman(const CenteredRanks& x, const CenteredRanks& y);

/// Pearson correlation of x and y (NaN when either is constant).
[[nodiscard]] double pearson(std::span<const double> x, std::span<const double> y) noexcept;
/// Weighted mid-ranks of x (finite) under weights w ≥ 0: the weight of the values below x[i] plus half the weight of
/// the values equal to it (ties share one rank); samples of weight 0 get a rank but count for nothing.
[[nodiscard]] std::vector<double> weighted_ranks(std::span<const double> x, std::span<const double> w);
/// Pearson correlation of x and y under weights w ≥ 0 (NaN when either is constant under them or Σw = 0).
[[nodiscard]] double weighted_pearson(std::span<const double> x, std::span<const double> y,
                                      std::span<const double> w) noexcept;

}  // namespace tamcarlo
