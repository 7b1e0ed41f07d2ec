// Progress on stderr, only on a terminal and only once a run takes over half a second: the phase (pilot, sampling,
// further pass, statistics, sensitivity, writing) and, while sampling, a bar with the ETA. Each redraw erases the
// whole line first (no leftover characters).
#pragma once
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace tamcarlo {

class ProgressBar {
 public:
  /// Draws only when `wanted` and stderr is a terminal.
  explicit ProgressBar(bool wanted = true);
  /// A phase starts (shown once the run has taken half a second).
  void phase(std::string_view name);
  /// `done` of `total` samples of the current pass (redrawn at most every 100 ms).
  void operator()(std::uint64_t done, std::uint64_t total);
  /// Erases the line if anything was shown.
  void clear();
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

 private:
  [[nodiscard]] double elapsed() const;
  void draw(const std::string& line);
  bool enabled_, shown_ = false;
  std::string phase_ = "sampling";
  std::chrono::steady_clock::time_point start_, phase_start_ = std::chrono::steady_clock::now(), last_{};
  std::mutex mutex_;
};

}  // namespace tamcarlo
