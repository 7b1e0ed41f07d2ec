// Internal to sim/lang: interval arithmetic over a scenario's formulas at validate, from its inputs' supports, to
// refuse a formula whose declared bounds no sample can meet.
#pragma once
#include "sim/base/error.hpp"
#include "sim/lang/scenario.hpp"

#include <cmath>
#include <vector>

namespace tamcarlo::detail {

/// A closed range [lo, hi] that holds every value of a quantity (either end may be infinite).
struct Interval {
  double lo = -HUGE_VAL, hi = HUGE_VAL;
};

/// The range of each input (its law's support, narrowed by its bounds) and formula (interval arithmetic through
/// + − × ÷ ^, min, max, abs, exp, log, sqrt, clamp, if and comparisons; a model function gives the whole line).
/// Conservative: every sample lies inside; the range may be wider than the samples' (a formula naming one input
/// twice, say).
[[nodiscard]] Interval range_of(const Scenario& s, const std::string& name);

/// Adds a located error for each formula whose declared bounds lie wholly outside its range: every sample would
/// violate them (a share computed as a percentage, a rate typed as 30 for 30%).
void check_formula_ranges(const Scenario& s, std::vector<ScenarioError>& errors);

/// Adds a warning for each formula named like a part of a whole (or in a fraction unit; no bounds, format or other
/// unit) whose values, by interval arithmetic over its inputs' P0.1–P99.9, lie wholly above 1 or below 0: a ratio
/// upside down (online_retail / jd_revenue for JD's share), or a percentage, makes every product with it as far off.
void lint_share_formulas(const Scenario& s, std::vector<Warning>& out);

/// Adds a warning for each model function given a calendar year where it takes years from a start, or the two mixed
/// where it compares points in time: logistic's t and t_mid, logistic_through's t, t1 and t2, interpolate's t, t0 and
/// t1 on different scales (a range within 1900–2200 against one within ±200); bass_adoption's t, project's and
/// cagr's and npv_single's years, irr_single's years and a power's exponent a calendar year (their range by interval
/// arithmetic, `year` the timeline's). Each leaves the value at an end of its curve, or absurd, in every sample.
void lint_time_arguments(const Scenario& s, std::vector<Warning>& out);

/// Adds a warning for each input whose law has no finite mean (a metalog with one bound whose power tail
/// P(|X| > x) ~ x^(−1/c) has c ≥ 1; a student_t with df ≤ 1) or, with a one-sided power tail, no finite sd (c ≥ ½),
/// naming the reported variables it reaches with no bound (their range by interval arithmetic is unbounded): their
/// mean does not exist, or their mean's CI rests on a variance that does not exist. None when no variable is reached.
/// Returns the reported variables whose mean does not exist, each with why (Scenario::without_mean); those whose mean
/// exists but whose sd does not go to `without_sd` when given (Scenario::without_sd).
[[nodiscard]] std::map<std::string, std::string> lint_moments(const Scenario& s, std::vector<Warning>& out,
                                                              std::map<std::string, std::string>* without_sd = nullptr);

}  // namespace tamcarlo::detail
