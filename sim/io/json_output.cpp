// The --json output (nlohmann::ordered_json). Its shape is documented by sim/io/run.schema.json and
// sim/io/suite.schema.json, and tests/results_test.cpp validates real output against them.
#include "sim/io/json_output.hpp"
#include "sim/io/table.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <map>
#include <string>

namespace tamcarlo {
namespace {

using Json = nlohmann::ordered_json;

/// Version of the JSON layout; bumped when a key changes meaning or moves.
constexpr int k_json_version = 2;

// A number as JSON shows it: 15 significant digits (the double's noise, e.g. 239.99999999999997, removed:
// 240.0), null when not finite.
Json num(double x) {
  if (!std::isfinite(x)) return nullptr;
  return std::stod(fmt::format("{:.15g}", x));
}


Json ci(double lo, double hi) { return Json::array({num(lo), num(hi)}); }

Json proportion(const Proportion& p) { return {{"p", num(p.p)}, {"ci", ci(p.lo, p.hi)}}; }

void add_quantiles(Json& j, const std::vector<QuantileEstimate>& q) {
  for (const auto& e : q) {
    j[quantile_key(e.p)] = num(e.value);
    j[quantile_key(e.p) + "_ci"] = ci(e.lo, e.hi);
  }
}

Json quantiles(const std::vector<QuantileEstimate>& q) {
  Json j = Json::object();
  add_quantiles(j, q);
  return j;
}

Json risk(const RiskStats& k) {
  Json tails = Json::array(), probs = Json::array();
  for (const auto& t : k.tails)
    tails.push_back({{"level", num(t.level)}, {"var", num(t.var.value)}, {"var_ci", ci(t.var.lo, t.var.hi)},
                     {"cvar", num(t.cvar)}, {"cvar_se", num(t.cvar_se)}});
  for (const auto& t : k.thresholds)
    probs.push_back({{t.below ? "below" : "at_least", num(t.threshold)}, {"p", num(t.p.p)}, {"ci", ci(t.p.lo, t.p.hi)}});
  return {{"tails", tails}, {"probabilities", probs}, {"downside_target", num(k.downside_target)},
          {"semi_deviation", num(k.semi_deviation)}, {"semi_deviation_se", num(k.semi_deviation_se)}};
}

// The statistics of one series (an untimed variable, or one year of a timed one).
Json series_stats(const RunSummary& r, const VariableSummary& v) {
  Json j = {{"point", num(v.point)}};
  if (r.point_only) {
    if (!v.nonfinite_origin.empty()) j["nonfinite_origin"] = v.nonfinite_origin;  // where a NaN point comes from
    return j;
  }
  const Moments& m = v.moments;
  const double half = m.half95();
  const bool any = m.n > 0;
  j["n"] = m.n;
  j["nonfinite"] = m.nonfinite;
  j["mean"] = any ? num(m.mean) : nullptr;
  j["mean_se"] = num(m.se());
  j["mean_ci"] = any ? ci(m.mean - half, m.mean + half) : Json::array({nullptr, nullptr});
  j["sd"] = num(m.sd());
  j["min"] = any ? num(m.min) : nullptr;
  j["max"] = any ? num(m.max) : nullptr;
  j["skew_ratio"] = num(m.skew_ratio());
  if (m.replicates >= 2) j["replicate_skew"] = num(m.replicate_skew);
  j["heavy_tail"] = m.heavy_tailed();
  j["mean_ci_beyond_samples"] = m.ci_beyond_samples();
  if (!v.var.no_mean.empty()) j["no_finite_mean"] = v.var.no_mean;
  if (!v.var.no_sd.empty()) j["no_finite_sd"] = v.var.no_sd;
  if (!v.nonfinite_origin.empty()) j["nonfinite_origin"] = v.nonfinite_origin;
  if (!v.below_zero.empty()) j["below_zero"] = v.below_zero;
  if (m.ess > 0) j["ess"] = num(m.ess);
  add_quantiles(j, v.quantiles);
  if (v.prior) {  // a conditioned run: the statistics above are the posterior's
    const Moments& pm = v.prior->moments;
    const double ph = pm.half95();
    Json prior = {{"mean", pm.n > 0 ? num(pm.mean) : nullptr},
                  {"mean_se", num(pm.se())},
                  {"mean_ci", pm.n > 0 ? ci(pm.mean - ph, pm.mean + ph) : Json::array({nullptr, nullptr})},
                  {"sd", num(pm.sd())}};
    add_quantiles(prior, v.prior->quantiles);
    j["prior"] = prior;
  }
  if (v.risk) j["risk"] = risk(*v.risk);
  if (!v.sensitivity.empty()) {
    Json s = Json::object();
    for (std::size_t k = 0; k < v.sensitivity.size(); ++k) s[r.sensitivity_inputs[k]] = num(v.sensitivity[k]);
    j["sensitivity"] = s;
  }
  if (!v.swing.empty()) {
    Json s = Json::object();
    for (std::size_t k = 0; k < v.swing.size() && k < r.sensitivity_inputs.size(); ++k)
      s[r.sensitivity_inputs[k]] = {{"low", num(v.swing[k].low)}, {"high", num(v.swing[k].high)},
                                    {"swing", num(v.swing[k].width())}, {"se", num(v.swing[k].se)}};
    j["swing"] = s;
  }
  if (!v.sobol_first.empty()) {
    Json first = Json::object(), total = Json::object();
    for (std::size_t k = 0; k < r.sobol_inputs.size(); ++k) {
      first[r.sobol_inputs[k]] = {{"index", num(v.sobol_first[k].index)}, {"ci", ci(v.sobol_first[k].lo, v.sobol_first[k].hi)}};
      total[r.sobol_inputs[k]] = {{"index", num(v.sobol_total[k].index)}, {"ci", ci(v.sobol_total[k].lo, v.sobol_total[k].hi)}};
    }
    j["sobol"] = {{"first", first}, {"total", total}, {"samples", r.sobol_samples}, {"batches", r.sobol_batches},
                  {"correlated_inputs", r.sobol_correlated}};
    if (!v.shapley.empty()) {
      Json effects = Json::object();
      for (std::size_t k = 0; k < r.sobol_inputs.size(); ++k)
        effects[r.sobol_inputs[k]] = {{"effect", num(v.shapley[k].index)}, {"se", num(v.shapley[k].se)},
                                      {"ci", ci(v.shapley[k].lo, v.shapley[k].hi)}};
      j["shapley"] = {{"effects", effects}, {"permutations", r.shapley_permutations}};
    }
  }
  return j;
}

Json timings(const PhaseTimings& t) {
  return {{"parse", num(t.parse)},           {"setup", num(t.setup)},   {"pilot", num(t.stream.pilot)},
          {"sample", num(t.stream.sample)},  {"passes", num(t.stream.passes)},
          {"extra_passes", t.stream.extra_passes}, {"statistics", num(t.stream.statistics)},
          {"sensitivity", num(t.sensitivity)}, {"decision", num(t.decision)}, {"write", num(t.write)},
          {"total", num(t.total())}};
}

Json portfolio(const PortfolioStats& p) {
  Json irr = nullptr;
  if (p.has_irr) {
    irr = {{"mean", num(p.irr_moments.mean)}, {"p_negative", num(p.p_irr_negative.p)}};
    for (const auto& e : p.irr) irr[quantile_key(e.p)] = num(e.value);
  }
  Json moic = {{"mean", num(p.moic_moments.mean)}, {"mean_se", num(p.moic_moments.se())}};
  for (const auto& e : p.moic) moic[quantile_key(e.p)] = num(e.value);
  Json holdings = Json::array();
  for (std::size_t i = 0; i < p.names.size(); ++i)
    holdings.push_back({{"name", p.names[i]}, {"expected_pnl", num(p.expected_pnl[i])}, {"p_loss", num(p.p_loss[i].p)},
                        {"cvar_contribution", num(p.contribution[i])}});
  Json corr = Json::array();
  for (const double c : p.rank_correlation) corr.push_back(num(c));
  return {{"irr", irr}, {"moic", moic}, {"risk", risk(p.moic_risk)}, {"pnl_var", num(p.pnl_var)},
          {"pnl_cvar", num(p.pnl_cvar)}, {"holdings", holdings}, {"rank_correlation", corr}};
}

// A [decision]: options, the best now, EVPI, and EVPPI by question, largest first (with its rank).
Json decision(const DecisionSummary& d) {
  const DecisionEstimate& e = d.estimate;
  Json options = Json::object();
  for (std::size_t k = 0; k < d.options.size(); ++k) {
    const DecisionOption& o = e.options[k];
    options[d.options[k]] = {{"mean", num(o.mean)},
                             {"mean_se", num(o.se)},
                             {"mean_ci", ci(o.mean - 1.96 * o.se, o.mean + 1.96 * o.se)},
                             {"p_best", num(o.best.p)},
                             {"p_best_ci", ci(o.best.lo, o.best.hi)}};
  }
  const std::vector<std::size_t> order = d.ranked();
  Json evppi = Json::object();
  for (std::size_t rank = 0; rank < order.size(); ++rank) {
    const std::size_t q = order[rank];
    const PartialValue& v = e.partial[q];
    const double half = 1.96 * v.se + v.bias;
    evppi[d.questions[q].first] = {{"rank", rank + 1},
                                   {"group", d.is_group(q)},
                                   {"inputs", d.questions[q].second},
                                   {"value", num(v.value)},
                                   {"se", num(v.se)},
                                   {"bias_bound", num(v.bias)},
                                   {"ci", ci(v.value - half, v.value + half)},
                                   {"plugin", num(v.plugin)},
                                   {"crossfit", num(v.crossfit)},
                                   {"cells", v.cells}};
  }
  return {{"unit", d.unit},
          {"samples", d.samples},
          {"skipped", e.skipped},
          {"options", options},
          {"best", d.options[e.best]},
          {"evpi", {{"value", num(e.evpi)}, {"se", num(e.evpi_se)},
                    {"ci", ci(e.evpi - 1.96 * e.evpi_se, e.evpi + 1.96 * e.evpi_se)}}},
          {"evppi", evppi}};
}

// A conditioned run's figures and weights.
Json evidence(const EvidenceSummary& e) {
  Json figures = Json::array();
  for (std::size_t f = 0; f < e.figures.size(); ++f) {
    const Evidence& fig = e.figures[f];
    Json j = {{"label", fig.label()},
              {"variable", fig.variable},
              {"year", fig.year ? Json(*fig.year) : Json(nullptr)},
              {"unit", e.units[f]},
              {"kind", evidence_kind_name(fig.kind)}};
    if (fig.kind == Evidence::Kind::interval) {
      j["between"] = Json::array({num(fig.lo), num(fig.hi)});  // an open side is null
    } else {
      j["observed"] = num(fig.observed);
      j[fig.kind == Evidence::Kind::normal ? "sd" : "sd_log"] = num(fig.sd);
    }
    j["source"] = fig.source;
    figures.push_back(std::move(j));
  }
  const double lh = e.likelihood.half95();
  return {{"figures", figures},
          {"samples", e.samples},
          {"ess", num(e.ess)},
          {"ess_share", num(e.samples > 0 ? e.ess / static_cast<double>(e.samples) : 0)},
          {"too_few", e.too_few()},
          {"samples_for_target_ess", e.samples_for(k_target_ess)},
          {"target_ess", num(k_target_ess)},
          {"unjudged", e.unjudged},
          {"mean_likelihood", num(e.likelihood.mean)},
          {"mean_likelihood_ci", ci(e.likelihood.mean - lh, e.likelihood.mean + lh)},
          {"warning", evidence_warning(e).empty() ? Json(nullptr) : Json(evidence_warning(e))}};
}

Json run_json(const RunSummary& r) {
  Json j = {{"json_version", k_json_version},
            {"scenario", r.name},
            {"title", r.title},
            {"path", r.scenario_path},
            {"unit", r.unit},
            {"seed", r.seed},
            {"samples", r.samples},
            {"design", {{"kind", std::string(design_name(r.design.kind))},
                        {"replicates", r.design.replicates},
                        {"mean_ci_multiplier", num(mean_ci_multiplier(r.design.replicates))},
                        {"note", r.design.replicated() ? Json(design_note(r)) : Json(nullptr)}}},
            {"threads", r.threads},
            {"ranks", r.ranks},
            {"point_only", r.point_only},
            {"seconds", num(r.seconds)},
            {"timings", timings(r.timings)},
            {"output", r.output.empty() ? Json(nullptr) : Json(r.output)},
            {"precision", r.precision.empty() ? Json(nullptr) : Json(r.precision)},
            {"years", r.years}};
  // Variables by name; a timed one holds its years and one entry per year under "by_year".
  Json vars = Json::object(), checks = Json::object();
  for (const auto& v : r.variables) {
    if (v.var.role != FormulaRole::variable) {  // counted: its violations, not a distribution
      const Proportion p = v.violations();
      checks[v.label()] = {{"kind", kind_name(v.var)},
                           {"condition", v.var.condition},
                           {"samples", v.moments.n},
                           {"violations", v.violated_samples()},
                           {"p_violated", num(p.p)},
                           {"p_violated_ci", ci(p.lo, p.hi)}};
      continue;
    }
    Json& e = vars[v.var.name];
    if (e.is_null()) {
      e = {{"kind", v.var.input ? "input" : "formula"}, {"unit", v.var.unit}, {"format", number_style_name(v.var.format)},
           {"source", v.var.source}, {"law", v.var.law}, {"reported", v.reported}, {"timed", v.year.has_value()}};
      if (v.year) {
        e["years"] = Json::array();
        e["by_year"] = Json::object();
      }
    }
    if (v.year) {
      e["years"].push_back(*v.year);
      e["by_year"][std::to_string(*v.year)] = series_stats(r, v);
    } else {
      e.update(series_stats(r, v));
    }
  }
  j["variables"] = vars;
  if (!checks.empty()) j["checks"] = checks;
  if (r.portfolio) j["portfolio"] = portfolio(*r.portfolio);
  if (r.decision) j["decision"] = decision(*r.decision);
  if (r.evidence) j["evidence"] = evidence(*r.evidence);
  if (!r.stresses.empty()) {
    Json stresses = Json::array();
    for (const StressResult& st : r.stresses) {
      Json delta = Json::object();
      for (std::size_t i = 0; i < st.delta.size(); ++i)
        if (st.delta[i].n > 0) {
          const double half = st.delta[i].half95();
          delta[r.variables[i].label()] = {{"mean", num(st.delta[i].mean)}, {"mean_se", num(st.delta[i].se())},
                                           {"mean_ci", ci(st.delta[i].mean - half, st.delta[i].mean + half)}};
        }
      stresses.push_back({{"name", st.name}, {"description", st.description}, {"overrides", st.overrides},
                          {"delta", delta}, {"run", run_json(st.run)}});
    }
    j["stresses"] = stresses;
  }
  return j;
}

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace

std::string json_run(const RunSummary& r) { return dump(run_json(r)); }

void print_json(const RunSummary& r, std::ostream& os) { os << json_run(r) << '\n'; }

std::string json_timings(const PhaseTimings& t) { return dump(timings(t)); }

void print_suite_json(const SuiteSummary& r, const Suite& s, std::ostream& os) {
  Json j = {{"json_version", k_json_version},
            {"suite", r.name},
            {"title", r.title},
            {"path", r.path},
            {"unit", r.unit},
            {"seed", r.seed},
            {"samples", r.samples},
            {"threads", r.threads},
            {"point_only", r.point_only},
            {"seconds", num(r.seconds)},
            {"timings", timings(r.timings)},
            {"output", r.output.empty() ? Json(nullptr) : Json(r.output)},
            {"rank_by", r.rank_by}};
  const MatrixStats& m = r.matrix;
  Json cells = Json::array();
  for (std::size_t rank = 0; rank < m.order.size(); ++rank) {
    const std::size_t c = m.order[rank];
    const SuiteMember& mem = s.members[r.cells[c]];
    Json stars = Json::object();
    for (std::size_t k = 0; k < mem.stars.size(); ++k) stars[r.star_names[k]] = num(mem.stars[k]);
    const Moments& mm = m.market_moments[c];
    cells.push_back({{"rank", rank + 1},
                     {"cell", mem.key},
                     {"section", mem.section},
                     {"year", mem.year ? Json(*mem.year) : Json(nullptr)},
                     {"fx", mem.fx.empty() ? Json(nullptr) : Json(mem.fx)},
                     {"stars", stars},
                     {"market", {{"mean", num(mm.mean)}, {"mean_se", num(mm.se())}, {"quantiles", quantiles(m.market[c])}}},
                     {"share", m.share[c].empty() ? Json(nullptr) : quantiles(m.share[c])},
                     {"p_next", rank < m.next.size() ? proportion(m.next[rank]) : Json(nullptr)}});
  }
  j["cells"] = cells;
  if (!m.order.empty()) {
    const RankAgreement& ag = m.agreement;
    j["rank_agreement"] = {{"statistic", "kendall_tau_b"},        {"median_ranking", num(ag.median_ranking)},
                           {"mean", num(ag.per_sample.mean)},     {"mean_se", num(ag.per_sample.se())},
                           {"quantiles", quantiles(ag.quantiles)}, {"positive", proportion(ag.positive)},
                           {"skipped_samples", ag.skipped}};
  }
  j["shared"] = run_json(r.shared);
  Json members = Json::object();
  for (std::size_t k = 0; k < r.members.size(); ++k) members[s.members[k].key] = run_json(r.members[k]);
  j["members"] = members;
  os << dump(j) << '\n';
}

}  // namespace tamcarlo
