#include "sim/cmd/progress_bar.hpp"

#include "sim/base/number_format.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace tamcarlo {

namespace {

// "42 s", "3 min 05 s", "2 h 10 min".
std::string duration(double s) {
  if (s < 60) return fmt::format("{:.0f} s", s);
  if (s < 3600) return fmt::format("{:.0f} min {:02.0f} s", std::floor(s / 60), std::fmod(s, 60));
  return fmt::format("{:.0f} h {:02.0f} min", std::floor(s / 3600), std::floor(std::fmod(s, 3600) / 60));
}

}  // namespace

ProgressBar::ProgressBar(bool wanted) : enabled_(wanted && ::isatty(STDERR_FILENO) != 0) {
  if (enabled_) ticker_ = std::thread([this] { tick(); });
}

void ProgressBar::phase(std::string_view name) {
  if (!enabled_) return;
  const std::lock_guard lock(mutex_);
  phase_ = name;
  phase_start_ = Clock::now();
  first_at_ = {};
  done_ = 0;
  total_ = 0;
  paused_ = false;
}

void ProgressBar::operator()(std::uint64_t done, std::uint64_t total) {
  if (!enabled_) return;
  total_.store(total, std::memory_order_relaxed);
  std::uint64_t seen = done_.load(std::memory_order_relaxed);
  while (done > seen && !done_.compare_exchange_weak(seen, done, std::memory_order_relaxed)) {
  }
}

std::string ProgressBar::line(Clock::time_point now) {
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const std::uint64_t done = done_.load(std::memory_order_relaxed), total = total_.load(std::memory_order_relaxed);
  if (total == 0) return fmt::format(" {}…  {} elapsed", phase_, duration(elapsed));
  if (first_at_ == Clock::time_point{}) {
    first_at_ = now;
    first_done_ = done;
  }
  const double f = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
  const double measured = std::chrono::duration<double>(now - first_at_).count();
  const double pace = measured > 0 ? static_cast<double>(done - first_done_) / measured : 0;  // samples a second
  // The ETA once the pace is measured over a second (or 2% of the pass), from the phase's first report.
  const bool known = pace > 0 && (measured >= 1 || static_cast<double>(done - first_done_) >= 0.02 * static_cast<double>(total));
  const int filled = static_cast<int>(f * 30);
  return fmt::format(" {} [{}{}] {:3.0f}%  {}/{} samples  {} elapsed  ETA {}", phase_, std::string(filled, '#'),
                     std::string(30 - filled, '.'), f * 100, format_number(static_cast<double>(done)),
                     format_number(static_cast<double>(total)), duration(elapsed),
                     known ? duration(static_cast<double>(total - done) / pace) : std::string("…"));
}

void ProgressBar::tick() {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, std::chrono::milliseconds(200), [this] { return stop_; })) {
    const auto now = Clock::now();
    if (paused_ || std::chrono::duration<double>(now - start_).count() < 0.5) continue;
    std::fprintf(stderr, "\r\033[K%s", line(now).c_str());
    std::fflush(stderr);
    shown_ = true;
  }
}

void ProgressBar::clear() {
  if (!enabled_) return;
  const std::lock_guard lock(mutex_);
  if (shown_) std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  shown_ = false;
  paused_ = true;  // the summary prints now; the next phase resumes drawing
}

ProgressBar::~ProgressBar() {
  if (!enabled_) return;
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  ticker_.join();
  clear();
}

}  // namespace tamcarlo
