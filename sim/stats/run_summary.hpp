// The run's result model: what a run reports (per-variable summaries, stressed cases, portfolio, suite
// matrix) and the run's identity. Data only; the engine fills it in, io writes it out.
#pragma once
#include "sim/lang/scenario.hpp"
#include "sim/stats/matrix.hpp"
#include "sim/stats/portfolio.hpp"
#include "sim/stats/histogram.hpp"
#include "sim/stats/risk.hpp"
#include "sim/lang/specs.hpp"
#include "sim/stats/statistics.hpp"
#include "sim/stats/sobol_index.hpp"
#include "sim/stats/decision.hpp"

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace tamcarlo {


/// "input", "formula", "check" or "bounds": what a variable is, as the result files and JSON name it.
[[nodiscard]] const char* kind_name(const Variable& v);

/// An output's mean when one input sits in its lowest and in its highest decile (the tornado in the output's
/// units): over each of 10 batches of consecutive samples, the samples with the input at or below the batch's P10
/// value and at or above its P90 value (ties included); the batches' means averaged.
struct Swing {
  double low = 0, high = 0;  ///< the output's mean over each group, in the output's unit (NaN if a group is empty)
  double se = 0;             ///< standard error of high − low: sd of the 10 batches' own swings / √10 (batch means)
  /// high − low.
  [[nodiscard]] double width() const { return high - low; }
};

/// A conditioned run's prior: a series' statistics without the evidence's weights.
struct PriorSummary {
  Moments moments;
  std::vector<QuantileEstimate> quantiles;  ///< at k_report_probs
};

/// Effective sample size below which a conditioned run warns that its statistics rest on too few samples.
inline constexpr double k_min_ess = 1000;
/// The effective sample size the warning says how to reach.
inline constexpr double k_target_ess = 10000;

/// A conditioned run's observed figures ([evidence]) and how its samples weighed against them.
struct EvidenceSummary {
  std::vector<Evidence> figures;
  std::vector<std::string> units;   ///< per figure: its variable's unit
  std::uint64_t samples = 0;        ///< samples drawn
  std::uint64_t unjudged = 0;       ///< samples where a figure's variable was not finite (weight 0)
  double ess = 0;                   ///< Kish's effective sample size (Σw)²/Σw² over every sample
  /// Each sample's likelihood (its weight before normalizing; 1 = every figure met exactly), unweighted: its mean
  /// says how well the prior predicted the figures (about 0: the figures lie where the prior barely reaches).
  Moments likelihood;
  /// True when the effective sample size is below k_min_ess.
  [[nodiscard]] bool too_few() const noexcept { return ess < k_min_ess; }
  /// Samples that would give an effective sample size of `target` (the ESS grows in proportion to N).
  [[nodiscard]] std::uint64_t samples_for(double target) const noexcept;
};

/// Statistics of one series: an untimed variable, or a timed variable at one year.
struct VariableSummary {
  Variable var;
  std::optional<int> year;                   ///< calendar year of a timed variable's series
  double point = 0;                          ///< value at the inputs' points (in `year` if timed)
  bool reported = false;
  bool stored = false;                       ///< its samples are in /samples
  bool constant = false;                     ///< one value in every sample: a constant input, or an untimed formula of constants
  bool stored_scalar = false;                ///< a constant that --store asks for: /samples/<name> is a scalar (its value), not N copies
  Moments moments;
  std::vector<QuantileEstimate> quantiles;   ///< at k_report_probs; empty when its samples were not held
  std::optional<RiskSpec> risk_spec;         ///< [risk.<name>] of the scenario, if any
  std::optional<RiskStats> risk;             ///< computed from the held samples when risk_spec is set
  std::optional<Histogram> histogram;        ///< reported, untimed: the chart histogram the main pass kept
  std::vector<double> sensitivity;           ///< reported series: Spearman ρ with each of RunSummary::sensitivity_inputs
  std::vector<Swing> swing;                  ///< reported series: its swing per RunSummary::sensitivity_inputs
  std::vector<SobolIndex> sobol_first, sobol_total;  ///< with --sobol: per RunSummary::sobol_inputs (empty otherwise)
  std::vector<SobolIndex> shapley;           ///< with --sobol and correlated inputs: Shapley effect per RunSummary::sobol_inputs
  /// A conditioned run's: the statistics without the weights (inputs, reported series and the figures' variables);
  /// every other field is then the weighted (posterior) one.
  std::optional<PriorSummary> prior;
  /// With non-finite samples: where the first of them (among the first k_nonfinite_probe) comes from, the formula
  /// and the values that make it NaN or ±inf (nonfinite_origins); "" otherwise.
  std::string nonfinite_origin;
  /// A reported formula in a unit of money or of a counted thing (named as none that may be negative) whose P50 is
  /// above 0 but some of whose samples are below it: how far below ("its smallest sample is −4.1e+07, its P1 …");
  /// "" otherwise (add_below_zero).
  std::string below_zero;
  /// Quantile estimate at probability p (must be one of k_report_probs and present).
  [[nodiscard]] const QuantileEstimate& at(double p) const;
  /// "name", or "name[year]" for a timed series.
  [[nodiscard]] std::string label() const;
  /// A check's or a bounds indicator's violations: the samples where it is 1, of the finite ones, with the Wilson
  /// 95% interval of the probability.
  [[nodiscard]] Proportion violations() const;
  /// A check's or bounds indicator's violating samples (its mean × n, the count its 0/1 values sum to).
  [[nodiscard]] std::uint64_t violated_samples() const;
  /// What a check or bounds indicator is about: the check's name, or the bounded formula's ("x_small", "y[2030]").
  [[nodiscard]] std::string indicator_name() const;
};

struct StressResult;

/// A [decision]'s result: which option to take now, and what learning each input (or group) first is worth.
struct DecisionSummary {
  std::vector<std::string> options;  ///< formula names, as [decision] lists them
  std::string unit;                  ///< the options' unit
  /// What EVPPI is asked about, as estimate.partial: each uncertain input (name, {name}), then each group.
  std::vector<std::pair<std::string, std::vector<std::string>>> questions;
  std::size_t groups = 0;            ///< the last `groups` questions are [decision] groups
  DecisionEstimate estimate;
  std::uint64_t samples = 0;         ///< the run's first samples the analysis swept
  /// True when question q is a [decision] group (not one input).
  [[nodiscard]] bool is_group(std::size_t q) const noexcept { return q + groups >= questions.size(); }
  /// The questions by EVPPI, largest first (a NaN last; ties keep their order).
  [[nodiscard]] std::vector<std::size_t> ranked() const;
};

/// Wall seconds per phase of a streaming run.
struct StreamTimings {
  double pilot = 0;       ///< re-drawing the first blocks to place the brackets
  double sample = 0;      ///< the main pass: every sample drawn, moments, stored samples, brackets
  double passes = 0;      ///< further passes re-drawing to narrow brackets
  double statistics = 0;  ///< selection and the summaries from the merged counts
  unsigned extra_passes = 0;
};

/// Wall seconds per phase of a run (`--timings`).
struct PhaseTimings {
  double parse = 0;        ///< reading and validating the scenario files
  double setup = 0;        ///< the results file created, the plans built (a design's or a copula's quantile tables)
  StreamTimings stream;    ///< pilot, main pass, further passes, statistics
  double sensitivity = 0;  ///< re-drawing the first samples for the rank correlations
  double decision = 0;     ///< the [decision] sweep (EVPI, EVPPI)
  double write = 0;        ///< summaries, CSV and the commit (stored samples are written during the main pass)
  /// Their sum.
  [[nodiscard]] double total() const noexcept {
    return parse + setup + stream.pilot + stream.sample + stream.passes + stream.statistics + sensitivity + decision + write;
  }
};

/// One scenario's run.
struct RunSummary {
  std::string scenario_path, name, title, unit;
  std::uint64_t seed = 0;
  std::uint64_t samples = 0;     ///< 0 for a point evaluation
  Design design;                 ///< how the samples were placed (a replicated design: means' CIs from replicates)
  unsigned threads = 0;          ///< worker threads used (per rank)
  unsigned ranks = 1;            ///< MPI ranks that shared the run
  double seconds = 0;            ///< wall time of sampling and statistics
  PhaseTimings timings;
  bool point_only = false;
  std::string output;            ///< result file written ("" if none)
  std::string precision;         ///< --precision: the rounds' N, what each target reached, and whether ("" without)
  bool precision_missed = false;  ///< --precision: some target was NOT reached by the cap (-n); exit 4
  std::vector<int> years;        ///< the scenario's timeline; empty when it has none
  std::vector<std::string> sensitivity_inputs;  ///< the non-constant inputs the sensitivities refer to
  std::uint64_t sensitivity_samples = 0;        ///< leading samples the sensitivities use
  std::vector<std::string> sobol_inputs;        ///< with --sobol: the non-constant inputs the indices refer to
  std::uint64_t sobol_samples = 0;              ///< with --sobol: base samples N of the Saltelli design
  unsigned sobol_batches = 0;                   ///< replicate batches of the indices' CIs
  bool sobol_correlated = false;                ///< the inputs are correlated: the indices treat them as independent
  std::uint64_t shapley_permutations = 0;       ///< with --sobol and correlated inputs: permutations of the Shapley effects
  std::vector<VariableSummary> variables;  ///< one per series (Plan::series()): inputs, then formulas, years in order
  std::vector<StressResult> stresses;      ///< stressed cases run beside this (base) run
  std::optional<PortfolioStats> portfolio; ///< when the scenario has a [portfolio]
  std::optional<DecisionSummary> decision; ///< when the scenario has a [decision]
  std::optional<EvidenceSummary> evidence; ///< when the scenario has [evidence]: every statistic is weighted
  /// Index in `variables` of the series of `name`: untimed, or in `year` when it is timed. Throws logic_error
  /// when there is none (a caller's defect: names are checked when the scenario is read).
  [[nodiscard]] std::size_t series_index(const std::string& name, std::optional<int> year = std::nullopt) const;
};

/// A stressed case run beside the base on the same seed and sample indices (common random numbers).
struct StressResult {
  std::string name, description;
  std::vector<std::string> overrides;      ///< "input = law" for each replaced input
  RunSummary run;
  std::vector<Moments> delta;              ///< per series: moments of (stressed − base) over paired samples (n = 0 if not held)
};

/// A suite's run: its shared inputs, every member's run, and the matrix of its cells.
struct SuiteSummary {
  std::string path, name, title, unit, output;
  std::uint64_t seed = 0, samples = 0;
  unsigned ranks = 1;  ///< MPI ranks that shared the run
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

}  // namespace tamcarlo
