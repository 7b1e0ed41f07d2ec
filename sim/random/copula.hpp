// Correlated inputs by a Gaussian copula: normal scores with the wanted rank correlations, then each input's own
// quantile function, so every input keeps its law exactly.
#pragma once
#include "sim/random/distribution.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace tamcarlo {

/// A symmetric k × k matrix, row-major.
struct SquareMatrix {
  std::size_t k = 0;
  std::vector<double> v;  ///< v[i * k + j]
  [[nodiscard]] double operator()(std::size_t i, std::size_t j) const { return v[i * k + j]; }
  double& operator()(std::size_t i, std::size_t j) { return v[i * k + j]; }
};

/// The normal-score (Pearson) correlation of a Gaussian copula with Spearman correlation ρ: 2·sin(π·ρ/6).
[[nodiscard]] double normal_score_correlation(double spearman);
/// Its inverse: the Spearman ρ of normal scores correlated r, (6/π)·asin(r/2).
[[nodiscard]] double spearman_of_normal_scores(double r);

/// The Spearman correlation (with midranks, as of the whole population) of F_a⁻¹(Φ(z₁)) and F_b⁻¹(Φ(z₂)) when
/// the normal scores z₁, z₂ are correlated r: (6/π)·asin(r/2) for two continuous laws; less in magnitude where a
/// law is discrete (bernoulli, binomial, poisson, discrete, empirical), whose ties cap it. Exact up to quadrature.
[[nodiscard]] double copula_spearman(const Distribution& a, const Distribution& b, double r);
/// The normal-score correlation r that gives laws a and b the Spearman correlation ρ (copula_spearman(a, b, r) = ρ),
/// or nullopt when |ρ| is beyond what the two laws can reach (see reachable_spearman).
[[nodiscard]] std::optional<double> normal_score_for(const Distribution& a, const Distribution& b, double spearman);
/// The Spearman correlation the two laws reach at r = 1 (sign > 0) or r = −1 (sign < 0): ±1 for continuous laws.
[[nodiscard]] double reachable_spearman(const Distribution& a, const Distribution& b, int sign);

/// Eigen-decomposition check of a correlation matrix: its smallest eigenvalue and that eigenvector.
struct Definiteness {
  double min_eigenvalue = 0;
  std::vector<double> direction;  ///< the eigenvector of min_eigenvalue (unit length)
};
/// The smallest eigenvalue (and its eigenvector) of the symmetric matrix m.
[[nodiscard]] Definiteness definiteness(const SquareMatrix& m);
/// The nearest correlation matrix (unit diagonal, positive semi-definite) to m in the Frobenius norm, by Higham's
/// alternating projections (2002), with its eigenvalues kept ≥ `floor`.
[[nodiscard]] SquareMatrix nearest_correlation(const SquareMatrix& m, double floor = 1e-6);

/// A group of correlated inputs: their laws (in the group's order) and the factor A (A·Aᵀ = R) of their
/// normal-score correlation R, which must be positive semi-definite.
class GaussianCopula {
 public:
  /// `laws` in the group's order; `spearman` their rank correlations (unit diagonal), reached exactly where a law
  /// is discrete (normal_score_for; a pair beyond reach gets r = ±1, the nearest it can have).
  /// Without `draws`, the members' quantile functions (their tables) are not built and apply() may not be called: a
  /// copula only checked and described.
  /// `quantile_of` prepares each member's quantile function (empty: QuantileFunction(law)).
  GaussianCopula(std::vector<Distribution> laws, const SquareMatrix& spearman, bool draws = true,
                 const std::function<QuantileFunction(const Distribution&)>& quantile_of = {});
  /// In place: column m holds n independent standard normal scores of member m on entry and member m's correlated
  /// draws on return: x_m = F_m⁻¹(Φ((A·z)_m)), the uniforms kept inside (0, 1).
  void apply(const std::vector<double*>& columns, std::size_t n) const;
  [[nodiscard]] std::size_t size() const noexcept { return correlation_.k; }
  /// The normal-score correlation R = A·Aᵀ.
  [[nodiscard]] const SquareMatrix& correlation() const noexcept { return correlation_; }

 private:
  std::vector<QuantileFunction> quantiles_;
  SquareMatrix factor_;  // A, k × k
  SquareMatrix correlation_;  // R
};

}  // namespace tamcarlo
