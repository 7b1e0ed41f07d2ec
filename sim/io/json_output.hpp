// The JSON summaries of a run (`--json`): one object per scenario or suite on one line, in the shape of
// sim/io/json.schema.json.
#pragma once
#include "sim/lang/suite.hpp"
#include "sim/stats/run_summary.hpp"

#include <ostream>
#include <string>

namespace tamcarlo {

/// One JSON object on one line: run identity and `variables` → {mean, sd, p5, p50, p95, nonfinite, point, ...}.
void print_json(const RunSummary& r, std::ostream& os);
/// The JSON object of print_json, without the newline.
[[nodiscard]] std::string json_run(const RunSummary& r);

/// The timings as a JSON object: {"parse", "pilot", "sample", "passes", "extra_passes", "statistics", "sensitivity", "write", "total"}.
[[nodiscard]] std::string json_timings(const PhaseTimings& t);

/// One JSON object on one line: suite identity, `cells` in rank order, `rank_agreement`, `members` (run objects).
void print_suite_json(const SuiteSummary& r, const Suite& s, std::ostream& os);

}  // namespace tamcarlo
