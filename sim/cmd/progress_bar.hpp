// Progress on stderr, only on a terminal and only once a run takes over half a second: the phase (pilot, sampling,
// further pass, statistics, sensitivity, writing), the time elapsed and, while a pass reports its samples, a bar
// with the ETA. A ticker thread redraws the line five times a second, so phases without sample counts (the pilot)
// show too; each redraw erases the whole line first (no leftover characters).
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace tamcarlo {

class ProgressBar {
 public:
  /// Draws only when `wanted` and stderr is a terminal.
  explicit ProgressBar(bool wanted = true);
  /// A phase starts.
  void phase(std::string_view name);
  /// `done` of `total` samples of the current pass (any thread; only recorded here, drawn by the ticker).
  void operator()(std::uint64_t done, std::uint64_t total);
  /// Erases the line if anything was shown, and stops drawing until the next phase.
  void clear();
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

 private:
  using Clock = std::chrono::steady_clock;
  void tick();
  [[nodiscard]] std::string line(Clock::time_point now);
  bool enabled_, shown_ = false, paused_ = false;
  std::string phase_ = "starting";
  Clock::time_point start_ = Clock::now(), phase_start_ = start_;
  // The pace is measured from the phase's first report, so the start-up of a pass does not skew the ETA.
  Clock::time_point first_at_{};
  std::uint64_t first_done_ = 0;
  std::atomic<std::uint64_t> done_{0}, total_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread ticker_;
};

}  // namespace tamcarlo
