// Rank correlation: average ranks with ties, and the Pearson correlation of two columns (Spearman ρ is the
// Pearson correlation of their ranks).
#pragma once
#include <span>
#include <vector>

namespace tamcarlo {

/// Ranks 1..n of x with ties given their average rank (x finite; −0 and +0 tie).
[[nodiscard]] std::vector<double> average_ranks(std::span<const double> x);

/// Pearson correlation of x and y (NaN when either is constant).
[[nodiscard]] double pearson(std::span<const double> x, std::span<const double> y) noexcept;

}  // namespace tamcarlo
