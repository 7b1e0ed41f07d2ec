#include "sim/random/design.hpp"

#include "sim/base/simd.hpp"

#include "sim/random/rng.hpp"

#include <boost/random/sobol.hpp>

#include <algorithm>
#include <bit>
#include <memory>
#include <stdexcept>
#include <vector>

namespace tamcarlo {
namespace {

using SobolTable = boost::random::default_sobol_table;

// The key of an input's per-replicate randomization (permutation keys, scramble matrix and shift): a stream apart
// from the input's sample streams, its "sample" index the replicate.
StreamKey replicate_key(std::uint64_t seed, std::uint64_t var_id) {
  return stream_key(seed, var_id ^ variable_id("design:replicate"));
}

// 2·blocks random words of replicate r's randomization stream.
template <std::size_t Words>
std::array<std::uint64_t, Words> replicate_words(const StreamKey& key, std::uint32_t r) {
  std::array<std::uint64_t, Words> w{};
  for (std::uint32_t b = 0; 2 * b < Words; ++b) stream_block(key, r, b, w.data() + 2 * b);
  return w;
}

// A uniform in (0, 1) from a 64-bit word, clamped as the samplers' (never 0, never 1).
double unit(std::uint64_t w) { return SampleStream::to_unit(w); }

// x < 2^52 as a double, exactly: x in the mantissa of 2^52, less 2^52 (integer and floating operations a loop
// vectorizes, where a 64-bit integer conversion has no vector instruction before AVX-512).
[[gnu::always_inline]] inline double small_to_double(std::uint64_t x) noexcept {
  return std::bit_cast<double>(x | 0x4330000000000000ULL) - 0x1p52;
}

// u[k] = clamp((strata[k] + unit(words[2k])) / m) for strata below m < 2^52: the same bits as with static_cast (every
// conversion is exact; unit's 53-bit value is converted in two halves of 26 and 27 bits), in a loop the compiler
// vectorizes, also for AVX2 (no fused multiply-add: -ffp-contract=off).
__attribute__((target_clones("avx2", "default"))) void lhs_units(const std::uint64_t* strata, const std::uint64_t* words,
                                                                std::size_t count, double dm, double* u) {
  for (std::size_t k = 0; k < count; ++k) {
    const std::uint64_t x = words[2 * k] >> 11;  // 53 bits
    const double wx = small_to_double(x >> 26) * 0x1p26 + small_to_double(x & 0x3ffffffULL);
    const double jitter = SampleStream::top_to_unit(wx);  // unit(words[2k])
    u[k] = std::clamp((small_to_double(strata[k]) + jitter) / dm, 0x1p-54, 0x1.fffffffffffffp-1);
  }
}

// L·v for the lower-triangular (in digit order, most significant bit first) binary matrix whose row i is rows[i].
std::uint32_t scramble(std::uint32_t v, const std::array<std::uint32_t, 32>& rows) noexcept {
  std::uint32_t out = 0;
  for (unsigned i = 0; i < 32; ++i) out |= static_cast<std::uint32_t>(std::popcount(v & rows[i]) & 1) << (31 - i);
  return out;
}

}  // namespace

std::string_view design_name(DesignKind k) noexcept {
  switch (k) {
    case DesignKind::lhs: return "lhs";
    case DesignKind::sobol: return "sobol";
    case DesignKind::mc: break;
  }
  return "mc";
}

std::optional<DesignKind> design_kind(std::string_view name) noexcept {
  for (const DesignKind k : {DesignKind::mc, DesignKind::lhs, DesignKind::sobol})
    if (design_name(k) == name) return k;
  return std::nullopt;
}

std::uint32_t sobol_max_dimensions() noexcept { return SobolTable::max_dimension; }

std::uint64_t ReplicateSplit::start(std::uint32_t r) const noexcept {
  __extension__ using wide = unsigned __int128;
  return static_cast<std::uint64_t>(static_cast<wide>(samples) * r / replicates);
}

std::uint32_t ReplicateSplit::replicate_of(std::uint64_t i) const noexcept {
  // The largest r with ⌊rN/R⌋ ≤ i: start from ⌊(i + 1)R/N⌋, which is within one of it.
  if (samples == 0) return 0;
  __extension__ using wide = unsigned __int128;
  auto r = static_cast<std::uint32_t>(std::min<wide>(replicates - 1, static_cast<wide>(i + 1) * replicates / samples));
  while (r > 0 && start(r) > i) --r;
  while (r + 1 < replicates && start(r + 1) <= i) ++r;
  return r;
}

KeyedPermutation::KeyedPermutation(std::uint64_t m, std::uint64_t key) noexcept : m_(m) {
  const unsigned bits = m > 1 ? static_cast<unsigned>(std::bit_width(m - 1)) : 1;
  low_bits_ = (bits + 1) / 2;
  masks_ = {static_cast<std::uint32_t>((std::uint64_t{1} << (bits - low_bits_)) - 1),
            static_cast<std::uint32_t>((std::uint64_t{1} << low_bits_) - 1)};
  for (std::size_t k = 0; k < keys_.size(); ++k)
    keys_[k] = static_cast<std::uint32_t>(splitmix64_mix(key + 0x9e3779b97f4a7c15ULL * (k + 1)));
}

namespace {

// Wellons' lowbias32: an invertible 32-bit mix (two multiplies). KeyedPermutation::fill spells the same steps out on
// eight lanes (a vector passed to a function would change the calling convention between its builds).
inline std::uint32_t lowbias32(std::uint32_t x) noexcept {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

using Lanes = std::uint32_t __attribute__((vector_size(32)));

}  // namespace

std::uint64_t KeyedPermutation::round_trip(std::uint64_t x) const noexcept {
  // (high, low) → (low, high ⊕ F(low)): the halves swap widths each round and are back after four.
  auto high = static_cast<std::uint32_t>(x >> low_bits_), low = static_cast<std::uint32_t>(x) & masks_[1];
  for (std::size_t r = 0; r < keys_.size(); ++r) {
    const std::uint32_t next = high ^ (lowbias32(low ^ keys_[r]) & masks_[r % 2]);
    high = low;
    low = next;
  }
  return (std::uint64_t{high} << low_bits_) | low;
}

std::uint64_t KeyedPermutation::operator()(std::uint64_t j) const noexcept {
  // Cycle walking: the Feistel network permutes [0, 2^b), which holds fewer than 2m values, so the walk back into
  // [0, m) takes under 2 steps on average and maps [0, m) onto itself one to one.
  std::uint64_t x = round_trip(j);
  while (x >= m_) x = round_trip(x);
  return x;
}

[[gnu::always_inline]] inline void KeyedPermutation::fill_lanes(std::uint64_t first,
                                                                std::span<std::uint64_t> out) const noexcept {
  constexpr std::size_t lanes = 8;
  std::size_t k = 0;
  for (; k + lanes <= out.size(); k += lanes) {
    Lanes high, low;
    const std::uint64_t base = first + k;
    if ((base & masks_[1]) + (lanes - 1) <= masks_[1]) {  // the lanes share their high half
      Lanes iota;
      for (std::size_t i = 0; i < lanes; ++i) iota[i] = static_cast<std::uint32_t>(i);
      high = Lanes{} + static_cast<std::uint32_t>(base >> low_bits_);
      low = (Lanes{} + static_cast<std::uint32_t>(base & masks_[1])) + iota;
    } else {
      for (std::size_t i = 0; i < lanes; ++i) {
        high[i] = static_cast<std::uint32_t>((base + i) >> low_bits_);
        low[i] = static_cast<std::uint32_t>(base + i) & masks_[1];
      }
    }
    const auto rounds = [this](Lanes& hi, Lanes& lo) {
      for (std::size_t r = 0; r < keys_.size(); ++r) {
        Lanes x = lo ^ keys_[r];  // lowbias32, lane by lane
        x ^= x >> 16;
        x *= 0x7feb352dU;
        x ^= x >> 15;
        x *= 0x846ca68bU;
        x ^= x >> 16;
        const Lanes next = hi ^ (x & masks_[r % 2]);
        hi = lo;
        lo = next;
      }
    };
    rounds(high, low);
    // The walk back into [0, m), every lane at once: the lanes still outside take one more trip (under 2 on
    // average), the others keep their value.
    for (;;) {
      bool inside = true;
      for (std::size_t i = 0; i < lanes; ++i) {
        out[k + i] = (std::uint64_t{high[i]} << low_bits_) | low[i];
        inside = inside && out[k + i] < m_;
      }
      if (inside) break;
      Lanes h = high, l = low;
      rounds(h, l);
      for (std::size_t i = 0; i < lanes; ++i)
        if (out[k + i] >= m_) {
          high[i] = h[i];
          low[i] = l[i];
        }
    }
  }
  for (; k < out.size(); ++k) out[k] = (*this)(first + k);
}

// Integer arithmetic only, so the AVX2 build (eight lanes in one register) gives the same bits as the baseline one.
void KeyedPermutation::fill_plain(std::uint64_t first, std::span<std::uint64_t> out) const noexcept {
  fill_lanes(first, out);
}
#if defined(__x86_64__)
__attribute__((target("avx2"))) void KeyedPermutation::fill_avx2(std::uint64_t first,
                                                                 std::span<std::uint64_t> out) const noexcept {
  fill_lanes(first, out);
}
#endif

void KeyedPermutation::fill(std::uint64_t first, std::span<std::uint64_t> out) const noexcept {
#if defined(__x86_64__)
  const SimdLevel level = best_simd_level();
  if (level == SimdLevel::avx2 || level == SimdLevel::avx512) return fill_avx2(first, out);
#endif
  fill_plain(first, out);
}

std::array<std::uint32_t, 32> sobol_directions(std::uint32_t d) {
  if (d >= SobolTable::max_dimension) throw std::out_of_range("sobol_directions: dimension beyond the table");
  std::array<std::uint32_t, 32> m{};
  if (d == 0) {
    m.fill(1);
  } else {
    // Bratley & Fox (1988): m_k from the primitive polynomial x^s + a_1 x^(s−1) + … + 1 (its bits, a_s = bit 0)
    // and the table's initial m_0 … m_(s−1): m_k = m_(k−s) ⊕ ⊕_(i=1..s) a_i·2^i·m_(k−i), a_i = bit s − i.
    const unsigned poly = SobolTable::polynomial(d - 1);
    const unsigned s = static_cast<unsigned>(std::bit_width(poly)) - 1;
    for (unsigned k = 0; k < s && k < 32; ++k) m[k] = SobolTable::minit(d - 1, k);
    for (unsigned k = s; k < 32; ++k) {
      std::uint32_t v = m[k - s];
      for (unsigned i = 1; i <= s; ++i)
        if ((poly >> (s - i)) & 1U) v ^= m[k - i] << i;
      m[k] = v;
    }
  }
  std::array<std::uint32_t, 32> v{};
  for (unsigned k = 0; k < 32; ++k) v[k] = m[k] << (31 - k);
  return v;
}

std::uint32_t sobol_point(const std::array<std::uint32_t, 32>& directions, std::uint32_t i) noexcept {
  std::uint32_t x = 0;
  for (unsigned k = 0; i != 0; ++k, i >>= 1)
    if (i & 1U) x ^= directions[k];
  return x;
}

DesignCoordinate::DesignCoordinate(const Design& design, std::uint64_t samples, std::uint32_t dimension)
    : design_(design), split_{samples, std::max<std::uint32_t>(1, design.replicates)} {
  if (design.replicated() && samples < design.replicates)
    throw std::invalid_argument("DesignCoordinate: fewer samples than replicates");
  if (design.kind == DesignKind::sobol) directions_ = sobol_directions(dimension);
}

void DesignCoordinate::fill(std::uint64_t seed, std::uint64_t var_id, std::uint64_t first, std::span<double> u,
                            SimdLevel level) const {
  const std::size_t n = u.size();
  if (n == 0) return;
  // Each sample's own stream: word 0 jitters it inside its stratum (lhs) or fills its digits below the 32nd (sobol).
  // (Scratch not zeroed: every word is written before it is read; zeroing it cost 5% of an LHS run.)
  const std::unique_ptr<std::uint64_t[]> words(new std::uint64_t[2 * n]);
  stream_words2(level, stream_key(seed, var_id), first, n, words.get());
  if (design_.kind == DesignKind::mc) {
    for (std::size_t j = 0; j < n; ++j) u[j] = unit(words[2 * j]);
    return;
  }
  const StreamKey rkey = replicate_key(seed, var_id);
  const std::unique_ptr<std::uint64_t[]> strata(design_.kind == DesignKind::lhs ? new std::uint64_t[n] : nullptr);  // lhs: each sample's stratum
  std::size_t j = 0;
  while (j < n) {
    const std::uint64_t i0 = first + j;
    const std::uint32_t r = split_.replicate_of(i0);
    const std::uint64_t begin = split_.start(r), end = split_.start(r + 1);
    const std::size_t count = static_cast<std::size_t>(std::min<std::uint64_t>(end - i0, n - j));
    const std::uint64_t m = end - begin;
    if (design_.kind == DesignKind::lhs) {
      const auto w = replicate_words<2>(rkey, r);
      const KeyedPermutation perm(m, w[0] ^ splitmix64_mix(w[1]));
      const double dm = static_cast<double>(m);
      perm.fill(i0 - begin, std::span<std::uint64_t>(strata.get() + j, count));
      if (m < (std::uint64_t{1} << 52)) {
        lhs_units(strata.get() + j, words.get() + 2 * j, count, dm, u.data() + j);
      } else {
        for (std::size_t k = 0; k < count; ++k)
          u[j + k] = std::clamp((static_cast<double>(strata[j + k]) + unit(words[2 * (j + k)])) / dm, 0x1p-54,
                                0x1.fffffffffffffp-1);
      }
    } else {
      // Matoušek's scramble: row i of L has its diagonal bit and random bits to its left (more significant digits).
      const auto w = replicate_words<16>(rkey, r);
      std::array<std::uint32_t, 32> rows{};
      for (unsigned i = 0; i < 32; ++i) {
        const auto bits = static_cast<std::uint32_t>(w[i / 2] >> (32 * (i % 2)));
        const std::uint32_t above = i == 0 ? 0 : ~std::uint32_t{0} << (32 - i);  // bits 31 … 32 − i
        rows[i] = (std::uint32_t{1} << (31 - i)) | (bits & above);
      }
      std::array<std::uint32_t, 32> v{};
      for (unsigned k = 0; k < 32; ++k) v[k] = scramble(directions_[k], rows);
      const auto shift = static_cast<std::uint32_t>(w[15] ^ (w[15] >> 32) ^ splitmix64_mix(w[14]));
      // Position p of the replicate takes point gray(p) = p ⊕ p/2 (Antonov–Saleev order: consecutive positions
      // differ by one direction number).
      auto p = static_cast<std::uint32_t>(i0 - begin);
      std::uint32_t x = shift ^ sobol_point(v, p ^ (p >> 1));
      for (std::size_t k = 0; k < count; ++k, ++p) {
        if (k > 0) x ^= v[static_cast<unsigned>(std::countr_zero(p))];
        const std::uint64_t word = (std::uint64_t{x} << 32) | (words[2 * (j + k)] & 0xffffffffULL);
        u[j + k] = unit(word);
      }
    }
    j += count;
  }
}

}  // namespace tamcarlo
