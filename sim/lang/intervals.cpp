#include "sim/lang/intervals.hpp"

#include "sim/base/text.hpp"
#include "sim/lang/law_builder.hpp"
#include "sim/random/distribution.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
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
    case OpCode::div: {  // a × 1/b; 1/b is one-sided where b reaches 0 from one side only
      Interval inverse = k_line;
      if (a[1].lo > 0 || a[1].hi < 0) inverse = {1 / a[1].hi, 1 / a[1].lo};
      else if (a[1].lo == 0 && a[1].hi > 0) inverse = {1 / a[1].hi, HUGE_VAL};
      else if (a[1].hi == 0 && a[1].lo < 0) inverse = {-HUGE_VAL, 1 / a[1].lo};
      else return k_line;  // b on both sides of 0 (or only 0)
      return hull({times(a[0].lo, inverse.lo), times(a[0].lo, inverse.hi), times(a[0].hi, inverse.lo),
                   times(a[0].hi, inverse.hi)});
    }
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
  if (const auto* m = std::get_if<Metalog>(&d)) {  // (its basis is ∞ − ∞ at p = 0 and 1: the ends are its bounds)
    const double end = p == 0 ? m->lower : m->upper;
    return std::isnan(end) ? unbounded : end;
  }
  try {
    const double q = quantile(d, p);
    return std::isnan(q) ? unbounded : q;
  } catch (const std::exception&) {
    return unbounded;
  }
}

class Ranges {
 public:
  /// Ranges over the inputs' supports; with `tail` > 0, over their P(tail)–P(1 − tail) instead (where the samples
  /// lie, not all they could be).
  explicit Ranges(const Scenario& s, double tail = 0) : s_(s), tail_(tail) {}

  Interval of(const std::string& name) {
    if (const auto it = known_.find(name); it != known_.end()) return it->second;
    if (!visiting_.insert(name).second) return k_line;  // a cycle (refused elsewhere)
    Interval r = k_line;
    if (name == k_year_name && !s_.years.empty()) {
      r = {static_cast<double>(s_.years.front()), static_cast<double>(s_.years.back())};
    } else if (const auto in = std::find_if(s_.inputs.begin(), s_.inputs.end(), [&](const Input& i) { return i.name == name; });
        in != s_.inputs.end()) {
      r = {end_of(in->dist, tail_, -HUGE_VAL), end_of(in->dist, 1 - tail_, HUGE_VAL)};
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
  double tail_ = 0;
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

namespace {

// Whether `e` reads input `input`, directly or through formulas (memo: per formula name).
bool reads(const Expr& e, const std::string& input, const std::map<std::string, const Formula*>& formulas,
           std::map<std::string, bool>& memo) {
  if (e.kind == Expr::Kind::ref) {
    if (e.name == input) return true;
    const auto f = formulas.find(e.name);
    if (f == formulas.end()) return false;
    if (const auto known = memo.find(e.name); known != memo.end()) return known->second;
    memo[e.name] = false;  // (a cycle is refused elsewhere)
    return memo[e.name] = reads(f->second->expr, input, formulas, memo);
  }
  return std::any_of(e.args.begin(), e.args.end(), [&](const Expr& a) { return reads(a, input, formulas, memo); });
}

// What an input's law lacks: a finite mean, or (a one-sided power tail) a finite sd; none when its moments exist.
struct MissingMoments {
  bool mean = false;     // no finite mean (else: no finite sd)
  std::string tail;      // how the tail falls, for the message
  std::string thinner;   // how to give it a thinner tail
  std::string law;       // the law in a few words, for what the run prints beside the mean
};

std::optional<MissingMoments> missing_moments(const Distribution& d) {
  if (const auto* t = std::get_if<StudentT>(&d)) {
    if (t->df > 1) return std::nullopt;  // (a symmetric tail with 1 < df ≤ 2: the t interval stays conservative)
    return MissingMoments{true, fmt::format("both its tails are powers, P(|X| > x) ~ x^(−{:g}) (df ≤ 1)", t->df),
                          "A fat tail with a mean and an sd needs df > 2", fmt::format("a student_t with df = {:g}", t->df)};
  }
  if (const auto* m = std::get_if<Metalog>(&d)) {
    const double c = m->tail_power();
    if (c < 0.5) return std::nullopt;
    const bool upper_tail = !std::isnan(m->lower);
    return MissingMoments{
        c >= 1,
        fmt::format("with only a{} bound its {} tail is a power, P({}) ~ x^(−{:.2g}) (a2 {} a3/2 = {:.3g})",
                    upper_tail ? " lower" : "n upper", upper_tail ? "upper" : "lower",
                    upper_tail ? "X > x" : "X < −x", 1 / c, upper_tail ? "+" : "−", c),
        fmt::format("Give it {} bound, or use a lognormal through two of its quantiles if its tail should be thinner",
                    upper_tail ? "an `upper`" : "a `lower`"),
        fmt::format("a metalog whose {} tail falls as x^(−{:.2g})", upper_tail ? "upper" : "lower", 1 / c)};
  }
  return std::nullopt;
}

// The names quoted and listed: "`a`", "`a` and `b`", "`a`, `b` and `c`".
std::string listed(std::vector<std::string> names) {
  for (std::string& n : names) n = "`" + n + "`";
  if (names.size() == 1) return names.front();
  return fmt::format("{} and {}", fmt::join(names.begin(), names.end() - 1, ", "), names.back());
}

// The probability that a divisor drawn from `d` lies within 1% of its scale (the larger of |median| and the
// interquartile range) of zero, and that distance; {0, 0} when it cannot be told.
std::pair<double, double> near_zero(const Distribution& d) {
  try {
    const double median = quantile(d, 0.5), iqr = quantile(d, 0.75) - quantile(d, 0.25);
    const double delta = 0.01 * std::max(std::fabs(median), iqr);
    if (!(delta > 0) || !std::isfinite(delta)) return {0, 0};
    const double p = cdf(d, delta) - cdf(d, -delta);
    return {std::isfinite(p) ? p : 0.0, delta};
  } catch (const std::exception&) {
    return {0, 0};
  }
}

}  // namespace

std::map<std::string, std::string> lint_moments(const Scenario& s, std::vector<Warning>& out,
                                                std::map<std::string, std::string>* without_sd) {
  std::map<std::string, std::string> without_mean;
  std::map<std::string, const Formula*> formulas;
  for (const Formula& f : s.formulas) formulas.emplace(f.name, &f);
  Ranges ranges(s);
  // The reported variables that read `name` (or are it) with no bound on their range.
  const auto reached_by = [&](const std::string& name) {
    std::map<std::string, bool> memo;
    std::vector<std::string> reached;
    for (const std::string& v : s.report) {
      const Interval r = ranges.of(v);
      if (std::isfinite(r.lo) && std::isfinite(r.hi)) continue;
      const auto f = formulas.find(v);
      if (v == name || (f != formulas.end() && reads(f->second->expr, name, formulas, memo)))
        reached.push_back(v);
    }
    return reached;
  };
  for (const Input& in : s.inputs) {
    if (in.linked) continue;
    const std::optional<MissingMoments> missing = missing_moments(in.dist);
    if (!missing) continue;
    const std::vector<std::string> reached = reached_by(in.name);
    if (reached.empty()) continue;
    const std::string those = listed(reached);
    for (const std::string& v : reached) {
      const std::string why = v == in.name ? missing->law : fmt::format("through `{}`, {}", in.name, missing->law);
      if (missing->mean) without_mean.emplace(v, why);
      else if (without_sd) without_sd->emplace(v, why);
    }
    const std::string consequence =
        missing->mean
            ? fmt::format("so it has no finite mean, nor has {}, which it reaches with no bound: the run's mean and its "
                          "CI there do not settle however many samples are drawn (read the quantiles)",
                          those)
            : fmt::format("so its mean exists but its sd does not: the 95% CI of the mean of {}, which it reaches with "
                          "no bound, rests on a variance that does not exist and covers the true mean less often than "
                          "it says (read the quantiles)",
                          those);
    out.push_back({in.where, "inputs." + in.name,
                   fmt::format("{}: {}, {}. {}", describe(in.dist), missing->tail, consequence, missing->thinner)});
  }
  // A ratio whose divisor is an input that comes near zero: where a law has density at 0, 1/x has a power tail of
  // index 1 (no mean). Warned when a run of 10⁶ samples expects one or more divisors within 1% of zero.
  std::map<std::string, const Input*> inputs;
  for (const Input& in : s.inputs)
    if (!in.linked && !std::holds_alternative<Constant>(in.dist)) inputs.emplace(in.name, &in);
  for (const Formula& f : s.formulas) {
    if (f.linked || f.role != FormulaRole::variable) continue;
    std::vector<std::string> divisors;
    const std::function<void(const Expr&)> visit = [&](const Expr& e) {
      if (e.kind == Expr::Kind::op && e.op == OpCode::div && e.args.size() == 2 &&
          e.args[1].kind == Expr::Kind::ref && inputs.count(e.args[1].name) &&
          std::find(divisors.begin(), divisors.end(), e.args[1].name) == divisors.end())
        divisors.push_back(e.args[1].name);
      for (const Expr& a : e.args) visit(a);
    };
    visit(f.expr);
    for (const std::string& d : divisors) {
      const auto [p, delta] = near_zero(inputs.at(d)->dist);
      if (p < 1e-6) continue;
      const std::vector<std::string> reached = reached_by(f.name);
      if (reached.empty()) continue;
      for (const std::string& v : reached)
        without_mean.emplace(v, fmt::format("through \"{}\", whose divisor `{}` comes near zero", f.text, d));
      out.push_back(
          {f.where, f.key(),
           fmt::format("\"{}\" divides by `{}`, which comes near zero (P(|{}| < {:g}) = {:.2g}, within 1% of its "
                       "scale): near zero the ratio takes any size, a power tail with no finite mean, so {} {} no finite "
                       "mean either: the run's mean and its CI there do not settle however many samples are drawn (read "
                       "the quantiles). Keep the divisor away from zero (a law or `bounds` above it) or bound the ratio "
                       "(`min`, `clamp`)",
                       f.text, d, d, delta, p, listed(reached), reached.size() == 1 ? "has" : "have")});
    }
  }
  if (without_sd)  // (a variable with no mean has no sd either: said once, as the mean)
    for (const auto& [v, why] : without_mean) without_sd->erase(v);
  return without_mean;
}

namespace {

// A time argument of a model function: which argument, its name in the function's doc line, and whether it is a
// point in time (compared with the function's other points: both calendar years or both offsets) or a span (years
// elapsed, never a calendar year).
struct TimeArgument {
  std::size_t index;
  const char* name;
  bool span;
};

struct TimeFunction {
  const char* name;
  std::vector<TimeArgument> args;
  const char* consequence;  // what a calendar year mixed with an offset does to its value
};

const std::vector<TimeFunction>& time_functions() {
  static const std::vector<TimeFunction> table = {
      {"logistic", {{0, "t", false}, {1, "t_mid", false}}, "so the curve sits at its ceiling or at 0 in every sample"},
      {"logistic_through", {{0, "t", false}, {1, "t1", false}, {3, "t2", false}},
       "so the curve sits at its ceiling or at 0 in every sample"},
      {"interpolate", {{0, "t", false}, {1, "t0", false}, {3, "t1", false}},
       "so the line is extrapolated about {} from its two points"},
      {"bass_adoption", {{0, "t (the time since launch)", true}}, "so every adopter has adopted in every sample"},
      {"project", {{2, "years", true}}, "so the growth compounds over two thousand years"},
      {"cagr", {{2, "years", true}}, "so the rate is spread over two thousand years"},
      {"irr_single", {{1, "years", true}}, "so the return is spread over two thousand years"},
      {"npv_single", {{2, "years", true}}, "so the proceeds are discounted over two thousand years"},
  };
  return table;
}

// A range of calendar years (within 1900–2200) or of offsets and spans in years (within ±200); neither otherwise.
enum class TimeScale { calendar, offset, unknown };
TimeScale scale_of(const Interval& r) {
  if (r.lo >= 1900 && r.hi <= 2200) return TimeScale::calendar;
  if (r.lo >= -200 && r.hi <= 200) return TimeScale::offset;
  return TimeScale::unknown;
}

// How an argument reads in a message: `name` or the number, with its range: "`year` (2024–2030)".
std::string shown_argument(const Expr& e, const Interval& r) {
  const std::string range = r.lo == r.hi ? fmt::format("{:g}", r.lo) : fmt::format("{:g}–{:g}", r.lo, r.hi);
  if (e.kind == Expr::Kind::number) return fmt::format("{:g}", e.number);
  if (e.kind == Expr::Kind::ref) return fmt::format("`{}` ({})", e.name, range);
  return "a value of " + range;
}

}  // namespace

void lint_time_arguments(const Scenario& s, std::vector<Warning>& out) {
  Ranges ranges(s);
  for (const Formula& f : s.formulas) {
    if (f.linked) continue;
    const auto check = [&](const Expr& e) {
      if (e.kind != Expr::Kind::op) return;
      SourceLocation at = f.where;
      at.column += static_cast<std::uint32_t>(e.offset);
      if (e.op == OpCode::pow && e.args.size() == 2) {  // (1 + g)^year
        const Interval r = ranges.of(e.args[1]);
        if (scale_of(r) == TimeScale::calendar)
          out.push_back({at, f.key(),
                         fmt::format("\"{}\" raises to the power {}, a calendar year: a growth factor over two "
                                     "thousand years; write the years elapsed (`year - {}` for the timeline's years "
                                     "since {})",
                                     excerpt(f.text), shown_argument(e.args[1], r), s.years.empty() ? 2024 : s.years.front(),
                                     s.years.empty() ? 2024 : s.years.front())});
        return;
      }
      if (e.op != OpCode::call) return;
      const auto fn = std::find_if(time_functions().begin(), time_functions().end(),
                                   [&](const TimeFunction& t) { return e.name == t.name; });
      if (fn == time_functions().end()) return;
      const TimeArgument* calendar = nullptr;
      const TimeArgument* offset = nullptr;
      Interval calendar_range, offset_range;
      for (const TimeArgument& a : fn->args) {
        if (a.index >= e.args.size()) continue;
        const Interval r = ranges.of(e.args[a.index]);
        const TimeScale k = scale_of(r);
        if (a.span && k == TimeScale::calendar) {
          out.push_back({at, f.key(),
                         fmt::format("{}'s {} is a span of years, but \"{}\" gives it {}, a calendar year, {}; write "
                                     "the years elapsed (`year - {}`: years since the start)",
                                     fn->name, a.name, excerpt(f.text), shown_argument(e.args[a.index], r),
                                     fn->consequence, s.years.empty() ? 2024 : s.years.front())});
          return;
        }
        if (k == TimeScale::calendar && !calendar) calendar = &a, calendar_range = r;
        if (k == TimeScale::offset && !offset) offset = &a, offset_range = r;
      }
      if (!calendar || !offset) return;
      const double apart = std::min(std::fabs(calendar_range.lo - offset_range.hi), std::fabs(calendar_range.hi - offset_range.lo));
      out.push_back({at, f.key(),
                     fmt::format("\"{}\" gives {}'s {} {}, a calendar year, but its {} {}, years from a start: "
                                 "the two are {:g} or more apart, {}; put them on one scale: a calendar year for "
                                 "both (`{} + …` for an offset from {}) or years from a start for both (`year - {}`)",
                                 excerpt(f.text), fn->name, calendar->name, shown_argument(e.args[calendar->index], calendar_range),
                                 offset->name, shown_argument(e.args[offset->index], offset_range), apart,
                                 fmt::format(fmt::runtime(fn->consequence), fmt::format("{:g} years", apart)),
                                 s.years.empty() ? 2024 : s.years.front(), s.years.empty() ? 2024 : s.years.front(),
                                 s.years.empty() ? 2024 : s.years.front())});
    };
    for (const Expr* e : nodes_of(f.expr)) check(*e);
  }
}

void lint_share_formulas(const Scenario& s, std::vector<Warning>& out) {
  constexpr double k_tail = 0.001;
  Ranges ranges(s, k_tail);
  for (const Formula& f : s.formulas) {
    if (f.linked || f.role != FormulaRole::variable || f.bounds || f.format != NumberStyle::automatic) continue;
    const bool fraction_named_unit = fraction_unit(f.unit) == FractionUnit::fraction;
    if (!(fraction_named_unit || ((f.unit.empty() || f.unit_inferred) && named_like_part(f.name)))) continue;
    const Interval r = ranges.of(f.expr);
    if (!std::isfinite(r.lo) || !std::isfinite(r.hi) || (r.lo <= 1 && r.hi >= 0)) continue;  // it meets [0, 1]
    std::string hint;
    if (r.lo > 1 && r.hi <= 100) hint = " a percentage (divide by 100)?";
    if (f.expr.kind == Expr::Kind::op && f.expr.op == OpCode::div && r.lo > 1) {  // a/b: is b/a a share?
      const Interval a = ranges.of(f.expr.args[0]), b = ranges.of(f.expr.args[1]);
      if (a.lo > 0 && b.lo > 0 && b.hi / a.lo <= 1)
        hint = " a ratio upside down (the part over the whole: its inverse runs " +
               fmt::format("{:.3g}–{:.3g}", 1 / r.hi, 1 / r.lo) + ")?" + (r.hi <= 100 ? " or a percentage (divide by 100)?" : "");
    }
    out.push_back({f.where, f.key(),
                   fmt::format("`{}` is {} a share of a whole, in [0, 1], but \"{}\" takes values from {:.3g} to {:.3g} "
                               "(its inputs within their P0.1–P99.9): {} every product with it is off by as much;{} "
                               "if such values are meant, give it a `unit` or a name that says so (ratio, multiple)",
                               f.name, fraction_named_unit ? fmt::format("in unit = \"{}\",", f.unit) : "named like",
                               excerpt(f.text), r.lo, r.hi,
                               r.lo > 1 ? "more than the whole in nearly every sample, and" : "negative in nearly every sample, and",
                               hint)});
  }
}

}  // namespace tamcarlo::detail
