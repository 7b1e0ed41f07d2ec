#include "sim/engine.hpp"

#include "sim/error.hpp"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>

namespace tamcarlo {

EngineOutput run_engine(const Plan& plan, const EngineOptions& opt) {
  const std::size_t nvars = plan.variables().size();
  const std::uint64_t n = opt.samples;
  const std::size_t nblocks = static_cast<std::size_t>((n + k_block_size - 1) / k_block_size);

  EngineOutput out;
  out.columns.resize(nvars);
  for (std::size_t v = 0; v < nvars; ++v)
    if (v < opt.keep.size() && opt.keep[v]) out.columns[v].resize(n);

  std::vector<Moments> block_moments(nblocks * nvars);  // [block][variable]
  tbb::enumerable_thread_specific<Workspace> workspaces([&] { return plan.workspace(k_block_size); });
  std::atomic<std::uint64_t> done{0};

  const auto body = [&](const tbb::blocked_range<std::size_t>& range) {
    Workspace& ws = workspaces.local();
    for (std::size_t b = range.begin(); b != range.end(); ++b) {
      if (opt.cancel && opt.cancel->load(std::memory_order_relaxed)) return;
      const std::uint64_t first = b * k_block_size;
      const std::size_t rows = static_cast<std::size_t>(std::min<std::uint64_t>(k_block_size, n - first));
      plan.evaluate(ws, opt.seed, first, rows);
      for (std::size_t v = 0; v < nvars; ++v) {
        const double* col = ws.col(static_cast<Eigen::Index>(v)).data();
        block_moments[b * nvars + v] = Moments::of(std::span<const double>(col, rows));
        if (!out.columns[v].empty()) std::copy(col, col + rows, out.columns[v].begin() + static_cast<std::ptrdiff_t>(first));
      }
      const std::uint64_t now = done.fetch_add(rows, std::memory_order_relaxed) + rows;
      if (opt.progress) opt.progress(now, n);
    }
  };
  tbb::task_arena arena(opt.threads == 0 ? tbb::task_arena::automatic : static_cast<int>(opt.threads));
  arena.execute([&] { tbb::parallel_for(tbb::blocked_range<std::size_t>(0, nblocks), body); });
  if (opt.cancel && opt.cancel->load()) throw Interrupted();

  out.moments.resize(nvars);
  for (std::size_t b = 0; b < nblocks; ++b)  // fixed order: identical for any thread count
    for (std::size_t v = 0; v < nvars; ++v) out.moments[v].merge(block_moments[b * nvars + v]);
  return out;
}

}  // namespace tamcarlo
