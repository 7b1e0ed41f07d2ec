// The command line: CLI11's definition of tamcarlo's commands and options, read into plain structs, and the checks
// of option combinations that CLI11 cannot express.
#pragma once
#include "sim/run/distributed.hpp"
#include "sim/lang/specs.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace tamcarlo {

/// The options of `run` (and of `merge`, which runs the parts' job again from its parts).
struct RunArgs {
  std::vector<std::string> files;
  std::uint64_t samples = 0;
  std::uint64_t seed = 0;
  bool has_samples = false, has_seed = false, has_store = false, has_output = false;  // given on the command line
  unsigned threads = 0;
  std::string output;
  Store store = Store::report;  // default: the reported outputs (inputs re-draw from the seed)
  std::string store_text;       // --store as written (check_command_line reads it)
  bool point = false, json = false, force = false, timings = false, sobol = false;
  std::vector<std::string> stress, set;
  std::optional<Shard> shard;            // --shard i/K
  std::vector<std::string> parts;        // merge: the shards' parts
  bool resume = false;
  double checkpoint = 60;                // seconds between checkpoints; 0 = none
  std::string precision;                 // --precision targets
  std::string shard_text;                // --shard as written (check_command_line reads it)
  bool strict = false;                   // a violated check or bounds is an error (exit 4), not a warning
};

/// The options of `report`.
struct ReportArgs {
  std::string result, output, locale = "en";
  unsigned dpi = 200;
  bool svg = false;
  bool png = false;  ///< also each chart as a PNG file
};

/// The options of `export`.
struct ExportArgs {
  std::string result, to, output;
  bool force = false;  ///< replace an existing regular file that is not an earlier export
};

/// The options of `fit`.
struct FitArgs {
  std::string data, column, variable, families, plot;
  int year = 0;                ///< a timed variable's year (0: none given)
  unsigned bootstrap = 199;    ///< refits per p-value (0: statistics only)
  std::uint64_t seed = 1;      ///< the bootstrap's seed
  bool json = false;
};

/// Which command the line asks for.
enum class CommandKind { run, merge, validate, report, export_, fit };

/// A parsed command line.
struct CommandLine {
  CommandKind kind = CommandKind::run;
  RunArgs run;                              ///< run
  RunArgs merge;                            ///< merge (parts, output, threads, force, json, timings)
  std::vector<std::string> validate_files;  ///< validate
  ReportArgs report;                        ///< report
  ExportArgs export_;                       ///< export
  FitArgs fit;                              ///< fit
};

/// Reads argv: the command line, or the exit code when it was --help, --version, an unknown command or a CLI11
/// error (help, version and the error are printed).
[[nodiscard]] std::variant<CommandLine, int> parse_command_line(int argc, char** argv);

/// Checks what CLI11 cannot: --shard's form, and options that do not go together (here, or under `ranks`).
/// Throws UsageError.
void check_command_line(CommandLine& cl, const Ranks* ranks);

}  // namespace tamcarlo
