#include "sim/engine/decision.hpp"

#include "sim/base/error.hpp"
#include "sim/stats/statistics.hpp"

#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <cmath>

namespace tamcarlo {

namespace {

// Batches of consecutive blocks the sums are kept in (merged in batch order): fixed, so threads change no bit.
constexpr std::uint64_t k_decision_batches = 32;

// One question's binning: per input, the slot and the edges (quantiles j/B, j = 1..B−1); cells = Π B.
struct Binning {
  std::vector<std::uint32_t> slots;
  std::vector<std::vector<double>> edges;
  std::uint32_t bins = 0;
  std::size_t cells = 1;
};

}  // namespace

std::uint32_t decision_bins(std::uint64_t n, std::size_t g) {
  const double b = std::floor(std::pow(static_cast<double>(n), 1.0 / static_cast<double>(g + 2)) + 1e-9);
  const double lo = g == 1 ? 4 : 2, hi = g == 1 ? 1000 : 64;
  return static_cast<std::uint32_t>(std::clamp(b, lo, hi));
}

DecisionEstimate decide(const Plan& plan, const std::vector<std::uint32_t>& options,
                        const std::vector<DecisionQuestion>& questions, std::uint64_t seed, std::uint64_t samples,
                        std::uint64_t n, unsigned threads, const std::atomic<bool>* cancel) {
  const auto cancelled = [cancel] { return cancel && cancel->load(std::memory_order_relaxed); };
  std::vector<Binning> bins;
  std::vector<std::size_t> cells;
  for (const DecisionQuestion& q : questions) {
    Binning b;
    b.slots = q.inputs;
    b.bins = decision_bins(n, q.inputs.size());
    for (const std::uint32_t v : q.inputs) {
      const QuantileFunction quantile(plan.law(v));
      std::vector<double> e;
      for (std::uint32_t j = 1; j < b.bins; ++j) e.push_back(quantile(static_cast<double>(j) / b.bins));
      b.edges.push_back(std::move(e));
      b.cells *= b.bins;
    }
    cells.push_back(b.cells);
    bins.push_back(std::move(b));
  }
  // Shift each option's sums by its value at the inputs' points (their squares then stay small).
  const std::vector<double> point = plan.evaluate_point();
  std::vector<double> shift;
  for (const std::uint32_t o : options) shift.push_back(std::isfinite(point[o]) ? point[o] : 0.0);

  const std::uint64_t blocks = (n + k_block_size - 1) / k_block_size;
  const std::uint64_t nb = std::max<std::uint64_t>(1, std::min(k_decision_batches, blocks));
  std::vector<DecisionSums> batch(nb, DecisionSums(shift, cells));
  tbb::task_arena arena(threads == 0 ? tbb::task_arena::automatic : static_cast<int>(threads));
  arena.execute([&] {
    tbb::parallel_for(std::uint64_t{0}, nb, [&](std::uint64_t b) {
      Workspace ws = plan.workspace(k_block_size);
      std::vector<double> value(options.size());
      std::vector<std::uint32_t> cell(bins.size());
      DecisionSums& sums = batch[b];
      for (std::uint64_t blk = b * blocks / nb; blk < (b + 1) * blocks / nb; ++blk) {
        if (cancelled()) return;  // Interrupted is thrown below
        const std::uint64_t first = blk * k_block_size;
        const auto rows = static_cast<std::size_t>(std::min<std::uint64_t>(k_block_size, n - first));
        plan.evaluate(ws, seed, samples, first, rows);
        for (std::size_t r = 0; r < rows; ++r) {
          const auto row = static_cast<Eigen::Index>(r);
          for (std::size_t k = 0; k < options.size(); ++k) value[k] = ws(row, static_cast<Eigen::Index>(options[k]));
          for (std::size_t q = 0; q < bins.size(); ++q) {
            std::size_t c = 0;
            for (std::size_t d = 0; d < bins[q].slots.size(); ++d) {
              const double x = ws(row, static_cast<Eigen::Index>(bins[q].slots[d]));
              const auto& e = bins[q].edges[d];
              c = c * bins[q].bins + static_cast<std::size_t>(std::upper_bound(e.begin(), e.end(), x) - e.begin());
            }
            cell[q] = static_cast<std::uint32_t>(c);
          }
          sums.add(value, cell, static_cast<unsigned>((first + r) & 1U));
        }
      }
    });
  });
  if (cancelled()) throw Interrupted();
  DecisionSums all(shift, cells);
  for (const DecisionSums& s : batch) all.merge(s);
  return estimate_decision(all);
}

}  // namespace tamcarlo
