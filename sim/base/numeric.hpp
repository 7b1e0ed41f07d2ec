// Small numeric helpers every layer shares: the quiet NaN that marks a missing value, and wall-clock seconds.
#pragma once
#include <chrono>
#include <limits>

namespace tamcarlo {

/// The quiet NaN tamcarlo writes for a value that does not exist (a statistic of no finite sample, a failed IRR).
inline constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();

/// The monotonic clock every phase timing uses.
using Clock = std::chrono::steady_clock;

/// Wall seconds from `start` to now.
[[nodiscard]] double seconds_since(Clock::time_point start) noexcept;

}  // namespace tamcarlo
