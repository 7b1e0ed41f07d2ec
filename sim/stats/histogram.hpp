// A fixed-size histogram of one column for charts, kept by the streaming passes whatever N is and whether or not the
// samples are stored. Its bins are placed once, from a sorted sample (the pilot's values, or all of a short run's),
// so that every process places the same; counts are integers, so any split of the blocks merges to the same bits.
// Values that the sample saw at 1% or more each (a MOIC of 0 when the company fails, a repaid preference) are
// counted apart as point masses, never smeared into a bin; a positive column whose P99 is 100 times its P1 or more
// gets bins of equal width in order_key, which for positive doubles is nearly equal width in log(x).
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace tamcarlo {

/// Where a histogram puts each finite value: its slots are the atoms, then "below", the bins, then "above".
struct HistogramLayout {
  std::vector<double> atoms;       ///< sorted values counted apart (point masses)
  std::uint32_t bins = 0;          ///< 0 when the sample held nothing but atoms
  bool log = false;                ///< bins of equal order_key width (positive values) instead of equal width
  double lo = 0, hi = 0;           ///< the binned range [lo, hi)
  double inv_width = 0;            ///< linear: bins / (hi − lo)
  std::uint64_t key_lo = 0;        ///< log: bin b holds keys [key_lo + b·2^key_shift, key_lo + (b+1)·2^key_shift)
  unsigned key_shift = 0;

  /// Bins per histogram (about the resolution of a full-width chart; a log layout has between half as many and these).
  static constexpr std::uint32_t k_bins = 200;
  /// A layout for the values of `sorted` (finite, ascending, not empty): atoms are values with ≥ 1% of them (every
  /// distinct value when there are at most 20), up to 32; bins cover the other values' P0.1–P99.9 (linear: widened
  /// by 2% of that range on each side, within the sample's range).
  [[nodiscard]] static HistogramLayout place(std::span<const double> sorted);
  /// Slots: atoms, below, bins, above.
  [[nodiscard]] std::size_t slots() const noexcept { return atoms.size() + bins + 2; }
  /// The slot of finite value x.
  [[nodiscard]] std::size_t slot(double x) const noexcept;
  /// The bins' bin + 1 edges (log: the values of the bins' first keys, and of the last one's end).
  [[nodiscard]] std::vector<double> edges() const;
};

/// A finished histogram: the layout and the count in each of its slots (atoms, below, bins, above).
struct Histogram {
  HistogramLayout layout;
  std::vector<std::uint64_t> counts;  ///< samples; in a conditioned run, weight units (k_weight_unit each)
  bool weighted = false;              ///< counts are weight units
};

/// Counts values into a layout's slots as slot() places them, fast: slots computed branch-free a chunk at a time, then
/// counted into four interleaved tables (so runs of one bin do not serialize); one per thread, kept across blocks.
class HistogramCounter {
 public:
  explicit HistogramCounter(const HistogramLayout& layout);
  /// Adds the finite values of `x`; `all_finite` (every value of x is finite) skips their check.
  void add(std::span<const double> x, bool all_finite = false);
  /// A conditioned run's: adds units[i] (weight units, k_weight_unit each) to the slot of each finite x[i].
  void add_weighted(std::span<const double> x, const std::uint64_t* units);
  /// The count per slot (layout.slots() long).
  [[nodiscard]] std::vector<std::uint64_t> counts() const;

 private:
  const HistogramLayout* layout_;
  std::size_t stride_;                // slots + a spare one for non-finite values
  std::vector<std::uint64_t> table_;  // four tables of stride_
};

/// Adds the finite values of `x` to `counts` (layout.slots() long), as slot() places them.
void count_histogram(const HistogramLayout& layout, std::span<const double> x, std::vector<std::uint64_t>& counts);

}  // namespace tamcarlo
