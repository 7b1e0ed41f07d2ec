#include "sim/io/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>

namespace tamcarlo {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::string nearest(std::string_view name, std::span<const std::string> candidates) {
  const std::size_t limit = std::max<std::size_t>(2, name.size() / 3);
  std::string best;
  std::size_t best_distance = limit + 1;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(name, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

std::string did_you_mean(std::string_view name, std::span<const std::string> candidates) {
  const std::string n = nearest(name, candidates);
  return n.empty() || n == name ? std::string{} : fmt::format(" (did you mean `{}`?)", n);
}

std::string quoted_list(std::span<const std::string> items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "`" : ", `") + s + "`";
  return out;
}

std::string human(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  const double a = std::fabs(x);
  if (a >= 1e3 && a < 1e4 && x == std::floor(x)) return fmt::format("{:.0f}", x);  // a year, a count: 2024, not 2.02k
  struct Scale { double factor; const char* suffix; };
  static constexpr Scale scales[] = {{1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "k"}};
  for (const auto& s : scales) {
    if (a >= s.factor * 0.9995 && a < s.factor * 1e3 * 0.9995) {
      const double v = x / s.factor;
      const double av = std::fabs(v);
      const int decimals = av >= 99.95 ? 0 : av >= 9.995 ? 1 : 2;
      return fmt::format("{:.{}f}{}", v, decimals, s.suffix);
    }
  }
  if (a >= 1e15 * 0.9995 || (a != 0 && a < 1e-3)) return fmt::format("{:.3g}", x);
  return fmt::format("{:.4g}", x);
}

std::string thousands(unsigned long long n) {
  std::string digits = std::to_string(n);
  std::string out;
  const std::size_t len = digits.size();
  for (std::size_t i = 0; i < len; ++i) {
    if (i > 0 && (len - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string json_number(double x) {
  if (!std::isfinite(x)) return "null";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);  // shortest round-trip form
  return std::string(buf, end);
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) out += fmt::format("\\u{:04x}", c);
        else out += ch;
    }
  }
  return out + "\"";
}

std::string excerpt(const std::string& text, std::size_t max) {
  std::size_t points = 0, i = 0;
  for (; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 && points++ == max) break;  // at a code point's start
  }
  return i >= text.size() ? text : text.substr(0, i) + "…";
}

}  // namespace tamcarlo
