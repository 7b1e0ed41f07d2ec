// Counter-based randomness: every draw is a pure function of (seed, variable name, sample index).
//
// Before (a shared engine): the value a sample gets depends on which thread drew
// what before it, so results change with the thread count and with input order.
//     std::mt19937_64 rng(seed);                       // one stream for everything
//     for (i...) x[i] = normal(rng);                   // order-dependent
// After (tamcarlo): each (variable, sample) owns a stream; any thread may draw it.
//     SampleStream s(seed, variable_id("salary"), i);  // keyed, not shared
//     x[i] = normal(s);                                // same bits on 1, 2 or 8 threads
#pragma once
#include "sim/random/philox_batch.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string_view>

namespace tamcarlo {

/// The splitmix64 finalizer: a bijective mix of 64 bits (z ⊕ z≫30, ×0xbf58476d1ce4e5b9, ⊕ ≫27, ×0x94d049bb133111eb, ⊕ ≫31).
[[nodiscard]] constexpr std::uint64_t splitmix64_mix(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// Stable 64-bit id of a variable name: FNV-1a 64 of its bytes, then the splitmix64 finalizer.
[[nodiscard]] constexpr std::uint64_t variable_id(std::string_view name) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return splitmix64_mix(h);
}

/// Version of the random streams: which draws a (seed, variable, sample) yields. Stored in every result and
/// partial file; results and parts of different stream versions never mix. 1: Philox4x64-10 (tamcarlo 0.1);
/// 2: Philox4x32-10, computed in SIMD registers (tamcarlo 0.2); 3: the same words, but quantile functions through
/// Wichura's AS 241 Φ⁻¹ and erfc's Φ, copula members from their normal scores directly, an LHS permutation on
/// 32-bit halves, and discrete correlated pairs at their exact Spearman ρ (so correlated and design draws differ).
inline constexpr std::uint64_t k_stream_version = 3;

/// The Philox key of the streams of (seed, variable): the two halves of splitmix64(seed) ⊕ var_id; counter word 3
/// is var_id's high half, so two (seed, variable) pairs share a stream only if all 96 of those bits agree.
[[nodiscard]] constexpr StreamKey stream_key(std::uint64_t seed, std::uint64_t var_id) noexcept {
  const std::uint64_t k = splitmix64_mix(seed + 0x9e3779b97f4a7c15ULL) ^ var_id;
  return {static_cast<std::uint32_t>(k), static_cast<std::uint32_t>(k >> 32), static_cast<std::uint32_t>(var_id >> 32)};
}

/// The random stream of one (seed, variable, sample): 64-bit words, two per Philox4x32-10 call, word 2b + h
/// from the counter {sample, b, c3} (philox_batch.hpp). Satisfies UniformRandomBitGenerator, so Boost.Random
/// distributions can use it too.
class SampleStream {
 public:
  using result_type = std::uint64_t;
  /// Stream for sample `sample` of the variable with id `var_id` under `seed`.
  SampleStream(std::uint64_t seed, std::uint64_t var_id, std::uint64_t sample) noexcept
      : SampleStream(stream_key(seed, var_id), sample) {}
  /// Stream for sample `sample` under `key` (= stream_key(seed, var_id)).
  SampleStream(const StreamKey& key, std::uint64_t sample) noexcept : key_(key), sample_(sample) {}
  /// The same stream with its words 0–3 already computed (stream_words).
  SampleStream(const StreamKey& key, std::uint64_t sample, const std::uint64_t* first4) noexcept
      : key_(key), sample_(sample), words_{first4[0], first4[1], first4[2], first4[3]}, pos_(0), next_block_(2) {}
  /// The same stream with its words 0 and 1 already computed (stream_words2); `tag` tells this constructor apart.
  struct FirstTwo {};
  SampleStream(const StreamKey& key, std::uint64_t sample, const std::uint64_t* first2, FirstTwo /*tag*/) noexcept
      : key_(key), sample_(sample), words_{0, 0, first2[0], first2[1]}, pos_(2), next_block_(1) {}

  static constexpr result_type min() noexcept { return 0; }
  static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }

  /// Next 64 random bits.
  [[gnu::always_inline]] result_type operator()() noexcept {
    if (pos_ == 4) [[unlikely]] refill();
    return words_[pos_++];
  }
  /// Uniform on the open interval (0, 1) with 53-bit resolution: ((bits >> 11) + 0.5) · 2⁻⁵³.
  [[gnu::always_inline]] double uniform() noexcept { return to_unit((*this)()); }
  /// A 64-bit word as a double in (0, 1): (⌊w / 2¹¹⌋ + ½)·2⁻⁵³, except that the top 53-bit value, whose
  /// result rounds to 1 (ties to even), maps to the largest double below 1. Never 0, never 1.
  [[gnu::always_inline]] static double to_unit(std::uint64_t w) noexcept { return top_to_unit(to_double(w >> 11)); }
  /// to_unit from the word's top 53 bits, already converted (exactly) to a double.
  [[gnu::always_inline]] static double top_to_unit(double top) noexcept {
    return std::min((top + 0.5) * 0x1p-53, 0x1.fffffffffffffp-1);
  }
  /// Exact conversion of a value below 2⁶³ (signed conversion is one instruction; unsigned is not).
  static double to_double(std::uint64_t x) noexcept { return static_cast<double>(static_cast<std::int64_t>(x)); }

 private:
  [[gnu::noinline]] void refill() noexcept {
    stream_block(key_, sample_, next_block_, words_);
    stream_block(key_, sample_, next_block_ + 1, words_ + 2);
    next_block_ += 2;
    pos_ = 0;
  }
  StreamKey key_;
  std::uint64_t sample_;
  std::uint64_t words_[4] = {0, 0, 0, 0};
  int pos_ = 4;
  std::uint32_t next_block_ = 0;
};

}  // namespace tamcarlo
