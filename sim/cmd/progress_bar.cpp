#include "sim/cmd/progress_bar.hpp"

#include "sim/base/number_format.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace tamcarlo {

ProgressBar::ProgressBar(bool wanted)
    : enabled_(wanted && ::isatty(STDERR_FILENO) != 0), start_(std::chrono::steady_clock::now()) {}

void ProgressBar::phase(std::string_view name) {
  if (!enabled_) return;
  std::lock_guard lock(mutex_);
  phase_ = name;
  phase_start_ = std::chrono::steady_clock::now();
  if (elapsed() >= 0.5) draw(fmt::format(" {}…", phase_));
}

void ProgressBar::operator()(std::uint64_t done, std::uint64_t total) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (elapsed() < 0.5) return;
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock || (now - last_ < std::chrono::milliseconds(100) && done < total)) return;
  last_ = now;
  const double f = static_cast<double>(done) / static_cast<double>(total);
  const double in_phase = std::chrono::duration<double>(now - phase_start_).count();
  const int filled = static_cast<int>(f * 30);
  draw(fmt::format(" {} [{}{}] {:3.0f}%  {}/{} samples  ETA {:.0f} s", phase_, std::string(filled, '#'),
                   std::string(30 - filled, '.'), f * 100, format_number(static_cast<double>(done)),
                   format_number(static_cast<double>(total)), f > 0 ? in_phase * (1 - f) / f : 0.0));
}

void ProgressBar::clear() {
  std::lock_guard lock(mutex_);
  if (shown_) std::fputs("\r\033[K", stderr);
  shown_ = false;
}

ProgressBar::~ProgressBar() { clear(); }

double ProgressBar::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressBar::draw(const std::string& line) {
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
  shown_ = true;
}

}  // namespace tamcarlo
