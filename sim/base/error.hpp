// Typed errors. Each kind maps to one documented exit code in main (see README "Exit codes").
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace tamcarlo {

/// Documented process exit codes.
enum class ExitCode : int { ok = 0, usage = 1, invalid_scenario = 2, run_failure = 3, check_failed = 4, interrupted = 130 };

/// A place in a scenario file; line and column are 1-based, 0 when unknown.
struct SourceLocation {
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  /// "file:line:column" (or just "file" when the position is unknown).
  [[nodiscard]] std::string str() const;
};

/// Base of every tamcarlo error; what() is the full user-facing message.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  /// The exit code main returns for this error.
  [[nodiscard]] virtual ExitCode exit_code() const noexcept { return ExitCode::run_failure; }
};

/// Wrong command-line usage (bad flag value, conflicting options): exit 1.
class UsageError : public Error {
 public:
  using Error::Error;
  [[nodiscard]] ExitCode exit_code() const noexcept override { return ExitCode::usage; }
};

/// An invalid scenario file: exit 2. Message: "file:line:col: error: [key] what; allowed".
class ScenarioError : public Error {
 public:
  /// `key` is the dotted TOML key (e.g. "inputs.salary.sigma"); may be empty.
  ScenarioError(SourceLocation where, std::string key, const std::string& what);
  /// Several independent errors of one file as one error: what() lists them one a line in file order (at most
  /// k_max_listed_errors, then how many more); where(), key() and message() are the first's. One error is itself.
  [[nodiscard]] static ScenarioError combined(std::vector<ScenarioError> errors);
  /// Most errors combined() lists.
  static constexpr std::size_t k_max_listed_errors = 20;
  [[nodiscard]] ExitCode exit_code() const noexcept override { return ExitCode::invalid_scenario; }
  [[nodiscard]] const SourceLocation& where() const noexcept { return where_; }
  [[nodiscard]] const std::string& key() const noexcept { return key_; }
  /// The explanation alone, without location and key.
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

 private:
  ScenarioError(SourceLocation where, std::string key, std::string message, const std::string& full);
  SourceLocation where_;
  std::string key_, message_;
};

/// A failure while running or writing results (I/O, HDF5): exit 3.
class RunError : public Error {
 public:
  using Error::Error;
};

/// With --strict, a [checks] condition or a formula's bounds was violated in some sample (the result is written): exit 4.
class CheckFailed : public Error {
 public:
  using Error::Error;
  [[nodiscard]] ExitCode exit_code() const noexcept override { return ExitCode::check_failed; }
};

/// The run was interrupted (SIGINT/SIGTERM); nothing was written: exit 130.
class Interrupted : public Error {
 public:
  Interrupted() : Error("interrupted; no result was written") {}
  [[nodiscard]] ExitCode exit_code() const noexcept override { return ExitCode::interrupted; }
};

}  // namespace tamcarlo
