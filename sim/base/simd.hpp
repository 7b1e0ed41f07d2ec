// The SIMD instruction sets the vectorized kernels may use, and which of them this processor runs.
#pragma once

namespace tamcarlo {

/// Instruction sets the batch generator can use; every level gives the same bits. sse2 (every x86-64) runs the
/// scalar code: an SSE2 Philox measured slower than scalar 64-bit multiplies.
enum class SimdLevel { scalar, sse2, avx2, avx512 };

/// The level to use: AVX-512F, else AVX2, else scalar (checked once). Levels up to the widest the processor
/// supports may be used (SSE2 on every x86-64); see simd_supported.
[[nodiscard]] SimdLevel best_simd_level() noexcept;

/// True when this processor can run `level`.
[[nodiscard]] bool simd_supported(SimdLevel level) noexcept;

/// Name of a level: "scalar", "sse2", "avx2" or "avx512".
[[nodiscard]] const char* simd_name(SimdLevel level) noexcept;

}  // namespace tamcarlo
