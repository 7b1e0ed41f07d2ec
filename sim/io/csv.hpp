// The CSV summaries written beside a result file (RFC 4180): a scenario's variables, a suite's matrix.
#pragma once
#include "sim/lang/suite.hpp"
#include "sim/stats/run_summary.hpp"

#include <ostream>

namespace tamcarlo {

/// One case of a scenario's run for the CSV: the base run or a stressed case, with the scenario it ran (for the
/// laws of its inputs).
struct CsvCase {
  std::string name;  ///< "base", or the stress set's name ("set" for --set)
  const RunSummary* run = nullptr;
  const Scenario* scenario = nullptr;
};

/// CSV (RFC 4180), one row per variable and case: name, kind, unit, point, n, nonfinite, mean, mean_se, mean CI, sd,
/// min, max, each report quantile with its CI, law, source; then the case, where the quantiles come from ("samples";
/// "law" for an input whose samples were not held: its law's exact quantiles, CI of zero width), the risk metrics
/// (var_<level>, cvar_<level>, p_below_<t>, p_at_least_<t>, semi_deviation) and, with --sobol, each input's
/// sobol_first_<input> and sobol_total_<input> with their CIs. Columns no row has are left out.
void write_csv(const std::vector<CsvCase>& cases, std::ostream& os);
/// CSV of the matrix, one row per cell in rank order: stars, market mean and quantiles with CIs, share, P(> next).
void write_matrix_csv(const SuiteSummary& r, const Suite& s, std::ostream& os);

}  // namespace tamcarlo
