#include "sim/stats/order_stats.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>

namespace tamcarlo {

std::uint64_t order_key(double x) noexcept {
  if (x == 0) x = 0.0;  // −0 and +0 are one value
  const auto u = std::bit_cast<std::uint64_t>(x);
  return (u >> 63) != 0 ? ~u : u | (std::uint64_t{1} << 63);
}

double key_value(std::uint64_t key) noexcept {
  const std::uint64_t u = (key >> 63) != 0 ? key & ~(std::uint64_t{1} << 63) : ~key;
  return std::bit_cast<double>(u);
}

std::size_t Layout::region(std::uint64_t key) const noexcept {
  if (starts.size() <= 16) {  // few regions: a branch-free scan beats a binary search
    std::size_t r = 0;
    for (std::size_t i = 1; i < starts.size(); ++i) r += starts[i] <= key;
    return r;
  }
  return static_cast<std::size_t>(std::upper_bound(starts.begin(), starts.end(), key) - starts.begin()) - 1;
}

Layout Layout::make(std::vector<std::uint64_t> cuts, const std::vector<Interval>& intervals) {
  for (const auto& iv : intervals) {
    cuts.push_back(iv.first);
    if (iv.last != k_max_key) cuts.push_back(iv.last + 1);
  }
  cuts.push_back(0);
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  Layout l;
  l.starts = std::move(cuts);
  const std::size_t n = l.starts.size();
  l.bins.assign(n, 0);
  l.collect.assign(n, 0);
  l.bin_offset.assign(n, 0);
  l.bin_width.assign(n, 0);
  l.collect_slot.assign(n, 0);
  for (std::size_t r = 0; r < n; ++r) {
    const std::uint64_t first = l.starts[r], last = l.last_key(r);
    for (const auto& iv : intervals) {
      if (first < iv.first || first > iv.last) continue;
      if (iv.collect && last > first) {  // a single key needs no collecting: its value is the key
        l.collect[r] = 1;
        l.collect_slot[r] = static_cast<std::uint32_t>(l.collected_regions++);
      } else if (iv.bins > 1 && last > first) {
        const std::uint64_t span_minus_one = last - first;  // keys in the region − 1 (no overflow)
        const std::uint64_t width = span_minus_one / iv.bins + 1;
        l.bins[r] = static_cast<std::uint32_t>(span_minus_one / width + 1);
        l.bin_width[r] = width;
        l.bin_offset[r] = l.total_bins;
        l.total_bins += l.bins[r];
      }
      break;
    }
  }
  return l;
}

LayoutCounts LayoutCounts::for_layout(const Layout& layout) {
  LayoutCounts c;
  c.region.assign(layout.starts.size(), 0);
  c.bin.assign(layout.total_bins, 0);
  c.collected.resize(layout.collected_regions);
  return c;
}

void LayoutCounts::merge(LayoutCounts&& o) {
  if (region.empty()) {
    *this = std::move(o);
    return;
  }
  for (std::size_t i = 0; i < region.size(); ++i) region[i] += o.region[i];
  for (std::size_t i = 0; i < bin.size(); ++i) bin[i] += o.bin[i];
  for (std::size_t i = 0; i < collected.size(); ++i)
    collected[i].insert(collected[i].end(), o.collected[i].begin(), o.collected[i].end());
}

void count_into(const Layout& layout, std::span<const double> x, LayoutCounts& counts) {
  for (const double v : x) {
    if (!std::isfinite(v)) continue;
    const std::uint64_t key = order_key(v);
    const std::size_t r = layout.region(key);
    ++counts.region[r];
    if (layout.bins[r] != 0) ++counts.bin[layout.bin_offset[r] + (key - layout.starts[r]) / layout.bin_width[r]];
    else if (layout.collect[r] != 0) counts.collected[layout.collect_slot[r]].push_back(v);
  }
}

RankCell locate(const Layout& layout, LayoutCounts& counts, std::uint64_t rank) {
  std::uint64_t before = 0;
  for (std::size_t r = 0; r < layout.starts.size(); ++r) {
    const std::uint64_t in = counts.region[r];
    if (rank >= before + in) {
      before += in;
      continue;
    }
    RankCell c;
    c.region = r;
    c.first = layout.starts[r];
    c.last = layout.last_key(r);
    c.count = in;
    if (layout.collect[r] != 0) {
      c.exact = c.region_exact = true;
      auto& values = counts.collected[layout.collect_slot[r]];
      const auto nth = values.begin() + static_cast<std::ptrdiff_t>(rank - before);
      std::nth_element(values.begin(), nth, values.end());
      c.value = *nth;
    } else if (c.first == c.last) {
      c.exact = c.region_exact = true;
      c.value = key_value(c.first);
    } else if (layout.bins[r] != 0) {
      const std::uint64_t* bin = counts.bin.data() + layout.bin_offset[r];
      std::uint64_t b = 0;
      while (rank >= before + bin[b]) before += bin[b++];
      c.first = layout.starts[r] + b * layout.bin_width[r];
      c.last = b + 1 == layout.bins[r] ? layout.last_key(r) : c.first + layout.bin_width[r] - 1;
      c.count = bin[b];
      if (c.first == c.last) {
        c.exact = true;
        c.value = key_value(c.first);
      }
    }
    return c;
  }
  throw std::logic_error("locate: rank beyond the counted values");
}

}  // namespace tamcarlo
