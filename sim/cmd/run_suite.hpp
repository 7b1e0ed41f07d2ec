// Running a suite: every member on the same sample indices in one stream, the matrix of its cells,
// one result file.
#pragma once
#include "sim/stats/matrix.hpp"
#include "sim/cmd/run.hpp"
#include "sim/lang/suite.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace tamcarlo {

/// Runs every member on the same sample indices (each under member_seed), converts each cell's market
/// with its fx input, computes the matrix and writes one result file (HDF5 + CSV of the matrix)
/// atomically. opt.seed/samples override the suite's. Throws like run_scenario.
[[nodiscard]] SuiteSummary run_suite(const Suite& suite, const RunOptions& opt);

}  // namespace tamcarlo
