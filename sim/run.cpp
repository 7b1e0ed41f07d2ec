#include "sim/run.hpp"

#include "sim/engine.hpp"
#include "sim/sensitivity.hpp"
#include "sim/error.hpp"
#include "sim/output.hpp"
#include "sim/target.hpp"
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
#include <optional>

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
    for (const auto& [name, spec] : s.risk)
      if (name == vs.var.name) vs.risk_spec = spec;
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
  // Which inputs drive each reported output (re-drawn on the first samples; the draws are the same).
  std::vector<bool> wanted;
  for (const auto& v : out.variables) wanted.push_back(v.reported && !v.var.input);
  const Sensitivity sens = sensitivity(plan, out.seed, out.samples, wanted, opt.threads);
  for (const std::uint32_t v : sens.inputs) out.sensitivity_inputs.push_back(vars[v].name);
  out.sensitivity_samples = sens.samples;
  for (std::size_t i = 0; i < out.variables.size(); ++i) out.variables[i].sensitivity = sens.rho[i];
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return sim;
}

void finish_statistics(Simulation& sim, unsigned threads) {
  const auto start = std::chrono::steady_clock::now();
  auto& vars = sim.summary.variables;
  tbb::task_arena arena(threads == 0 ? tbb::task_arena::automatic : static_cast<int>(threads));
  arena.execute([&] {
    tbb::parallel_for(std::size_t{0}, vars.size(), [&](std::size_t i) {
      if (sim.columns[i].empty()) return;
      if (vars[i].risk_spec) vars[i].risk = risk_of(sim.columns[i], *vars[i].risk_spec);
      vars[i].quantiles = quantiles(sim.columns[i], k_report_probs);
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
    group.write_summary(std::span<const VariableSummary>(r.variables).subspan(first, count), r.sensitivity_inputs,
                        r.sensitivity_samples);
  });
}

namespace {

// Moments of (b − a) over the paired samples.
Moments paired_difference(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> d(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) d[i] = b[i] - a[i];
  return Moments::over(d);
}

// /portfolio: the portfolio MOIC's quantiles and risk, rank correlations and tail contributions.
void write_portfolio(hid_t file, const PortfolioStats& p, double level) {
  const H5Handle g = h5::group(file, "portfolio");
  const hid_t id = g.get();
  const std::size_t h = p.names.size();
  h5::strings(id, "holding", p.names);
  h5::attr(id, "level", level);
  std::vector<double> q, lo, hi, probs;
  for (const auto& e : p.moic) {
    probs.push_back(e.p);
    q.push_back(e.value);
    lo.push_back(e.lo);
    hi.push_back(e.hi);
  }
  h5::dataset(id, "quantile_p", probs, {probs.size()});
  h5::dataset(id, "moic_quantile", q, {q.size()});
  h5::dataset(id, "moic_quantile_lo", lo, {lo.size()});
  h5::dataset(id, "moic_quantile_hi", hi, {hi.size()});
  h5::attr(id, "moic_mean", p.moic_moments.mean);
  h5::attr(id, "moic_mean_se", p.moic_moments.se());
  for (const auto& t : p.moic_risk.thresholds) {
    const std::string name = fmt::format("p_moic_{}_{:g}", t.below ? "below" : "at_least", t.threshold);
    h5::attr(id, name, t.p.p);
    h5::attr(id, name + "_lo", t.p.lo);
    h5::attr(id, name + "_hi", t.p.hi);
  }
  h5::attr(id, "moic_cvar", p.moic_risk.tails.at(0).cvar);
  h5::attr(id, "moic_cvar_se", p.moic_risk.tails.at(0).cvar_se);
  h5::dataset(id, "rank_correlation", p.rank_correlation, {h, h});
  h5::attr(id, "pnl_var", p.pnl_var);
  h5::attr(id, "pnl_cvar", p.pnl_cvar);
  h5::dataset(id, "contribution", p.contribution, {h});
  h5::dataset(id, "expected_pnl", p.expected_pnl, {h});
  std::vector<double> pl;
  for (const auto& x : p.p_loss) pl.push_back(x.p);
  h5::dataset(id, "p_loss", pl, {h});
  if (p.has_irr) {
    std::vector<double> iq;
    for (const auto& e : p.irr) iq.push_back(e.value);
    h5::dataset(id, "irr_quantile", iq, {iq.size()});
    h5::attr(id, "irr_mean", p.irr_moments.mean);
    h5::attr(id, "p_irr_negative", p.p_irr_negative.p);
    h5::attr(id, "irr_undefined_samples", p.irr_undefined);
  }
}

std::string stress_note(const Input& in) { return fmt::format("{} = {}", in.name, describe(in.dist)); }

}  // namespace

RunSummary run_scenario(const Scenario& s, const RunOptions& opt) {
  // Open the file first: an unwritable target fails before a long run, not after.
  std::unique_ptr<ResultWriter> writer;
  if (!opt.output.empty() && !opt.point_only) writer = std::make_unique<ResultWriter>(opt.output);
  Simulation sim = simulate(s, opt);
  std::optional<RunGroup> root;
  if (writer) {
    writer->write_version();
    h5::attr(writer->root(), "kind", "scenario");
    root.emplace(writer->root());
    root->write_run(s, sim.summary.seed, sim.summary.samples, opt.store);
    write_samples(*root, sim);
  }
  if (s.portfolio && !opt.point_only) {
    std::vector<std::string> names;
    std::vector<std::span<const double>> checks, proceeds, invested, exits;
    const auto column = [&](const std::string& name) {
      for (std::size_t i = 0; i < sim.summary.variables.size(); ++i)
        if (sim.summary.variables[i].var.name == name) return std::span<const double>(sim.columns[i]);
      throw std::logic_error("portfolio variable not held: " + name);
    };
    for (const Holding& h : s.portfolio->holdings) {
      names.push_back(h.name);
      checks.push_back(column(h.check));
      proceeds.push_back(column(h.proceeds));
      if (!h.invested.empty()) {
        invested.push_back(column(h.invested));
        exits.push_back(column(h.exit));
      }
    }
    tbb::task_arena arena(opt.threads == 0 ? tbb::task_arena::automatic : static_cast<int>(opt.threads));
    arena.execute([&] {
      sim.summary.portfolio = portfolio_stats(names, checks, proceeds, s.portfolio->level, invested, exits);
    });
    if (writer) write_portfolio(writer->root(), *sim.summary.portfolio, s.portfolio->level);
  }
  // Stressed cases, while the base's samples are still in order for the paired differences.
  std::optional<H5Handle> stress_group;
  for (const StressCase& c : opt.stresses) {
    const Scenario stressed = with_overrides(s, c.overrides);
    Simulation cs = simulate(stressed, opt);
    StressResult res;
    res.name = c.name;
    res.description = c.description;
    for (const Input& in : c.overrides) res.overrides.push_back(stress_note(in));
    res.delta.resize(cs.columns.size());
    for (std::size_t i = 0; i < cs.columns.size(); ++i)
      if (!cs.columns[i].empty() && !sim.columns[i].empty()) res.delta[i] = paired_difference(sim.columns[i], cs.columns[i]);
    std::optional<H5Handle> g;
    if (writer) {
      if (!stress_group) stress_group = h5::group(writer->root(), "stress");
      g = h5::group(stress_group->get(), c.name);
      h5::attr(g->get(), "stress", c.name);
      h5::attr(g->get(), "description", c.description);
      std::string notes;
      for (const auto& n : res.overrides) notes += (notes.empty() ? "" : "\n") + n;
      h5::attr(g->get(), "overrides", notes);
      RunGroup group(g->get());
      group.write_run(stressed, cs.summary.seed, cs.summary.samples, opt.store);
      write_samples(group, cs);
      if (!opt.point_only) finish_statistics(cs, opt.threads);
      write_summaries(group, cs.summary);
      // delta/: the paired differences, one row per held series.
      const H5Handle d = h5::group(g->get(), "delta");
      std::vector<std::string> label;
      std::vector<double> mean, se;
      for (std::size_t i = 0; i < res.delta.size(); ++i)
        if (res.delta[i].n > 0) {
          label.push_back(cs.summary.variables[i].label());
          mean.push_back(res.delta[i].mean);
          se.push_back(res.delta[i].se());
        }
      h5::strings(d.get(), "series", label);
      h5::dataset(d.get(), "mean", mean, {mean.size()});
      h5::dataset(d.get(), "mean_se", se, {se.size()});
    } else if (!opt.point_only) {
      finish_statistics(cs, opt.threads);
    }
    res.run = std::move(cs.summary);
    sim.summary.stresses.push_back(std::move(res));
  }
  stress_group.reset();
  if (!writer) {
    if (!opt.point_only) finish_statistics(sim, opt.threads);
    return sim.summary;
  }
  // Quantiles reorder the held samples in place, so they come after the samples are written.
  finish_statistics(sim, opt.threads);
  write_summaries(*root, sim.summary);
  root.reset();  // closed before the commit
  // The CSV summary beside the HDF5 file, also written under a temporary name and renamed.
  AtomicTarget csv(csv_beside(opt.output));
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
