#include "sim/io/output.hpp"

#include "sim/io/text.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

namespace tamcarlo {
namespace {

std::string pct(double p) { return fmt::format("p{:g}", p * 100); }
std::string fixed(double x, int digits) { return std::isfinite(x) ? fmt::format("{:.{}f}", x, digits) : "-"; }

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

// The input with the largest |Spearman ρ| with this output, e.g. "share (+0.81)"; none when even that one is
// within 2 SE of 0 (SE = 1/√(m − 1) over the m samples ranked: noise, not a driver).
std::string main_driver(const RunSummary& r, const VariableSummary& v) {
  std::size_t best = v.sensitivity.size();
  for (std::size_t k = 0; k < v.sensitivity.size(); ++k)
    if (std::isfinite(v.sensitivity[k]) && (best == v.sensitivity.size() || std::fabs(v.sensitivity[k]) > std::fabs(v.sensitivity[best])))
      best = k;
  if (best == v.sensitivity.size()) return "";
  if (r.sensitivity_samples > 1 &&
      std::fabs(v.sensitivity[best]) < 2 / std::sqrt(static_cast<double>(r.sensitivity_samples - 1)))
    return "";
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
    std::string line;
    for (const auto& t : k.tails)
      line += fmt::format("{}VaR {:g}% {} [{}, {}] · CVaR {:g}% {} ± {}", line.empty() ? "" : " · ", t.level * 100,
                          human(t.var.value), human(t.var.lo), human(t.var.hi), t.level * 100, human(t.cvar),
                          human(k_z95_two_sided * t.cvar_se));
    os << "   " << line << '\n';
    line.clear();
    for (const auto& t : k.thresholds)
      line += fmt::format("{}P({} {} {:g}) = {}", line.empty() ? "" : " · ", name, t.below ? "<" : "≥", t.threshold,
                          prob(t.p));
    if (!line.empty()) os << "   " << line << '\n';
    os << fmt::format("   downside deviation {} {}: {} ± {}\n", v.risk_spec->upper_tail ? "above" : "below",
                      human(k.downside_target), human(k.semi_deviation), human(k_z95_two_sided * k.semi_deviation_se));
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
        rows.push_back({base.variables[i].label(), base.variables[i].var.unit, human(base.variables[i].point),
                        human(st.run.variables[i].point)});
    print_rows(rows, os);
    return;
  }
  std::vector<std::vector<std::string>> rows = {
      {"variable", "unit", "base P50", "stressed P50", "base mean", "stressed mean", "Δ mean", "±95% CI"}};
  for (std::size_t i = 0; i < base.variables.size(); ++i) {
    const auto& b = base.variables[i];
    const auto& c = st.run.variables[i];
    if (!b.reported) continue;
    const Moments& d = st.delta[i];
    rows.push_back({b.label(), b.var.unit, b.quantiles.empty() ? "-" : human(b.at(0.5).value),
                    c.quantiles.empty() ? "-" : human(c.at(0.5).value), human(b.moments.mean), human(c.moments.mean),
                    d.n > 0 ? human(d.mean) : "-", d.n > 0 ? human(k_z95_two_sided * d.se()) : "-"});
  }
  print_rows(rows, os);
  for (std::size_t i = 0; i < base.variables.size(); ++i) {
    const auto& b = base.variables[i];
    const auto& c = st.run.variables[i];
    if (!b.risk || !c.risk) continue;
    for (std::size_t k = 0; k < b.risk->thresholds.size(); ++k) {
      const auto& bt = b.risk->thresholds[k];
      os << fmt::format("   P({} {} {:g}): base {} → stressed {}\n", b.label(), bt.below ? "<" : "≥", bt.threshold,
                        prob(bt.p), prob(c.risk->thresholds[k].p));
    }
    for (std::size_t k = 0; k < b.risk->tails.size(); ++k)
      os << fmt::format("   CVaR {:g}% of {}: base {} → stressed {}\n", b.risk->tails[k].level * 100, b.label(),
                        human(b.risk->tails[k].cvar), human(c.risk->tails[k].cvar));
  }
}

void print_portfolio(const PortfolioStats& p, std::ostream& os) {
  const auto& k = p.moic_risk;
  os << fmt::format("\n portfolio of {} holdings: MOIC P5 {} · P50 {} · P95 {} · mean {} ± {}\n", p.names.size(),
                    human(quantile_at(p.moic, 0.05).value), human(quantile_at(p.moic, 0.50).value), human(quantile_at(p.moic, 0.95).value), human(p.moic_moments.mean),
                    human(k_z95_two_sided * p.moic_moments.se()));
  std::string line;
  for (const auto& t : k.thresholds)
    line += fmt::format("{}P(MOIC {} {:g}) = {}", line.empty() ? "" : " · ", t.below ? "<" : "≥", t.threshold, prob(t.p));
  os << "   " << line << '\n';
  if (p.has_irr && p.irr.size() == k_report_probs.size())
    os << fmt::format("   IRR of the dated cash flows: P5 {} · P50 {} · P95 {} · P(IRR < 0) = {}\n", fixed(quantile_at(p.irr, 0.05).value, 3),
                      fixed(quantile_at(p.irr, 0.50).value, 3), fixed(quantile_at(p.irr, 0.95).value, 3), prob(p.p_irr_negative));
  os << fmt::format("   worst {:g}% of outcomes: P&L ≤ {} (VaR), mean {} (CVaR), split by holding below\n",
                    k.tails.at(0).level * 100, human(p.pnl_var), human(p.pnl_cvar));
  std::vector<std::vector<std::string>> rows = {{"holding", "", "E[P&L]", "P(loss)", "CVaR contribution", "share"}};
  for (std::size_t i = 0; i < p.names.size(); ++i)
    rows.push_back({p.names[i], "", human(p.expected_pnl[i]), fmt::format("{:.3f}", p.p_loss[i].p),
                    human(p.contribution[i]),
                    p.pnl_cvar != 0 ? fmt::format("{:.0f}%", 100 * p.contribution[i] / p.pnl_cvar) : "-"});
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

std::string json_risk(const RiskStats& k) {
  std::string tails, probs;
  for (const auto& t : k.tails)
    tails += fmt::format("{}{{\"level\":{},\"var\":{},\"var_ci\":[{},{}],\"cvar\":{},\"cvar_se\":{}}}",
                         tails.empty() ? "" : ",", json_number(t.level), json_number(t.var.value), json_number(t.var.lo),
                         json_number(t.var.hi), json_number(t.cvar), json_number(t.cvar_se));
  for (const auto& t : k.thresholds)
    probs += fmt::format("{}{{\"{}\":{},\"p\":{},\"ci\":[{},{}]}}", probs.empty() ? "" : ",",
                         t.below ? "below" : "at_least", json_number(t.threshold), json_number(t.p.p),
                         json_number(t.p.lo), json_number(t.p.hi));
  return fmt::format("{{\"tails\":[{}],\"probabilities\":[{}],\"downside_target\":{},\"semi_deviation\":{},"
                     "\"semi_deviation_se\":{}}}",
                     tails, probs, json_number(k.downside_target), json_number(k.semi_deviation),
                     json_number(k.semi_deviation_se));
}

}  // namespace

void print_table(const RunSummary& r, std::ostream& os) {
  os << r.name << (r.title.empty() ? "" : " — " + r.title) << '\n';
  if (r.point_only) {
    os << " point estimate: every input at its `point` value" << (r.unit.empty() ? "" : ", unit " + r.unit) << "\n\n";
    std::vector<std::vector<std::string>> rows = {{"variable", "unit", "point", "definition"}};
    for (const auto& v : r.variables) rows.push_back({v.label(), v.var.unit, human(v.point), v.var.law});
    print_rows(rows, os, true);
    for (const auto& st : r.stresses) print_stress(r, st, os);
    return;
  }
  // A suite member runs in the suite's one stream: its time is the suite's, shown there.
  const std::string time = r.seconds > 0 ? fmt::format(" · {:.2f} s", r.seconds) : std::string(" · run with its suite");
  const std::string workers =
      r.ranks > 1 ? fmt::format("{} ranks × {} threads", r.ranks, r.threads) : fmt::format("{} threads", r.threads);
  os << fmt::format(" {} samples · seed {} · {}{}{}\n", thousands(r.samples), r.seed, workers, time,
                    r.unit.empty() ? "" : " · unit " + r.unit);
  if (!r.precision.empty()) os << " precision: " << r.precision << '\n';
  if (!r.output.empty()) os << " results: " << r.output << '\n';
  os << '\n';
  std::vector<std::vector<std::string>> rows = {
      {"variable", "unit", "point", "mean", "±95% CI", "P5", "P50", "P95", "non-finite", "main driver (ρ)"}};
  for (const auto& v : r.variables) {
    if (!v.reported) continue;
    const Moments& m = v.moments;
    std::vector<std::string> row = {v.label(), v.var.unit, human(v.point), human(m.mean),
                                    human(k_z95_two_sided * m.se())};
    for (const double p : {0.05, 0.50, 0.95}) row.push_back(v.quantiles.empty() ? "-" : human(v.at(p).value));
    row.push_back(thousands(m.nonfinite));
    row.push_back(main_driver(r, v));
    rows.push_back(std::move(row));
  }
  print_rows(rows, os, true);
  print_risk(r, os);
  if (r.portfolio) print_portfolio(*r.portfolio, os);
  for (const auto& st : r.stresses) print_stress(r, st, os);
  for (const auto& v : r.variables)
    if (v.moments.nonfinite > 0)
      os << fmt::format(" warning: `{}` has {} non-finite samples (NaN or ±inf) of {}; its statistics use the {} "
                        "finite ones\n",
                        v.label(), thousands(v.moments.nonfinite), thousands(r.samples), thousands(v.moments.n));
}

namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (const char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string csv_number(double x) { return std::isfinite(x) ? json_number(x) : (std::isnan(x) ? "nan" : x > 0 ? "inf" : "-inf"); }

}  // namespace

void write_csv(const RunSummary& r, std::ostream& os) {
  os << "variable,year,kind,unit,reported,point,n,nonfinite,mean,mean_se,mean_ci_lo,mean_ci_hi,sd,min,max";
  for (const double p : k_report_probs) os << fmt::format(",{0},{0}_lo,{0}_hi", pct(p));
  os << ",law,source\r\n";
  for (const auto& v : r.variables) {
    const Moments& m = v.moments;
    const double half = k_z95_two_sided * m.se();
    os << fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}", csv_field(v.var.name),
                      v.year ? std::to_string(*v.year) : std::string(), v.var.input ? "input" : "formula",
                      csv_field(v.var.unit), v.reported ? 1 : 0, csv_number(v.point), m.n, m.nonfinite,
                      csv_number(m.mean), csv_number(m.se()), csv_number(m.mean - half), csv_number(m.mean + half),
                      csv_number(m.sd()), csv_number(m.min), csv_number(m.max));
    for (std::size_t i = 0; i < k_report_probs.size(); ++i) {
      if (v.quantiles.empty()) os << ",,,";
      else os << fmt::format(",{},{},{}", csv_number(v.quantiles[i].value), csv_number(v.quantiles[i].lo),
                             csv_number(v.quantiles[i].hi));
    }
    os << ',' << csv_field(v.var.law) << ',' << csv_field(v.var.source) << "\r\n";
  }
}

void print_json(const RunSummary& r, std::ostream& os) { os << json_run(r) << '\n'; }

void print_timings(const PhaseTimings& t, std::ostream& os) {
  const double total = t.total();
  const double sampling = t.stream.sample + t.stream.passes;
  os << fmt::format(" timings (wall s): parse {:.3f} · pilot {:.3f} · sampling pass {:.3f} · further passes {:.3f} ({}) · "
                    "statistics {:.3f} · sensitivity {:.3f} · write {:.3f} · total {:.3f}\n",
                    t.parse, t.stream.pilot, t.stream.sample, t.stream.passes, t.stream.extra_passes, t.stream.statistics,
                    t.sensitivity, t.write, total);
  if (total > 0)
    os << fmt::format(" outside the sampling passes: {:.1f}% of the time (outside the main pass: {:.1f}%)\n",
                      100 * (total - sampling) / total, 100 * (total - t.stream.sample) / total);
}

std::string json_timings(const PhaseTimings& t) {
  return fmt::format("{{\"parse\":{},\"pilot\":{},\"sample\":{},\"passes\":{},\"extra_passes\":{},\"statistics\":{},"
                     "\"sensitivity\":{},\"write\":{},\"total\":{}}}",
                     json_number(t.parse), json_number(t.stream.pilot), json_number(t.stream.sample),
                     json_number(t.stream.passes), t.stream.extra_passes, json_number(t.stream.statistics),
                     json_number(t.sensitivity), json_number(t.write), json_number(t.total()));
}

std::string json_run(const RunSummary& r) {
  std::string s = "{";
  s += fmt::format("\"scenario\":{},\"title\":{},\"path\":{},\"unit\":{},\"seed\":{},\"samples\":{},\"threads\":{},"
                   "\"ranks\":{},\"point_only\":{},\"seconds\":{},\"timings\":{},\"output\":{},\"precision\":{},"
                   "\"years\":[{}],\"variables\":{{",
                   json_string(r.name), json_string(r.title), json_string(r.scenario_path), json_string(r.unit), r.seed,
                   r.samples, r.threads, r.ranks, r.point_only ? "true" : "false", json_number(r.seconds),
                   json_timings(r.timings), r.output.empty() ? "null" : json_string(r.output),
                   r.precision.empty() ? "null" : json_string(r.precision), fmt::join(r.years, ","));
  bool first = true;
  for (const auto& v : r.variables) {
    s += fmt::format("{}{}:{{\"variable\":{},\"year\":{},\"kind\":{},\"unit\":{},\"source\":{},\"law\":{},"
                     "\"reported\":{},\"point\":{}",
                     first ? "" : ",", json_string(v.label()), json_string(v.var.name),
                     v.year ? std::to_string(*v.year) : std::string("null"), v.var.input ? "\"input\"" : "\"formula\"",
                     json_string(v.var.unit), json_string(v.var.source), json_string(v.var.law),
                     v.reported ? "true" : "false", json_number(v.point));
    first = false;
    if (!r.point_only) {
      const Moments& m = v.moments;
      const double half = k_z95_two_sided * m.se();
      s += fmt::format(",\"n\":{},\"nonfinite\":{},\"mean\":{},\"mean_se\":{},\"mean_ci\":[{},{}],\"sd\":{},\"min\":{},"
                       "\"max\":{}",
                       m.n, m.nonfinite, json_number(m.mean), json_number(m.se()), json_number(m.mean - half),
                       json_number(m.mean + half), json_number(m.sd()), json_number(m.min), json_number(m.max));
      for (const auto& q : v.quantiles)
        s += fmt::format(",\"{}\":{},\"{}_ci\":[{},{}]", pct(q.p), json_number(q.value), pct(q.p), json_number(q.lo),
                         json_number(q.hi));
      if (v.risk) s += ",\"risk\":" + json_risk(*v.risk);
      if (!v.sensitivity.empty()) {
        std::string sens;
        for (std::size_t k = 0; k < v.sensitivity.size(); ++k)
          sens += fmt::format("{}{}:{}", k ? "," : "", json_string(r.sensitivity_inputs[k]), json_number(v.sensitivity[k]));
        s += ",\"sensitivity\":{" + sens + "}";
      }
    }
    s += "}";
  }
  s += "}";
  if (r.portfolio) {
    const PortfolioStats& p = *r.portfolio;
    std::string holdings;
    for (std::size_t i = 0; i < p.names.size(); ++i)
      holdings += fmt::format("{}{{\"name\":{},\"expected_pnl\":{},\"p_loss\":{},\"cvar_contribution\":{}}}",
                              i ? "," : "", json_string(p.names[i]), json_number(p.expected_pnl[i]),
                              json_number(p.p_loss[i].p), json_number(p.contribution[i]));
    std::string corr;
    for (const double c : p.rank_correlation) corr += (corr.empty() ? "" : ",") + json_number(c);
    std::string irr = "null";
    if (p.has_irr) {
      irr = fmt::format("{{\"mean\":{},\"p_negative\":{}", json_number(p.irr_moments.mean), json_number(p.p_irr_negative.p));
      for (const auto& e : p.irr) irr += fmt::format(",\"{}\":{}", pct(e.p), json_number(e.value));
      irr += "}";
    }
    s += fmt::format(",\"portfolio\":{{\"irr\":{},\"moic\":{{\"mean\":{},\"mean_se\":{}{}}},\"risk\":{},\"pnl_var\":{},"
                     "\"pnl_cvar\":{},\"holdings\":[{}],\"rank_correlation\":[{}]}}",
                     irr,
                     json_number(p.moic_moments.mean), json_number(p.moic_moments.se()), [&] {
                       std::string q;
                       for (const auto& e : p.moic) q += fmt::format(",\"{}\":{}", pct(e.p), json_number(e.value));
                       return q;
                     }(),
                     json_risk(p.moic_risk), json_number(p.pnl_var), json_number(p.pnl_cvar), holdings, corr);
  }
  if (!r.stresses.empty()) {
    s += ",\"stresses\":[";
    for (std::size_t k = 0; k < r.stresses.size(); ++k) {
      const StressResult& st = r.stresses[k];
      std::string overrides, delta;
      for (const auto& o : st.overrides) overrides += (overrides.empty() ? "" : ",") + json_string(o);
      for (std::size_t i = 0; i < st.delta.size(); ++i)
        if (st.delta[i].n > 0)
          delta += fmt::format("{}{}:{{\"mean\":{},\"mean_se\":{}}}", delta.empty() ? "" : ",",
                               json_string(r.variables[i].label()), json_number(st.delta[i].mean),
                               json_number(st.delta[i].se()));
      s += fmt::format("{}{{\"name\":{},\"description\":{},\"overrides\":[{}],\"delta\":{{{}}},\"run\":{}}}",
                       k ? "," : "", json_string(st.name), json_string(st.description), overrides, delta,
                       json_run(st.run));
    }
    s += "]";
  }
  s += "}";
  return s;
}

}  // namespace tamcarlo

namespace tamcarlo {
namespace {


std::string json_quantiles(const std::vector<QuantileEstimate>& q) {
  std::string s;
  for (const auto& e : q)
    s += fmt::format("{}\"{}\":{},\"{}_ci\":[{},{}]", s.empty() ? "" : ",", pct(e.p), json_number(e.value), pct(e.p),
                     json_number(e.lo), json_number(e.hi));
  return "{" + s + "}";
}

std::string json_proportion(const Proportion& p) {
  return fmt::format("{{\"p\":{},\"ci\":[{},{}]}}", json_number(p.p), json_number(p.lo), json_number(p.hi));
}

}  // namespace

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
      os << fmt::format(" shared input {}: P50 {} (P5 {}, P95 {}){}\n", v.var.name, human(v.at(0.5).value),
                        human(v.at(0.05).value), human(v.at(0.95).value), v.var.unit.empty() ? "" : " " + v.var.unit);
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
                                      mem.year ? std::to_string(*mem.year) : "", human(m.market[c][4].value),
                                      human(m.market[c][1].value), human(m.market[c][7].value)};
      for (const double st : mem.stars) row.push_back(fmt::format("{:g}", st));
      if (!years) row.erase(row.begin() + 3);
      if (m.share[c].empty()) row.insert(row.end(), {"-", "-", "-"});
      else
        for (const std::size_t q : {4, 1, 7}) row.push_back(fixed(m.share[c][q].value, 2));
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
    if (ag.quantiles.size() == 3)
      os << fmt::format(" agreement with the `{}` stars (Kendall τ_b over {} cells): {} for the median ranking;\n"
                        "   per sample: mean {} (95% CI {}–{}), P5–P95 [{}, {}], P(τ_b > 0) = {}\n",
                        r.rank_by, m.order.size(), fixed(ag.median_ranking, 3), fixed(ag.per_sample.mean, 3),
                        fixed(ag.per_sample.mean - k_z95_two_sided * ag.per_sample.se(), 3),
                        fixed(ag.per_sample.mean + k_z95_two_sided * ag.per_sample.se(), 3),
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

void print_suite_json(const SuiteSummary& r, const Suite& s, std::ostream& os) {
  std::string j = fmt::format("{{\"suite\":{},\"title\":{},\"path\":{},\"unit\":{},\"seed\":{},\"samples\":{},"
                              "\"threads\":{},\"point_only\":{},\"seconds\":{},\"timings\":{},\"output\":{},\"rank_by\":{}",
                              json_string(r.name), json_string(r.title), json_string(r.path), json_string(r.unit), r.seed,
                              r.samples, r.threads, r.point_only ? "true" : "false", json_number(r.seconds),
                              json_timings(r.timings),
                              r.output.empty() ? "null" : json_string(r.output), json_string(r.rank_by));
  const MatrixStats& m = r.matrix;
  j += ",\"cells\":[";
  for (std::size_t rank = 0; rank < m.order.size(); ++rank) {
    const std::size_t c = m.order[rank];
    const SuiteMember& mem = s.members[r.cells[c]];
    std::string stars;
    for (std::size_t k = 0; k < mem.stars.size(); ++k)
      stars += fmt::format("{}{}:{}", k ? "," : "", json_string(r.star_names[k]), json_number(mem.stars[k]));
    const Moments& mm = m.market_moments[c];
    j += fmt::format("{}{{\"rank\":{},\"cell\":{},\"section\":{},\"year\":{},\"fx\":{},\"stars\":{{{}}},"
                     "\"market\":{{\"mean\":{},\"mean_se\":{},\"quantiles\":{}}},\"share\":{},\"p_next\":{}}}",
                     rank ? "," : "", rank + 1, json_string(mem.key), json_string(mem.section),
                     mem.year ? std::to_string(*mem.year) : "null", mem.fx.empty() ? "null" : json_string(mem.fx), stars,
                     json_number(mm.mean), json_number(mm.se()), json_quantiles(m.market[c]),
                     m.share[c].empty() ? "null" : json_quantiles(m.share[c]),
                     rank < m.next.size() ? json_proportion(m.next[rank]) : "null");
  }
  j += "]";
  if (!m.order.empty()) {
    const RankAgreement& ag = m.agreement;
    j += fmt::format(",\"rank_agreement\":{{\"statistic\":\"kendall_tau_b\",\"median_ranking\":{},\"mean\":{},"
                     "\"mean_se\":{},\"quantiles\":{},\"positive\":{},\"skipped_samples\":{}}}",
                     json_number(ag.median_ranking), json_number(ag.per_sample.mean), json_number(ag.per_sample.se()),
                     json_quantiles(ag.quantiles), json_proportion(ag.positive), ag.skipped);
  }
  j += ",\"shared\":" + json_run(r.shared) + ",\"members\":{";
  for (std::size_t k = 0; k < r.members.size(); ++k)
    j += fmt::format("{}{}:{}", k ? "," : "", json_string(s.members[k].key), json_run(r.members[k]));
  os << j << "}}\n";
}

void write_matrix_csv(const SuiteSummary& r, const Suite& s, std::ostream& os) {
  os << "rank,cell,section,title,year,unit,fx";
  for (const auto& n : r.star_names) os << ",stars_" << csv_field(n);
  os << ",market_mean,market_mean_se";
  for (const double p : k_report_probs) os << fmt::format(",market_{0},market_{0}_lo,market_{0}_hi", pct(p));
  for (const double p : k_report_probs) os << fmt::format(",share_{0}", pct(p));
  os << ",p_next,p_next_lo,p_next_hi\r\n";
  const MatrixStats& m = r.matrix;
  for (std::size_t rank = 0; rank < m.order.size(); ++rank) {
    const std::size_t c = m.order[rank];
    const SuiteMember& mem = s.members[r.cells[c]];
    os << fmt::format("{},{},{},{},{},{},{}", rank + 1, csv_field(mem.key), csv_field(mem.section),
                      csv_field(mem.scenario.title), mem.year ? std::to_string(*mem.year) : "", csv_field(r.unit),
                      csv_field(mem.fx));
    for (const double st : mem.stars) os << ',' << json_number(st);
    os << ',' << csv_number(m.market_moments[c].mean) << ',' << csv_number(m.market_moments[c].se());
    for (const auto& q : m.market[c])
      os << ',' << csv_number(q.value) << ',' << csv_number(q.lo) << ',' << csv_number(q.hi);
    for (std::size_t q = 0; q < k_report_probs.size(); ++q)
      os << ',' << (m.share[c].empty() ? "" : csv_number(m.share[c][q].value));
    if (rank < m.next.size())
      os << ',' << csv_number(m.next[rank].p) << ',' << csv_number(m.next[rank].lo) << ',' << csv_number(m.next[rank].hi);
    else
      os << ",,,";
    os << "\r\n";
  }
}

}  // namespace tamcarlo
