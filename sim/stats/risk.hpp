// Risk metrics of one output's samples: value at risk and expected shortfall at tail levels,
// threshold probabilities (P(loss), P(≥ target)) and downside semi-deviation, each with a Monte
// Carlo confidence interval. Pure statistics; no I/O.
#pragma once
#include "sim/lang/specs.hpp"
#include "sim/stats/statistics.hpp"

#include <optional>
#include <span>
#include <vector>

namespace tamcarlo {


/// VaR and CVaR at one tail level, in the output's units.
struct TailRisk {
  double level = 0;         ///< α
  QuantileEstimate var;     ///< the α-quantile (lower tail) or (1 − α)-quantile (upper tail), with its 95% CI
  double cvar = 0;          ///< expected shortfall: mean of the outcomes beyond the VaR
  double cvar_se = 0;       ///< its standard error: sd((X − q)·1{X beyond q}) / (α √n)
};

/// P(x < t) or P(x ≥ t) with its 95% Wilson interval.
struct ThresholdRisk {
  double threshold = 0;
  bool below = true;
  Proportion p;
};

/// Every risk metric of one output.
struct RiskStats {
  std::vector<TailRisk> tails;
  std::vector<ThresholdRisk> thresholds;
  double downside_target = 0;
  double semi_deviation = 0;     ///< sqrt(E[min(x − target, 0)²]); upper tail: sqrt(E[max(x − target, 0)²])
  double semi_deviation_se = 0;  ///< delta method: SE(mean of min(x − target, 0)²) / (2 · semi-deviation)
};

/// Risk metrics of the finite values of `data` (reordered in place).
[[nodiscard]] RiskStats risk_of(std::span<double> data, const RiskSpec& spec);

}  // namespace tamcarlo
