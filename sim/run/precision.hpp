// --precision: run until named statistics are known to a relative precision. Rounds are whole runs of
// growing N (each a pure function of seed and N, so the stopping N is the same on any thread or rank
// count); the result written is exactly the plain run at the reached N.
#pragma once
#include "sim/lang/scenario.hpp"
#include "sim/run/options.hpp"
#include "sim/stats/run_summary.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace tamcarlo {

/// The most samples a --precision run takes when -n does not set its cap.
inline constexpr std::uint64_t k_precision_cap = 1'000'000'000;

/// One target: the 95% CI half-width of a statistic, relative to its value, at most `relative`.
struct PrecisionTarget {
  std::string variable;   ///< a reported variable; "" = every reported output (`all`)
  std::string statistic;  ///< "mean", or "p1" … "p99" (a reported quantile); "" = mean, p5, p50 and p95
  double relative = 0;    ///< e.g. 0.005 for 0.5%
};

/// One statistic checked after a round.
struct PrecisionCheck {
  std::string label;      ///< e.g. "market.p50", "market[2030].mean"
  double value = 0;       ///< the statistic's estimate
  double achieved = 0;    ///< relative half-width reached (inf when the value is 0 or undefined)
  double wanted = 0;
};

/// Parses "market.p50=0.5%,all=1%" (TARGET=X% or TARGET=fraction; TARGET = all, VAR or VAR.STAT) and
/// checks the names against `s`. Throws UsageError naming the offending part and what is allowed.
[[nodiscard]] std::vector<PrecisionTarget> parse_precision(const std::string& spec, const Scenario& s);

/// The relative half-widths `r` reached for every target (a timed variable: each year).
[[nodiscard]] std::vector<PrecisionCheck> precision_of(const RunSummary& r, const std::vector<PrecisionTarget>& targets);

/// True when every check meets its target.
[[nodiscard]] bool precision_met(const std::vector<PrecisionCheck>& checks);

/// The next round's N after `n`: enough for the widest miss, since half-widths shrink as 1/√N (×1.2 margin),
/// at least 2n, a multiple of 65,536 (whole chunks), at most `cap`.
[[nodiscard]] std::uint64_t next_round(std::uint64_t n, const std::vector<PrecisionCheck>& checks, std::uint64_t cap);

/// First round's N: 65,536 (or `cap` when smaller).
[[nodiscard]] std::uint64_t first_round(std::uint64_t cap);

/// "market.p50 ±0.41% (≤ 0.5%), …" for the summary line and the result file.
[[nodiscard]] std::string describe(const std::vector<PrecisionCheck>& checks);

/// Runs `s` in --precision rounds: each a whole run at a growing N (first_round, next_round), written only when
/// every target is met or N reaches the cap (opt.what.samples, else k_precision_cap); RunSummary::precision says how
/// and precision_missed whether the cap bound. Throws UsageError after the first round when a target's value is 0
/// or undefined there (a relative half-width has no meaning: e.g. the P5 of a MOIC that is 0 in 60% of samples).
[[nodiscard]] RunSummary run_to_precision(const Scenario& s, RunOptions opt, const std::vector<PrecisionTarget>& targets);

}  // namespace tamcarlo
