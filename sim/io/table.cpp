#include "sim/io/table.hpp"

#include "sim/base/number_format.hpp"
#include "sim/base/text.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <numeric>
#include <cmath>

namespace tamcarlo {
namespace {

// A mean and its 95% half-width as shown (format_mean_ci), or "—" twice when no sample was finite.
std::pair<std::string, std::string> mean_ci(const Moments& m, NumberStyle style = NumberStyle::automatic) {
  if (m.n == 0) return {"—", "—"};
  return format_mean_ci(m.mean, m.half95(), style);
}
std::string fixed(double x, int digits) { return std::isfinite(x) ? fmt::format("{:.{}f}", x, digits) : "—"; }

// Columns padded to their widest cell; the first `left` left-aligned (and the last if text_last), the rest right-aligned.
void print_rows(const std::vector<std::vector<std::string>>& rows, std::ostream& os, bool text_last = false,
                std::size_t left = 2) {
  std::vector<std::size_t> width;
  const auto display_width = [](const std::string& s) {  // UTF-8 code points, not bytes
    return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
  };
  for (const auto& r : rows)
    for (std::size_t c = 0; c < r.size(); ++c) {
      if (width.size() <= c) width.push_back(0);
      width[c] = std::max(width[c], display_width(r[c]));
    }
  for (const auto& r : rows) {
    std::string line = " ";
    for (std::size_t c = 0; c < r.size(); ++c) {
      const std::string pad(width[c] - display_width(r[c]), ' ');
      line += c < left || (text_last && c + 1 == r.size()) ? r[c] + pad : pad + r[c];
      line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    os << line << '\n';
  }
}

// The input with the largest |Spearman ρ| with this output and the output's swing over it, e.g. "share (+0.81,
// 3.10B)"; none when even that one is within 2 SE of 0 (SE = 1/√(m − 1) over the m samples ranked: noise, not a
// driver).
std::string main_driver(const RunSummary& r, const VariableSummary& v) {
  std::size_t best = v.sensitivity.size();
  for (std::size_t k = 0; k < v.sensitivity.size(); ++k)
    if (std::isfinite(v.sensitivity[k]) && (best == v.sensitivity.size() || std::fabs(v.sensitivity[k]) > std::fabs(v.sensitivity[best])))
      best = k;
  if (best == v.sensitivity.size()) return "";
  if (r.sensitivity_samples > 1 &&
      std::fabs(v.sensitivity[best]) < 2 / std::sqrt(static_cast<double>(r.sensitivity_samples - 1)))
    return "";
  if (best < v.swing.size() && std::isfinite(v.swing[best].width()))
    return fmt::format("{} ({:+.2f}, {})", r.sensitivity_inputs[best], v.sensitivity[best],
                       format_number(v.swing[best].width(), v.var.format));
  return fmt::format("{} ({:+.2f})", r.sensitivity_inputs[best], v.sensitivity[best]);
}

std::string prob(const Proportion& p) { return fmt::format("{:.3f} [{:.3f}, {:.3f}]", p.p, p.lo, p.hi); }

// One block per output with [risk.<name>]: VaR/CVaR per level, threshold probabilities, downside deviation.
void print_risk(const RunSummary& r, std::ostream& os) {
  for (const auto& v : r.variables) {
    if (!v.risk) continue;
    const RiskStats& k = *v.risk;
    const std::string& name = v.label();
    os << fmt::format("\n risk of {} ({} tail is bad; [..] 95% CI, ± 95% half-width):\n", name,
                      v.risk_spec->upper_tail ? "upper" : "lower");
    const NumberStyle style = v.var.format;
    const auto num = [&](double x) { return format_number(x, style); };
    std::string line;
    for (const auto& t : k.tails) {
      const auto [cvar, half] = format_mean_ci(t.cvar, k_z95_two_sided * t.cvar_se, style);
      line += fmt::format("{}VaR {:g}% {} [{}, {}] · CVaR {:g}% {} ± {}", line.empty() ? "" : " · ", t.level * 100,
                          num(t.var.value), num(t.var.lo), num(t.var.hi), t.level * 100, cvar, half);
    }
    os << "   " << line << '\n';
    line.clear();
    for (const auto& t : k.thresholds)
      line += fmt::format("{}P({} {} {}) = {}", line.empty() ? "" : " · ", name, t.below ? "<" : "≥",
                          num(t.threshold), prob(t.p));
    if (!line.empty()) os << "   " << line << '\n';
    const auto [semi, semi_half] = format_mean_ci(k.semi_deviation, k_z95_two_sided * k.semi_deviation_se, style);
    os << fmt::format("   downside deviation {} {}: {} ± {}\n", v.risk_spec->upper_tail ? "above" : "below",
                      num(k.downside_target), semi, semi_half);
  }
}

// The stressed case beside the base: P50 and mean of each reported series, the paired difference of the
// means with its 95% CI, and the risk probabilities of both.
void print_stress(const RunSummary& base, const StressResult& st, std::ostream& os) {
  os << fmt::format("\n stress `{}`{}\n", st.name, st.description.empty() ? "" : " — " + st.description);
  for (const auto& o : st.overrides) os << "   replaces " << o << '\n';
  if (base.point_only) {
    std::vector<std::vector<std::string>> rows = {{"variable", "unit", "base point", "stressed point"}};
    for (std::size_t i = 0; i < base.variables.size(); ++i)
      if (base.variables[i].reported)
        rows.push_back({base.variables[i].label(), base.variables[i].var.unit, format_number(base.variables[i].point, base.variables[i].var.format),
                        format_number(st.run.variables[i].point, base.variables[i].var.format)});
    print_rows(rows, os);
    return;
  }
  std::vector<std::vector<std::string>> rows = {
      {"variable", "unit", "base P50", "stressed P50", "base mean", "stressed mean", "Δ mean", "±95% CI"}};
  for (std::size_t i = 0; i < base.variables.size(); ++i) {
    const auto& b = base.variables[i];
    const auto& c = st.run.variables[i];
    if (!b.reported) continue;
    const auto [delta, delta_half] = mean_ci(st.delta[i], b.var.format);
    const bool doubtful = !b.var.no_mean.empty() || !c.var.no_mean.empty() || !b.var.no_sd.empty() ||
                          !c.var.no_sd.empty() || st.delta[i].heavy_tailed();
    rows.push_back({b.label(), b.var.unit, b.quantiles.empty() ? "—" : format_number(b.at(0.5).value, b.var.format),
                    c.quantiles.empty() ? "—" : format_number(c.at(0.5).value, b.var.format), format_number(b.moments.mean, b.var.format), format_number(c.moments.mean, b.var.format),
                    delta, doubtful ? delta_half + " †" : delta_half});
  }
  print_rows(rows, os);
  // A Δ mean whose CI means little: a mean that does not exist in either case, or a skewed difference.
  for (std::size_t i = 0; i < base.variables.size(); ++i) {
    const auto& b = base.variables[i];
    const auto& c = st.run.variables[i];
    if (!b.reported) continue;
    const std::string& why = c.var.no_mean.empty() ? b.var.no_mean : c.var.no_mean;
    if (!why.empty())
      os << fmt::format("   † `{}` has no finite mean {} ({}): its Δ mean and CI are only those of these samples and do "
                        "not settle however many are drawn; compare the P50s\n",
                        b.label(), c.var.no_mean.empty() ? "in the base case" : "in this case", why);
    else if (const std::string& no_sd = c.var.no_sd.empty() ? b.var.no_sd : c.var.no_sd; !no_sd.empty())
      os << fmt::format("   † `{}` has no finite sd {} ({}): the 95% CI of its Δ mean covers less often than it says, "
                        "however many samples are drawn; compare the P50s\n",
                        b.label(), c.var.no_sd.empty() ? "in the base case" : "in this case", no_sd);
    else if (st.delta[i].heavy_tailed())
      os << "  " << heavy_tail_note("Δ " + b.label(), st.delta[i]);
  }
  // Non-finite samples this case has and the base has not (the base's are said under its own table).
  for (std::size_t i = 0; i < base.variables.size(); ++i) {
    const auto& b = base.variables[i];
    const auto& c = st.run.variables[i];
    if (!b.reported || c.moments.nonfinite == 0 || b.moments.nonfinite > 0) continue;
    os << fmt::format("   warning: `{}` has {} non-finite samples (NaN or ±inf) of {} in this case{}\n", b.label(),
                      thousands(c.moments.nonfinite), thousands(base.samples),
                      c.nonfinite_origin.empty() ? "" : "; the first, " + c.nonfinite_origin);
  }
  for (std::size_t i = 0; i < base.variables.size(); ++i) {
    const auto& b = base.variables[i];
    const auto& c = st.run.variables[i];
    if (!b.risk || !c.risk) continue;
    for (std::size_t k = 0; k < b.risk->thresholds.size(); ++k) {
      const auto& bt = b.risk->thresholds[k];
      os << fmt::format("   P({} {} {}): base {} → stressed {}\n", b.label(), bt.below ? "<" : "≥",
                        format_number(bt.threshold, b.var.format), prob(bt.p), prob(c.risk->thresholds[k].p));
    }
    for (std::size_t k = 0; k < b.risk->tails.size(); ++k)
      os << fmt::format("   CVaR {:g}% of {}: base {} → stressed {}\n", b.risk->tails[k].level * 100, b.label(),
                        format_number(b.risk->tails[k].cvar, b.var.format), format_number(c.risk->tails[k].cvar, b.var.format));
  }
  if (base.decision && st.run.decision) {
    const DecisionSummary &b = *base.decision, &c = *st.run.decision;
    const DecisionEstimate &be = b.estimate, &ce = c.estimate;
    os << fmt::format("   decision: best now `{}` (mean {}) → `{}` (mean {}); EVPI {} → {}\n", b.options[be.best],
                      format_number(be.options[be.best].mean), c.options[ce.best], format_number(ce.options[ce.best].mean),
                      format_number(be.evpi), format_number(ce.evpi));
  }
}

// With --sobol: per reported output, each input's first-order and total index with its 95% CI, largest total
// first; an estimate below 0 or a CI wider than the index is marked and explained.
// [checks] and `bounds`: each condition's violations over the samples, with the Wilson 95% interval.
void print_checks(const RunSummary& r, std::ostream& os) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& v : r.variables) {
    if (v.var.role == FormulaRole::variable || v.moments.n == 0) continue;
    const Proportion p = v.violations();
    const std::uint64_t count = v.violated_samples();
    const std::string name = v.indicator_name() + (v.var.role == FormulaRole::bounds ? " bounds" : "");
    rows.push_back({name, v.var.condition, count == 0 ? "never" : fmt::format("{} of {}", thousands(count), thousands(p.n)),
                    fmt::format("{} [{}, {}]", format_number(p.p), format_number(p.lo), format_number(p.hi)),
                    count == 0 ? "ok" : "VIOLATED"});
  }
  if (rows.empty()) return;
  os << "\n checks (violated in how many samples; P with its 95% CI):\n";
  rows.insert(rows.begin(), {"check", "condition", "violated", "P(violated)", ""});
  print_rows(rows, os, true);
}

// With --sobol and correlated inputs: each input's Shapley effect with its 95% CI, largest first.
void print_shapley(const RunSummary& r, std::ostream& os) {
  for (const auto& v : r.variables) {
    if (v.shapley.empty()) continue;
    os << fmt::format("\n Shapley effects of {} (share of its variance, fair under the inputs' correlations; they sum "
                      "to 1; [..] 95% CI from {} random permutations × {} inputs × 3 model runs):\n",
                      v.label(), thousands(r.shapley_permutations), r.sobol_inputs.size());
    std::vector<std::size_t> order(r.sobol_inputs.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return v.shapley[a].index > v.shapley[b].index; });
    std::vector<std::vector<std::string>> rows = {{"input", "Sh", "95% CI"}};
    for (const std::size_t i : order)
      rows.push_back({r.sobol_inputs[i], fmt::format("{:.3f}", v.shapley[i].index),
                      fmt::format("[{:.3f}, {:.3f}]", v.shapley[i].lo, v.shapley[i].hi)});
    print_rows(rows, os, true);
  }
}

void print_sobol(const RunSummary& r, std::ostream& os) {
  if (r.sobol_inputs.empty()) return;
  if (r.shapley_permutations > 0) {  // Sobol' indices would treat the correlated inputs as independent
    print_shapley(r, os);
    os << " (inputs are correlated, so Shapley effects are shown: Sobol' indices assume independent inputs; theirs "
          "are kept in the JSON and HDF5, marked correlated_inputs)\n";
    return;
  }
  bool shaky = false;
  for (const auto& v : r.variables) {
    if (v.sobol_first.empty()) continue;
    os << fmt::format("\n Sobol' indices of {} (S first order, ST total; [..] 95% CI from {} replicate batches; "
                      "N = {} → {} model runs{}):\n",
                      v.label(), r.sobol_batches, thousands(r.sobol_samples),
                      thousands(r.sobol_samples * (r.sobol_inputs.size() + 2)),
                      r.sobol_correlated ? "; correlated inputs treated as independent" : "");
    std::vector<std::size_t> order(r.sobol_inputs.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](auto a, auto b) { return v.sobol_total[a].index > v.sobol_total[b].index; });
    std::vector<std::vector<std::string>> rows = {{"input", "", "S", "95% CI", "ST", "95% CI", ""}};
    for (const std::size_t i : order) {
      const SobolIndex &s = v.sobol_first[i], &t = v.sobol_total[i];
      const auto doubtful = [](const SobolIndex& x) { return x.index < 0 || x.hi - x.lo > std::fabs(x.index); };
      const bool mark = doubtful(s) || doubtful(t);
      shaky = shaky || mark;
      rows.push_back({r.sobol_inputs[i], "", fmt::format("{:.3f}", s.index), fmt::format("[{:.3f}, {:.3f}]", s.lo, s.hi),
                      fmt::format("{:.3f}", t.index), fmt::format("[{:.3f}, {:.3f}]", t.lo, t.hi), mark ? "!" : ""});
    }
    print_rows(rows, os, true);
  }
  if (shaky)
    os << " ! an estimate below 0 or a CI wider than the index: not resolved at this N (an index near 0 is "
          "expected to scatter around it); run more samples\n";
}

// A [decision]: each option's mean and P(best), the choice now, EVPI, and the EVPPI of each input and group ranked.
void print_decision(const DecisionSummary& d, std::ostream& os) {
  const DecisionEstimate& e = d.estimate;
  const auto money = [](double x) { return format_number(x); };
  const auto interval = [&](double x, double half) { return fmt::format("[{}, {}]", money(x - half), money(x + half)); };
  os << fmt::format("\n decision between {} options (their values in {}; means over the first {} samples{}; [..] 95% CI):\n",
                    d.options.size(), d.unit.empty() ? "one unit" : d.unit, thousands(d.samples),
                    e.skipped > 0 ? fmt::format(", {} with a non-finite value left out", thousands(e.skipped)) : "");
  std::vector<std::vector<std::string>> rows = {{"option", "mean", "95% CI", "P(best)", ""}};
  for (std::size_t k = 0; k < d.options.size(); ++k) {
    const DecisionOption& o = e.options[k];
    rows.push_back({d.options[k], money(o.mean), interval(o.mean, 1.96 * o.se), prob(o.best),
                    k == e.best ? "← best now" : ""});
  }
  print_rows(rows, os, true);
  os << fmt::format(" EVPI = {} {} (expected value of perfect information: what knowing every input before deciding "
                    "would add to the best option's {})\n",
                    money(e.evpi), interval(e.evpi, 1.96 * e.evpi_se), money(e.options[e.best].mean));
  rows = {{"what to learn first", "EVPPI", "95% CI (± bias bound)", "of EVPI", "cells"}};
  for (const std::size_t q : d.ranked()) {
    const PartialValue& v = e.partial[q];
    std::string name = d.questions[q].first;
    if (d.is_group(q)) {
      std::string members;
      for (const auto& m : d.questions[q].second) members += (members.empty() ? "" : ", ") + m;
      name = fmt::format("{} ({})", name, members);
    }
    rows.push_back({name, money(v.value), interval(v.value, 1.96 * v.se + v.bias),
                    e.evpi > 0 ? fmt::format("{:.0f}%", std::round(100 * v.value / e.evpi) + 0.0) : "—", thousands(v.cells)});
  }
  os << " value of learning an input (or group) exactly before deciding (EVPPI, largest first):\n";
  print_rows(rows, os, true);
}

void print_portfolio(const PortfolioStats& p, std::ostream& os) {
  const auto& k = p.moic_risk;
  const auto [moic_mean, moic_half] = mean_ci(p.moic_moments);
  os << fmt::format("\n portfolio of {} holdings: MOIC P5 {} · P50 {} · P95 {} · mean {} ± {}\n", p.names.size(),
                    format_number(quantile_at(p.moic, 0.05).value), format_number(quantile_at(p.moic, 0.50).value), format_number(quantile_at(p.moic, 0.95).value),
                    moic_mean, moic_half);
  std::string line;
  for (const auto& t : k.thresholds)
    line += fmt::format("{}P(MOIC {} {:g}) = {}", line.empty() ? "" : " · ", t.below ? "<" : "≥", t.threshold, prob(t.p));
  os << "   " << line << '\n';
  if (p.has_irr && p.irr.size() == k_report_probs.size())
    os << fmt::format("   IRR of the dated cash flows: P5 {} · P50 {} · P95 {} · P(IRR < 0) = {}\n", fixed(quantile_at(p.irr, 0.05).value, 3),
                      fixed(quantile_at(p.irr, 0.50).value, 3), fixed(quantile_at(p.irr, 0.95).value, 3), prob(p.p_irr_negative));
  os << fmt::format("   worst {:g}% of outcomes: P&L ≤ {} (VaR), mean {} (CVaR), split by holding below\n",
                    k.tails.at(0).level * 100, format_number(p.pnl_var), format_number(p.pnl_cvar));
  std::vector<std::vector<std::string>> rows = {{"holding", "", "E[P&L]", "P(loss)", "CVaR contribution", "share"}};
  for (std::size_t i = 0; i < p.names.size(); ++i)
    rows.push_back({p.names[i], "", format_number(p.expected_pnl[i]), fmt::format("{:.3f}", p.p_loss[i].p),
                    format_number(p.contribution[i]),
                    p.pnl_cvar != 0 ? fmt::format("{:.0f}%", 100 * p.contribution[i] / p.pnl_cvar) : "—"});
  print_rows(rows, os);
  os << "   rank correlation of the holdings' MOICs (Spearman):\n";
  std::vector<std::vector<std::string>> corr = {{"", ""}};
  for (const auto& n : p.names) corr[0].push_back(n);
  for (std::size_t a = 0; a < p.names.size(); ++a) {
    corr.push_back({p.names[a], ""});
    for (std::size_t b = 0; b < p.names.size(); ++b)
      corr.back().push_back(fmt::format("{:.2f}", p.rank_correlation[a * p.names.size() + b]));
  }
  print_rows(corr, os);
}

// A P5–P95 range as shown, or "—".
std::string range(const std::vector<QuantileEstimate>& q, NumberStyle style) {
  if (q.empty()) return "—";
  return format_number(quantile_at(q, 0.05).value, style) + " to " + format_number(quantile_at(q, 0.95).value, style);
}

// A conditioned run's figures and weights (before the main table, which is the posterior).
void print_evidence_head(const RunSummary& r, std::ostream& os) {
  const EvidenceSummary& e = *r.evidence;
  os << fmt::format(" conditioned on {} observed figure{}: every statistic is weighted by the samples' likelihood "
                    "(the posterior)\n",
                    e.figures.size(), e.figures.size() == 1 ? "" : "s");
  std::vector<std::vector<std::string>> rows = {{"figure", "unit", "observed", "prior P5–P95", "posterior P5–P95", "source"}};
  for (std::size_t f = 0; f < e.figures.size(); ++f) {
    const Evidence& fig = e.figures[f];
    const VariableSummary& v = r.variables[r.series_index(fig.variable, fig.year)];
    std::string observed;
    switch (fig.kind) {
      case Evidence::Kind::normal:
        observed = format_number(fig.observed, v.var.format) + " ± " + format_number(fig.sd, v.var.format) + " (sd)";
        break;
      case Evidence::Kind::lognormal:
        observed = format_number(fig.observed, v.var.format) + fmt::format(" (ln sd {:g})", fig.sd);
        break;
      case Evidence::Kind::interval:
        observed = "in [" + format_number(fig.lo, v.var.format) + ", " + format_number(fig.hi, v.var.format) + "]";
        break;
    }
    // The source's citation (up to its first colon): the whole text is in the file and the JSON.
    const std::string cite = fig.source.substr(0, std::min(fig.source.find(':'), std::size_t{60}));
    rows.push_back({fig.label(), v.var.unit, observed, v.prior ? range(v.prior->quantiles, v.var.format) : "—",
                    range(v.quantiles, v.var.format), cite});
  }
  print_rows(rows, os, true, 2);
  const double share = e.samples > 0 ? e.ess / static_cast<double>(e.samples) : 0;
  os << fmt::format(" effective sample size {} of {} samples ({:.3g}%); mean likelihood {:.3g} ± {:.2g}\n",
                    thousands(static_cast<std::uint64_t>(std::llround(e.ess))), thousands(e.samples), 100 * share,
                    e.likelihood.mean, e.likelihood.half95());
}

// A conditioned run's inputs (and other series with a prior) before and after the figures.
void print_prior_posterior(const RunSummary& r, std::ostream& os) {
  std::vector<std::vector<std::string>> rows = {
      {"prior → posterior", "unit", "prior mean", "posterior mean", "±95% CI", "prior P5–P95", "posterior P5–P95"}};
  for (const auto& v : r.variables) {
    if (!v.prior || (!v.var.input && !v.reported)) continue;
    const auto [mean, half] = mean_ci(v.moments, v.var.format);
    rows.push_back({v.label(), v.var.unit, format_number(v.prior->moments.mean, v.var.format), mean, half,
                    range(v.prior->quantiles, v.var.format), range(v.quantiles, v.var.format)});
  }
  if (rows.size() < 2) return;
  os << '\n';
  print_rows(rows, os);
}

}  // namespace

std::string evidence_warning(const EvidenceSummary& e) {
  std::string out;
  if (e.too_few())
    out += fmt::format(" warning: the effective sample size is {} (of {} samples), under {}: the conditioned statistics "
                       "rest on few samples and their CIs are rough; about {} samples (-n {}) would give an effective "
                       "size of {}\n",
                       thousands(static_cast<std::uint64_t>(std::llround(e.ess))), thousands(e.samples),
                       thousands(static_cast<std::uint64_t>(k_min_ess)), thousands(e.samples_for(k_target_ess)),
                       e.samples_for(k_target_ess), thousands(static_cast<std::uint64_t>(k_target_ess)));
  if (e.unjudged > 0)
    out += fmt::format(" warning: {} of {} samples have a non-finite value where a figure is observed; they weigh 0\n",
                       thousands(e.unjudged), thousands(e.samples));
  return out;
}

std::string heavy_tail_note(const std::string& label, const Moments& m) {
  const std::string advice = "; trust the quantiles more, or run more samples\n";
  if (m.skew_ratio() > k_heavy_tail_skew)
    return fmt::format(" † heavy tail: `{}` is so skewed (|skewness|/√n = {:.2f}, over {:.2f}) that the 95% CI of its "
                       "mean covers less often than it says{}",
                       label, m.skew_ratio(), k_heavy_tail_skew, advice);
  return fmt::format(" † heavy tail: the {} replicate means of `{}` are skewed (|skewness|/√R = {:.2f}, over {:.2f}), so "
                     "the t interval over them covers less often than it says{}",
                     m.replicates, label, m.replicate_skew, k_heavy_tail_replicate_skew, advice);
}

std::string design_note(const RunSummary& r) {
  const std::uint32_t reps = r.design.replicates;
  const std::string kind = r.design.kind == DesignKind::lhs ? "Latin hypercube" : "scrambled Sobol' points";
  const std::uint64_t each = reps > 0 ? r.samples / reps : 0;
  return fmt::format("{}, {} independent replicates of {}{} samples: each mean's ±95% CI is Student's t ({} df) over "
                     "the replicate means; quantile and risk CIs treat the samples as independent",
                     kind, reps, r.samples % std::max<std::uint32_t>(reps, 1) == 0 ? "" : "~", thousands(each), reps - 1);
}

void print_table(const RunSummary& r, std::ostream& os) {
  os << r.name << (r.title.empty() ? "" : " — " + r.title) << '\n';
  if (r.point_only) {
    os << " point estimate: every input at its `point` value" << (r.unit.empty() ? "" : ", unit " + r.unit) << "\n\n";
    std::vector<std::vector<std::string>> rows = {{"variable", "unit", "point", "definition"}};
    for (const auto& v : r.variables) rows.push_back({v.label(), v.var.unit, format_number(v.point, v.var.format), v.var.law});
    print_rows(rows, os, true);
    std::vector<std::string> origins;  // each once: a NaN is read by every formula after it
    for (const auto& v : r.variables)
      if (!v.nonfinite_origin.empty() && std::find(origins.begin(), origins.end(), v.nonfinite_origin) == origins.end())
        origins.push_back(v.nonfinite_origin);
    for (const std::string& o : origins) os << " — at the points, " << o << '\n';
    for (const auto& st : r.stresses) print_stress(r, st, os);
    return;
  }
  // A suite member runs in the suite's one stream: its time is the suite's, shown there.
  const std::string time = r.seconds > 0 ? fmt::format(" · {:.2f} s", r.seconds) : std::string(" · run with its suite");
  const std::string workers =
      r.ranks > 1 ? fmt::format("{} ranks × {} threads", r.ranks, r.threads) : fmt::format("{} threads", r.threads);
  os << fmt::format(" {} samples · seed {} · {}{}{}\n", thousands(r.samples), r.seed, workers, time,
                    r.unit.empty() ? "" : " · unit " + r.unit);
  if (r.design.replicated()) os << " design: " << design_note(r) << '\n';
  if (!r.precision.empty()) {  // one target a line past the first: `all` can name dozens
    const std::size_t colon = r.precision.find(": ");
    os << " precision: " << r.precision.substr(0, colon == std::string::npos ? std::string::npos : colon + 1) << '\n';
    for (std::size_t at = colon == std::string::npos ? r.precision.size() : colon + 2; at < r.precision.size();) {
      const std::size_t end = std::min(r.precision.find("), ", at), r.precision.size() - 1);
      os << "   " << r.precision.substr(at, end + 1 - at) << '\n';
      at = end + 3;
    }
  }
  if (!r.output.empty()) os << " results: " << r.output << '\n';
  if (r.evidence) print_evidence_head(r, os);
  os << '\n';
  std::vector<std::vector<std::string>> rows = {
      {"variable", "unit", "point", "mean", "±95% CI", "P5", "P50", "P95", "non-finite", "main driver (ρ, swing)"}};
  for (const auto& v : r.variables) {
    if (!v.reported) continue;
    const Moments& m = v.moments;
    const NumberStyle style = v.var.format;
    const auto [mean, half] = mean_ci(m, style);
    std::vector<std::string> row = {v.label(), v.var.unit, format_number(v.point, style), mean,
                                    m.heavy_tailed() || m.ci_beyond_samples() || !v.var.no_mean.empty() ||
                                            !v.var.no_sd.empty()
                                        ? half + " †"
                                        : half};
    for (const double p : {0.05, 0.50, 0.95})
      row.push_back(v.quantiles.empty() ? "—" : format_number(v.at(p).value, style));
    row.push_back(thousands(m.nonfinite));
    row.push_back(main_driver(r, v));
    rows.push_back(std::move(row));
  }
  print_rows(rows, os, true);
  if (r.evidence) print_prior_posterior(r, os);
  print_risk(r, os);
  print_checks(r, os);
  print_sobol(r, os);
  if (r.decision) print_decision(*r.decision, os);
  if (r.portfolio) print_portfolio(*r.portfolio, os);
  for (const auto& st : r.stresses) print_stress(r, st, os);
  for (const auto& v : r.variables)  // a mean that does not exist: said once, instead of the notes below
    if (v.reported && !v.var.no_mean.empty())
      os << fmt::format(" † `{}` has no finite mean ({}): the mean and CI above are only those of these samples and "
                        "do not settle however many are drawn; read its quantiles\n",
                        v.label(), v.var.no_mean);
  for (const auto& v : r.variables)  // an sd that does not exist: more samples cannot mend the CI
    if (v.reported && !v.var.no_sd.empty())
      os << fmt::format(" † `{}` has no finite sd ({}): the 95% CI of its mean rests on a variance that does not exist "
                        "and covers the mean less often than it says, however many samples are drawn; read its "
                        "quantiles\n",
                        v.label(), v.var.no_sd);
  for (const auto& v : r.variables)
    if (v.reported && v.var.no_mean.empty() && v.var.no_sd.empty() && v.moments.heavy_tailed())
      os << heavy_tail_note(v.label(), v.moments);
  for (const auto& v : r.variables)
    if (v.reported && v.var.no_mean.empty() && v.moments.ci_beyond_samples()) {
      const Moments& m = v.moments;
      const bool below = m.mean - m.half95() < m.min;
      os << fmt::format(" † `{}`: the normal 95% CI of its mean reaches {} its {} sample ({}), a value it never took; "
                        "read it as \"the mean is not known to this precision\", not as plausible means; trust the "
                        "quantiles, or run more samples\n",
                        v.label(), below ? "below" : "above", below ? "smallest" : "largest",
                        format_number(below ? m.min : m.max, v.var.format));
    }
  if (r.evidence) os << evidence_warning(*r.evidence);
  for (const auto& v : r.variables)
    if (v.moments.nonfinite > 0)
      os << fmt::format(" warning: `{}` has {} non-finite samples (NaN or ±inf) of {}; its statistics use the {} "
                        "finite ones\n",
                        v.label(), thousands(v.moments.nonfinite), thousands(r.samples), thousands(v.moments.n));
  // Where they come from: each origin once, with the variables whose first non-finite value it is.
  std::vector<std::pair<std::string, std::vector<std::string>>> origins;
  for (const auto& v : r.variables) {
    if (v.nonfinite_origin.empty()) continue;
    auto it = std::find_if(origins.begin(), origins.end(), [&](const auto& o) { return o.first == v.nonfinite_origin; });
    if (it == origins.end()) it = origins.insert(origins.end(), {v.nonfinite_origin, {}});
    it->second.push_back("`" + v.label() + "`");
  }
  if (!origins.empty()) os << " where the first non-finite value comes from:\n";
  for (const auto& [origin, labels] : origins) os << fmt::format("   {}: {}\n", fmt::join(labels, ", "), origin);
  for (const auto& v : r.variables)
    if (!v.below_zero.empty()) os << fmt::format(" warning: `{}` {}\n", v.label(), v.below_zero);
}

void print_timings(const PhaseTimings& t, std::ostream& os) {
  const double total = t.total();
  const double sampling = t.stream.sample + t.stream.passes;
  os << fmt::format(" timings (wall s): parse {:.3f} · setup {:.3f} · pilot {:.3f} · sampling pass {:.3f} · further passes "
                    "{:.3f} ({}) · statistics {:.3f} · sensitivity {:.3f}{} · write {:.3f} · total {:.3f}\n",
                    t.parse, t.setup, t.stream.pilot, t.stream.sample, t.stream.passes, t.stream.extra_passes, t.stream.statistics,
                    t.sensitivity, t.decision > 0 ? fmt::format(" · decision {:.3f}", t.decision) : "", t.write, total);
  if (total > 0)
    os << fmt::format(" outside the sampling passes: {:.1f}% of the time (outside the main pass: {:.1f}%)\n",
                      100 * (total - sampling) / total, 100 * (total - t.stream.sample) / total);
}


void print_suite(const SuiteSummary& r, const Suite& s, std::ostream& os) {
  os << r.name << (r.title.empty() ? "" : " — " + r.title) << '\n';
  if (r.point_only) {
    os << " point estimates of every member (every input at its `point` value)\n";
    for (const auto& m : r.members) {
      os << '\n';
      print_table(m, os);
    }
    return;
  }
  os << fmt::format(" {} samples · seed {} · {} · {:.2f} s{}\n", thousands(r.samples), r.seed,
                    r.ranks > 1 ? fmt::format("{} ranks × {} threads", r.ranks, r.threads) : fmt::format("{} threads", r.threads),
                    r.seconds, r.unit.empty() ? "" : " · market in " + r.unit);
  if (!r.output.empty()) os << " results: " << r.output << '\n';
  for (const auto& v : r.shared.variables)
    if (!v.quantiles.empty())
      os << fmt::format(" shared input {}: P50 {} (P5 {}, P95 {}){}\n", v.var.name, format_number(v.at(0.5).value),
                        format_number(v.at(0.05).value), format_number(v.at(0.95).value), v.var.unit.empty() ? "" : " " + v.var.unit);
  const MatrixStats& m = r.matrix;
  if (!r.cells.empty()) {
    os << '\n';
    const bool years = std::any_of(r.cells.begin(), r.cells.end(), [&](std::size_t k) { return s.members[k].year.has_value(); });
    std::vector<std::string> header = {"rank", "cell", "section", "year", "P50", "P5", "P95"};
    for (const auto& n : r.star_names) header.push_back("★" + n);
    for (const char* h : {"share P50", "P5", "P95", "P(>next)"}) header.emplace_back(h);
    if (!years) header.erase(header.begin() + 3);
    std::vector<std::vector<std::string>> rows = {header};
    for (std::size_t rank = 0; rank < m.order.size(); ++rank) {
      const std::size_t c = m.order[rank];
      const SuiteMember& mem = s.members[r.cells[c]];
      std::vector<std::string> row = {std::to_string(rank + 1), mem.key, mem.section,
                                      mem.year ? std::to_string(*mem.year) : "", format_number(m.market[c][4].value),
                                      format_number(m.market[c][1].value), format_number(m.market[c][7].value)};
      for (const double st : mem.stars) row.push_back(fmt::format("{:g}", st));
      if (!years) row.erase(row.begin() + 3);
      if (m.share[c].empty()) row.insert(row.end(), {"—", "—", "—"});
      else
        for (const std::size_t q : {4, 1, 7}) row.push_back(format_number(m.share[c][q].value));
      row.push_back(rank < m.next.size() ? fixed(m.next[rank].p, 3) : "");
      rows.push_back(std::move(row));
    }
    print_rows(rows, os, false, 3);  // rank, cell and section left-aligned; numbers right-aligned
    double widest = 0;
    for (const auto& p : m.next) widest = std::max(widest, std::max(p.hi - p.p, p.p - p.lo));
    os << fmt::format("\n market P5/P50/P95 in {}; share = the cell's AIGC share of the work (R2's first axis, market "
                      "space its second).\n",
                      r.unit.empty() ? "the suite's unit" : r.unit);
    os << fmt::format(" P(>next): probability over the joint samples that the cell's market exceeds the next cell's "
                      "(95% CIs within ±{:.3f}).\n",
                      widest);
    const RankAgreement& ag = m.agreement;
    const auto [tau_mean, tau_half] = mean_ci(ag.per_sample);
    if (ag.quantiles.size() == 3)
      os << fmt::format(" agreement with the `{}` stars (Kendall τ_b over {} cells): {} for the median ranking;\n"
                        "   per sample: mean {} ± {} (95% CI), P5–P95 [{}, {}], P(τ_b > 0) = {}\n",
                        r.rank_by, m.order.size(), fixed(ag.median_ranking, 3),
                        tau_mean, tau_half,
                        fixed(ag.quantiles[0].value, 3), fixed(ag.quantiles[2].value, 3), fixed(ag.positive.p, 3));
    for (std::size_t c = 0; c < m.market_moments.size(); ++c)
      if (m.market_moments[c].nonfinite > 0)
        os << fmt::format(" warning: cell `{}` has {} non-finite market samples\n", s.members[r.cells[c]].key,
                          thousands(m.market_moments[c].nonfinite));
  }
  for (std::size_t k = 0; k < s.members.size(); ++k)
    if (!s.members[k].cell) {
      os << '\n';
      print_table(r.members[k], os);
    }
}

}  // namespace tamcarlo
