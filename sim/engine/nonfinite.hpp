// Where a non-finite value comes from: the first such sample of a series re-drawn, and the formula on its way that
// turns finite values into NaN or ±inf, with those values (a check typed in millions, a log of a negative).
#pragma once
#include "sim/engine/plan.hpp"
#include "sim/lang/scenario.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace tamcarlo {

/// Samples nonfinite_origins re-draws at most (16 blocks): a non-finite value rarer than that is counted, not traced.
inline constexpr std::uint64_t k_nonfinite_probe = 65'536;

/// For each of `targets` (indices into plan.series() of a run of `samples` samples under `seed`, `plan` compiled from
/// `s`): where its first non-finite sample among the run's first k_nonfinite_probe comes from, "sample 12: `proceeds`
/// = exit_proceeds(stake, exit_value, check, pref) is NaN with stake = 176471, exit_value = 3.1e+09, check = 1.5e+08,
/// pref = 1 (exit_proceeds is finite only where 0 ≤ stake ≤ 1, exit_value ≥ 0, check ≥ 0)": the formula it reads
/// (through others) whose value is non-finite while every variable it names is finite. "" when none of those samples
/// is non-finite. Draws on one thread: the same samples as the run.
[[nodiscard]] std::vector<std::string> nonfinite_origins(const Scenario& s, const Plan& plan, std::uint64_t seed,
                                                         std::uint64_t samples, const std::vector<std::size_t>& targets);

/// The same at the points (every input at its point value, Plan::evaluate_point): for each of `targets` whose point
/// is NaN or ±inf, where it comes from ("`proceeds` = exit_proceeds(...) is NaN with stake = 158824, ..."); "" for a
/// finite one.
[[nodiscard]] std::vector<std::string> point_nonfinite_origins(const Scenario& s, const Plan& plan,
                                                               const std::vector<std::size_t>& targets);

}  // namespace tamcarlo
