#include "sim/run.hpp"

#include "sim/engine.hpp"
#include "sim/error.hpp"
#include "sim/results_file.hpp"
#include "sim/output.hpp"
#include "sim/text.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>

namespace tamcarlo {

RunSummary run_scenario(const Scenario& s, const RunOptions& opt) {
  const auto start = std::chrono::steady_clock::now();
  const Plan plan(s);
  const auto& vars = plan.variables();

  RunSummary out;
  out.scenario_path = s.path;
  out.name = s.name;
  out.title = s.title;
  out.unit = s.unit;
  out.seed = opt.seed.value_or(s.seed.value_or(k_default_seed));
  out.point_only = opt.point_only;
  out.threads = opt.threads != 0 ? opt.threads : static_cast<unsigned>(tbb::info::default_concurrency());
  for (const auto& v : vars) {
    VariableSummary vs;
    vs.var = v;
    vs.reported = std::find(s.report.begin(), s.report.end(), v.name) != s.report.end();
    vs.stored = !opt.point_only && !opt.output.empty() &&
                (opt.store == Store::all || (opt.store == Store::report && vs.reported));
    out.variables.push_back(std::move(vs));
  }
  if (opt.point_only) return out;

  out.samples = opt.samples.value_or(s.samples.value_or(k_default_samples));
  std::size_t held = 0;
  for (const auto& v : out.variables) held += v.stored || v.reported;
  const double need = static_cast<double>(held) * static_cast<double>(out.samples) * sizeof(double);
  const double have = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGESIZE));
  if (need > 0.9 * have)
    throw RunError(fmt::format("{} samples of {} variables need {:.1f} GiB in memory (exact quantiles hold every "
                               "sample), but this machine has {:.1f} GiB; use fewer samples, `--store report` or "
                               "`--store none`, or fewer reported variables",
                               thousands(out.samples), held, need / (1u << 30), have / (1u << 30)));
  // Open the file first: an unwritable target fails before a long run, not after.
  std::unique_ptr<ResultWriter> writer;
  if (!opt.output.empty()) writer = std::make_unique<ResultWriter>(opt.output);

  EngineOptions eo;
  eo.seed = out.seed;
  eo.samples = out.samples;
  eo.threads = opt.threads;
  eo.progress = opt.progress;
  eo.cancel = opt.cancel;
  for (const auto& v : out.variables) eo.keep.push_back(v.stored || v.reported);
  EngineOutput result = run_engine(plan, eo);

  if (writer) {
    writer->write_run(s, out.seed, out.samples, opt.store);
    for (std::size_t v = 0; v < vars.size(); ++v)
      if (out.variables[v].stored) writer->write_samples(vars[v].name, result.columns[v], vars[v].unit);
  }
  // Quantiles reorder the held samples in place, so they come after the samples are written.
  tbb::task_arena arena(opt.threads == 0 ? tbb::task_arena::automatic : static_cast<int>(opt.threads));
  arena.execute([&] {
    tbb::parallel_for(std::size_t{0}, vars.size(), [&](std::size_t v) {
      out.variables[v].moments = result.moments[v];
      if (!result.columns[v].empty()) out.variables[v].quantiles = quantiles(result.columns[v], k_report_probs);
      std::vector<double>().swap(result.columns[v]);
    });
  });
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (writer) {
    for (const auto& v : out.variables) writer->write_summary(v);
    // The CSV summary beside the HDF5 file, also written under a temporary name and renamed.
    AtomicTarget csv(std::filesystem::path(opt.output).replace_extension(".csv").string());
    {
      std::ofstream f(csv.temp(), std::ios::binary);
      write_csv(out, f);
      if (!f.flush()) throw RunError(fmt::format("cannot write {}", csv.temp()));
    }
    if (opt.cancel && opt.cancel->load()) throw Interrupted();
    writer->commit();
    out.output = writer->target();
    csv.commit();
  }
  return out;
}

}  // namespace tamcarlo
