// Philox4x32-10 (Salmon et al. 2011, as in Random123) for many counters at once, in SIMD registers.
// Integer arithmetic only, so every instruction set gives the same bits: the SIMD paths are tested
// against Random123's scalar Philox4x32 on its published known-answer vectors and on millions of words.
#pragma once
#include "sim/base/simd.hpp"

#include <Random123/philox.h>

#include <cstddef>
#include <cstdint>

namespace tamcarlo {

/// The key and fixed counter word of one (seed, variable) stream (see SampleStream).
struct StreamKey {
  std::uint32_t k0 = 0, k1 = 0;  ///< Philox key
  std::uint32_t c3 = 0;          ///< counter word 3
};

/// Words 0–3 of the streams of samples first … first + n − 1 under `key`: out[4j + w] is word w of sample
/// first + j, where words 2b and 2b + 1 are the low and high halves of Philox4x32-10 of the counter
/// {sample low 32 bits, sample high 32 bits, b, c3}: w0 = o0 | o1·2³², w1 = o2 | o3·2³². `level` must be
/// supported by this processor (best_simd_level() or below).
void stream_words(SimdLevel level, const StreamKey& key, std::uint64_t first, std::size_t n, std::uint64_t* out) noexcept;

/// Words 0 and 1 only (block 0) of the streams of samples first … first + n − 1: out[2j + w]; half the work of
/// stream_words, for laws that usually need one or two words.
void stream_words2(SimdLevel level, const StreamKey& key, std::uint64_t first, std::size_t n, std::uint64_t* out) noexcept;

/// Words 2b and 2b + 1 of one sample's stream (the scalar reference: Random123's Philox4x32-10).
inline void stream_block(const StreamKey& key, std::uint64_t sample, std::uint32_t b, std::uint64_t* out2) noexcept {
  const r123::Philox4x32::ctr_type ctr = {
      {static_cast<std::uint32_t>(sample), static_cast<std::uint32_t>(sample >> 32), b, key.c3}};
  const r123::Philox4x32::key_type k = {{key.k0, key.k1}};
  const auto o = r123::Philox4x32{}(ctr, k);
  out2[0] = o.v[0] | (std::uint64_t{o.v[1]} << 32);
  out2[1] = o.v[2] | (std::uint64_t{o.v[3]} << 32);
}

}  // namespace tamcarlo
