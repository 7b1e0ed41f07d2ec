#include "sim/lang/dimensions.hpp"

#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <utility>

#include "sim/base/text.hpp"
#include "sim/lang/units.hpp"

namespace tamcarlo::detail {

namespace {

constexpr double k_days_per_year = 365.25;

// Time units in years.
const std::map<std::string, double>& time_units() {
  static const std::map<std::string, double> units = [] {
    std::map<std::string, double> m;
    const auto add = [&](std::initializer_list<const char*> names, double years) {
      for (const char* n : names) m[n] = years;
    };
    add({"year", "years", "yr", "yrs", "y"}, 1);
    add({"quarter", "quarters"}, 0.25);
    add({"month", "months", "mo"}, 1.0 / 12);
    add({"week", "weeks", "wk"}, 7 / k_days_per_year);
    add({"day", "days", "d"}, 1 / k_days_per_year);
    add({"hour", "hours", "h", "hr", "hrs"}, 1 / (24 * k_days_per_year));
    add({"minute", "minutes", "min"}, 1 / (1440 * k_days_per_year));
    add({"second", "seconds", "s", "sec"}, 1 / (86400 * k_days_per_year));
    return m;
  }();
  return units;
}

// The time unit whose length in years is `years`, if one is (to 1e-9).
const char* time_unit_named(double years) {
  for (const char* n : {"year", "quarter", "month", "week", "day", "h", "min", "s"})
    if (std::fabs(time_units().at(n) / years - 1) < 1e-9) return n;
  return nullptr;
}

Dimension combine(const Dimension& a, const Dimension& b, int sign) {
  Dimension out = a;
  for (const auto& [f, x] : b.base) out.base[f] += sign * x;
  std::erase_if(out.base, [](const auto& kv) { return kv.second == 0; });
  out.scale = sign > 0 ? a.scale * b.scale : a.scale / b.scale;
  return out;
}

// A dimension for people: its base units with the time unit its scale names (USD/month), else a factor.
std::string shown(const Dimension& d) {
  std::string num, den;
  double scale = d.scale;
  const auto it = d.base.find("year");
  const char* time_name = "year";
  if (it != d.base.end() && std::fabs(scale - 1) > 1e-9) {
    const double years = std::pow(scale, 1.0 / it->second);
    if (const char* n = time_unit_named(years)) {
      time_name = n;
      scale = 1;
    }
  }
  for (const auto& [f, x] : d.base) {
    const std::string name = f == "year" ? time_name : f;
    const std::string factor = std::abs(x) == 1 ? name : fmt::format("{}^{}", name, std::abs(x));
    (x > 0 ? num : den) += ((x > 0 ? num : den).empty() ? "" : "·") + factor;
  }
  std::string out =
      num.empty() && den.empty() ? "dimensionless" : (num.empty() ? "1" : num) + (den.empty() ? "" : "/" + den);
  if (std::fabs(scale - 1) > 1e-9) out += fmt::format(" (×{:g})", scale);
  return out;
}

// True when shown(d) is a unit a scenario can declare (no leftover factor, not dimensionless).
bool nameable(const Dimension& d) {
  const std::string s = shown(d);
  return s != "dimensionless" && s.find("(×") == std::string::npos;
}

// "factor 12" when two dimensions of one base differ only in scale.
double factor_between(const Dimension& from, const Dimension& to) { return from.scale / to.scale; }

// The time unit a dimension is expressed in ("month" for USD/month), or "" when it has none or an unnamed one.
std::string time_name(const Dimension& d) {
  const auto it = d.base.find("year");
  const int k = it == d.base.end() ? 0 : it->second;
  if (k == 0) return "";
  const char* n = time_unit_named(std::pow(d.scale, 1.0 / k));
  return n ? n : "";
}

// Checks one formula at a time; a mismatch is recorded and its node's dimension left undecided (no cascade).
class Checker {
 public:
  Checker(const Scenario& s, std::vector<ScenarioError>& errors, std::vector<Warning>& warnings)
      : s_(s), errors_(errors), warnings_(warnings) {}

  void run() {
    for (const Input& in : s_.inputs) {
      vars_[in.name] = {of_variable(in.unit, in.format), in.unit};
      unitless_[in.name] = in.unit.empty() && in.format != NumberStyle::year;
    }
    for (const Formula& f : s_.formulas)
      if (f.linked || (!f.unit.empty() && !f.unit_inferred)) vars_[f.name] = {of_variable(f.unit, f.format), f.unit};
    for (const std::size_t i : s_.formula_order) {
      const Formula& f = s_.formulas[i];
      if (f.linked) continue;
      f_ = &f;
      undecided_.clear();
      const std::optional<Dimension> d = visit(f.expr);
      if (f.unit.empty() || f.unit_inferred) {
        // A calendar year written as a number (year = "2024", format = "year") is a time, as a year input is.
        const bool calendar = f.format == NumberStyle::year && d && d->dimensionless();
        vars_[f.name] = calendar ? Known{dimension_of("year"), "year"} : Known{d, d ? shown(*d) : std::string()};
        unitless_[f.name] = !calendar && free_literal(f.expr);
        if (d) squared_currency(f, *d);
        continue;
      }
      const Dimension declared = of_variable(f.unit, f.format);
      if (!d) {
        if (!undecided_.empty())
          warnings_.push_back({f.where, f.key(),
                               fmt::format("unit = \"{}\" cannot be checked: the unit of {} is undecided in \"{}\"",
                                           f.unit, undecided_.front(), excerpt(f.text))});
        continue;
      }
      if (!d->same(declared)) declared_mismatch(f, *d, declared);
    }
  }

 private:
  // Warns a formula whose unit, not written, works out to a currency squared or over a currency squared (USD^2/CNY:
  // dollars divided by a CNY/USD rate): a conversion the wrong way round, most likely (a variance of money is the
  // rare exception, and a written unit silences it).
  void squared_currency(const Formula& f, const Dimension& d) {
    const auto squared = std::find_if(d.base.begin(), d.base.end(),
                                      [](const auto& kv) { return kv.first != "year" && std::abs(kv.second) >= 2; });
    if (squared == d.base.end()) return;
    warnings_.push_back({f.where, f.key(),
                         fmt::format("\"{}\" works out to {}, {} squared: a currency conversion the wrong way round? "
                                     "(× a CNY/USD rate turns USD into CNY, ÷ it turns CNY into USD); if this is "
                                     "meant, write its unit",
                                     excerpt(f.text), shown(d), squared->first)});
  }

  struct Known {
    std::optional<Dimension> dim;  // nullopt: undecided
    std::string text;              // the unit as written ("" for none)
  };

  // A variable's dimension: its unit, or a calendar year for format = "year" without one.
  static Dimension of_variable(const std::string& unit, NumberStyle format) {
    if (unit.empty() && format == NumberStyle::year) return dimension_of("year");
    return dimension_of(unit);
  }

  SourceLocation at(const Expr& e) const {
    SourceLocation w = f_->where;
    w.column += static_cast<std::uint32_t>(e.offset);
    return w;
  }

  void fail(const Expr& e, const std::string& what) {
    errors_.emplace_back(at(e), f_->key(), fmt::format("{} in \"{}\"", what, excerpt(f_->text)));
  }

  // How an operand is named in a message: `salary` (USD/month), or "an expression in USD/month".
  std::string named(const Expr& e, const Dimension& d) const {
    if (e.kind == Expr::Kind::ref) {
      const auto it = vars_.find(e.name);
      const std::string unit = it != vars_.end() && !it->second.text.empty() ? it->second.text : shown(d);
      return fmt::format("`{}` ({})", e.name, unit == "dimensionless" ? "no unit" : unit);
    }
    if (e.kind == Expr::Kind::number) return fmt::format("{:g} ({})", e.number, shown(d));
    return fmt::format("the expression at column {} ({})", at(e).column, shown(d));
  }

  // A number whose unit nothing states: a literal, a variable without `unit` (a share, a multiple, a rate written
  // without one), or arithmetic on such alone. It is dimensionless where it multiplies or divides, and takes the
  // unit around it where it is added, compared or passed to a model function: it is never the cause of a mismatch.
  bool free_literal(const Expr& e) const {
    switch (e.kind) {
      case Expr::Kind::number:
        return e.unit.empty();
      case Expr::Kind::ref: {
        if (e.name == k_year_name) return false;
        const auto it = unitless_.find(e.name);
        return it != unitless_.end() && it->second;
      }
      case Expr::Kind::op:
        if (e.op == OpCode::call) return false;
        return std::all_of(e.args.begin(), e.args.end(), [&](const Expr& a) { return free_literal(a); });
    }
    return false;
  }

  std::optional<Dimension> visit(const Expr& e) {
    if (e.kind == Expr::Kind::number) return e.unit.empty() ? Dimension{} : dimension_of(e.unit);
    if (e.kind == Expr::Kind::ref) {
      if (e.name == k_year_name) return dimension_of("year");
      const auto it = vars_.find(e.name);
      if (it == vars_.end()) return Dimension{};
      if (!it->second.dim) undecided_.push_back("`" + e.name + "`");
      return it->second.dim;
    }
    std::vector<std::optional<Dimension>> d;
    for (const Expr& a : e.args) d.push_back(visit(a));
    const auto all_known = [&] { return std::all_of(d.begin(), d.end(), [](const auto& x) { return x.has_value(); }); };
    switch (e.op) {
      case OpCode::copy:
      case OpCode::neg:
      case OpCode::abs:
        return d.at(0);
      case OpCode::add:
      case OpCode::sub:
      case OpCode::min:
      case OpCode::max:
      case OpCode::clamp:
        return alike(e, d, 0, e.op == OpCode::add ? "added" : e.op == OpCode::sub ? "subtracted" : "compared");
      case OpCode::select: {
        if (d[0] && !d[0]->dimensionless() && !free_literal(e.args[0]))
          fail(e.args[0],
               fmt::format("if(condition, a, b) needs a condition (a comparison or a 0/1 event); {} is not one",
                           named(e.args[0], *d[0])));
        return alike(e, d, 1, "chosen between");
      }
      case OpCode::lt:
      case OpCode::le:
      case OpCode::gt:
      case OpCode::ge:
      case OpCode::eq:
      case OpCode::ne:
        (void)alike(e, d, 0, "compared");
        return Dimension{};
      case OpCode::mul:
        return all_known() ? std::optional(combine(*d[0], *d[1], 1)) : std::nullopt;
      case OpCode::div:
        return all_known() ? std::optional(combine(*d[0], *d[1], -1)) : std::nullopt;
      case OpCode::pow:
        return power(e, d);
      case OpCode::exp:
      case OpCode::log:
        return dimensionless_argument(e, d, e.name.empty() ? "exp/ln" : e.name);
      case OpCode::sqrt: {
        if (!d[0]) return std::nullopt;
        Dimension out{{}, std::sqrt(d[0]->scale)};
        for (const auto& [f, x] : d[0]->base) {
          if (x % 2 != 0) return std::nullopt;
          out.base[f] = x / 2;
        }
        return out;
      }
      case OpCode::call:
        return call(e, d);
    }
    return std::nullopt;
  }

  // Operands args[from..] must share one dimension and scale (free literals take any); returns it.
  std::optional<Dimension> alike(const Expr& e, const std::vector<std::optional<Dimension>>& d, std::size_t from,
                                 const char* verb) {
    std::optional<Dimension> out;
    std::size_t first = 0;
    for (std::size_t i = from; i < e.args.size(); ++i) {
      if (free_literal(e.args[i])) continue;
      if (!d[i]) return std::nullopt;
      if (!out) {
        out = d[i];
        first = i;
        continue;
      }
      if (out->same(*d[i])) continue;
      const std::string a = named(e.args[first], *out), b = named(e.args[i], *d[i]);
      if (out->same_base(*d[i])) {
        const double k = factor_between(*d[i], *out);
        fail(e.args[i], fmt::format("{} and {} are {}, but their units differ by a factor {:.6g}: convert the second "
                                    "first ({})",
                                    a, b, verb, k, conversion_fix(*d[i], *out)));
      } else {
        const bool currencies =
            std::any_of(out->base.begin(), out->base.end(), [](const auto& kv) { return is_currency_code(kv.first); }) &&
            std::any_of(d[i]->base.begin(), d[i]->base.end(), [](const auto& kv) { return is_currency_code(kv.first); });
        fail(e.args[i],
             fmt::format("{} and {} are {}, but they are different kinds of quantity; only quantities of one "
                         "unit can be added, subtracted, compared or chosen between{}",
                         a, b, verb,
                         currencies ? " (two currencies: convert one with an exchange-rate input whose unit "
                                      "is the ratio, e.g. usd_cny = { ..., unit = \"CNY/USD\" }, then "
                                      "amount_usd * usd_cny is in CNY)"
                                    : ""));
      }
      return std::nullopt;
    }
    return out ? out : std::optional(Dimension{});
  }

  std::optional<Dimension> dimensionless_argument(const Expr& e, const std::vector<std::optional<Dimension>>& d,
                                                  const std::string& fn) {
    if (d[0] && !d[0]->dimensionless()) {
      fail(e.args[0], fmt::format("{} needs a dimensionless argument, and {} is not: take a ratio first (e.g. x / "
                                  "x_2023) or a growth factor",
                                  fn, named(e.args[0], *d[0])));
      return std::nullopt;
    }
    return d[0] ? std::optional(Dimension{}) : std::nullopt;
  }

  // b ^ p: a literal integer power scales the exponents; otherwise b and p are dimensionless, or b is a growth
  // factor per period and p a number of periods ((1 + rate)^years, rate in 1/year): b's and p's dimensions cancel.
  std::optional<Dimension> power(const Expr& e, const std::vector<std::optional<Dimension>>& d) {
    if (!d[0] || !d[1]) return std::nullopt;
    const Expr& p = e.args[1];
    if (free_literal(e.args[0]) && !free_literal(p)) return Dimension{};  // a growth factor of unstated period
    if (free_literal(p)) {
      const bool literal = p.kind == Expr::Kind::number;
      if (d[0]->dimensionless()) return Dimension{{}, literal ? std::pow(d[0]->scale, p.number) : 1.0};
      if (!literal || p.number != std::floor(p.number) || std::fabs(p.number) > 16) {
        fail(p,
             fmt::format("{} raised to {}: only a whole literal power (x^2, x^3) of a quantity with a unit has a unit",
                         named(e.args[0], *d[0]), literal ? fmt::format("{:g}", p.number) : "a variable power"));
        return std::nullopt;
      }
      Dimension out{d[0]->base, std::pow(d[0]->scale, p.number)};
      for (auto& [f, x] : out.base) x *= static_cast<int>(p.number);
      return out;
    }
    if (d[0]->dimensionless() && d[1]->dimensionless()) return Dimension{};
    const Dimension both = combine(*d[0], *d[1], 1);
    if (both.dimensionless() && std::fabs(both.scale - 1) < 1e-9) return Dimension{};
    if (both.dimensionless())
      fail(p, fmt::format("{} ^ {}: a growth factor per one period raised to a number of other periods (a factor "
                          "{:.6g}); convert the rate or the number of periods first",
                          named(e.args[0], *d[0]), named(p, *d[1]), both.scale));
    else
      fail(p, fmt::format("{} ^ {}: a power needs a dimensionless exponent (or a growth factor per period raised to a "
                          "number of periods, e.g. (1 + rate)^years with rate in 1/year)",
                          named(e.args[0], *d[0]), named(p, *d[1])));
    return std::nullopt;
  }

  // The model functions' units (models/*.hpp): what each argument must be and what the result is.
  std::optional<Dimension> call(const Expr& e, const std::vector<std::optional<Dimension>>& d) {
    if (e.name == "sin" || e.name == "cos" || e.name == "tan") return dimensionless_argument(e, d, e.name);
    if (e.name == "floor" || e.name == "ceil" || e.name == "round") return d[0];
    const auto it = signatures().find(e.name);
    if (it == signatures().end()) return std::nullopt;  // a function without declared units decides nothing
    Call c{*this, e, d};
    const std::optional<Dimension> r = it->second(c);
    return c.ok ? r : std::nullopt;
  }

  // One call's arguments and the constraints a signature states on them; a violated one is recorded at its argument.
  struct Call {
    Checker& k;
    const Expr& e;
    const std::vector<std::optional<Dimension>>& d;
    bool ok = true;
    // Argument i's dimension, or nothing when it is undecided or a free number (which satisfies any constraint).
    [[nodiscard]] std::optional<Dimension> arg(std::size_t i) const {
      return k.free_literal(e.args[i]) ? std::nullopt : d[i];
    }
    [[nodiscard]] std::optional<Dimension> known(std::size_t i) const { return d[i]; }
    [[nodiscard]] std::optional<Dimension> product(std::size_t i, std::size_t j) const {
      return d[i] && d[j] ? std::optional(combine(*d[i], *d[j], 1)) : std::nullopt;
    }
    // 1 / argument i (a rate per the unit of a time), or 1/year when it is free.
    [[nodiscard]] std::optional<Dimension> per(std::size_t i) const {
      return arg(i) ? std::optional(combine(Dimension{}, *arg(i), -1)) : std::optional(dimension_of("1/year"));
    }
    void fail(std::size_t i, const std::string& what) {
      k.fail(e.args[i], fmt::format("{}: {}", e.name, what));
      ok = false;
    }
    void dimensionless(std::size_t i, const char* what) {
      if (arg(i) && !arg(i)->dimensionless())
        fail(i, fmt::format("its argument {} ({}) is a number, and {} is not", i + 1, what, k.named(e.args[i], *d[i])));
    }
    void same(std::size_t i, std::size_t j, const char* what) {
      if (arg(i) && arg(j) && !arg(i)->same(*arg(j)))
        fail(j, fmt::format("arguments {} and {} ({}) take one unit, and {} and {} differ", i + 1, j + 1, what,
                            k.named(e.args[i], *d[i]), k.named(e.args[j], *d[j])));
    }
    // Argument i (a rate per period) times argument j (a number of periods) must be dimensionless, scale 1.
    void per_period(std::size_t i, std::size_t j) {
      if (!arg(i) || !arg(j)) return;
      const Dimension both = combine(*arg(i), *arg(j), 1);
      if (!both.dimensionless() || std::fabs(both.scale - 1) > 1e-9)
        fail(j, fmt::format("the rate {} and the time {} must be per the same period (rate in 1/year with time in "
                            "years){}",
                            k.named(e.args[i], *d[i]), k.named(e.args[j], *d[j]),
                            both.dimensionless() ? fmt::format("; they differ by a factor {:.6g}", both.scale) : ""));
    }
    void time(std::size_t i) {
      if (arg(i) && !arg(i)->same_base(dimension_of("year")))
        fail(i, fmt::format("argument {} is a time (years), and {} is not", i + 1, k.named(e.args[i], *d[i])));
    }
  };

  using Signature = std::optional<Dimension> (*)(Call&);

  static const std::map<std::string, Signature>& signatures() {
    static const std::map<std::string, Signature> table = {
        // headcount × salary × share; hours × cost per hour × capture
        {"labor_substitution",
         [](Call& c) {
           c.dimensionless(2, "a share");
           return c.product(0, 1);
         }},
        {"productivity_value",
         [](Call& c) {
           c.dimensionless(2, "a share");
           return c.product(0, 1);
         }},
        // anchor × volume / anchor volume
        {"headcount_by_ratio",
         [](Call& c) {
           c.same(1, 2, "volumes");
           return c.known(0);
         }},
        // pool × share × share
        {"spend_share",
         [](Call& c) {
           c.dimensionless(1, "a share");
           c.dimensionless(2, "a share");
           return c.known(0);
         }},
        {"funnel",
         [](Call& c) {
           c.dimensionless(1, "a share");
           c.dimensionless(2, "a share");
           return c.known(0);
         }},
        // (v1 / v0)^(1 / years) − 1, per the unit of years
        {"cagr",
         [](Call& c) {
           c.same(0, 1, "values");
           c.time(2);
           return c.per(2);
         }},
        // v0 × (1 + rate)^years
        {"project",
         [](Call& c) {
           c.per_period(1, 2);
           return c.known(0);
         }},
        // at t, through (t0, v0) and (t1, v1)
        {"interpolate",
         [](Call& c) {
           c.same(0, 1, "times");
           c.same(0, 3, "times");
           c.same(2, 4, "values");
           return c.known(2);
         }},
        // cap / (1 + exp(−k (t − t_mid)))
        {"logistic",
         [](Call& c) {
           c.same(0, 1, "times");
           c.per_period(2, 0);
           return c.known(3);
         }},
        // through (t1, y1), (t2, y2), ceiling cap
        {"logistic_through",
         [](Call& c) {
           c.same(0, 1, "times");
           c.same(0, 3, "times");
           c.same(2, 4, "levels");
           c.same(2, 5, "levels");
           return c.known(5);
         }},
        // m (1 − e^{−(p+q)t}) / (1 + (q/p) e^{−(p+q)t})
        {"bass_adoption",
         [](Call& c) {
           c.per_period(1, 0);
           c.per_period(2, 0);
           return c.known(3);
         }},
        // (check / post_money) × (1 − dilution)^rounds
        {"stake_at_exit",
         [](Call& c) {
           c.same(0, 1, "check and post-money valuation");
           c.dimensionless(2, "a dilution share");
           c.dimensionless(3, "a number of rounds");
           return std::optional(Dimension{});
         }},
        // stake × V, or the preference
        {"exit_proceeds",
         [](Call& c) {
           c.dimensionless(0, "a stake");
           c.same(1, 2, "exit value and check");
           c.dimensionless(3, "a 0/1 preference");
           return c.known(1);
         }},
        {"moic",
         [](Call& c) {
           c.same(0, 1, "proceeds and check");
           return std::optional(Dimension{});
         }},
        // moic^(1/years) − 1
        {"irr_single",
         [](Call& c) {
           c.dimensionless(0, "a multiple");
           c.time(1);
           return c.per(1);
         }},
        // −check + proceeds / (1 + rate)^years
        {"npv_single",
         [](Call& c) {
           c.same(0, 1, "check and proceeds");
           c.per_period(3, 2);
           return c.known(0);
         }},
        // target × check / stake
        {"required_exit_value",
         [](Call& c) {
           c.dimensionless(0, "a target multiple");
           c.dimensionless(2, "a stake");
           c.dimensionless(3, "a 0/1 preference");
           return c.known(1);
         }},
        // required exit value / (revenue multiple × market)
        {"required_share",
         [](Call& c) {
           c.dimensionless(0, "a target multiple");
           c.dimensionless(2, "a stake");
           c.dimensionless(5, "a 0/1 preference");
           if (c.arg(1) && c.arg(3) && c.arg(4)) {
             const Dimension value = combine(*c.arg(3), *c.arg(4), 1);
             if (!value.same(*c.arg(1)))
               c.fail(3, fmt::format("the revenue multiple × the market ({} × {} = {}) must be an exit value in the "
                                     "check's unit, {}; an EV/revenue multiple is in years (unit = \"years\") when the "
                                     "market is per year",
                                     c.k.named(c.e.args[3], *c.d[3]), c.k.named(c.e.args[4], *c.d[4]), shown(value),
                                     c.k.named(c.e.args[1], *c.d[1])));
           }
           return std::optional(Dimension{});
         }},
    };
    return table;
  }

  // A declared unit the formula does not compute: both units, the factor when only the scale differs, the fix.
  void declared_mismatch(const Formula& f, const Dimension& computed, const Dimension& declared) {
    std::string why;
    if (computed.same_base(declared)) {
      const double k = factor_between(computed, declared);
      const std::string name = shown(computed);
      why = fmt::format("it computes {}, so read as {} it is {:.6g}× too {}; {}{}", name, f.unit, k >= 1 ? k : 1 / k,
                        k >= 1 ? "small" : "large", conversion_fix(computed, declared),
                        nameable(computed) ? fmt::format(", or declare unit = \"{}\"", name) : "");
    } else {
      const Dimension missing = combine(declared, computed, -1);
      why = fmt::format(
          "it computes {} from its operands' units; the declared unit needs a further factor of {} (give "
          "the operand that carries it its unit, e.g. an EV/revenue multiple in years){}",
          shown(computed), shown(missing),
          nameable(computed) ? fmt::format(", or declare unit = \"{}\"", shown(computed)) : "");
    }
    errors_.emplace_back(
        f.where, f.key(),
        fmt::format("declared unit = \"{}\", but \"{}\" does not give it: {}", f.unit, excerpt(f.text), why));
  }

  const Scenario& s_;
  std::vector<ScenarioError>& errors_;
  std::vector<Warning>& warnings_;
  std::map<std::string, Known> vars_;
  const Formula* f_ = nullptr;
  std::vector<std::string> undecided_;    // operands of the current formula whose unit is undecided
  std::map<std::string, bool> unitless_;  // variables whose unit nothing states (see free_literal)
};

}  // namespace

bool Dimension::same(const Dimension& o) const { return base == o.base && std::fabs(scale / o.scale - 1) < 1e-9; }

Dimension dimension_of(const std::string& unit) {
  Dimension d;
  for (const auto& [f, x] : parse_unit(unit)) {
    if (const auto t = time_units().find(f); t != time_units().end()) {
      d.base["year"] += x;
      d.scale *= std::pow(t->second, x);
    } else if (const auto m = scaled_factor(f)) {  // a currency, a scaled one (万CNY), a scaled count (万人), a scale (亿)
      if (m->currency) d.base[m->base] += x;
      d.scale *= std::pow(m->scale, x);
    }  // a counted thing (people, visits, seats): a number
  }
  std::erase_if(d.base, [](const auto& kv) { return kv.second == 0; });
  return d;
}

const std::vector<Conversion>& conversions() {
  static const std::vector<Conversion> list = {
      {"months_per_year", 12, "month/year"},
      {"quarters_per_year", 4, "quarter/year"},
      {"weeks_per_year", k_days_per_year / 7, "week/year"},
      {"days_per_year", k_days_per_year, "day/year"},
      {"hours_per_year", 24 * k_days_per_year, "h/year"},
      {"hours_per_day", 24, "h/day"},
      {"minutes_per_hour", 60, "min/h"},
      {"seconds_per_minute", 60, "s/min"},
      // Scales: a value in 万CNY times wan is in CNY.
      {"thousand", 1e3, "1/thousand"},
      {"wan", 1e4, "1/万"},
      {"million", 1e6, "1/million"},
      {"yi", 1e8, "1/亿"},
      {"billion", 1e9, "1/billion"},
      {"trillion", 1e12, "1/trillion"},
  };
  return list;
}

std::string conversion_fix(const Dimension& from, const Dimension& to) {
  const double ratio = from.scale / to.scale;
  const std::string a = time_name(from), b = time_name(to);
  const auto matches = [](const Conversion& c, const std::string& num, const std::string& den) {
    return !num.empty() && !den.empty() && std::string(c.unit) == num + "/" + den;
  };
  for (const Conversion& c : conversions()) {
    if (std::fabs(c.value / ratio - 1) < 1e-6 && (matches(c, a, b) || matches(c, b, a)))
      return fmt::format("multiply by {}", c.name);
    if (std::fabs(c.value * ratio - 1) < 1e-6 && (matches(c, a, b) || matches(c, b, a)))
      return fmt::format("divide by {}", c.name);
  }
  for (const Conversion& c : conversions()) {
    if (std::fabs(c.value / ratio - 1) < 1e-6) return fmt::format("multiply by {}", c.name);
    if (std::fabs(c.value * ratio - 1) < 1e-6) return fmt::format("divide by {}", c.name);
  }
  // Two at once (万CNY/month → CNY/year: months_per_year and wan).
  const auto& list = conversions();
  for (std::size_t i = 0; i < list.size(); ++i)
    for (std::size_t j = i + 1; j < list.size(); ++j)
      for (const int a : {1, -1})
        for (const int b : {1, -1})
          if (std::fabs(std::pow(list[i].value, a) * std::pow(list[j].value, b) / ratio - 1) < 1e-6) {
            const auto step = [](int sign, const char* name) {
              return fmt::format("{} {}", sign > 0 ? "multiply by" : "divide by", name);
            };
            return step(a, list[i].name) + " and " + (a == b ? fmt::format("by {}", list[j].name) : step(b, list[j].name));
          }
  return fmt::format("multiply by {:.6g}", ratio);
}

void check_dimensions(const Scenario& s, std::vector<ScenarioError>& errors, std::vector<Warning>& warnings) {
  Checker(s, errors, warnings).run();
}

}  // namespace tamcarlo::detail
