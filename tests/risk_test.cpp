// Risk metrics against closed forms (normal, lognormal), within bounds derived from their own
// standard errors; portfolio statistics on constructed cases.
#include "sim/stats/portfolio.hpp"
#include "sim/stats/rank_correlation.hpp"
#include "sim/stats/risk.hpp"

#include <catch2/catch.hpp>

#include <boost/math/distributions/lognormal.hpp>
#include <boost/math/distributions/normal.hpp>

#include <cmath>
#include <random>

using namespace tamcarlo;

namespace {

std::vector<double> draws(std::size_t n, std::uint64_t seed, double mu, double sigma, bool log) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z(mu, sigma);
  std::vector<double> x(n);
  for (auto& v : x) v = log ? std::exp(z(rng)) : z(rng);
  return x;
}

}  // namespace

TEST_CASE("risk: VaR, CVaR, P(x < t) and semi-deviation of a normal match their closed forms", "[risk]") {
  const double mu = 1.5, sigma = 2;
  auto x = draws(400000, 21, mu, sigma, false);
  RiskSpec spec;
  spec.levels = {0.05, 0.01};
  spec.below = {0};
  spec.at_least = {3};
  spec.downside_target = mu;
  const RiskStats r = risk_of(x, spec);
  const boost::math::normal phi;
  for (const auto& t : r.tails) {
    const double z = boost::math::quantile(phi, t.level);
    const double var = mu + sigma * z;
    const double cvar = mu - sigma * boost::math::pdf(phi, z) / t.level;  // E[X | X ≤ VaR]
    INFO("level " << t.level);
    // VaR: inside 4 × its half-CI (half-CI ≈ 1.96 SE); CVaR: within 4 of its own standard errors.
    CHECK(std::fabs(t.var.value - var) < 4 * (t.var.hi - t.var.lo) / 2 / 1.96);
    CHECK(std::fabs(t.cvar - cvar) < 4 * t.cvar_se);
    CHECK(t.cvar < t.var.value);
  }
  const double p0 = boost::math::cdf(phi, (0 - mu) / sigma), p3 = 1 - boost::math::cdf(phi, (3 - mu) / sigma);
  const auto se = [&](double p) { return std::sqrt(p * (1 - p) / 400000.0); };
  CHECK(std::fabs(r.thresholds[0].p.p - p0) < 4 * se(p0));
  CHECK(std::fabs(r.thresholds[1].p.p - p3) < 4 * se(p3));
  CHECK(std::fabs(r.semi_deviation - sigma / std::sqrt(2.0)) < 4 * r.semi_deviation_se);  // E[min(X−μ,0)²] = σ²/2
}

TEST_CASE("risk: CVaR of a lognormal, lower and upper tails, matches its closed form", "[risk]") {
  const double mu = 0.2, sigma = 0.6;
  auto x = draws(400000, 8, mu, sigma, true);
  const boost::math::normal phi;
  const double mean = std::exp(mu + sigma * sigma / 2);
  RiskSpec lower;
  lower.levels = {0.05};
  auto copy = x;
  const RiskStats lo = risk_of(copy, lower);
  // E[X | X ≤ q_α] = e^{μ+σ²/2} Φ(z_α − σ) / α.
  const double za = boost::math::quantile(phi, 0.05);
  CHECK(std::fabs(lo.tails[0].cvar - mean * boost::math::cdf(phi, za - sigma) / 0.05) < 4 * lo.tails[0].cvar_se);
  RiskSpec upper;
  upper.levels = {0.05};
  upper.upper_tail = true;
  const RiskStats up = risk_of(x, upper);
  // E[X | X ≥ q_{1−α}] = e^{μ+σ²/2} Φ(σ − z_{1−α}) / α.
  const double z1 = boost::math::quantile(phi, 0.95);
  CHECK(std::fabs(up.tails[0].cvar - mean * boost::math::cdf(phi, sigma - z1) / 0.05) < 4 * up.tails[0].cvar_se);
  CHECK(std::fabs(up.tails[0].var.value - std::exp(mu + sigma * z1)) <
        4 * (up.tails[0].var.hi - up.tails[0].var.lo) / 2 / 1.96);
}

TEST_CASE("risk: non-finite samples are left out", "[risk]") {
  std::vector<double> x = {1, 2, 3, 4, std::nan(""), 5, INFINITY};
  RiskSpec spec;
  spec.levels = {0.5};
  spec.below = {3};
  const RiskStats r = risk_of(x, spec);
  CHECK(r.thresholds[0].p.n == 5);
  CHECK(r.thresholds[0].p.p == Approx(0.4));
}

TEST_CASE("portfolio: contributions add up to the tail loss, and rank correlations see shared drivers", "[risk][portfolio]") {
  CHECK(average_ranks(std::vector<double>{10, 20, 20, 5}) == std::vector<double>{2, 3.5, 3.5, 1});
  const std::size_t n = 50000;
  std::mt19937_64 rng(3);
  std::normal_distribution<double> z;
  std::vector<double> check(n, 100), a(n), b(n), c(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double common = z(rng);
    a[i] = std::max(0.0, 100 + 80 * common);       // a and b share a driver
    b[i] = std::max(0.0, 100 + 80 * common + 1e-9 * static_cast<double>(i));
    c[i] = std::max(0.0, 100 + 80 * z(rng));        // c is independent
  }
  const std::vector<std::span<const double>> checks(3, std::span<const double>(check));
  const PortfolioStats p = portfolio_stats({"a", "b", "c"}, checks, {a, b, c}, 0.05);
  double sum = 0;
  for (const double x : p.contribution) sum += x;
  CHECK(sum == Approx(p.pnl_cvar).epsilon(1e-12));
  CHECK(p.pnl_cvar <= p.pnl_var);
  CHECK(p.rank_correlation[0 * 3 + 1] > 0.99);
  CHECK(std::fabs(p.rank_correlation[0 * 3 + 2]) < 4 / std::sqrt(static_cast<double>(n)));  // independent: ~0 within 4 SE
  CHECK(p.rank_correlation[4] == 1);
  // The correlated pair carries more of the tail than the independent holding.
  CHECK(p.contribution[0] < p.contribution[2]);
  CHECK_FALSE(p.has_irr);
}

TEST_CASE("portfolio: the IRR of dated cash flows, in calendar years, has its closed form", "[risk][portfolio]") {
  // Two holdings, 100 each paid in 2024, returning 300 each in 2028: IRR = 3^(1/4) − 1 in every sample;
  // then one of them lost: 300 back on 200 after 4 years, 1.5^(1/4) − 1.
  const std::vector<double> check(10, 100), win(10, 300), lost(10, 0), t0(10, 2024), t1(10, 2028);
  const std::vector<std::span<const double>> checks(2, std::span<const double>(check));
  const std::vector<std::span<const double>> at0(2, std::span<const double>(t0)), at1(2, std::span<const double>(t1));
  const PortfolioStats both = portfolio_stats({"a", "b"}, checks, {win, win}, 0.1, at0, at1);
  REQUIRE(both.has_irr);
  CHECK(both.irr[4].value == Approx(std::pow(3.0, 0.25) - 1).epsilon(1e-9));
  const PortfolioStats one = portfolio_stats({"a", "b"}, checks, {win, lost}, 0.1, at0, at1);
  CHECK(one.irr[4].value == Approx(std::pow(1.5, 0.25) - 1).epsilon(1e-9));
  const PortfolioStats none = portfolio_stats({"a", "b"}, checks, {lost, lost}, 0.1, at0, at1);
  CHECK(none.irr[4].value == -1);
  CHECK(none.p_irr_negative.p == 1);
}
