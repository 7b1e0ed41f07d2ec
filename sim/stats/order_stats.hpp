// Exact order statistics of a stream in bounded memory. Finite values are mapped to ordered 64-bit
// keys; a pass sorts each value into the regions of a Layout (count only, a histogram of equal key
// width, or collected), and the counts locate every wanted rank in a smaller key interval. Since
// the counter-based RNG re-draws any block on demand, a rank is narrowed pass by pass until it falls
// in a collected region or a single key, and the value there is the same order statistic an
// in-memory sort gives. Region sums (about a shift, for tail means) merge through BlockTree.
#pragma once
#include "sim/base/simd.hpp"

#include <atomic>
#include <bit>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace tamcarlo {

/// Monotone map of a finite double to an unsigned key (x < y ⇔ key(x) < key(y); −0 maps as +0).
[[nodiscard]] inline std::uint64_t order_key(double x) noexcept {
  const auto u = std::bit_cast<std::uint64_t>(x + 0.0);  // −0 + 0 = +0: one value
  // Negative: every bit flipped; positive: the sign bit set. Branch-free, so loops over keys vectorize.
  return u ^ (static_cast<std::uint64_t>(static_cast<std::int64_t>(u) >> 63) | (std::uint64_t{1} << 63));
}
/// Inverse of order_key (branch-free, as order_key).
[[nodiscard]] inline double key_value(std::uint64_t key) noexcept {
  // The sign bit set (a positive value): clear it; clear (a negative one): flip every bit.
  const auto set = static_cast<std::uint64_t>(static_cast<std::int64_t>(key) >> 63);
  return std::bit_cast<double>(key ^ (~set | (std::uint64_t{1} << 63)));
}

inline constexpr std::uint64_t k_max_key = std::numeric_limits<std::uint64_t>::max();

/// The regions one pass sorts a column's finite values into: region r holds the keys
/// [starts[r], starts[r + 1]) (the last up to k_max_key inclusive); starts[0] = 0.
struct Layout {
  std::vector<std::uint64_t> starts;
  std::vector<std::uint32_t> bins;    ///< per region: 0 = counted only, else histogram bins of equal key width
  std::vector<std::uint8_t> collect;  ///< per region: keep its values
  std::vector<std::uint64_t> bin_offset;  ///< per region: first index of its bins in the bin counts
  std::vector<std::uint64_t> bin_width;   ///< per region: keys per bin (the last bin may be shorter)
  std::uint64_t total_bins = 0;
  std::size_t collected_regions = 0;
  std::vector<std::uint32_t> collect_slot;  ///< per region: index among the collected regions

  /// The region holding `key`.
  [[nodiscard]] std::size_t region(std::uint64_t key) const noexcept;
  /// True when the layout keeps every finite value (one region, collected: a short run without a pilot).
  [[nodiscard]] bool collects_every_value() const noexcept { return starts.size() == 1 && collect[0] != 0; }
  /// Last key of region r.
  [[nodiscard]] std::uint64_t last_key(std::size_t r) const noexcept {
    return r + 1 < starts.size() ? starts[r + 1] - 1 : k_max_key;
  }
  /// Builds a layout from sorted cut points (each starts a region; 0 is added) and the intervals to
  /// histogram or collect (inclusive key intervals, disjoint, each aligned with cut points).
  struct Interval {
    std::uint64_t first = 0, last = 0;
    bool collect = false;
    std::uint32_t bins = 0;
  };
  static Layout make(std::vector<std::uint64_t> cuts, const std::vector<Interval>& intervals);
};

/// Integer results of a pass over one column (exact under any order of addition).
struct LayoutCounts {
  std::vector<std::uint64_t> region;  ///< values per region
  std::vector<std::uint64_t> bin;     ///< values per histogram bin
  std::vector<std::vector<double>> collected;  ///< values of each collected region, in no particular order
  /// Per collected region: partition bounds locate() has made in a large region (sorted positions b with every value
  /// before b ≤ every value from b on), so each selection searches only between two of them.
  std::vector<std::vector<std::size_t>> bounds;
  /// Per collected region: 1 once its values are in ascending order (locate() sorts a short region when it first reads
  /// a rank there, a short run's histogram every region), so a rank is read in place; empty when none is.
  std::vector<std::uint8_t> sorted;
  /// A weighted column's (a conditioned run): weight units per region and per bin, and per collected region each
  /// value's units beside `collected`; empty otherwise. Values of weight 0 are not counted at all.
  std::vector<std::uint64_t> region_units, bin_units;
  std::vector<std::vector<std::uint64_t>> collected_units;
  /// Per collected region of a weighted column: 1 once locate_weighted has sorted it by value and made its units
  /// cumulative.
  std::vector<std::uint8_t> cumulative;
  /// Empty counts for `layout` (with the weighted fields when `weighted`).
  static LayoutCounts for_layout(const Layout& layout, bool weighted = false);
  /// True for a weighted column's counts.
  [[nodiscard]] bool weighted() const noexcept { return !region_units.empty(); }
  /// Adds `o` (same layout).
  void merge(LayoutCounts&& o);
};

/// Sorts the finite values of `x` into `layout`'s regions, with the region search at `level` (the same counts at
/// every level).
void count_into(const Layout& layout, std::span<const double> x, LayoutCounts& counts,
                SimdLevel level = best_simd_level());

/// Counts the finite value v (whose order_key is `key`) of weight `units` > 0 into its region and its bin or collected
/// region, with its units (counts made by for_layout(layout, true)); returns the region.
inline std::size_t count_weighted(const Layout& layout, double v, std::uint64_t key, std::uint64_t units,
                                  LayoutCounts& counts) {
  const std::size_t r = layout.region(key);
  ++counts.region[r];
  counts.region_units[r] += units;
  if (layout.bins[r] != 0) {
    const std::uint64_t b = layout.bin_offset[r] + (key - layout.starts[r]) / layout.bin_width[r];
    ++counts.bin[b];
    counts.bin_units[b] += units;
  } else if (layout.collect[r] != 0) {
    counts.collected[layout.collect_slot[r]].push_back(v);
    counts.collected_units[layout.collect_slot[r]].push_back(units);
  }
  return r;
}

/// Sorts the finite values of `x` of weight units[i] > 0 into `layout`'s regions, adding 1 to the counts and units[i]
/// to the weighted fields (counts made by for_layout(layout, true)).
void count_into_weighted(const Layout& layout, std::span<const double> x, const std::uint64_t* units,
                         LayoutCounts& counts);

/// Where a rank (0-based among the sorted finite values) lies after a pass.
struct RankCell {
  bool exact = false;          ///< the value is known (a collected region, or a single key)
  double value = 0;            ///< when exact
  std::uint64_t first = 0, last = 0;  ///< the smallest known key interval holding the rank
  std::uint64_t count = 0;     ///< values in [first, last]
  std::size_t region = 0;      ///< the layout region holding it
  bool region_exact = false;   ///< exact, and the whole region is collected or a single key (tail sums apply)
};

/// x's positions in ascending order of value (ties in position order) beside the values so ordered.
struct SortedColumn {
  std::vector<std::uint32_t> at;  ///< at[i]: the position in x of the i-th smallest value
  std::vector<double> value;      ///< value[i] = x[at[i]] (−0 as +0)
};
/// x sorted by value (x finite, at most 2^32 values): a radix sort of the top bits of each order key's distance from
/// the smallest (22 bits in two passes up to 2^17 values, 32 in three beyond; all when the keys span fewer), then
/// each run sharing those bits by whole key. No cancel: about 3 ns a value at 10⁵.
[[nodiscard]] SortedColumn sort_column(std::span<const double> x);
/// Sorts finite values ascending by their order keys (−0 comes back as +0, one key), the keys held in v's own slots
/// and in `spare` (grown to v's size, reused across calls: no fresh memory after the first): up to 131,072 values a
/// radix sort of the top 22 bits of each key's distance from the smallest, then each run sharing them sorted whole;
/// beyond, a radix sort of every byte, polling `cancel` between its passes. Throws Interrupted (v's contents then unspecified).
void sort_values(std::span<double> v, std::vector<std::uint64_t>& spare, const std::atomic<bool>* cancel = nullptr);
/// sort_values with a spare of its own.
void sort_values(std::vector<double>& v, const std::atomic<bool>* cancel = nullptr);

/// Locates rank `r` (< the number of finite values counted); a collected region is sorted (a short one, radix) or
/// partly reordered (a large one: key buckets, then selection, O(size)) to put its value in place.
[[nodiscard]] RankCell locate(const Layout& layout, LayoutCounts& counts, std::uint64_t r);

/// Locates weight unit `r` (0-based, < the units counted) of a weighted column: the value whose units, in ascending
/// order of values (ties in any order: they share the value), cover r. RankCell::count is then the number of values
/// (not units) in [first, last]. A collected region is sorted once, on its first use.
[[nodiscard]] RankCell locate_weighted(const Layout& layout, LayoutCounts& counts, std::uint64_t r);

}  // namespace tamcarlo
