// The one rule for showing numbers to people (terminal tables, messages, and — implemented again in
// sim/report/tamcarlo_report/number_format.py — the report page). Both implementations are tested against the same
// table of cases, tests/number_format_cases.tsv.
#pragma once
#include <string>
#include <string_view>
#include <utility>

namespace tamcarlo {

/// How a value is shown: `automatic` (3 significant digits, scaled), a calendar `year` (2028, 2028.6), or a
/// share as a `percent` (0.37 → 37.0%). Set per variable by its `format` key.
enum class NumberStyle { automatic, year, percent };

/// Scale words: en k/M/B/T (10³ steps), zh 万/亿/万亿 (10⁴, 10⁸, 10¹²).
enum class NumberLocale { en, zh };

/// The style named by `format = "..."` ("auto", "year", "percent"); false when the name is none of them.
[[nodiscard]] bool parse_number_style(std::string_view name, NumberStyle& style);

/// The name `parse_number_style` reads for `style`.
[[nodiscard]] std::string_view number_style_name(NumberStyle style);

/// x for people: NaN "—", ±inf "inf"/"-inf", 0 "0"; whole numbers from 1,000 to 9,999 exactly (2024); else 3
/// significant digits with trailing zeros kept (7.00, 0.370, 123), scaled by the locale's words from 10³ (en:
/// 354k, 13.2B) or 10⁴ (zh: 3.54万, 132亿), and in e-notation below 0.001 or from 10¹⁵ (1.23e-05).
[[nodiscard]] std::string format_number(double x, NumberStyle style = NumberStyle::automatic,
                                        NumberLocale locale = NumberLocale::en);

/// A mean and its 95% half-width in one scale: the half-width to 2 significant digits and the mean to the same
/// decimal place (at least its 3 significant digits, at most 4 more): (0.37021, 0.00012) → {"0.37021",
/// "0.00012"}, (1.321e10, 5.4e7) → {"13.210B", "0.054B"}; a zero or non-finite half-width leaves the mean as
/// format_number shows it.
[[nodiscard]] std::pair<std::string, std::string> format_mean_ci(double mean, double half,
                                                                 NumberStyle style = NumberStyle::automatic,
                                                                 NumberLocale locale = NumberLocale::en);

}  // namespace tamcarlo
