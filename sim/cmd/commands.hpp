// tamcarlo's commands: each takes its parsed options, calls the library, prints for people, and returns the exit
// code (errors are thrown; main maps them to their documented codes).
#pragma once
#include "sim/cmd/cli.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string_view>
#include <string>
#include <vector>

namespace tamcarlo {

/// `validate FILE...`: loads and lints every file, printing one line per file; 0, or 2 when any is invalid.
[[nodiscard]] int cmd_validate(const std::vector<std::string>& args);

/// `run FILE...`: validates every job, checks every target, memory and disk before the first is written, then runs
/// each (progress on stderr, `cancel` polled between blocks) and prints its table, JSON or shard line.
[[nodiscard]] int cmd_run(const RunArgs& a, Ranks* ranks, const std::atomic<bool>& cancel);

/// What a library caller (the Python module) hears back from run_for_library.
struct LibraryRun {
  std::string output;                 ///< the result file written
  std::vector<std::string> warnings;  ///< lint warnings, then violated checks and bounds (one line each)
};

/// `run` for a library caller: one job (the file a.files[0], or `text` parsed as a file named a.files[0] in the
/// working directory) with the command line's checks, options and bits, printing nothing: what `run` would print on
/// stderr is returned. Throws as cmd_run does (Interrupted when `cancel` is set).
/// `progress` (may be empty) hears (samples done, total) of each pass and `phase` each phase's name, from the
/// engine's threads.
[[nodiscard]] LibraryRun run_for_library(const RunArgs& a, const std::string* text, const std::atomic<bool>& cancel,
                                         const std::function<void(std::uint64_t, std::uint64_t)>& progress = {},
                                         const std::function<void(std::string_view)>& phase = {});

/// `merge PART...`: checks that the parts are every shard of one unchanged run, then writes that run's result.
[[nodiscard]] int cmd_merge(RunArgs a, Ranks* ranks, const std::atomic<bool>& cancel);

/// `report RESULT`: finishes an interrupted commit of the result, then replaces this process with the report
/// package under Debian's python3 (or TAMCARLO_PYTHON). Returns only by throwing RunError.
[[nodiscard]] int cmd_report(const ReportArgs& a);

/// `export RESULT --to FORMAT`: checks the result as `report` does, then replaces this process with the report
/// package's exporter. Returns only by throwing RunError.
[[nodiscard]] int cmd_export(const ExportArgs& a);

/// `fit DATA`: checks a result file as `report` does, then replaces this process with the report package's fitter
/// (tamcarlo_report.fit). Returns only by throwing RunError.
[[nodiscard]] int cmd_fit(const FitArgs& a);

}  // namespace tamcarlo
