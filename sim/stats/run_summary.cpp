#include "sim/stats/run_summary.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace tamcarlo {

const QuantileEstimate& VariableSummary::at(double p) const { return quantile_at(quantiles, p); }

std::string VariableSummary::label() const { return year ? var.name + "[" + std::to_string(*year) + "]" : var.name; }

const char* kind_name(const Variable& v) {
  switch (v.role) {
    case FormulaRole::check: return "check";
    case FormulaRole::bounds: return "bounds";
    case FormulaRole::variable: break;
  }
  return v.input ? "input" : "formula";
}

std::uint64_t VariableSummary::violated_samples() const {
  return moments.n > 0 ? static_cast<std::uint64_t>(std::llround(moments.mean * static_cast<double>(moments.n))) : 0;
}

Proportion VariableSummary::violations() const { return wilson(violated_samples(), moments.n); }

std::string VariableSummary::indicator_name() const {
  const std::string l = label();  // "check.<name>" or "bounds.<formula>", with [year] when timed
  return l.substr(l.find('.') + 1);
}

std::vector<std::size_t> DecisionSummary::ranked() const {
  std::vector<std::size_t> order(questions.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  const auto key = [&](std::size_t q) {
    const double v = estimate.partial[q].value;
    return std::isnan(v) ? -std::numeric_limits<double>::infinity() : v;
  };
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return key(a) > key(b); });
  return order;
}

std::size_t RunSummary::series_index(const std::string& name, std::optional<int> year) const {
  for (std::size_t i = 0; i < variables.size(); ++i)
    if (variables[i].var.name == name && (!variables[i].year || variables[i].year == year)) return i;
  throw std::logic_error("series not found: " + name);
}

}  // namespace tamcarlo

namespace tamcarlo {

std::uint64_t EvidenceSummary::samples_for(double target) const noexcept {
  if (!(ess > 0)) return 0;
  return static_cast<std::uint64_t>(std::ceil(static_cast<double>(samples) * target / ess));
}

}  // namespace tamcarlo
