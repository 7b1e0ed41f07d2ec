#include "sim/lang/formula.hpp"

#include "models/market.hpp"
#include "models/venture.hpp"
#include "sim/base/text.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <charconv>

namespace tamcarlo {
namespace {

struct Function {
  std::string name;
  OpCode op;
  std::size_t min_args, max_args;
  ModelFn fn = nullptr;
  std::string domain = {};  // where its value is finite, for finite arguments (empty: everywhere)
};

namespace m = tamcarlo::models;

const std::vector<Function>& functions() {
  static const std::vector<Function> table = {
      {"min", OpCode::min, 2, 64},  {"max", OpCode::max, 2, 64},   {"abs", OpCode::abs, 1, 1},
      {"exp", OpCode::exp, 1, 1},   {"log", OpCode::log, 1, 1, nullptr, "x > 0"},
      {"sqrt", OpCode::sqrt, 1, 1, nullptr, "x ≥ 0"},
      {"pow", OpCode::pow, 2, 2, nullptr, "a base > 0, or a whole exponent (with a base of 0, one > 0)"},
      {"clamp", OpCode::clamp, 3, 3}, {"if", OpCode::select, 3, 3},
      {"ln", OpCode::log, 1, 1, nullptr, "x > 0"},
      {"log10", OpCode::call, 1, 1, [](const double* a) { return std::log10(a[0]); }, "x > 0"},
      {"sin", OpCode::call, 1, 1, [](const double* a) { return std::sin(a[0]); }},
      {"cos", OpCode::call, 1, 1, [](const double* a) { return std::cos(a[0]); }},
      {"tan", OpCode::call, 1, 1, [](const double* a) { return std::tan(a[0]); }},
      {"floor", OpCode::call, 1, 1, [](const double* a) { return std::floor(a[0]); }},
      {"ceil", OpCode::call, 1, 1, [](const double* a) { return std::ceil(a[0]); }},
      {"round", OpCode::call, 1, 1, [](const double* a) { return std::round(a[0]); }},  // halves away from 0
      // models/market.hpp: formulas and units in their doc lines.
      {"labor_substitution", OpCode::call, 3, 3, [](const double* a) { return m::labor_substitution(a[0], a[1], a[2]); }},
      {"headcount_by_ratio", OpCode::call, 3, 3, [](const double* a) { return m::headcount_by_ratio(a[0], a[1], a[2]); }},
      {"spend_share", OpCode::call, 3, 3, [](const double* a) { return m::spend_share(a[0], a[1], a[2]); }},
      {"productivity_value", OpCode::call, 3, 3, [](const double* a) { return m::productivity_value(a[0], a[1], a[2]); }},
      {"cagr", OpCode::call, 3, 3, [](const double* a) { return m::cagr(a[0], a[1], a[2]); }, "v0 > 0, v1 ≥ 0, years > 0"},
      {"project", OpCode::call, 3, 3, [](const double* a) { return m::project(a[0], a[1], a[2]); }, "rate > −1"},
      {"interpolate", OpCode::call, 5, 5, [](const double* a) { return m::interpolate(a[0], a[1], a[2], a[3], a[4]); },
       "t0 ≠ t1"},
      {"logistic", OpCode::call, 4, 4, [](const double* a) { return m::logistic(a[0], a[1], a[2], a[3]); }, "k > 0"},
      {"logistic_through", OpCode::call, 6, 6,
       [](const double* a) { return m::logistic_through(a[0], a[1], a[2], a[3], a[4], a[5]); },
       "t1 ≠ t2, 0 < y1 < cap, 0 < y2 < cap"},
      {"bass_adoption", OpCode::call, 4, 4, [](const double* a) { return m::bass_adoption(a[0], a[1], a[2], a[3]); },
       "p > 0, q ≥ 0, t ≥ 0"},
      {"funnel", OpCode::call, 3, 3, [](const double* a) { return m::funnel(a[0], a[1], a[2]); }},
      // models/venture.hpp
      {"stake_at_exit", OpCode::call, 4, 4, [](const double* a) { return m::stake_at_exit(a[0], a[1], a[2], a[3]); },
       "check ≥ 0, post_money > 0, 0 ≤ dilution < 1, rounds ≥ 0"},
      {"exit_proceeds", OpCode::call, 4, 4, [](const double* a) { return m::exit_proceeds(a[0], a[1], a[2], a[3]); },
       "0 ≤ stake ≤ 1, exit_value ≥ 0, check ≥ 0"},
      {"moic", OpCode::call, 2, 2, [](const double* a) { return m::moic(a[0], a[1]); }, "check > 0"},
      {"irr_single", OpCode::call, 2, 2, [](const double* a) { return m::irr_single(a[0], a[1]); },
       "moic ≥ 0, years > 0"},
      {"npv_single", OpCode::call, 4, 4, [](const double* a) { return m::npv_single(a[0], a[1], a[2], a[3]); },
       "rate > −1"},
      {"required_exit_value", OpCode::call, 4, 4,
       [](const double* a) { return m::required_exit_value(a[0], a[1], a[2], a[3]); },
       "target > 0, check > 0, 0 < stake ≤ 1"},
      {"required_share", OpCode::call, 6, 6,
       [](const double* a) { return m::required_share(a[0], a[1], a[2], a[3], a[4], a[5]); },
       "target > 0, check > 0, 0 < stake ≤ 1, revenue_multiple > 0, market > 0"},
  };
  return table;
}

}  // namespace

const std::string& function_domain(std::string_view name) {
  static const std::string none;
  for (const Function& f : functions())
    if (f.name == name) return f.domain;
  return none;
}

namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Expr parse() {
    skip_space();
    if (pos_ == s_.size()) throw FormulaError(0, "empty formula");
    Expr e = comparison();
    skip_space();
    if (pos_ != s_.size()) throw FormulaError(pos_, fmt::format("unexpected `{}` after a complete expression", s_[pos_]));
    return e;
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
  std::size_t depth_ = 0;       // nesting of parentheses, calls, signs and powers
  std::size_t operations_ = 0;  // operators and calls so far

  // Counts one level of nesting for its lifetime; refuses nesting deeper than k_max_formula_depth.
  struct Nest {
    Parser& p;
    explicit Nest(Parser& parser) : p(parser) {
      if (++p.depth_ > k_max_formula_depth)
        throw FormulaError(p.pos_, fmt::format("nested more than {} levels deep; split it into several formulas",
                                               k_max_formula_depth));
    }
    ~Nest() { --p.depth_; }
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;
  };

  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool accept(std::string_view tok) {
    skip_space();
    if (s_.substr(pos_, tok.size()) == tok) {
      pos_ += tok.size();
      return true;
    }
    return false;
  }
  Expr make_op(OpCode op, std::vector<Expr> args, std::size_t offset) {
    if (++operations_ > k_max_formula_operations)
      throw FormulaError(offset, fmt::format("more than {} operations; split it into several formulas",
                                             k_max_formula_operations));
    Expr e;
    e.kind = Expr::Kind::op;
    e.op = op;
    e.args = std::move(args);
    e.offset = offset;
    return e;
  }

  // op(a, b), moving both operands (an initializer list would copy the whole left subtree).
  Expr binary(OpCode op, Expr a, Expr b, std::size_t at) {
    std::vector<Expr> args;
    args.reserve(2);
    args.push_back(std::move(a));
    args.push_back(std::move(b));
    return make_op(op, std::move(args), at);
  }

  Expr comparison() {
    const Nest nest(*this);
    Expr left = additive();
    skip_space();
    const std::size_t at = pos_;
    static constexpr std::pair<std::string_view, OpCode> ops[] = {
        {"<=", OpCode::le}, {">=", OpCode::ge}, {"==", OpCode::eq}, {"!=", OpCode::ne}, {"<", OpCode::lt}, {">", OpCode::gt}};
    for (const auto& [tok, op] : ops) {
      if (accept(tok)) {
        Expr right = additive();
        skip_space();
        if (pos_ < s_.size() && (s_[pos_] == '<' || s_[pos_] == '>' || s_[pos_] == '=' || s_[pos_] == '!'))
          throw FormulaError(pos_, "comparisons do not chain; use parentheses, e.g. `(a < b) * (b < c)`");
        return binary(op, std::move(left), std::move(right), at);
      }
    }
    return left;
  }

  Expr additive() {
    Expr left = term();
    for (;;) {
      skip_space();
      const std::size_t at = pos_;
      if (accept("+")) left = binary(OpCode::add, std::move(left), term(), at);
      else if (accept("-")) left = binary(OpCode::sub, std::move(left), term(), at);
      else return left;
    }
  }

  Expr term() {
    Expr left = unary();
    for (;;) {
      skip_space();
      const std::size_t at = pos_;
      if (s_.substr(pos_, 2) != "**" && accept("*")) left = binary(OpCode::mul, std::move(left), unary(), at);
      else if (accept("/")) left = binary(OpCode::div, std::move(left), unary(), at);
      else return left;
    }
  }

  Expr unary() {
    const Nest nest(*this);
    skip_space();
    const std::size_t at = pos_;
    if (accept("-")) {
      std::vector<Expr> arg;
      arg.push_back(unary());
      return make_op(OpCode::neg, std::move(arg), at);
    }
    if (accept("+")) return unary();
    return power();
  }

  Expr power() {
    Expr base = primary();
    skip_space();
    const std::size_t at = pos_;
    if (accept("^") || accept("**")) return binary(OpCode::pow, std::move(base), unary(), at);  // ** as in Python
    return base;
  }

  Expr primary() {
    skip_space();
    const std::size_t at = pos_;
    if (pos_ == s_.size()) throw FormulaError(pos_, "expression ends where a number, name or `(` was expected");
    const char c = s_[pos_];
    if (c == '(') {
      ++pos_;
      Expr inner = comparison();
      if (!accept(")")) throw FormulaError(pos_, fmt::format("missing `)` to close the `(` at column {}", at + 1));
      return inner;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') return number();
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t end = pos_;
      while (end < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[end])) || s_[end] == '_')) ++end;
      std::string name(s_.substr(pos_, end - pos_));
      pos_ = end;
      skip_space();
      if (pos_ < s_.size() && s_[pos_] == '(') return call(std::move(name), at);
      Expr e;
      e.kind = Expr::Kind::ref;
      e.name = std::move(name);
      e.offset = at;
      return e;
    }
    throw FormulaError(pos_, fmt::format("unexpected `{}`; expected a number, a name or `(`", c));
  }

  Expr number() {
    const std::size_t at = pos_;
    double value = 0;
    const auto [end, ec] = std::from_chars(s_.data() + pos_, s_.data() + s_.size(), value);
    if (ec == std::errc::result_out_of_range)
      throw FormulaError(at, "number out of range: finite numbers lie within ±1.8e308 (and beyond ±2.2e-308 when not 0)");
    if (ec != std::errc{}) throw FormulaError(at, "malformed number");
    pos_ = static_cast<std::size_t>(end - s_.data());
    if (pos_ < s_.size() && (std::isalpha(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_'))
      throw FormulaError(pos_, fmt::format("unexpected `{}` right after a number; write `*` for a product", s_[pos_]));
    Expr e;
    e.kind = Expr::Kind::number;
    e.number = value;
    e.offset = at;
    return e;
  }

  Expr call(std::string name, std::size_t at) {
    const Function* fn = nullptr;
    for (const auto& f : functions())
      if (f.name == name) fn = &f;
    if (!fn)
      throw FormulaError(at, fmt::format("unknown function `{}`{}; functions are {}", name,
                                         did_you_mean(name, function_names()), quoted_list(function_names())));
    ++pos_;  // '('
    std::vector<Expr> args;
    if (!accept(")")) {
      do args.push_back(comparison());
      while (accept(","));
      if (!accept(")")) throw FormulaError(pos_, fmt::format("missing `)` or `,` in the call of `{}`", name));
    }
    if (args.size() < fn->min_args || args.size() > fn->max_args) {
      const std::string expected = fn->min_args == fn->max_args ? std::to_string(fn->min_args)
                                   : args.size() < fn->min_args ? fmt::format("at least {}", fn->min_args)
                                                                : fmt::format("at most {}", fn->max_args);
      throw FormulaError(at, fmt::format("`{}` takes {} argument{}, got {}", name, expected,
                                         fn->max_args == 1 ? "" : "s", args.size()));
    }
    Expr e = make_op(fn->op, std::move(args), at);
    e.name = std::move(name);
    e.fn = fn->fn;
    return e;
  }
};

}  // namespace

Expr parse_formula(std::string_view text) { return Parser(text).parse(); }

const std::vector<std::string>& function_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& f : functions()) v.push_back(f.name);
    return v;
  }();
  return names;
}

void collect_refs(const Expr& e, std::vector<const Expr*>& out) {
  if (e.kind == Expr::Kind::ref) out.push_back(&e);
  for (const auto& a : e.args) collect_refs(a, out);
}

std::vector<const Expr*> nodes_of(const Expr& e) {
  std::vector<const Expr*> out, pending{&e};
  while (!pending.empty()) {
    const Expr* n = pending.back();
    pending.pop_back();
    out.push_back(n);
    for (auto a = n->args.rbegin(); a != n->args.rend(); ++a) pending.push_back(&*a);  // the first argument next
  }
  return out;
}

void rename_refs(Expr& e, const std::function<std::string(const std::string&)>& rename) {
  if (e.kind == Expr::Kind::ref) e.name = rename(e.name);
  for (auto& a : e.args) rename_refs(a, rename);
}

bool is_identifier(std::string_view s) noexcept {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (const char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

}  // namespace tamcarlo
