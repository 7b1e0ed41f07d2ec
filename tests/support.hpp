// Test helpers: temporary directories, scenario files, and running the tamcarlo executable.
#pragma once
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

/// Outcome of running the tamcarlo executable.
struct Process {
  int exit_code = -1;
  std::string out, err;
  long max_rss_kib = 0;  ///< peak resident memory of the child
};

/// Runs the tamcarlo executable with `args` in `cwd`, capturing output and peak memory.
[[nodiscard]] Process run_tamcarlo(const std::vector<std::string>& args, const std::filesystem::path& cwd = {});

/// Runs tamcarlo with `args`; once a file appears in `watch`, sends SIGINT twice and waits for the exit.
[[nodiscard]] Process interrupt_tamcarlo(const std::vector<std::string>& args, const std::filesystem::path& watch);

/// Path of a file in the source tree, e.g. "scenarios/cs_ecommerce.toml".
[[nodiscard]] std::string source_path(const std::string& relative);

}  // namespace tamcarlo::test
