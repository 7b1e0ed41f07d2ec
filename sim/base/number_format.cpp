#include "sim/base/number_format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace tamcarlo {
namespace {

struct Scale {
  double factor;
  int power;  // log10(factor)
  std::string_view word;
};

// The largest of the locale's scales not above a (a value already rounded to its shown digits).
Scale scale_of(double a, NumberLocale locale) {
  static constexpr Scale en[] = {{1e12, 12, "T"}, {1e9, 9, "B"}, {1e6, 6, "M"}, {1e3, 3, "k"}};
  static constexpr Scale zh[] = {{1e12, 12, "万亿"}, {1e8, 8, "亿"}, {1e4, 4, "万"}};
  if (locale == NumberLocale::zh) {
    for (const auto& s : zh)
      if (a >= s.factor) return s;
  } else {
    for (const auto& s : en)
      if (a >= s.factor) return s;
  }
  return {1, 0, ""};
}

// x rounded to `digits` significant digits, and the decimal exponent of that rounded value. Both come from the
// e-notation text, as in the Python twin, so the two agree on every tie.
struct Rounded {
  double value;
  int exponent;
};
Rounded round_significant(double x, int digits) {
  const std::string e = fmt::format("{:.{}e}", x, digits - 1);
  const std::size_t at = e.find('e');
  return {std::stod(e), std::stoi(e.substr(at + 1))};
}

bool shown_in_e_notation(double rounded) {
  const double a = std::fabs(rounded);
  return a >= 1e15 || a < 1e-3;
}

std::string scaled(double x, int decimals, const Scale& s) {
  return fmt::format("{:.{}f}{}", x / s.factor, std::max(decimals, 0), s.word);
}

std::string automatic(double x, NumberLocale locale) {
  const double a = std::fabs(x);
  if (a >= 1e3 && a < 1e4 && x == std::floor(x)) return fmt::format("{:.0f}", x);  // 2024, not 2.02k
  const Rounded r = round_significant(x, 3);
  if (shown_in_e_notation(r.value)) return fmt::format("{:.2e}", x);
  const Scale s = scale_of(std::fabs(r.value), locale);
  return scaled(r.value, 2 - (r.exponent - s.power), s);
}

}  // namespace

bool parse_number_style(std::string_view name, NumberStyle& style) {
  if (name == "auto") style = NumberStyle::automatic;
  else if (name == "year") style = NumberStyle::year;
  else if (name == "percent") style = NumberStyle::percent;
  else return false;
  return true;
}

std::string_view number_style_name(NumberStyle style) {
  switch (style) {
    case NumberStyle::year: return "year";
    case NumberStyle::percent: return "percent";
    case NumberStyle::automatic: break;
  }
  return "auto";
}

std::string format_number(double x, NumberStyle style, NumberLocale locale) {
  if (std::isnan(x)) return "—";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  if (x == 0) return style == NumberStyle::percent ? "0%" : "0";
  switch (style) {
    case NumberStyle::year: return x == std::floor(x) ? fmt::format("{:.0f}", x) : fmt::format("{:.1f}", x);
    case NumberStyle::percent: return automatic(100 * x, locale) + "%";
    case NumberStyle::automatic: break;
  }
  return automatic(x, locale);
}

std::pair<std::string, std::string> format_mean_ci(double mean, double half, NumberStyle style, NumberLocale locale) {
  if (!std::isfinite(mean) || !std::isfinite(half) || half <= 0 || mean == 0)
    return {format_number(mean, style, locale), format_number(half, style, locale)};
  if (style == NumberStyle::percent) {
    auto [m, h] = format_mean_ci(100 * mean, 100 * half, NumberStyle::automatic, locale);
    return {m + "%", h + "%"};
  }
  const Rounded rm = round_significant(mean, 3);
  const Rounded rh = round_significant(half, 2);
  if (style == NumberStyle::automatic && shown_in_e_notation(rm.value))
    return {format_number(mean, style, locale), format_number(half, style, locale)};
  const Scale s = style == NumberStyle::year ? Scale{1, 0, ""} : scale_of(std::fabs(rm.value), locale);
  const int mean_digits = style == NumberStyle::year ? 0 : 2 - (rm.exponent - s.power);  // 3 significant
  const int half_digits = 1 - (rh.exponent - s.power);                                  // 2 significant
  const int most = std::max(mean_digits, 0) + 4;
  if (half_digits > most)  // the half-width is too small to show in the mean's scale: each on its own
    return {format_number(mean, style, locale), format_number(half, NumberStyle::automatic, locale)};
  return {scaled(mean, std::max(mean_digits, half_digits), s), scaled(rh.value, half_digits, s)};
}

}  // namespace tamcarlo
