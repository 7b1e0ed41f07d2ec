#include "sim/io/csv.hpp"

#include "sim/base/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace tamcarlo {

namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (const char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string csv_number(double x) { return std::isfinite(x) ? json_number(x) : (std::isnan(x) ? "nan" : x > 0 ? "inf" : "-inf"); }

}  // namespace

namespace {

// The risk and Sobol' columns: the union over every row, in a fixed order (levels and thresholds ascending, inputs
// as the run lists them).
struct ExtraColumns {
  std::vector<double> levels, below, at_least;
  bool semi = false;
  std::vector<std::string> sobol;
  bool conditioned = false;  // a conditioned run: each row's ESS, then its prior's mean, sd and quantiles
  explicit ExtraColumns(const std::vector<CsvCase>& cases) {
    for (const auto& c : cases)
      for (const auto& v : c.run->variables) {
        conditioned = conditioned || c.run->evidence.has_value();
        if (v.risk) {
          for (const auto& t : v.risk->tails) levels.push_back(t.level);
          for (const auto& t : v.risk->thresholds) (t.below ? below : at_least).push_back(t.threshold);
          semi = true;
        }
        if (!v.sobol_first.empty())
          for (const auto& in : c.run->sobol_inputs)
            if (std::find(sobol.begin(), sobol.end(), in) == sobol.end()) sobol.push_back(in);
      }
    for (auto* v : {&levels, &below, &at_least}) {
      std::sort(v->begin(), v->end());
      v->erase(std::unique(v->begin(), v->end()), v->end());
    }
  }
  void header(std::ostream& os) const {
    for (const double l : levels) os << fmt::format(",var_{0},var_{0}_lo,var_{0}_hi,cvar_{0},cvar_{0}_se", json_number(l));
    for (const double t : below) os << fmt::format(",p_below_{0},p_below_{0}_lo,p_below_{0}_hi", json_number(t));
    for (const double t : at_least) os << fmt::format(",p_at_least_{0},p_at_least_{0}_lo,p_at_least_{0}_hi", json_number(t));
    if (semi) os << ",downside_target,semi_deviation,semi_deviation_se";
    if (conditioned) {
      os << ",ess,prior_mean,prior_mean_se,prior_sd";
      for (const double p : k_report_probs) os << ",prior_" << quantile_key(p);
    }
    for (const auto& in : sobol)
      os << fmt::format(",sobol_first_{0},sobol_first_{0}_lo,sobol_first_{0}_hi,sobol_total_{0},sobol_total_{0}_lo,"
                        "sobol_total_{0}_hi",
                        csv_field(in));
  }
  void row(std::ostream& os, const VariableSummary& v, const RunSummary& r) const {
    for (const double l : levels) {
      const auto* t = v.risk ? find_if(v.risk->tails, [&](const TailRisk& x) { return x.level == l; }) : nullptr;
      if (t) os << fmt::format(",{},{},{},{},{}", csv_number(t->var.value), csv_number(t->var.lo), csv_number(t->var.hi),
                               csv_number(t->cvar), csv_number(t->cvar_se));
      else os << ",,,,,";
    }
    for (const bool is_below : {true, false})
      for (const double th : is_below ? below : at_least) {
        const auto* t = v.risk ? find_if(v.risk->thresholds, [&](const ThresholdRisk& x) {
          return x.below == is_below && x.threshold == th;
        })
                               : nullptr;
        if (t) os << fmt::format(",{},{},{}", csv_number(t->p.p), csv_number(t->p.lo), csv_number(t->p.hi));
        else os << ",,,";
      }
    if (semi) {
      if (v.risk) os << fmt::format(",{},{},{}", csv_number(v.risk->downside_target), csv_number(v.risk->semi_deviation),
                                    csv_number(v.risk->semi_deviation_se));
      else os << ",,,";
    }
    if (conditioned) {
      os << ',' << (v.moments.ess > 0 ? csv_number(v.moments.ess) : "");
      if (v.prior) {
        const Moments& m = v.prior->moments;
        os << fmt::format(",{},{},{}", csv_number(m.mean), csv_number(m.se()), csv_number(m.sd()));
        for (std::size_t i = 0; i < k_report_probs.size(); ++i)
          os << ',' << (i < v.prior->quantiles.size() ? csv_number(v.prior->quantiles[i].value) : "");
      } else {
        os << std::string(3 + k_report_probs.size(), ',');
      }
    }
    for (const auto& in : sobol) {
      const auto at = std::find(r.sobol_inputs.begin(), r.sobol_inputs.end(), in);
      const auto k = static_cast<std::size_t>(at - r.sobol_inputs.begin());
      if (at == r.sobol_inputs.end() || k >= v.sobol_first.size()) {
        os << ",,,,,,";
        continue;
      }
      const SobolIndex &f = v.sobol_first[k], &t = v.sobol_total[k];
      os << fmt::format(",{},{},{},{},{},{}", csv_number(f.index), csv_number(f.lo), csv_number(f.hi), csv_number(t.index),
                        csv_number(t.lo), csv_number(t.hi));
    }
  }
  template <class T, class F>
  static const T* find_if(const std::vector<T>& v, F f) {
    const auto it = std::find_if(v.begin(), v.end(), f);
    return it == v.end() ? nullptr : &*it;
  }
};

// The law of input `name` in `s`, when it has one.
const Distribution* law_of(const Scenario* s, const std::string& name) {
  if (!s) return nullptr;
  for (const auto& in : s->inputs)
    if (in.name == name) return &in.dist;
  return nullptr;
}

}  // namespace

void write_csv(const std::vector<CsvCase>& cases, std::ostream& os) {
  os << "variable,year,kind,unit,reported,point,n,nonfinite,mean,mean_se,mean_ci_lo,mean_ci_hi,sd,min,max";
  for (const double p : k_report_probs) os << fmt::format(",{0},{0}_lo,{0}_hi", quantile_key(p));
  os << ",law,source,case,quantiles";
  const ExtraColumns extra(cases);
  extra.header(os);
  os << "\r\n";
  for (const CsvCase& c : cases)
    for (const auto& v : c.run->variables) {
      const Moments& m = v.moments;
      const double half = m.half95();
      os << fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}", csv_field(v.var.name),
                        v.year ? std::to_string(*v.year) : std::string(), kind_name(v.var),
                        csv_field(v.var.unit), v.reported ? 1 : 0, csv_number(v.point), m.n, m.nonfinite,
                        csv_number(m.mean), csv_number(m.se()), csv_number(m.mean - half), csv_number(m.mean + half),
                        csv_number(m.sd()), csv_number(m.min), csv_number(m.max));
      const Distribution* law = v.quantiles.empty() && v.var.input ? law_of(c.scenario, v.var.name) : nullptr;
      for (std::size_t i = 0; i < k_report_probs.size(); ++i) {
        if (!v.quantiles.empty())
          os << fmt::format(",{},{},{}", csv_number(v.quantiles[i].value), csv_number(v.quantiles[i].lo),
                            csv_number(v.quantiles[i].hi));
        else if (law) os << fmt::format(",{0},{0},{0}", csv_number(quantile(*law, k_report_probs[i])));
        else os << ",,,";
      }
      os << ',' << csv_field(v.var.law) << ',' << csv_field(v.var.source) << ',' << csv_field(c.name) << ','
         << (!v.quantiles.empty() ? "samples" : law ? "law" : "");
      extra.row(os, v, *c.run);
      os << "\r\n";
    }
}

void write_matrix_csv(const SuiteSummary& r, const Suite& s, std::ostream& os) {
  os << "rank,cell,section,title,year,unit,fx";
  for (const auto& n : r.star_names) os << ",stars_" << csv_field(n);
  os << ",market_mean,market_mean_se";
  for (const double p : k_report_probs) os << fmt::format(",market_{0},market_{0}_lo,market_{0}_hi", quantile_key(p));
  for (const double p : k_report_probs) os << fmt::format(",share_{0}", quantile_key(p));
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
