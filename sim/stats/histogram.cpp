#include "sim/stats/histogram.hpp"

#include "sim/stats/order_stats.hpp"

#include <algorithm>
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
  // Runs of equal values: an atom holds ≥ 1% of the sample (every value when there are few distinct ones).
  std::vector<std::pair<double, std::size_t>> runs;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && sorted[j] == sorted[i]) ++j;
    runs.emplace_back(sorted[i], j - i);
    i = j;
  }
  const std::size_t heavy = std::max<std::size_t>(1, (n + 99) / 100);
  for (const auto& [v, count] : runs)
    if ((runs.size() <= k_all_atoms || count >= heavy) && h.atoms.size() < k_max_atoms) h.atoms.push_back(v);
  std::vector<double> rest;
  rest.reserve(n);
  for (const double v : sorted)
    if (!std::binary_search(h.atoms.begin(), h.atoms.end(), v)) rest.push_back(v);
  if (rest.size() < 2) {
    h.lo = h.atoms.front();
    h.hi = h.atoms.back();
    return h;
  }
  const auto q = [&](double p) { return rest[static_cast<std::size_t>(p * static_cast<double>(rest.size() - 1))]; };
  h.bins = k_bins;
  h.lo = q(0.001);
  h.hi = q(0.999);
  h.log = rest.size() > 100 && rest.front() > 0 && q(0.99) >= 100 * q(0.01);
  if (h.log) {
    h.key_lo = order_key(h.lo);
    const std::uint64_t span = order_key(h.hi) - h.key_lo + 1;
    h.key_width = std::max<std::uint64_t>(1, (span + h.bins - 1) / h.bins);
    h.hi = key_value(h.key_lo + h.key_width * h.bins - 1);
    return h;
  }
  const double pad = 0.02 * (h.hi - h.lo);  // a margin, but never beyond the sample's own range (a MOIC's 0)
  h.lo = std::max(h.lo - pad, rest.front());
  h.hi = std::min(h.hi + pad, rest.back());
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
    const std::uint64_t b = (k - key_lo) / key_width;
    return b < bins ? a + 1 + static_cast<std::size_t>(b) : a + 1 + bins;
  }
  const double t = (x - lo) * inv_width;
  if (!(t >= 0)) return a;
  if (!(t < bins)) return a + 1 + bins;
  return a + 1 + static_cast<std::size_t>(t);
}

std::vector<double> HistogramLayout::edges() const {
  std::vector<double> e(bins + 1);
  for (std::uint32_t b = 0; b <= bins; ++b)
    e[b] = log ? key_value(key_lo + key_width * b) : lo + (hi - lo) * b / bins;
  return e;
}

void count_histogram(const HistogramLayout& layout, std::span<const double> x, std::vector<std::uint64_t>& counts) {
  for (const double v : x)
    if (std::isfinite(v)) ++counts[layout.slot(v)];
}

}  // namespace tamcarlo
