#include "sim/random/copula.hpp"

#include "sim/random/law_math.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <array>
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

// P(Z₁ > h, Z₂ > k) for standard normals correlated ρ: Φ(−h)Φ(−k) + ∫₀^ρ φ₂(h, k; t) dt (Plackett's identity),
// the integral by Gauss–Legendre on 4 panels (the integrand steepens as |t| → 1); exact at ρ = ±1.
double upper_orthant(double h, double k, double rho) {
  if (!std::isfinite(h) || !std::isfinite(k)) return normal_cdf(-h) * normal_cdf(-k);
  if (rho >= 1) return normal_cdf(-std::max(h, k));
  if (rho <= -1) return std::max(0.0, normal_cdf(-h) - normal_cdf(k));
  static const auto gl = detail::gauss_legendre<24>();
  double integral = 0;
  constexpr int panels = 4;
  for (int p = 0; p < panels; ++p) {
    const double lo = rho * p / panels, hi = rho * (p + 1) / panels, mid = (lo + hi) / 2, half = (hi - lo) / 2;
    for (const auto& [x, w] : gl) {
      const double t = mid + half * x, q = 1 - t * t;
      integral += half * w * std::exp(-(h * h - 2 * t * h * k + k * k) / (2 * q)) / (2 * std::numbers::pi * std::sqrt(q));
    }
  }
  return normal_cdf(-h) * normal_cdf(-k) + integral;
}

// A discrete law in normal scores: the boundaries a_j = Φ⁻¹(F(x_j)) between consecutive atoms, the steps d_j of its
// mid-distribution function F̃ (F̃ jumps by (p_j + p_{j+1})/2 at a_j), F̃ at the first atom, and Σ p³ (the ties).
struct Atoms {
  std::vector<double> bound, step;
  double first = 0, cubes = 0;
};

Atoms atoms_of(std::vector<double> p) {
  Atoms a;
  double cum = 0;
  for (std::size_t j = 0; j < p.size(); ++j) {
    a.cubes += p[j] * p[j] * p[j];
    if (j + 1 < p.size()) {
      cum += p[j];
      a.bound.push_back(detail::normal_quantile(cum));
      a.step.push_back((p[j] + p[j + 1]) / 2);
    }
  }
  a.first = p.empty() ? 0 : p[0] / 2;
  return a;
}

// The atoms' probabilities of a discrete law in increasing value (nullopt for a continuous one); a count law's tail
// beyond 1 − 1e-12 of its mass is one last atom.
std::optional<Atoms> atoms(const Distribution& d) {
  const auto counts = [](const auto& law) {
    std::vector<double> p;
    double below = 0;
    for (double k = 0; below < 1 - 1e-12 && p.size() < 4096; ++k) {
      const double c = law.cdf(k);
      p.push_back(c - below);
      below = c;
    }
    p.back() += 1 - below;
    return p;
  };
  const auto table = [](std::vector<std::pair<double, double>> vw) {
    std::sort(vw.begin(), vw.end());
    std::vector<double> p;
    double total = 0;
    for (std::size_t i = 0; i < vw.size(); ++i) {
      if (i == 0 || vw[i].first != vw[i - 1].first) p.push_back(0);
      p.back() += vw[i].second;
      total += vw[i].second;
    }
    for (double& x : p) x /= total;
    return p;
  };
  if (const auto* b = std::get_if<Bernoulli>(&d)) return atoms_of({1 - b->p, b->p});
  if (const auto* b = std::get_if<Binomial>(&d)) return atoms_of(counts(*b));
  if (const auto* b = std::get_if<Poisson>(&d)) return atoms_of(counts(*b));
  if (const auto* b = std::get_if<Discrete>(&d)) {
    std::vector<std::pair<double, double>> vw;
    for (std::size_t i = 0; i < b->values.size(); ++i) vw.emplace_back(b->values[i], b->weights[i]);
    return atoms_of(table(std::move(vw)));
  }
  if (const auto* b = std::get_if<Empirical>(&d)) {
    std::vector<std::pair<double, double>> vw;
    for (const double x : b->data) vw.emplace_back(x, 1.0);
    return atoms_of(table(std::move(vw)));
  }
  return std::nullopt;
}

// E[F̃_a(X)·F̃_b(Y)] − 1/4 for a discrete a: F̃_a(z₁) = first + Σ_j step_j·1{z₁ > a_j}; a continuous b has F̃ = Φ(z₂),
// and E[1{z₁ > a}·Φ(z₂)] = P(z₁ > a, (z₂ − w)/√2 > 0), normal scores correlated r/√2.
double covariance(const Atoms& a, const std::optional<Atoms>& b, double r) {
  double e = 0;
  if (!b) {
    e = a.first / 2;
    for (std::size_t j = 0; j < a.bound.size(); ++j) e += a.step[j] * upper_orthant(a.bound[j], 0, r / std::numbers::sqrt2);
    return e - 0.25;
  }
  e = a.first * b->first;
  for (std::size_t j = 0; j < a.bound.size(); ++j) e += b->first * a.step[j] * normal_cdf(-a.bound[j]);
  for (std::size_t l = 0; l < b->bound.size(); ++l) e += a.first * b->step[l] * normal_cdf(-b->bound[l]);
  for (std::size_t j = 0; j < a.bound.size(); ++j)
    for (std::size_t l = 0; l < b->bound.size(); ++l)
      e += a.step[j] * b->step[l] * upper_orthant(a.bound[j], b->bound[l], r);
  return e - 0.25;
}

}  // namespace

namespace {

// The pair's Spearman ρ at normal-score correlation r from its atoms (at least one law discrete):
// ρ_S = 12·cov(F̃_a(X), F̃_b(Y)) / √((1 − Σp³)(1 − Σq³)): Var F̃(X) = (1 − Σp³)/12, 1/12 for a continuous law.
double spearman_of_atoms(std::optional<Atoms> da, std::optional<Atoms> db, double r) {
  if (!da) std::swap(da, db);
  const double ties = (1 - da->cubes) * (db ? 1 - db->cubes : 1.0);
  return ties > 0 ? 12 * covariance(*da, db, r) / std::sqrt(ties) : 0.0;
}

}  // namespace

double copula_spearman(const Distribution& a, const Distribution& b, double r) {
  const std::optional<Atoms> da = atoms(a), db = atoms(b);
  return !da && !db ? spearman_of_normal_scores(r) : spearman_of_atoms(da, db, r);
}

double reachable_spearman(const Distribution& a, const Distribution& b, int sign) {
  return copula_spearman(a, b, sign > 0 ? 1.0 : -1.0);
}

std::optional<double> normal_score_for(const Distribution& a, const Distribution& b, double spearman) {
  const std::optional<Atoms> da = atoms(a), db = atoms(b);  // once: the bisection evaluates ρ 60 times
  if (!da && !db) return normal_score_correlation(spearman);
  if (spearman == 0) return 0.0;
  const double reach = spearman_of_atoms(da, db, spearman > 0 ? 1.0 : -1.0);
  if (std::fabs(spearman) > std::fabs(reach) * (1 + 1e-9)) return std::nullopt;
  double lo = spearman > 0 ? 0.0 : -1.0, hi = spearman > 0 ? 1.0 : 0.0;  // ρ rises with r
  for (int it = 0; it < 60; ++it) {
    const double mid = (lo + hi) / 2;
    (spearman_of_atoms(da, db, mid) < spearman ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

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

GaussianCopula::GaussianCopula(std::vector<Distribution> laws, const SquareMatrix& spearman, bool draws,
                               const std::function<QuantileFunction(const Distribution&)>& quantile_of) {
  if (spearman.k != laws.size()) throw std::invalid_argument("copula: one correlation row per law");
  SquareMatrix r = spearman;
  for (std::size_t i = 0; i < r.k; ++i) {
    r(i, i) = 1.0;
    for (std::size_t j = i + 1; j < r.k; ++j) {
      const double rho = spearman(i, j);
      r(i, j) = r(j, i) = normal_score_for(laws[i], laws[j], rho).value_or(rho > 0 ? 1.0 : -1.0);
    }
  }
  // A = V·√Λ: a factor of a semi-definite R too (a Cholesky factor needs it definite, e.g. not ρ = 1).
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(to_eigen(r));
  if (es.eigenvalues()(0) < -1e-9) throw std::invalid_argument("copula: the correlation matrix is not positive semi-definite");
  const Eigen::VectorXd root = es.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  factor_ = from_eigen(es.eigenvectors() * root.asDiagonal());
  correlation_ = r;
  if (draws)
    for (auto& d : laws) quantiles_.push_back(quantile_of ? quantile_of(d) : QuantileFunction(std::move(d)));
}

void GaussianCopula::apply(const std::vector<double*>& columns, std::size_t n) const {
  // s_m = Σ_c A(m, c)·z_c, summed over c in order for each sample (column by column, so the loops vectorize), then
  // each member's quantile function of its scores over the whole column (its law looked up once).
  const std::size_t k = quantiles_.size();
  if (k != correlation_.k) throw std::logic_error("copula: apply() on a copula built without draws");
  std::vector<double> s(k * n, 0.0);
  for (std::size_t m = 0; m < k; ++m) {
    double* out = s.data() + m * n;
    for (std::size_t c = 0; c < k; ++c) {
      const double a = factor_(m, c);
      const double* z = columns[c];
      for (std::size_t row = 0; row < n; ++row) out[row] += a * z[row];
    }
  }
  for (std::size_t m = 0; m < k; ++m) {
    const std::span<double> col(s.data() + m * n, n);
    quantiles_[m].apply_scores(col);
    std::copy(col.begin(), col.end(), columns[m]);
  }
}

}  // namespace tamcarlo
