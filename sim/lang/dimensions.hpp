// Internal to sim/lang: units as dimensions, checked through every formula at validate. A unit's dimension is its
// currencies (ISO codes: three capital letters) and time (year, quarter, month, week, day, hour, minute, second) with
// exponents, and its scale to the base units (1 USD/month = 12 USD/year, 1 万CNY = 10⁴ CNY, 1 万人 = 10⁴ people: scale
// words are in units.hpp); counted things (people, visits, seats, ...)
// are numbers here, so a per-person salary times people is money. + − min max clamp if and comparisons need one
// dimension and one scale; exp, ln, log10 and the trigonometric functions a dimensionless argument; model functions
// declare what they take and give; a declared unit must agree with the one the formula computes.
#pragma once
#include "sim/lang/scenario.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tamcarlo::detail {

/// A unit for checking: base dimensions with exponents, and how many base units one of it is.
struct Dimension {
  std::map<std::string, int> base;  ///< e.g. {USD: 1, year: −1}; empty: dimensionless
  double scale = 1;                 ///< USD/month: 12 (USD/year); h: 1/8766 (year)
  /// Same base dimensions (any scale).
  [[nodiscard]] bool same_base(const Dimension& o) const { return base == o.base; }
  /// Same base dimensions and scale (to 1e-9).
  [[nodiscard]] bool same(const Dimension& o) const;
  /// No base dimension.
  [[nodiscard]] bool dimensionless() const { return base.empty(); }
};

/// The dimension of a unit as written ("USD/year", "CNY/USD", "h/year", "people", ""); "" is dimensionless.
[[nodiscard]] Dimension dimension_of(const std::string& unit);

/// A named conversion a formula may use like a constant (`salary * months_per_year`): its value and unit.
struct Conversion {
  const char* name;
  double value;
  const char* unit;
};

/// The named conversions (months_per_year, weeks_per_year, days_per_year, hours_per_day, hours_per_year, ...).
[[nodiscard]] const std::vector<Conversion>& conversions();

/// How to turn a value in `from` into `to` (same base dimensions): "multiply by months_per_year", "divide by yi",
/// "multiply by months_per_year and by wan" (named conversions, the one between their time units first), else by the
/// factor.
[[nodiscard]] std::string conversion_fix(const Dimension& from, const Dimension& to);

/// Checks the dimensions of every formula of `s` (linked ones were checked in their own files). Appends a located
/// ScenarioError for each mismatch (the formula, both units as written, the factor where only the scale differs, and
/// the fix) to `errors`, and a lint warning for a declared unit that cannot be checked because an operand's unit is
/// undecided.
void check_dimensions(const Scenario& s, std::vector<ScenarioError>& errors, std::vector<Warning>& warnings);

}  // namespace tamcarlo::detail
