#include "sim/output.hpp"

#include "sim/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace tamcarlo {
namespace {

std::string pct(double p) { return fmt::format("p{:g}", p * 100); }

// Columns padded to their widest cell; the first two left-aligned, the rest right-aligned.
void print_rows(const std::vector<std::vector<std::string>>& rows, std::ostream& os, bool text_last = false) {
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
      line += c < 2 || (text_last && c + 1 == r.size()) ? r[c] + pad : pad + r[c];
      line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    os << line << '\n';
  }
}

}  // namespace

void print_table(const RunSummary& r, std::ostream& os) {
  os << r.name << (r.title.empty() ? "" : " — " + r.title) << '\n';
  if (r.point_only) {
    os << " point estimate: every input at its `point` value" << (r.unit.empty() ? "" : ", unit " + r.unit) << "\n\n";
    std::vector<std::vector<std::string>> rows = {{"variable", "unit", "point", "definition"}};
    for (const auto& v : r.variables) rows.push_back({v.label(), v.var.unit, human(v.point), v.var.law});
    print_rows(rows, os, true);
    return;
  }
  os << fmt::format(" {} samples · seed {} · {} threads · {:.2f} s{}\n", thousands(r.samples), r.seed, r.threads,
                    r.seconds, r.unit.empty() ? "" : " · unit " + r.unit);
  if (!r.output.empty()) os << " results: " << r.output << '\n';
  os << '\n';
  std::vector<std::vector<std::string>> rows = {
      {"variable", "unit", "point", "mean", "±95% CI", "P5", "P50", "P95", "non-finite"}};
  for (const auto& v : r.variables) {
    if (!v.reported) continue;
    const Moments& m = v.moments;
    std::vector<std::string> row = {v.label(), v.var.unit, human(v.point), human(m.mean),
                                    human(k_z95_two_sided * m.se())};
    for (const double p : {0.05, 0.50, 0.95}) row.push_back(v.quantiles.empty() ? "-" : human(v.at(p).value));
    row.push_back(thousands(m.nonfinite));
    rows.push_back(std::move(row));
  }
  print_rows(rows, os);
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

void print_json(const RunSummary& r, std::ostream& os) {
  std::string s = "{";
  s += fmt::format("\"scenario\":{},\"title\":{},\"path\":{},\"unit\":{},\"seed\":{},\"samples\":{},\"threads\":{},"
                   "\"point_only\":{},\"seconds\":{},\"output\":{},\"variables\":{{",
                   json_string(r.name), json_string(r.title), json_string(r.scenario_path), json_string(r.unit), r.seed,
                   r.samples, r.threads, r.point_only ? "true" : "false", json_number(r.seconds),
                   r.output.empty() ? "null" : json_string(r.output));
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
    }
    s += "}";
  }
  s += "}}";
  os << s << '\n';
}

}  // namespace tamcarlo
