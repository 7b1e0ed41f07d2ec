#include "sim/base/simd.hpp"

namespace tamcarlo {

SimdLevel best_simd_level() noexcept {
#if defined(__x86_64__)
  static const SimdLevel level = __builtin_cpu_supports("avx512f")  ? SimdLevel::avx512
                                 : __builtin_cpu_supports("avx2") ? SimdLevel::avx2
                                                                  : SimdLevel::scalar;
  return level;
#else
  return SimdLevel::scalar;
#endif
}

bool simd_supported(SimdLevel level) noexcept {
#if defined(__x86_64__)
  switch (level) {
    case SimdLevel::avx512: return __builtin_cpu_supports("avx512f");
    case SimdLevel::avx2: return __builtin_cpu_supports("avx2");
    default: return true;
  }
#else
  return level == SimdLevel::scalar;
#endif
}

const char* simd_name(SimdLevel level) noexcept {
  switch (level) {
    case SimdLevel::avx512: return "avx512";
    case SimdLevel::avx2: return "avx2";
    case SimdLevel::sse2: return "sse2";
    default: return "scalar";
  }
}

}  // namespace tamcarlo
