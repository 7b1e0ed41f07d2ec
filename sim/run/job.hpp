// A job: what one file on the command line asks to run, a scenario or a suite, loaded and validated; the files a
// list of arguments names; who a job's parts and checkpoints belong to; the stressed cases it asks for.
#pragma once
#include "sim/lang/scenario.hpp"
#include "sim/lang/suite.hpp"
#include "sim/run/distributed.hpp"
#include "sim/run/options.hpp"

#include <string>
#include <variant>
#include <vector>

namespace tamcarlo {

/// A scenario file or a suite file, loaded and validated.
using Job = std::variant<Scenario, Suite>;

/// Scenario files from the arguments: files as given, directories expanded to their *.toml, sorted. Throws
/// UsageError for `-` given twice or a directory without scenarios.
[[nodiscard]] std::vector<std::string> job_files(const std::vector<std::string>& args);

/// Loads and validates `file`, a scenario or a suite; `-` is standard input, named <stdin> in messages (its links
/// and member files resolve from the working directory). Throws ScenarioError.
[[nodiscard]] Job load_job(const std::string& file);

/// Parses `text`, a scenario or a suite, named `name` in messages (its links and member files resolve from the
/// working directory). Throws ScenarioError.
[[nodiscard]] Job parse_job(const std::string& text, const std::string& name);

/// The job's [scenario] or [suite] name.
[[nodiscard]] const std::string& job_name(const Job& j);
/// The job's lint warnings.
[[nodiscard]] const std::vector<Warning>& job_warnings(const Job& j);

/// Who the parts and checkpoints of `job` (read from `file`) run with `stress` and `set` belong to: the file's
/// absolute path, the names, and a fingerprint of every text the results depend on (its files, the files they
/// link, the result-changing options).
[[nodiscard]] RunIdentity identity_of(const std::string& file, const Job& job, const std::vector<std::string>& stress,
                                      const std::vector<std::string>& set);

/// The stressed cases a run of `s` asks for: the named [stress.<name>] sets (or `all`), then the --set overrides
/// as one case named "set". Throws UsageError naming an unknown or repeated set.
[[nodiscard]] std::vector<StressCase> stress_cases(const Scenario& s, const std::vector<std::string>& stress,
                                                   const std::vector<std::string>& set);
/// Warnings about the --set overrides of a run of `s` (a monthly figure for a yearly input, ...), at "--set",
/// key "set.<input>". Throws UsageError as stress_cases does for an override it refuses.
[[nodiscard]] std::vector<Warning> set_warnings(const Scenario& s, const std::vector<std::string>& set);

}  // namespace tamcarlo
