// Decisions and the value of information ([decision]: EVPI, EVPPI) and Shapley effects, against closed forms.
// Statistical tolerances: 4 standard errors (the SE the estimators report), plus the stated bias bound for EVPPI;
// the seeds are fixed, so each check either always passes or always fails.
#include "sim/engine/decision.hpp"
#include "sim/engine/shapley.hpp"
#include "sim/io/results_file.hpp"
#include "tests/support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <Eigen/Dense>

#include <cmath>
#include <numbers>

using Catch::Contains;
using namespace tamcarlo;

namespace {

// Invest when V − p > 0 with V = A + B, A ~ N(1, 1) and B ~ N(0.5, 2²) independent, p = 1: μ − p = 0.5.
const std::string k_invest = R"TOML([scenario]
name = "voi"
unit = "USD"
[inputs]
a = { dist = "normal", mean = 1.0, sd = 1.0, unit = "USD", source = "test" }
b = { dist = "normal", mean = 0.5, sd = 2.0, unit = "USD", source = "test" }
price = { value = 1.0, unit = "USD", source = "test" }
[formulas]
invest = { expr = "a + b - price", unit = "USD" }
pass = { expr = "0 * price", unit = "USD" }
[decision]
options = ["invest", "pass"]
groups = { both = ["a", "b"] }
)TOML";

// EVPI of "invest iff X − p > 0" with X ~ N(μ, σ²): σ·φ(d) + (μ − p)·Φ(d) − max(μ − p, 0), d = (μ − p)/σ.
double evpi_normal(double m, double sigma) {
  const double d = m / sigma;
  const double pdf = std::exp(-0.5 * d * d) / std::sqrt(2 * std::numbers::pi), cdf = 0.5 * std::erfc(-d / std::sqrt(2.0));
  return sigma * pdf + m * cdf - std::max(m, 0.0);
}

DecisionEstimate decide_invest(std::uint64_t n, unsigned threads) {
  const Scenario s = test::scenario(k_invest);
  const Plan plan(s);
  const std::vector<std::uint32_t> options = {static_cast<std::uint32_t>(plan.index("invest")),
                                              static_cast<std::uint32_t>(plan.index("pass"))};
  const auto a = static_cast<std::uint32_t>(plan.index("a")), b = static_cast<std::uint32_t>(plan.index("b"));
  return decide(plan, options, {{"a", {a}}, {"b", {b}}, {"both", {a, b}}}, 11, n, n, threads);
}

}  // namespace

TEST_CASE("decision: EVPI and EVPPI match their closed forms for V = A + B against a price", "[decision][statistical]") {
  const DecisionEstimate e = decide_invest(1'000'000, 2);
  const double sa = 1, sb = 2, s = std::sqrt(sa * sa + sb * sb);
  REQUIRE(e.options.size() == 2);
  CHECK(e.best == 0);  // E[invest] = 0.5 > 0
  CHECK(std::fabs(e.options[0].mean - 0.5) <= 4 * e.options[0].se);
  CHECK(e.options[1].mean == 0);
  // P(invest is best) = P(V > p) = Φ(0.5/√5); its SE √(p(1−p)/n).
  const double p = 0.5 * std::erfc(-0.5 / s / std::sqrt(2.0));
  CHECK(std::fabs(e.options[0].best.p - p) <= 4 * std::sqrt(p * (1 - p) / 1e6));
  INFO("EVPI " << e.evpi << " ± " << e.evpi_se << ", exact " << evpi_normal(0.5, s));
  CHECK(std::fabs(e.evpi - evpi_normal(0.5, s)) <= 4 * e.evpi_se);
  const double exact[] = {evpi_normal(0.5, sa), evpi_normal(0.5, sb), evpi_normal(0.5, s)};
  for (std::size_t q = 0; q < 3; ++q) {
    const PartialValue& v = e.partial[q];
    INFO("question " << q << ": EVPPI " << v.value << " ± " << v.se << " (bias bound " << v.bias << "), exact " << exact[q]);
    CHECK(std::fabs(v.value - exact[q]) <= 4 * v.se + v.bias);
    CHECK(v.se < 0.01 * exact[q]);  // resolved, not just covered by a wide interval
    CHECK(v.crossfit <= v.plugin);
  }
  CHECK(e.partial[0].cells == decision_bins(1'000'000, 1));
  CHECK(e.partial[2].cells == decision_bins(1'000'000, 2) * decision_bins(1'000'000, 2));
}

TEST_CASE("decision: an input that does not move the options has an EVPPI of 0 within its bias bound", "[decision][statistical]") {
  // A knife-edge decision (both options' means 0) and an input that is pure noise for it: the plug-in estimate
  // alone would report the cells' noise as value; the cross-fitted half takes it back.
  const Scenario s = test::scenario(R"TOML([inputs]
x = { dist = "normal", mean = 0, sd = 1 }
noise = { dist = "uniform", min = 0, max = 1 }
[formulas]
a = "x + 0 * noise"
b = "0 * x"
[decision]
options = ["a", "b"]
)TOML");
  const Plan plan(s);
  const DecisionEstimate e = decide(plan, {static_cast<std::uint32_t>(plan.index("a")), static_cast<std::uint32_t>(plan.index("b"))},
                                    {{"noise", {static_cast<std::uint32_t>(plan.index("noise"))}}}, 5, 200'000, 200'000, 2);
  const PartialValue& v = e.partial[0];
  INFO("EVPPI(noise) " << v.value << " ± " << v.se << ", bias bound " << v.bias << ", plug-in " << v.plugin);
  CHECK(std::fabs(v.value) <= 4 * v.se + v.bias);
  CHECK(v.plugin - 1.96 * v.se > 0);  // the plug-in estimate alone: a 95% CI that misses the true 0
}

TEST_CASE("decision: the same bits on 1, 2 and 8 threads", "[decision]") {
  const DecisionEstimate one = decide_invest(100'000, 1), two = decide_invest(100'000, 2), eight = decide_invest(100'000, 8);
  for (const DecisionEstimate* e : {&two, &eight}) {
    CHECK(e->evpi == one.evpi);
    CHECK(e->evpi_se == one.evpi_se);
    for (std::size_t q = 0; q < one.partial.size(); ++q) {
      CHECK(e->partial[q].value == one.partial[q].value);
      CHECK(e->partial[q].se == one.partial[q].se);
    }
    CHECK(e->options[0].mean == one.options[0].mean);
  }
}

TEST_CASE("decision: a block's sums are add()'s row by row, bit for bit (2 and 3 options, skipped rows, groups)", "[decision]") {
  for (const std::size_t k : {std::size_t{2}, std::size_t{3}}) {
    INFO(k << " options");
    const std::vector<std::size_t> cells = {5, 12};
    DecisionSums rows(std::vector<double>(k, 0.25), cells), block(std::vector<double>(k, 0.25), cells);
    constexpr std::size_t n = 301;
    std::vector<std::vector<double>> value(k, std::vector<double>(n));
    std::vector<std::vector<std::uint32_t>> cell(cells.size(), std::vector<std::uint32_t>(n));
    for (std::size_t r = 0; r < n; ++r) {
      for (std::size_t j = 0; j < k; ++j) value[j][r] = std::sin(1.7 * static_cast<double>(r * (j + 1)) + 0.3) * 1e3 / 7;
      for (std::size_t p = 0; p < cells.size(); ++p) cell[p][r] = static_cast<std::uint32_t>(((r / 2) * 7 + p) % cells[p]);
    }
    value[k - 1][17] = std::nan("");  // two skipped rows
    value[0][200] = INFINITY;
    std::vector<double> v(k);
    std::vector<std::uint32_t> c(cells.size());
    for (std::size_t r = 0; r < n; ++r) {
      for (std::size_t j = 0; j < k; ++j) v[j] = value[j][r];
      for (std::size_t p = 0; p < cells.size(); ++p) c[p] = cell[p][r];
      rows.add(v, c, static_cast<unsigned>((1 + r) & 1U));
    }
    std::vector<const double*> vp;
    for (const auto& x : value) vp.push_back(x.data());
    std::vector<const std::uint32_t*> cp;
    for (const auto& x : cell) cp.push_back(x.data());
    block.add_block(vp, cp, n, 1);
    CHECK(block.count() == rows.count());
    CHECK(block.skipped() == 2);
    CHECK(rows.skipped() == 2);
    for (std::size_t j = 0; j < k; ++j) {
      CHECK(block.sum(j) == rows.sum(j));
      CHECK(block.sum2(j) == rows.sum2(j));
      CHECK(block.best(j) == rows.best(j));
      CHECK(block.regret(j) == rows.regret(j));
      CHECK(block.regret2(j) == rows.regret2(j));
    }
    std::size_t filled = 0;
    for (std::size_t p = 0; p < cells.size(); ++p)
      for (unsigned h = 0; h < 2; ++h)
        for (std::size_t i = 0; i < cells[p]; ++i) {
          const auto a = block.cell(p, h, i), b = rows.cell(p, h, i);
          CHECK(std::equal(a.begin(), a.end(), b.begin(), b.end()));
          filled += a[0] > 0;
        }
    CHECK(filled == 2 * (5 + 12));  // every cell of both halves saw rows
  }
}

TEST_CASE("decision: the sweep evaluates only the formulas the options need, to the same values", "[decision]") {
  std::string text = k_invest;
  text.insert(text.find("[decision]"), "spare = { expr = \"exp(a / price) * b + price\", unit = \"USD\" }\n"
                                       "more = { expr = \"spare * 2\", unit = \"USD\" }\n");
  const Scenario s = test::scenario(text);
  const Plan plan(s);
  const std::vector<std::uint32_t> options = {static_cast<std::uint32_t>(plan.index("invest")),
                                              static_cast<std::uint32_t>(plan.index("pass"))};
  std::vector<std::uint32_t> every = options;
  every.push_back(static_cast<std::uint32_t>(plan.index("more")));
  const std::vector<Instruction> all = plan.code_for(every);
  const std::vector<Instruction> some = plan.code_for(options);
  CHECK(!some.empty());
  CHECK(some.size() + 5 <= all.size());  // (÷, exp, ×, +, ×: what only `spare` and `more` need, skipped)
  for (const Instruction& in : some) CHECK(in.dst != plan.index("more"));
  Workspace full = plan.workspace(1000), part = plan.workspace(1000);
  plan.evaluate(full, 3, 1000, 0, 1000);
  plan.draw(part, 3, 1000, 0, 1000);
  plan.compute(part, 1000, some);
  for (const std::uint32_t o : options) CHECK((full.col(o) == part.col(o)).all());
  CHECK(std::isfinite(full.col(static_cast<Eigen::Index>(plan.index("more")))(0)));
}

TEST_CASE("decision: read from the columns a run kept, the same bits as re-drawn", "[decision]") {
  const Scenario s = test::scenario(k_invest);
  const Plan plan(s);
  const std::vector<std::uint32_t> options = {static_cast<std::uint32_t>(plan.index("invest")),
                                              static_cast<std::uint32_t>(plan.index("pass"))};
  const auto a = static_cast<std::uint32_t>(plan.index("a")), b = static_cast<std::uint32_t>(plan.index("b"));
  const std::vector<DecisionQuestion> questions = {{"a", {a}}, {"b", {b}}, {"both", {a, b}}};
  constexpr std::uint64_t n = 3 * k_block_size + 123;
  std::vector<std::vector<double>> column(plan.variables().size(), std::vector<double>(n));
  Workspace ws = plan.workspace(k_block_size);
  for (std::uint64_t first = 0; first < n; first += k_block_size) {
    const auto rows = static_cast<std::size_t>(std::min<std::uint64_t>(k_block_size, n - first));
    plan.evaluate(ws, 11, n, first, rows);
    for (std::size_t v = 0; v < column.size(); ++v)
      std::copy_n(ws.col(static_cast<Eigen::Index>(v)).data(), rows, column[v].begin() + static_cast<std::ptrdiff_t>(first));
  }
  std::vector<const double*> kept(column.size(), nullptr);
  for (const std::uint32_t v : {options[0], options[1], a, b}) kept[v] = column[v].data();
  const DecisionEstimate drawn = decide(plan, options, questions, 11, n, n, 2);
  const DecisionEstimate read = decide(plan, options, questions, 11, n, n, 2, nullptr, &kept);
  CHECK(read.evpi == drawn.evpi);
  CHECK(read.evpi_se == drawn.evpi_se);
  REQUIRE(read.partial.size() == drawn.partial.size());
  for (std::size_t q = 0; q < read.partial.size(); ++q) CHECK(read.partial[q].value == drawn.partial[q].value);
  // Not read when an input is missing (re-drawn: still the same), nor from columns that differ (proof it was read).
  kept[b] = nullptr;
  CHECK(decide(plan, options, questions, 11, n, n, 1, nullptr, &kept).evpi == drawn.evpi);
  kept[b] = column[b].data();
  for (double& x : column[options[0]]) x += 1;
  CHECK(decide(plan, options, questions, 11, n, n, 1, nullptr, &kept).options[0].mean != drawn.options[0].mean);
}

TEST_CASE("decision: errors in the decision section locate the key and say what is allowed", "[decision][scenario]") {
  const auto error = [](const std::string& decision) {
    const std::string text = "[inputs]\nx = { dist = \"normal\", mean = 0, sd = 1, unit = \"USD\" }\nk = { value = 2, unit = \"years\" }\n"
                             "[formulas]\nv = { expr = \"x\", unit = \"USD\" }\nw = { expr = \"x * 0\", unit = \"USD\" }\n"
                             "m = \"x / k\"\n[decision]\n" + decision;
    try {
      (void)parse_scenario(text, "d.toml");
    } catch (const ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(error("options = [\"v\"]\n"), Contains("d.toml:9:") && Contains("[decision.options]") && Contains("2 to 8 formula names"));
  CHECK_THAT(error("options = [\"v\", \"vv\"]\n"), Contains("`vv` is not a formula") && Contains("did you mean `v`"));
  CHECK_THAT(error("options = [\"v\", \"x\"]\n"), Contains("`x` is not a formula"));
  CHECK_THAT(error("options = [\"v\", \"m\"]\n"), Contains("must share one unit") && Contains("`m` is in"));
  CHECK_THAT(error("options = [\"v\", \"v\"]\n"), Contains("listed twice"));
  CHECK_THAT(error("options = [\"v\", \"w\"]\ngroups = { g = [\"k\"] }\n"),
             Contains("[decision.groups.g]") && Contains("`k` is not an uncertain input"));
  CHECK_THAT(error("options = [\"v\", \"w\"]\ngroups = { g = [] }\n"), Contains("1 to 6 uncertain inputs"));
  CHECK_THAT(error("options = [\"v\", \"w\"]\nchoose = 1\n"), Contains("choose"));
  CHECK(error("options = [\"v\", \"w\"]\ngroups = { g = [\"x\"] }\n") == "no error");
}

TEST_CASE("decision: the table, JSON and HDF5 report it, and a stress case shows how it changes", "[decision][cli]") {
  const test::TempDir dir;
  std::string text = k_invest + R"TOML(
[stress.cheap]
description = "a lower price"
price = { value = 0.0, unit = "USD", source = "test: half price" }
)TOML";
  const std::string f = dir.write("voi.toml", text);
  const std::string out = (dir.path() / "voi.h5").string();
  const auto p = test::run_tamcarlo({"run", f, "-n", "100000", "--stress", "all", "-o", out});
  INFO(p.err);
  REQUIRE(p.exit_code == 0);
  CHECK_THAT(p.out, Contains("decision between 2 options") && Contains("← best now") && Contains("EVPI = ") &&
                        Contains("both (a, b)") && Contains("decision: best now `invest`"));
  const auto j = test::run_tamcarlo({"run", f, "-n", "100000", "--stress", "all", "--json"});
  REQUIRE(j.exit_code == 0);
  const nlohmann::ordered_json r = nlohmann::ordered_json::parse(j.out.substr(0, j.out.find('\n')));
  CHECK(r["decision"]["best"] == "invest");
  CHECK(r["decision"]["evppi"].begin().key() == "both");  // ranked: the group of both inputs is worth the most
  CHECK(r["decision"]["evppi"]["b"]["rank"] == 2);
  CHECK(r["decision"]["evpi"]["value"].get<double>() > r["stresses"][0]["run"]["decision"]["evpi"]["value"].get<double>());
  CHECK(read_strings(out, "/decision/option") == std::vector<std::string>{"invest", "pass"});
  CHECK(read_strings(out, "/decision/question") == std::vector<std::string>{"a", "b", "both"});
  CHECK(read_dataset(out, "/decision/evppi").size() == 3);
  CHECK_THAT(read_number_attribute(out, "/decision", "evpi"),
             Catch::WithinRel(r["decision"]["evpi"]["value"].get<double>(), 1e-13));  // JSON keeps 15 digits
  CHECK(read_string_attribute(out, "/stress/cheap/decision", "best") == "invest");
}

#if defined(TAMCARLO_MPIEXEC)
TEST_CASE("decision: MPI ranks and merged shards give the single run's decision, bit for bit", "[decision][cluster][mpi]") {
#else
TEST_CASE("decision: merged shards give the single run's decision, bit for bit", "[decision][cluster]") {
#endif
  const test::TempDir dir;
  const std::string f = dir.write("voi.toml", k_invest);
  const auto run = [&](std::vector<std::string> args) {
    const auto p = test::run_tamcarlo(args);
    INFO(p.err);
    REQUIRE(p.exit_code == 0);
  };
  const std::string single = (dir.path() / "single.h5").string();
  run({"run", f, "-n", "60000", "-o", single});
  std::vector<std::string> merge = {"merge"};
  for (int i = 0; i < 3; ++i) {
    const std::string part = (dir.path() / ("part" + std::to_string(i) + ".h5")).string();
    run({"run", f, "-n", "60000", "-o", part, "--shard", std::to_string(i) + "/3"});
    merge.push_back(part);
  }
  const std::string merged = (dir.path() / "merged.h5").string();
  merge.insert(merge.end(), {"-o", merged});
  run(merge);
  CHECK(test::h5_differences(single, merged).empty());
#if defined(TAMCARLO_MPIEXEC)
  const std::string mpi = (dir.path() / "mpi.h5").string();
  const auto p = test::run_launched({TAMCARLO_MPIEXEC, "--allow-run-as-root", "--oversubscribe", "-np", "3"},
                                    {"run", f, "-n", "60000", "-o", mpi, "--threads", "1"});
  INFO(p.err);
  REQUIRE(p.exit_code == 0);
  CHECK(test::h5_differences(single, mpi).empty());
#endif
}

namespace {

// Exact Shapley effects of y = βᵀX, X ~ N(0, Σ): Sh_i = Σ_{J ∌ i} |J|!(d − |J| − 1)!/d! · (v(J ∪ i) − v(J)) / Var y,
// v(J) = Var E[y | X_J] = βᵀΣ_{·J} Σ_JJ⁻¹ Σ_{J·} β (Iooss & Prieur 2019, linear Gaussian model).
std::vector<double> exact_shapley(const Eigen::VectorXd& beta, const Eigen::MatrixXd& sigma) {
  const auto d = static_cast<std::size_t>(beta.size());
  const auto v = [&](unsigned mask) {
    std::vector<Eigen::Index> j;
    for (std::size_t i = 0; i < d; ++i)
      if ((mask >> i) & 1U) j.push_back(static_cast<Eigen::Index>(i));
    if (j.empty()) return 0.0;
    const auto nj = static_cast<Eigen::Index>(j.size());
    Eigen::MatrixXd sjj(nj, nj), scj(static_cast<Eigen::Index>(d), nj);
    for (Eigen::Index a = 0; a < nj; ++a) {
      for (Eigen::Index b = 0; b < nj; ++b) sjj(a, b) = sigma(j[a], j[b]);
      for (Eigen::Index r = 0; r < static_cast<Eigen::Index>(d); ++r) scj(r, a) = sigma(r, j[a]);
    }
    const Eigen::VectorXd w = scj.transpose() * beta;
    return w.dot(sjj.ldlt().solve(w));
  };
  const double var = beta.dot(sigma * beta);
  std::vector<double> sh(d, 0.0);
  const auto fact = [](std::size_t n) { double f = 1; for (std::size_t k = 2; k <= n; ++k) f *= static_cast<double>(k); return f; };
  for (std::size_t i = 0; i < d; ++i)
    for (unsigned mask = 0; mask < (1U << d); ++mask) {
      if ((mask >> i) & 1U) continue;
      const auto size = static_cast<std::size_t>(__builtin_popcount(mask));
      sh[i] += fact(size) * fact(d - size - 1) / fact(d) * (v(mask | (1U << i)) - v(mask));
    }
  for (double& x : sh) x /= var;
  return sh;
}

}  // namespace

TEST_CASE("shapley: a linear model with correlated Gaussian inputs matches its closed form, and the effects sum to 1", "[shapley][statistical]") {
  // y = x1 + 2·x2 − x3 + 0.5·x4; Spearman 0.5 between x2 and x3, −0.3 between x3 and x4 (normal-score r = 2·sin(πρ/6)).
  const Scenario s = test::scenario(R"TOML([inputs]
x1 = { dist = "normal", mean = 0, sd = 1 }
x2 = { dist = "normal", mean = 1, sd = 1 }
x3 = { dist = "normal", mean = 0, sd = 2 }
x4 = { dist = "normal", mean = 0, sd = 1.5 }
[formulas]
y = "x1 + 2 * x2 - x3 + 0.5 * x4"
[correlations]
pairs = [["x2", "x3", 0.5], ["x3", "x4", -0.3]]
)TOML");
  const Plan plan(s);
  std::vector<bool> wanted(plan.series().size(), false);
  wanted[plan.index("y")] = true;
  const ShapleyResult r = shapley_effects(plan, 7, 100'000, wanted, 2);
  REQUIRE(r.outputs.size() == 1);
  REQUIRE(r.inputs.size() == 4);
  const double sd[] = {1, 1, 2, 1.5};
  Eigen::MatrixXd sigma = Eigen::MatrixXd::Zero(4, 4);
  for (int i = 0; i < 4; ++i) sigma(i, i) = sd[i] * sd[i];
  const auto r23 = 2 * std::sin(std::numbers::pi * 0.5 / 6), r34 = 2 * std::sin(std::numbers::pi * -0.3 / 6);
  sigma(1, 2) = sigma(2, 1) = r23 * sd[1] * sd[2];
  sigma(2, 3) = sigma(3, 2) = r34 * sd[2] * sd[3];
  Eigen::VectorXd beta(4);
  beta << 1, 2, -1, 0.5;
  const std::vector<double> exact = exact_shapley(beta, sigma);
  double sum = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    const SobolIndex& e = r.outputs[0].effect[i];
    INFO("x" << i + 1 << ": Sh = " << e.index << " ± " << e.se << ", exact " << exact[i]);
    CHECK(std::fabs(e.index - exact[i]) <= 4 * e.se);
    CHECK(e.se < 0.01);
    sum += e.index;
  }
  CHECK(std::fabs(sum - 1) < 1e-12);
  CHECK(std::fabs(r.outputs[0].variance - beta.dot(sigma * beta)) <= 0.02 * beta.dot(sigma * beta));
}

TEST_CASE("shapley: the same bits on 1 and 3 threads, and --sobol shows them for correlated inputs", "[shapley][cli]") {
  const std::string text = "[inputs]\na = { dist = \"lognormal\", p5 = 1, p95 = 4 }\nb = { dist = \"beta\", mean = 0.3, sd = 0.1 }\n"
                           "c = { dist = \"uniform\", min = 0, max = 1 }\n[formulas]\ny = \"a * b + c\"\n"
                           "[correlations]\npairs = [[\"a\", \"b\", 0.6]]\n";
  const Plan plan(test::scenario(text));
  std::vector<bool> wanted(plan.series().size(), false);
  wanted[plan.index("y")] = true;
  const ShapleyResult one = shapley_effects(plan, 3, 5'000, wanted, 1), three = shapley_effects(plan, 3, 5'000, wanted, 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(one.outputs[0].effect[i].index == three.outputs[0].effect[i].index);
    CHECK(one.outputs[0].effect[i].se == three.outputs[0].effect[i].se);
  }
  const test::TempDir dir;
  const std::string f = dir.write("c.toml", "[scenario]\nname = \"c\"\n" + text);
  const std::string out = (dir.path() / "c.h5").string();
  const auto p = test::run_tamcarlo({"run", f, "-n", "20000", "--sobol", "-o", out});
  INFO(p.err);
  REQUIRE(p.exit_code == 0);
  CHECK_THAT(p.out, Contains("Shapley effects of y") && Contains("Shapley effects are shown: Sobol' indices assume independent"));
  CHECK_FALSE(p.out.find("Sobol' indices of y") != std::string::npos);
  CHECK(read_dataset(out, "/summary/y/shapley/effect").size() == 3);
  CHECK(read_number_attribute(out, "/summary/y/shapley", "permutations") == 20000);
}

TEST_CASE("decision: a suite member's decision is computed and reported like a scenario's", "[decision][suite]") {
  const test::TempDir dir;
  (void)dir.write("voi.toml", k_invest + "[outputs]\nreport = [\"invest\"]\n");
  const std::string stars = "stars = { market = 1, logic = 1, compute = 1, corpus = 1 }\n";
  const std::string suite = dir.write("s.toml", "[suite]\nname = \"s\"\nrank_by = \"market\"\n[cells.a]\nfile = \"voi.toml\"\n"
                                                "market = \"invest\"\n" + stars + "[cells.b]\nfile = \"voi.toml\"\n"
                                                "market = \"invest\"\n" + stars);
  const std::string out = (dir.path() / "s.h5").string();
  const auto p = test::run_tamcarlo({"run", suite, "-n", "20000", "-o", out});
  INFO(p.err);
  REQUIRE(p.exit_code == 0);
  CHECK(read_string_attribute(out, "/cells/a/decision", "best") == "invest");
  const auto j = test::run_tamcarlo({"run", suite, "-n", "20000", "--json"});
  REQUIRE(j.exit_code == 0);
  const nlohmann::json r = nlohmann::json::parse(j.out.substr(0, j.out.find('\n')));
  CHECK(r["members"]["a"]["decision"]["evppi"].size() == 3);
}
