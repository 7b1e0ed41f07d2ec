// A scenario compiled for evaluation: variables in slots, input samplers, and a flat list of
// column operations evaluated over blocks of samples (Eigen arrays, one column per slot).
#pragma once
#include "sim/random/distribution.hpp"
#include "sim/lang/formula.hpp"
#include "sim/lang/scenario.hpp"
#include "sim/random/copula.hpp"

#include <Eigen/Core>

#include <array>
#include <span>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tamcarlo {

/// One output column of a run: an untimed variable, or a timed variable at one year of the timeline.
struct Series {
  std::uint32_t var = 0;  ///< index into Plan::variables()
  std::int32_t year = -1; ///< index into Plan::years(); -1 for an untimed variable
};

/// One column operation: dst = op(args...), element-wise over the block.
struct Instruction {
  OpCode op;
  std::uint32_t dst;
  std::array<std::uint32_t, k_max_args> args{};
  std::uint32_t nargs = 0;
  ModelFn fn = nullptr;  ///< OpCode::call only
};

/// Block workspace: rows = samples of the block, columns = slots.
using Workspace = Eigen::ArrayXXd;

/// What a Plan is for: drawing samples, or only describing and checking a run (a preflight), which skips the quantile
/// tables a design or a copula inverts its laws with (some milliseconds per law).
enum class PlanUse { draw, describe };

/// Quantile functions shared by the plans of one run (a design's or a copula's): a tabulated law (beta, PERT, gamma,
/// Student's t: 4,099 Boost inversions) is built once, on the run's threads, and copied to every input and plan with
/// exactly that law. The same bits as building each alone.
class QuantileTables {
 public:
  /// Builds on `threads` threads (0: one per core).
  explicit QuantileTables(unsigned threads = 0) : threads_(threads) {}
  /// quantile(d, ·) prepared: a copy of the table built for the same tabulated law, else built now.
  [[nodiscard]] QuantileFunction of(const Distribution& d);

 private:
  unsigned threads_;
  std::vector<QuantileFunction> built_;  // the tabulated ones built so far
};

/// The compiled form of a Scenario; immutable and shareable across threads.
class Plan {
 public:
  /// Compiles `s` (already validated): one slot per variable, temporaries and constants after them. A `describe`
  /// plan may not draw. Its quantile tables come from `tables` (shared by a run's plans; null: its own, on every core).
  explicit Plan(const Scenario& s, PlanUse use = PlanUse::draw, QuantileTables* tables = nullptr);

  /// Variables in slot order: inputs, then formulas, each in file order.
  [[nodiscard]] const std::vector<Variable>& variables() const noexcept { return vars_; }
  /// The timeline (every year from first to last); empty when the scenario has none.
  [[nodiscard]] const std::vector<int>& years() const noexcept { return years_; }
  /// Output columns in variable order; a timed variable expands to one series per year.
  [[nodiscard]] const std::vector<Series>& series() const noexcept { return series_; }
  /// Index of the variable `name`; throws std::out_of_range if absent.
  [[nodiscard]] std::size_t index(std::string_view name) const;
  /// Columns of a workspace (variables, temporaries, constants).
  [[nodiscard]] std::size_t slots() const noexcept { return slots_; }
  /// A workspace for blocks of up to `rows` samples, with constant slots filled.
  [[nodiscard]] Workspace workspace(std::size_t rows) const;
  /// Draws every input for samples [first, first + n) of a run of `samples` samples under `seed` and evaluates
  /// every untimed formula; afterwards column v holds untimed variable v's values for the block.
  void evaluate(Workspace& ws, std::uint64_t seed, std::uint64_t samples, std::uint64_t first, std::size_t n) const;
  /// The first half of evaluate(): every input's column drawn by the scenario's design (its replicates span the
  /// run's `samples`), correlated ones through their copula.
  void draw(Workspace& ws, std::uint64_t seed, std::uint64_t samples, std::uint64_t first, std::size_t n) const;
  /// draw() by independent draws whatever the design (each sample from its own keyed streams; N plays no part).
  void draw_mc(Workspace& ws, std::uint64_t seed, std::uint64_t first, std::size_t n) const;
  /// The scenario's sampling design.
  [[nodiscard]] const Design& design() const noexcept { return design_; }
  /// The second half: every untimed formula evaluated from the input columns as they are.
  void compute(Workspace& ws, std::size_t n) const;
  /// The untimed formulas' instructions that the variable slots `targets` depend on, in order (the rest skipped).
  [[nodiscard]] std::vector<Instruction> code_for(std::span<const std::uint32_t> targets) const;
  /// compute() of only `code` (from code_for): the targets' columns get the same bits as compute() gives them.
  void compute(Workspace& ws, std::size_t n, const std::vector<Instruction>& code) const;
  /// True when some inputs are correlated ([correlations]).
  [[nodiscard]] bool has_correlations() const noexcept { return !copulas_.empty(); }
  /// Slots of the inputs (0 .. inputs − 1).
  [[nodiscard]] std::size_t inputs() const noexcept { return samplers_.size(); }
  /// True when input slot v holds one value in every sample (a constant law).
  [[nodiscard]] bool constant_input(std::size_t v) const { return constant_inputs_.at(v); }
  /// True when input slot v is drawn per year (`yearly`): a timed variable, filled by evaluate_year(), never by draw();
  /// not an input of the copula, the designs, the sensitivities, Sobol' indices or the decision's questions.
  [[nodiscard]] bool yearly_input(std::size_t v) const { return yearly_inputs_.at(v); }
  /// True when some input is drawn per year.
  [[nodiscard]] bool has_yearly_inputs() const noexcept { return !yearly_.empty(); }
  /// Input slot v's law as the scenario gives it (a correlated input's marginal, not its normal score).
  [[nodiscard]] const Distribution& law(std::size_t v) const { return laws_.at(v); }
  /// The copula groups: each group's input slots and the normal-score correlation of its members (unit diagonal).
  [[nodiscard]] std::vector<std::pair<std::vector<std::uint32_t>, SquareMatrix>> correlation_groups() const;
  /// After evaluate() of samples [first, first + n) under `seed`: fills each yearly input for years()[t] (from streams
  /// keyed by its name and the calendar year, so adding a year changes no other draw; a random walk or ar1 input
  /// accumulates its draws from the first year) and evaluates the timed formulas there; column v then holds timed
  /// variable v's values for that year (untimed columns are unchanged).
  void evaluate_year(Workspace& ws, std::uint64_t seed, std::uint64_t first, std::size_t t, std::size_t n) const;
  /// Variables' values with every input at its point estimate, timed ones at years()[t] (inputs, then formulas).
  [[nodiscard]] std::vector<double> evaluate_point(std::size_t t = 0) const;

 private:
  static void execute(const std::vector<Instruction>& code, Workspace& ws, std::size_t n);
  std::vector<Variable> vars_;
  std::vector<int> years_;
  std::vector<Series> series_;
  std::uint32_t year_slot_ = 0;
  std::vector<Instruction> timed_code_;  // instructions that depend on the year
  std::vector<Sampler> samplers_;        // one per input, in variable order (normal scores for a correlated one)
  struct Copula {
    GaussianCopula copula;
    std::vector<std::uint32_t> slots;    // its inputs' slots, in the group's order
  };
  std::vector<Copula> copulas_;          // [correlations]: applied to the normal scores after the inputs are drawn
  void copula_step(Workspace& ws, std::size_t n) const;
  Design design_;
  std::vector<std::uint32_t> dimensions_;     // per input: its Sobol' dimension
  std::vector<QuantileFunction> quantiles_;   // per input, for a design: its law's quantile function (Φ⁻¹ if correlated)
  PlanUse use_ = PlanUse::draw;
  std::vector<std::uint64_t> ids_;       // variable_id(name) of each input
  std::vector<bool> constant_inputs_;    // per input: its law is a constant
  std::vector<bool> yearly_inputs_;      // per input: drawn per year
  struct YearlyInput {
    std::uint32_t slot;
    Yearly kind;
    double phi;                          // x_t = phi·x_(t−1) + ε_t (independent: 0, random walk: 1)
    std::vector<std::uint64_t> ids;      // per year of the timeline: the stream of ε in that calendar year
    double point;                        // ε's point
  };
  std::vector<YearlyInput> yearly_;
  void fill_yearly(Workspace& ws, std::uint64_t seed, std::uint64_t first, std::size_t t, std::size_t n) const;
  std::vector<Distribution> laws_;       // per input: its law (a correlated input's marginal)
  std::vector<std::pair<std::uint32_t, double>> constants_;
  std::vector<Instruction> code_;
  std::uint32_t slots_ = 0;
};

}  // namespace tamcarlo
