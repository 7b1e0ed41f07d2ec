#include "sim/engine/nonfinite.hpp"

#include "sim/engine/plan_source.hpp"
#include "sim/lang/formula.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <functional>
#include <cmath>
#include <map>
#include <optional>
#include <stdexcept>

namespace tamcarlo {
namespace {

std::string value_text(double x) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "+inf" : "−inf";
  return fmt::format("{:.6g}", x);
}

// The functions `e` calls (and ^, as pow) that are finite only on a domain, each once, in text order.
void called(const Expr& e, std::vector<std::string>& out) {
  if (e.kind != Expr::Kind::op) return;
  const std::string name = !e.name.empty() ? e.name : e.op == OpCode::pow ? "pow" : "";
  if (!name.empty() && !function_domain(name).empty() && std::find(out.begin(), out.end(), name) == out.end())
    out.push_back(name);
  for (const Expr& a : e.args) called(a, out);
}

// Explains series `start`'s non-finite value, each series' value read through `value_of` (one sample's).
class Tracer {
 public:
  Tracer(const Scenario& s, const Plan& plan) : plan_(plan) {
    for (const Formula& f : s.formulas) formulas_.emplace(f.name, &f);
    for (std::size_t i = 0; i < plan.series().size(); ++i)
      series_.emplace(std::pair{plan.series()[i].var, plan.series()[i].year}, i);
  }

  /// "`proceeds` = exit_proceeds(...) is NaN with stake = ..., ... (exit_proceeds is finite only where ...)".
  std::string explain(std::size_t start, const std::function<double(std::size_t)>& value_of) const {
    std::size_t at = start;
    for (std::size_t depth = 0; depth <= plan_.variables().size(); ++depth) {  // (each step goes to an earlier variable)
      const Series& here = plan_.series()[at];
      const Variable& v = plan_.variables()[here.var];
      const std::string label = here.year < 0 ? v.name : fmt::format("{}[{}]", v.name, plan_.years()[here.year]);
      const auto f = formulas_.find(v.name);
      if (f == formulas_.end()) return fmt::format("input `{}` ({}) is {}", label, v.law, value_text(value_of(at)));
      std::vector<const Expr*> refs;
      collect_refs(f->second->expr, refs);
      std::vector<std::string> names;
      std::vector<std::string> values;
      std::optional<std::size_t> next;
      for (const Expr* r : refs) {
        if (std::find(names.begin(), names.end(), r->name) != names.end()) continue;
        const std::optional<std::size_t> s = series_of(r->name, here.year);
        if (!s) continue;  // (not a variable of the plan: nothing to show)
        const double x = value_of(*s);
        names.push_back(r->name);
        values.push_back(fmt::format("{} = {}", r->name, value_text(x)));
        if (!next && !std::isfinite(x)) next = *s;
      }
      if (next) {
        at = *next;
        continue;
      }
      std::vector<std::string> functions;
      called(f->second->expr, functions);
      std::vector<std::string> domains;
      for (const std::string& fn : functions)
        domains.push_back(fmt::format("{} is finite only where {}", fn, function_domain(fn)));
      return fmt::format("`{}` = {} is {}{}{}", label, f->second->text, value_text(value_of(at)),
                         values.empty() ? "" : fmt::format(" with {}", fmt::join(values, ", ")),
                         domains.empty() ? "" : fmt::format(" ({})", fmt::join(domains, "; ")));
    }
    return "";
  }

 private:
  // The series of variable `name` in the same year (a timed variable's) or untimed; none if it is no variable.
  std::optional<std::size_t> series_of(const std::string& name, std::int32_t year) const {
    std::size_t v = 0;
    try {
      v = plan_.index(name);
    } catch (const std::out_of_range&) {
      return std::nullopt;
    }
    for (const std::int32_t y : {year, -1})
      if (const auto it = series_.find({static_cast<std::uint32_t>(v), y}); it != series_.end()) return it->second;
    return std::nullopt;
  }

  const Plan& plan_;
  std::map<std::string, const Formula*> formulas_;
  std::map<std::pair<std::uint32_t, std::int32_t>, std::size_t> series_;
};

}  // namespace

std::vector<std::string> nonfinite_origins(const Scenario& s, const Plan& plan, std::uint64_t seed,
                                           std::uint64_t samples, const std::vector<std::size_t>& targets) {
  std::vector<std::string> out(targets.size());
  if (targets.empty()) return out;
  PlanBlock block(plan, samples);
  const Tracer tracer(s, plan);
  std::size_t left = targets.size();
  const std::uint64_t end = std::min(samples, k_nonfinite_probe);
  for (std::uint64_t first = 0; left > 0 && first < end; first += k_block_size) {
    const auto rows = static_cast<std::size_t>(std::min<std::uint64_t>(k_block_size, end - first));
    block.evaluate(seed, first, rows);
    for (std::size_t k = 0; k < targets.size(); ++k) {
      if (!out[k].empty()) continue;
      const double* x = block.series(targets[k]);
      for (std::size_t r = 0; r < rows; ++r)
        if (!std::isfinite(x[r])) {
          out[k] = fmt::format("sample {}: {}", first + r,
                               tracer.explain(targets[k], [&](std::size_t i) { return block.series(i)[r]; }));
          --left;
          break;
        }
    }
  }
  return out;
}

std::vector<std::string> point_nonfinite_origins(const Scenario& s, const Plan& plan,
                                                 const std::vector<std::size_t>& targets) {
  std::vector<std::string> out(targets.size());
  std::vector<std::vector<double>> points(std::max<std::size_t>(1, plan.years().size()));
  for (std::size_t t = 0; t < points.size(); ++t) points[t] = plan.evaluate_point(t);
  const auto value_of = [&](std::size_t i) {
    const Series& ser = plan.series()[i];
    return points[static_cast<std::size_t>(std::max(0, ser.year))][ser.var];
  };
  const Tracer tracer(s, plan);
  for (std::size_t k = 0; k < targets.size(); ++k)
    if (!std::isfinite(value_of(targets[k]))) out[k] = tracer.explain(targets[k], value_of);
  return out;
}

}  // namespace tamcarlo
