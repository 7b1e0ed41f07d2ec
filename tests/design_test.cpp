// Sampling designs (Latin hypercube, scrambled Sobol'): their structure, their reproducibility, and the honesty
// of their replicate CIs. Statistical checks state their tolerance in standard errors.
#include "sim/engine/plan_source.hpp"
#include "sim/random/design.hpp"
#include "sim/stats/portfolio.hpp"
#include "sim/stats/rank_correlation.hpp"
#include "tests/support.hpp"

#include <boost/random/sobol.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <set>

using namespace tamcarlo;

namespace {

// revenue = staff × salary × share with independent inputs: E = 1000 · 10 · (0.1 + 0.2 + 0.4)/3.
const std::string k_revenue = R"TOML([inputs]
staff = { dist = "normal", mean = 1000, sd = 100 }
salary = { dist = "uniform", min = 8, max = 12 }
share = { dist = "triangular", min = 0.1, mode = 0.2, max = 0.4 }
[formulas]
revenue = "staff * salary * share"
)TOML";
constexpr double k_revenue_mean = 1000.0 * 10.0 * 0.7 / 3.0;

std::string with_design(const std::string& design, std::uint32_t replicates) {
  if (design == "mc") return k_revenue;
  return "[scenario]\ndesign = \"" + design + "\"\nreplicates = " + std::to_string(replicates) + "\n" + k_revenue;
}

// The moments of every series of `text` over n samples (mean's SE from the replicates of a design).
std::vector<ColumnResult> moments(const std::string& text, std::uint64_t seed, std::uint64_t n, unsigned threads = 2,
                                  std::vector<std::uint64_t> split = {}) {
  const Plan plan(test::scenario(text));
  const PlanSource source(plan, seed, n);
  StreamOptions opt;
  opt.samples = n;
  opt.threads = threads;
  opt.split_blocks = std::move(split);
  return run_stream(source, std::vector<ColumnSpec>(source.width()), opt);
}

// Every coordinate of one input under a design, filled in pieces of the given sizes (as blocks and threads would).
std::vector<double> coordinates(const Design& d, std::uint64_t n, std::uint32_t dim, std::uint64_t var,
                                std::size_t piece) {
  std::vector<double> u(n);
  const DesignCoordinate c(d, n, dim);
  for (std::uint64_t first = 0; first < n; first += piece)
    c.fill(7, var, first, std::span<double>(u.data() + first, std::min<std::uint64_t>(piece, n - first)));
  return u;
}

}  // namespace

TEST_CASE("design: a keyed permutation maps 0 … m − 1 onto itself one to one", "[design]") {
  for (const std::uint64_t m : {1ULL, 2ULL, 3ULL, 5ULL, 64ULL, 1000ULL, 4097ULL}) {
    for (const std::uint64_t key : {0ULL, 1ULL, 0xdeadbeefULL}) {
      const KeyedPermutation p(m, key);
      std::vector<bool> seen(m, false);
      for (std::uint64_t j = 0; j < m; ++j) {
        const std::uint64_t x = p(j);
        REQUIRE(x < m);
        REQUIRE_FALSE(seen[x]);
        seen[x] = true;
      }
    }
  }
  // Different keys give different permutations.
  const KeyedPermutation a(1000, 1), b(1000, 2);
  int same = 0;
  for (std::uint64_t j = 0; j < 1000; ++j) same += a(j) == b(j) ? 1 : 0;
  CHECK(same < 20);  // a random pair agrees in 1 place on average
}

TEST_CASE("design: a keyed permutation's batch fill gives the values one by one does, whatever the offset", "[design]") {
  // Sizes with an odd and an even bit count, batches that cross the low half's boundary, and a tail past the 8 lanes.
  for (const std::uint64_t m : {5ULL, 1000ULL, 4097ULL, 300000ULL, 1000000ULL}) {
    const KeyedPermutation p(m, 0xfeedULL);
    for (const std::uint64_t first : {0ULL, 3ULL, 1021ULL, m > 20 ? m - 19 : 0ULL}) {
      if (first >= m) continue;
      std::vector<std::uint64_t> out(std::min<std::uint64_t>(m - first, 4099));
      p.fill(first, out);
      for (std::size_t k = 0; k < out.size(); ++k) REQUIRE(out[k] == p(first + k));
    }
  }
}

TEST_CASE("design: unscrambled Sobol' points are Boost.Random's sobol sequence", "[design]") {
  // Boost's engine skips the all-zero point and runs in Gray-code order: its point q is point gray(q + 1).
  constexpr std::uint32_t dims = 40;
  boost::random::sobol_engine<std::uint32_t, 32> engine(dims);
  std::vector<std::array<std::uint32_t, 32>> dir;
  for (std::uint32_t d = 0; d < dims; ++d) dir.push_back(sobol_directions(d));
  for (std::uint32_t q = 0; q < 5000; ++q) {
    const std::uint32_t p = q + 1, g = p ^ (p >> 1);
    for (std::uint32_t d = 0; d < dims; ++d) {
      const std::uint32_t want = engine();
      REQUIRE(sobol_point(dir[d], g) == want);
    }
  }
}

TEST_CASE("design: Latin hypercube puts one sample in each of a replicate's strata, per input", "[design]") {
  const Design d{DesignKind::lhs, 7};
  const std::uint64_t n = 7 * 997 + 5;  // replicates of 997 and 998 samples, boundaries inside blocks
  const ReplicateSplit split{n, 7};
  const std::vector<double> u = coordinates(d, n, 0, variable_id("x"), k_block_size);
  for (std::uint32_t r = 0; r < 7; ++r) {
    const std::uint64_t begin = split.start(r), m = split.start(r + 1) - begin;
    std::vector<bool> hit(m, false);
    for (std::uint64_t i = begin; i < begin + m; ++i) {
      REQUIRE(u[i] > 0);
      REQUIRE(u[i] < 1);
      const auto s = static_cast<std::uint64_t>(u[i] * static_cast<double>(m));
      REQUIRE_FALSE(hit[s]);
      hit[s] = true;
    }
  }
  // Two inputs are paired at random: their strata are not in step.
  const std::vector<double> v = coordinates(d, n, 0, variable_id("y"), k_block_size);
  int same = 0;
  for (std::uint64_t i = 0; i < 997; ++i) same += std::floor(u[i] * 997) == std::floor(v[i] * 997) ? 1 : 0;
  CHECK(same < 15);
}

TEST_CASE("design: scrambled Sobol' replicates stay (0, m, 2)-nets in their first two dimensions", "[design]") {
  // Matoušek's scramble keeps the net: in 2¹⁰ points, every box of 2^-a × 2^-(10-a) holds exactly one point.
  const Design d{DesignKind::sobol, 4};
  const std::uint64_t n = 4 * 1024;
  const std::vector<double> x = coordinates(d, n, 0, variable_id("x"), 333);
  const std::vector<double> y = coordinates(d, n, 1, variable_id("y"), 333);
  for (std::uint32_t r = 0; r < 4; ++r) {
    for (int a = 0; a <= 10; ++a) {
      std::set<std::pair<int, int>> boxes;
      for (std::uint64_t i = r * 1024; i < (r + 1) * 1024; ++i)
        boxes.emplace(static_cast<int>(std::ldexp(x[i], a)), static_cast<int>(std::ldexp(y[i], 10 - a)));
      INFO("replicate " << r << ", boxes of 2^-" << a << " × 2^-" << 10 - a);
      CHECK(boxes.size() == 1024);
    }
  }
  // Each replicate is scrambled apart: replicate 0 and 1 differ.
  CHECK(x[0] != x[1024]);
}

TEST_CASE("design: coordinates do not depend on how the samples are cut into pieces", "[design]") {
  for (const DesignKind k : {DesignKind::lhs, DesignKind::sobol}) {
    const Design d{k, 6};
    const std::uint64_t n = 20000;
    const std::vector<double> whole = coordinates(d, n, 3, variable_id("x"), n);
    for (const std::size_t piece : {std::size_t{1}, std::size_t{777}, k_block_size}) {
      const std::vector<double> cut = coordinates(d, n, 3, variable_id("x"), piece);
      CHECK(std::equal(whole.begin(), whole.end(), cut.begin()));
    }
  }
}

TEST_CASE("design: every law keeps its distribution under lhs and sobol (KS at 2e5)", "[design][statistical]") {
  // Each sample's coordinate is uniform on (0, 1), so each input keeps its law; stratification only makes the
  // empirical law closer to it. KS √n·D below test::k_ks_critical (the 0.1% critical value for independent samples).
  for (const std::string design : {"lhs", "sobol"}) {
    const std::string text = "[scenario]\ndesign = \"" + design + "\"\n" + R"TOML([inputs]
a = { dist = "lognormal", p50 = 100, p95 = 300 }
b = { dist = "beta", alpha = 2, beta = 5 }
c = { dist = "gamma", shape = 3, scale = 2 }
[formulas]
y = "a + b + c"
)TOML";
    const Scenario s = test::scenario(text);
    const Plan plan(s);
    EngineOptions eo;
    eo.seed = 5;
#if defined(TAMCARLO_SANITIZED)
    eo.samples = 50000;  // the sanitizers look for memory errors; the critical value holds at any n
#else
    eo.samples = 200000;
#endif
    eo.keep = {true, true, true, false};
    const EngineOutput out = run_engine(plan, eo);
    for (std::size_t i = 0; i < 3; ++i) {
      INFO(design << " " << s.inputs[i].name);
      CHECK(test::ks(out.columns[i], s.inputs[i].dist) < test::k_ks_critical);
    }
  }
}

TEST_CASE("design: the mean's CI is at least 5x narrower than plain MC at the same N", "[design][statistical]") {
  // revenue = staff × salary × share: its main effects carry 98.1% of its variance (closed form: CVs 0.1, 0.115,
  // 0.267), so LHS leaves the 1.9% interaction, an SE 7.2x smaller; Sobol' points do far better on a smooth function.
  // With 50 replicates the estimated SE is within about 10% of the true one.
  const std::uint64_t n = 1 << 17;
  const double mc = moments(with_design("mc", 0), 11, n)[3].moments.half95();
  const ColumnResult lhs = moments(with_design("lhs", 50), 11, n)[3];
  const ColumnResult qmc = moments(with_design("sobol", 50), 11, n)[3];
  INFO("±95% half-widths: mc " << mc << ", lhs " << lhs.moments.half95() << ", sobol " << qmc.moments.half95());
  CHECK(lhs.moments.replicates == 50);
  CHECK(lhs.moments.half95() * 5 <= mc);
  CHECK(qmc.moments.half95() * 5 <= mc);
  // The replicates' intervals still hold the exact mean (4 SE).
  CHECK(std::fabs(lhs.moments.mean - k_revenue_mean) <= 4 * lhs.moments.se());
  CHECK(std::fabs(qmc.moments.mean - k_revenue_mean) <= 4 * qmc.moments.se());
}

TEST_CASE("design: the replicate CI covers the exact mean at its stated 95% over 200 runs", "[design][statistical]") {
  // N = 200 in 10 replicates of 20: a covering count within 3 binomial SE (√(200·0.95·0.05) = 3.08) of 190,
  // i.e. 181–199 (all 200 would say the interval is too wide).
  for (const std::string design : {"lhs", "sobol"}) {
    const Plan plan(test::scenario(with_design(design, 10)));
    int covered = 0;
    for (std::uint64_t seed = 1; seed <= 200; ++seed) {
      const PlanSource source(plan, seed, 200);
      StreamOptions opt;
      opt.samples = 200;
      opt.threads = 1;
      const Moments m = run_stream(source, std::vector<ColumnSpec>(source.width()), opt)[3].moments;
      REQUIRE(m.replicates == 10);
      covered += std::fabs(m.mean - k_revenue_mean) <= m.half95() ? 1 : 0;
    }
    INFO(design << ": " << covered << " of 200 intervals cover the mean");
    CHECK(covered >= 181);
    CHECK(covered <= 199);
  }
}

TEST_CASE("design: threads and split ranges give the same bits, replicate SEs included", "[design]") {
  for (const std::string design : {"lhs", "sobol"}) {
    const std::string text = with_design(design, 7);
    const std::uint64_t n = 50000;  // replicates of 7142–7143 samples: boundaries inside blocks
    const auto one = moments(text, 3, n, 1);
    const auto two = moments(text, 3, n, 2, {3, 5});
    for (std::size_t c = 0; c < one.size(); ++c) {
      INFO(design << " column " << c);
      CHECK(one[c].moments.mean == two[c].moments.mean);
      CHECK(one[c].moments.replicate_se == two[c].moments.replicate_se);
      CHECK(one[c].moments.replicates == 7);
    }
  }
}

TEST_CASE("design: correlated inputs keep their rank correlation under lhs", "[design][statistical]") {
  const std::string text = R"TOML([scenario]
design = "lhs"
[inputs]
a = { dist = "lognormal", median = 10, sigma = 0.7 }
b = { dist = "uniform", min = 0, max = 1 }
[correlations]
pairs = [["a", "b", 0.6]]
[formulas]
y = "a * b"
)TOML";
  const Plan plan(test::scenario(text));
  EngineOptions eo;
  eo.seed = 9;
  eo.samples = 100000;
  eo.keep = {true, true, false};
  const EngineOutput out = run_engine(plan, eo);
  const double rho = pearson(average_ranks(out.columns[0]), average_ranks(out.columns[1]));
  // SE of Spearman's ρ (Bonett & Wright 2000): (1 − ρ²)·√((1 + ρ²/2)/(n − 3)) = 0.0022 at n = 1e5: within 4 SE.
  const double se = (1 - 0.36) * std::sqrt((1 + 0.36 / 2) / (1e5 - 3));
  CHECK(std::fabs(rho - 0.6) <= 4 * se);
}

TEST_CASE("design: bad design keys are located errors", "[design][errors]") {
  CHECK_THAT(test::error_of("[scenario]\ndesign = \"qmc\"\n" + k_revenue),
             Catch::Contains("test.toml:2:10") && Catch::Contains("\"qmc\" is not a design") &&
                 Catch::Contains("\"lhs\""));
  CHECK_THAT(test::error_of("[scenario]\nreplicates = 5\n" + k_revenue),
             Catch::Contains("test.toml:2:14") && Catch::Contains("[scenario.replicates]") &&
                 Catch::Contains("plain Monte Carlo has none"));
  CHECK_THAT(test::error_of("[scenario]\ndesign = \"lhs\"\nreplicates = 1\n" + k_revenue),
             Catch::Contains("test.toml:3:14") && Catch::Contains("expected an integer ≥ 2, got 1"));
  CHECK_THAT(test::error_of("[scenario]\ndesign = \"sobol\"\nreplicates = 20000\n" + k_revenue),
             Catch::Contains("20000 replicates is more than the 10000 allowed"));
}

TEST_CASE("design: the run says which CI it used, in the table, JSON and HDF5", "[design][cli]") {
  const test::TempDir dir;
  const std::string file = dir.write("rev.toml", "[scenario]\nname = \"rev\"\ndesign = \"lhs\"\nreplicates = 8\n" + k_revenue);
  const test::Process table = test::run_tamcarlo({"run", file, "-n", "40000", "-o", (dir.path() / "rev.h5").string()});
  REQUIRE(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::Contains("design: Latin hypercube, 8 independent replicates of 5,000 samples") &&
                            Catch::Contains("Student's t (7 df)"));
  const test::Process json = test::run_tamcarlo({"run", file, "-n", "40000", "--json", "--store", "none", "-o",
                                                 (dir.path() / "rev2.h5").string()});
  REQUIRE(json.exit_code == 0);
  CHECK_THAT(json.out, Catch::Contains(R"("design":{"kind":"lhs","replicates":8,"mean_ci_multiplier":2.36462425159278)"));
  const std::string out = dir.write("out.jsonl", json.out);
  const auto schema = test::run_shell("/usr/bin/python3 " + test::source_path("tests/json_schema_check.py") + " " +
                                      test::source_path("sim/io/json.schema.json") + " < " + out);
  INFO(schema.out);
  CHECK(schema.exit_code == 0);
  const test::Process attrs = test::run_shell("h5dump -a /design -a /replicates -a /mean_ci_multiplier " +
                                              (dir.path() / "rev.h5").string());
  CHECK_THAT(attrs.out, Catch::Contains("\"lhs\"") && Catch::Contains("(0): 8") && Catch::Contains("2.36462"));
  // Too few samples for the replicates: a usage error before anything is written.
  const test::Process few = test::run_tamcarlo({"run", file, "-n", "15", "-o", (dir.path() / "few.h5").string()});
  CHECK(few.exit_code == 1);
  CHECK_THAT(few.err, Catch::Contains("15 samples") && Catch::Contains("8 replicates") && Catch::Contains("rev.toml:3:10"));
  CHECK_FALSE(std::filesystem::exists(dir.path() / "few.h5"));
}

TEST_CASE("design: tabulated quantiles stay within their stated tolerance of Boost.Math's", "[design]") {
  // Beta, PERT, gamma and Student's t are tabulated in z; every u on a grid of 10⁵ (10⁴ sanitized), and tail points, within
  // k_quantile_table_tolerance × (Q(0.99) − Q(0.01)) of the exact inversion.
  const std::vector<Distribution> laws = {Beta{10, 10},       Beta{0.5, 3},        Beta{2, 5, 100, 300},
                                          Pert{1, 2, 10},     Gamma{3, 2},         Gamma{0.3, 1},
                                          StudentT{3, 5, 2},  StudentT{1.5, 0, 1}};
#if defined(TAMCARLO_SANITIZED)
  constexpr int grid = 10000;  // Boost's exact inversions are the cost; the sanitizers look for memory errors
#else
  constexpr int grid = 100000;
#endif
  std::vector<double> us;
  for (int i = 0; i < grid; ++i) us.push_back((i + 0.5) / grid);
  for (const double u : {0x1p-54, 1e-15, 1e-10, 1e-6, 1 - 1e-6, 1 - 1e-10, 1 - 1e-15, 0x1.fffffffffffffp-1}) us.push_back(u);
  for (const Distribution& d : laws) {
    const QuantileFunction q(d);
    REQUIRE(q.tabulated());
    const double scale = quantile(d, 0.99) - quantile(d, 0.01);
    double worst = 0;
    for (const double u : us) worst = std::max(worst, std::fabs(q(u) - quantile(d, u)) / scale);
    INFO(describe(d) << ": worst relative error " << worst);
    CHECK(worst <= k_quantile_table_tolerance);
  }
}
