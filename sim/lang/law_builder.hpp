// Internal to sim/lang: one [inputs] entry (a number, "LOW to HIGH", or a law's table) as an Input. Each law
// family is one entry of a table: its name, the parameter sets that define it, and its builder.
#pragma once
#include "sim/lang/scenario.hpp"
#include "sim/lang/toml_read.hpp"

#include <string>
#include <vector>

namespace tamcarlo::detail {

/// The keys every input table may hold besides its law's parameters.
extern const std::vector<std::string> k_common_keys;

/// One entry of an [inputs] table (number, "LOW to HIGH" or a distribution table).
[[nodiscard]] Input parse_input(const std::string& name, const toml::key& key, const toml::node& node, const FileLocator& ctx,
                                const std::string& section = "inputs");

/// Lint of one input: a missing source, a point outside its law's 1–99% range; `section` prefixes the key.
void lint_input(const Input& in, const std::string& section, std::vector<Warning>& out);

}  // namespace tamcarlo::detail
