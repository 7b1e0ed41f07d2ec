// Formula language: arithmetic over named variables, parsed into an expression tree.
// Grammar (lowest precedence first):
//   comparison := additive (("<" | "<=" | ">" | ">=" | "==" | "!=") additive)?
//   additive   := term (("+" | "-") term)*
//   term       := unary (("*" | "/") unary)*
//   unary      := "-" unary | power
//   power      := primary (("^" | "**") unary)?  (right-associative; -x^2 = -(x^2))
//   primary    := number | name | name "(" args ")" | "(" comparison ")"
// The names `pi` and `e` are the constants π and e unless the scenario defines a variable of that name.
#pragma once
#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tamcarlo {

/// Operators and built-in functions of the formula language.
enum class OpCode : unsigned char {
  copy, add, sub, mul, div, pow, neg,
  lt, le, gt, ge, eq, ne,
  min, max, abs, exp, log, sqrt, clamp, select,
  call,  // a domain function from models/, applied element-wise
};

/// Most arguments a formula function takes.
inline constexpr std::size_t k_max_args = 6;

/// A models/ function as the evaluator calls it: arguments in order, result.
using ModelFn = double (*)(const double* args);

/// A node of a parsed formula; `offset` is its 0-based character position in the formula text.
struct Expr {
  enum class Kind : unsigned char { number, ref, op };
  Kind kind = Kind::number;
  double number = 0;        // Kind::number
  std::string unit;         // Kind::number bound from a named conversion (months_per_year): its unit ("month/year")
  std::string name;         // Kind::ref: variable name; Kind::op from a call: function name
  OpCode op = OpCode::copy; // Kind::op
  std::vector<Expr> args;   // Kind::op operands, in order
  ModelFn fn = nullptr;     // OpCode::call: the function
  std::size_t offset = 0;
};

/// Deepest nesting of parentheses, calls, signs and powers in one formula.
inline constexpr std::size_t k_max_formula_depth = 200;
/// Most operators and calls in one formula (its tree's depth is bounded by it).
inline constexpr std::size_t k_max_formula_operations = 5000;

/// A syntax error at `offset` (0-based) in the formula text.
class FormulaError : public std::runtime_error {
 public:
  FormulaError(std::size_t offset, const std::string& what) : std::runtime_error(what), offset_(offset) {}
  [[nodiscard]] std::size_t offset() const noexcept { return offset_; }

 private:
  std::size_t offset_;
};

/// Parses `text`; throws FormulaError naming the position, the token and what was expected.
[[nodiscard]] Expr parse_formula(std::string_view text);

/// Where the built-in function `name` is finite for finite arguments, in its parameters' names ("0 ≤ stake ≤ 1,
/// exit_value ≥ 0, check ≥ 0"; NaN outside); "" for a function finite everywhere or an unknown name.
[[nodiscard]] const std::string& function_domain(std::string_view name);
/// Names of the built-in functions, for messages and suggestions.
[[nodiscard]] const std::vector<std::string>& function_names();

/// Every variable name referenced by `e`, with the offset of each reference, in text order.
void collect_refs(const Expr& e, std::vector<const Expr*>& out);

/// Every node of `e` (e first, then each argument's nodes, in text order), gathered without recursion: a walk over
/// them needs no stack as deep as the formula (a sum of 5,000 terms is 5,000 levels).
[[nodiscard]] std::vector<const Expr*> nodes_of(const Expr& e);

/// Replaces every variable name r referenced in `e` by rename(r).
void rename_refs(Expr& e, const std::function<std::string(const std::string&)>& rename);

/// True if `s` is a valid variable name: [A-Za-z_][A-Za-z0-9_]*.
[[nodiscard]] bool is_identifier(std::string_view s) noexcept;

}  // namespace tamcarlo
