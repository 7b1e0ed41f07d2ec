#include "sim/lang/units.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>

namespace tamcarlo::detail {

Unit parse_unit(const std::string& text) {
  Unit u;
  std::size_t at = 0;
  for (int part = 0; at <= text.size(); ++part) {  // part 0 the numerator, then one denominator per '/'
    const std::size_t slash = text.find('/', at);
    const std::string segment = text.substr(at, slash == std::string::npos ? std::string::npos : slash - at);
    std::size_t from = 0;
    while (from <= segment.size()) {  // factors joined by '*' or '·'
      std::size_t end = segment.find_first_of("*", from);
      const std::size_t dot = segment.find("·", from);
      std::size_t skip = 1;
      if (dot != std::string::npos && (end == std::string::npos || dot < end)) {
        end = dot;
        skip = std::string("·").size();
      }
      std::string f = segment.substr(from, end == std::string::npos ? std::string::npos : end - from);
      f.erase(0, f.find_first_not_of(' '));
      f.erase(f.find_last_not_of(' ') + 1);
      int power = 1;  // "USD^2", "year^-1": an integer exponent up to 12, as unit_text writes it
      if (const std::size_t caret = f.find('^'); caret != std::string::npos && caret > 0) {
        const std::string digits = f.substr(caret + 1);
        int p = 0;
        const auto [end_p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), p);
        if (ec == std::errc() && end_p == digits.data() + digits.size() && p != 0 && std::abs(p) <= 12) {
          power = p;
          f.erase(caret);
          f.erase(f.find_last_not_of(' ') + 1);
        }
      }
      if (!f.empty() && f != "1") u[f] += part == 0 ? power : -power;
      if (end == std::string::npos) break;
      from = end + skip;
    }
    if (slash == std::string::npos) break;
    at = slash + 1;
  }
  std::erase_if(u, [](const auto& kv) { return kv.second == 0; });
  return u;
}

bool is_currency_code(const std::string& f) {
  return f.size() == 3 && std::all_of(f.begin(), f.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

namespace {

// A currency as written: an ISO code, or 元 / 人民币 (CNY) and 美元 (USD); "" when `f` is none.
std::string currency_code(const std::string& f) {
  if (is_currency_code(f)) return f;
  if (f == "元" || f == "人民币") return "CNY";
  if (f == "美元") return "USD";
  return "";
}

// Scale words, longest first: Chinese (万 = 10⁴, 亿 = 10⁸, ...) and English words stand alone or with a currency; the
// short English ones (k, M, bn, ...) only with a currency ("kUSD", "USD bn").
struct ScaleWord {
  const char* word;
  double value;
  bool alone;  // a unit factor by itself ("万", "million"), not only a currency's prefix or suffix
};
constexpr ScaleWord k_scale_words[] = {
    {"万亿", 1e12, true},      {"千亿", 1e11, true},     {"百亿", 1e10, true},       {"十亿", 1e9, true},
    {"千万", 1e7, true},       {"百万", 1e6, true},      {"十万", 1e5, true},        {"亿", 1e8, true},
    {"万", 1e4, true},         {"千", 1e3, true},        {"thousands", 1e3, true},   {"thousand", 1e3, true},
    {"millions", 1e6, true},   {"million", 1e6, true},   {"billions", 1e9, true},    {"billion", 1e9, true},
    {"trillions", 1e12, true}, {"trillion", 1e12, true}, {"mn", 1e6, false},         {"MM", 1e6, false},
    {"bn", 1e9, false},        {"Bn", 1e9, false},       {"tn", 1e12, false},        {"k", 1e3, false},
    {"K", 1e3, false},         {"M", 1e6, false},        {"B", 1e9, false},          {"T", 1e12, false},
};

}  // namespace

std::optional<std::pair<double, std::size_t>> scale_word_at(std::string_view text) {
  for (const ScaleWord& w : k_scale_words) {  // (longest first)
    const std::string_view word = w.word;
    if (!text.starts_with(word)) continue;
    const bool latin = static_cast<unsigned char>(word.front()) < 0x80;
    if (latin && text.size() > word.size() && std::isalpha(static_cast<unsigned char>(text[word.size()]))) continue;
    return std::pair{w.value, word.size()};
  }
  return std::nullopt;
}

namespace {

// A unit whose scaled factors' scales multiply to 1 (salary in 万CNY times wan, 1/万) with their bases ({CNY: 1});
// any other unit as it is.
Unit without_cancelled_scales(Unit u) {
  double scale = 1;
  bool scaled = false;
  for (const auto& [f, x] : u)
    if (const auto m = scaled_factor(f); m && m->scale != 1) {
      scale *= std::pow(m->scale, x);
      scaled = true;
    }
  if (!scaled || std::fabs(scale - 1) > 1e-9) return u;
  Unit out;
  for (const auto& [f, x] : u) {
    const auto m = scaled_factor(f);
    if (!m || m->scale == 1) out[f] += x;
    else if (!m->base.empty()) out[m->base] += x;
  }
  std::erase_if(out, [](const auto& kv) { return kv.second == 0; });
  return out;
}

}  // namespace

std::optional<ScaledFactor> scaled_factor(const std::string& factor) {
  std::string f;
  for (const char c : factor)
    if (c != ' ') f += c;
  if (f.empty()) return std::nullopt;
  if (const std::string c = currency_code(f); !c.empty()) return ScaledFactor{c, true, 1};
  // The base beside a scale word: a currency, or (after a scale word that may stand alone) a counted word.
  const auto base = [](const std::string& rest, bool alone) -> std::optional<ScaledFactor> {
    if (const std::string c = currency_code(rest); !c.empty()) return ScaledFactor{c, true, 1};
    const bool word = alone && std::none_of(rest.begin(), rest.end(), [](char c) { return c == '^' || (c >= '0' && c <= '9'); });
    if (word) return ScaledFactor{rest, false, 1};
    return std::nullopt;
  };
  for (const ScaleWord& w : k_scale_words) {
    const std::string word = w.word;
    if (f == word) {
      if (w.alone) return ScaledFactor{"", false, w.value};
      continue;
    }
    if (f.size() <= word.size()) continue;
    std::optional<ScaledFactor> b;
    if (f.starts_with(word)) b = base(f.substr(word.size()), w.alone);
    if (!b && f.ends_with(word)) b = base(f.substr(0, f.size() - word.size()), w.alone);
    if (b) {
      b->scale = w.value;
      return b;
    }
  }
  return std::nullopt;
}

std::string unit_text(const Unit& u) {
  std::string num, den;
  const auto factor = [](const std::string& f, int e) { return e == 1 ? f : f + "^" + std::to_string(e); };
  for (const auto& [f, e] : u) {
    if (e > 0) num += (num.empty() ? "" : "·") + factor(f, e);
    else den += "/" + factor(f, -e);
  }
  if (num.empty() && den.empty()) return "";
  return (num.empty() ? "1" : num) + den;
}

// The unit of a formula's value where its operands' units decide it; nullopt where they do not. + − min max clamp
// if: the operands that are not literal numbers share one unit; × ÷: units multiply and divide; ^ by a literal
// integer: the exponents scale; exp log sqrt comparisons: unit-free. Model functions (moic, irr, ...) decide nothing.
std::optional<Unit> unit_of(const Expr& e, const std::map<std::string, std::optional<Unit>>& units) {
  if (e.kind == Expr::Kind::number) return e.unit.empty() ? Unit{} : parse_unit(e.unit);
  if (e.kind == Expr::Kind::ref) {
    const auto it = units.find(e.name);
    return it == units.end() ? std::optional<Unit>(Unit{}) : it->second;
  }
  std::vector<std::optional<Unit>> u;
  for (const Expr& a : e.args) u.push_back(unit_of(a, units));
  const auto known = [&] { return std::all_of(u.begin(), u.end(), [](const auto& x) { return x.has_value(); }); };
  const auto shared = [&](std::size_t from) -> std::optional<Unit> {  // one unit over args[from..], literals aside
    std::optional<Unit> out;
    for (std::size_t i = from; i < e.args.size(); ++i) {
      if (e.args[i].kind == Expr::Kind::number) continue;
      if (!u[i] || (out && *out != *u[i])) return std::nullopt;
      out = u[i];
    }
    return out ? out : std::optional<Unit>(Unit{});
  };
  const auto combine = [](Unit a, const Unit& b, int sign) {
    for (const auto& [f, x] : b) a[f] += sign * x;
    std::erase_if(a, [](const auto& kv) { return kv.second == 0; });
    return a;
  };
  switch (e.op) {
    case OpCode::copy: case OpCode::neg: case OpCode::abs: return u.at(0);
    case OpCode::add: case OpCode::sub: case OpCode::min: case OpCode::max: case OpCode::clamp: return shared(0);
    case OpCode::select: return shared(1);
    case OpCode::mul:
      return known() ? std::optional<Unit>(without_cancelled_scales(combine(*u[0], *u[1], 1))) : std::nullopt;
    case OpCode::div:
      return known() ? std::optional<Unit>(without_cancelled_scales(combine(*u[0], *u[1], -1))) : std::nullopt;
    case OpCode::pow: {
      if (!known()) return std::nullopt;
      if (u[0]->empty()) return Unit{};
      const Expr& p = e.args[1];
      if (p.kind != Expr::Kind::number || p.number != std::floor(p.number) || std::fabs(p.number) > 16) return std::nullopt;
      Unit out = *u[0];
      for (auto& [f, x] : out) x *= static_cast<int>(p.number);
      return out;
    }
    case OpCode::lt: case OpCode::le: case OpCode::gt: case OpCode::ge: case OpCode::eq: case OpCode::ne:
      return Unit{};
    case OpCode::exp: case OpCode::log: case OpCode::sqrt:
      if (known() && u[0]->empty()) return Unit{};
      return std::nullopt;
    case OpCode::call: break;
  }
  return std::nullopt;
}

// The format a formula's value takes from its operands where `format` is not written: a calendar year plus or
// minus a quantity is a year (round_year + years_to_exit), a year minus a year is not; min, max, clamp and if of
// years are years. Anything else is shown automatically.
NumberStyle format_of(const Expr& e, const std::map<std::string, NumberStyle>& formats) {
  if (e.kind == Expr::Kind::number) return NumberStyle::automatic;
  if (e.kind == Expr::Kind::ref) {
    const auto it = formats.find(e.name);
    return it == formats.end() ? NumberStyle::automatic : it->second;
  }
  std::vector<NumberStyle> f;
  for (const Expr& a : e.args) f.push_back(format_of(a, formats));
  const auto years = [&](std::size_t from) {
    std::size_t n = 0;
    for (std::size_t i = from; i < f.size(); ++i) n += f[i] == NumberStyle::year;
    return n;
  };
  switch (e.op) {
    case OpCode::copy: return f.at(0);
    case OpCode::add: return years(0) == 1 && f[0] != NumberStyle::percent && f[1] != NumberStyle::percent
                                 ? NumberStyle::year : NumberStyle::automatic;
    case OpCode::sub: return f[0] == NumberStyle::year && f[1] != NumberStyle::year ? NumberStyle::year
                                                                                    : NumberStyle::automatic;
    case OpCode::min: case OpCode::max: case OpCode::clamp:
      return years(0) > 0 && std::all_of(e.args.begin(), e.args.end(), [&](const Expr& a) {
               return a.kind == Expr::Kind::number || format_of(a, formats) == NumberStyle::year;
             }) ? NumberStyle::year : NumberStyle::automatic;
    case OpCode::select: return f.size() == 3 && f[1] == NumberStyle::year && f[2] == NumberStyle::year
                                    ? NumberStyle::year : NumberStyle::automatic;
    default: return NumberStyle::automatic;
  }
}

}  // namespace tamcarlo::detail
