// Benchmark baseline: the cs-ecommerce model as one hand-written fused loop (the practical limit
// for tamcarlo's engine), using the same samplers and computing the same statistics of the outputs:
// moments, and exact percentiles with their CIs by multi-selection over the stored columns.
//   bench_fused N SEED THREADS      → runs the model, prints P50 of market and samples/s
//   bench_fused --draw-only N SEED THREADS → only draws the four inputs with the same samplers and sums them: the
//                                    yardstick for a sampling pass (prints its own seconds)
//   bench_fused --per-distribution  → ns per draw of each sampler, and Boost.Random's for comparison
#include "sim/random/distribution.hpp"
#include "sim/stats/statistics.hpp"

#include <boost/random/beta_distribution.hpp>
#include <boost/random/gamma_distribution.hpp>
#include <boost/random/normal_distribution.hpp>
#include <fmt/format.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/parallel_invoke.h>
#include <oneapi/tbb/task_arena.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

using namespace tamcarlo;
using Clock = std::chrono::steady_clock;

namespace {

int run_model(std::uint64_t n, std::uint64_t seed, int threads) {
  const auto start = Clock::now();
  // The same samplers as the engine (SIMD Philox words, vectorized first tries), one block of each input at a
  // time, then the formulas fused into one loop: no interpreter, no per-column passes beyond the moments.
  const std::uint64_t id_staff = variable_id("jd_staff"), id_retail = variable_id("online_retail"),
                      id_salary = variable_id("salary"), id_share = variable_id("automation_share");
  const Sampler staff_law(Triangular{20000, 22000, 26000}), retail_law(Normal{15.42e12, 0.3e12}),
      salary_law(LogNormal{std::log(75000.0), 0.15}), share_law(Beta{10, 10});
  const SimdLevel level = best_simd_level();
  const double goods = 8.712e11;
  std::vector<double> headcount(n), market(n);
  constexpr std::uint64_t chunk = k_block_size;
  const std::uint64_t chunks = (n + chunk - 1) / chunk;
  std::vector<Moments> mh(chunks), mm(chunks);
  tbb::task_arena arena(threads);
  arena.execute([&] {
    tbb::parallel_for(std::uint64_t{0}, chunks, [&](std::uint64_t c) {
      const std::uint64_t lo = c * chunk, hi = std::min(n, lo + chunk);
      const std::size_t m = hi - lo;
      thread_local std::vector<double> staff(chunk), retail(chunk), salary(chunk), share(chunk);
      staff_law.fill(seed, id_staff, lo, {staff.data(), m}, level);
      retail_law.fill(seed, id_retail, lo, {retail.data(), m}, level);
      salary_law.fill(seed, id_salary, lo, {salary.data(), m}, level);
      share_law.fill(seed, id_share, lo, {share.data(), m}, level);
      double* h = headcount.data() + lo;
      double* mk = market.data() + lo;
      for (std::size_t k = 0; k < m; ++k) {
        h[k] = staff[k] * retail[k] / goods;
        mk[k] = h[k] * salary[k] * share[k];
      }
      mh[c] = Moments::of(std::span<const double>(h, m));
      mm[c] = Moments::of(std::span<const double>(mk, m));
    });
  });
  Moments th, tm;
  for (std::uint64_t c = 0; c < chunks; ++c) {
    th.merge(mh[c]);
    tm.merge(mm[c]);
  }
  std::vector<QuantileEstimate> qh, qm;
  arena.execute([&] {
    tbb::parallel_invoke([&] { qh = quantiles(headcount, k_report_probs); },
                         [&] { qm = quantiles(market, k_report_probs); });
  });
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  fmt::print("market mean {:.6g} sd {:.4g} p50 {:.6g}; headcount p50 {:.6g}; {:.3g} samples/s\n", tm.mean, tm.sd(),
             qm[4].value, qh[4].value, static_cast<double>(n) / secs);
  return 0;
}

template <class F>
double ns_per_draw(F&& f, std::uint64_t n) {
  double sink = 0;
  const auto start = Clock::now();
  for (std::uint64_t i = 0; i < n; ++i) sink += f(i);
  const double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count() / static_cast<double>(n);
  if (sink == 42.0) fmt::print(" ");  // keeps the loop from being optimized away
  return ns;
}

// The four inputs drawn block by block, as the engine's samplers draw them, and only summed: what a sampling pass
// of this model cannot go below.
int draw_only(std::uint64_t n, std::uint64_t seed, int threads) {
  const auto start = Clock::now();
  const std::uint64_t ids[] = {variable_id("jd_staff"), variable_id("online_retail"), variable_id("salary"),
                               variable_id("automation_share")};
  const Sampler laws[] = {Sampler(Triangular{20000, 22000, 26000}), Sampler(Normal{15.42e12, 0.3e12}),
                          Sampler(LogNormal{std::log(75000.0), 0.15}), Sampler(Beta{10, 10})};
  const SimdLevel level = best_simd_level();
  constexpr std::uint64_t chunk = k_block_size;
  const std::uint64_t chunks = (n + chunk - 1) / chunk;
  std::vector<double> sums(chunks);
  tbb::task_arena arena(threads);
  arena.execute([&] {
    tbb::parallel_for(std::uint64_t{0}, chunks, [&](std::uint64_t c) {
      const std::uint64_t lo = c * chunk, hi = std::min(n, lo + chunk);
      thread_local std::vector<double> block(chunk);
      double total = 0;
      for (int k = 0; k < 4; ++k) {
        laws[k].fill(seed, ids[k], lo, {block.data(), hi - lo}, level);
        for (std::uint64_t i = 0; i < hi - lo; ++i) total += block[i];
      }
      sums[c] = total;
    });
  });
  double total = 0;
  for (const double x : sums) total += x;
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  fmt::print("draw-only {:.6f} s (sum {:.6g})\n", secs, total);
  return 0;
}

int per_distribution() {
  constexpr std::uint64_t n = 5'000'000;
  const std::uint64_t seed = 1, id = variable_id("x");
  const SimdLevel best = best_simd_level();
  fmt::print("single thread, {} draws each; ns per draw: one SampleStream per draw (scalar words), and a block\n"
             "of {} at once by Sampler::fill ({} words, vectorized first tries)\n", n, k_block_size, simd_name(best));
  const std::vector<std::pair<const char*, Distribution>> laws = {
      {"constant", Constant{1}},
      {"uniform", Uniform{0, 1}},
      {"triangular", Triangular{20000, 22000, 26000}},
      {"pert(1,2,10)", Pert{1, 2, 10}},
      {"normal", Normal{0, 1}},
      {"truncnormal", TruncNormal{0.4, 0.3, 0, 1}},
      {"lognormal", LogNormal{0, 0.15}},
      {"beta(10,10)", Beta{10, 10}},
      {"gamma(3,1)", Gamma{3, 1}},
      {"gamma(0.5,1)", Gamma{0.5, 1}},
      {"discrete(4)", Discrete{{1, 2, 3, 4}, {1, 1, 1, 1}}},
  };
  for (const auto& [name, law] : laws) {
    const Sampler sampler(law);
    const double one = ns_per_draw([&](std::uint64_t i) {
      SampleStream s(seed, id, i);
      return sampler.draw(s);
    }, n);
    std::vector<double> block(k_block_size);
    const double filled = ns_per_draw([&](std::uint64_t i) {
      if (i % k_block_size == 0) sampler.fill(seed, id, i, block, best);
      return block[i % k_block_size];
    }, n);
    fmt::print("  tamcarlo {:<14} {:7.1f}  {:7.1f}\n", name, one, filled);
  }
  fmt::print("  Philox4x32, 2 calls     {:7.1f}   (a sample's first 4 words, scalar)\n", ns_per_draw([&](std::uint64_t i) {
               SampleStream s(seed, id, i);
               return static_cast<double>(s());
             }, n));
  const StreamKey key = stream_key(seed, id);
  for (const SimdLevel level : {SimdLevel::avx2, SimdLevel::avx512}) {
    if (!simd_supported(level)) continue;
    std::array<std::uint64_t, 4 * 64> words{};
    fmt::print("  Philox4x32, 2 calls     {:7.1f}   ({}, 64 samples a batch)\n",
               ns_per_draw([&](std::uint64_t i) {
                 if (i % 64 == 0) stream_words(level, key, i, 64, words.data());
                 return static_cast<double>(words[4 * (i % 64)]);
               }, n), simd_name(level));
  }
  boost::random::normal_distribution<double> bn;
  boost::random::gamma_distribution<double> bg(3.0);
  boost::random::beta_distribution<double> bb(10.0, 10.0);
  fmt::print("  boost    normal         {:7.1f}\n", ns_per_draw([&](std::uint64_t i) {
               SampleStream s(seed, id, i);
               return bn(s);
             }, n));
  fmt::print("  boost    gamma(3,1)     {:7.1f}\n", ns_per_draw([&](std::uint64_t i) {
               SampleStream s(seed, id, i);
               return bg(s);
             }, n));
  fmt::print("  boost    beta(10,10)    {:7.1f}\n", ns_per_draw([&](std::uint64_t i) {
               SampleStream s(seed, id, i);
               return bb(s);
             }, n));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "--per-distribution") return per_distribution();
  if (argc == 5 && std::string(argv[1]) == "--draw-only")
    return draw_only(std::strtoull(argv[2], nullptr, 10), std::strtoull(argv[3], nullptr, 10), std::atoi(argv[4]));
  if (argc != 4) {
    fmt::print(stderr, "usage: bench_fused N SEED THREADS | bench_fused --draw-only N SEED THREADS | bench_fused --per-distribution\n");
    return 1;
  }
  return run_model(std::strtoull(argv[1], nullptr, 10), std::strtoull(argv[2], nullptr, 10), std::atoi(argv[3]));
}
