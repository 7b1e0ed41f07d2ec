#include "sim/engine/sensitivity.hpp"

#include "sim/engine/plan_source.hpp"
#include "sim/stats/rank_correlation.hpp"

#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <variant>

namespace tamcarlo {

SensitivityNeeds sensitivity_needs(const Plan& plan, std::uint64_t samples, const std::vector<bool>& wanted) {
  SensitivityNeeds out;
  out.samples = std::min(samples, k_sensitivity_samples);
  const auto& vars = plan.variables();
  const auto& series = plan.series();
  out.keep.assign(series.size(), false);
  for (std::size_t i = 0; i < series.size(); ++i) {
    const Variable& v = vars[series[i].var];
    if (v.input && v.law.rfind("constant(", 0) != 0) {
      out.inputs.push_back(series[i].var);
      out.keep[i] = true;
    }
    if (i < wanted.size() && wanted[i]) out.keep[i] = true;
  }
  const auto held = static_cast<std::uint64_t>(std::count(out.keep.begin(), out.keep.end(), true));
  if (held > 0) out.samples = std::min(out.samples, std::max<std::uint64_t>(1000, k_sensitivity_values / held));
  return out;
}

Sensitivity sensitivity(const Plan& plan, std::uint64_t seed, std::uint64_t samples, const std::vector<bool>& wanted,
                        unsigned threads, const std::vector<std::span<const double>>* kept) {
  Sensitivity out;
  const SensitivityNeeds needs = sensitivity_needs(plan, samples, wanted);
  out.inputs = needs.inputs;
  out.samples = needs.samples;
  const auto& series = plan.series();
  out.rho.resize(series.size());
  if (out.inputs.empty() || out.samples < 3) return out;
  // Each kept series' first values: from the run's pass when it kept them all, else re-drawn (the same values).
  bool have = kept != nullptr && kept->size() == series.size();
  for (std::size_t i = 0; have && i < series.size(); ++i) have = !needs.keep[i] || (*kept)[i].size() >= out.samples;
  EngineOutput run;
  if (have) {
    run.columns.resize(series.size());
    for (std::size_t i = 0; i < series.size(); ++i)
      if (needs.keep[i]) run.columns[i].assign((*kept)[i].begin(), (*kept)[i].begin() + static_cast<std::ptrdiff_t>(out.samples));
  } else {
    EngineOptions eo;
    eo.seed = seed;
    eo.samples = out.samples;
    eo.run_samples = samples;  // the run's first samples: a design's draws depend on the run's N
    eo.threads = threads;
    eo.keep = needs.keep;
    run = run_engine(plan, eo);
  }
  // Ranks of each input once; each wanted series against them (if it has non-finite samples, the
  // input ranks are recomputed over its finite pairs only).
  std::vector<std::size_t> input_series;
  for (const std::uint32_t v : out.inputs)
    for (std::size_t i = 0; i < series.size(); ++i)
      if (series[i].var == v) input_series.push_back(i);
  std::vector<std::vector<double>> input_ranks(input_series.size());
  std::vector<std::size_t> targets;
  for (std::size_t i = 0; i < series.size(); ++i)
    if (i < wanted.size() && wanted[i]) targets.push_back(i);
  tbb::task_arena arena(threads == 0 ? tbb::task_arena::automatic : static_cast<int>(threads));
  arena.execute([&] {
    tbb::parallel_for(std::size_t{0}, input_series.size(),
                      [&](std::size_t k) { input_ranks[k] = average_ranks(run.columns[input_series[k]]); });
    tbb::parallel_for(std::size_t{0}, targets.size(), [&](std::size_t t) {
      const std::vector<double>& y = run.columns[targets[t]];
      std::vector<std::size_t> ok;
      for (std::size_t k = 0; k < y.size(); ++k)
        if (std::isfinite(y[k])) ok.push_back(k);
      std::vector<double> rho;
      if (ok.size() == y.size()) {
        const std::vector<double> ry = average_ranks(y);
        for (const auto& rx : input_ranks) rho.push_back(pearson(rx, ry));
      } else {
        std::vector<double> yy, xx;
        for (const std::size_t k : ok) yy.push_back(y[k]);
        const std::vector<double> ry = average_ranks(yy);
        for (const std::size_t s : input_series) {
          xx.clear();
          for (const std::size_t k : ok) xx.push_back(run.columns[s][k]);
          rho.push_back(ok.size() >= 3 ? pearson(average_ranks(xx), ry) : std::nan(""));
        }
      }
      out.rho[targets[t]] = std::move(rho);
    });
  });
  return out;
}

}  // namespace tamcarlo
