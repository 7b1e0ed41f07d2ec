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

// out[r] = the number of edges ≤ x[r] (std::upper_bound's offset; NaN gives 0) for each of `rows` values: a binary
// search whose steps are arithmetic, not branches (a bin is as likely as any other, so a branch would be mispredicted
// half the time), taken step by step for all rows (the rows' loads overlap instead of chaining within each row).
void rank_all(const std::vector<double>& e, const double* x, std::size_t rows, std::uint32_t* out) {
  std::fill(out, out + rows, 0U);
  if (e.empty()) return;
  for (std::size_t n = e.size(); n > 1;) {
    const std::size_t half = n / 2;
    const double* at = e.data() + half - 1;
    for (std::size_t r = 0; r < rows; ++r) out[r] += static_cast<std::uint32_t>(half) * (at[out[r]] <= x[r]);
    n -= half;
  }
  for (std::size_t r = 0; r < rows; ++r) out[r] += static_cast<std::uint32_t>(e[out[r]] <= x[r]);
}

}  // namespace

std::uint32_t decision_bins(std::uint64_t n, std::size_t g) {
  const double b = std::floor(std::pow(static_cast<double>(n), 1.0 / static_cast<double>(g + 2)) + 1e-9);
  const double lo = g == 1 ? 4 : 2, hi = g == 1 ? 1000 : 64;
  return static_cast<std::uint32_t>(std::clamp(b, lo, hi));
}

DecisionEstimate decide(const Plan& plan, const std::vector<std::uint32_t>& options,
                        const std::vector<DecisionQuestion>& questions, std::uint64_t seed, std::uint64_t samples,
                        std::uint64_t n, unsigned threads, const std::atomic<bool>* cancel,
                        const std::vector<const double*>* kept) {
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
        binned.push_back({v, {}});  // (its edges below)
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

  const std::vector<Instruction> code = plan.code_for(options);  // (the questions' inputs are drawn: no formula)
  // Read from `kept` when every option and binned input is there.
  const auto at_hand = [&](std::uint32_t v) { return kept && v < kept->size() && (*kept)[v] != nullptr; };
  bool read = std::all_of(options.begin(), options.end(), at_hand);
  for (const BinnedInput& in : binned) read = read && at_hand(in.slot);
  const std::uint64_t blocks = (n + k_block_size - 1) / k_block_size;
  const std::uint64_t nb = std::max<std::uint64_t>(1, std::min(k_decision_batches, blocks));
  std::vector<DecisionSums> batch(nb, DecisionSums(shift, cells));
  tbb::task_arena arena(threads == 0 ? tbb::task_arena::automatic : static_cast<int>(threads));
  arena.execute([&] {
    // Each binned input's edges, its law's quantiles j/B (inversions: some milliseconds a law), on the run's threads.
    tbb::parallel_for(std::size_t{0}, binned.size(), [&](std::size_t i) {
      const std::uint32_t b = binned_key[i].second;
      for (std::uint32_t j = 1; j < b; ++j)
        binned[i].edges.push_back(quantile(plan.law(binned[i].slot), static_cast<double>(j) / b));
    });
    tbb::parallel_for(std::uint64_t{0}, nb, [&](std::uint64_t b) {
      Workspace ws = plan.workspace(read ? 1 : k_block_size);  // (reading: no block is drawn)
      std::vector<std::uint32_t> bin(binned.size() * k_block_size), grouped(bins.size() * k_block_size);
      std::vector<const double*> value(options.size());
      std::vector<const std::uint32_t*> cell(bins.size());
      DecisionSums& sums = batch[b];
      for (std::uint64_t blk = b * blocks / nb; blk < (b + 1) * blocks / nb; ++blk) {
        if (cancelled()) return;  // Interrupted is thrown below
        const std::uint64_t first = blk * k_block_size;
        const auto rows = static_cast<std::size_t>(std::min<std::uint64_t>(k_block_size, n - first));
        const auto column = [&](std::uint32_t v) -> const double* {
          return read ? (*kept)[v] + first : ws.col(static_cast<Eigen::Index>(v)).data();
        };
        if (!read) {
          plan.draw(ws, seed, samples, first, rows);
          plan.compute(ws, rows, code);
        }
        // Each binned input's bin per row, then each question's cell from its inputs' bins (a single input's cell is
        // its bin), column by column; the sums take the block whole.
        for (std::size_t i = 0; i < binned.size(); ++i) {
          const double* x = column(binned[i].slot);
          const std::vector<double>& e = binned[i].edges;
          rank_all(e, x, rows, bin.data() + i * k_block_size);
        }
        for (std::size_t q = 0; q < bins.size(); ++q) {
          const std::vector<std::size_t>& in = bins[q].binned;
          if (in.size() == 1) {
            cell[q] = bin.data() + in[0] * k_block_size;
            continue;
          }
          std::uint32_t* out = grouped.data() + q * k_block_size;
          std::fill(out, out + rows, 0U);
          for (const std::size_t i : in) {
            const std::uint32_t* x = bin.data() + i * k_block_size;
            for (std::size_t r = 0; r < rows; ++r) out[r] = out[r] * bins[q].bins + x[r];
          }
          cell[q] = out;
        }
        for (std::size_t k = 0; k < options.size(); ++k) value[k] = column(options[k]);
        sums.add_block(value, cell, rows, static_cast<unsigned>(first & 1U));
      }
    });
  });
  if (cancelled()) throw Interrupted();
  DecisionSums all(shift, cells);
  for (const DecisionSums& s : batch) all.merge(s);
  return estimate_decision(all);
}

}  // namespace tamcarlo
