// [correlations]: Gaussian-copula inputs keep their laws and reach their rank correlations; errors and lint;
// draws independent of file order and thread count. Statistical tolerances: 4 SE (batch SEs from 20 batches).
#include "sim/engine/plan_source.hpp"
#include "sim/engine/plan.hpp"
#include "sim/random/copula.hpp"
#include "sim/stats/order_stats.hpp"
#include "sim/stats/rank_correlation.hpp"
#include "tests/support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <random>

using namespace tamcarlo;
using tamcarlo::test::error_of;
using tamcarlo::test::ks;
using Catch::Contains;

namespace {

// Ranks with ties at their average rank (midranks): Spearman's ρ of a discrete law counts a tie once.
std::vector<double> ranks(const std::vector<double>& x) { return average_ranks(x); }

double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  const double ma = std::accumulate(a.begin(), a.end(), 0.0) / n, mb = std::accumulate(b.begin(), b.end(), 0.0) / n;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

double spearman(const std::vector<double>& a, const std::vector<double>& b) { return pearson(ranks(a), ranks(b)); }

// Spearman ρ over the whole sample and its standard error from 20 consecutive batches (SD of the batch
// estimates / √20), so the tolerance comes from the data, not from an assumed formula.
struct Estimate {
  double rho, se;
};
Estimate spearman_with_se(const std::vector<double>& a, const std::vector<double>& b) {
  constexpr std::size_t batches = 20;
  const std::size_t m = a.size() / batches;
  std::vector<double> est;
  for (std::size_t k = 0; k < batches; ++k) {
    const auto from = static_cast<std::ptrdiff_t>(k * m), to = static_cast<std::ptrdiff_t>((k + 1) * m);
    est.push_back(spearman(std::vector<double>(a.begin() + from, a.begin() + to),
                           std::vector<double>(b.begin() + from, b.begin() + to)));
  }
  const double mean = std::accumulate(est.begin(), est.end(), 0.0) / batches;
  double ss = 0;
  for (const double e : est) ss += (e - mean) * (e - mean);
  // A batch of m has √batches times the SE of the whole: SE(whole) = SD(batch) / √batches.
  return {spearman(a, b), std::sqrt(ss / (batches - 1)) / std::sqrt(static_cast<double>(batches))};
}




}  // namespace

TEST_CASE("correlations: three target matrices are reached within 4 SE and every marginal keeps its law (KS)",
          "[correlation][statistical]") {
#if defined(TAMCARLO_SANITIZED)
  constexpr std::uint64_t n = 50000;  // the sanitizers look for memory errors; tolerances are in SEs either way
#else
  constexpr std::uint64_t n = 200000;
#endif
  const std::vector<std::string> scenarios = {
      // pairs: a chain, with the implied pair (a, c) at 0
      R"TOML([inputs]
a = { dist = "lognormal", median = 10, sigma = 0.5 }
b = { dist = "beta", alpha = 2, beta = 5 }
c = { dist = "gamma", shape = 2, scale = 3 }
[correlations]
pairs = [["a", "b", 0.6], ["b", "c", -0.3]]
)TOML",
      // a 4 × 4 matrix with mixed signs
      R"TOML([inputs]
w = { dist = "uniform", min = 0, max = 1 }
x = { dist = "normal", mean = 5, sd = 2 }
y = { dist = "triangular", min = 0, mode = 1, max = 4 }
z = { dist = "weibull", shape = 1.5, scale = 3 }
[correlations]
matrix = { inputs = ["w", "x", "y", "z"], rho = [[1, 0.5, -0.2, 0.1], [0.5, 1, 0.3, 0], [-0.2, 0.3, 1, -0.4], [0.1, 0, -0.4, 1]] }
)TOML",
      // strong dependence between a market and a share, both skewed
      R"TOML([inputs]
market = { dist = "lognormal", p10 = 4e9, p90 = 2e10 }
share  = { dist = "pert", min = 0.01, mode = 0.05, max = 0.2 }
[correlations]
pairs = [["share", "market", 0.9]]
)TOML",
      // discrete laws (ties): the written Spearman ρ is reached all the same (midranks), not the smaller value the
      // normal scores alone would give (0.5 → 0.39 for this bernoulli and a normal)
      R"TOML([inputs]
e = { dist = "bernoulli", p = 0.3 }
k = { dist = "poisson", mean = 2 }
x = { dist = "normal", mean = 0, sd = 1 }
[correlations]
pairs = [["e", "x", 0.5], ["k", "x", 0.4], ["e", "k", 0.3]]
)TOML",
  };
  for (const auto& text : scenarios) {
    const Scenario s = test::scenario(text);
    const Plan plan(s);
    const EngineOutput out = test::run_all(s, n, 2, 11);
    std::map<std::string, std::size_t> col;
    for (std::size_t v = 0; v < s.inputs.size(); ++v) col[s.inputs[v].name] = plan.index(s.inputs[v].name);
    for (const auto& in : s.inputs) {
      INFO(in.name << ": " << describe(in.dist));
      const auto& c = out.columns[col[in.name]];
      if (std::holds_alternative<Bernoulli>(in.dist) || std::holds_alternative<Poisson>(in.dist)) {
        // A discrete law: KS's critical value is for continuous ones; its mean within 4 SE instead.
        const double mean = std::accumulate(c.begin(), c.end(), 0.0) / static_cast<double>(c.size());
        CHECK(std::fabs(mean - tamcarlo::mean(in.dist)) <= 4 * tamcarlo::sd(in.dist) / std::sqrt(static_cast<double>(c.size())));
      } else {
        CHECK(ks(c, in.dist) < test::k_ks_critical);
      }
    }
    REQUIRE(s.correlations.size() == 1);
    const CorrelationGroup& g = s.correlations.front();
    for (std::size_t i = 0; i < g.inputs.size(); ++i)
      for (std::size_t j = i + 1; j < g.inputs.size(); ++j) {
        const Estimate e = spearman_with_se(out.columns[col[g.inputs[i]]], out.columns[col[g.inputs[j]]]);
        INFO(g.inputs[i] << " ~ " << g.inputs[j] << ": target " << g.spearman(i, j) << ", got " << e.rho << " ± " << e.se);
        CHECK(std::fabs(e.rho - g.spearman(i, j)) <= 4 * e.se);
      }
  }
}

TEST_CASE("correlations: the draws do not depend on the file's order, the pairs' order or the thread count",
          "[correlation]") {
  const Scenario one = test::scenario(R"TOML([inputs]
a = { dist = "lognormal", median = 10, sigma = 0.5 }
b = { dist = "beta", alpha = 2, beta = 5 }
c = { dist = "gamma", shape = 2, scale = 3 }
free = { dist = "normal", mean = 0, sd = 1 }
[correlations]
pairs = [["a", "b", 0.6], ["b", "c", -0.3]]
)TOML");
  const Scenario other = test::scenario(R"TOML([inputs]
free = { dist = "normal", mean = 0, sd = 1 }
c = { dist = "gamma", shape = 2, scale = 3 }
b = { dist = "beta", alpha = 2, beta = 5 }
a = { dist = "lognormal", median = 10, sigma = 0.5 }
[correlations]
pairs = [["c", "b", -0.3], ["b", "a", 0.6]]
)TOML");
  const Plan p1(one), p2(other);
  const EngineOutput a = test::run_all(one, 30000, 1, 11), b = test::run_all(other, 30000, 2, 11);
  for (const char* name : {"a", "b", "c", "free"}) {
    INFO(name);
    CHECK(a.columns[p1.index(name)] == b.columns[p2.index(name)]);
  }
}

TEST_CASE("correlations: impossible matrices, constants, formulas and unknown names are located errors", "[correlation][errors]") {
  const std::string inputs = "[inputs]\na = { dist = \"normal\", mean = 0, sd = 1 }\nb = { dist = \"normal\", mean = 0, sd = 1 }\n"
                             "c = { dist = \"normal\", mean = 0, sd = 1 }\nk = 5\n[formulas]\ny = \"a + b\"\n";
  // a ~ b and a ~ c strongly positive, b ~ c strongly negative: no joint law.
  const std::string bad = error_of(inputs + "[correlations]\npairs = [[\"a\", \"b\", 0.9], [\"a\", \"c\", 0.9], [\"b\", \"c\", -0.9]]\n");
  CHECK_THAT(bad, Contains("test.toml:9:") && Contains("[correlations.pairs[0]]") && Contains("cannot hold together") &&
                      Contains("`a`") && Contains("nearest valid one is pairs = [[\"a\", \"b\", "));
  CHECK_THAT(error_of(inputs + "[correlations]\npairs = [[\"a\", \"k\", 0.5]]\n"),
             Contains("test.toml:9:") && Contains("`k` is a constant"));
  CHECK_THAT(error_of(inputs + "[correlations]\npairs = [[\"a\", \"y\", 0.5]]\n"), Contains("`y` is a formula"));
  CHECK_THAT(error_of(inputs + "[correlations]\npairs = [[\"a\", \"bb\", 0.5]]\n"),
             Contains("unknown input `bb` (did you mean `b`?)"));
  CHECK_THAT(error_of(inputs + "[correlations]\npairs = [[\"a\", \"b\", 1.5]]\n"), Contains("ρ = 1.5 must lie in [-1, 1]"));
  CHECK_THAT(error_of(inputs + "[correlations]\npairs = [[\"a\", \"b\", -30]]\n"),
             Contains("ρ = -30 must lie in [-1, 1]; a percentage? did you mean -0.3?"));
  for (const char* rho : {"300", "1.5"}) {
    INFO(rho);
    CHECK(error_of(inputs + "[correlations]\npairs = [[\"a\", \"b\", " + rho + "]]\n").find("percentage") == std::string::npos);
  }
  CHECK_THAT(error_of(inputs + "[correlations]\npairs = [[\"a\", \"b\", 0.5], [\"b\", \"a\", 0.2]]\n"),
             Contains("correlated twice"));
  CHECK_THAT(error_of(inputs + "[correlations]\nmatrix = { inputs = [\"a\", \"b\"], rho = [[1, 0.5], [0.4, 1]] }\n"),
             Contains("not symmetric"));
  // The nearest valid matrix it suggests holds together: pasted back, it parses.
  const std::string suggested = bad.substr(bad.find("pairs = ["));
  INFO(suggested);
  const Scenario fixed = test::scenario(inputs + "[correlations]\n" + suggested + "\n");
  CHECK(fixed.correlations.size() == 1);
}

TEST_CASE("correlations: validate lints a correlation that no formula uses", "[correlation][cli]") {
  test::TempDir dir;
  const std::string f = dir.write("c.toml", "[scenario]\nname = \"c\"\n[inputs]\n"
                                            "a = { dist = \"normal\", mean = 0, sd = 1, source = \"t\" }\n"
                                            "b = { dist = \"normal\", mean = 0, sd = 1, source = \"t\" }\n"
                                            "[formulas]\ny = \"2 * a\"\n[correlations]\npairs = [[\"a\", \"b\", 0.5]]\n");
  const auto p = test::run_tamcarlo({"validate", f});
  CHECK(p.exit_code == 0);
  CHECK_THAT(p.err, Contains("c.toml:9:") && Contains("warning") && Contains("`b` is correlated but no formula uses it"));
}

TEST_CASE("correlations: a discrete law's reach is exact, and a ρ beyond it is a located error", "[correlation][errors]") {
  // The Spearman ρ of a bernoulli(0.3) and a normal whose normal scores are correlated r: copula_spearman against
  // the midrank ρ of 200,000 pairs drawn directly (4 SE; the SE of a Spearman ρ is under 1/√n = 0.0022).
  const Distribution e = Bernoulli{0.3}, x = Normal{0, 1}, k = Poisson{2};
  const double r = normal_score_correlation(0.5);
  {
    std::mt19937_64 gen(5);
    std::normal_distribution<double> normal;
    std::vector<double> a, b;
    for (int i = 0; i < 200000; ++i) {
      const double z1 = normal(gen), z2 = r * z1 + std::sqrt(1 - r * r) * normal(gen);
      a.push_back(z1 > 0.5244005127080407 ? 1.0 : 0.0);  // Φ⁻¹(0.7): 1 with probability 0.3
      b.push_back(z2);
    }
    const double want = copula_spearman(e, x, r);
    INFO("exact " << want << ", drawn " << spearman(a, b));
    CHECK(std::fabs(spearman(a, b) - want) <= 4 / std::sqrt(200000.0));
    CHECK(want == Approx(0.39).margin(0.01));  // what a copula that ignored the ties gave for a written 0.5
  }
  // Two continuous laws: the closed form; a discrete pair at r = ±1: the bound the error names.
  CHECK(copula_spearman(x, Normal{3, 2}, r) == Approx(0.5).epsilon(1e-12));
  CHECK(reachable_spearman(e, x, 1) == Approx(0.794).margin(0.001));  // 0.105 / (√0.21 · √(1/12))
  CHECK(reachable_spearman(e, e, 1) == Approx(1.0).epsilon(1e-9));
  CHECK(reachable_spearman(e, k, -1) < 0);
  const auto solved = normal_score_for(e, k, 0.3);
  REQUIRE(solved);
  CHECK(copula_spearman(e, k, *solved) == Approx(0.3).margin(1e-9));
  CHECK_FALSE(normal_score_for(e, x, 0.8));

  const std::string text = "[inputs]\nfailed = { dist = \"bernoulli\", p = 0.3, point = 0 }\n"
                           "x = { dist = \"normal\", mean = 0, sd = 1 }\n[formulas]\ny = \"if(failed, 0, x)\"\n"
                           "[correlations]\npairs = [[\"failed\", \"x\", 0.9]]\n";
  CHECK_THAT(error_of(text), Contains("test.toml:7:") && Contains("[correlations.pairs[0]]") &&
                                 Contains("cannot reach a Spearman correlation of 0.9") && Contains("0.793 at most"));
}

TEST_CASE("ranks: sort_values and sort_column order every column as std::sort does, and ρ from centered ranks", "[correlations]") {
  // Columns that stress the radix sorts: a wide law, a tight one (keys closer than the digits reach: exact digits),
  // ties, signed zeros and negatives, a cluster inside a wide span (one long run sharing its digits, put in order by
  // whole key), and the empty and one-value edges; 150,000 values take sort_column's three passes and radix_sort.
  std::mt19937_64 rng(11);
  std::normal_distribution<double> z;
  const auto column = [&](int kind, std::size_t n) {
    std::vector<double> x(n);
    for (double& v : x) {
      const double g = z(rng);
      switch (kind) {
        case 0: v = std::exp(3 * g); break;                                    // lognormal, σ = 3
        case 1: v = 1e6 * (1 + 1e-12 * g); break;                              // tight: keys thousands apart
        case 2: v = std::round(4 * g); break;                                  // ties, with −0 and +0
        case 3: v = g < -1 ? -0.0 : g > 1 ? 0.0 : -std::ldexp(1.0 + g, 900); break;  // negatives and both zeros
        default: v = g > 2.3 ? 1e6 * g : 1 + 1e-9 * g;                        // a cluster in a wide span
      }
    }
    return x;
  };
  for (int kind = 0; kind < 5; ++kind)
    for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{5'000}, std::size_t{150'000}}) {
      INFO("kind " << kind << ", n " << n);
      const std::vector<double> x = column(kind, n);
      std::vector<std::uint64_t> want(n);
      for (std::size_t i = 0; i < n; ++i) want[i] = order_key(x[i]);
      std::sort(want.begin(), want.end());
      std::vector<double> want_values(n);
      for (std::size_t i = 0; i < n; ++i) want_values[i] = key_value(want[i]);  // −0 as +0
      std::vector<double> v = x;
      sort_values(v);
      CHECK(std::equal(v.begin(), v.end(), want_values.begin(), want_values.end(),
                       [](double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); }));
      const SortedColumn s = sort_column(x);
      CHECK(std::equal(s.value.begin(), s.value.end(), want_values.begin(), want_values.end(),
                       [](double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); }));
      // A permutation carrying each value's position, ties in position order.
      bool placed = s.at.size() == n;
      for (std::size_t i = 0; placed && i < n; ++i)
        placed = order_key(x[s.at[i]]) == want[i] && (i == 0 || want[i - 1] != want[i] || s.at[i - 1] < s.at[i]);
      CHECK(placed);
      std::vector<std::uint32_t> at = s.at;
      std::sort(at.begin(), at.end());
      bool permutation = true;
      for (std::size_t i = 0; i < n; ++i) permutation = permutation && at[i] == i;
      CHECK(permutation);
      // Mid-ranks against their definition: 1 + (values below) + (ties − 1)/2, from the sorted keys.
      const std::vector<double> r = average_ranks(x);
      bool mid = r.size() == n;
      for (std::size_t i = 0; mid && i < n; ++i) {
        const auto lo = std::lower_bound(want.begin(), want.end(), order_key(x[i])) - want.begin();
        const auto hi = std::upper_bound(want.begin(), want.end(), order_key(x[i])) - want.begin();
        mid = r[i] == 1 + static_cast<double>(lo) + 0.5 * static_cast<double>(hi - lo - 1);
      }
      CHECK(mid);
    }
  // ρ from centered ranks equals the Pearson correlation of the ranks (another summation order: 1e-12), and a
  // constant column has none.
  const std::vector<double> a = column(0, 40'000), c(40'000, 7.0);
  std::vector<double> b(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) b[i] = a[i] + 20 * z(rng);
  const CenteredRanks ra = centered_ranks(sort_column(a)), rb = centered_ranks(sort_column(b));
  CHECK(tamcarlo::spearman(ra, rb) == Approx(spearman(a, b)).epsilon(1e-12));
  CHECK(tamcarlo::spearman(ra, ra) == Approx(1.0).epsilon(1e-15));
  CHECK(std::isnan(tamcarlo::spearman(ra, centered_ranks(sort_column(c)))));
  // Doubled centered ranks are exact integers, ties sharing their average: ranks 5, 1.5, 5, 3, 5, 1.5 of six.
  const CenteredRanks rt = centered_ranks(sort_column(std::vector<double>{3, 1, 3, 2, 3, 1}));
  CHECK(rt.d == std::vector<std::int32_t>{3, -4, 3, -1, 3, -4});
  CHECK(rt.ss == 60);
  CHECK_THROWS_AS(centered_ranks(sort_column(std::vector<double>(k_max_ranked + 1, 1.0))), std::length_error);
}

TEST_CASE("ranks: key_value inverts order_key on every kind of double", "[correlations]") {
  const double inf = std::numeric_limits<double>::infinity(), tiny = std::numeric_limits<double>::denorm_min();
  for (const double x : {-inf, -1e308, -2.5, -tiny, 0.0, tiny, 1.0, 3e-310, 7.25e12, 1e308, inf}) {
    INFO(x);
    CHECK(std::bit_cast<std::uint64_t>(key_value(order_key(x))) == std::bit_cast<std::uint64_t>(x));
  }
  CHECK(std::bit_cast<std::uint64_t>(key_value(order_key(-0.0))) == std::bit_cast<std::uint64_t>(0.0));  // −0 as +0
  CHECK(order_key(-tiny) < order_key(0.0));
  CHECK(order_key(0.0) < order_key(tiny));
}
