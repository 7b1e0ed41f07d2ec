#include "sim/lang/intervals.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>

namespace tamcarlo::detail {
namespace {

const Interval k_line{};

Interval hull(const std::vector<double>& v) {
  Interval r{HUGE_VAL, -HUGE_VAL};
  for (const double x : v) {
    if (std::isnan(x)) return k_line;
    r.lo = std::min(r.lo, x);
    r.hi = std::max(r.hi, x);
  }
  return r;
}

// a·b with 0·∞ taken as 0 (a zero end times an unbounded one contributes 0, not NaN).
double times(double a, double b) { return a == 0 || b == 0 ? 0.0 : a * b; }

Interval op_range(OpCode op, const std::vector<Interval>& a) {
  switch (op) {
    case OpCode::copy: return a[0];
    case OpCode::add: return {a[0].lo + a[1].lo, a[0].hi + a[1].hi};
    case OpCode::sub: return {a[0].lo - a[1].hi, a[0].hi - a[1].lo};
    case OpCode::neg: return {-a[0].hi, -a[0].lo};
    case OpCode::mul:
      return hull({times(a[0].lo, a[1].lo), times(a[0].lo, a[1].hi), times(a[0].hi, a[1].lo), times(a[0].hi, a[1].hi)});
    case OpCode::div:
      if (a[1].lo <= 0 && a[1].hi >= 0) return k_line;  // the divisor can be 0
      return hull({a[0].lo / a[1].lo, a[0].lo / a[1].hi, a[0].hi / a[1].lo, a[0].hi / a[1].hi});
    case OpCode::pow:  // monotone in each argument for a positive base
      if (a[0].lo <= 0) return k_line;
      return hull({std::pow(a[0].lo, a[1].lo), std::pow(a[0].lo, a[1].hi), std::pow(a[0].hi, a[1].lo),
                   std::pow(a[0].hi, a[1].hi)});
    case OpCode::min: {
      Interval r = a[0];
      for (const Interval& x : a) r = {std::min(r.lo, x.lo), std::min(r.hi, x.hi)};
      return r;
    }
    case OpCode::max: {
      Interval r = a[0];
      for (const Interval& x : a) r = {std::max(r.lo, x.lo), std::max(r.hi, x.hi)};
      return r;
    }
    case OpCode::abs:
      if (a[0].lo >= 0) return a[0];
      if (a[0].hi <= 0) return {-a[0].hi, -a[0].lo};
      return {0, std::max(-a[0].lo, a[0].hi)};
    case OpCode::exp: return {std::exp(a[0].lo), std::exp(a[0].hi)};
    case OpCode::log: return a[0].lo > 0 ? Interval{std::log(a[0].lo), std::log(a[0].hi)} : k_line;
    case OpCode::sqrt: return a[0].lo >= 0 ? Interval{std::sqrt(a[0].lo), std::sqrt(a[0].hi)} : k_line;
    case OpCode::clamp: return {std::clamp(a[0].lo, a[1].lo, a[2].hi), std::clamp(a[0].hi, a[1].lo, a[2].hi)};
    case OpCode::select:
      if (a[0].lo == a[0].hi) return a[0].lo != 0 ? a[1] : a[2];
      return {std::min(a[1].lo, a[2].lo), std::max(a[1].hi, a[2].hi)};
    case OpCode::lt: case OpCode::le: case OpCode::gt: case OpCode::ge: case OpCode::eq: case OpCode::ne:
      return {0, 1};
    case OpCode::call: return k_line;
  }
  return k_line;
}

// The law's quantile at p = 0 or 1 (the end of its support), or `unbounded` where that end is infinite (some
// quantile functions throw there instead of returning ±inf).
double end_of(const Distribution& d, double p, double unbounded) {
  try {
    const double q = quantile(d, p);
    return std::isnan(q) ? unbounded : q;
  } catch (const std::exception&) {
    return unbounded;
  }
}

class Ranges {
 public:
  explicit Ranges(const Scenario& s) : s_(s) {}

  Interval of(const std::string& name) {
    if (const auto it = known_.find(name); it != known_.end()) return it->second;
    if (!visiting_.insert(name).second) return k_line;  // a cycle (refused elsewhere)
    Interval r = k_line;
    if (const auto in = std::find_if(s_.inputs.begin(), s_.inputs.end(), [&](const Input& i) { return i.name == name; });
        in != s_.inputs.end()) {
      r = {end_of(in->dist, 0.0, -HUGE_VAL), end_of(in->dist, 1.0, HUGE_VAL)};
      if (in->bounds) r = {std::max(r.lo, in->bounds->lo), std::min(r.hi, in->bounds->hi)};
    } else if (const auto f = std::find_if(s_.formulas.begin(), s_.formulas.end(),
                                           [&](const Formula& x) { return x.name == name; });
               f != s_.formulas.end()) {
      r = of(f->expr);
    }
    visiting_.erase(name);
    return known_[name] = r;
  }

  Interval of(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::number: return {e.number, e.number};
      case Expr::Kind::ref: return of(e.name);
      case Expr::Kind::op: {
        std::vector<Interval> args;
        for (const Expr& a : e.args) args.push_back(of(a));
        if (args.empty() && e.op != OpCode::call) return k_line;
        const Interval r = op_range(e.op, args);
        return std::isnan(r.lo) || std::isnan(r.hi) ? k_line : r;
      }
    }
    return k_line;
  }

 private:
  const Scenario& s_;
  std::map<std::string, Interval> known_;
  std::set<std::string> visiting_;
};

}  // namespace

Interval range_of(const Scenario& s, const std::string& name) { return Ranges(s).of(name); }

void check_formula_ranges(const Scenario& s, std::vector<ScenarioError>& errors) {
  Ranges ranges(s);
  for (const Formula& f : s.formulas) {
    if (f.linked || f.role != FormulaRole::variable || !f.bounds) continue;
    const Interval r = ranges.of(f.name);
    if (r.lo <= f.bounds->hi && r.hi >= f.bounds->lo) continue;  // they meet: samples outside are counted at run time
    const bool share = f.bounds->lo == 0 && f.bounds->hi == 1;
    errors.emplace_back(f.bounds->where, f.key(),
                        fmt::format("`{}` = {} takes values in [{:g}, {:g}] (from its inputs' ranges), none of them "
                                    "within its bounds [{:g}, {:g}]{}",
                                    f.name, f.text, r.lo, r.hi, f.bounds->lo, f.bounds->hi,
                                    share && r.lo >= 1 && r.hi <= 100
                                        ? ": a share written as a percentage? divide by 100"
                                        : ": check its units and its inputs' scales"));
  }
}

}  // namespace tamcarlo::detail
