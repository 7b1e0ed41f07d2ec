#include "sim/base/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

namespace tamcarlo {

std::string SourceLocation::str() const {
  if (line == 0) return file;
  return fmt::format("{}:{}:{}", file, line, column);
}

static std::string scenario_message(const SourceLocation& where, const std::string& key, const std::string& what) {
  if (key.empty()) return fmt::format("{}: error: {}", where.str(), what);
  return fmt::format("{}: error: [{}] {}", where.str(), key, what);
}

ScenarioError::ScenarioError(SourceLocation where, std::string key, const std::string& what)
    : Error(scenario_message(where, key, what)), where_(std::move(where)), key_(std::move(key)), message_(what) {}

ScenarioError::ScenarioError(SourceLocation where, std::string key, std::string message, const std::string& full)
    : Error(full), where_(std::move(where)), key_(std::move(key)), message_(std::move(message)) {}

ScenarioError ScenarioError::combined(std::vector<ScenarioError> errors) {
  if (errors.size() == 1) return errors.front();
  std::stable_sort(errors.begin(), errors.end(), [](const ScenarioError& a, const ScenarioError& b) {
    return std::tie(a.where_.line, a.where_.column) < std::tie(b.where_.line, b.where_.column);
  });
  std::string full;
  const std::size_t shown = std::min(errors.size(), k_max_listed_errors);
  for (std::size_t i = 0; i < shown; ++i) {
    if (i > 0) full += '\n';
    full += errors[i].what();
  }
  if (errors.size() > shown) full += fmt::format("\n{}: {} more errors not listed", errors.front().where_.file, errors.size() - shown);
  full += fmt::format("\n{}: {} errors", errors.front().where_.file, errors.size());
  const ScenarioError& first = errors.front();
  return ScenarioError(first.where_, first.key_, first.message_, full);
}

}  // namespace tamcarlo
