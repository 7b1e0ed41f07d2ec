#include "sim/stats/order_stats.hpp"

#include "sim/base/error.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace tamcarlo {

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

LayoutCounts LayoutCounts::for_layout(const Layout& layout, bool weighted) {
  LayoutCounts c;
  c.region.assign(layout.starts.size(), 0);
  c.bin.assign(layout.total_bins, 0);
  c.collected.resize(layout.collected_regions);
  if (weighted) {
    c.region_units.assign(layout.starts.size(), 0);
    c.bin_units.assign(layout.total_bins, 0);
    c.collected_units.resize(layout.collected_regions);
  }
  return c;
}

void LayoutCounts::merge(LayoutCounts&& o) {
  if (region.empty()) {
    *this = std::move(o);
    return;
  }
  for (std::size_t i = 0; i < region.size(); ++i) region[i] += o.region[i];
  for (std::size_t i = 0; i < bin.size(); ++i) bin[i] += o.bin[i];
  // (Appending to an empty region takes the other's values whole: no copy of a run's every value.)
  const auto append = [](auto& to, auto& from) {
    if (to.empty()) to = std::move(from);
    else to.insert(to.end(), from.begin(), from.end());
  };
  for (std::size_t i = 0; i < collected.size(); ++i) append(collected[i], o.collected[i]);
  bounds.clear();  // the appended values are in no order
  sorted.clear();
  for (std::size_t i = 0; i < region_units.size() && i < o.region_units.size(); ++i) region_units[i] += o.region_units[i];
  for (std::size_t i = 0; i < bin_units.size() && i < o.bin_units.size(); ++i) bin_units[i] += o.bin_units[i];
  for (std::size_t i = 0; i < collected_units.size() && i < o.collected_units.size(); ++i)
    append(collected_units[i], o.collected_units[i]);
  cumulative.clear();
}

void count_into_weighted(const Layout& layout, std::span<const double> x, const std::uint64_t* units,
                         LayoutCounts& counts) {
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double v = x[i];
    if (units[i] != 0 && std::isfinite(v)) (void)count_weighted(layout, v, order_key(v), units[i], counts);
  }
}

namespace {

// Regions of up to this many are found by counting the starts at or below each key (branch-free, in SIMD
// registers); more by binary search.
constexpr std::size_t k_scan_regions = 64;

// region[i] = the number of starts[1 …] ≤ keys[i]: the region of keys[i]; at_least[j] = the number of keys ≥
// starts[j] (j < regions), so region r holds at_least[r] − at_least[r + 1] keys. Integer counting: every version
// below gives the same numbers. (Compiled plain and for AVX2; AVX-512 has its own, below.)
// n ≤ 512 (count_into's batch).
[[gnu::always_inline]] inline void scan_regions(const std::uint64_t* starts, std::size_t regions,
                                                const std::uint64_t* keys, std::size_t n, std::uint64_t* region,
                                                std::uint64_t* at_least) {
  // Compared as signed integers after flipping the top bit (the same order): AVX2 has no unsigned 64-bit compare.
  constexpr std::uint64_t top = std::uint64_t{1} << 63;
  std::int64_t flipped[512];
  for (std::size_t i = 0; i < n; ++i) {
    region[i] = 0;
    flipped[i] = static_cast<std::int64_t>(keys[i] ^ top);
  }
  at_least[0] = n;
  for (std::size_t j = 1; j < regions; ++j) {
    const auto s = static_cast<std::int64_t>(starts[j] ^ top);
    std::uint64_t count = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t above = flipped[i] >= s ? 1 : 0;
      region[i] += above;
      count += above;
    }
    at_least[j] = count;
  }
}

void scan_regions_plain(const std::uint64_t* starts, std::size_t regions, const std::uint64_t* keys, std::size_t n,
                        std::uint64_t* region, std::uint64_t* at_least) {
  scan_regions(starts, regions, keys, n, region, at_least);
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) void scan_regions_avx2(const std::uint64_t* starts, std::size_t regions,
                                                       const std::uint64_t* keys, std::size_t n, std::uint64_t* region,
                                                       std::uint64_t* at_least) {
  scan_regions(starts, regions, keys, n, region, at_least);
}

// scan_regions with AVX-512: eight keys in a register meet every start in turn (unsigned compares into a mask,
// a masked increment, the mask's population count), so the regions stay in registers.
__attribute__((target("avx512f,popcnt"))) void scan_regions_avx512(const std::uint64_t* starts, std::size_t regions,
                                                                  const std::uint64_t* keys, std::size_t n,
                                                                  std::uint64_t* region, std::uint64_t* at_least) {
  std::uint64_t count[k_scan_regions] = {};
  const __m512i one = _mm512_set1_epi64(1);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m512i k = _mm512_loadu_si512(keys + i);
    __m512i r = _mm512_setzero_si512();
    for (std::size_t j = 1; j < regions; ++j) {
      const __mmask8 at_or_above = _mm512_cmpge_epu64_mask(k, _mm512_set1_epi64(static_cast<long long>(starts[j])));
      r = _mm512_mask_add_epi64(r, at_or_above, r, one);
      count[j] += static_cast<std::uint64_t>(__builtin_popcount(at_or_above));
    }
    _mm512_storeu_si512(region + i, r);
  }
  for (; i < n; ++i) {
    std::uint64_t r = 0;
    for (std::size_t j = 1; j < regions; ++j) {
      const std::uint64_t above = keys[i] >= starts[j] ? 1 : 0;
      r += above;
      count[j] += above;
    }
    region[i] = r;
  }
  at_least[0] = n;
  for (std::size_t j = 1; j < regions; ++j) at_least[j] = count[j];
}
#endif

// keys[i] = order_key(x[i]) for all n values, branch-free (vectorized); returns how many are finite.
__attribute__((target_clones("avx2", "default"))) std::size_t keys_of(const double* x, std::size_t n, std::uint64_t* keys) {
  std::size_t finite = 0;
  for (std::size_t i = 0; i < n; ++i) {
    keys[i] = order_key(x[i]);
    finite += std::isfinite(x[i]) ? 1 : 0;
  }
  return finite;
}

}  // namespace

void count_into(const Layout& layout, std::span<const double> x, LayoutCounts& counts, SimdLevel level) {
  constexpr std::size_t batch = 512;
  std::uint64_t keys[batch], region[batch], at_least[k_scan_regions];
  double compacted[batch];
  const std::size_t regions = layout.starts.size();
  const bool scan = regions <= k_scan_regions;
  // Regions whose values need more than a count: histogrammed or collected.
  bool detail = false;
  for (std::size_t r = 0; r < regions; ++r) detail = detail || layout.bins[r] != 0 || layout.collect[r] != 0;
  if (layout.collects_every_value()) {  // (a run without a pilot)
    auto& all = counts.collected[0];
    const std::size_t before = all.size();
    all.resize(before + x.size());
    std::size_t kept = before;
    for (const double v : x) {
      all[kept] = v;
      kept += std::isfinite(v) ? 1 : 0;
    }
    all.resize(kept);
    counts.region[0] += kept - before;
    return;
  }
  for (std::size_t i0 = 0; i0 < x.size(); i0 += batch) {
    const std::size_t end = std::min(x.size(), i0 + batch);
    const double* values = x.data() + i0;
    std::size_t m = end - i0;
    if (keys_of(values, m, keys) != m) {  // some non-finite value: keep the finite ones only
      std::size_t kept = 0;
      for (std::size_t i = i0; i < end; ++i) {
        if (!std::isfinite(x[i])) continue;
        compacted[kept] = x[i];
        keys[kept++] = order_key(x[i]);
      }
      values = compacted;
      m = kept;
    }
    if (scan) {
#if defined(__x86_64__)
      if (level == SimdLevel::avx512) scan_regions_avx512(layout.starts.data(), regions, keys, m, region, at_least);
      else if (level == SimdLevel::avx2) scan_regions_avx2(layout.starts.data(), regions, keys, m, region, at_least);
      else scan_regions_plain(layout.starts.data(), regions, keys, m, region, at_least);
#else
      (void)level;
      scan_regions_plain(layout.starts.data(), regions, keys, m, region, at_least);
#endif
      for (std::size_t r = 0; r + 1 < regions; ++r) counts.region[r] += at_least[r] - at_least[r + 1];
      counts.region[regions - 1] += at_least[regions - 1];
    } else {
      for (std::size_t i = 0; i < m; ++i) ++counts.region[region[i] = layout.region(keys[i])];
    }
    if (!detail) continue;
    for (std::size_t i = 0; i < m; ++i) {
      const std::size_t r = region[i];
      if (layout.bins[r] != 0) ++counts.bin[layout.bin_offset[r] + (keys[i] - layout.starts[r]) / layout.bin_width[r]];
      else if (layout.collect[r] != 0) counts.collected[layout.collect_slot[r]].push_back(values[i]);
    }
  }
}

namespace {

// Values a region may hold before its first selection sorts it into key buckets.
constexpr std::size_t k_bucket_from = 1 << 14;

// Groups v by the top 12 significant bits of (key − the smallest key): 4,096 buckets in key order, one counting
// pass and one scatter; each bucket's start becomes a bound.
void bucket_partition(std::vector<double>& v, std::vector<std::size_t>& bounds) {
  std::uint64_t lo = k_max_key, hi = 0;
  for (const double x : v) {
    const std::uint64_t k = order_key(x);
    lo = std::min(lo, k);
    hi = std::max(hi, k);
  }
  const int shift = std::max(0, static_cast<int>(std::bit_width(hi - lo)) - 12);
  std::vector<std::size_t> start(((hi - lo) >> shift) + 2, 0);
  for (const double x : v) ++start[((order_key(x) - lo) >> shift) + 1];
  for (std::size_t b = 1; b < start.size(); ++b) start[b] += start[b - 1];
  std::vector<double> out(v.size());
  std::vector<std::size_t> at(start.begin(), start.end() - 1);
  for (const double x : v) out[at[(order_key(x) - lo) >> shift]++] = x;
  v.swap(out);
  bounds.clear();
  for (std::size_t b = 1; b + 1 < start.size(); ++b)
    if (start[b] > 0 && start[b] < v.size() && (bounds.empty() || bounds.back() != start[b])) bounds.push_back(start[b]);
}

// The value of rank `at` among v, selected between the nearest bounds (multi-selection: k ranks cost about
// O(n log k), and a large region is bucketed first, so about O(n)); adds `at` and at + 1 as bounds.
double select_rank(std::vector<double>& v, std::vector<std::size_t>& bounds, std::size_t at) {
  if (bounds.empty() && v.size() >= k_bucket_from) bucket_partition(v, bounds);
  auto next = std::upper_bound(bounds.begin(), bounds.end(), at);
  const std::size_t lo = next == bounds.begin() ? 0 : *(next - 1);
  const std::size_t hi = next == bounds.end() ? v.size() : *next;
  if (hi - lo > 1) {
    std::nth_element(v.begin() + static_cast<std::ptrdiff_t>(lo), v.begin() + static_cast<std::ptrdiff_t>(at),
                     v.begin() + static_cast<std::ptrdiff_t>(hi));
    if (at > lo) next = bounds.insert(next, at) + 1;
    if (at + 1 < hi) bounds.insert(next, at + 1);
  }
  return v[at];
}


}  // namespace

namespace {

// The smallest and largest of v (not empty), in four independent lanes (no chain of compares from one to the next).
template <class T>
std::pair<T, T> range_of(std::span<const T> v) {
  std::array<T, 4> lo{v[0], v[0], v[0], v[0]}, hi = lo;
  const std::size_t whole = v.size() / 4 * 4;
  for (std::size_t i = 0; i < whole; i += 4)
    for (std::size_t l = 0; l < 4; ++l) {
      lo[l] = std::min(lo[l], v[i + l]);
      hi[l] = std::max(hi[l], v[i + l]);
    }
  for (std::size_t i = whole; i < v.size(); ++i) {
    lo[0] = std::min(lo[0], v[i]);
    hi[0] = std::max(hi[0], v[i]);
  }
  return {std::min(std::min(lo[0], lo[1]), std::min(lo[2], lo[3])),
          std::max(std::max(hi[0], hi[1]), std::max(hi[2], hi[3]))};
}

// A sort's keys live in two buffers, the values' own (each double slot holding a key's bits) and a spare: bits()
// reads a slot of either as a key, put() writes one.
inline std::uint64_t bits(double slot) { return std::bit_cast<std::uint64_t>(slot); }
inline std::uint64_t bits(std::uint64_t key) { return key; }
template <class T>
inline void put(T& slot, std::uint64_t key) { slot = std::bit_cast<T>(key); }

// One stable counting pass: the keys of `from` into `to` by the digit (key − min) >> at & mask, `c` the digits'
// counts, made starting offsets here.
template <class From, class To>
void radix_pass(const From* from, To* to, std::size_t n, std::uint32_t* c, unsigned buckets, std::uint64_t min,
                unsigned at) {
  std::uint32_t sum = 0;
  for (unsigned b = 0; b < buckets; ++b) sum += std::exchange(c[b], sum);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t k = bits(from[i]);
    put(to[c[((k - min) >> at) & (buckets - 1)]++], k);
  }
}

// Puts each run of keys that share their bits above `shift` (of key − min) in order by whole key.
template <class T>
void order_runs(T* keys, std::size_t n, std::uint64_t min, unsigned shift) {
  const auto high = [&](std::size_t i) { return (bits(keys[i]) - min) >> shift; };
  for (std::size_t i = 1; shift > 0 && i < n; ++i) {
    if (high(i) != high(i - 1)) continue;
    const std::size_t first = i - 1;
    std::size_t last = i + 1;
    while (last < n && high(last) == high(first)) ++last;
    const auto less = [](T a, T b) { return bits(a) < bits(b); };
    if (!std::is_sorted(keys + first, keys + last, less)) std::sort(keys + first, keys + last, less);
    i = last;
  }
}

// Sorts the n keys held in v's slots ascending, with `spare` (n keys) beside them; true when they end in spare.
// Up to 2^17 keys: radix passes of 11 bits (2,048 buckets stay in the first-level cache) over the top 22 bits of
// each key's distance from the smallest (all of them when the keys span fewer), then each run sharing those bits
// sorted whole (a tight cluster may share long runs). Beyond: a least-significant-digit sort of every byte (a byte
// every key shares is skipped; every byte's counts from one sweep), polling `cancel` between passes.
bool sort_keys(double* v, std::uint64_t* spare, std::size_t n, const std::atomic<bool>* cancel) {
  if (n < 2) return false;
  if (n > (std::size_t{1} << 17)) {
    std::vector<std::array<std::uint32_t, 256>> count(8, std::array<std::uint32_t, 256>{});
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t k = bits(v[i]);
      for (unsigned d = 0; d < 8; ++d) ++count[d][(k >> (8 * d)) & 0xff];
    }
    bool in_spare = false;
    for (unsigned d = 0; d < 8; ++d) {
      if (cancel && cancel->load(std::memory_order_relaxed)) throw Interrupted();
      const std::uint64_t first = in_spare ? spare[0] : bits(v[0]);
      if (count[d][(first >> (8 * d)) & 0xff] == n) continue;  // one byte value: this pass changes nothing
      if (in_spare) radix_pass(spare, v, n, count[d].data(), 256, 0, 8 * d);
      else radix_pass(v, spare, n, count[d].data(), 256, 0, 8 * d);
      in_spare = !in_spare;
    }
    return in_spare;
  }
  std::uint64_t min = bits(v[0]), max = min;
  for (std::size_t i = 1; i < n; ++i) {
    min = std::min(min, bits(v[i]));
    max = std::max(max, bits(v[i]));
  }
  constexpr unsigned k_digit = 11, k_buckets = 1u << k_digit;
  const auto width = static_cast<unsigned>(std::bit_width(max - min));
  const unsigned used = std::min(width, 2 * k_digit), shift = width - used, passes = (used + k_digit - 1) / k_digit;
  if (passes == 0) return false;  // one value
  std::vector<std::uint32_t> count(std::size_t{2} * k_buckets, 0);
  std::uint32_t *c0 = count.data(), *c1 = c0 + k_buckets;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t d = (bits(v[i]) - min) >> shift;
    ++c0[d & (k_buckets - 1)];
    if (passes > 1) ++c1[d >> k_digit];
  }
  bool in_spare = false;
  for (unsigned p = 0; p < passes; ++p) {
    std::uint32_t* c = count.data() + std::size_t{p} * k_buckets;
    const unsigned at = shift + k_digit * p;
    const std::uint64_t first = in_spare ? spare[0] : bits(v[0]);
    if (c[((first - min) >> at) & (k_buckets - 1)] == n) continue;  // one digit value: this pass changes nothing
    if (in_spare) radix_pass(spare, v, n, c, k_buckets, min, at);
    else radix_pass(v, spare, n, c, k_buckets, min, at);
    in_spare = !in_spare;
  }
  if (in_spare) order_runs(spare, n, min, shift);
  else order_runs(v, n, min, shift);
  return in_spare;
}

}  // namespace

SortedColumn sort_column(std::span<const double> x) {
  const std::size_t n = x.size();
  if (n > std::uint64_t{0xffffffff}) throw std::length_error("sort_column: more than 2^32 values");
  SortedColumn out;
  out.at.resize(n);
  out.value.resize(n);
  if (n == 0) return out;
  // The range, over the values (order_key is monotone: the keys' range follows).
  const auto [smallest, largest] = range_of(x);
  const std::uint64_t min = order_key(smallest), max = order_key(largest);
  // Digits: the top `bits` of key − min, in passes of 11 (2,048 buckets stay in the first-level cache), packed above
  // the position: one 64-bit word a value moves.
  constexpr unsigned k_digit = 11, k_buckets = 1u << k_digit;
  const auto width = static_cast<unsigned>(std::bit_width(max - min));
  const unsigned bits = std::min(width, n <= (std::size_t{1} << 17) ? 22u : 32u), shift = width - bits;
  const unsigned passes = (bits + k_digit - 1) / k_digit;
  const std::unique_ptr<std::uint64_t[]> words(new std::uint64_t[n]), spare(new std::uint64_t[n]);  // unzeroed
  std::uint64_t *w = words.get(), *to = spare.get();
  std::vector<std::uint32_t> count(std::size_t{3} * k_buckets, 0);
  std::uint32_t *c0 = count.data(), *c1 = c0 + k_buckets, *c2 = c1 + k_buckets;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t d = (order_key(x[i]) - min) >> shift;
    w[i] = d << 32 | i;
    ++c0[d & (k_buckets - 1)];
    if (passes > 1) ++c1[(d >> k_digit) & (k_buckets - 1)];
    if (passes > 2) ++c2[d >> (2 * k_digit)];
  }
  for (unsigned p = 0; p < passes; ++p) {
    std::uint32_t* c = count.data() + std::size_t{p} * k_buckets;
    const unsigned at = 32 + k_digit * p;
    if (c[(w[0] >> at) & (k_buckets - 1)] == n) continue;  // one digit value: this pass changes nothing
    std::uint32_t sum = 0;
    for (unsigned b = 0; b < k_buckets; ++b) sum += std::exchange(c[b], sum);
    for (std::size_t i = 0; i < n; ++i) to[c[(w[i] >> at) & (k_buckets - 1)]++] = w[i];
    std::swap(w, to);
  }
  // Stable passes keep positions ascending among equal digits. Where the digits dropped low bits (shift > 0), each
  // run sharing them is put in order by whole key, then position: most runs are two or three values, sorted in place
  // by insertion (stable: positions stay ascending among equal keys); a longer one (a tight cluster) by std::sort.
  const auto key_of = [&](std::uint64_t word) { return order_key(x[static_cast<std::uint32_t>(word)]); };
  std::vector<std::pair<std::uint64_t, std::uint32_t>> run;
  for (std::size_t i = 1; shift > 0 && i < n; ++i) {
    if ((w[i] ^ w[i - 1]) >> 32 != 0) continue;
    const std::size_t first = i - 1;
    std::size_t last = i + 1;
    while (last < n && (w[last] ^ w[first]) >> 32 == 0) ++last;
    i = last;
    if (last - first <= 8) {
      for (std::size_t a = first + 1; a < last; ++a) {
        const std::uint64_t word = w[a], key = key_of(word);
        std::size_t b = a;
        for (; b > first && key_of(w[b - 1]) > key; --b) w[b] = w[b - 1];
        w[b] = word;
      }
      continue;
    }
    // In order already when its keys do not fall (positions ascend among equal keys): a run of one repeated value,
    // such as the zeros of a failed investment, is left as it is.
    bool ordered = true;
    for (std::size_t k = first + 1; k < last && ordered; ++k) ordered = key_of(w[k - 1]) <= key_of(w[k]);
    if (ordered) continue;
    run.clear();
    for (std::size_t k = first; k < last; ++k) {
      const auto pos = static_cast<std::uint32_t>(w[k]);
      run.emplace_back(order_key(x[pos]), pos);
    }
    std::sort(run.begin(), run.end());
    for (std::size_t k = first; k < last; ++k) w[k] = (w[k] >> 32 << 32) | run[k - first].second;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const auto pos = static_cast<std::uint32_t>(w[i]);
    out.at[i] = pos;
    out.value[i] = x[pos] + 0.0;  // −0 as +0
  }
  return out;
}

void sort_values(std::span<double> v, std::vector<std::uint64_t>& spare, const std::atomic<bool>* cancel) {
  const std::size_t n = v.size();
  if (n > std::uint64_t{0xffffffff}) throw std::length_error("sort_values: more than 2^32 values");
  if (spare.size() < n) spare.resize(n);
  for (double& x : v) put(x, order_key(x));  // the keys in the values' own slots
  const bool in_spare = sort_keys(v.data(), spare.data(), n, cancel);
  for (std::size_t i = 0; i < n; ++i) v[i] = key_value(in_spare ? spare[i] : bits(v[i]));
}

void sort_values(std::vector<double>& v, const std::atomic<bool>* cancel) {
  std::vector<std::uint64_t> spare;
  sort_values(v, spare, cancel);
}

namespace {

// Sorts a weighted collected region by (value, units) (so the order does not depend on how parts were merged) and
// makes its units cumulative.
void make_cumulative(std::vector<double>& values, std::vector<std::uint64_t>& units) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> pairs(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) pairs[i] = {order_key(values[i]), units[i]};
  std::sort(pairs.begin(), pairs.end());
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    values[i] = key_value(pairs[i].first);
    units[i] = sum += pairs[i].second;
  }
}

// The value of weight unit `unit` in a weighted collected region (sorted and made cumulative on first use).
double select_unit(LayoutCounts& counts, std::size_t slot, std::uint64_t unit) {
  if (counts.cumulative.size() != counts.collected.size()) counts.cumulative.assign(counts.collected.size(), 0);
  if (counts.cumulative[slot] == 0) {
    make_cumulative(counts.collected[slot], counts.collected_units[slot]);
    counts.cumulative[slot] = 1;
  }
  const auto& cum = counts.collected_units[slot];
  const auto at = std::upper_bound(cum.begin(), cum.end(), unit) - cum.begin();
  return counts.collected[slot][static_cast<std::size_t>(at)];
}

// locate() and locate_weighted(): ranks among the counts, or units among the weights (RankCell::count is values).
RankCell locate_by(const Layout& layout, LayoutCounts& counts, std::uint64_t rank, bool weighted) {
  const std::vector<std::uint64_t>& region_mass = weighted ? counts.region_units : counts.region;
  const std::vector<std::uint64_t>& bin_mass = weighted ? counts.bin_units : counts.bin;
  std::uint64_t before = 0;
  for (std::size_t r = 0; r < layout.starts.size(); ++r) {
    const std::uint64_t in = region_mass[r];
    if (rank >= before + in) {
      before += in;
      continue;
    }
    RankCell c;
    c.region = r;
    c.first = layout.starts[r];
    c.last = layout.last_key(r);
    c.count = counts.region[r];
    if (layout.collect[r] != 0) {
      c.exact = c.region_exact = true;
      const std::size_t slot = layout.collect_slot[r];
      if (weighted) {
        c.value = select_unit(counts, slot, rank - before);
      } else {
        if (counts.sorted.size() != counts.collected.size()) counts.sorted.assign(counts.collected.size(), 0);
        std::vector<double>& v = counts.collected[slot];
        if (counts.sorted[slot] == 0 && v.size() < k_bucket_from) {
          sort_values(v);  // (a short region: about half the cost of the few selections it takes)
          counts.sorted[slot] = 1;
        }
        if (counts.sorted[slot] != 0) {
          c.value = v[static_cast<std::size_t>(rank - before)];
        } else {  // a large region: key buckets, then selections between bounds
          if (counts.bounds.size() != counts.collected.size()) counts.bounds.assign(counts.collected.size(), {});
          c.value = select_rank(v, counts.bounds[slot], static_cast<std::size_t>(rank - before));
        }
      }
      return c;
    } else if (c.first == c.last) {
      c.exact = c.region_exact = true;
      c.value = key_value(c.first);
    } else if (layout.bins[r] != 0) {
      const std::uint64_t* bin = bin_mass.data() + layout.bin_offset[r];
      std::uint64_t b = 0;
      while (rank >= before + bin[b]) before += bin[b++];
      c.first = layout.starts[r] + b * layout.bin_width[r];
      c.last = b + 1 == layout.bins[r] ? layout.last_key(r) : c.first + layout.bin_width[r] - 1;
      c.count = counts.bin[layout.bin_offset[r] + b];
      if (c.first == c.last) {
        c.exact = true;
        c.value = key_value(c.first);
      }
    }
    return c;
  }
  throw std::logic_error(weighted ? "locate_weighted: unit beyond the counted weight" : "locate: rank beyond the counted values");
}

}  // namespace

RankCell locate(const Layout& layout, LayoutCounts& counts, std::uint64_t rank) {
  return locate_by(layout, counts, rank, false);
}

RankCell locate_weighted(const Layout& layout, LayoutCounts& counts, std::uint64_t rank) {
  return locate_by(layout, counts, rank, true);
}

}  // namespace tamcarlo
