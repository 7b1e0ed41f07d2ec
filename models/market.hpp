// Market-size building blocks: pure, deterministic functions of sampled inputs (no randomness,
// no I/O). Invalid arguments give NaN, which the engine counts as a non-finite sample.
#pragma once

namespace tamcarlo::models {

/// Labor substitution: headcount [people] × salary [currency/person/year] × share [0–1] → currency/year.
[[nodiscard]] double labor_substitution(double headcount, double salary, double share) noexcept;

/// Headcount extrapolated from an anchor company: anchor_headcount × market_volume / anchor_volume [people].
[[nodiscard]] double headcount_by_ratio(double anchor_headcount, double market_volume, double anchor_volume) noexcept;

/// Spend share: pool [currency] × addressable share [0–1] × value capture [0–1] → currency.
[[nodiscard]] double spend_share(double pool, double addressable, double capture) noexcept;

/// Productivity value: hours saved [h] × cost per hour [currency/h] × price capture [0–1] → currency.
[[nodiscard]] double productivity_value(double hours_saved, double cost_per_hour, double capture) noexcept;

/// Compound annual growth rate between v0 and v1 over `years` > 0: (v1 / v0)^(1 / years) − 1 [1/year]; v0 > 0, v1 ≥ 0.
[[nodiscard]] double cagr(double v0, double v1, double years) noexcept;

/// Compound projection: v0 × (1 + rate)^years [unit of v0]; rate > −1.
[[nodiscard]] double project(double v0, double rate, double years) noexcept;

/// Straight line through (t0, v0) and (t1, v1) evaluated at t (extrapolates outside [t0, t1]); t0 ≠ t1.
[[nodiscard]] double interpolate(double t, double t0, double v0, double t1, double v1) noexcept;

/// Logistic S-curve: cap / (1 + exp(−k (t − t_mid))) [unit of cap]; k > 0 is the growth rate per unit of t.
[[nodiscard]] double logistic(double t, double t_mid, double k, double cap) noexcept;

/// The logistic with ceiling `cap` through (t1, y1) and (t2, y2), 0 < y < cap, t1 ≠ t2, evaluated at t.
[[nodiscard]] double logistic_through(double t, double t1, double y1, double t2, double y2, double cap) noexcept;

/// Bass diffusion, cumulative adopters at t ≥ 0: m (1 − e^{−(p+q)t}) / (1 + (q/p) e^{−(p+q)t}); p > 0, q ≥ 0.
[[nodiscard]] double bass_adoption(double t, double p, double q, double m) noexcept;

/// TAM → SAM → SOM funnel: tam × sam_share × som_share [unit of tam].
[[nodiscard]] double funnel(double tam, double sam_share, double som_share) noexcept;

}  // namespace tamcarlo::models
