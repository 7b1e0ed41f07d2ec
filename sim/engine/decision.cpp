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

// One input binned at B − 1 edges (its law's quantiles j/B, j = 1..B−1).
struct BinnedInput {
  std::uint32_t slot = 0;
  std::vector<double> edges;
};

// One question's binning: its inputs (indices into the binned inputs), B bins each; cells = B^g.
struct Binning {
  std::vector<std::size_t> binned;
  std::uint32_t bins = 0;
  std::size_t cells = 1;
};

// The number of edges ≤ x (std::upper_bound's offset), by a binary search whose steps are arithmetic, not branches
// (a bin is as likely as any other, so a branch would be mispredicted half the time); NaN gives 0.
std::uint32_t branchless_rank(const std::vector<double>& e, double x) {
  std::size_t lo = 0, n = e.size();
  if (n == 0) return 0;
  while (n > 1) {
    const std::size_t half = n / 2;
    lo += half * static_cast<std::size_t>(e[lo + half - 1] <= x);
    n -= half;
  }
  return static_cast<std::uint32_t>(lo + static_cast<std::size_t>(e[lo] <= x));
}

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
  std::vector<BinnedInput> binned;  // each (input, B) once, however many questions bin it
  std::vector<std::pair<std::uint32_t, std::uint32_t>> binned_key;
  std::vector<std::size_t> cells;
  for (const DecisionQuestion& q : questions) {
    Binning b;
    b.bins = decision_bins(n, q.inputs.size());
    for (const std::uint32_t v : q.inputs) {
      const std::pair key(v, b.bins);
      auto at = std::find(binned_key.begin(), binned_key.end(), key);
      if (at == binned_key.end()) {
        BinnedInput in{v, {}};
        for (std::uint32_t j = 1; j < b.bins; ++j) in.edges.push_back(quantile(plan.law(v), static_cast<double>(j) / b.bins));
        binned.push_back(std::move(in));
        binned_key.push_back(key);
        at = binned_key.end() - 1;
      }
      b.binned.push_back(static_cast<std::size_t>(at - binned_key.begin()));
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
      std::vector<std::uint32_t> bin(binned.size() * k_block_size);
      DecisionSums& sums = batch[b];
      for (std::uint64_t blk = b * blocks / nb; blk < (b + 1) * blocks / nb; ++blk) {
        if (cancelled()) return;  // Interrupted is thrown below
        const std::uint64_t first = blk * k_block_size;
        const auto rows = static_cast<std::size_t>(std::min<std::uint64_t>(k_block_size, n - first));
        plan.evaluate(ws, seed, samples, first, rows);
        // Each binned input's bin per row (column by column), then each question's cell from its inputs' bins.
        for (std::size_t i = 0; i < binned.size(); ++i) {
          const double* x = ws.col(static_cast<Eigen::Index>(binned[i].slot)).data();
          const std::vector<double>& e = binned[i].edges;
          std::uint32_t* out = bin.data() + i * k_block_size;
          for (std::size_t r = 0; r < rows; ++r) out[r] = branchless_rank(e, x[r]);
        }
        for (std::size_t r = 0; r < rows; ++r) {
          const auto row = static_cast<Eigen::Index>(r);
          for (std::size_t k = 0; k < options.size(); ++k) value[k] = ws(row, static_cast<Eigen::Index>(options[k]));
          for (std::size_t q = 0; q < bins.size(); ++q) {
            std::size_t c = 0;
            for (const std::size_t i : bins[q].binned) c = c * bins[q].bins + bin[i * k_block_size + r];
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
