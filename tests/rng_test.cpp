#include "sim/random/rng.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <vector>

using namespace tamcarlo;

TEST_CASE("Philox4x64-10 matches Random123's published known-answer vectors", "[rng]") {
  using P = r123::Philox4x64;
  const P::ctr_type zero_ctr = {{0, 0, 0, 0}};
  const P::key_type zero_key = {{0, 0}};
  const P::ctr_type r0 = P{}(zero_ctr, zero_key);
  CHECK(r0.v[0] == 0x16554d9eca36314cULL);
  CHECK(r0.v[1] == 0xdb20fe9d672d0fdcULL);
  CHECK(r0.v[2] == 0xd7e772cee186176bULL);
  CHECK(r0.v[3] == 0x7e68b68aec7ba23bULL);
  const P::ctr_type pi_ctr = {{0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL, 0xa4093822299f31d0ULL, 0x082efa98ec4e6c89ULL}};
  const P::key_type pi_key = {{0x452821e638d01377ULL, 0xbe5466cf34e90c6cULL}};
  const P::ctr_type r1 = P{}(pi_ctr, pi_key);
  CHECK(r1.v[0] == 0xa528f45403e61d95ULL);
  CHECK(r1.v[1] == 0x38c72dbd566e9788ULL);
  CHECK(r1.v[2] == 0xa5a1610e72fd18b5ULL);
  CHECK(r1.v[3] == 0x57bd43b5e52b7fe6ULL);
}

TEST_CASE("Philox4x32-10 matches Random123's published known-answer vectors", "[rng]") {
  // Random123 1.09 tests/kat_vectors: counter, key → output.
  using P = r123::Philox4x32;
  struct Kat {
    P::ctr_type ctr;
    P::key_type key;
    std::array<std::uint32_t, 4> out;
  };
  const Kat kats[] = {
      {{{0, 0, 0, 0}}, {{0, 0}}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}}, {{0xffffffff, 0xffffffff}},
       {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}}, {{0xa4093822, 0x299f31d0}},
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const Kat& k : kats) {
    const P::ctr_type r = P{}(k.ctr, k.key);
    for (int i = 0; i < 4; ++i) CHECK(r.v[i] == k.out[static_cast<std::size_t>(i)]);
    // The batch generator on the same counter: sample = c0 | c1·2³², block c2 (a KAT with c2 ∈ {0, 1}).
    if (k.ctr.v[2] > 1) continue;
    const StreamKey key{k.key.v[0], k.key.v[1], k.ctr.v[3]};
    const std::uint64_t sample = k.ctr.v[0] | (std::uint64_t{k.ctr.v[1]} << 32);
    for (const SimdLevel level : {SimdLevel::scalar, SimdLevel::sse2, SimdLevel::avx2, SimdLevel::avx512}) {
      if (!simd_supported(level)) continue;
      std::uint64_t words[4];
      stream_words(level, key, sample, 1, words);
      CHECK(words[2 * k.ctr.v[2]] == (k.out[0] | (std::uint64_t{k.out[1]} << 32)));
      CHECK(words[2 * k.ctr.v[2] + 1] == (k.out[2] | (std::uint64_t{k.out[3]} << 32)));
    }
  }
}

TEST_CASE("every SIMD level gives the scalar Philox words, bit for bit", "[rng]") {
  INFO("the level chosen on this processor: " << simd_name(best_simd_level()));
  const std::vector<SimdLevel> levels = {SimdLevel::scalar, SimdLevel::sse2, SimdLevel::avx2, SimdLevel::avx512};
  // Odd lengths and starts: the vector loops' tails; a start near 2³² crosses into the counter's high word.
  for (const std::uint64_t first : {std::uint64_t{0}, std::uint64_t{12345}, (std::uint64_t{1} << 32) - 5}) {
    for (const std::size_t n : {std::size_t{1}, std::size_t{7}, std::size_t{64}, std::size_t{1001}}) {
      const StreamKey key = stream_key(first + 3, variable_id("salary"));
      std::vector<std::uint64_t> reference(4 * n);
      for (std::size_t j = 0; j < n; ++j) {
        stream_block(key, first + j, 0, &reference[4 * j]);
        stream_block(key, first + j, 1, &reference[4 * j + 2]);
      }
      for (const SimdLevel level : levels) {
        if (!simd_supported(level)) {
          WARN("this processor lacks " << simd_name(level) << ": that path is not checked here");
          continue;
        }
        std::vector<std::uint64_t> got(4 * n), two(2 * n);
        stream_words(level, key, first, n, got.data());
        INFO(simd_name(level) << ", first " << first << ", n " << n);
        CHECK(got == reference);
        stream_words2(level, key, first, n, two.data());  // block 0 alone
        for (std::size_t j = 0; j < n; ++j) {
          CHECK(two[2 * j] == reference[4 * j]);
          CHECK(two[2 * j + 1] == reference[4 * j + 1]);
        }
      }
    }
  }
}

TEST_CASE("a sample stream is Philox4x32 keyed by (seed, variable id), counter {sample, block, id}", "[rng]") {
  using P = r123::Philox4x32;
  const std::uint64_t sample = (std::uint64_t{3} << 32) | 12345;
  SampleStream s(7, 11, sample);
  const StreamKey key = stream_key(7, 11);
  CHECK(key.c3 == 0);  // 11's high half
  for (std::uint32_t b = 0; b < 4; ++b) {
    const P::ctr_type o = P{}({{12345, 3, b, key.c3}}, {{key.k0, key.k1}});
    CHECK(s() == (o.v[0] | (std::uint64_t{o.v[1]} << 32)));
    CHECK(s() == (o.v[2] | (std::uint64_t{o.v[3]} << 32)));
  }
  // Pinned: the key schedule is part of stream versions 2 and 3.
  CHECK(stream_key(0, 0).k0 == 0x7b1dcdafU);
  // A stream given its first words continues exactly as one that computed them.
  std::uint64_t first4[4];
  stream_words(best_simd_level(), stream_key(7, 11), sample, 1, first4);
  SampleStream a(7, 11, sample), b(stream_key(7, 11), sample, first4);
  for (int i = 0; i < 12; ++i) CHECK(a() == b());
}

TEST_CASE("variable ids are a stable function of the name", "[rng]") {
  // Pinned: changing the hash would change every result ever published with tamcarlo.
  CHECK(variable_id("salary") == variable_id(std::string("sal") + "ary"));
  CHECK(variable_id("salary") != variable_id("salary2"));
  CHECK(variable_id("") == 0xf52a15e9a9b5e89bULL);
  CHECK(variable_id("salary") == 0xf7ff244e8959d77cULL);
}

TEST_CASE("uniforms lie strictly inside (0, 1)", "[rng]") {
  double lo = 1, hi = 0;
  for (std::uint64_t i = 0; i < 100000; ++i) {
    SampleStream s(1, 2, i);
    const double u = s.uniform();
    lo = std::min(lo, u);
    hi = std::max(hi, u);
  }
  CHECK(lo > 0.0);
  CHECK(hi < 1.0);
  CHECK(lo < 1e-4);
  CHECK(hi > 1 - 1e-4);
}

TEST_CASE("the word-to-uniform conversion never gives 0 or 1, at the all-zeros and all-ones words", "[rng]") {
  // Once (2⁵³ − 1 + ½)·2⁻⁵³ rounded to exactly 1.0 (ties to even), breaking the (0, 1) contract.
  const std::uint64_t ones = ~std::uint64_t{0};
  CHECK(SampleStream::to_unit(0) == 0x1p-54);
  CHECK(SampleStream::to_unit(ones) < 1.0);
  CHECK(SampleStream::to_unit(ones) == std::nextafter(1.0, 0.0));
  CHECK(SampleStream::to_unit(ones - 2048) == (0x1p53 - 2 + 0.5) * 0x1p-53);  // the next word down is unchanged
  CHECK(SampleStream::to_unit(std::uint64_t{1} << 63) == 0.5 + 0x1p-54);
}
