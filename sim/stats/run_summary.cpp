#include "sim/stats/run_summary.hpp"

#include <stdexcept>

namespace tamcarlo {

const QuantileEstimate& VariableSummary::at(double p) const { return quantile_at(quantiles, p); }

std::string VariableSummary::label() const { return year ? var.name + "[" + std::to_string(*year) + "]" : var.name; }

std::size_t RunSummary::series_index(const std::string& name, std::optional<int> year) const {
  for (std::size_t i = 0; i < variables.size(); ++i)
    if (variables[i].var.name == name && (!variables[i].year || variables[i].year == year)) return i;
  throw std::logic_error("series not found: " + name);
}

}  // namespace tamcarlo
