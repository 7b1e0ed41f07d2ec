#include "sim/io/csv.hpp"

#include "sim/base/text.hpp"

#include <fmt/format.h>

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

void write_csv(const RunSummary& r, std::ostream& os) {
  os << "variable,year,kind,unit,reported,point,n,nonfinite,mean,mean_se,mean_ci_lo,mean_ci_hi,sd,min,max";
  for (const double p : k_report_probs) os << fmt::format(",{0},{0}_lo,{0}_hi", quantile_key(p));
  os << ",law,source\r\n";
  for (const auto& v : r.variables) {
    const Moments& m = v.moments;
    const double half = m.half95();
    os << fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}", csv_field(v.var.name),
                      v.year ? std::to_string(*v.year) : std::string(), kind_name(v.var),
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
