// Internal to sim/lang: units as factors with exponents, inferred through formulas, and the display format a formula
// takes from its operands.
#pragma once
#include "sim/base/number_format.hpp"
#include "sim/lang/formula.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace tamcarlo::detail {

/// A unit as factors with exponents: "CNY/year" = {CNY: 1, year: −1}, "1/year" = {year: −1}, "" = unit-free.
using Unit = std::map<std::string, int>;

/// The factors of a unit as written ("CNY/year", "people*CNY", "1/year", "USD^2/year^2": an integer exponent after ^).
[[nodiscard]] Unit parse_unit(const std::string& text);

/// An ISO currency code: three capital letters (USD, CNY).
[[nodiscard]] bool is_currency_code(const std::string& f);

/// A unit factor read for its scale: `base` is a currency's ISO code (元 and 人民币 are CNY, 美元 USD), a counted word
/// (people, 人) or "" for a scale alone; `scale` how many of the base one of it is.
struct ScaledFactor {
  std::string base;
  bool currency = false;
  double scale = 1;
};

/// A factor with a scale word before or after its base ("万CNY", "亿元", "万人", "USD million", "百万美元"; the short
/// k, M, bn, ... only on a currency: "kUSD", "USD bn"), a scale word alone ("万", "亿", "million"), or a currency
/// (scale 1). nullopt for any other factor (a time, or a counted word without a scale).
[[nodiscard]] std::optional<ScaledFactor> scaled_factor(const std::string& factor);

/// The scale word `text` starts with, as figures are written ("万", "亿", "million", "bn", "M", ...; a Latin one not
/// followed by a letter, so "Mbps" is none): its value (10⁴ for 万) and its length in bytes; nullopt when none.
[[nodiscard]] std::optional<std::pair<double, std::size_t>> scale_word_at(std::string_view text);

/// A unit written back: the numerator's factors joined by "·" (exponents as ^2), then "/" and each denominator factor.
[[nodiscard]] std::string unit_text(const Unit& u);

/// The unit of a formula's value where its operands' units decide it; nullopt where they do not. + − min max clamp
/// if: the operands that are not literal numbers share one unit; × ÷: units multiply and divide; ^ by a literal
/// integer: the exponents scale; exp log sqrt comparisons: unit-free. Model functions decide nothing.
[[nodiscard]] std::optional<Unit> unit_of(const Expr& e, const std::map<std::string, std::optional<Unit>>& units);

/// The format a formula's value takes from its operands where `format` is not written: a calendar year plus or minus
/// a quantity is a year, a year minus a year is not; min, max, clamp and if of years are years; else automatic.
[[nodiscard]] NumberStyle format_of(const Expr& e, const std::map<std::string, NumberStyle>& formats);

}  // namespace tamcarlo::detail
