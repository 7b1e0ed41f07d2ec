#include "sim/engine.hpp"

#include "sim/error.hpp"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>

namespace tamcarlo {

EngineOutput run_engine(const Plan& plan, const EngineOptions& opt) {
  const auto& series = plan.series();
  const std::size_t nseries = series.size();
  const std::uint64_t n = opt.samples;
  const std::size_t nblocks = static_cast<std::size_t>((n + k_block_size - 1) / k_block_size);
  // The series read after each pass: untimed ones after the draw (pass 0), year t's after pass t + 1.
  std::vector<std::vector<std::size_t>> passes(plan.years().size() + 1);
  for (std::size_t i = 0; i < nseries; ++i) passes[static_cast<std::size_t>(series[i].year + 1)].push_back(i);

  EngineOutput out;
  out.columns.resize(nseries);
  for (std::size_t i = 0; i < nseries; ++i)
    if (i < opt.keep.size() && opt.keep[i]) out.columns[i].resize(n);

  std::vector<Moments> block_moments(nblocks * nseries);  // [block][series]
  tbb::enumerable_thread_specific<Workspace> workspaces([&] { return plan.workspace(k_block_size); });
  std::atomic<std::uint64_t> done{0};

  const auto body = [&](const tbb::blocked_range<std::size_t>& range) {
    Workspace& ws = workspaces.local();
    for (std::size_t b = range.begin(); b != range.end(); ++b) {
      if (opt.cancel && opt.cancel->load(std::memory_order_relaxed)) return;
      const std::uint64_t first = b * k_block_size;
      const std::size_t rows = static_cast<std::size_t>(std::min<std::uint64_t>(k_block_size, n - first));
      for (std::size_t pass = 0; pass < passes.size(); ++pass) {
        if (pass == 0) plan.evaluate(ws, opt.seed, first, rows);
        else plan.evaluate_year(ws, pass - 1, rows);
        for (const std::size_t i : passes[pass]) {
          const double* col = ws.col(static_cast<Eigen::Index>(series[i].var)).data();
          block_moments[b * nseries + i] = Moments::of(std::span<const double>(col, rows));
          if (!out.columns[i].empty())
            std::copy(col, col + rows, out.columns[i].begin() + static_cast<std::ptrdiff_t>(first));
        }
      }
      const std::uint64_t now = done.fetch_add(rows, std::memory_order_relaxed) + rows;
      if (opt.progress) opt.progress(now, n);
    }
  };
  tbb::task_arena arena(opt.threads == 0 ? tbb::task_arena::automatic : static_cast<int>(opt.threads));
  arena.execute([&] { tbb::parallel_for(tbb::blocked_range<std::size_t>(0, nblocks), body); });
  if (opt.cancel && opt.cancel->load()) throw Interrupted();

  out.moments.resize(nseries);
  for (std::size_t b = 0; b < nblocks; ++b)  // fixed order: identical for any thread count
    for (std::size_t i = 0; i < nseries; ++i) out.moments[i].merge(block_moments[b * nseries + i]);
  return out;
}

}  // namespace tamcarlo
