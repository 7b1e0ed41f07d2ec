#include "sim/stats/histogram.hpp"

#include "sim/stats/order_stats.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace tamcarlo {

namespace {
constexpr std::size_t k_max_atoms = 32;
constexpr std::size_t k_all_atoms = 20;  // at most this many distinct values: every one is an atom
}  // namespace

HistogramLayout HistogramLayout::place(std::span<const double> sorted) {
  HistogramLayout h;
  const std::size_t n = sorted.size();
  if (n == 0) return h;
  // Runs of equal values: an atom holds ≥ 1% of the sample (every value when there are few distinct ones). Only the
  // runs that can become atoms are kept (no copy of the sample: a pilot of 8 Mi values is 64 MB).
  using Range = std::pair<std::size_t, std::size_t>;  // [begin, end) in `sorted`
  std::vector<Range> first, heavy;
  const std::size_t least = std::max<std::size_t>(1, (n + 99) / 100);
  std::size_t distinct = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i + 1;
    while (j < n && sorted[j] == sorted[i]) ++j;
    ++distinct;
    if (first.size() <= k_all_atoms) first.emplace_back(i, j);
    if (j - i >= least && heavy.size() < k_max_atoms) heavy.emplace_back(i, j);
    i = j;
  }
  std::vector<Range> atoms = distinct <= k_all_atoms ? first : heavy;
  if (atoms.size() > k_max_atoms) atoms.resize(k_max_atoms);
  std::size_t in_atoms = 0;
  for (const auto& [b, e] : atoms) {
    h.atoms.push_back(sorted[b]);
    in_atoms += e - b;
  }
  // The values that are not atoms, read in place: the k-th of them skips the atoms' ranges before it.
  const std::size_t r = n - in_atoms;
  const auto rest_at = [&](std::size_t k) {
    for (const auto& [b, e] : atoms)
      if (k >= b) k += e - b;
    return sorted[k];
  };
  if (r < 2) {
    h.lo = h.atoms.front();
    h.hi = h.atoms.back();
    return h;
  }
  const auto q = [&](double p) { return rest_at(static_cast<std::size_t>(p * static_cast<double>(r - 1))); };
  const double rest_front = rest_at(0), rest_back = rest_at(r - 1);
  h.bins = k_bins;
  h.lo = q(0.001);
  h.hi = q(0.999);
  h.log = r > 100 && rest_front > 0 && q(0.99) >= 100 * q(0.01);
  if (h.log) {
    // Bins of 2^shift keys (a shift, not a division, per value): the fewest that cover P0.1–P99.9 in k_bins bins.
    h.key_lo = order_key(h.lo);
    const std::uint64_t span = order_key(h.hi) - h.key_lo + 1, per_bin = (span + h.bins - 1) / h.bins;
    h.key_shift = static_cast<unsigned>(std::bit_width(per_bin - 1));
    h.bins = static_cast<std::uint32_t>((span + (std::uint64_t{1} << h.key_shift) - 1) >> h.key_shift);
    h.hi = key_value(h.key_lo + (std::uint64_t{h.bins} << h.key_shift) - 1);
    return h;
  }
  const double pad = 0.02 * (h.hi - h.lo);  // a margin, but never beyond the sample's own range (a MOIC's 0)
  h.lo = std::max(h.lo - pad, rest_front);
  h.hi = std::min(h.hi + pad, rest_back);
  if (!(h.hi > h.lo)) h.hi = h.lo + std::max(std::abs(h.lo), 1.0) * 1e-9;
  h.inv_width = h.bins / (h.hi - h.lo);
  return h;
}

std::size_t HistogramLayout::slot(double x) const noexcept {
  const std::size_t a = atoms.size();
  if (a != 0) {
    const auto it = std::lower_bound(atoms.begin(), atoms.end(), x);
    if (it != atoms.end() && *it == x) return static_cast<std::size_t>(it - atoms.begin());
  }
  if (bins == 0) return x < lo ? a : a + 1;  // below the smallest atom, or anywhere else
  if (log) {
    const std::uint64_t k = order_key(x);
    if (k < key_lo) return a;
    const std::uint64_t b = (k - key_lo) >> key_shift;
    return b < bins ? a + 1 + static_cast<std::size_t>(b) : a + 1 + bins;
  }
  // 1 + the bin: (x − lo)·bins/(hi − lo) clamped to [−1, bins], plus 1, truncated (no floor call: the block counter
  // computes exactly this, vectorized); 0 below the bins, bins + 1 above.
  return a + static_cast<std::size_t>(std::clamp((x - lo) * inv_width, -1.0, static_cast<double>(bins)) + 1.0);
}

std::vector<double> HistogramLayout::edges() const {
  std::vector<double> e(bins + 1);
  for (std::uint32_t b = 0; b <= bins; ++b)
    e[b] = log ? key_value(key_lo + (std::uint64_t{b} << key_shift)) : lo + (hi - lo) * b / bins;
  return e;
}

HistogramCounter::HistogramCounter(const HistogramLayout& layout)
    : layout_(&layout), stride_(layout.slots() + 1), table_(4 * stride_, 0) {}

void HistogramCounter::add(std::span<const double> x, bool all_finite) {
  const HistogramLayout& l = *layout_;
  if (!l.atoms.empty() || l.bins == 0) {  // point masses: the general slot()
    for (const double v : x)
      if (std::isfinite(v)) ++table_[l.slot(v)];
    return;
  }
  // No point masses: slot 0 below, 1 + bin, bins + 1 above. Slots are computed branch-free as if every value were
  // finite (a vectorizable loop; NaN and −inf land below, +inf above); unless the caller knows every value is finite
  // (the block's moments counted none), the non-finite ones are then taken back out.
  constexpr std::size_t k_chunk = 256;
  const auto top = static_cast<double>(l.bins);
  const double lo = l.lo, inv = l.inv_width;
  std::uint32_t idx[k_chunk];
  std::uint64_t* t = table_.data();
  for (std::size_t at = 0; at < x.size(); at += k_chunk) {
    const std::size_t m = std::min(k_chunk, x.size() - at);
    const double* v = x.data() + at;
    if (l.log) {
      const std::uint64_t key_lo = l.key_lo, last = std::uint64_t{l.bins} + 1;
      const unsigned shift = l.key_shift;
      for (std::size_t i = 0; i < m; ++i) {
        const std::uint64_t k = order_key(v[i]);
        const std::uint64_t b = k < key_lo ? 0 : ((k - key_lo) >> shift) + 1;
        idx[i] = static_cast<std::uint32_t>(b < last ? b : last);
      }
    } else {
      for (std::size_t i = 0; i < m; ++i) {
        double u = (v[i] - lo) * inv;  // slot()'s expression: clamp to [−1, bins], plus 1, truncate
        u = u > -1.0 ? u : -1.0;       // (NaN: −1)
        u = u < top ? u : top;
        idx[i] = static_cast<std::uint32_t>(static_cast<std::int32_t>(u + 1.0));
      }
    }
    for (std::size_t i = 0; i < m; ++i) ++t[(i & 3) * stride_ + idx[i]];
    if (!all_finite)
      for (std::size_t i = 0; i < m; ++i)
        if (!std::isfinite(v[i])) --t[(i & 3) * stride_ + idx[i]];
  }
}

void HistogramCounter::add_weighted(std::span<const double> x, const std::uint64_t* units) {
  for (std::size_t i = 0; i < x.size(); ++i)
    if (units[i] != 0 && std::isfinite(x[i])) table_[layout_->slot(x[i])] += units[i];
}

std::vector<std::uint64_t> HistogramCounter::counts() const {
  std::vector<std::uint64_t> out(stride_ - 1, 0);
  for (std::size_t j = 0; j < 4; ++j)
    for (std::size_t s = 0; s + 1 < stride_; ++s) out[s] += table_[j * stride_ + s];
  return out;
}

void count_histogram(const HistogramLayout& layout, std::span<const double> x, std::vector<std::uint64_t>& counts) {
  HistogramCounter c(layout);
  c.add(x);
  const auto add = c.counts();
  for (std::size_t s = 0; s < counts.size() && s < add.size(); ++s) counts[s] += add[s];
}

}  // namespace tamcarlo
