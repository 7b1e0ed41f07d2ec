#include "sim/base/numeric.hpp"

namespace tamcarlo {

double seconds_since(Clock::time_point start) noexcept {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace tamcarlo
