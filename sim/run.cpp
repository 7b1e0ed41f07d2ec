#include "sim/run.hpp"

#include "sim/engine.hpp"
#include "sim/error.hpp"
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

Simulation simulate(const Scenario& s, const RunOptions& opt) {
  const auto start = std::chrono::steady_clock::now();
  const Plan plan(s);
  const auto& vars = plan.variables();

  Simulation sim;
  RunSummary& out = sim.summary;
  out.scenario_path = s.path;
  out.name = s.name;
  out.title = s.title;
  out.unit = s.unit;
  out.years = s.years;
  out.seed = opt.seed.value_or(s.seed.value_or(k_default_seed));
  out.point_only = opt.point_only;
  out.threads = opt.threads != 0 ? opt.threads : static_cast<unsigned>(tbb::info::default_concurrency());
  std::vector<std::vector<double>> points(std::max<std::size_t>(1, s.years.size()));
  for (std::size_t t = 0; t < points.size(); ++t) points[t] = plan.evaluate_point(t);
  for (const Series& ser : plan.series()) {
    VariableSummary vs;
    vs.var = vars[ser.var];
    if (ser.year >= 0) vs.year = s.years[static_cast<std::size_t>(ser.year)];
    vs.point = points[static_cast<std::size_t>(std::max(0, ser.year))][ser.var];
    vs.reported = std::find(s.report.begin(), s.report.end(), vs.var.name) != s.report.end();
    vs.stored = !opt.point_only && !opt.output.empty() &&
                (opt.store == Store::all || (opt.store == Store::report && vs.reported));
    out.variables.push_back(std::move(vs));
  }
  if (opt.point_only) return sim;

  out.samples = opt.samples.value_or(s.samples.value_or(k_default_samples));
  std::size_t held = 0;
  for (const auto& v : out.variables) held += v.stored || v.reported;
  const double need = static_cast<double>(held) * static_cast<double>(out.samples) * sizeof(double);
  const double have = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGESIZE));
  if (need > 0.9 * have)
    throw RunError(fmt::format("{}: {} samples of {} series need {:.1f} GiB in memory (exact quantiles hold every "
                               "sample), but this machine has {:.1f} GiB; use fewer samples, `--store report` or "
                               "`--store none`, or fewer reported variables",
                               s.name, thousands(out.samples), held, need / (1u << 30), have / (1u << 30)));
  EngineOptions eo;
  eo.seed = out.seed;
  eo.samples = out.samples;
  eo.threads = opt.threads;
  eo.progress = opt.progress;
  eo.cancel = opt.cancel;
  for (const auto& v : out.variables) eo.keep.push_back(v.stored || v.reported);
  EngineOutput result = run_engine(plan, eo);
  for (std::size_t i = 0; i < out.variables.size(); ++i) out.variables[i].moments = result.moments[i];
  sim.columns = std::move(result.columns);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return sim;
}

void finish_statistics(Simulation& sim, unsigned threads) {
  const auto start = std::chrono::steady_clock::now();
  auto& vars = sim.summary.variables;
  tbb::task_arena arena(threads == 0 ? tbb::task_arena::automatic : static_cast<int>(threads));
  arena.execute([&] {
    tbb::parallel_for(std::size_t{0}, vars.size(), [&](std::size_t i) {
      if (!sim.columns[i].empty()) vars[i].quantiles = quantiles(sim.columns[i], k_report_probs);
      std::vector<double>().swap(sim.columns[i]);
    });
  });
  sim.summary.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

namespace {

// Calls f(first, count) for each variable's run of consecutive series (a timed variable has one per year).
template <class F>
void for_each_variable(const std::vector<VariableSummary>& series, F f) {
  for (std::size_t i = 0; i < series.size();) {
    std::size_t j = i + 1;
    while (j < series.size() && series[j].var.name == series[i].var.name) ++j;
    f(i, j - i);
    i = j;
  }
}

}  // namespace

void write_samples(RunGroup& group, const Simulation& sim) {
  const auto& series = sim.summary.variables;
  for_each_variable(series, [&](std::size_t first, std::size_t count) {
    if (!series[first].stored) return;
    std::vector<std::span<const double>> columns;
    for (std::size_t k = first; k < first + count; ++k) columns.emplace_back(sim.columns[k]);
    const std::span<const int> years = series[first].year ? std::span<const int>(sim.summary.years) : std::span<const int>();
    group.write_samples(series[first].var.name, columns, years, series[first].var.unit);
  });
}

void write_summaries(RunGroup& group, const RunSummary& r) {
  for_each_variable(r.variables, [&](std::size_t first, std::size_t count) {
    group.write_summary(std::span<const VariableSummary>(r.variables).subspan(first, count));
  });
}

RunSummary run_scenario(const Scenario& s, const RunOptions& opt) {
  // Open the file first: an unwritable target fails before a long run, not after.
  std::unique_ptr<ResultWriter> writer;
  if (!opt.output.empty() && !opt.point_only) writer = std::make_unique<ResultWriter>(opt.output);
  Simulation sim = simulate(s, opt);
  if (!writer) {
    if (!opt.point_only) finish_statistics(sim, opt.threads);
    return sim.summary;
  }
  writer->write_version();
  h5::attr(writer->root(), "kind", "scenario");
  {
    RunGroup group(writer->root());  // closed before the commit
    group.write_run(s, sim.summary.seed, sim.summary.samples, opt.store);
    write_samples(group, sim);
    // Quantiles reorder the held samples in place, so they come after the samples are written.
    finish_statistics(sim, opt.threads);
    write_summaries(group, sim.summary);
  }
  // The CSV summary beside the HDF5 file, also written under a temporary name and renamed.
  AtomicTarget csv(std::filesystem::path(opt.output).replace_extension(".csv").string());
  {
    std::ofstream f(csv.temp(), std::ios::binary);
    write_csv(sim.summary, f);
    if (!f.flush()) throw RunError(fmt::format("cannot write {}", csv.temp()));
  }
  if (opt.cancel && opt.cancel->load()) throw Interrupted();
  writer->commit();
  sim.summary.output = writer->target();
  csv.commit();
  return sim.summary;
}

}  // namespace tamcarlo
