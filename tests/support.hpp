// Test helpers: temporary directories, scenario files, and running the tamcarlo executable.
#pragma once
#include <csignal>
#include "sim/engine/plan_source.hpp"
#include "sim/lang/scenario.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace tamcarlo::test {

/// A fresh directory under the system temp dir, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  /// Writes `text` to `name` inside the directory and returns its path.
  [[nodiscard]] std::string write(const std::string& name, const std::string& text) const;

 private:
  std::filesystem::path path_;
};

/// Parses scenario text (file name "test.toml" in messages).
[[nodiscard]] Scenario scenario(const std::string& text);

/// Draws and evaluates n samples of `s` under `seed` on `threads` threads, keeping every series whole.
[[nodiscard]] EngineOutput run_all(const Scenario& s, std::uint64_t n, unsigned threads, std::uint64_t seed);

/// Outcome of running the tamcarlo executable.
struct Process {
  int exit_code = -1;
  std::string out, err;
  long max_rss_kib = 0;  ///< peak resident memory of the child
  double stop_seconds = 0;  ///< signal_tamcarlo_after: from the signal to the exit
};

/// Runs the tamcarlo executable with `args` in `cwd`, capturing output and peak memory.
[[nodiscard]] Process run_tamcarlo(const std::vector<std::string>& args, const std::filesystem::path& cwd = {});

/// Runs tamcarlo with `args`; once a file appears in `watch`, sends `sig` (SIGINT unless given) twice and waits for
/// the exit.
[[nodiscard]] Process interrupt_tamcarlo(const std::vector<std::string>& args, const std::filesystem::path& watch,
                                         int sig = SIGINT);

/// Runs tamcarlo with `args` in `cwd`; after `seconds` sends `sig` (if it is still running) and waits for the exit.
/// Process::stop_seconds is the time from the signal to the exit (0 when it had exited before).
[[nodiscard]] Process signal_tamcarlo_after(const std::vector<std::string>& args, const std::filesystem::path& cwd,
                                            double seconds, int sig);

/// Runs `launcher` (e.g. {"mpirun", "-np", "2"}) with the tamcarlo executable and `args`.
[[nodiscard]] Process run_launched(const std::vector<std::string>& launcher, const std::vector<std::string>& args);

/// Runs tamcarlo with `args`; once `file` exists (or after 30 s), sends `sig` and waits for the exit.
[[nodiscard]] Process kill_tamcarlo_when(const std::vector<std::string>& args, const std::filesystem::path& file, int sig);

/// What differs between two HDF5 files, every dataset and attribute compared exactly (h5diff -r); "" when
/// they are the same.
[[nodiscard]] std::string h5_differences(const std::string& a, const std::string& b);

/// Runs `command` with /bin/sh; its exit code and its stdout and stderr together.
[[nodiscard]] Process run_shell(const std::string& command);

/// Kolmogorov–Smirnov statistic √n · sup |F_n − F| of the samples x against the law d (continuous).
[[nodiscard]] double ks(std::vector<double> x, const Distribution& d);

/// The 0.1% critical value of the KS statistic √n·D (Kolmogorov's distribution: P(K > 1.9495) = 0.001); a sample of
/// the law it is tested against exceeds it once in a thousand tests.
inline constexpr double k_ks_critical = 1.95;

/// The ScenarioError message for scenario text (file name "test.toml"), or "" if it parses.
[[nodiscard]] std::string error_of(const std::string& text);

/// Path of a file in the source tree, e.g. "scenarios/cs_ecommerce.toml".
[[nodiscard]] std::string source_path(const std::string& relative);

/// The bytes of file `p` ("" when it cannot be read).
[[nodiscard]] std::string slurp(const std::filesystem::path& p);

}  // namespace tamcarlo::test
