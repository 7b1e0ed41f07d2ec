#include "sim/error.hpp"

#include <fmt/format.h>

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

}  // namespace tamcarlo
