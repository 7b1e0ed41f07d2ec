// Internal to sim/lang: reading scenario and suite files (TOML) with errors located at file:line:column.
#pragma once
#include "sim/base/error.hpp"
#include "sim/base/number_format.hpp"
#include "sim/lang/scenario.hpp"

#include <toml++/toml.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tamcarlo::detail {

/// Locations in one file.
class FileLocator {
 public:
  explicit FileLocator(std::string path) : path_(std::move(path)) {}
  [[nodiscard]] SourceLocation at(const toml::source_region& r) const {
    return {path_, static_cast<std::uint32_t>(r.begin.line), static_cast<std::uint32_t>(r.begin.column)};
  }
  [[nodiscard]] SourceLocation at(const toml::node& n) const { return at(n.source()); }
  [[nodiscard]] SourceLocation at(const toml::key& k) const { return at(k.source()); }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// "a string", "an integer", ... for messages.
[[nodiscard]] std::string type_name(const toml::node& n);
/// Throws for the first key of `t` not in `allowed` (with a suggestion); `what` says where, e.g. "in [scenario]".
void check_keys(const toml::table& t, const std::vector<std::string>& allowed, const std::string& prefix, const FileLocator& ctx,
                const std::string& what);
/// Throws, at `at`, when `text` holds a control character or invalid UTF-8 (newlines and tabs pass when `multiline`).
void check_printable(std::string_view text, bool multiline, const std::string& key, const SourceLocation& at);
/// t[key] as a string; "" when absent; throws when it is not a string or holds a control character (newlines and
/// tabs pass in `description` and `source`).
[[nodiscard]] std::string get_string(const toml::table& t, const std::string& key, const std::string& prefix,
                                     const FileLocator& ctx);
/// A finite number (integer or float); throws otherwise.
[[nodiscard]] double get_number(const toml::node& n, const std::string& key, const FileLocator& ctx);
/// An integer ≥ min; throws otherwise.
[[nodiscard]] std::uint64_t get_count(const toml::node& n, const std::string& key, const FileLocator& ctx, std::int64_t min);
/// Parses TOML text; a syntax error becomes a located ScenarioError.
[[nodiscard]] toml::table parse_toml(const std::string& text, const FileLocator& ctx);
/// The `format` key of an input or formula table: auto (default), year or percent; throws for another name.
[[nodiscard]] NumberStyle get_format(const toml::table& t, const std::string& prefix, const FileLocator& ctx);
/// `bounds = [lo, hi]` of an input or formula table (±inf leave a side open), or [0, 1] when `format` is percent;
/// nothing when neither is written. Throws for a malformed or empty range.
[[nodiscard]] std::optional<Bounds> get_bounds(const toml::table& t, const std::string& prefix, const FileLocator& ctx,
                                               NumberStyle format);
/// An array of finite numbers (at least one); throws otherwise.
[[nodiscard]] std::vector<double> get_numbers(const toml::node& n, const std::string& key, const FileLocator& ctx);
/// The whole file; ScenarioError when it cannot be read.
[[nodiscard]] std::string read_text_file(const std::string& path);

/// Largest magnitude of a distribution parameter (beyond it ranges and squares overflow).
inline constexpr double k_max_parameter = 1e300;
/// Largest log-space sd of a lognormal.
inline constexpr double k_max_log_sigma = 20;
/// Range of the shape parameters of beta (alpha, beta) and gamma (shape).
inline constexpr double k_min_shape = 1e-3, k_max_shape = 1e7;
/// Largest |year| of a timeline (calendar years, or years counted from a start).
inline constexpr std::int64_t k_max_year = 100000;
/// Deepest nesting of TOML arrays, inline tables and dotted keys read (toml++ recurses on each level).
inline constexpr std::size_t k_max_toml_nesting = 64;
/// Deepest chain of [links] (a scenario linking one that links another ...).
inline constexpr std::size_t k_max_link_depth = 16;
/// Most variables (inputs and formulas, linked copies included) a scenario may hold: each costs every thread
/// a 32 KiB column of its block workspace and the run a set of streaming statistics (20,000 variables: 640 MiB
/// a thread).
inline constexpr std::size_t k_max_variables = 20000;

}  // namespace tamcarlo::detail
