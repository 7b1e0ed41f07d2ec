#include "sim/random/philox_batch.hpp"


#if defined(__x86_64__)
#include <immintrin.h>
// GCC 12's AVX-512 headers warn about their own undefined merge operands (_mm512_mul_epu32 and others).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
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

// Philox4x32-10 of 4 counters (SSE2): lanes of c0..c3 are the counters' words.
void sse2_words(const StreamKey& key, std::uint64_t first, std::size_t n, std::uint64_t* out) noexcept {
  const __m128i m0 = _mm_set1_epi32(static_cast<int>(k_m0)), m1 = _mm_set1_epi32(static_cast<int>(k_m1));
  const __m128i odd = _mm_set_epi32(-1, 0, -1, 0);  // the high 32 bits of each 64-bit half
  // 32×32 → 64 products of the 4 lanes of a with m: low and high 32 bits of each, per lane.
  const auto mulhilo = [&](__m128i a, __m128i m, __m128i& lo, __m128i& hi) {
    const __m128i even = _mm_mul_epu32(a, m);                                       // lanes 0, 2
    const __m128i oddp = _mm_mul_epu32(_mm_srli_epi64(a, 32), _mm_srli_epi64(m, 32));  // lanes 1, 3
    lo = _mm_or_si128(_mm_andnot_si128(odd, even), _mm_and_si128(odd, _mm_slli_epi64(oddp, 32)));
    hi = _mm_or_si128(_mm_andnot_si128(odd, _mm_srli_epi64(even, 32)), _mm_and_si128(odd, oddp));
  };
  alignas(16) std::uint32_t w[4][4];
  for (std::size_t j0 = 0; j0 < n; j0 += 4) {
    const std::size_t m = n - j0 < 4 ? n - j0 : 4;
    alignas(16) std::uint32_t lo32[4], hi32[4];
    for (std::size_t k = 0; k < 4; ++k) {
      const std::uint64_t s = first + j0 + (k < m ? k : 0);
      lo32[k] = static_cast<std::uint32_t>(s);
      hi32[k] = static_cast<std::uint32_t>(s >> 32);
    }
    for (std::uint32_t b = 0; b < 2; ++b) {
      __m128i c0 = _mm_load_si128(reinterpret_cast<const __m128i*>(lo32));
      __m128i c1 = _mm_load_si128(reinterpret_cast<const __m128i*>(hi32));
      __m128i c2 = _mm_set1_epi32(static_cast<int>(b));
      __m128i c3 = _mm_set1_epi32(static_cast<int>(key.c3));
      std::uint32_t k0 = key.k0, k1 = key.k1;
      for (int r = 0; r < 10; ++r) {
        if (r > 0) {
          k0 += k_w0;
          k1 += k_w1;
        }
        __m128i lo0, hi0, lo1, hi1;
        mulhilo(c0, m0, lo0, hi0);
        mulhilo(c2, m1, lo1, hi1);
        const __m128i n0 = _mm_xor_si128(_mm_xor_si128(hi1, c1), _mm_set1_epi32(static_cast<int>(k0)));
        const __m128i n2 = _mm_xor_si128(_mm_xor_si128(hi0, c3), _mm_set1_epi32(static_cast<int>(k1)));
        c0 = n0;
        c1 = lo1;
        c2 = n2;
        c3 = lo0;
      }
      _mm_store_si128(reinterpret_cast<__m128i*>(w[0]), c0);
      _mm_store_si128(reinterpret_cast<__m128i*>(w[1]), c1);
      _mm_store_si128(reinterpret_cast<__m128i*>(w[2]), c2);
      _mm_store_si128(reinterpret_cast<__m128i*>(w[3]), c3);
      for (std::size_t k = 0; k < m; ++k) {
        out[4 * (j0 + k) + 2 * b] = w[0][k] | (std::uint64_t{w[1][k]} << 32);
        out[4 * (j0 + k) + 2 * b + 1] = w[2][k] | (std::uint64_t{w[3][k]} << 32);
      }
    }
  }
}

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

// The counters' low and high words of samples first … first + 15 (AVX-512F), built in registers (see avx2_counters).
__attribute__((target("avx512f"), always_inline)) inline void avx512_counters(std::uint64_t first, __m512i& lo,
                                                                              __m512i& hi) {
  const __m512i base = _mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(first)));
  lo = _mm512_add_epi32(base, _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
  const __mmask16 wrapped = _mm512_cmplt_epu32_mask(lo, base);
  const __m512i h = _mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(first >> 32)));
  hi = _mm512_mask_add_epi32(h, wrapped, h, _mm512_set1_epi32(1));
}

// 32×32 → 64 products of the 16 lanes of a with m (AVX-512F).
__attribute__((target("avx512f"), always_inline)) inline void avx512_mulhilo(__m512i a, __m512i m, __m512i& lo,
                                                                              __m512i& hi) {
  const __m512i even = _mm512_mul_epu32(a, m);
  const __m512i oddp = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), _mm512_srli_epi64(m, 32));
  lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(oddp, 32));
  hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), oddp);
}

// Ten Philox4x32 rounds of 16 counters (AVX-512F).
__attribute__((target("avx512f"), always_inline)) inline void avx512_philox(__m512i& c0, __m512i& c1, __m512i& c2,
                                                                            __m512i& c3, std::uint32_t k0,
                                                                            std::uint32_t k1) {
  const __m512i m0 = _mm512_set1_epi32(static_cast<int>(k_m0)), m1 = _mm512_set1_epi32(static_cast<int>(k_m1));
  for (int r = 0; r < 10; ++r) {
    if (r > 0) {
      k0 += k_w0;
      k1 += k_w1;
    }
    __m512i lo0, hi0, lo1, hi1;
    avx512_mulhilo(c0, m0, lo0, hi0);
    avx512_mulhilo(c2, m1, lo1, hi1);
    const __m512i n0 = _mm512_xor_si512(_mm512_xor_si512(hi1, c1), _mm512_set1_epi32(static_cast<int>(k0)));
    const __m512i n2 = _mm512_xor_si512(_mm512_xor_si512(hi0, c3), _mm512_set1_epi32(static_cast<int>(k1)));
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
  }
}

// Words 0–3 of 16 samples at once (AVX-512F): blocks 0 and 1 side by side, then each sample's four words
// gathered into one 256-bit store.
__attribute__((target("avx512f"))) void avx512_words(const StreamKey& key, std::uint64_t first, std::size_t n,
                                                     std::uint64_t* out) noexcept {
  alignas(64) std::uint64_t tail[4 * 16];
  // Lanes of the unpacked pairs: 128-bit lane l holds samples 4l + {0, 1} (lo) or 4l + {2, 3} (hi); these
  // indices put two samples' (w0, w1) and (w2, w3) side by side: samples 4l and 4l + 4·(pair's second).
  const __m512i first_pair = _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0);
  const __m512i second_pair = _mm512_set_epi64(15, 14, 7, 6, 13, 12, 5, 4);
  for (std::size_t j0 = 0; j0 < n; j0 += 16) {
    const std::size_t m = n - j0 < 16 ? n - j0 : 16;
    __m512i a0, a1;
    avx512_counters(first + j0, a0, a1);
    __m512i a2 = _mm512_setzero_si512(), a3 = _mm512_set1_epi32(static_cast<int>(key.c3));
    __m512i b0 = a0, b1 = a1, b2 = _mm512_set1_epi32(1), b3 = a3;
    avx512_philox(a0, a1, a2, a3, key.k0, key.k1);
    avx512_philox(b0, b1, b2, b3, key.k0, key.k1);
    std::uint64_t* dst = m == 16 ? out + 4 * j0 : tail;
    // For lo (samples 4l, 4l + 1) and hi (4l + 2, 4l + 3): pairs (w0, w1) and (w2, w3) per sample.
    const __m512i w0[2] = {_mm512_unpacklo_epi32(a0, a1), _mm512_unpackhi_epi32(a0, a1)};
    const __m512i w1[2] = {_mm512_unpacklo_epi32(a2, a3), _mm512_unpackhi_epi32(a2, a3)};
    const __m512i w2[2] = {_mm512_unpacklo_epi32(b0, b1), _mm512_unpackhi_epi32(b0, b1)};
    const __m512i w3[2] = {_mm512_unpacklo_epi32(b2, b3), _mm512_unpackhi_epi32(b2, b3)};
    for (int h = 0; h < 2; ++h) {      // samples 4l + 2h + {0, 1}
      for (int e = 0; e < 2; ++e) {    // the first (e = 0) or second of that pair
        const __m512i p01 = e == 0 ? _mm512_unpacklo_epi64(w0[h], w1[h]) : _mm512_unpackhi_epi64(w0[h], w1[h]);
        const __m512i p23 = e == 0 ? _mm512_unpacklo_epi64(w2[h], w3[h]) : _mm512_unpackhi_epi64(w2[h], w3[h]);
        const std::size_t s = static_cast<std::size_t>(2 * h + e);  // sample 4l + s
        const __m512i x = _mm512_permutex2var_epi64(p01, first_pair, p23);   // samples s, s + 4
        const __m512i y = _mm512_permutex2var_epi64(p01, second_pair, p23);  // samples s + 8, s + 12
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 4 * s), _mm512_castsi512_si256(x));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 4 * (s + 4)), _mm512_extracti64x4_epi64(x, 1));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 4 * (s + 8)), _mm512_castsi512_si256(y));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 4 * (s + 12)), _mm512_extracti64x4_epi64(y, 1));
      }
    }
    if (m < 16)
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

// Block 0 of 16 samples (AVX-512F).
__attribute__((target("avx512f"))) void avx512_words2(const StreamKey& key, std::uint64_t first, std::size_t n,
                                                      std::uint64_t* out) noexcept {
  alignas(64) std::uint64_t tail[2 * 16];
  // Per 128-bit lane l the unpacked pairs hold samples 4l + {0, 1} (lo) and 4l + {2, 3} (hi); these put
  // samples 4l + e and 4l + e + 1 … in order: lanes of p_e (samples 4l + e) and p_{e+1}.
  const __m512i lanes01 = _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0);
  const __m512i lanes23 = _mm512_set_epi64(15, 14, 7, 6, 13, 12, 5, 4);
  for (std::size_t j0 = 0; j0 < n; j0 += 16) {
    const std::size_t m = n - j0 < 16 ? n - j0 : 16;
    __m512i a0, a1;
    avx512_counters(first + j0, a0, a1);
    __m512i a2 = _mm512_setzero_si512(), a3 = _mm512_set1_epi32(static_cast<int>(key.c3));
    avx512_philox(a0, a1, a2, a3, key.k0, key.k1);
    const __m512i w0lo = _mm512_unpacklo_epi32(a0, a1), w0hi = _mm512_unpackhi_epi32(a0, a1);
    const __m512i w1lo = _mm512_unpacklo_epi32(a2, a3), w1hi = _mm512_unpackhi_epi32(a2, a3);
    const __m512i p0 = _mm512_unpacklo_epi64(w0lo, w1lo), p1 = _mm512_unpackhi_epi64(w0lo, w1lo);  // 4l, 4l + 1
    const __m512i p2 = _mm512_unpacklo_epi64(w0hi, w1hi), p3 = _mm512_unpackhi_epi64(w0hi, w1hi);  // 4l + 2, 4l + 3
    std::uint64_t* dst = m == 16 ? out + 2 * j0 : tail;
    // Samples 0, 1 | 4, 5 (lanes 0, 1 of p0, p1), 8, 9 | 12, 13; then 2, 3 | 6, 7, 10, 11 | 14, 15.
    const __m512i a = _mm512_permutex2var_epi64(p0, lanes01, p1), b = _mm512_permutex2var_epi64(p0, lanes23, p1);
    const __m512i c = _mm512_permutex2var_epi64(p2, lanes01, p3), d = _mm512_permutex2var_epi64(p2, lanes23, p3);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 0), _mm512_castsi512_si256(a));       // samples 0, 1
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 8), _mm512_extracti64x4_epi64(a, 1));  // 4, 5
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 16), _mm512_castsi512_si256(b));      // 8, 9
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 24), _mm512_extracti64x4_epi64(b, 1));  // 12, 13
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 4), _mm512_castsi512_si256(c));       // 2, 3
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 12), _mm512_extracti64x4_epi64(c, 1));  // 6, 7
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 20), _mm512_castsi512_si256(d));      // 10, 11
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 28), _mm512_extracti64x4_epi64(d, 1));  // 14, 15
    if (m < 16)
      for (std::size_t k = 0; k < 2 * m; ++k) out[2 * j0 + k] = tail[k];
  }
}

#endif

}  // namespace

SimdLevel best_simd_level() noexcept {
#if defined(__x86_64__)
  // (The SSE2 path, four 32-bit lanes with emulated blends, measured slower than the scalar one's 64-bit
  // multiplies: it is kept, and tested, but not chosen.)
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

void stream_words(SimdLevel level, const StreamKey& key, std::uint64_t first, std::size_t n, std::uint64_t* out) noexcept {
#if defined(__x86_64__)
  if (level == SimdLevel::avx512) return avx512_words(key, first, n, out);
  if (level == SimdLevel::avx2) return avx2_words(key, first, n, out);
  if (level == SimdLevel::sse2) return sse2_words(key, first, n, out);
#endif
  (void)level;
  scalar_words(key, first, n, out);
}

void stream_words2(SimdLevel level, const StreamKey& key, std::uint64_t first, std::size_t n, std::uint64_t* out) noexcept {
#if defined(__x86_64__)
  if (level == SimdLevel::avx512) return avx512_words2(key, first, n, out);
  if (level == SimdLevel::avx2) return avx2_words2(key, first, n, out);
#endif
  (void)level;  // (SSE2: the scalar path, which it does not beat)
  scalar_words2(key, first, n, out);
}

}  // namespace tamcarlo
