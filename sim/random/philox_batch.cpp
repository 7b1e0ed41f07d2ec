#include "sim/random/philox_batch.hpp"


#if defined(__x86_64__)
#include <immintrin.h>
// GCC 12's AVX-512 headers warn about their own undefined merge operands (_mm512_mul_epu32 and others).
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#endif

namespace tamcarlo {

namespace {

constexpr std::uint32_t k_m0 = 0xD2511F53, k_m1 = 0xCD9E8D57;  // Random123's PHILOX_M4x32_0/1
constexpr std::uint32_t k_w0 = 0x9E3779B9, k_w1 = 0xBB67AE85;  // PHILOX_W32_0/1 (key bumps)

void scalar_words(const StreamKey& key, std::uint64_t first, std::size_t n, std::uint64_t* out) noexcept {
  for (std::size_t j = 0; j < n; ++j) {
    stream_block(key, first + j, 0, out + 4 * j);
    stream_block(key, first + j, 1, out + 4 * j + 2);
  }
}

void scalar_words2(const StreamKey& key, std::uint64_t first, std::size_t n, std::uint64_t* out) noexcept {
  for (std::size_t j = 0; j < n; ++j) stream_block(key, first + j, 0, out + 2 * j);
}

#if defined(__x86_64__)

// The counters' low and high words of samples first … first + 7 (AVX2), built in registers: scalar stores read
// back as one vector would stall on store forwarding. A low word that wrapped past 2³² carries into the high word.
__attribute__((target("avx2"), always_inline)) inline void avx2_counters(std::uint64_t first, __m256i& lo, __m256i& hi) {
  const __m256i base = _mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(first)));
  lo = _mm256_add_epi32(base, _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  const __m256i sign = _mm256_set1_epi32(static_cast<int>(0x80000000u));
  const __m256i wrapped = _mm256_cmpgt_epi32(_mm256_xor_si256(base, sign), _mm256_xor_si256(lo, sign));  // lo < base
  hi = _mm256_sub_epi32(_mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(first >> 32))), wrapped);
}

// 32×32 → 64 products of the 8 lanes of a with m (AVX2): the low and high 32 bits of each, per lane.
__attribute__((target("avx2"), always_inline)) inline void avx2_mulhilo(__m256i a, __m256i m, __m256i& lo, __m256i& hi) {
  const __m256i even = _mm256_mul_epu32(a, m);                                          // lanes 0, 2, 4, 6
  const __m256i oddp = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), _mm256_srli_epi64(m, 32));  // lanes 1, 3, 5, 7
  lo = _mm256_blend_epi32(even, _mm256_slli_epi64(oddp, 32), 0xAA);
  hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), oddp, 0xAA);
}

// Ten Philox4x32 rounds of 8 counters (AVX2) whose words 2 and 3 are b and c3; c0, c1 in, the 4 words out.
__attribute__((target("avx2"), always_inline)) inline void avx2_philox(__m256i& c0, __m256i& c1, __m256i& c2, __m256i& c3,
                                                                       std::uint32_t k0, std::uint32_t k1) {
  const __m256i m0 = _mm256_set1_epi32(static_cast<int>(k_m0)), m1 = _mm256_set1_epi32(static_cast<int>(k_m1));
  for (int r = 0; r < 10; ++r) {
    if (r > 0) {
      k0 += k_w0;
      k1 += k_w1;
    }
    __m256i lo0, hi0, lo1, hi1;
    avx2_mulhilo(c0, m0, lo0, hi0);
    avx2_mulhilo(c2, m1, lo1, hi1);
    const __m256i n0 = _mm256_xor_si256(_mm256_xor_si256(hi1, c1), _mm256_set1_epi32(static_cast<int>(k0)));
    const __m256i n2 = _mm256_xor_si256(_mm256_xor_si256(hi0, c3), _mm256_set1_epi32(static_cast<int>(k1)));
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
  }
}

// Words 0–3 of 8 samples at once (AVX2): blocks 0 and 1 side by side (two independent chains), then each
// sample's four words gathered into one 256-bit store.
__attribute__((target("avx2"))) void avx2_words(const StreamKey& key, std::uint64_t first, std::size_t n,
                                                std::uint64_t* out) noexcept {
  alignas(32) std::uint64_t tail[4 * 8];
  for (std::size_t j0 = 0; j0 < n; j0 += 8) {
    const std::size_t m = n - j0 < 8 ? n - j0 : 8;
    __m256i a0, a1;
    avx2_counters(first + j0, a0, a1);
    __m256i a2 = _mm256_setzero_si256(), a3 = _mm256_set1_epi32(static_cast<int>(key.c3));
    __m256i b0 = a0, b1 = a1, b2 = _mm256_set1_epi32(1), b3 = a3;
    avx2_philox(a0, a1, a2, a3, key.k0, key.k1);
    avx2_philox(b0, b1, b2, b3, key.k0, key.k1);
    // 64-bit words: (o0 | o1·2³²) and (o2 | o3·2³²) of each block, for samples 0, 1, 4, 5 and 2, 3, 6, 7.
    const __m256i w0_0145 = _mm256_unpacklo_epi32(a0, a1), w0_2367 = _mm256_unpackhi_epi32(a0, a1);
    const __m256i w1_0145 = _mm256_unpacklo_epi32(a2, a3), w1_2367 = _mm256_unpackhi_epi32(a2, a3);
    const __m256i w2_0145 = _mm256_unpacklo_epi32(b0, b1), w2_2367 = _mm256_unpackhi_epi32(b0, b1);
    const __m256i w3_0145 = _mm256_unpacklo_epi32(b2, b3), w3_2367 = _mm256_unpackhi_epi32(b2, b3);
    // Per sample pairs (w0, w1) and (w2, w3); then the two 128-bit halves of each sample's four words.
    const __m256i p01_04 = _mm256_unpacklo_epi64(w0_0145, w1_0145), p01_15 = _mm256_unpackhi_epi64(w0_0145, w1_0145);
    const __m256i p23_04 = _mm256_unpacklo_epi64(w2_0145, w3_0145), p23_15 = _mm256_unpackhi_epi64(w2_0145, w3_0145);
    const __m256i p01_26 = _mm256_unpacklo_epi64(w0_2367, w1_2367), p01_37 = _mm256_unpackhi_epi64(w0_2367, w1_2367);
    const __m256i p23_26 = _mm256_unpacklo_epi64(w2_2367, w3_2367), p23_37 = _mm256_unpackhi_epi64(w2_2367, w3_2367);
    std::uint64_t* dst = m == 8 ? out + 4 * j0 : tail;
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 0), _mm256_permute2x128_si256(p01_04, p23_04, 0x20));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 16), _mm256_permute2x128_si256(p01_04, p23_04, 0x31));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 4), _mm256_permute2x128_si256(p01_15, p23_15, 0x20));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 20), _mm256_permute2x128_si256(p01_15, p23_15, 0x31));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 8), _mm256_permute2x128_si256(p01_26, p23_26, 0x20));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 24), _mm256_permute2x128_si256(p01_26, p23_26, 0x31));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 12), _mm256_permute2x128_si256(p01_37, p23_37, 0x20));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 28), _mm256_permute2x128_si256(p01_37, p23_37, 0x31));
    if (m < 8)
      for (std::size_t k = 0; k < 4 * m; ++k) out[4 * j0 + k] = tail[k];
  }
}

// Block 0 of 8 samples (AVX2): words 0 and 1 of each, one 128-bit store per sample.
__attribute__((target("avx2"))) void avx2_words2(const StreamKey& key, std::uint64_t first, std::size_t n,
                                                 std::uint64_t* out) noexcept {
  alignas(32) std::uint64_t tail[2 * 8];
  for (std::size_t j0 = 0; j0 < n; j0 += 8) {
    const std::size_t m = n - j0 < 8 ? n - j0 : 8;
    __m256i a0, a1;
    avx2_counters(first + j0, a0, a1);
    __m256i a2 = _mm256_setzero_si256(), a3 = _mm256_set1_epi32(static_cast<int>(key.c3));
    avx2_philox(a0, a1, a2, a3, key.k0, key.k1);
    const __m256i w0_0145 = _mm256_unpacklo_epi32(a0, a1), w0_2367 = _mm256_unpackhi_epi32(a0, a1);
    const __m256i w1_0145 = _mm256_unpacklo_epi32(a2, a3), w1_2367 = _mm256_unpackhi_epi32(a2, a3);
    // [w0, w1] of samples 0 | 4, 1 | 5, 2 | 6, 3 | 7: two samples per register, one per 128-bit half.
    const __m256i p04 = _mm256_unpacklo_epi64(w0_0145, w1_0145), p15 = _mm256_unpackhi_epi64(w0_0145, w1_0145);
    const __m256i p26 = _mm256_unpacklo_epi64(w0_2367, w1_2367), p37 = _mm256_unpackhi_epi64(w0_2367, w1_2367);
    std::uint64_t* dst = m == 8 ? out + 2 * j0 : tail;
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 0), _mm256_permute2x128_si256(p04, p15, 0x20));   // 0, 1
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 4), _mm256_permute2x128_si256(p26, p37, 0x20));   // 2, 3
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 8), _mm256_permute2x128_si256(p04, p15, 0x31));   // 4, 5
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 12), _mm256_permute2x128_si256(p26, p37, 0x31));  // 6, 7
    if (m < 8)
      for (std::size_t k = 0; k < 2 * m; ++k) out[2 * j0 + k] = tail[k];
  }
}

// Philox4x32-10 of 8 counters held in 64-bit lanes (AVX-512F): each word sits in its lane's low half, so one
// _mm512_mul_epu32 gives a whole 32×32 → 64 product (its low half is the next word, its high half shifted down
// the other) and three-way XORs are one instruction. The lanes' high halves collect garbage that no low half
// ever reads (multiplies read low halves only; XOR is bitwise), and the words are masked on the way out.
struct Lanes8 {
  __m512i c0, c1, c2, c3;
};
__attribute__((target("avx512f"), always_inline)) inline void philox8(Lanes8& a, Lanes8& b, std::uint32_t k0,
                                                                      std::uint32_t k1) {
  const __m512i m0 = _mm512_set1_epi64(k_m0), m1 = _mm512_set1_epi64(k_m1);
  for (int r = 0; r < 10; ++r) {
    if (r > 0) {
      k0 += k_w0;
      k1 += k_w1;
    }
    const __m512i key0 = _mm512_set1_epi64(k0), key1 = _mm512_set1_epi64(k1);
    const __m512i pa0 = _mm512_mul_epu32(a.c0, m0), pa1 = _mm512_mul_epu32(a.c2, m1);
    const __m512i pb0 = _mm512_mul_epu32(b.c0, m0), pb1 = _mm512_mul_epu32(b.c2, m1);
    // 0x96: three-way XOR
    a.c0 = _mm512_ternarylogic_epi64(_mm512_srli_epi64(pa1, 32), a.c1, key0, 0x96);
    a.c2 = _mm512_ternarylogic_epi64(_mm512_srli_epi64(pa0, 32), a.c3, key1, 0x96);
    a.c1 = pa1;
    a.c3 = pa0;
    b.c0 = _mm512_ternarylogic_epi64(_mm512_srli_epi64(pb1, 32), b.c1, key0, 0x96);
    b.c2 = _mm512_ternarylogic_epi64(_mm512_srli_epi64(pb0, 32), b.c3, key1, 0x96);
    b.c1 = pb1;
    b.c3 = pb0;
  }
}

// The counters {sample, b, c3} of samples first … first + 7 in 64-bit lanes (low halves).
__attribute__((target("avx512f"), always_inline)) inline Lanes8 lanes8(std::uint64_t first, std::uint32_t b,
                                                                       std::uint32_t c3) {
  const __m512i s = _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(first)), _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7));
  return {s, _mm512_srli_epi64(s, 32), _mm512_set1_epi64(b), _mm512_set1_epi64(c3)};
}

// Word (lo | hi·2³²) of each lane from two lanes' low halves.
__attribute__((target("avx512f"), always_inline)) inline __m512i join8(__m512i lo, __m512i hi) {
  return _mm512_ternarylogic_epi64(lo, _mm512_slli_epi64(hi, 32), _mm512_set1_epi64(0xffffffff), 0xEC);  // (lo & m) | hi<<32
}

// Words 0 and 1 of 16 samples (two chains of eight), stored as each sample's pair.
__attribute__((target("avx512f"))) void avx512_words2(const StreamKey& key, std::uint64_t first, std::size_t n,
                                                            std::uint64_t* out) noexcept {
  alignas(64) std::uint64_t tail[2 * 16];
  const __m512i pair_lo = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11), pair_hi = _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15);
  for (std::size_t j0 = 0; j0 < n; j0 += 16) {
    const std::size_t m = n - j0 < 16 ? n - j0 : 16;
    Lanes8 a = lanes8(first + j0, 0, key.c3), b = lanes8(first + j0 + 8, 0, key.c3);
    philox8(a, b, key.k0, key.k1);
    std::uint64_t* dst = m == 16 ? out + 2 * j0 : tail;
    const __m512i aw0 = join8(a.c0, a.c1), aw1 = join8(a.c2, a.c3), bw0 = join8(b.c0, b.c1), bw1 = join8(b.c2, b.c3);
    _mm512_storeu_si512(dst + 0, _mm512_permutex2var_epi64(aw0, pair_lo, aw1));   // samples 0–3
    _mm512_storeu_si512(dst + 8, _mm512_permutex2var_epi64(aw0, pair_hi, aw1));   // 4–7
    _mm512_storeu_si512(dst + 16, _mm512_permutex2var_epi64(bw0, pair_lo, bw1));  // 8–11
    _mm512_storeu_si512(dst + 24, _mm512_permutex2var_epi64(bw0, pair_hi, bw1));  // 12–15
    if (m < 16)
      for (std::size_t k = 0; k < 2 * m; ++k) out[2 * j0 + k] = tail[k];
  }
}

// Words 0–3 of 8 samples (blocks 0 and 1 as the two chains), stored as each sample's four.
__attribute__((target("avx512f"))) void avx512_words(const StreamKey& key, std::uint64_t first, std::size_t n,
                                                           std::uint64_t* out) noexcept {
  alignas(64) std::uint64_t tail[4 * 8];
  const __m512i pair_lo = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11), pair_hi = _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15);
  const __m512i quad_lo = _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11), quad_hi = _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15);
  for (std::size_t j0 = 0; j0 < n; j0 += 8) {
    const std::size_t m = n - j0 < 8 ? n - j0 : 8;
    Lanes8 a = lanes8(first + j0, 0, key.c3), b = lanes8(first + j0, 1, key.c3);
    philox8(a, b, key.k0, key.k1);
    std::uint64_t* dst = m == 8 ? out + 4 * j0 : tail;
    const __m512i w0 = join8(a.c0, a.c1), w1 = join8(a.c2, a.c3), w2 = join8(b.c0, b.c1), w3 = join8(b.c2, b.c3);
    const __m512i p01_lo = _mm512_permutex2var_epi64(w0, pair_lo, w1), p01_hi = _mm512_permutex2var_epi64(w0, pair_hi, w1);
    const __m512i p23_lo = _mm512_permutex2var_epi64(w2, pair_lo, w3), p23_hi = _mm512_permutex2var_epi64(w2, pair_hi, w3);
    _mm512_storeu_si512(dst + 0, _mm512_permutex2var_epi64(p01_lo, quad_lo, p23_lo));   // samples 0, 1
    _mm512_storeu_si512(dst + 8, _mm512_permutex2var_epi64(p01_lo, quad_hi, p23_lo));   // 2, 3
    _mm512_storeu_si512(dst + 16, _mm512_permutex2var_epi64(p01_hi, quad_lo, p23_hi));  // 4, 5
    _mm512_storeu_si512(dst + 24, _mm512_permutex2var_epi64(p01_hi, quad_hi, p23_hi));  // 6, 7
    if (m < 8)
      for (std::size_t k = 0; k < 4 * m; ++k) out[4 * j0 + k] = tail[k];
  }
}

#endif

}  // namespace

void stream_words(SimdLevel level, const StreamKey& key, std::uint64_t first, std::size_t n, std::uint64_t* out) noexcept {
#if defined(__x86_64__)
  if (level == SimdLevel::avx512) return avx512_words(key, first, n, out);
  if (level == SimdLevel::avx2) return avx2_words(key, first, n, out);
#endif
  (void)level;  // (SSE2: the scalar words; four 32-bit lanes with emulated blends measured slower)
  scalar_words(key, first, n, out);
}

void stream_words2(SimdLevel level, const StreamKey& key, std::uint64_t first, std::size_t n, std::uint64_t* out) noexcept {
#if defined(__x86_64__)
  if (level == SimdLevel::avx512) return avx512_words2(key, first, n, out);
  if (level == SimdLevel::avx2) return avx2_words2(key, first, n, out);
#endif
  (void)level;  // (SSE2: the scalar words, as stream_words)
  scalar_words2(key, first, n, out);
}

}  // namespace tamcarlo
