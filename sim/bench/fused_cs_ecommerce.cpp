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
  const std::uint64_t id_staff = variable_id("jd_staff"), id_retail = variable_id("online_retail"),
                      id_salary = variable_id("salary"), id_share = variable_id("automation_share");
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
      // First Philox blocks computed back to back per group of 16 samples, as the engine's samplers do.
      constexpr std::uint64_t group = 16;
      std::array<SampleStream::Block, group> b1, b2, b3, b4;
      for (std::uint64_t g = lo; g < hi; g += group) {
        const std::uint64_t m = std::min(group, hi - g);
        for (std::uint64_t k = 0; k < m; ++k) {
          b1[k] = SampleStream::first_block(seed, id_staff, g + k);
          b2[k] = SampleStream::first_block(seed, id_retail, g + k);
          b3[k] = SampleStream::first_block(seed, id_salary, g + k);
          b4[k] = SampleStream::first_block(seed, id_share, g + k);
        }
        for (std::uint64_t k = 0; k < m; ++k) {
          const std::uint64_t i = g + k;
          SampleStream s1(seed, id_staff, i, b1[k]), s2(seed, id_retail, i, b2[k]), s3(seed, id_salary, i, b3[k]),
              s4(seed, id_share, i, b4[k]);
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
  fmt::print("single thread, {} draws each; ns per draw (one SampleStream per draw, as the engine does)\n", n);
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
  fmt::print("  Philox4x64 call alone   {:7.1f}\n", ns_per_draw([&](std::uint64_t i) {
               SampleStream s(seed, id, i);
               return static_cast<double>(s());
             }, n));
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
