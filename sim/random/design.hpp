// Sampling designs: plain Monte Carlo, Latin hypercube, randomized Sobol' quasi-Monte Carlo.
//
// A design run splits its N samples into R independent replicates (replicate r holds samples
// [⌊rN/R⌋, ⌊(r+1)N/R⌋)); each replicate is one randomization of the design, so the spread of the R
// replicate means gives an honest standard error of the mean. Every coordinate is a pure function of
// (seed, input name, Sobol' dimension, N, R, sample index): any thread, rank or shard draws the same.
//   lhs:   u = (π(j) + v) / m, π a keyed pseudo-random permutation of the m strata (Feistel, cycle walking),
//          v the sample's own keyed uniform: every input has exactly one sample per stratum of 1/m.
//   sobol: the Joe–Kuo Sobol' points (Boost.Random's tables), scrambled per replicate by a random linear
//          matrix and a digital shift (Matoušek 1998), the digits below the 32nd filled from the sample's stream.
#pragma once
#include "sim/random/philox_batch.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace tamcarlo {

/// How a run places its samples ([scenario] design).
enum class DesignKind : std::uint8_t { mc, lhs, sobol };

/// "mc", "lhs" or "sobol".
[[nodiscard]] std::string_view design_name(DesignKind k) noexcept;
/// The kind named `name` ("mc", "lhs", "sobol"), if any.
[[nodiscard]] std::optional<DesignKind> design_kind(std::string_view name) noexcept;

/// Replicates of a design when the scenario does not say (t with 9 degrees of freedom: 2.262 for 95%).
inline constexpr std::uint32_t k_default_replicates = 10;
/// Most replicates a design may have.
inline constexpr std::uint32_t k_max_replicates = 10'000;
/// Dimensions a Sobol' design may have (Boost.Random's table: Joe & Kuo's, cut at 3667).
[[nodiscard]] std::uint32_t sobol_max_dimensions() noexcept;
/// Samples one Sobol' replicate may hold (32-bit digits).
inline constexpr std::uint64_t k_sobol_max_points = std::uint64_t{1} << 32;

/// A scenario's design: the kind and, for lhs and sobol, the number of independent replicates R ≥ 2.
struct Design {
  DesignKind kind = DesignKind::mc;
  std::uint32_t replicates = 0;  ///< 0 for mc
  [[nodiscard]] bool replicated() const noexcept { return kind != DesignKind::mc; }
};

/// The split of N samples into R replicates: replicate r holds samples [start(r), start(r + 1)), start(r) = ⌊rN/R⌋.
struct ReplicateSplit {
  std::uint64_t samples = 0;
  std::uint32_t replicates = 1;
  /// First sample of replicate r (r ≤ R; start(R) = N).
  [[nodiscard]] std::uint64_t start(std::uint32_t r) const noexcept;
  /// The replicate holding sample i < N.
  [[nodiscard]] std::uint32_t replicate_of(std::uint64_t i) const noexcept;
};

/// A keyed pseudo-random permutation of [0, m): a 4-round unbalanced Feistel network on the bits that hold m − 1
/// (halves of ⌊b/2⌋ and ⌈b/2⌉ bits that swap sizes each round; round function: Wellons' lowbias32 hash of the half
/// ⊕ the round key), cycle-walked back into [0, m) (under 2 rounds trips on average: 2^b < 2m).
class KeyedPermutation {
 public:
  /// The permutation of [0, m) under `key` (m ≥ 1).
  KeyedPermutation(std::uint64_t m, std::uint64_t key) noexcept;
  /// π(j), j < m.
  [[nodiscard]] std::uint64_t operator()(std::uint64_t j) const noexcept;
  /// out[k] = π(first + k) for k < out.size() (first + out.size() ≤ m): the same values as operator(), eight
  /// positions at a time in 32-bit vector lanes, the cycle walk too (integer arithmetic: the same bits at any vector
  /// width).
  void fill(std::uint64_t first, std::span<std::uint64_t> out) const noexcept;

 private:
  [[nodiscard]] std::uint64_t round_trip(std::uint64_t x) const noexcept;
  void fill_lanes(std::uint64_t first, std::span<std::uint64_t> out) const noexcept;  // fill's body, per build
  void fill_plain(std::uint64_t first, std::span<std::uint64_t> out) const noexcept;
  void fill_avx2(std::uint64_t first, std::span<std::uint64_t> out) const noexcept;
  std::uint64_t m_;
  unsigned low_bits_ = 1;                       // ⌈b/2⌉: the low half's width on entry
  std::array<std::uint32_t, 2> masks_{0, 1};    // the high half's mask in even and odd rounds
  std::array<std::uint32_t, 4> keys_{};
};

/// The 32 direction numbers of Sobol' dimension d (0-based; d = 0 is van der Corput), from Boost.Random's table.
[[nodiscard]] std::array<std::uint32_t, 32> sobol_directions(std::uint32_t d);

/// The unscrambled Sobol' point with index i in dimension d as 32 bits: XOR of the directions of i's set bits.
[[nodiscard]] std::uint32_t sobol_point(const std::array<std::uint32_t, 32>& directions, std::uint32_t i) noexcept;

/// One input's coordinate in a design over N samples: a uniform in (0, 1) per sample.
class DesignCoordinate {
 public:
  /// The coordinate of Sobol' dimension `dimension` (ignored by lhs) under `design` for a run of `samples`.
  DesignCoordinate(const Design& design, std::uint64_t samples, std::uint32_t dimension);
  /// u[j] = the coordinate of sample first + j for the input with id `var_id` under `seed` (first + u.size() ≤ N).
  void fill(std::uint64_t seed, std::uint64_t var_id, std::uint64_t first, std::span<double> u,
            SimdLevel level = best_simd_level()) const;

 private:
  Design design_;
  ReplicateSplit split_;
  std::array<std::uint32_t, 32> directions_{};
};

}  // namespace tamcarlo
