// Cluster runs: MPI ranks, job-array shards merged, checkpoints resumed and --precision, each compared
// bit for bit with the single-process run (every dataset and attribute, by h5diff).
#include "sim/io/results_file.hpp"
#include "tests/support.hpp"

#include <catch2/catch.hpp>

#include <thread>
#include <signal.h>

#include <cstdlib>
#include <filesystem>

using Catch::Contains;
namespace fs = std::filesystem;
using namespace tamcarlo;

namespace {

const std::string k_example = test::source_path("scenarios/cells/cs_ecommerce.toml");
const std::string k_suite = test::source_path("scenarios/matrix.toml");

// `tamcarlo run file -o out` with `extra`; REQUIREs success.
void run_ok(const std::string& file, const fs::path& out, std::vector<std::string> extra) {
  std::vector<std::string> args = {"run", file, "-o", out.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto p = test::run_tamcarlo(args);
  INFO(p.err);
  REQUIRE(p.exit_code == 0);
}

// Shards 0..k-1 of `file` into `dir`, then their merge into `out`.
test::Process shard_and_merge(const std::string& file, const fs::path& dir, const fs::path& out, int k,
                              const std::vector<std::string>& extra) {
  std::vector<std::string> merge = {"merge"};
  for (int i = 0; i < k; ++i) {
    std::vector<std::string> args = extra;
    args.insert(args.end(), {"--shard", std::to_string(i) + "/" + std::to_string(k)});
    run_ok(file, dir / ("part" + std::to_string(i) + ".h5"), args);
    merge.push_back((dir / ("part" + std::to_string(i) + ".h5")).string());
  }
  merge.insert(merge.end(), {"-o", out.string()});
  return test::run_tamcarlo(merge);
}

// The reference model with `design = KIND` (7 replicates), written into `dir`.
std::string with_design(const test::TempDir& dir, const std::string& kind) {
  std::string text = test::slurp(k_example);
  const std::size_t at = text.find("[scenario]\n");
  REQUIRE(at != std::string::npos);
  text.insert(at + 11, "design = \"" + kind + "\"\nreplicates = 7\n");
  return dir.write("design_" + kind + ".toml", text);
}

}  // namespace

TEST_CASE("cluster: K shards merged give the single run's file, bit for bit", "[cluster]") {
  const test::TempDir dir;
  SECTION("the reference model with every sample stored, 3 shards") {
    const std::vector<std::string> opts = {"-n", "300000", "--seed", "11"};
    run_ok(k_example, dir.path() / "single.h5", opts);
    const auto m = shard_and_merge(k_example, dir.path(), dir.path() / "merged.h5", 3, opts);
    INFO(m.err);
    REQUIRE(m.exit_code == 0);
    CHECK(test::h5_differences((dir.path() / "single.h5").string(), (dir.path() / "merged.h5").string()).empty());
    CHECK(test::slurp(dir.path() / "single.csv") == test::slurp(dir.path() / "merged.csv"));
  }
  SECTION("a Latin hypercube run (its replicates' moments travel in the parts too), 3 shards") {
    const std::string file = with_design(dir, "lhs");
    const std::vector<std::string> opts = {"-n", "100003", "--store", "none"};  // replicates cut inside blocks
    run_ok(file, dir.path() / "single.h5", opts);
    const auto m = shard_and_merge(file, dir.path(), dir.path() / "merged.h5", 3, opts);
    INFO(m.err);
    REQUIRE(m.exit_code == 0);
    CHECK(test::h5_differences((dir.path() / "single.h5").string(), (dir.path() / "merged.h5").string()).empty());
  }
  SECTION("the suite (nine cells, the matrix and the projections), 3 shards") {
    const std::vector<std::string> opts = {"-n", "40000"};
    run_ok(k_suite, dir.path() / "single.h5", opts);
    const auto m = shard_and_merge(k_suite, dir.path(), dir.path() / "merged.h5", 3, opts);
    INFO(m.err);
    REQUIRE(m.exit_code == 0);
    CHECK(test::h5_differences((dir.path() / "single.h5").string(), (dir.path() / "merged.h5").string()).empty());
  }
  SECTION("a conditioned run ([evidence]: weights, priors and the stored weights travel in the parts), 3 shards") {
    const std::string file = test::source_path("scenarios/projections/llm_market_cn.toml");
    const std::vector<std::string> opts = {"-n", "140000", "--store", "all"};  // past 131,072: a pilot
    run_ok(file, dir.path() / "single.h5", opts);
    const auto m = shard_and_merge(file, dir.path(), dir.path() / "merged.h5", 3, opts);
    INFO(m.err);
    REQUIRE(m.exit_code == 0);
    CHECK(test::h5_differences((dir.path() / "single.h5").string(), (dir.path() / "merged.h5").string()).empty());
  }
  SECTION("more shards than blocks (3 blocks, 5 shards), a stress case beside the base") {
    const std::string inv = test::source_path("scenarios/investments/augment.toml");
    const std::vector<std::string> opts = {"-n", "10000", "--stress", "bear"};
    run_ok(inv, dir.path() / "single.h5", opts);
    const auto m = shard_and_merge(inv, dir.path(), dir.path() / "merged.h5", 5, opts);
    INFO(m.err);
    REQUIRE(m.exit_code == 0);
    CHECK(test::h5_differences((dir.path() / "single.h5").string(), (dir.path() / "merged.h5").string()).empty());
  }
}

TEST_CASE("cluster: merge refuses parts that do not make one whole run", "[cluster][errors]") {
  const test::TempDir dir;
  const auto part = [&](int i, const std::string& seed) {
    const fs::path p = dir.path() / ("s" + seed + "-" + std::to_string(i) + ".h5");
    run_ok(k_example, p, {"-n", "50000", "--seed", seed, "--shard", std::to_string(i) + "/3"});
    return p.string();
  };
  const std::string a0 = part(0, "1"), a1 = part(1, "1"), a2 = part(2, "1"), b2 = part(2, "2");
  const auto merge = [&](std::vector<std::string> parts) {
    parts.insert(parts.begin(), "merge");
    parts.insert(parts.end(), {"-o", (dir.path() / "out.h5").string()});
    return test::run_tamcarlo(parts);
  };
  const auto missing = merge({a0, a2});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Contains("shard 1 of 3 is missing"));
  const auto twice = merge({a0, a1, a1, a2});
  CHECK(twice.exit_code == 1);
  CHECK_THAT(twice.err, Contains("shard 1 of 3 is given twice: " + a1 + " and " + a1));
  const auto seed = merge({a0, a1, b2});
  CHECK(seed.exit_code == 1);
  CHECK_THAT(seed.err, Contains(a0 + " and " + b2 + " are not parts of one run: seed 1 vs 2"));
  const auto result = test::run_tamcarlo({"run", k_example, "-n", "1000", "-o", (dir.path() / "r.h5").string()});
  REQUIRE(result.exit_code == 0);
  const auto foreign = merge({a0, (dir.path() / "r.h5").string()});
  CHECK(foreign.exit_code == 1);
  CHECK_THAT(foreign.err, Contains((dir.path() / "r.h5").string() + " is the result of a whole run, not a shard's part"));
  const std::string cut = dir.write("cut.h5", test::slurp(a1).substr(0, 3000));
  const auto truncated = merge({a0, cut, a2});
  CHECK(truncated.exit_code == 3);
  CHECK_THAT(truncated.err, Contains(cut));
  CHECK_FALSE(fs::exists(dir.path() / "out.h5"));
  // A part is not a result: report says what to do with it.
  const auto report = test::run_tamcarlo({"report", a0, "-o", (dir.path() / "rep").string()});
  CHECK(report.exit_code == 1);
  CHECK_THAT(report.err, Contains("one part of a sharded run, not a result: join the parts with `tamcarlo merge"));
}

TEST_CASE("cluster: a run killed (SIGKILL) after a checkpoint resumes to the uninterrupted result", "[cluster]") {
  const test::TempDir dir;
  const std::vector<std::string> opts = {"-n", "2e7", "--store", "report", "--threads", "2"};
  run_ok(k_example, dir.path() / "whole.h5", opts);
  std::vector<std::string> args = {"run", k_example, "-o", (dir.path() / "r.h5").string(), "--checkpoint", "0.05"};
  args.insert(args.end(), opts.begin(), opts.end());
  const auto killed = test::kill_tamcarlo_when(args, dir.path() / "r.h5.checkpoint", SIGKILL);
  REQUIRE(killed.exit_code == 128 + SIGKILL);
  REQUIRE(fs::exists(dir.path() / "r.h5.checkpoint"));
  CHECK_FALSE(fs::exists(dir.path() / "r.h5"));
  // report on the checkpoint names it and says how to finish the run.
  const auto report = test::run_tamcarlo({"report", (dir.path() / "r.h5.checkpoint").string(), "-o",
                                          (dir.path() / "rep").string()});
  CHECK(report.exit_code == 1);
  CHECK_THAT(report.err, Contains("checkpoint of an unfinished run, not a result") && Contains("--resume"));
  args.push_back("--resume");
  const auto resumed = test::run_tamcarlo(args);
  INFO(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  CHECK_THAT(resumed.err, Contains("resuming from " + (dir.path() / "r.h5.checkpoint").string()));
  CHECK(test::h5_differences((dir.path() / "whole.h5").string(), (dir.path() / "r.h5").string()).empty());
  CHECK_FALSE(fs::exists(dir.path() / "r.h5.checkpoint"));  // removed once the result is written
  // A checkpoint of another run is refused, not silently used.
  const auto again = test::kill_tamcarlo_when(args, dir.path() / "r.h5.checkpoint", SIGKILL);
  REQUIRE(fs::exists(dir.path() / "r.h5.checkpoint"));
  // Without --resume the run says it starts afresh.
  const auto afresh = test::run_tamcarlo({"run", k_example, "-o", (dir.path() / "r.h5").string(), "-n", "100000"});
  CHECK(afresh.exit_code == 0);
  CHECK_THAT(afresh.err, Contains("holds a checkpoint of an earlier run; this run starts afresh"));
  (void)test::kill_tamcarlo_when(args, dir.path() / "r.h5.checkpoint", SIGKILL);
  REQUIRE(fs::exists(dir.path() / "r.h5.checkpoint"));
  args.insert(args.end(), {"--seed", "5"});
  const auto other = test::run_tamcarlo(args);
  CHECK(other.exit_code == 1);
  CHECK_THAT(other.err, Contains("cannot resume from") && Contains("it has seed 20240101, this run 5"));
}

TEST_CASE("cluster: --precision stops at the same N on 1 and 2 threads, and meets its target", "[cluster]") {
  const test::TempDir dir;
  const auto run = [&](const std::string& name, const std::string& threads) {
    run_ok(k_example, dir.path() / name, {"--precision", "market.p50=0.25%", "--store", "none", "--threads", threads});
    return (dir.path() / name).string();
  };
  const std::string one = run("one.h5", "1"), two = run("two.h5", "2");
  CHECK(test::h5_differences(one, two).empty());
  CHECK_THAT(read_string_attribute(one, "/", "precision"), Contains("reached at N = "));
  // The stored P50 and its 95% CI (order statistics) meet the target; the round before would not have.
  const auto q = read_dataset(one, "/summary/market/quantile");
  const auto lo = read_dataset(one, "/summary/market/quantile_lo"), hi = read_dataset(one, "/summary/market/quantile_hi");
  CHECK(0.5 * (hi[4] - lo[4]) / q[4] <= 0.0025);
  const auto n = static_cast<std::uint64_t>(read_number_attribute(one, "/", "samples"));
  CHECK(n % 65536 == 0);
  run_ok(k_example, dir.path() / "fewer.h5", {"-n", std::to_string(n / 2), "--store", "none"});
  const auto lo2 = read_dataset((dir.path() / "fewer.h5").string(), "/summary/market/quantile_lo");
  const auto hi2 = read_dataset((dir.path() / "fewer.h5").string(), "/summary/market/quantile_hi");
  const auto q2 = read_dataset((dir.path() / "fewer.h5").string(), "/summary/market/quantile");
  CHECK(0.5 * (hi2[4] - lo2[4]) / q2[4] > 0.0025);
  // A cap below the need is reported as such: the result is written, and exit 4 says the target was missed.
  const auto capped = test::run_tamcarlo({"run", k_example, "--precision", "market.p50=0.01%", "-n", "100000", "--store",
                                          "none", "-o", (dir.path() / "capped.h5").string()});
  REQUIRE(capped.exit_code == 4);
  CHECK_THAT(capped.out, Contains("NOT reached by the cap of 100,000 samples (-n) at N = 100,000"));
}

#if defined(TAMCARLO_MPIEXEC)
TEST_CASE("cluster: mpirun -np 1, 2 and 4 give the single run's file, bit for bit", "[cluster][mpi]") {
  const test::TempDir dir;
  const auto mpirun = [&](int k, const std::string& file, const fs::path& out, std::vector<std::string> opts) {
    std::vector<std::string> args = {"run", file, "-o", out.string(), "--threads", "1"};
    args.insert(args.end(), opts.begin(), opts.end());
    const auto p = test::run_launched({TAMCARLO_MPIEXEC, "--allow-run-as-root", "--oversubscribe", "-np", std::to_string(k)}, args);
    INFO(p.err);
    REQUIRE(p.exit_code == 0);
    return p;
  };
  for (const int k : {1, 2, 4}) {
    const std::vector<std::string> opts = {"-n", "200000"};
    run_ok(k_example, dir.path() / "single.h5", opts);
    const auto p = mpirun(k, k_example, dir.path() / "mpi.h5", opts);
    CHECK(test::h5_differences((dir.path() / "single.h5").string(), (dir.path() / "mpi.h5").string()).empty());
    if (k > 1) CHECK_THAT(p.out, Contains(std::to_string(k) + " ranks × 1 threads"));
  }
  const std::vector<std::string> suite = {"-n", "30000"};
  run_ok(k_suite, dir.path() / "suite.h5", suite);
  (void)mpirun(4, k_suite, dir.path() / "suite_mpi.h5", suite);
  CHECK(test::h5_differences((dir.path() / "suite.h5").string(), (dir.path() / "suite_mpi.h5").string()).empty());
  // A Sobol' design: the replicate SEs are merged across ranks like every other statistic.
  const std::string sobol = with_design(dir, "sobol");
  run_ok(sobol, dir.path() / "sobol.h5", {"-n", "100003", "--store", "none"});
  (void)mpirun(3, sobol, dir.path() / "sobol_mpi.h5", {"-n", "100003", "--store", "none"});
  CHECK(test::h5_differences((dir.path() / "sobol.h5").string(), (dir.path() / "sobol_mpi.h5").string()).empty());
  // A conditioned run: its weighted statistics, priors and stored weights.
  const std::string llm = test::source_path("scenarios/projections/llm_market_cn.toml");
  run_ok(llm, dir.path() / "llm.h5", {"-n", "100000", "--store", "all"});
  (void)mpirun(3, llm, dir.path() / "llm_mpi.h5", {"-n", "100000", "--store", "all"});
  CHECK(test::h5_differences((dir.path() / "llm.h5").string(), (dir.path() / "llm_mpi.h5").string()).empty());
  // --precision reaches the same N on 2 ranks as on one process.
  run_ok(k_example, dir.path() / "prec.h5", {"--precision", "market.p50=0.25%", "--store", "none"});
  (void)mpirun(2, k_example, dir.path() / "prec_mpi.h5", {"--precision", "market.p50=0.25%", "--store", "none"});
  CHECK(test::h5_differences((dir.path() / "prec.h5").string(), (dir.path() / "prec_mpi.h5").string()).empty());
}

TEST_CASE("cluster: a run alone never loads MPI, and a rank without its MPI plugin says where it looked (exit 1)",
          "[cluster][mpi]") {
  // The program itself does not link Open MPI: only its plugin does.
  const auto ldd = test::run_shell("ldd " + std::string(TAMCARLO_EXE));
  REQUIRE(ldd.exit_code == 0);
  CHECK_THAT(ldd.out, !Contains("libmpi"));
  const auto plugin = test::run_shell("ldd " + (fs::path(TAMCARLO_EXE).parent_path() / "tamcarlo-mpi.so").string());
  CHECK_THAT(plugin.out, Contains("libmpi"));
  // A copy of the program without its plugin, started as one of two ranks: a usage error naming both places.
  const test::TempDir dir;
  fs::copy_file(TAMCARLO_EXE, dir.path() / "tamcarlo");
  const auto p = test::run_shell("OMPI_COMM_WORLD_SIZE=2 " + (dir.path() / "tamcarlo").string() + " run " + k_example +
                                 " -n 1000 -o " + (dir.path() / "x.h5").string());
  INFO(p.out);
  CHECK(p.exit_code == 1);
  CHECK_THAT(p.out, Contains("started as one of 2 MPI ranks, but tamcarlo's MPI plugin (tamcarlo-mpi.so) cannot be "
                             "loaded") &&
                        Contains((dir.path() / "tamcarlo-mpi.so").string()) && Contains("lib/tamcarlo/tamcarlo-mpi.so"));
  CHECK(!fs::exists(dir.path() / "x.h5"));
}

TEST_CASE("cluster: a rank bound to fewer CPUs than its threads says how to unbind it", "[cluster][mpi]") {
  const test::TempDir dir;
  const auto launch = [&](const std::string& binding) {
    return test::run_launched({TAMCARLO_MPIEXEC, "--allow-run-as-root", "--oversubscribe", "--bind-to", binding, "-np", "1"},
                              {"run", k_example, "-n", "20000", "--threads", "2", "-o", (dir.path() / "b.h5").string()});
  };
  const auto bound = launch("core");
  INFO(bound.err);
  REQUIRE(bound.exit_code == 0);
  CHECK_THAT(bound.err, Contains("this rank may use 1 of the machine's") && Contains("asks for 2 threads") &&
                            Contains("--bind-to none"));
  const auto free = launch("none");
  REQUIRE(free.exit_code == 0);
  if (std::thread::hardware_concurrency() >= 2) CHECK_THAT(free.err, !Contains("mpirun bound it"));
  // Without a launcher, a narrower affinity (taskset) is named too.
  const auto pinned = test::run_shell("taskset -c 0 " + std::string(TAMCARLO_EXE) + " run " + k_example +
                                      " -n 20000 --threads 2 -o " + (dir.path() / "t.h5").string());
  CHECK(pinned.exit_code == 0);
  CHECK_THAT(pinned.out, Contains("this process may use 1 of the machine's") && Contains("--threads 1"));
}
#endif

TEST_CASE("cluster: a merge records the scenario path as the shards were given it, as the single run does", "[cluster]") {
  const test::TempDir dir;
  std::filesystem::copy_file(test::source_path("scenarios/cells/cs_finance.toml"), dir.path() / "s.toml");
  const auto run = [&](std::vector<std::string> args) {
    const auto p = test::run_tamcarlo(args, dir.path());
    INFO(p.err);
    REQUIRE(p.exit_code == 0);
  };
  run({"run", "s.toml", "-n", "20000", "--seed", "3", "-o", "single.h5"});
  run({"run", "s.toml", "-n", "20000", "--seed", "3", "--shard", "0/2", "-o", "p0.h5"});
  run({"run", "s.toml", "-n", "20000", "--seed", "3", "--shard", "1/2", "-o", "p1.h5"});
  run({"merge", "p0.h5", "p1.h5", "-o", "merged.h5"});
  const std::string single = (dir.path() / "single.h5").string(), merged = (dir.path() / "merged.h5").string();
  CHECK(read_string_attribute(merged, "/", "scenario_path") == "s.toml");
  CHECK(test::h5_differences(single, merged).empty());
}
