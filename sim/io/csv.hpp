// The CSV summaries written beside a result file (RFC 4180): a scenario's variables, a suite's matrix.
#pragma once
#include "sim/lang/suite.hpp"
#include "sim/stats/run_summary.hpp"

#include <ostream>

namespace tamcarlo {

/// CSV (RFC 4180), one row per variable: name, kind, unit, point, n, nonfinite, mean, mean_se, mean CI, sd,
/// min, max, each report quantile with its CI, law, source.
void write_csv(const RunSummary& r, std::ostream& os);
/// CSV of the matrix, one row per cell in rank order: stars, market mean and quantiles with CIs, share, P(> next).
void write_matrix_csv(const SuiteSummary& r, const Suite& s, std::ostream& os);

}  // namespace tamcarlo
