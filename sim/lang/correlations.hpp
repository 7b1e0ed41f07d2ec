// Internal to sim/lang: a scenario's [correlations] read (pairs and matrix forms), grouped into connected sets,
// each set checked (positive semi-definite in normal scores, or a located error naming the nearest valid set), and
// linted (a correlated input no formula uses).
#pragma once
#include "sim/lang/scenario.hpp"
#include "sim/lang/toml_read.hpp"

#include <string>
#include <vector>

namespace tamcarlo::detail {

/// One correlation as written: two inputs, Spearman ρ, and where it stands.
struct GivenCorrelation {
  std::string a, b;
  double rho = 0;
  SourceLocation where;
  std::string key;
};

/// The pairs of `pairs = [["a", "b", ρ], ...]` and `matrix = { inputs, rho }`, in that order, each pair once.
/// Throws ScenarioError for a name that is not an uncertain input of `s`, |ρ| > 1, a pair given twice, a matrix
/// that is not square, symmetric or unit-diagonal.
[[nodiscard]] std::vector<GivenCorrelation> read_correlations(const toml::table& c, const Scenario& s, const FileLocator& ctx);

/// The connected sets of inputs (ρ = 0 pairs join nothing), each sorted by name, sets in order of their first name.
[[nodiscard]] std::vector<std::vector<std::string>> correlation_groups(const std::vector<GivenCorrelation>& given);

/// The group of `names` with its Spearman matrix; throws ScenarioError at the group's first pair when its
/// normal-score matrix is not positive semi-definite, naming the inputs involved and the nearest valid pairs.
[[nodiscard]] CorrelationGroup checked_group(const std::vector<std::string>& names,
                                             const std::vector<GivenCorrelation>& given);

/// Throws ScenarioError at the first pair whose Spearman ρ the two laws cannot reach (a discrete law's ties cap
/// it; the copula reaches any ρ within the cap exactly), naming the reachable bound.
void check_reach(const std::vector<GivenCorrelation>& given, const Scenario& s);

/// Warns of each correlated input that neither a formula nor `report` uses (the correlation changes nothing).
void lint_correlations(const std::vector<GivenCorrelation>& given, const Scenario& s,
                       const std::vector<std::string>& report, std::vector<Warning>& out);

}  // namespace tamcarlo::detail
