// Benchmark baseline: the cs-ecommerce model as one hand-written fused loop (the practical limit
// for tamcarlo's engine), using the same samplers and computing the same statistics of the outputs.
//   bench_fused N SEED THREADS      → runs the model, prints P50 of market and samples/s
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
  const StreamKey k_staff = stream_key(seed, variable_id("jd_staff")), k_retail = stream_key(seed, variable_id("online_retail")),
                  k_salary = stream_key(seed, variable_id("salary")), k_share = stream_key(seed, variable_id("automation_share"));
  const SimdLevel level = best_simd_level();
  const double goods = 8.712e11, mu = std::log(75000.0), sigma = 0.15;
  const GammaConstants g10 = GammaConstants::of(10);
  std::vector<double> headcount(n), market(n);
  constexpr std::uint64_t chunk = k_block_size;
  const std::uint64_t chunks = (n + chunk - 1) / chunk;
  std::vector<Moments> mh(chunks), mm(chunks);
  tbb::task_arena arena(threads);
  arena.execute([&] {
    tbb::parallel_for(std::uint64_t{0}, chunks, [&](std::uint64_t c) {
      const std::uint64_t lo = c * chunk, hi = std::min(n, lo + chunk);
      // Each variable's first four words for a group of samples at once, in SIMD registers (as the engine).
      constexpr std::uint64_t group = 64;
      alignas(64) std::array<std::uint64_t, 4 * group> w1, w2, w3, w4;
      for (std::uint64_t g = lo; g < hi; g += group) {
        const std::uint64_t m = std::min(group, hi - g);
        stream_words(level, k_staff, g, m, w1.data());
        stream_words(level, k_retail, g, m, w2.data());
        stream_words(level, k_salary, g, m, w3.data());
        stream_words(level, k_share, g, m, w4.data());
        for (std::uint64_t k = 0; k < m; ++k) {
          const std::uint64_t i = g + k;
          SampleStream s1(k_staff, i, &w1[4 * k]), s2(k_retail, i, &w2[4 * k]), s3(k_salary, i, &w3[4 * k]),
              s4(k_share, i, &w4[4 * k]);
          const double p = s1.uniform();  // triangular(20000, 22000, 26000) by inverse cdf
          const double staff = p < 2000.0 / 6000.0 ? 20000 + std::sqrt(p * 6000.0 * 2000.0)
                                                   : 26000 - std::sqrt((1 - p) * 6000.0 * 4000.0);
          const double retail = 15.42e12 + 0.3e12 * standard_normal(s2);
          const double salary = std::exp(mu + sigma * standard_normal(s3));
          const double x = standard_gamma(s4, g10), y = standard_gamma(s4, g10);
          const double h = staff * retail / goods;
          headcount[i] = h;
          market[i] = h * salary * (x / (x + y));
        }
      }
      mh[c] = Moments::of(std::span<const double>(headcount).subspan(lo, hi - lo));
      mm[c] = Moments::of(std::span<const double>(market).subspan(lo, hi - lo));
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

int per_distribution() {
  constexpr std::uint64_t n = 5'000'000;
  const std::uint64_t seed = 1, id = variable_id("x");
  fmt::print("single thread, {} draws each; ns per draw (one SampleStream per draw, scalar words)\n", n);
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
    fmt::print("  tamcarlo {:<14} {:7.1f}\n", name, ns_per_draw([&](std::uint64_t i) {
                 SampleStream s(seed, id, i);
                 return sampler.draw(s);
               }, n));
  }
  fmt::print("  Philox4x32, 2 calls     {:7.1f}   (a sample's first 4 words, scalar)\n", ns_per_draw([&](std::uint64_t i) {
               SampleStream s(seed, id, i);
               return static_cast<double>(s());
             }, n));
  const StreamKey key = stream_key(seed, id);
  for (const SimdLevel level : {SimdLevel::sse2, SimdLevel::avx2, SimdLevel::avx512}) {
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
  if (argc != 4) {
    fmt::print(stderr, "usage: bench_fused N SEED THREADS | bench_fused --per-distribution\n");
    return 1;
  }
  return run_model(std::strtoull(argv[1], nullptr, 10), std::strtoull(argv[2], nullptr, 10), std::atoi(argv[3]));
}
