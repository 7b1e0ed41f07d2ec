#include "sim/random/copula.hpp"

#include <Eigen/Dense>
#include <boost/math/special_functions/erf.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <span>
#include <stdexcept>

namespace tamcarlo {
namespace {

Eigen::MatrixXd to_eigen(const SquareMatrix& m) {
  Eigen::MatrixXd e(static_cast<Eigen::Index>(m.k), static_cast<Eigen::Index>(m.k));
  for (std::size_t i = 0; i < m.k; ++i)
    for (std::size_t j = 0; j < m.k; ++j) e(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = m(i, j);
  return e;
}

SquareMatrix from_eigen(const Eigen::MatrixXd& e) {
  SquareMatrix m{static_cast<std::size_t>(e.rows()), {}};
  m.v.resize(m.k * m.k);
  for (std::size_t i = 0; i < m.k; ++i)
    for (std::size_t j = 0; j < m.k; ++j) m(i, j) = e(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
  return m;
}

// Φ(z), accurate in both tails (erfc of the far side).
double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::numbers::sqrt2); }

}  // namespace

double normal_score_correlation(double spearman) { return 2 * std::sin(std::numbers::pi * spearman / 6); }

double spearman_of_normal_scores(double r) { return 6 / std::numbers::pi * std::asin(r / 2); }

Definiteness definiteness(const SquareMatrix& m) {
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(to_eigen(m));
  Definiteness d;
  d.min_eigenvalue = es.eigenvalues()(0);  // ascending
  for (Eigen::Index i = 0; i < es.eigenvectors().rows(); ++i) d.direction.push_back(es.eigenvectors()(i, 0));
  return d;
}

SquareMatrix nearest_correlation(const SquareMatrix& m, double floor) {
  // Higham (2002): alternate projections onto the PSD cone and the unit-diagonal matrices, with Dykstra's
  // correction.
  const Eigen::MatrixXd a = to_eigen(m);
  Eigen::MatrixXd y = a, ds = Eigen::MatrixXd::Zero(a.rows(), a.cols()), x = a;
  for (int it = 0; it < 500; ++it) {
    const Eigen::MatrixXd r = y - ds;
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(r);
    const Eigen::VectorXd lambda = es.eigenvalues().cwiseMax(floor);
    x = es.eigenvectors() * lambda.asDiagonal() * es.eigenvectors().transpose();
    ds = x - r;
    const Eigen::MatrixXd y_prev = y;
    y = x;
    y.diagonal().setOnes();
    if ((y - y_prev).norm() < 1e-12 * std::max(1.0, y.norm())) break;
  }
  return from_eigen(0.5 * (y + y.transpose()));
}

GaussianCopula::GaussianCopula(std::vector<Distribution> laws, const SquareMatrix& spearman) {
  if (spearman.k != laws.size()) throw std::invalid_argument("copula: one correlation row per law");
  for (auto& d : laws) quantiles_.emplace_back(std::move(d));
  SquareMatrix r = spearman;
  for (std::size_t i = 0; i < r.k; ++i)
    for (std::size_t j = 0; j < r.k; ++j) r(i, j) = i == j ? 1.0 : normal_score_correlation(spearman(i, j));
  // A = V·√Λ: a factor of a semi-definite R too (a Cholesky factor needs it definite, e.g. not ρ = 1).
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(to_eigen(r));
  if (es.eigenvalues()(0) < -1e-9) throw std::invalid_argument("copula: the correlation matrix is not positive semi-definite");
  const Eigen::VectorXd root = es.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  factor_ = from_eigen(es.eigenvectors() * root.asDiagonal());
}

void GaussianCopula::apply(const std::vector<double*>& columns, std::size_t n) const {
  const std::size_t k = quantiles_.size();
  std::vector<double> z(k), u(k * n);
  constexpr double lo = 0x1p-54, hi = 0x1.fffffffffffffp-1;  // the open interval of the samplers' uniforms
  for (std::size_t row = 0; row < n; ++row) {
    for (std::size_t m = 0; m < k; ++m) z[m] = columns[m][row];
    for (std::size_t m = 0; m < k; ++m) {
      double s = 0;
      for (std::size_t c = 0; c < k; ++c) s += factor_(m, c) * z[c];
      u[m * n + row] = std::clamp(normal_cdf(s), lo, hi);
    }
  }
  // Each member's quantile function over the whole column (its law looked up once).
  for (std::size_t m = 0; m < k; ++m) {
    const std::span<double> col(u.data() + m * n, n);
    quantiles_[m].apply(col);
    std::copy(col.begin(), col.end(), columns[m]);
  }
}

}  // namespace tamcarlo
