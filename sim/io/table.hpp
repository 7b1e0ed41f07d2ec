// The terminal summaries of a run: the table of a scenario, the matrix of a suite, the phase timings.
#pragma once
#include "sim/lang/suite.hpp"
#include "sim/stats/run_summary.hpp"

#include <ostream>

namespace tamcarlo {

/// How a replicated design's CIs were made, in one sentence (e.g. "Latin hypercube, 10 independent replicates of
/// 10,000 samples: each mean's ±95% CI is Student's t (9 df) over the replicate means; ...").
[[nodiscard]] std::string design_note(const RunSummary& r);
/// The readable table of the reported variables (point, mean ± 95% CI, P5, P50, P95, non-finite count).
void print_table(const RunSummary& r, std::ostream& os);
/// The table's † line for a variable whose mean's CI is heavy_tailed(): which skewness ratio crossed its limit.
[[nodiscard]] std::string heavy_tail_note(const std::string& label, const Moments& m);
/// A conditioned run's warnings (each a line): an effective sample size under k_min_ess, with the samples that would
/// reach k_target_ess; samples whose figures could not be judged. Empty when there is none.
[[nodiscard]] std::string evidence_warning(const EvidenceSummary& e);
/// One line of wall seconds per phase (`--timings`) and the share of the time spent outside the sampling passes.
void print_timings(const PhaseTimings& t, std::ostream& os);
/// The ranked matrix (market P50/P5/P95, stars, AIGC share, P(> next)), the rank agreement, then each run's table.
void print_suite(const SuiteSummary& r, const Suite& s, std::ostream& os);
}  // namespace tamcarlo
