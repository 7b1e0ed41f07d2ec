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
#include <Random123/philox.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string_view>

namespace tamcarlo {

/// Stable 64-bit id of a variable name: FNV-1a 64 of its bytes, then the splitmix64 finalizer.
[[nodiscard]] constexpr std::uint64_t variable_id(std::string_view name) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 30; h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27; h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

/// Version of the random streams: which draws a (seed, variable, sample) yields. Stored in every result and
/// partial file; results and parts of different stream versions never mix.
inline constexpr std::uint64_t k_stream_version = 1;

/// The random stream of one (seed, variable, sample): Philox4x64-10 with key {seed, variable id}
/// and counter {sample index, draw block, 0, 0}; yields 64-bit words, four per Philox call.
/// Satisfies UniformRandomBitGenerator, so Boost.Random distributions can use it too.
class SampleStream {
 public:
  using result_type = std::uint64_t;
  using Block = r123::Philox4x64::ctr_type;
  /// Stream for sample `sample` of the variable with id `var_id` under `seed`.
  SampleStream(std::uint64_t seed, std::uint64_t var_id, std::uint64_t sample) noexcept
      : key_{{seed, var_id}}, ctr_{{sample, 0, 0, 0}} {}
  /// The same stream, given its first block already computed (= first_block(seed, var_id, sample)).
  SampleStream(std::uint64_t seed, std::uint64_t var_id, std::uint64_t sample, const Block& first) noexcept
      : key_{{seed, var_id}}, ctr_{{sample, 1, 0, 0}}, out_(first), pos_(0) {}
  /// The first four words of the stream of (seed, var_id, sample).
  static Block first_block(std::uint64_t seed, std::uint64_t var_id, std::uint64_t sample) noexcept {
    return r123::Philox4x64{}({{sample, 0, 0, 0}}, {{seed, var_id}});
  }

  static constexpr result_type min() noexcept { return 0; }
  static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }

  /// Next 64 random bits.
  result_type operator()() noexcept {
    if (pos_ == 4) refill();
    return out_.v[pos_++];
  }
  /// Uniform on the open interval (0, 1) with 53-bit resolution: ((bits >> 11) + 0.5) · 2⁻⁵³.
  double uniform() noexcept { return to_unit((*this)()); }
  /// A 64-bit word as a double in (0, 1): (⌊w / 2¹¹⌋ + ½)·2⁻⁵³, except that the top 53-bit value, whose
  /// result rounds to 1 (ties to even), maps to the largest double below 1. Never 0, never 1.
  static double to_unit(std::uint64_t w) noexcept {
    return std::min((to_double(w >> 11) + 0.5) * 0x1p-53, 0x1.fffffffffffffp-1);
  }
  /// Exact conversion of a value below 2⁶³ (signed conversion is one instruction; unsigned is not).
  static double to_double(std::uint64_t x) noexcept { return static_cast<double>(static_cast<std::int64_t>(x)); }

 private:
  void refill() noexcept {
    out_ = r123::Philox4x64{}(ctr_, key_);
    ++ctr_.v[1];
    pos_ = 0;
  }
  r123::Philox4x64::key_type key_;
  r123::Philox4x64::ctr_type ctr_;
  r123::Philox4x64::ctr_type out_{};
  int pos_ = 4;
};

}  // namespace tamcarlo
