// A scenario compiled for evaluation: variables in slots, input samplers, and a flat list of
// column operations evaluated over blocks of samples (Eigen arrays, one column per slot).
#pragma once
#include "sim/distribution.hpp"
#include "sim/formula.hpp"
#include "sim/scenario.hpp"

#include <Eigen/Core>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tamcarlo {

/// One variable of a plan; its values live in workspace column `index` (inputs first, then formulas, file order).
struct Variable {
  std::string name;
  bool input = false;
  std::string unit;
  std::string source;
  std::string law;    ///< input: describe(distribution); formula: its text
  double point = 0;   ///< input: point estimate; formula: value at the inputs' points
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

/// The compiled form of a Scenario; immutable and shareable across threads.
class Plan {
 public:
  /// Compiles `s` (already validated): one slot per variable, temporaries and constants after them.
  explicit Plan(const Scenario& s);

  /// Variables in slot order: inputs, then formulas, each in file order.
  [[nodiscard]] const std::vector<Variable>& variables() const noexcept { return vars_; }
  /// Index of the variable `name`; throws std::out_of_range if absent.
  [[nodiscard]] std::size_t index(std::string_view name) const;
  /// A workspace for blocks of up to `rows` samples, with constant slots filled.
  [[nodiscard]] Workspace workspace(std::size_t rows) const;
  /// Draws every input for samples [first, first + n) under `seed` and evaluates every formula;
  /// afterwards column v (v < variables().size()) holds variable v's values for the block.
  void evaluate(Workspace& ws, std::uint64_t seed, std::uint64_t first, std::size_t n) const;
  /// Variables' values with every input at its point estimate (inputs, then formulas).
  [[nodiscard]] std::vector<double> evaluate_point() const;

 private:
  void execute(Workspace& ws, std::size_t n) const;
  std::vector<Variable> vars_;
  std::vector<Sampler> samplers_;        // one per input, in variable order
  std::vector<std::uint64_t> ids_;       // variable_id(name) of each input
  std::vector<std::pair<std::uint32_t, double>> constants_;
  std::vector<Instruction> code_;
  std::uint32_t slots_ = 0;
};

}  // namespace tamcarlo
