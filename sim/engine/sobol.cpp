#include "sim/engine/sobol.hpp"

#include "sim/base/error.hpp"

#include "sim/random/rng.hpp"
#include "sim/stats/statistics.hpp"

#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tamcarlo {

std::vector<std::size_t> global_series(const Plan& plan, const std::vector<bool>& wanted, std::int32_t& year) {
  std::vector<std::size_t> series;
  year = -1;
  for (std::size_t s = 0; s < plan.series().size(); ++s) {
    if (!wanted[s]) continue;
    const Series& ser = plan.series()[s];
    if (ser.year >= 0 && static_cast<std::size_t>(ser.year) + 1 != plan.years().size()) continue;
    if (ser.year >= 0) year = ser.year;
    series.push_back(s);
  }
  return series;
}

SobolResult sobol_indices(const Plan& plan, std::uint64_t seed, std::uint64_t n, const std::vector<bool>& wanted,
                          unsigned threads, const std::atomic<bool>* cancel) {
  const auto cancelled = [cancel] { return cancel && cancel->load(std::memory_order_relaxed); };
  if (n < 2 * k_sobol_batches) throw std::invalid_argument("sobol_indices: too few samples");
  SobolResult out;
  out.n = n;
  out.correlated = plan.has_correlations();
  for (std::uint32_t v = 0; v < plan.inputs(); ++v)
    if (!plan.constant_input(v)) out.inputs.push_back(v);
  const std::size_t k = out.inputs.size();
  std::int32_t year = -1;
  const std::vector<std::size_t> series = global_series(plan, wanted, year);
  const std::uint64_t seed_b = seed ^ variable_id("sobol:B");
  const std::uint64_t blocks = (n + k_block_size - 1) / k_block_size;
  // sums[o][blk]: output o's Saltelli sums over block blk.
  std::vector<std::vector<SaltelliSums>> sums(series.size(), std::vector<SaltelliSums>(blocks, SaltelliSums(k)));
  const auto values = [&](Workspace& ws, std::size_t rows) {
    plan.compute(ws, rows);
    if (year >= 0) plan.evaluate_year(ws, seed, 0, static_cast<std::size_t>(year), rows);  // (no yearly inputs: refused)
  };
  tbb::task_arena arena(threads == 0 ? tbb::task_arena::automatic : static_cast<int>(threads));
  arena.execute([&] {
    tbb::parallel_for(std::uint64_t{0}, blocks, [&](std::uint64_t blk) {
      if (cancelled()) return;  // the rest is skipped; Interrupted is thrown below
      const std::uint64_t first = blk * k_block_size;
      const std::size_t rows = static_cast<std::size_t>(std::min<std::uint64_t>(k_block_size, n - first));
      Workspace wa = plan.workspace(rows), wb = plan.workspace(rows), wx = plan.workspace(rows);
      plan.draw_mc(wa, seed, first, rows);
      plan.draw_mc(wb, seed_b, first, rows);
      values(wa, rows);
      values(wb, rows);
      // f(A_B⁽ⁱ⁾) per output series, row and input: fx[o][r·k + i]
      std::vector<std::vector<double>> fx(series.size(), std::vector<double>(rows * k));
      const auto inputs = static_cast<Eigen::Index>(plan.inputs());
      for (std::size_t i = 0; i < k; ++i) {
        if (cancelled()) return;
        // inputs of A (every formula and temporary slot is rewritten by values(), constants stay) ...
        wx.leftCols(inputs) = wa.leftCols(inputs);
        wx.col(static_cast<Eigen::Index>(out.inputs[i])) = wb.col(static_cast<Eigen::Index>(out.inputs[i]));  // ... with input i from B
        values(wx, rows);
        for (std::size_t o = 0; o < series.size(); ++o) {
          const auto c = static_cast<Eigen::Index>(plan.series()[series[o]].var);
          for (std::size_t r = 0; r < rows; ++r) fx[o][r * k + i] = wx(static_cast<Eigen::Index>(r), c);
        }
      }
      for (std::size_t o = 0; o < series.size(); ++o) {
        const auto c = static_cast<Eigen::Index>(plan.series()[series[o]].var);
        for (std::size_t r = 0; r < rows; ++r)
          sums[o][blk].add(wa(static_cast<Eigen::Index>(r), c), wb(static_cast<Eigen::Index>(r), c),
                           std::span<const double>(fx[o].data() + r * k, k));
      }
    });
  });
  if (cancelled()) throw Interrupted();
  // Batches of consecutive blocks; sums merged in block order (the same bits on any number of threads).
  for (std::size_t o = 0; o < series.size(); ++o) {
    const SobolEstimate e = estimate_sobol(sums[o], k);
    SobolOutput so;
    so.series = series[o];
    so.first = e.first;
    so.total = e.total;
    so.variance = e.variance;
    so.skipped = n - static_cast<std::uint64_t>(e.rows);
    out.batches = e.batches;
    out.outputs.push_back(std::move(so));
  }
  if (series.empty()) out.batches = static_cast<unsigned>(std::min<std::uint64_t>(k_sobol_batches, blocks));
  return out;
}

}  // namespace tamcarlo
