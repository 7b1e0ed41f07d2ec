#include "sim/io/results_file.hpp"

#include "sim/io/h5.hpp"

#include <hdf5_hl.h>
#include "sim/io/output_path.hpp"
#include "sim/io/seal.hpp"
#include "sim/random/rng.hpp"

#include "sim/base/error.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <limits>

namespace tamcarlo {

namespace {

H5Handle open_file(const std::string& file) {
  h5_silence();
  return H5Handle(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "open " + file);
}

}  // namespace


namespace {

// summary/<name>/histogram: the chart histogram the main pass kept (counts as float64, exact below 2^53): the bins'
// edges and counts, the point masses counted apart, and the values below and above the bins.
void write_histogram(hid_t parent, const Histogram& h) {
  const H5Handle g = h5::group(parent, "histogram");
  const hid_t id = g.get();
  const HistogramLayout& l = h.layout;
  const std::size_t a = l.atoms.size();
  const auto count = [&](std::size_t slot) { return static_cast<double>(h.counts.at(slot)); };
  std::vector<double> atom_count, bin_count;
  for (std::size_t i = 0; i < a; ++i) atom_count.push_back(count(i));
  for (std::size_t b = 0; b < l.bins; ++b) bin_count.push_back(count(a + 1 + b));
  const auto edges = l.edges();
  h5::dataset(id, "edge", edges, {edges.size()}, {"edge"});
  h5::dataset(id, "count", bin_count, {bin_count.size()}, {"bin"});
  h5::dataset(id, "atom", l.atoms, {a}, {"atom"});
  h5::dataset(id, "atom_count", atom_count, {a}, {"atom"});
  h5::attr(id, "below", h.counts.at(a));
  h5::attr(id, "above", h.counts.at(a + 1 + l.bins));
  h5::attr(id, "log", std::uint64_t{l.log});
  if (h.weighted) h5::attr(id, "weight_unit", k_weight_unit);  // counts are weight units: k_weight_unit each
}

// summary/<name>/risk: tail levels with VaR (and CI) and CVaR (and SE), threshold probabilities, downside deviation.
void write_risk(hid_t parent, const RiskStats& k, bool upper_tail) {
  const H5Handle g = h5::group(parent, "risk");
  const hid_t id = g.get();
  h5::attr(id, "tail", upper_tail ? "upper" : "lower");
  std::vector<double> level, var, var_lo, var_hi, cvar, cvar_se;
  for (const auto& t : k.tails) {
    level.push_back(t.level);
    var.push_back(t.var.value);
    var_lo.push_back(t.var.lo);
    var_hi.push_back(t.var.hi);
    cvar.push_back(t.cvar);
    cvar_se.push_back(t.cvar_se);
  }
  for (const auto& [name, v] : {std::pair{"level", &level}, {"var", &var}, {"var_lo", &var_lo}, {"var_hi", &var_hi},
                                {"cvar", &cvar}, {"cvar_se", &cvar_se}})
    h5::dataset(id, name, *v, {v->size()}, {"level"});
  for (const bool below : {true, false}) {
    std::vector<double> t, p, lo, hi;
    for (const auto& x : k.thresholds)
      if (x.below == below) {
        t.push_back(x.threshold);
        p.push_back(x.p.p);
        lo.push_back(x.p.lo);
        hi.push_back(x.p.hi);
      }
    const std::string stem = below ? "below" : "at_least";
    const std::string dim = stem + "_threshold";
    h5::dataset(id, dim, t, {t.size()}, {dim});
    h5::dataset(id, "p_" + stem, p, {p.size()}, {dim});
    h5::dataset(id, "p_" + stem + "_lo", lo, {lo.size()}, {dim});
    h5::dataset(id, "p_" + stem + "_hi", hi, {hi.size()}, {dim});
  }
  h5::attr(id, "downside_target", k.downside_target);
  h5::attr(id, "semi_deviation", k.semi_deviation);
  h5::attr(id, "semi_deviation_se", k.semi_deviation_se);
}

}  // namespace

// The open file, its run groups and its sample datasets.
struct ResultWriter::Impl {
  struct Group {
    H5Handle group, samples, summary;
    H5Handle evidence;  // a conditioned run's evidence group, once made
    hid_t evidence_group() {
      if (evidence.get() == H5I_INVALID_HID) evidence = h5::group(group.get(), "evidence");
      return evidence.get();
    }
  };
  // Sample datasets filled as chunks of blocks complete: float64[N] or [N × T], chunked by 65,536 rows.
  struct Samples {
    H5Handle dataset;
    std::size_t columns = 1;
    std::string name;
  };
  AtomicTarget path;  // first member, destroyed last: the file closes before it removes the temporary
  H5Handle file;
  std::vector<H5Handle> parents;  // intermediate groups (stress/, cells/, matrix/columns)
  std::vector<Group> groups;
  std::vector<Samples> samples;
  std::size_t sample_columns = 0;

  explicit Impl(std::string target) : path(std::move(target)) {}

  // The group at `path` below the root, creating it and its parents if needed.
  hid_t open_or_create(const std::string& p) {
    if (p.empty()) return file.get();
    std::string at;
    hid_t parent = file.get();
    for (std::size_t start = 0; start <= p.size();) {
      const std::size_t slash = std::min(p.find('/', start), p.size());
      at += (at.empty() ? "" : "/") + p.substr(start, slash - start);
      if (H5Lexists(file.get(), at.c_str(), H5P_DEFAULT) > 0)
        parents.emplace_back(H5Gopen2(file.get(), at.c_str(), H5P_DEFAULT), H5Gclose, "open group " + at);
      else
        parents.push_back(h5::group(parent, p.substr(start, slash - start)));
      parent = parents.back().get();
      start = slash + 1;
    }
    return parent;
  }

  // samples/<name> in `parent`, its axes the dimension `sample` of the group `scales` (the run's group: no sample
  // dataset can take its name) and, for a timed one, `year`, the timeline's coordinate in `parent` (a reserved name),
  // each created with the first dataset that needs it.
  void add_samples(hid_t parent, hid_t scales, const std::string& name, std::uint64_t n, const std::string& unit,
                   std::span<const int> years) {
    const bool matrix = !years.empty();
    const hsize_t cols = matrix ? years.size() : 1;
    const hsize_t dims[2] = {n, cols};
    const H5Handle space(H5Screate_simple(matrix ? 2 : 1, dims, nullptr), H5Sclose, "create a dataspace");
    const H5Handle props(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "create dataset properties");
    const hsize_t chunk[2] = {std::max<hsize_t>(1, std::min<hsize_t>(n, 1 << 16)), 1};
    if (n > 0) h5_check(H5Pset_chunk(props.get(), matrix ? 2 : 1, chunk), "set chunking");
    H5Handle ds(H5Dcreate2(parent, name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, props.get(), H5P_DEFAULT),
                H5Dclose, "create dataset " + name);
    h5::attr(ds.get(), "unit", unit);
    if (matrix) h5::attr(ds.get(), "years", years);
    h5::dims(scales, ds.get(), {"sample"});
    if (matrix) {
      if (H5Lexists(parent, "year", H5P_DEFAULT) <= 0) h5::dataset(parent, "year", years, "year");
      const H5Handle year(H5Dopen2(parent, "year", H5P_DEFAULT), H5Dclose, "open year");
      h5_check(H5DSattach_scale(ds.get(), year.get(), 1), "attach dimension year");
    }
    samples.push_back({std::move(ds), cols, name});
    sample_columns += cols;
  }
};

void RunGroup::add_samples(const std::string& name, std::uint64_t n, const std::string& unit, std::span<const int> years) {
  ResultWriter::Impl& f = *file_->impl_;
  f.add_samples(f.groups[index_].samples.get(), f.groups[index_].group.get(), name, n, unit, years);
}

void RunGroup::add_weights(std::uint64_t n) {
  ResultWriter::Impl& f = *file_->impl_;
  f.add_samples(f.groups[index_].evidence_group(), f.groups[index_].group.get(), "weight", n, "", {});
}

void RunGroup::add_constant(const std::string& name, double value, const std::string& unit) {
  const hid_t parent = file_->impl_->groups[index_].samples.get();
  const H5Handle space(H5Screate(H5S_SCALAR), H5Sclose, "create a dataspace");
  const H5Handle ds(H5Dcreate2(parent, name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                    H5Dclose, "create dataset " + name);
  h5_check(H5Dwrite(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value), "write constant " + name);
  h5::attr(ds.get(), "unit", unit);
  h5::attr(ds.get(), "constant", std::uint64_t{1});
}

namespace {

// A replicated design's attributes (absent: plain Monte Carlo): its kind, R, and what any stored mean_se is
// multiplied by for its 95% half-width (Student's t with R − 1 degrees of freedom).
void write_design(hid_t g, const Design& d) {
  if (!d.replicated()) return;
  h5::attr(g, "design", std::string(design_name(d.kind)));
  h5::attr(g, "replicates", std::uint64_t{d.replicates});
  h5::attr(g, "mean_ci_multiplier", mean_ci_multiplier(d.replicates));
}

}  // namespace

void RunGroup::write_run(const Scenario& s, std::uint64_t seed, std::uint64_t samples, Store store) {
  const hid_t g = file_->impl_->groups[index_].group.get();
  h5::attr(g, "scenario", s.text);
  h5::attr(g, "scenario_name", s.name);
  h5::attr(g, "scenario_title", s.title);
  h5::attr(g, "scenario_unit", s.unit);
  h5::attr(g, "scenario_path", s.path);
  h5::attr(g, "seed", seed);
  h5::attr(g, "samples", samples);
  h5::attr(g, "store", store_name(store));
  write_design(g, s.design);
  // What a reader needs to show the run as the terminal does: the reported outputs in the scenario's order, and the
  // skewness ratio above which a mean's CI is marked as unreliable (each variable stores its mark, `heavy_tail`).
  h5::attr(g, "report_order", s.report);
  h5::attr(g, "heavy_tail_skew", k_heavy_tail_skew);
  if (!s.warnings.empty()) {  // the lint's findings travel with the numbers they question
    std::vector<std::string> warnings;
    for (const Warning& w : s.warnings) warnings.push_back(w.str());
    h5::attr(g, "warnings", warnings);
  }
  if (!s.years.empty()) h5::attr(g, "years", std::span<const int>(s.years));
  for (const Link& l : s.links) {  // linked scenarios' texts, so the file alone reproduces the run
    h5::attr(g, "link_" + l.name + "_file", l.file);
    h5::attr(g, "link_" + l.name + "_scenario", l.text);
  }
}

void RunGroup::write_precision(const std::string& report) {
  h5::attr(file_->impl_->groups[index_].group.get(), "precision", report);
}

void RunGroup::write_stress(const std::string& name, const std::string& description, const std::string& overrides) {
  const hid_t g = file_->impl_->groups[index_].group.get();
  h5::attr(g, "stress", name);
  h5::attr(g, "description", description);
  h5::attr(g, "overrides", overrides);
}

void RunGroup::write_cell(const SuiteMember& m, const std::vector<std::string>& star_names) {
  const hid_t g = file_->impl_->groups[index_].group.get();
  h5::attr(g, "section", m.section);
  h5::attr(g, "market", m.market);
  h5::attr(g, "share", m.share);
  h5::attr(g, "fx", m.fx);
  if (m.year) h5::attr(g, "year", static_cast<double>(*m.year));
  for (std::size_t r = 0; r < star_names.size(); ++r) h5::attr(g, "stars_" + star_names[r], m.stars[r]);
}

void RunGroup::write_summaries(const RunSummary& r) {
  // One summary per variable: a timed variable's series (one per year) are consecutive.
  for (std::size_t i = 0; i < r.variables.size();) {
    std::size_t j = i + 1;
    while (j < r.variables.size() && r.variables[j].var.name == r.variables[i].var.name) ++j;
    write_summary(std::span<const VariableSummary>(r.variables).subspan(i, j - i), r.sensitivity_inputs,
                  r.sensitivity_samples, SobolMeta{r.sobol_inputs, r.sobol_samples, r.sobol_batches, r.sobol_correlated, r.shapley_permutations});
    i = j;
  }
  if (r.decision) write_decision(*r.decision);
  if (r.evidence) write_evidence(*r.evidence);
}

void RunGroup::write_evidence(const EvidenceSummary& e) {
  const hid_t id = file_->impl_->groups[index_].evidence_group();
  const std::size_t k = e.figures.size();
  std::vector<std::string> label, variable, kind, unit, source;
  std::vector<double> year, observed, sd, lo, hi;
  const double nan = std::nan("");
  for (std::size_t f = 0; f < k; ++f) {
    const Evidence& fig = e.figures[f];
    label.push_back(fig.label());
    variable.push_back(fig.variable);
    kind.push_back(evidence_kind_name(fig.kind));
    unit.push_back(e.units[f]);
    source.push_back(fig.source);
    year.push_back(fig.year ? static_cast<double>(*fig.year) : nan);
    const bool interval = fig.kind == Evidence::Kind::interval;
    observed.push_back(interval ? nan : fig.observed);
    sd.push_back(interval ? nan : fig.sd);
    lo.push_back(interval ? fig.lo : nan);
    hi.push_back(interval ? fig.hi : nan);
  }
  h5::strings(id, "figure", label);
  h5::strings(id, "variable", variable, "figure");
  h5::strings(id, "kind", kind, "figure");
  h5::strings(id, "unit", unit, "figure");
  h5::strings(id, "source", source, "figure");
  for (const auto& [name, x] : {std::pair{"year", &year}, std::pair{"observed", &observed}, std::pair{"sd", &sd},
                                std::pair{"lo", &lo}, std::pair{"hi", &hi}})
    h5::dataset(id, name, *x, {k}, {"figure"});
  h5::attr(id, "samples", e.samples);
  h5::attr(id, "ess", e.ess);
  h5::attr(id, "unjudged", e.unjudged);
  h5::attr(id, "too_few", std::uint64_t{e.too_few()});
  h5::attr(id, "samples_for_target_ess", e.samples_for(k_target_ess));
  h5::attr(id, "target_ess", k_target_ess);
  const double half = e.likelihood.half95();
  h5::attr(id, "mean_likelihood", e.likelihood.mean);
  h5::attr(id, "mean_likelihood_lo", e.likelihood.mean - half);
  h5::attr(id, "mean_likelihood_hi", e.likelihood.mean + half);
  h5::attr(id, "weight_unit", k_weight_unit);
}

void RunGroup::write_decision(const DecisionSummary& d) {
  const H5Handle g = h5::group(file_->impl_->groups[index_].group.get(), "decision");
  const hid_t id = g.get();
  const DecisionEstimate& e = d.estimate;
  std::vector<double> mean, se, p, lo, hi;
  for (const DecisionOption& o : e.options) {
    mean.push_back(o.mean);
    se.push_back(o.se);
    p.push_back(o.best.p);
    lo.push_back(o.best.lo);
    hi.push_back(o.best.hi);
  }
  const std::size_t k = d.options.size(), q = d.questions.size();
  h5::strings(id, "option", d.options);
  h5::dataset(id, "option_mean", mean, {k}, {"option"});
  h5::dataset(id, "option_mean_se", se, {k}, {"option"});
  h5::dataset(id, "p_best", p, {k}, {"option"});
  h5::dataset(id, "p_best_lo", lo, {k}, {"option"});
  h5::dataset(id, "p_best_hi", hi, {k}, {"option"});
  h5::attr(id, "unit", d.unit);
  h5::attr(id, "best", d.options[e.best]);
  h5::attr(id, "evpi", e.evpi);
  h5::attr(id, "evpi_se", e.evpi_se);
  h5::attr(id, "samples", d.samples);
  h5::attr(id, "skipped", e.skipped);
  std::vector<std::string> names, inputs;
  std::vector<double> group, value, vse, bias, plugin, crossfit, cells;
  for (std::size_t i = 0; i < q; ++i) {
    const PartialValue& v = e.partial[i];
    names.push_back(d.questions[i].first);
    std::string members;
    for (const auto& m : d.questions[i].second) members += (members.empty() ? "" : " ") + m;
    inputs.push_back(members);
    group.push_back(d.is_group(i) ? 1.0 : 0.0);
    value.push_back(v.value);
    vse.push_back(v.se);
    bias.push_back(v.bias);
    plugin.push_back(v.plugin);
    crossfit.push_back(v.crossfit);
    cells.push_back(static_cast<double>(v.cells));
  }
  h5::strings(id, "question", names);
  h5::strings(id, "question_inputs", inputs, "question");
  for (const auto& [name, x] : {std::pair{"group", &group}, std::pair{"evppi", &value}, std::pair{"evppi_se", &vse},
                                std::pair{"evppi_bias", &bias}, std::pair{"evppi_plugin", &plugin},
                                std::pair{"evppi_crossfit", &crossfit}, std::pair{"cells", &cells}})
    h5::dataset(id, name, *x, {q}, {"question"});
}

void RunGroup::write_delta(const RunSummary& stressed, const std::vector<Moments>& delta) {
  const H5Handle d = h5::group(file_->impl_->groups[index_].group.get(), "delta");
  std::vector<std::string> label;
  std::vector<double> mean, se;
  for (std::size_t i = 0; i < delta.size(); ++i)
    if (delta[i].n > 0) {
      label.push_back(stressed.variables[i].label());
      mean.push_back(delta[i].mean);
      se.push_back(delta[i].se());
    }
  h5::strings(d.get(), "series", label);
  h5::dataset(d.get(), "mean", mean, {mean.size()}, {"series"});
  h5::dataset(d.get(), "mean_se", se, {se.size()}, {"series"});
}

void RunGroup::write_summary(std::span<const VariableSummary> series, const std::vector<std::string>& sensitivity_inputs,
                             std::uint64_t sensitivity_samples, const SobolMeta& sobol) {
  const VariableSummary& first = series.front();
  const H5Handle g = h5::group(file_->impl_->groups[index_].summary.get(), first.var.name);
  const hid_t id = g.get();
  // A timed variable's statistics are per year: `year` is their coordinate (written first, as every dimension is).
  const bool timed = first.year.has_value();
  if (timed) {
    std::vector<double> years;
    for (const auto& s : series) years.push_back(*s.year);
    h5::dataset(id, "year", years, {years.size()}, {"year"});
  }
  const auto per_year = [&](h5::DimNames names) {
    if (timed) names.insert(names.begin(), "year");
    return names;
  };
  if (!first.sensitivity.empty() && first.sensitivity.size() == sensitivity_inputs.size()) {
    std::vector<double> rho;
    for (const auto& s : series) rho.insert(rho.end(), s.sensitivity.begin(), s.sensitivity.end());
    std::vector<hsize_t> dims = {sensitivity_inputs.size()};
    if (first.year) dims.insert(dims.begin(), series.size());
    h5::strings(id, "sensitivity_input", sensitivity_inputs);
    h5::dataset(id, "sensitivity", rho, dims, per_year({"sensitivity_input"}));
    h5::attr(id, "sensitivity_samples", sensitivity_samples);
    if (first.swing.size() == sensitivity_inputs.size()) {  // the tornado in the output's unit
      std::vector<double> low, high, se;
      for (const auto& s : series)
        for (std::size_t k = 0; k < sensitivity_inputs.size(); ++k) {
          const Swing w = k < s.swing.size() ? s.swing[k] : Swing{std::nan(""), std::nan(""), std::nan("")};
          low.push_back(w.low);
          high.push_back(w.high);
          se.push_back(w.se);
        }
      h5::dataset(id, "swing_low", low, dims, per_year({"sensitivity_input"}));
      h5::dataset(id, "swing_high", high, dims, per_year({"sensitivity_input"}));
      h5::dataset(id, "swing_se", se, dims, per_year({"sensitivity_input"}));
    }
  }
  // With --sobol: summary/<name>/sobol (untimed, or a timed variable's last year).
  const VariableSummary* with_sobol = nullptr;
  for (const auto& s : series)
    if (!s.sobol_first.empty()) with_sobol = &s;
  if (with_sobol) {
    const H5Handle sg = h5::group(id, "sobol");
    const auto column = [&](const std::vector<SobolIndex>& x, double SobolIndex::*field) {
      std::vector<double> v;
      for (const auto& e : x) v.push_back(e.*field);
      return v;
    };
    h5::strings(sg.get(), "input", sobol.inputs);
    for (const auto& [name, x] : {std::pair{"first", &with_sobol->sobol_first}, std::pair{"total", &with_sobol->sobol_total}}) {
      for (const auto& [suffix, field] : {std::pair{"", &SobolIndex::index}, std::pair{"_lo", &SobolIndex::lo},
                                          std::pair{"_hi", &SobolIndex::hi}}) {
        const auto v = column(*x, field);
        h5::dataset(sg.get(), std::string(name) + suffix, v, {v.size()}, {"input"});
      }
    }
    h5::attr(sg.get(), "samples", sobol.samples);
    h5::attr(sg.get(), "batches", std::uint64_t{sobol.batches});
    h5::attr(sg.get(), "correlated_inputs", std::uint64_t{sobol.correlated});
    if (with_sobol->year) h5::attr(sg.get(), "year", static_cast<double>(*with_sobol->year));
    if (!with_sobol->shapley.empty()) {  // correlated inputs: summary/<name>/shapley
      const H5Handle hg = h5::group(id, "shapley");
      h5::strings(hg.get(), "input", sobol.inputs);
      for (const auto& [suffix, field] : {std::pair{"", &SobolIndex::index}, std::pair{"_lo", &SobolIndex::lo},
                                          std::pair{"_hi", &SobolIndex::hi}, std::pair{"_se", &SobolIndex::se}}) {
        const auto v = column(with_sobol->shapley, field);
        h5::dataset(hg.get(), std::string("effect") + suffix, v, {v.size()}, {"input"});
      }
      h5::attr(hg.get(), "permutations", sobol.shapley_permutations);
      if (with_sobol->year) h5::attr(hg.get(), "year", static_cast<double>(*with_sobol->year));
    }
  }
  h5::attr(id, "kind", kind_name(first.var));
  if (first.var.role != FormulaRole::variable) h5::attr(id, "condition", first.var.condition);
  h5::attr(id, "unit", first.var.unit);
  if (first.var.format != NumberStyle::automatic)  // absent = "auto" (saves an attribute on nearly every variable)
    h5::attr(id, "format", std::string(number_style_name(first.var.format)));
  h5::attr(id, "source", first.var.source);
  h5::attr(id, "law", first.var.law);
  if (!first.var.no_mean.empty()) h5::attr(id, "no_finite_mean", first.var.no_mean);
  if (!first.var.no_sd.empty()) h5::attr(id, "no_finite_sd", first.var.no_sd);
  // Where its first non-finite value comes from (the first year's that has one, for a timed variable).
  for (const VariableSummary& v : series)
    if (!v.nonfinite_origin.empty()) {
      h5::attr(id, "nonfinite_origin", v.nonfinite_origin);
      break;
    }
  for (const VariableSummary& v : series)  // (a timed variable's first year that goes below 0)
    if (!v.below_zero.empty()) {
      h5::attr(id, "below_zero", v.label() + " " + v.below_zero);
      break;
    }
  h5::attr(id, "reported", std::uint64_t{first.reported});
  h5::attr(id, "stored", std::uint64_t{first.stored});
  // Each statistic: a scalar attribute for an untimed variable, a per-year dataset for a timed one.
  const auto stat = [&](const std::string& name, auto get) {
    if (!timed) return h5::attr(id, name, static_cast<double>(get(first)));
    std::vector<double> v;
    for (const auto& s : series) v.push_back(static_cast<double>(get(s)));
    h5::dataset(id, name, v, {v.size()}, {"year"});
  };
  stat("point", [](const VariableSummary& s) { return s.point; });
  if (!timed) {  // counts stay integers where they are scalars
    h5::attr(id, "n", first.moments.n);
    h5::attr(id, "nonfinite", first.moments.nonfinite);
  } else {
    stat("n", [](const VariableSummary& s) { return s.moments.n; });
    stat("nonfinite", [](const VariableSummary& s) { return s.moments.nonfinite; });
  }
  stat("mean", [](const VariableSummary& s) { return s.moments.mean; });
  stat("mean_se", [](const VariableSummary& s) { return s.moments.se(); });
  stat("mean_ci_lo", [](const VariableSummary& s) { return s.moments.mean - s.moments.half95(); });
  stat("mean_ci_hi", [](const VariableSummary& s) { return s.moments.mean + s.moments.half95(); });
  stat("sd", [](const VariableSummary& s) { return s.moments.sd(); });
  stat("min", [](const VariableSummary& s) { return s.moments.min; });
  stat("max", [](const VariableSummary& s) { return s.moments.max; });
  stat("skew_ratio", [](const VariableSummary& s) { return s.moments.skew_ratio(); });
  stat("heavy_tail", [](const VariableSummary& s) { return s.moments.heavy_tailed() ? 1.0 : 0.0; });
  if (first.moments.ess > 0) stat("ess", [](const VariableSummary& s) { return s.moments.ess; });
  if (first.prior) {  // a conditioned run: summary/<name>/prior, the unweighted statistics, as the posterior's above
    const H5Handle pg = h5::group(id, "prior");
    const hid_t pid = pg.get();
    const auto prior_stat = [&](const std::string& name, auto get) {
      if (!timed) return h5::attr(pid, name, static_cast<double>(get(first.prior->moments)));
      std::vector<double> v;
      for (const auto& s : series) v.push_back(s.prior ? static_cast<double>(get(s.prior->moments)) : std::nan(""));
      h5::dataset(pid, name, v, {v.size()}, {"year"});
    };
    if (timed) {
      std::vector<double> years;
      for (const auto& s : series) years.push_back(*s.year);
      h5::dataset(pid, "year", years, {years.size()}, {"year"});
    }
    prior_stat("mean", [](const Moments& m) { return m.mean; });
    prior_stat("mean_se", [](const Moments& m) { return m.se(); });
    prior_stat("mean_ci_lo", [](const Moments& m) { return m.mean - m.half95(); });
    prior_stat("mean_ci_hi", [](const Moments& m) { return m.mean + m.half95(); });
    prior_stat("sd", [](const Moments& m) { return m.sd(); });
    prior_stat("min", [](const Moments& m) { return m.min; });
    prior_stat("max", [](const Moments& m) { return m.max; });
    if (!first.prior->quantiles.empty()) {
      std::vector<double> p, value, lo, hi;
      for (const auto& q : first.prior->quantiles) p.push_back(q.p);
      for (const auto& s : series)
        for (std::size_t k = 0; k < p.size(); ++k) {
          const bool have = s.prior && k < s.prior->quantiles.size();
          value.push_back(have ? s.prior->quantiles[k].value : std::nan(""));
          lo.push_back(have ? s.prior->quantiles[k].lo : std::nan(""));
          hi.push_back(have ? s.prior->quantiles[k].hi : std::nan(""));
        }
      std::vector<hsize_t> dims = {p.size()};
      if (timed) dims.insert(dims.begin(), series.size());
      h5::dataset(pid, "quantile_p", p, {p.size()}, {"quantile_p"});
      h5::dataset(pid, "quantile", value, dims, per_year({"quantile_p"}));
      h5::dataset(pid, "quantile_lo", lo, dims, per_year({"quantile_p"}));
      h5::dataset(pid, "quantile_hi", hi, dims, per_year({"quantile_p"}));
    }
  }
  if (first.var.role != FormulaRole::variable) {  // a check: the probability of a violation with its Wilson CI
    stat("p_violated", [](const VariableSummary& s) { return s.violations().p; });
    stat("p_violated_lo", [](const VariableSummary& s) { return s.violations().lo; });
    stat("p_violated_hi", [](const VariableSummary& s) { return s.violations().hi; });
  }
  if (first.quantiles.empty()) return;
  std::vector<double> p, value, lo, hi;
  for (const auto& q : first.quantiles) p.push_back(q.p);
  for (const auto& s : series)
    for (const auto& q : s.quantiles) {
      value.push_back(q.value);
      lo.push_back(q.lo);
      hi.push_back(q.hi);
    }
  h5::dataset(id, "quantile_p", p, {p.size()}, {"quantile_p"});
  if (first.risk) write_risk(id, *first.risk, first.risk_spec->upper_tail);
  std::vector<hsize_t> dims = {p.size()};
  if (timed) dims.insert(dims.begin(), series.size());
  h5::dataset(id, "quantile", value, dims, per_year({"quantile_p"}));
  h5::dataset(id, "quantile_lo", lo, dims, per_year({"quantile_p"}));
  h5::dataset(id, "quantile_hi", hi, dims, per_year({"quantile_p"}));
  if (first.histogram && !timed) write_histogram(id, *first.histogram);
}

ResultWriter::ResultWriter(std::string target, const std::string& kind, std::size_t longest_list)
    : impl_(std::make_unique<Impl>(std::move(target))) {
  impl_->file = h5::create_file(impl_->path.temp(), impl_->path.target(), longest_list > h5::k_compact_strings);
  h5::attr(impl_->file.get(), "tamcarlo_version", TAMCARLO_VERSION);
  h5::attr(impl_->file.get(), "format_version", k_result_format);
  h5::attr(impl_->file.get(), "stream_version", k_stream_version);
  h5::attr(impl_->file.get(), "kind", kind);
}

ResultWriter::~ResultWriter() = default;

RunGroup ResultWriter::run(const std::string& path) {
  Impl& f = *impl_;
  const hid_t g = f.open_or_create(path);
  Impl::Group group;
  group.group = H5Handle(H5Oopen(g, ".", H5P_DEFAULT), H5Oclose, "open group " + path);
  group.samples = h5::group(g, "samples");
  group.summary = h5::group(g, "summary");
  f.groups.push_back(std::move(group));
  return RunGroup(*this, f.groups.size() - 1);
}

void ResultWriter::write_suite(const Suite& s, std::uint64_t seed, std::uint64_t samples) {
  const hid_t root = impl_->file.get();
  write_design(root, s.shared.design);
  h5::attr(root, "suite", s.text);
  h5::attr(root, "suite_name", s.name);
  h5::attr(root, "suite_title", s.title);
  h5::attr(root, "suite_unit", s.unit);
  h5::attr(root, "suite_path", s.path);
  h5::attr(root, "seed", seed);
  h5::attr(root, "samples", samples);
}

void ResultWriter::add_matrix_column(const std::string& name, std::uint64_t n, const std::string& unit) {
  const hid_t matrix = impl_->open_or_create("matrix");
  impl_->add_samples(impl_->open_or_create("matrix/columns"), matrix, name, n, unit, {});
}

std::size_t ResultWriter::sample_columns() const noexcept { return impl_->sample_columns; }

void ResultWriter::write_samples(std::uint64_t first, std::size_t rows, const std::vector<std::span<const double>>& columns) {
  try {
    write_rows(first, rows, columns);
  } catch (const RunError& e) {
    throw write_failure(impl_->path.target(), e.what());
  }
}

void ResultWriter::write_rows(std::uint64_t first, std::size_t rows, const std::vector<std::span<const double>>& columns) {
  h5_silence();  // HDF5's error printing is per thread, and this runs on worker threads
  const hsize_t mdims[1] = {rows};
  const H5Handle memory(H5Screate_simple(1, mdims, nullptr), H5Sclose, "create a dataspace");
  std::size_t c = 0;
  for (const Impl::Samples& e : impl_->samples) {
    const H5Handle space(H5Dget_space(e.dataset.get()), H5Sclose, "get the dataspace of " + e.name);
    for (std::size_t k = 0; k < e.columns; ++k, ++c) {
      const hsize_t start[2] = {first, k}, count[2] = {rows, 1};
      h5_check(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr), "select rows of " + e.name);
      h5_check(H5Dwrite(e.dataset.get(), H5T_NATIVE_DOUBLE, memory.get(), space.get(), H5P_DEFAULT, columns.at(c).data()),
            "write samples of " + e.name);
    }
  }
}

void ResultWriter::close() {
  Impl& f = *impl_;
  if (f.file.get() < 0) return;
  f.samples.clear();
  f.groups.clear();
  f.parents.clear();
  if (H5Fflush(f.file.get(), H5F_SCOPE_GLOBAL) < 0 || H5Fclose(f.file.release()) < 0)
    throw write_failure(f.path.target(), "HDF5 could not flush its data");
  seal_file(f.path.temp(), f.path.target());
}

void ResultWriter::commit(AtomicTarget* beside) {
  Impl& f = *impl_;
  close();
  if (beside) AtomicTarget::commit_together({&f.path, beside});
  else f.path.commit();
}

const std::string& ResultWriter::target() const noexcept { return impl_->path.target(); }

void ResultWriter::write_portfolio(const PortfolioStats& p, double level) {
  const hid_t file = impl_->file.get();
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
  h5::dataset(id, "quantile_p", probs, {probs.size()}, {"quantile_p"});
  h5::dataset(id, "moic_quantile", q, {q.size()}, {"quantile_p"});
  h5::dataset(id, "moic_quantile_lo", lo, {lo.size()}, {"quantile_p"});
  h5::dataset(id, "moic_quantile_hi", hi, {hi.size()}, {"quantile_p"});
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
  h5::strings(id, "versus_holding", p.names);  // the second axis of the H × H matrix (netCDF names each axis)
  h5::dataset(id, "rank_correlation", p.rank_correlation, {h, h}, {"holding", "versus_holding"});
  h5::attr(id, "rank_correlation_samples", p.rank_samples);
  h5::attr(id, "pnl_var", p.pnl_var);
  h5::attr(id, "pnl_cvar", p.pnl_cvar);
  h5::dataset(id, "contribution", p.contribution, {h}, {"holding"});
  h5::dataset(id, "expected_pnl", p.expected_pnl, {h}, {"holding"});
  std::vector<double> pl;
  for (const auto& x : p.p_loss) pl.push_back(x.p);
  h5::dataset(id, "p_loss", pl, {h}, {"holding"});
  if (p.has_irr) {
    std::vector<double> iq;
    for (const auto& e : p.irr) iq.push_back(e.value);
    h5::dataset(id, "irr_quantile", iq, {iq.size()}, {"quantile_p"});
    h5::attr(id, "irr_mean", p.irr_moments.mean);
    h5::attr(id, "p_irr_negative", p.p_irr_negative.p);
    h5::attr(id, "irr_undefined_samples", p.irr_undefined);
  }
}

void ResultWriter::write_matrix(const Suite& suite, const SuiteSummary& out, bool joint) {
  const std::vector<std::size_t>& cells = out.cells;
  const MatrixStats& m = out.matrix;
  const std::size_t c = cells.size();
  const hid_t id = impl_->open_or_create("matrix");
  std::vector<std::string> key, section, title;
  std::vector<double> year, stars, mean, mean_se;
  std::vector<std::string> ranked_market, ranked_share;
  std::vector<double> mq, mlo, mhi, sq, slo, shi;
  for (const std::size_t r : m.order) {
    const SuiteMember& mem = suite.members[cells[r]];
    key.push_back(mem.key);
    section.push_back(mem.section);
    title.push_back(mem.scenario.title);
    year.push_back(mem.year ? *mem.year : std::numeric_limits<double>::quiet_NaN());
    stars.insert(stars.end(), mem.stars.begin(), mem.stars.end());
    mean.push_back(m.market_moments[r].mean);
    mean_se.push_back(m.market_moments[r].se());
    ranked_market.push_back("/matrix/columns/market_" + mem.key);
    ranked_share.push_back(mem.share.empty() ? std::string() : "/matrix/columns/share_" + mem.key);
    for (std::size_t q = 0; q < k_report_probs.size(); ++q) {
      mq.push_back(m.market[r][q].value);
      mlo.push_back(m.market[r][q].lo);
      mhi.push_back(m.market[r][q].hi);
      const bool has = !m.share[r].empty();
      sq.push_back(has ? m.share[r][q].value : std::nan(""));
      slo.push_back(has ? m.share[r][q].lo : std::nan(""));
      shi.push_back(has ? m.share[r][q].hi : std::nan(""));
    }
  }
  h5::attr(id, "unit", suite.unit);
  h5::attr(id, "rank_by", suite.rank_by);
  h5::strings(id, "cell", key);
  h5::strings(id, "versus_cell", key);  // the second axis of the C × C matrices (netCDF names each axis)
  h5::strings(id, "section", section, "cell");
  h5::strings(id, "title", title, "cell");
  h5::strings(id, "star_names", suite.star_names);
  h5::dataset(id, "year", year, {c}, {"cell"});
  h5::dataset(id, "stars", stars, {c, suite.star_names.size()}, {"cell", "star_names"});
  if (joint) {
    h5::virtual_columns(id, "market", out.samples, ranked_market, {"sample", "cell"});
    h5::virtual_columns(id, "share", out.samples, ranked_share, {"sample", "cell"});
  }
  const std::vector<double> probs(k_report_probs.begin(), k_report_probs.end());
  h5::dataset(id, "quantile_p", probs, {probs.size()}, {"quantile_p"});
  h5::dataset(id, "market_mean", mean, {c}, {"cell"});
  h5::dataset(id, "market_mean_se", mean_se, {c}, {"cell"});
  for (const auto& [name, x] : {std::pair{"market_quantile", &mq}, {"market_quantile_lo", &mlo}, {"market_quantile_hi", &mhi},
                                {"share_quantile", &sq}, {"share_quantile_lo", &slo}, {"share_quantile_hi", &shi}})
    h5::dataset(id, name, *x, {c, probs.size()}, {"cell", "quantile_p"});
  std::vector<double> pg, pglo, pghi;
  for (const std::size_t a : m.order)
    for (const std::size_t b : m.order) {
      const Proportion& p = m.greater[a * c + b];
      pg.push_back(a == b ? std::nan("") : p.p);
      pglo.push_back(a == b ? std::nan("") : p.lo);
      pghi.push_back(a == b ? std::nan("") : p.hi);
    }
  h5::dataset(id, "p_greater", pg, {c, c}, {"cell", "versus_cell"});
  h5::dataset(id, "p_greater_lo", pglo, {c, c}, {"cell", "versus_cell"});
  h5::dataset(id, "p_greater_hi", pghi, {c, c}, {"cell", "versus_cell"});
  std::vector<double> pn, pnlo, pnhi;
  for (const auto& p : m.next) {
    pn.push_back(p.p);
    pnlo.push_back(p.lo);
    pnhi.push_back(p.hi);
  }
  // p_next[r]: rank r + 1 above rank r + 2; its coordinate names the pair.
  std::vector<std::string> pair;
  for (std::size_t r = 0; r + 1 < key.size() && r < pn.size(); ++r) pair.push_back(key[r] + " > " + key[r + 1]);
  h5::strings(id, "rank_pair", pair);
  h5::dataset(id, "p_next", pn, {pn.size()}, {"rank_pair"});
  h5::dataset(id, "p_next_lo", pnlo, {pn.size()}, {"rank_pair"});
  h5::dataset(id, "p_next_hi", pnhi, {pn.size()}, {"rank_pair"});
  const RankAgreement& ag = m.agreement;
  h5::attr(id, "tau_b_median_ranking", ag.median_ranking);
  h5::attr(id, "tau_b_mean", ag.per_sample.mean);
  h5::attr(id, "tau_b_mean_se", ag.per_sample.se());
  if (ag.quantiles.size() == 3) {
    h5::attr(id, "tau_b_p5", quantile_at(ag.quantiles, 0.05).value);
    h5::attr(id, "tau_b_p50", quantile_at(ag.quantiles, 0.50).value);
    h5::attr(id, "tau_b_p95", quantile_at(ag.quantiles, 0.95).value);
  }
  h5::attr(id, "p_tau_b_positive", ag.positive.p);
  h5::attr(id, "p_tau_b_positive_lo", ag.positive.lo);
  h5::attr(id, "p_tau_b_positive_hi", ag.positive.hi);
  h5::attr(id, "tau_b_skipped_samples", ag.skipped);
}


std::vector<double> read_dataset(const std::string& file, const std::string& path) {
  const H5Handle f = open_file(file);
  const H5Handle ds(H5Dopen2(f.get(), path.c_str(), H5P_DEFAULT), H5Dclose, fmt::format("open {} in {}", path, file));
  const H5Handle space(H5Dget_space(ds.get()), H5Sclose, "get dataspace of " + path);
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  std::vector<double> out(static_cast<std::size_t>(n));
  if (n > 0) h5_check(H5Dread(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), "read " + path);
  return out;
}

std::vector<double> read_samples(const std::string& file, const std::string& name) {
  return read_dataset(file, "/samples/" + name);
}

std::string read_string_attribute(const std::string& file, const std::string& object, const std::string& name) {
  const H5Handle f = open_file(file);
  const H5Handle obj(H5Oopen(f.get(), object.c_str(), H5P_DEFAULT), H5Oclose, fmt::format("open {} in {}", object, file));
  return h5::read_string_attr(obj.get(), name);
}

double read_number_attribute(const std::string& file, const std::string& object, const std::string& name) {
  const H5Handle f = open_file(file);
  const H5Handle attr(H5Aopen_by_name(f.get(), object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                      fmt::format("open attribute {} of {}", name, object));
  double value = 0;
  h5_check(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &value), "read attribute " + name);
  return value;
}

}  // namespace tamcarlo

namespace tamcarlo {

std::vector<std::string> read_strings(const std::string& file, const std::string& path) {
  const H5Handle f = open_file(file);
  const H5Handle ds(H5Dopen2(f.get(), path.c_str(), H5P_DEFAULT), H5Dclose, fmt::format("open {} in {}", path, file));
  const H5Handle space(H5Dget_space(ds.get()), H5Sclose, "get dataspace of " + path);
  const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get()));
  const H5Handle type = h5::string_type();
  std::vector<char*> raw(n, nullptr);
  if (n > 0) h5_check(H5Dread(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()), "read " + path);
  std::vector<std::string> out;
  for (char* p : raw) {
    out.emplace_back(p ? p : "");
    H5free_memory(p);
  }
  return out;
}

std::vector<std::size_t> read_dims(const std::string& file, const std::string& path) {
  const H5Handle f = open_file(file);
  const H5Handle ds(H5Dopen2(f.get(), path.c_str(), H5P_DEFAULT), H5Dclose, fmt::format("open {} in {}", path, file));
  const H5Handle space(H5Dget_space(ds.get()), H5Sclose, "get dataspace of " + path);
  hsize_t dims[H5S_MAX_RANK];
  const int rank = H5Sget_simple_extent_dims(space.get(), dims, nullptr);
  h5_check(rank, "read the shape of " + path);
  return std::vector<std::size_t>(dims, dims + rank);
}

}  // namespace tamcarlo
