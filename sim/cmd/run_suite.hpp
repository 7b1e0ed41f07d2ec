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

/// A suite's run: its shared inputs, every member's run, and the matrix of its cells.
struct SuiteSummary {
  std::string path, name, title, unit, output;
  std::uint64_t seed = 0, samples = 0;
  unsigned threads = 0;
  double seconds = 0;
  PhaseTimings timings;
  bool point_only = false;
  RunSummary shared;                  ///< the suite's inputs
  std::vector<RunSummary> members;    ///< as Suite::members
  std::vector<std::string> star_names;
  std::string rank_by;
  std::vector<std::size_t> cells;     ///< member index of each matrix column (input order of `matrix`)
  MatrixStats matrix;                 ///< over the cells
};

/// Runs every member on the same sample indices (each under member_seed), converts each cell's market
/// with its fx input, computes the matrix and writes one result file (HDF5 + CSV of the matrix)
/// atomically. opt.seed/samples override the suite's. Throws like run_scenario.
[[nodiscard]] SuiteSummary run_suite(const Suite& suite, const RunOptions& opt);

}  // namespace tamcarlo
