// Scenario files (TOML): parsing and validation into a Scenario, with located errors and lint warnings.
#pragma once
#include "sim/random/copula.hpp"
#include "sim/random/design.hpp"
#include "sim/random/distribution.hpp"
#include "sim/base/error.hpp"
#include "sim/lang/formula.hpp"
#include "sim/base/number_format.hpp"
#include "sim/lang/specs.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tamcarlo {

/// Largest scenario or suite file read (bytes); larger ones, and standard input past it, are refused with their size.
inline constexpr std::uintmax_t k_max_scenario_bytes = std::uintmax_t{64} << 20;

/// One variable of a compiled scenario (a Plan): its identity, as runs report it.
/// What a formula is for: a variable of the model, or an indicator the run counts (1 in a sample that violates a
/// [checks] condition, or where a formula leaves its `bounds`), reported as the probability of a violation.
enum class FormulaRole { variable, check, bounds };

/// A variable as the run sees it: an input or a formula, with what is shown about it.
struct Variable {
  std::string name;
  bool input = false;
  std::string unit;
  std::string source;
  std::string law;    ///< input: describe(distribution); formula: its text
  double point = 0;   ///< input: point estimate; formula: value at the inputs' points (first year if timed)
  bool timed = false; ///< one value per year of the timeline
  NumberStyle format = NumberStyle::automatic;  ///< how its numbers are shown (`format` key)
  FormulaRole role = FormulaRole::variable;     ///< check and bounds indicators are counted, not reported as variables
  std::string condition;                        ///< check/bounds: what must hold
  std::string no_mean;  ///< why its mean does not exist (an input's power tail, a ratio near zero); empty: it exists
  std::string no_sd;    ///< why its sd does not (its mean does: a one-sided power tail); empty: it exists or no_mean
};


/// Inputs correlated by a Gaussian copula ([correlations]): a connected group, names sorted (so neither the file's
/// order nor the order of the pairs changes a draw), and their Spearman ρ (unit diagonal, 0 where not given).
struct CorrelationGroup {
  std::vector<std::string> inputs;
  SquareMatrix spearman;
};

/// The range a variable's values must lie in: `bounds = [lo, hi]` (either may be -inf/inf), or [0, 1] for a share
/// (format = "percent").
struct Bounds {
  double lo = 0, hi = 1;
  SourceLocation where;  ///< the `bounds` key, or the `format` key that implied them
  bool implied = false;  ///< from format = "percent", not written
  /// True when x lies in [lo, hi].
  [[nodiscard]] bool contains(double x) const noexcept { return x >= lo && x <= hi; }
};

/// How an input moves across the years of a timeline (its `yearly` key).
enum class Yearly {
  none,         ///< one value per sample, the same in every year
  independent,  ///< drawn afresh each year: x_t ~ law, independent across years
  random_walk,  ///< x_t = x_{t−1} + ε_t, ε_t ~ law (x at the first year = ε there)
  ar1,          ///< x_t = φ·x_{t−1} + ε_t, ε_t ~ law, |φ| < 1 (`phi`)
};

/// An uncertain input: its law, point estimate, unit and citation.
struct Input {
  std::string name;
  Distribution dist;
  double point = 0;         ///< the `point` key, else the law's median
  bool point_given = false; ///< `point` was written (an event a formula branches on must have one)
  std::string unit;         ///< free text, e.g. "CNY/year"
  std::string source;       ///< citation, e.g. "R1 §1.3.2: ..."; empty when none was given
  std::string point_note;   ///< why a `point` outside the law's 1–99% range is right (no lint then); may be empty
  std::optional<Bounds> bounds;  ///< `bounds = [lo, hi]`, or [0, 1] for format = "percent"; the law must stay inside
  NumberStyle format = NumberStyle::automatic;  ///< `format`: how its numbers are shown (auto, year, percent)
  SourceLocation where;     ///< position of the input's key
  bool linked = false;      ///< drawn for a linked scenario (name "<scenario>.<input>"); not reported or linted here
  std::uint32_t dimension = 0;  ///< its Sobol' dimension: uncertain inputs by name, then constant ones by name
  Yearly yearly = Yearly::none; ///< `yearly`: drawn per year of the timeline (from streams keyed by name and year)
  double phi = 0;               ///< `phi`: an ar1 input's persistence
};

/// The name of a Yearly kind as the scenario writes it.
[[nodiscard]] const char* yearly_name(Yearly y);

/// A derived variable: an expression over inputs and other formulas.
struct Formula {
  std::string name;
  std::string text;         ///< the expression as written
  Expr expr;
  std::string unit;         ///< from the table form { expr = "...", unit = "..." }; else inferred (see unit_inferred)
  bool unit_inferred = false;  ///< `unit` was not written but follows from the operands' units (+ − × ÷ of agreeing units)
  NumberStyle format = NumberStyle::automatic;  ///< `format`: how its numbers are shown; unwritten: a year ± a quantity is a year
  bool format_written = false;  ///< `format` was given (then never inferred)
  std::optional<Bounds> bounds;  ///< `bounds = [lo, hi]`, or [0, 1] for format = "percent": samples outside are counted
  std::string source;
  SourceLocation where;     ///< position of the expression text (for column arithmetic)
  bool timed = false;       ///< depends on `year` (directly or through other formulas): one value per year
  bool linked = false;      ///< part of a linked scenario (name "<link>.<formula>"), evaluated on this run's samples
  FormulaRole role = FormulaRole::variable;  ///< check/bounds: named "check.<name>" / "bounds.<formula>", expr 1 = violated
  std::string condition;    ///< check: the condition as written; bounds: "lo <= x <= hi"
  /// The key messages name: "formulas.<name>", "checks.<name>" for a check, "formulas.<x>.bounds" for bounds.
  [[nodiscard]] std::string key() const;
};

/// A [links.<name>] entry: another scenario's output, evaluated on this scenario's samples.
struct Link {
  std::string name;         ///< the local variable it defines
  std::string file;         ///< resolved path of the linked scenario
  std::string text;         ///< that file's text (stored in results)
  std::string output;       ///< the linked variable
  std::string year;         ///< local variable bound to the linked scenario's `year`; empty = none
  SourceLocation where;
};

/// The name formulas use for the timeline's year (reserved: no input or formula may take it).
inline constexpr const char* k_year_name = "year";

/// A [stress.<name>] set: replacement laws for some inputs, run beside the base case on the same samples.
struct Stress {
  std::string name, description;
  std::vector<Input> overrides;  ///< each names an input of the scenario
  SourceLocation where;
};

/// An observed figure a run conditions on ([evidence]): the likelihood of one variable's value (in one year of the
/// timeline if it is timed), in the variable's unit. Each sample is weighted by the product of its figures'
/// likelihoods.
struct Evidence {
  /// normal: x observed with a normal error of sd; lognormal: ln x observed as ln(observed) with a normal error of
  /// sd (of the log); interval: x lies in [lo, hi] (either side may be infinite).
  enum class Kind { normal, lognormal, interval };
  std::string variable;
  std::optional<int> year;  ///< calendar year of a timed variable's figure
  Kind kind = Kind::normal;
  double observed = 0, sd = 0;  ///< normal and lognormal
  double lo = 0, hi = 0;        ///< interval
  std::string source;           ///< where the figure comes from (e.g. "R1 §1.2.2")
  SourceLocation where;         ///< its key
  /// "name" or "name[year]", as the key is written.
  [[nodiscard]] std::string label() const;
  /// The likelihood at x scaled to at most 1: exp(−z²/2), z = (x − observed)/sd, or (ln x − ln observed)/sd for
  /// lognormal (0 for x ≤ 0); interval: 1 in [lo, hi], else 0. NaN for a non-finite x (the figure cannot be judged).
  [[nodiscard]] double likelihood(double x) const noexcept;
  /// How it reads in tables: "216亿 ± 20亿 (normal)", "ln-normal sd 0.1 about 216亿", "in [a, b]" (numbers plain).
  [[nodiscard]] std::string describe() const;
};

/// The name of an Evidence kind as results write it: "normal", "lognormal" or "interval".
[[nodiscard]] const char* evidence_kind_name(Evidence::Kind k);

/// A non-fatal finding of validation/lint, located in the file.
struct Warning {
  SourceLocation where;
  std::string key;
  std::string message;
  /// "file:line:col: warning: [key] message".
  [[nodiscard]] std::string str() const;
};

/// A validated scenario: every name resolves, formulas are acyclic and ordered for evaluation.
struct Scenario {
  std::string path;                       ///< file as given on the command line
  std::string text;                       ///< the file's full text (stored in results)
  std::string name, title, unit, description;
  std::optional<std::uint64_t> seed;      ///< [scenario] seed, if set
  std::optional<std::uint64_t> samples;   ///< [scenario] samples, if set
  Design design;                          ///< [scenario] design and replicates (default: mc)
  SourceLocation design_where;            ///< where `design` is written (for run-time errors about it)
  std::vector<int> years;                 ///< the timeline, every year from first to last; empty = none
  std::vector<Input> inputs;              ///< in file order
  std::vector<Formula> formulas;          ///< in file order
  std::vector<std::size_t> formula_order; ///< indices into `formulas`, dependencies first
  std::vector<Link> links;                ///< [links], in file order
  std::vector<std::string> report;        ///< reported variables ([outputs] report; default: every own formula)
  std::vector<std::pair<std::string, RiskSpec>> risk;  ///< [risk.<output>] (each output is also reported)
  std::vector<Stress> stresses;           ///< [stress.<name>], in file order
  std::optional<PortfolioSpec> portfolio; ///< [portfolio]: holdings analysed together
  std::optional<DecisionSpec> decision;   ///< [decision]: options and the value of information
  std::vector<CorrelationGroup> correlations;  ///< [correlations], as groups of inputs correlated with each other
  std::vector<Evidence> evidence;         ///< [evidence]: observed figures the run conditions on, in file order
  std::vector<Warning> warnings;          ///< lint: unsourced inputs, point outside the 1–99% range
  /// Reported variables whose mean does not exist (the lint found an input with no finite mean, or a divisor near
  /// zero, on an unbounded path to them): name → why.
  std::map<std::string, std::string> without_mean;
  /// Reported variables whose mean exists but whose sd does not (a one-sided power tail with ½ ≤ c < 1): why.
  std::map<std::string, std::string> without_sd;
};

/// Numbers the inputs' Sobol' dimensions: the uncertain ones by name, then the constant ones by name (so a stress
/// or --set that makes a constant uncertain moves no other input's dimension).
void assign_dimensions(Scenario& s);

/// Parses and validates scenario text; `path` is used in messages. Throws ScenarioError.
[[nodiscard]] Scenario parse_scenario(const std::string& text, const std::string& path);

/// Reads and parses a scenario file. Throws ScenarioError (also for an unreadable file).
[[nodiscard]] Scenario load_scenario(const std::string& path);

/// A command-line override "NAME=VALUE" of an input of `s` (VALUE: a number, "LOW to HIGH" or a
/// { dist = ... } table). Throws UsageError naming what is wrong and what is allowed.
[[nodiscard]] Input parse_override(const std::string& spec, const Scenario& s);

/// `base` with the laws (and points, sources) of the named inputs replaced; names, hence streams, are kept.
[[nodiscard]] Scenario with_overrides(const Scenario& base, const std::vector<Input>& overrides);
/// The moment warnings (see the lint of laws without a finite mean or sd, and of ratios by an input near zero) that
/// `overrides` bring: those of with_overrides(base, overrides) that base has not, each still keyed and located as
/// the scenario's (key "inputs.<name>" for an input's law; the caller says where the replacement was written).
[[nodiscard]] std::vector<Warning> replacement_moment_warnings(const Scenario& base, const std::vector<Input>& overrides);

}  // namespace tamcarlo
