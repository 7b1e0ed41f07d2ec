// Running a suite: every member on the same sample indices in one stream, the matrix of its cells,
// one result file.
#pragma once
#include "sim/stats/matrix.hpp"
#include "sim/run/options.hpp"
#include "sim/run/run_scenario.hpp"
#include "sim/lang/suite.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace tamcarlo {

/// Checks that `suite` would fit (memory; throws RunError otherwise) and says what it would store, before anything
/// is sampled or created.
[[nodiscard]] RunNeeds preflight_suite(const Suite& suite, const RunOptions& opt);

/// Runs every member on the same sample indices (each under member_seed), converts each cell's market
/// with its fx input, computes the matrix and writes one result file (HDF5 + CSV of the matrix)
/// atomically. opt.seed/samples override the suite's. Throws like run_scenario.
[[nodiscard]] SuiteSummary run_suite(const Suite& suite, const RunOptions& opt);

}  // namespace tamcarlo
