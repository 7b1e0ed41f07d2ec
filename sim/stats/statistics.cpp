#include "sim/stats/statistics.hpp"

#include "sim/stats/block_tree.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tamcarlo {

namespace {

// Slow path: any block holding a non-finite value.
Moments moments_with_nonfinite(std::span<const double> x) noexcept {
  Moments m;
  double sum = 0;
  for (const double v : x) {
    if (std::isfinite(v)) {
      sum += v;
      ++m.n;
      m.min = std::min(m.min, v);
      m.max = std::max(m.max, v);
    } else {
      ++m.nonfinite;
    }
  }
  if (m.n == 0) return m;
  m.mean = sum / static_cast<double>(m.n);
  for (const double v : x)
    if (std::isfinite(v)) m.m2 += (v - m.mean) * (v - m.mean);
  return m;
}

}  // namespace

Moments Moments::of(std::span<const double> x) noexcept {
  // Fast path: four independent accumulators in a fixed order (deterministic, and not bound by
  // one addition's latency). v − v is 0 for finite v and NaN otherwise, so `probe` detects any non-finite.
  const std::size_t n = x.size(), n4 = n - n % 4;
  double sum[4] = {0, 0, 0, 0}, probe[4] = {0, 0, 0, 0};
  double lo[4] = {HUGE_VAL, HUGE_VAL, HUGE_VAL, HUGE_VAL}, hi[4] = {-HUGE_VAL, -HUGE_VAL, -HUGE_VAL, -HUGE_VAL};
  for (std::size_t i = 0; i < n4; i += 4)
    for (std::size_t k = 0; k < 4; ++k) {
      const double v = x[i + k];
      sum[k] += v;
      probe[k] += v - v;
      lo[k] = v < lo[k] ? v : lo[k];
      hi[k] = v > hi[k] ? v : hi[k];
    }
  double total = (sum[0] + sum[1]) + (sum[2] + sum[3]);
  double any = (probe[0] + probe[1]) + (probe[2] + probe[3]);
  Moments m;
  m.min = std::min(std::min(lo[0], lo[1]), std::min(lo[2], lo[3]));
  m.max = std::max(std::max(hi[0], hi[1]), std::max(hi[2], hi[3]));
  for (std::size_t i = n4; i < n; ++i) {
    total += x[i];
    any += x[i] - x[i];
    m.min = std::min(m.min, x[i]);
    m.max = std::max(m.max, x[i]);
  }
  if (any != 0 || std::isnan(any) || n == 0) return moments_with_nonfinite(x);
  m.n = n;
  m.mean = total / static_cast<double>(n);
  double sq[4] = {0, 0, 0, 0};
  for (std::size_t i = 0; i < n4; i += 4)
    for (std::size_t k = 0; k < 4; ++k) sq[k] += (x[i + k] - m.mean) * (x[i + k] - m.mean);
  m.m2 = (sq[0] + sq[1]) + (sq[2] + sq[3]);
  for (std::size_t i = n4; i < n; ++i) m.m2 += (x[i] - m.mean) * (x[i] - m.mean);
  return m;
}

void Moments::merge(const Moments& o) noexcept {
  nonfinite += o.nonfinite;
  if (o.n == 0) return;
  if (n == 0) {
    const std::uint64_t nf = nonfinite;
    *this = o;
    nonfinite = nf;
    return;
  }
  const double na = static_cast<double>(n), nb = static_cast<double>(o.n), total = na + nb;
  const double delta = o.mean - mean;
  mean += delta * (nb / total);
  m2 += o.m2 + delta * delta * (na * nb / total);
  n += o.n;
  min = std::min(min, o.min);
  max = std::max(max, o.max);
}

double Moments::sd() const noexcept {
  return n < 2 ? std::nan("") : std::sqrt(m2 / static_cast<double>(n - 1));
}

double Moments::se() const noexcept { return sd() / std::sqrt(static_cast<double>(n)); }

namespace {

// Places the elements of ranks [r_begin, r_end) (sorted, 0-based, relative to `base`) at their sorted positions.
void multi_select(double* first, double* last, std::size_t base, const std::size_t* r_begin, const std::size_t* r_end) {
  if (r_begin == r_end || first >= last) return;
  const std::size_t* mid = r_begin + (r_end - r_begin) / 2;
  double* nth = first + (*mid - base);
  std::nth_element(first, nth, last);
  multi_select(first, nth, base, r_begin, mid);
  multi_select(nth + 1, last, *mid + 1, mid + 1, r_end);
}

}  // namespace

QuantileRanks quantile_ranks(std::uint64_t n, double p) noexcept {
  const double dn = static_cast<double>(n);
  const double h = (dn - 1) * p;
  const auto below = static_cast<std::uint64_t>(std::floor(h));
  const std::uint64_t above = std::min(below + 1, n - 1);
  const double half = k_z95_two_sided * std::sqrt(dn * p * (1 - p));
  // 1-based ranks of the interval, converted to 0-based indices and clamped.
  const double l1 = std::floor(dn * p - half), u1 = std::ceil(dn * p + half) + 1;
  const auto lo = static_cast<std::uint64_t>(std::clamp(l1, 1.0, dn)) - 1;
  const auto hi = static_cast<std::uint64_t>(std::clamp(u1, 1.0, dn)) - 1;
  return {below, above, lo, hi, h - std::floor(h)};
}

std::vector<QuantileEstimate> quantiles(std::span<double> data, std::span<const double> probs) {
  const auto finite_end = std::partition(data.begin(), data.end(), [](double v) { return std::isfinite(v); });
  const std::size_t n = static_cast<std::size_t>(finite_end - data.begin());
  std::vector<QuantileEstimate> out;
  if (n == 0) {
    for (const double p : probs) out.push_back({p, std::nan(""), std::nan(""), std::nan("")});
    return out;
  }
  std::vector<QuantileRanks> ranks;
  std::vector<std::size_t> needed;
  for (const double p : probs) {
    const QuantileRanks r = quantile_ranks(n, p);
    ranks.push_back(r);
    needed.insert(needed.end(), {r.below, r.above, r.lo, r.hi});
  }
  std::sort(needed.begin(), needed.end());
  needed.erase(std::unique(needed.begin(), needed.end()), needed.end());
  multi_select(data.data(), data.data() + n, 0, needed.data(), needed.data() + needed.size());
  for (std::size_t i = 0; i < probs.size(); ++i) {
    const QuantileRanks& r = ranks[i];
    const double a = data[r.below], b = data[r.above];
    out.push_back({probs[i], a + r.frac * (b - a), data[r.lo], data[r.hi]});
  }
  return out;
}

Moments Moments::over(std::span<const double> x) {
  constexpr std::size_t block = k_block_size;
  BlockTree<Moments> tree;
  for (std::size_t i = 0; i < x.size(); i += block) tree.add(i / block, of(x.subspan(i, std::min(block, x.size() - i))));
  return tree.total();
}

const QuantileEstimate& quantile_at(const std::vector<QuantileEstimate>& q, double p) {
  for (const auto& e : q)
    if (e.p == p) return e;
  throw std::out_of_range("quantile not computed");
}

Proportion wilson(std::uint64_t k, std::uint64_t n) noexcept {
  if (n == 0) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    return {nan, nan, nan, 0};
  }
  const double z = k_z95_two_sided, nn = static_cast<double>(n), p = static_cast<double>(k) / nn;
  const double denom = 1 + z * z / nn;
  const double centre = (p + z * z / (2 * nn)) / denom;
  const double half = z * std::sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / denom;
  return {p, k == 0 ? 0.0 : std::max(0.0, centre - half), k == n ? 1.0 : std::min(1.0, centre + half), n};
}

}  // namespace tamcarlo
