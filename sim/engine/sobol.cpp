#include "sim/engine/sobol.hpp"

#include "sim/random/rng.hpp"
#include "sim/stats/statistics.hpp"

#include <boost/math/distributions/students_t.hpp>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tamcarlo {
namespace {

// Sums of one block for one output: 5 moments of A and B, then per input the first- and total-order sums.
enum Sum : std::size_t { count, a, a2, b, b2, per_input };

}  // namespace

SobolResult sobol_indices(const Plan& plan, std::uint64_t seed, std::uint64_t n, const std::vector<bool>& wanted,
                          unsigned threads) {
  if (n < 2 * k_sobol_batches) throw std::invalid_argument("sobol_indices: too few samples");
  SobolResult out;
  out.n = n;
  out.batches = k_sobol_batches;
  out.correlated = plan.has_correlations();
  for (std::uint32_t v = 0; v < plan.inputs(); ++v)
    if (!plan.constant_input(v)) out.inputs.push_back(v);
  const std::size_t k = out.inputs.size();
  // Wanted series: untimed ones, and each timed variable at the last year.
  std::vector<std::size_t> series;
  std::int32_t year = -1;
  for (std::size_t s = 0; s < plan.series().size(); ++s) {
    if (!wanted[s]) continue;
    const Series& ser = plan.series()[s];
    if (ser.year >= 0 && static_cast<std::size_t>(ser.year) + 1 != plan.years().size()) continue;
    if (ser.year >= 0) year = ser.year;
    series.push_back(s);
  }
  const std::size_t width = per_input + 2 * k;
  const std::uint64_t seed_b = seed ^ variable_id("sobol:B");
  const std::uint64_t blocks = (n + k_block_size - 1) / k_block_size;
  std::vector<std::vector<double>> sums(blocks, std::vector<double>(series.size() * width, 0.0));
  const auto values = [&](Workspace& ws, std::size_t rows) {
    plan.compute(ws, rows);
    if (year >= 0) plan.evaluate_year(ws, static_cast<std::size_t>(year), rows);
  };
  tbb::task_arena arena(threads == 0 ? tbb::task_arena::automatic : static_cast<int>(threads));
  arena.execute([&] {
    tbb::parallel_for(std::uint64_t{0}, blocks, [&](std::uint64_t blk) {
      const std::uint64_t first = blk * k_block_size;
      const std::size_t rows = static_cast<std::size_t>(std::min<std::uint64_t>(k_block_size, n - first));
      Workspace wa = plan.workspace(rows), wb = plan.workspace(rows), wx = plan.workspace(rows);
      plan.draw_mc(wa, seed, first, rows);
      plan.draw_mc(wb, seed_b, first, rows);
      values(wa, rows);
      values(wb, rows);
      // f(A_B⁽ⁱ⁾) per input, per output series: [input][series][row]
      std::vector<std::vector<std::vector<double>>> fx(k, std::vector<std::vector<double>>(series.size()));
      for (std::size_t i = 0; i < k; ++i) {
        const auto col = static_cast<Eigen::Index>(out.inputs[i]);
        // inputs of A (every formula and temporary slot is rewritten by values(), constants stay) ...
        wx.leftCols(static_cast<Eigen::Index>(plan.inputs())) = wa.leftCols(static_cast<Eigen::Index>(plan.inputs()));
        wx.col(col) = wb.col(col);  // ... with input i from B
        values(wx, rows);
        for (std::size_t o = 0; o < series.size(); ++o) {
          const auto c = static_cast<Eigen::Index>(plan.series()[series[o]].var);
          fx[i][o].assign(wx.col(c).data(), wx.col(c).data() + rows);
        }
      }
      std::vector<double>& s = sums[blk];
      for (std::size_t o = 0; o < series.size(); ++o) {
        const auto c = static_cast<Eigen::Index>(plan.series()[series[o]].var);
        double* t = s.data() + o * width;
        for (std::size_t r = 0; r < rows; ++r) {
          const double fa = wa(static_cast<Eigen::Index>(r), c), fb = wb(static_cast<Eigen::Index>(r), c);
          bool finite = std::isfinite(fa) && std::isfinite(fb);
          for (std::size_t i = 0; i < k && finite; ++i) finite = std::isfinite(fx[i][o][r]);
          if (!finite) continue;
          t[count] += 1;
          t[a] += fa;
          t[a2] += fa * fa;
          t[b] += fb;
          t[b2] += fb * fb;
          for (std::size_t i = 0; i < k; ++i) {
            const double d = fx[i][o][r] - fa;
            t[per_input + 2 * i] += fb * d;
            t[per_input + 2 * i + 1] += d * d;
          }
        }
      }
    });
  });
  // Batches of consecutive blocks; sums merged in block order (the same bits on any number of threads).
  const unsigned nb = static_cast<unsigned>(std::min<std::uint64_t>(k_sobol_batches, blocks));
  out.batches = nb;
  const double t95 = nb > 1 ? boost::math::quantile(boost::math::students_t_distribution<double>(nb - 1), 0.975) : 0;
  for (std::size_t o = 0; o < series.size(); ++o) {
    std::vector<std::vector<double>> batch(nb, std::vector<double>(width, 0.0));
    std::vector<double> all(width, 0.0);
    for (std::uint64_t blk = 0; blk < blocks; ++blk) {
      const std::size_t bi = static_cast<std::size_t>(blk * nb / blocks);
      for (std::size_t w = 0; w < width; ++w) {
        batch[bi][w] += sums[blk][o * width + w];
        all[w] += sums[blk][o * width + w];
      }
    }
    // V over A and B together; S_i and ST_i from the sums.
    const auto estimate = [&](const std::vector<double>& t, std::size_t i, bool total) {
      const double m = t[count], mean = (t[a] + t[b]) / (2 * m);
      const double var = (t[a2] + t[b2]) / (2 * m) - mean * mean;
      return total ? t[per_input + 2 * i + 1] / (2 * m) / var : t[per_input + 2 * i] / m / var;
    };
    SobolOutput so;
    so.series = series[o];
    {
      const double m = all[count], mean = (all[a] + all[b]) / (2 * m);
      so.variance = (all[a2] + all[b2]) / (2 * m) - mean * mean;
      so.skipped = n - static_cast<std::uint64_t>(m);
    }
    for (const bool total : {false, true}) {
      auto& dest = total ? so.total : so.first;
      for (std::size_t i = 0; i < k; ++i) {
        SobolIndex x;
        x.index = estimate(all, i, total);
        double mean = 0, ss = 0;
        std::vector<double> est;
        for (const auto& t : batch) est.push_back(estimate(t, i, total));
        for (const double e : est) mean += e / nb;
        for (const double e : est) ss += (e - mean) * (e - mean);
        x.se = nb > 1 ? std::sqrt(ss / (nb - 1) / nb) : std::numeric_limits<double>::quiet_NaN();
        x.lo = x.index - t95 * x.se;
        x.hi = x.index + t95 * x.se;
        dest.push_back(x);
      }
    }
    out.outputs.push_back(std::move(so));
  }
  return out;
}

}  // namespace tamcarlo
