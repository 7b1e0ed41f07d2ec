// Suite files: several scenarios run on the same samples, some of them ranked as a market matrix
// (cells in one currency, with star ratings). Parsing and validation; running is run_suite.hpp.
#pragma once
#include "sim/lang/scenario.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tamcarlo {

/// A scenario run by a suite. Cells ([cells.<key>]) are ranked in the matrix; runs ([runs.<key>]) are
/// only run and stored (e.g. projections).
struct SuiteMember {
  std::string key;                 ///< the table name, e.g. "cs_finance"; names its group in the result file
  std::string file;                ///< the scenario file, resolved against the suite file's directory
  Scenario scenario;
  bool cell = false;
  SourceLocation where;            ///< position of the member's table
  // Cells only:
  std::string market;              ///< output measuring the market space
  std::string share;               ///< output measuring how far AIGC transforms the work (R2's first axis); may be empty
  std::optional<int> year;         ///< the year of a timed market/share
  std::string fx;                  ///< suite input converting the market into the suite's unit; empty = same unit
  std::string section;             ///< where the source discusses the cell, e.g. "R1 §1.3.1"
  std::vector<double> stars;       ///< one per Suite::star_names
};

/// A parsed and validated suite file.
struct Suite {
  std::string path, text, name, title, unit, description;
  std::optional<std::uint64_t> seed, samples;
  std::optional<Store> store;            ///< [suite] store: which samples to keep unless the command line says
  std::vector<std::string> star_names;   ///< rating names, in the order of the first cell's `stars`
  std::string rank_by;                   ///< the star rating the ranking is compared with
  Scenario shared;                       ///< the suite's own [inputs] (e.g. an exchange rate), no formulas
  std::vector<SuiteMember> members;      ///< cells, then runs, each in file order
  std::vector<Warning> warnings;         ///< the suite's and every member's lint
};

/// True if the TOML file at `path` has a [suite] table (it is a suite, not a scenario). Throws ScenarioError
/// for unreadable or malformed TOML.
[[nodiscard]] bool is_suite_file(const std::string& path);

/// Parses and validates a suite and every member scenario. Throws ScenarioError.
[[nodiscard]] Suite load_suite(const std::string& path);
/// Parses suite text; `path` names it in messages and member files are relative to its directory.
[[nodiscard]] Suite parse_suite(const std::string& text, const std::string& path);
/// True if the TOML text has a [suite] table (`path` names it in a syntax error).
[[nodiscard]] bool is_suite_text(const std::string& text, const std::string& path);

/// Seed of a member: splitmix64(suite seed XOR variable_id("member:" + key)); members draw independent streams.
[[nodiscard]] std::uint64_t member_seed(std::uint64_t suite_seed, const std::string& key) noexcept;

}  // namespace tamcarlo
