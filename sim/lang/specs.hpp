// What a scenario asks for beyond its inputs and formulas: risk metrics, a portfolio, which samples
// to store. Plain data shared by the scenario language, the statistics and the commands.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace tamcarlo {

/// Which variables' samples a result file keeps.
enum class Store { all, report, none };

/// "all", "report" or "none".
[[nodiscard]] inline const char* store_name(Store s) noexcept {
  return s == Store::all ? "all" : s == Store::report ? "report" : "none";
}
/// The Store named by store_name; Store::none for any other text.
[[nodiscard]] inline Store store_named(const std::string& name) noexcept {
  return name == "all" ? Store::all : name == "report" ? Store::report : Store::none;
}

/// What to compute for one output ([risk.<output>] in a scenario).
struct RiskSpec {
  std::vector<double> levels = {0.05, 0.01};  ///< tail probabilities α for VaR and CVaR
  bool upper_tail = false;                    ///< the bad tail is the upper one (e.g. a required share)
  std::vector<double> below;                  ///< thresholds t for P(x < t), e.g. 1 for P(MOIC < 1)
  std::vector<double> at_least;               ///< thresholds t for P(x ≥ t), e.g. 3 and 10
  std::optional<double> downside_target;      ///< semi-deviation target; default: first `below`, else the mean
};

/// One holding: the names of its check and proceeds variables, and optionally of the times [years]
/// at which the check is paid and the proceeds arrive (for the portfolio's IRR).
struct Holding {
  std::string name, check, proceeds;
  std::string invested, exit;  ///< both empty, or both variable names
};

/// [decision] of a scenario: options compared by their expected value (formulas of one unit, higher is better) and
/// groups of inputs whose joint value of information is asked beside each input's own.
struct DecisionSpec {
  std::vector<std::string> options;
  std::vector<std::pair<std::string, std::vector<std::string>>> groups;  ///< name, inputs; in file order
};

/// [portfolio] of a scenario.
struct PortfolioSpec {
  double level = 0.05;            ///< tail probability α for VaR/CVaR and the contributions
  std::vector<Holding> holdings;
};

}  // namespace tamcarlo
