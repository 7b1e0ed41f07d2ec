// Statistics of samples: mergeable moments (identity, add, merge) and quantiles with
// distribution-free confidence intervals from order statistics.
#pragma once
#include <array>
#include <string>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace tamcarlo {

/// Samples per block: the unit of evaluation, of RNG re-draws and of moment merging (fixed: results depend on it).
inline constexpr std::size_t k_block_size = 4096;

/// Count, mean, M2 and M3 (sums of squared and cubed deviations), min and max of the finite samples, plus the
/// non-finite count.
/// Default-constructed = identity of merge.
struct Moments {
  std::uint64_t n = 0;          ///< finite samples
  std::uint64_t nonfinite = 0;  ///< NaN or ±inf samples (excluded from every other field)
  double mean = 0;
  double m2 = 0;
  double m3 = 0;  ///< Σ(x − mean)³
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  /// > 0: the samples are this many independent replicates of a design (LHS, randomized QMC), and se() is the
  /// spread of their means, not sd/√n (which ignores the design's stratification). Set by the engine; merge clears it.
  std::uint32_t replicates = 0;
  double replicate_se = std::numeric_limits<double>::quiet_NaN();  ///< sd of the R replicate means / √R
  double replicate_skew = std::numeric_limits<double>::quiet_NaN();  ///< skew_ratio() of the R replicate means
  /// > 0: the moments of a conditioned run (WeightedMoments::reported): mean, sd and skewness are the weighted ones,
  /// se() is weighted_se, and this is the effective sample size (Σw)²/Σw². Set by the engine; merge clears it.
  double ess = 0;
  double weighted_se = std::numeric_limits<double>::quiet_NaN();  ///< √(Σw²(x − mean)²)/Σw (self-normalized weights)

  /// Moments of a block of samples, computed in two passes (sum, then squared and cubed deviations).
  static Moments of(std::span<const double> x) noexcept;
  /// Moments of a long column: Moments::of over consecutive k_block_size-sample blocks (the engine's block
  /// size), merged through the engine's canonical BlockTree, so a column gives the same bits as a run's moments of it.
  static Moments over(std::span<const double> x);
  /// Combines with the moments of a disjoint set (Chan et al., Pébay for M3); deterministic for a fixed merge order.
  void merge(const Moments& o) noexcept;
  /// Sample standard deviation, sqrt(M2 / (n − 1)); NaN when n < 2.
  [[nodiscard]] double sd() const noexcept;
  /// Standard error of the mean: sd / sqrt(n), or replicate_se for a design's replicates.
  [[nodiscard]] double se() const noexcept;
  /// Half-width of the mean's 95% CI: z₀.₉₇₅·se, or t₀.₉₇₅ with R − 1 degrees of freedom · se over R replicates.
  [[nodiscard]] double half95() const;
  /// Sets replicates, replicate_se and replicate_skew from the moments of each replicate (R ≥ 2 of them; the mean
  /// of a replicate with no finite sample makes both NaN).
  void set_replicates(const std::vector<Moments>& each);
  /// |M3| / M2^(3/2) = |sample skewness| / √n (in [0, 1]): the skewness term of the mean's Edgeworth expansion,
  /// which drives the normal CI's error (an empirical Berry–Esseen ratio); NaN when n < 3 or M2 = 0.
  [[nodiscard]] double skew_ratio() const noexcept;
  /// True when skew_ratio() > k_heavy_tail_skew, or, over a design's replicates, when replicate_skew >
  /// k_heavy_tail_replicate_skew: the mean's 95% CI then covers the true mean less often than it says.
  [[nodiscard]] bool heavy_tailed() const noexcept;
  /// True when the mean's 95% interval (mean ± half95()) reaches beyond the samples' own range [min, max]: below the
  /// smallest sample of a positive quantity, say. Such an interval is not a range of plausible means.
  [[nodiscard]] bool ci_beyond_samples() const noexcept;
};

/// A sample's weight in a conditioned run is its likelihood (scaled to at most 1) rounded to a multiple of this, so
/// every sum of weights is an exact integer count of units, the same in any order (threads, ranks, shards).
inline constexpr double k_weight_unit = 0x1p-30;
/// Most samples a conditioned run may draw: their units must fit 64 bits (each sample has at most 2^30).
inline constexpr std::uint64_t k_max_weighted_samples = std::uint64_t{1} << 33;
/// Likelihood w as whole weight units: round(min(w, 1)·2^30) for finite w > 0, else 0.
[[nodiscard]] std::uint64_t weight_units(double w) noexcept;

/// Moments of the finite samples of a column under weights (a conditioned run): the weight Σw in exact units,
/// Σw², the weighted mean, Σw(x − m)², Σw(x − m)³ and the sums the self-normalized mean's SE needs (Σw²(x − m)²,
/// Σw²(x − m)). Samples of weight 0 count in n only. Default-constructed = identity of merge.
struct WeightedMoments {
  std::uint64_t n = 0;          ///< finite samples, of any weight
  std::uint64_t nonfinite = 0;  ///< NaN or ±inf samples
  std::uint64_t units = 0;      ///< Σ weight units over the finite samples
  double w2 = 0;                ///< Σw²
  double mean = 0, m2 = 0, m3 = 0;  ///< weighted mean; Σw(x − mean)², Σw(x − mean)³
  double v = 0, u = 0;          ///< Σw²(x − mean)², Σw²(x − mean)
  double min = std::numeric_limits<double>::infinity();   ///< over samples of weight > 0
  double max = -std::numeric_limits<double>::infinity();
  /// The moments of a block: x[i] with weight units[i]·k_weight_unit.
  static WeightedMoments of(std::span<const double> x, std::span<const std::uint64_t> units) noexcept;
  /// Combines with the moments of a disjoint set (Chan et al. and Pébay with weights); deterministic for a fixed order.
  void merge(const WeightedMoments& o) noexcept;
  /// Σw.
  [[nodiscard]] double weight() const noexcept { return static_cast<double>(units) * k_weight_unit; }
  /// Kish's effective sample size (Σw)²/Σw² (0 when Σw = 0).
  [[nodiscard]] double ess() const noexcept;
  /// As Moments: n and nonfinite as counted; mean, min, max the weighted ones; sd() the weighted sd with the
  /// reliability correction, √(Σw(x − m)²/(Σw·(1 − 1/ESS))); se() = √(Σw²(x − m)²)/Σw; skew_ratio() = |weighted
  /// skewness|/√ESS. Mean, min and max are NaN when Σw = 0.
  [[nodiscard]] Moments reported() const;
};

/// The skew_ratio() above which a mean's normal CI is marked. Calibrated on 2,000 replications each of 77 laws
/// and sizes (lognormal σ = 0.5–3, Pareto α = 1.5–4, exponential, Bernoulli, products; n = 100–10⁵): runs whose CI
/// covers ≥ 93.5% are marked 5% of the time on average, runs covering < 90% are left unmarked 12% (tests/heavy_tail_sweep.py).
/// A normal's ratio is about √6·|Z|/n (under 0.04 at n ≥ 200 in 99.9% of runs). Measured: tests/statistics_test.cpp.
inline constexpr double k_heavy_tail_skew = 0.25;
/// The skew_ratio() of a design's R replicate means above which their Student-t CI is marked (R = 10 replicate
/// means of a light-tailed model exceed it in about 4% of runs).
inline constexpr double k_heavy_tail_replicate_skew = 0.5;

/// z for a two-sided 95% normal interval.
inline constexpr double k_z95_two_sided = 1.959963984540054;

/// What a mean's SE is multiplied by for its 95% CI: z₀.₉₇₅ (independent samples, replicates < 2), else Student's
/// t₀.₉₇₅ with replicates − 1 degrees of freedom (2.262 for 10 replicates).
[[nodiscard]] double mean_ci_multiplier(std::uint32_t replicates);

/// The probabilities every summary reports: 1, 5, 10, 25, 50, 75, 90, 95, 99%.
inline constexpr std::array<double, 9> k_report_probs = {0.01, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.99};
/// The key of the quantile at probability p in the JSON, CSV and result files: 0.05 → "p5", 0.5 → "p50".
[[nodiscard]] std::string quantile_key(double p);

/// A quantile estimate (linear interpolation of order statistics, as numpy's default) with a 95% CI.
struct QuantileEstimate {
  double p = 0;
  double value = 0;  ///< x_(⌊h⌋) + (h − ⌊h⌋)(x_(⌊h⌋+1) − x_(⌊h⌋)), h = (n − 1)p over the sorted finite samples
  double lo = 0;     ///< order statistic x_(l), l = ⌊np − z√(np(1−p))⌋ (1-based, clamped to [1, n])
  double hi = 0;     ///< order statistic x_(u), u = ⌈np + z√(np(1−p))⌉ + 1 (clamped to [1, n])
};

/// A proportion estimated from n Bernoulli samples, with its 95% Wilson score interval.
struct Proportion {
  double p = 0, lo = 0, hi = 0;
  std::uint64_t n = 0;
};

/// Proportion k / n with its 95% Wilson interval (NaN fields when n = 0; lo = 0 when k = 0, hi = 1 when k = n).
[[nodiscard]] Proportion wilson(std::uint64_t k, std::uint64_t n) noexcept;
/// A weighted proportion: share `p` of the weight, with the 95% Wilson interval at Kish's effective size `ess`
/// (n in the result is ess rounded).
[[nodiscard]] Proportion weighted_wilson(double p, double ess) noexcept;

/// The estimate at probability p among `q` (p must be one of them; throws std::out_of_range otherwise).
[[nodiscard]] const QuantileEstimate& quantile_at(const std::vector<QuantileEstimate>& q, double p);

/// The 0-based order statistics the estimate at p needs among n sorted values: x_(below) and x_(above)
/// interpolated by `frac` (numpy's linear rule), and the CI's x_(lo) and x_(hi).
struct QuantileRanks {
  std::uint64_t below, above, lo, hi;
  double frac;
};
/// Ranks of the quantile estimate at p among n ≥ 1 values (as QuantileEstimate documents).
[[nodiscard]] QuantileRanks quantile_ranks(std::uint64_t n, double p) noexcept;

/// The 0-based weight unit whose value is a conditioned run's quantile at p among `units` units in all: the smallest
/// r with r + 1 ≥ p·units (0 for p·units ≤ 1). A weighted quantile is the value of the sample whose units cover it.
[[nodiscard]] std::uint64_t unit_rank(std::uint64_t units, double p) noexcept;
/// The units a conditioned run's quantile estimate at p needs: `at` (the estimate), and its 95% CI's `lo` and `hi`,
/// the unit ranks at p ∓ z₀.₉₇₅·√(p(1 − p)/ESS) (clamped to [0, 1]), ESS Kish's effective sample size.
struct WeightedQuantileRanks {
  std::uint64_t at, lo, hi;
};
/// Ranks of the weighted quantile estimate at p among `units` ≥ 1 units of effective size `ess` > 0.
[[nodiscard]] WeightedQuantileRanks weighted_quantile_ranks(std::uint64_t units, double ess, double p) noexcept;

/// Quantiles at `probs` of the finite values in `data`, with 95% CIs. Reorders `data` in place
/// (partial selection, O(n log k)); NaN when there is no finite value.
[[nodiscard]] std::vector<QuantileEstimate> quantiles(std::span<double> data, std::span<const double> probs);

}  // namespace tamcarlo
