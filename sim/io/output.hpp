// Human and machine summaries of a run: the terminal table and JSON.
#pragma once
#include "sim/lang/suite.hpp"
#include "sim/stats/summary.hpp"

#include <ostream>

namespace tamcarlo {

/// How a replicated design's CIs were made, in one sentence (e.g. "Latin hypercube, 10 independent replicates of
/// 10,000 samples: each mean's ±95% CI is Student's t (9 df) over the replicate means; ...").
[[nodiscard]] std::string design_note(const RunSummary& r);
/// The readable table of the reported variables (point, mean ± 95% CI, P5, P50, P95, non-finite count).
void print_table(const RunSummary& r, std::ostream& os);
/// CSV (RFC 4180), one row per variable: name, kind, unit, point, n, nonfinite, mean, mean_se, mean CI, sd,
/// min, max, each report quantile with its CI, law, source.
void write_csv(const RunSummary& r, std::ostream& os);
/// One JSON object on one line: run identity and `variables` → {mean, sd, p5, p50, p95, nonfinite, point, ...}.
void print_json(const RunSummary& r, std::ostream& os);
/// The JSON object of print_json, without the newline.
[[nodiscard]] std::string json_run(const RunSummary& r);

/// One line of wall seconds per phase (`--timings`) and the share of the time spent outside the sampling passes.
void print_timings(const PhaseTimings& t, std::ostream& os);
/// The timings as a JSON object: {"parse", "pilot", "sample", "passes", "extra_passes", "statistics", "sensitivity", "write", "total"}.
[[nodiscard]] std::string json_timings(const PhaseTimings& t);

/// The ranked matrix (market P50/P5/P95, stars, AIGC share, P(> next)), the rank agreement, then each run's table.
void print_suite(const SuiteSummary& r, const Suite& s, std::ostream& os);
/// One JSON object on one line: suite identity, `cells` in rank order, `rank_agreement`, `members` (run objects).
void print_suite_json(const SuiteSummary& r, const Suite& s, std::ostream& os);
/// CSV of the matrix, one row per cell in rank order: stars, market mean and quantiles with CIs, share, P(> next).
void write_matrix_csv(const SuiteSummary& r, const Suite& s, std::ostream& os);

}  // namespace tamcarlo
