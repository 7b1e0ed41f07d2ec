#include "sim/stats/statistics.hpp"

#include <fmt/format.h>

#include "sim/base/simd.hpp"
#include "sim/stats/block_tree.hpp"

#include <boost/math/distributions/students_t.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace tamcarlo {

std::string quantile_key(double p) { return fmt::format("p{:g}", p * 100); }

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
    if (std::isfinite(v)) {
      const double d = v - m.mean;
      m.m2 += d * d;
      m.m3 += d * d * d;
    }
  return m;
}

}  // namespace

namespace {

// Moments::of's fast path: eight independent accumulators (two vectors of four, GCC's vector extension) in a
// fixed order, so the bits are the same whatever width the instructions are, and no addition waits for the one
// before. Returns false when the total is not finite (a non-finite value, or a sum that overflows): Moments::of
// then takes the careful path.
using Four = double __attribute__((vector_size(32)));
[[gnu::always_inline]] inline bool moments_fast(const double* v, std::size_t n, Moments& m) {
  const std::size_t whole = n - n % 8;
  Four s0 = {0, 0, 0, 0}, s1 = s0;
  Four l0 = {HUGE_VAL, HUGE_VAL, HUGE_VAL, HUGE_VAL}, l1 = l0, h0 = -l0, h1 = h0;
  for (std::size_t i = 0; i < whole; i += 8) {
    Four a, b;
    std::memcpy(&a, v + i, sizeof a);
    std::memcpy(&b, v + i + 4, sizeof b);
    s0 += a;
    s1 += b;
    l0 = a < l0 ? a : l0;
    l1 = b < l1 ? b : l1;
    h0 = a > h0 ? a : h0;
    h1 = b > h1 ? b : h1;
  }
  double total = ((s0[0] + s0[1]) + (s0[2] + s0[3])) + ((s1[0] + s1[1]) + (s1[2] + s1[3]));
  double mn = HUGE_VAL, mx = -HUGE_VAL;
  for (int k = 0; k < 4; ++k) {
    mn = std::min({mn, l0[k], l1[k]});
    mx = std::max({mx, h0[k], h1[k]});
  }
  for (std::size_t i = whole; i < n; ++i) {
    total += v[i];
    mn = std::min(mn, v[i]);
    mx = std::max(mx, v[i]);
  }
  if (!std::isfinite(total)) return false;
  m.n = n;
  m.min = mn;
  m.max = mx;
  if (mn == mx) {  // one value throughout (a constant): its exact value, no spread (the sum would round)
    m.mean = mn;
    m.m2 = 0;
    m.m3 = 0;
    return true;
  }
  const double mean = total / static_cast<double>(n);
  const Four c = {mean, mean, mean, mean};
  Four q0 = {0, 0, 0, 0}, q1 = q0, k0 = q0, k1 = q0;
  for (std::size_t i = 0; i < whole; i += 8) {
    Four a, b;
    std::memcpy(&a, v + i, sizeof a);
    std::memcpy(&b, v + i + 4, sizeof b);
    a -= c;
    b -= c;
    const Four a2 = a * a, b2 = b * b;
    q0 += a2;
    q1 += b2;
    k0 += a2 * a;
    k1 += b2 * b;
  }
  double m2 = ((q0[0] + q0[1]) + (q0[2] + q0[3])) + ((q1[0] + q1[1]) + (q1[2] + q1[3]));
  double m3 = ((k0[0] + k0[1]) + (k0[2] + k0[3])) + ((k1[0] + k1[1]) + (k1[2] + k1[3]));
  for (std::size_t i = whole; i < n; ++i) {
    const double d = v[i] - mean;
    m2 += d * d;
    m3 += d * d * d;
  }
  m.mean = mean;
  m.m2 = m2;
  m.m3 = m3;
  return true;
}

bool moments_plain(const double* v, std::size_t n, Moments& m) { return moments_fast(v, n, m); }
#if defined(__x86_64__)
__attribute__((target("avx2"))) bool moments_avx2(const double* v, std::size_t n, Moments& m) {
  return moments_fast(v, n, m);
}
#endif

}  // namespace

Moments Moments::of(std::span<const double> x) noexcept {
  Moments m;
  if (x.empty()) return m;
#if defined(__x86_64__)
  const SimdLevel level = best_simd_level();  // AVX-512 processors take the AVX2 build (same bits at any width)
  const bool fast = level == SimdLevel::avx2 || level == SimdLevel::avx512 ? moments_avx2(x.data(), x.size(), m)
                                                                            : moments_plain(x.data(), x.size(), m);
#else
  const bool fast = moments_plain(x.data(), x.size(), m);
#endif
  return fast ? m : moments_with_nonfinite(x);
}

void Moments::merge(const Moments& o) noexcept {
  replicates = 0;  // a union of summaries is no longer one design's replicates
  replicate_se = replicate_skew = std::numeric_limits<double>::quiet_NaN();
  ess = 0;
  weighted_se = std::numeric_limits<double>::quiet_NaN();
  nonfinite += o.nonfinite;
  if (o.n == 0) return;
  if (n == 0) {
    const std::uint64_t nf = nonfinite;
    *this = o;
    nonfinite = nf;
    replicates = 0;
    replicate_se = replicate_skew = std::numeric_limits<double>::quiet_NaN();
    ess = 0;
    weighted_se = std::numeric_limits<double>::quiet_NaN();
    return;
  }
  const double na = static_cast<double>(n), nb = static_cast<double>(o.n), total = na + nb;
  const double delta = o.mean - mean;
  // Pébay (2008): the third central sum needs the second sums before they merge.
  m3 += o.m3 + delta * delta * delta * (na * nb * (na - nb) / (total * total)) +
        3 * delta * (na * o.m2 - nb * m2) / total;
  mean += delta * (nb / total);
  m2 += o.m2 + delta * delta * (na * nb / total);
  n += o.n;
  min = std::min(min, o.min);
  max = std::max(max, o.max);
}

double Moments::sd() const noexcept {
  return n < 2 ? std::nan("") : std::sqrt(m2 / static_cast<double>(n - 1));
}

double Moments::se() const noexcept {
  if (ess > 0) return weighted_se;
  return replicates > 0 ? replicate_se : sd() / std::sqrt(static_cast<double>(n));
}

double mean_ci_multiplier(std::uint32_t replicates) {
  if (replicates < 2) return k_z95_two_sided;
  return boost::math::quantile(boost::math::students_t_distribution<double>(static_cast<double>(replicates - 1)), 0.975);
}

double Moments::half95() const { return mean_ci_multiplier(replicates) * se(); }

void Moments::set_replicates(const std::vector<Moments>& each) {
  replicates = static_cast<std::uint32_t>(each.size());
  double sum = 0, sum2 = 0;
  bool all = each.size() >= 2;
  for (const Moments& m : each) all = all && m.n > 0;
  if (!all) {
    replicate_se = replicate_skew = std::numeric_limits<double>::quiet_NaN();
    return;
  }
  // Two passes over the R means (R is small): their mean, then their variance.
  for (const Moments& m : each) sum += m.mean;
  const double r = static_cast<double>(each.size()), centre = sum / r;
  for (const Moments& m : each) sum2 += (m.mean - centre) * (m.mean - centre);
  replicate_se = std::sqrt(sum2 / (r - 1) / r);
  double sum3 = 0;
  for (const Moments& m : each) sum3 += (m.mean - centre) * (m.mean - centre) * (m.mean - centre);
  replicate_skew = sum2 > 0 ? std::fabs(sum3) / std::pow(sum2, 1.5) : std::numeric_limits<double>::quiet_NaN();
}

double Moments::skew_ratio() const noexcept {
  if (n < 3 || !(m2 > 0)) return std::numeric_limits<double>::quiet_NaN();
  return std::min(1.0, std::fabs(m3) / std::pow(m2, 1.5));
}

bool Moments::heavy_tailed() const noexcept {
  return skew_ratio() > k_heavy_tail_skew || (replicates >= 2 && replicate_skew > k_heavy_tail_replicate_skew);
}

bool Moments::ci_beyond_samples() const noexcept {
  if (n < 2 || !std::isfinite(mean)) return false;
  const double half = half95();
  return mean - half < min || mean + half > max;
}

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
  const double nn = static_cast<double>(n);
  Proportion out = weighted_wilson(static_cast<double>(k) / nn, nn);  // an exact count: ESS = n
  out.n = n;
  return out;
}

Proportion weighted_wilson(double p, double ess) noexcept {
  if (!(ess > 0) || !std::isfinite(p)) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    return {nan, nan, nan, 0};
  }
  const double z = k_z95_two_sided, nn = ess;
  const double denom = 1 + z * z / nn;
  const double centre = (p + z * z / (2 * nn)) / denom;
  const double half = z * std::sqrt(std::max(0.0, p * (1 - p)) / nn + z * z / (4 * nn * nn)) / denom;
  return {p, p <= 0 ? 0.0 : std::max(0.0, centre - half), p >= 1 ? 1.0 : std::min(1.0, centre + half),
          static_cast<std::uint64_t>(std::llround(ess))};
}

std::uint64_t weight_units(double w) noexcept {
  if (!(w > 0)) return 0;  // also NaN
  if (!(w < 1)) return std::uint64_t{1} << 30;  // also +inf
  return static_cast<std::uint64_t>(std::llround(w / k_weight_unit));
}

WeightedMoments WeightedMoments::of(std::span<const double> x, std::span<const std::uint64_t> units) noexcept {
  WeightedMoments m;
  double sum = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double v = x[i];
    if (!std::isfinite(v)) {
      ++m.nonfinite;
      continue;
    }
    ++m.n;
    if (units[i] == 0) continue;
    const double w = static_cast<double>(units[i]) * k_weight_unit;
    m.units += units[i];
    m.w2 += w * w;
    sum += w * v;
    m.min = std::min(m.min, v);
    m.max = std::max(m.max, v);
  }
  if (m.units == 0) return m;
  m.mean = m.min == m.max ? m.min : sum / m.weight();
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (units[i] == 0 || !std::isfinite(x[i])) continue;
    const double w = static_cast<double>(units[i]) * k_weight_unit, d = x[i] - m.mean;
    m.m2 += w * d * d;
    m.m3 += w * d * d * d;
    m.v += w * w * d * d;
    m.u += w * w * d;
  }
  return m;
}

void WeightedMoments::merge(const WeightedMoments& o) noexcept {
  n += o.n;
  nonfinite += o.nonfinite;
  if (o.units == 0) return;
  if (units == 0) {
    const std::uint64_t keep_n = n, keep_nonfinite = nonfinite;
    *this = o;
    n = keep_n;
    nonfinite = keep_nonfinite;
    return;
  }
  const double wa = weight(), wb = o.weight(), w = wa + wb;
  const double delta = o.mean - mean;
  const double next = mean + delta * (wb / w);
  const double da = mean - next, db = o.mean - next;  // each part's mean − the merged mean
  m3 += o.m3 + delta * delta * delta * (wa * wb * (wa - wb) / (w * w)) + 3 * delta * (wa * o.m2 - wb * m2) / w;
  m2 += o.m2 + delta * delta * (wa * wb / w);
  v = (v + 2 * da * u + da * da * w2) + (o.v + 2 * db * o.u + db * db * o.w2);
  u = (u + da * w2) + (o.u + db * o.w2);
  w2 += o.w2;
  mean = next;
  units += o.units;
  min = std::min(min, o.min);
  max = std::max(max, o.max);
}

double WeightedMoments::ess() const noexcept { return units == 0 || !(w2 > 0) ? 0.0 : weight() * weight() / w2; }

Moments WeightedMoments::reported() const {
  Moments r;
  r.n = n;
  r.nonfinite = nonfinite;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (units == 0) {
    r.mean = r.min = r.max = r.weighted_se = nan;
    r.ess = 0;
    return r;
  }
  const double w = weight(), e = ess();
  r.mean = mean;
  r.min = min;
  r.max = max;
  r.ess = e;
  r.weighted_se = std::sqrt(std::max(0.0, v)) / w;
  // sd() = √(m2/(n − 1)): store the weighted variance so that it reads back.
  const double var = e > 1 ? m2 / (w * (1 - 1 / e)) : 0.0;
  r.m2 = n >= 2 ? var * static_cast<double>(n - 1) : 0.0;
  const double pop = m2 / w;
  const double skew = pop > 0 ? (m3 / w) / std::pow(pop, 1.5) : 0.0;
  r.m3 = r.m2 > 0 && e > 0 ? skew / std::sqrt(e) * std::pow(r.m2, 1.5) : 0.0;
  return r;
}

std::uint64_t unit_rank(std::uint64_t units, double p) noexcept {
  const long double t = static_cast<long double>(p) * static_cast<long double>(units);
  if (!(t > 1)) return 0;
  const auto r = static_cast<std::uint64_t>(std::ceil(t)) - 1;
  return std::min(r, units - 1);
}

WeightedQuantileRanks weighted_quantile_ranks(std::uint64_t units, double ess, double p) noexcept {
  const double half = ess > 0 ? k_z95_two_sided * std::sqrt(p * (1 - p) / ess) : 1.0;
  return {unit_rank(units, p), unit_rank(units, std::max(0.0, p - half)), unit_rank(units, std::min(1.0, p + half))};
}

}  // namespace tamcarlo
