#include "sim/random/distribution.hpp"
#include "sim/random/law_math.hpp"

#include "sim/base/simd.hpp"

#include <boost/math/distributions/beta.hpp>
#include <boost/math/distributions/binomial.hpp>
#include <boost/math/distributions/poisson.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <boost/math/distributions/gamma.hpp>
#include <boost/math/distributions/lognormal.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/triangular.hpp>
#include <boost/math/distributions/uniform.hpp>
#include <fmt/format.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>
#include <numeric>
#include <type_traits>

namespace tamcarlo {

using detail::beta_quantile;
using detail::empirical_steps;
using detail::normal_cdf;
using detail::normal_quantile;
using detail::normal_quantiles;
using detail::pert_beta;
using detail::Steps;
using detail::TruncParts;

namespace {

template <class... Ts>
struct overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;  // clang 14 does not deduce aggregates

namespace bm = boost::math;

// Ziggurat tables for the standard normal, 256 layers of equal area v (Marsaglia & Tsang 2000).
struct ZigguratTables {
  static constexpr double r = 3.6541528853610088;  // start of the tail
  static constexpr double v = 0.00492867323399;     // area of each layer
  std::array<double, 257> x{};  // x[0] = v/f(r) (base strip width), x[1] = r, ..., x[256] = 0
  std::array<double, 257> f{};  // f[i] = exp(-x[i]²/2)
  ZigguratTables() {
    const auto pdf = [](double t) { return std::exp(-0.5 * t * t); };
    x[0] = v / pdf(r);
    x[1] = r;
    for (int i = 1; i < 255; ++i) x[i + 1] = std::sqrt(-2.0 * std::log(v / x[i] + pdf(x[i])));
    x[256] = 0.0;
    for (int i = 0; i < 257; ++i) f[i] = pdf(x[i]);
  }
};

const ZigguratTables& ziggurat() {
  static const ZigguratTables tables;  // immutable after thread-safe initialization
  return tables;
}


}  // namespace

namespace {

// The samplers' bodies, inlined into the block loops (the public functions below wrap them).
[[gnu::always_inline]] inline double normal_of(SampleStream& s) noexcept {
  const ZigguratTables& z = ziggurat();
  for (;;) {
    const std::uint64_t bits = s();
    const unsigned layer = bits & 0xff;
    const bool negative = (bits >> 8) & 1;
    const double u = SampleStream::to_double(bits >> 11) * 0x1p-53;  // [0, 1)
    const double x = u * z.x[layer];
    if (x < z.x[layer + 1]) return negative ? -x : x;
    if (layer == 0) {  // the tail beyond r (Marsaglia 1964)
      double a, b;
      do {
        a = -std::log(s.uniform()) / ZigguratTables::r;
        b = -std::log(s.uniform());
      } while (b + b < a * a);
      const double t = ZigguratTables::r + a;
      return negative ? -t : t;
    }
    const double y = z.f[layer] + s.uniform() * (z.f[layer + 1] - z.f[layer]);
    if (y < std::exp(-0.5 * x * x)) return negative ? -x : x;
  }
}

}  // namespace

double standard_normal(SampleStream& s) noexcept { return normal_of(s); }

GammaConstants GammaConstants::of(double shape) noexcept {
  GammaConstants g;
  g.boosted = shape < 1.0;
  const double a = g.boosted ? shape + 1.0 : shape;
  g.d = a - 1.0 / 3.0;
  g.c = 1.0 / std::sqrt(9.0 * g.d);
  g.inv_shape = 1.0 / shape;
  return g;
}

namespace {

[[gnu::always_inline]] inline double gamma_of(SampleStream& s, const GammaConstants& g) noexcept {
  double result;
  for (;;) {
    double x, v;
    do {
      x = normal_of(s);
      v = 1.0 + g.c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = s.uniform();
    const double x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2 || std::log(u) < 0.5 * x2 + g.d * (1.0 - v + std::log(v))) {
      result = g.d * v;
      break;
    }
  }
  if (g.boosted) result *= std::pow(s.uniform(), g.inv_shape);
  return result;
}

}  // namespace

double standard_gamma(SampleStream& s, const GammaConstants& g) noexcept { return gamma_of(s, g); }

// ---- law: names, moments, cdf, quantile ----

std::string family_name(const Distribution& d) {
  return std::visit(overloaded{
                        [](const Constant&) { return "constant"; },
                        [](const Uniform&) { return "uniform"; },
                        [](const Triangular&) { return "triangular"; },
                        [](const Pert&) { return "pert"; },
                        [](const Normal&) { return "normal"; },
                        [](const TruncNormal&) { return "truncnormal"; },
                        [](const LogNormal&) { return "lognormal"; },
                        [](const Beta&) { return "beta"; },
                        [](const Gamma&) { return "gamma"; },
                        [](const Discrete&) { return "discrete"; },
                        [](const Empirical&) { return "empirical"; },
                        [](const Bernoulli&) { return "bernoulli"; },
                        [](const Binomial&) { return "binomial"; },
                        [](const Poisson&) { return "poisson"; },
                        [](const Exponential&) { return "exponential"; },
                        [](const Weibull&) { return "weibull"; },
                        [](const Gumbel&) { return "gumbel"; },
                        [](const StudentT&) { return "student_t"; },
                        [](const LogUniform&) { return "loguniform"; },
                        [](const Metalog&) { return "metalog"; },
                    },
                    d);
}

std::string describe(const Distribution& d) {
  return std::visit(
      overloaded{
          [](const Constant& c) { return fmt::format("constant({:g})", c.value); },
          [](const Uniform& u) { return fmt::format("uniform(min={:g}, max={:g})", u.min, u.max); },
          [](const Triangular& t) {
            return fmt::format("triangular(min={:g}, mode={:g}, max={:g})", t.min, t.mode, t.max);
          },
          [](const Pert& t) { return fmt::format("pert(min={:g}, mode={:g}, max={:g})", t.min, t.mode, t.max); },
          [](const Normal& n) { return fmt::format("normal(mean={:g}, sd={:g})", n.mu, n.sigma); },
          [](const TruncNormal& n) {
            return fmt::format("truncnormal(mean={:g}, sd={:g}, min={:g}, max={:g})", n.mu, n.sigma, n.min, n.max);
          },
          [](const LogNormal& l) { return fmt::format("lognormal(median={:g}, sigma={:g})", std::exp(l.mu), l.sigma); },
          [](const Beta& b) {
            return b.scaled() ? fmt::format("beta(alpha={:g}, beta={:g}, min={:g}, max={:g})", b.alpha, b.beta, b.min, b.max)
                              : fmt::format("beta(alpha={:g}, beta={:g})", b.alpha, b.beta);
          },
          [](const Gamma& g) { return fmt::format("gamma(shape={:g}, scale={:g})", g.shape, g.scale); },
          [](const Discrete& x) { return fmt::format("discrete({} values)", x.values.size()); },
          [](const Empirical& e) { return fmt::format("empirical({} observations)", e.data.size()); },
          [](const Bernoulli& b) { return fmt::format("bernoulli(p={:g})", b.p); },
          [](const Binomial& b) { return fmt::format("binomial(n={:g}, p={:g})", b.n, b.p); },
          [](const Poisson& x) { return fmt::format("poisson(mean={:g})", x.lambda); },
          [](const Exponential& x) { return fmt::format("exponential(rate={:g})", x.rate); },
          [](const Weibull& x) { return fmt::format("weibull(shape={:g}, scale={:g})", x.shape, x.scale); },
          [](const Gumbel& x) { return fmt::format("gumbel(location={:g}, scale={:g})", x.location, x.scale); },
          [](const StudentT& x) {
            return fmt::format("student_t(df={:g}, location={:g}, scale={:g})", x.df, x.location, x.scale);
          },
          [](const LogUniform& x) { return fmt::format("loguniform(min={:g}, max={:g})", x.min, x.max); },
          [](const Metalog& m) {
            std::string points;
            for (std::size_t i = 0; i < m.p.size(); ++i)
              points += fmt::format("{}p{:g}={:g}", i ? ", " : "", 100 * m.p[i], m.x[i]);
            if (!std::isnan(m.lower)) points += fmt::format(", lower={:g}", m.lower);
            if (!std::isnan(m.upper)) points += fmt::format(", upper={:g}", m.upper);
            return fmt::format("metalog({})", points);
          },
      },
      d);
}

namespace {

}  // namespace

double mean(const Distribution& d) {
  return std::visit([](const auto& law) { return law.mean(); }, d);
}

double sd(const Distribution& d) {
  return std::visit([](const auto& law) { return law.sd(); }, d);
}

double cdf(const Distribution& d, double x) {
  return std::visit([x](const auto& law) { return law.cdf(x); }, d);
}

double quantile(const Distribution& d, double p) {
  return std::visit([p](const auto& law) { return law.quantile(p); }, d);
}

double median(const Distribution& d) { return quantile(d, 0.5); }

namespace {

// QuantileFunction's table: pieces of width h in z = Φ⁻¹(u) from z0 (u from 2⁻⁵⁴, the samplers' smallest uniform).
constexpr std::size_t k_table_pieces = 2048;
constexpr double k_table_z0 = -8.3;
constexpr double k_table_h = 16.6 / k_table_pieces;

// Binomial and Poisson: cdf(first + i) for every count a draw can reach (its uniform lies in [2⁻⁵⁴, the largest
// double below 1], SampleStream::to_unit), when there are at most 2²⁰ of them; else no table (cdf empty).
struct CountTable {
  double first = 0;
  std::vector<double> cdf;
};
template <class Count>
CountTable count_cdf_table(const Count& law) {
  const double lo = law.quantile(0x1p-54), hi = law.quantile(std::nextafter(1.0, 0.0));
  CountTable t;
  if (!(hi - lo < static_cast<double>(1 << 20))) return t;
  t.first = lo;
  t.cdf.reserve(static_cast<std::size_t>(hi - lo) + 1);
  for (double k = lo; k <= hi; ++k) t.cdf.push_back(law.cdf(k));
  return t;
}

// The cubic Hermite piece through (0, x0) and (1, x1) with slopes s0, s1 per unit of z at t in [0, 1], kept
// between x0 and x1 (a quantile function rises).
double hermite(double x0, double s0, double x1, double s1, double t) {
  const double t2 = t * t, t3 = t2 * t;
  const double x = (2 * t3 - 3 * t2 + 1) * x0 + (t3 - 2 * t2 + t) * k_table_h * s0 + (3 * t2 - 2 * t3) * x1 +
                   (t3 - t2) * k_table_h * s1;
  return std::clamp(x, x0, x1);
}

#if defined(__x86_64__)
// out[i] ← the table's piece at z[i] interpolated, four values at a time: hermite()'s operations in its order (IEEE
// add, multiply and divide, no FMA; its clamp as max then min, whose NaN and zero rules are the comparisons'), so the
// same bits as one by one. piece[i] is the piece, or k_table_pieces where z[i] lies outside the table (out[i] is then
// meaningless: the caller answers there).
__attribute__((target("avx2"))) void hermite_avx2(const double* tx, const double* ts, const double* z, double* out,
                                                  std::uint32_t* piece, std::size_t n) {  // n a multiple of 4
  const __m256d z0 = _mm256_set1_pd(k_table_z0), h = _mm256_set1_pd(k_table_h),
                top = _mm256_set1_pd(static_cast<double>(k_table_pieces)), zero = _mm256_setzero_pd(),
                one = _mm256_set1_pd(1), two = _mm256_set1_pd(2), three = _mm256_set1_pd(3);
  for (std::size_t i = 0; i + 4 <= n; i += 4) {
    const __m256d at = _mm256_div_pd(_mm256_sub_pd(_mm256_loadu_pd(z + i), z0), h);
    const __m256d inside = _mm256_and_pd(_mm256_cmp_pd(at, zero, _CMP_GE_OQ), _mm256_cmp_pd(at, top, _CMP_LT_OQ));
    const __m128i k = _mm256_cvttpd_epi32(_mm256_and_pd(at, inside));  // the piece (0 outside)
    const __m256d t = _mm256_sub_pd(at, _mm256_cvtepi32_pd(k));
    const __m256d x0 = _mm256_i32gather_pd(tx, k, 8), x1 = _mm256_i32gather_pd(tx + 1, k, 8);
    const __m256d s0 = _mm256_i32gather_pd(ts, k, 8), s1 = _mm256_i32gather_pd(ts + 1, k, 8);
    const __m256d t2 = _mm256_mul_pd(t, t), t3 = _mm256_mul_pd(t2, t);
    const __m256d a = _mm256_add_pd(_mm256_sub_pd(_mm256_mul_pd(two, t3), _mm256_mul_pd(three, t2)), one);
    const __m256d b = _mm256_add_pd(_mm256_sub_pd(t3, _mm256_mul_pd(two, t2)), t);
    const __m256d c = _mm256_sub_pd(_mm256_mul_pd(three, t2), _mm256_mul_pd(two, t3));
    const __m256d d = _mm256_sub_pd(t3, t2);
    __m256d x = _mm256_mul_pd(a, x0);
    x = _mm256_add_pd(x, _mm256_mul_pd(_mm256_mul_pd(b, h), s0));
    x = _mm256_add_pd(x, _mm256_mul_pd(c, x1));
    x = _mm256_add_pd(x, _mm256_mul_pd(_mm256_mul_pd(d, h), s1));
    _mm256_storeu_pd(out + i, _mm256_min_pd(x1, _mm256_max_pd(x0, x)));  // x1 < (x < x0 ? x0 : x) ? x1 : …
    alignas(16) std::int32_t pieces[4];
    _mm_store_si128(reinterpret_cast<__m128i*>(pieces), k);
    const int in = _mm256_movemask_pd(inside);
    for (int l = 0; l < 4; ++l)
      piece[i + l] = (in >> l & 1) != 0 ? static_cast<std::uint32_t>(pieces[l]) : static_cast<std::uint32_t>(k_table_pieces);
  }
}
#endif

}  // namespace

bool same_tabulated_law(const Distribution& a, const Distribution& b) noexcept {
  if (a.index() != b.index()) return false;
  return std::visit(
      [&](const auto& x) {
        using Law = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<Law, Beta> || std::is_same_v<Law, Pert> || std::is_same_v<Law, Gamma> ||
                      std::is_same_v<Law, StudentT>) {
          static_assert(std::is_trivially_copyable_v<Law> && sizeof(Law) % sizeof(double) == 0);
          return std::memcmp(&x, &std::get<Law>(b), sizeof(Law)) == 0;  // doubles only: no padding
        } else {
          return false;
        }
      },
      a);
}

QuantileFunction::QuantileFunction(Distribution d, const ParallelFor& each) : dist_(std::move(d)) {
  const auto for_each = [&](std::size_t n, const std::function<void(std::size_t)>& body) {
    if (each) {
      each(n, body);
    } else {
      for (std::size_t i = 0; i < n; ++i) body(i);
    }
  };
  const auto steps = [this](const Steps& st) {
    x_ = st.x;
    cum_ = st.cum;
  };
  if (const auto* v = std::get_if<Discrete>(&dist_)) steps(Steps(v->values, v->weights));
  if (const auto* e = std::get_if<Empirical>(&dist_)) steps(empirical_steps(*e));
  // Counts: every reachable count's cdf when there are at most 2²⁰ (one search a call, not a Boost inversion).
  const auto counts = [this](const auto& law) {
    CountTable t = count_cdf_table(law);
    for (std::size_t i = 0; i < t.cdf.size(); ++i) x_.push_back(t.first + static_cast<double>(i));
    cum_ = std::move(t.cdf);
  };
  if (const auto* b = std::get_if<Binomial>(&dist_)) counts(*b);
  if (const auto* x = std::get_if<Poisson>(&dist_)) counts(*x);
  // Laws whose quantile is an iterative inversion: tabulated in z (see the header), pieces checked at their midpoints.
  const auto tabulate = [this, &for_each](const auto& law, double lo, double span) {
    try {
      // (above the median through the upper tail's probability, which keeps its precision near u = 1)
      const auto q = [&](double z) {
        using Law = std::decay_t<decltype(law)>;
        if constexpr (std::is_same_v<Law, bm::beta_distribution<double>>)
          return lo + span * (z <= 0 ? beta_quantile(law, normal_cdf(z)) : beta_quantile(law, normal_cdf(-z), true));
        else
          return lo + span * (z <= 0 ? bm::quantile(law, normal_cdf(z)) : bm::quantile(bm::complement(law, normal_cdf(-z))));
      };
      tx_.resize(k_table_pieces + 1);
      ts_.resize(k_table_pieces + 1);
      for_each(k_table_pieces + 1, [&](std::size_t k) {
        const double z = k_table_z0 + k_table_h * static_cast<double>(k);
        tx_[k] = q(z);
        const double density = bm::pdf(law, (tx_[k] - lo) / span) / span;
        ts_[k] = density > 0 ? std::exp(-0.5 * z * z) / std::sqrt(2 * std::numbers::pi) / density : 0;
      });
      const double scale = q(normal_quantile(0.99)) - q(normal_quantile(0.01));
      exact_.assign(k_table_pieces, 0);
      for_each(k_table_pieces, [&](std::size_t k) {
        const double mid = hermite(tx_[k], ts_[k], tx_[k + 1], ts_[k + 1], 0.5);
        const double want = q(k_table_z0 + k_table_h * (static_cast<double>(k) + 0.5));
        exact_[k] = !std::isfinite(ts_[k]) || !std::isfinite(ts_[k + 1]) ||
                    !(std::fabs(mid - want) <= k_quantile_table_tolerance * scale);
      });
    } catch (const std::exception&) {  // Boost gave up somewhere in the table: no table, Boost answers every call
      tx_.clear();
      ts_.clear();
      exact_.clear();
    }
  };
  if (const auto* b = std::get_if<Beta>(&dist_))
    tabulate(bm::beta_distribution<double>(b->alpha, b->beta), b->scaled() ? b->min : 0.0, b->scaled() ? b->max - b->min : 1.0);
  if (const auto* p = std::get_if<Pert>(&dist_)) tabulate(pert_beta(*p), p->min, p->max - p->min);
  if (const auto* g = std::get_if<Gamma>(&dist_)) tabulate(bm::gamma_distribution<double>(g->shape, 1.0), 0.0, g->scale);
  if (const auto* t = std::get_if<StudentT>(&dist_))
    tabulate(bm::students_t_distribution<double>(t->df), t->location, t->scale);
}

double QuantileFunction::operator()(double u) const {
  if (!tx_.empty()) return from_table(u);
  if (x_.empty()) return quantile(dist_, u);
  const auto it = std::lower_bound(cum_.begin(), cum_.end(), u);
  return x_[std::min(static_cast<std::size_t>(it - cum_.begin()), x_.size() - 1)];
}

void QuantileFunction::apply(std::span<double> v) const {
  // Laws of Φ⁻¹(u): the normal quantiles of the whole span at once (vectorized; the same bits as one by one).
  if (const auto* n = std::get_if<Normal>(&dist_)) {
    normal_quantiles(v);
    for (double& z : v) z = n->mu + n->sigma * z;
    return;
  }
  if (const auto* l = std::get_if<LogNormal>(&dist_)) {
    normal_quantiles(v);
    for (double& z : v) z = std::exp(l->mu + l->sigma * z);
    return;
  }
  if (!tx_.empty()) {
    constexpr std::size_t chunk = 256;
    std::array<double, chunk> u;
    for (std::size_t at = 0; at < v.size(); at += chunk) {
      const std::span<double> part = v.subspan(at, std::min(chunk, v.size() - at));
      std::copy(part.begin(), part.end(), u.begin());
      normal_quantiles(part);
#if defined(__x86_64__)
      if (best_simd_level() >= SimdLevel::avx2) {  // the chunk's whole groups of four interpolated at once; from_table_z
        std::array<std::uint32_t, chunk> piece;    // where the table does not answer, and for the last few
        std::array<double, chunk> table;
        const std::size_t whole = part.size() / 4 * 4;
        hermite_avx2(tx_.data(), ts_.data(), part.data(), table.data(), piece.data(), whole);
        for (std::size_t i = 0; i < part.size(); ++i)
          part[i] = i < whole && piece[i] != k_table_pieces && !exact_[piece[i]] ? table[i] : from_table_z(part[i], u[i]);
        continue;
      }
#endif
      for (std::size_t i = 0; i < part.size(); ++i) part[i] = from_table_z(part[i], u[i]);
    }
    return;
  }
  if (!x_.empty()) {
    for (double& u : v) u = (*this)(u);
    return;
  }
  if (const auto* t = std::get_if<Triangular>(&dist_)) {
    // Triangular::quantile's two branches, both computed and one selected: a loop the compiler vectorizes (IEEE
    // square roots and the same operations in the same order, so the same bits).
    const double a = t->min, b = t->max, ba = b - a, ca = t->mode - a, bc = b - t->mode, split = ca / ba;
    for (double& u : v) {
      const double lo = a + std::sqrt(u * ba * ca), hi = b - std::sqrt((1 - u) * ba * bc);
      u = u < split ? lo : hi;
    }
    return;
  }
  std::visit([v](const auto& law) {
    for (double& u : v) u = law.quantile(u);
  }, dist_);
}

double QuantileFunction::from_table(double u) const { return from_table_z(normal_quantile(u), u); }

double QuantileFunction::from_table_z(double z, double u) const {
  const auto exact = [&] {  // Boost's inversion, at u (or at Φ(z), clamped as the samplers' uniforms, when u is NaN)
    return quantile(dist_, std::isnan(u) ? std::clamp(normal_cdf(z), 0x1p-54, 0x1.fffffffffffffp-1) : u);
  };
  const double at = (z - k_table_z0) / k_table_h;
  if (!(at >= 0 && at < static_cast<double>(k_table_pieces))) return exact();
  const auto k = static_cast<std::size_t>(at);
  if (exact_[k]) return exact();
  return hermite(tx_[k], ts_[k], tx_[k + 1], ts_[k + 1], at - static_cast<double>(k));
}

void QuantileFunction::apply_scores(std::span<double> v) const {
  // The scores whose Φ is the samplers' smallest and largest uniform.
  static const double z_lo = normal_quantile(0x1p-54), z_hi = normal_quantile(0x1.fffffffffffffp-1);
  constexpr double u_lo = 0x1p-54, u_hi = 0x1.fffffffffffffp-1;
  for (double& z : v) z = std::clamp(z, z_lo, z_hi);
  if (const auto* n = std::get_if<Normal>(&dist_)) {
    for (double& z : v) z = n->mu + n->sigma * z;
  } else if (const auto* l = std::get_if<LogNormal>(&dist_)) {
    for (double& z : v) z = std::exp(l->mu + l->sigma * z);
  } else if (!tx_.empty()) {
    for (double& z : v) z = from_table_z(z, std::numeric_limits<double>::quiet_NaN());
  } else {
    for (double& z : v) z = std::clamp(normal_cdf(z), u_lo, u_hi);
    apply(v);
  }
}

// ---- sampling ----

template <class Count>
void Sampler::count_table(const Count& law) {
  CountTable t = count_cdf_table(law);
  if (t.cdf.empty()) return;
  c0_ = t.first;
  table_ = std::move(t.cdf);
}

Sampler::Sampler(Distribution d) : dist_(std::move(d)) {
  std::visit(overloaded{
                 [this](const Pert& p) {
                   ga_ = GammaConstants::of(p.alpha());
                   gb_ = GammaConstants::of(p.beta());
                 },
                 [this](const Beta& b) {
                   ga_ = GammaConstants::of(b.alpha);
                   gb_ = GammaConstants::of(b.beta);
                 },
                 [this](const Gamma& g) { ga_ = GammaConstants::of(g.shape); },
                 [this](const StudentT& t) { ga_ = GammaConstants::of(0.5 * t.df); },
                 [this](const Binomial& b) { count_table(b); },
                 [this](const Poisson& x) { count_table(x); },
                 [this](const TruncNormal& n) {
                   const TruncParts t(n);
                   c0_ = normal_cdf(t.alpha);
                   c1_ = normal_cdf(t.beta);
                 },
                 [this](const Discrete& v) {
                   table_.resize(v.weights.size());
                   std::partial_sum(v.weights.begin(), v.weights.end(), table_.begin());
                   const double total = table_.back();
                   for (auto& c : table_) c /= total;
                   table_.back() = 1.0;
                 },
                 [](const auto&) {},
             },
             dist_);
}

namespace {

// The per-family draw, with the sampler's precomputed state; inlined into the block loops.
struct Draw {
  const std::vector<double>& table;
  double c0, c1;
  const GammaConstants &ga, &gb;

  double operator()(const Constant& c, SampleStream&) const { return c.value; }
  double operator()(const Uniform& u, SampleStream& s) const { return u.min + (u.max - u.min) * s.uniform(); }
  double operator()(const Triangular& t, SampleStream& s) const {
    const double p = s.uniform(), a = t.min, b = t.max, c = t.mode;
    if (p < (c - a) / (b - a)) return a + std::sqrt(p * (b - a) * (c - a));
    return b - std::sqrt((1 - p) * (b - a) * (b - c));
  }
  double beta01(SampleStream& s) const {
    const double x = gamma_of(s, ga);
    const double y = gamma_of(s, gb);
    return x / (x + y);
  }
  double operator()(const Pert& p, SampleStream& s) const { return p.min + (p.max - p.min) * beta01(s); }
  double operator()(const Normal& n, SampleStream& s) const { return n.mu + n.sigma * normal_of(s); }
  double operator()(const TruncNormal& n, SampleStream& s) const {
    // Inverse CDF restricted to [Φ(α), Φ(β)], clamped against rounding at the bounds.
    const double p = c0 + (c1 - c0) * s.uniform();
    return std::clamp(n.mu + n.sigma * normal_quantile(p), n.min, n.max);
  }
  double operator()(const LogNormal& l, SampleStream& s) const { return std::exp(l.mu + l.sigma * normal_of(s)); }
  double operator()(const Beta& b, SampleStream& s) const {
    return b.scaled() ? b.min + (b.max - b.min) * beta01(s) : beta01(s);
  }
  double operator()(const Gamma& g, SampleStream& s) const { return g.scale * gamma_of(s, ga); }
  double operator()(const Discrete& v, SampleStream& s) const {
    const auto it = std::upper_bound(table.begin(), table.end(), s.uniform());
    return v.values[std::min(static_cast<std::size_t>(it - table.begin()), v.values.size() - 1)];
  }
  double operator()(const Empirical& e, SampleStream& s) const {
    const auto n = e.data.size();
    return e.data[std::min(static_cast<std::size_t>(s.uniform() * static_cast<double>(n)), n - 1)];
  }
  // Counts by the cumulative table of cdf(c0 + i) the sampler built (Boost's quantile beyond it, or without one).
  template <class Count>
  double count(const Count& law, SampleStream& s) const {
    const double u = s.uniform();
    const auto it = std::lower_bound(table.begin(), table.end(), u);
    if (it != table.end()) return c0 + static_cast<double>(it - table.begin());
    return law.quantile(u);
  }
  double operator()(const Binomial& b, SampleStream& s) const { return count(b, s); }
  double operator()(const Poisson& x, SampleStream& s) const { return count(x, s); }
  // Student's t as Z / √(χ²_df / df), χ²_df = 2·Gamma(df/2).
  double operator()(const StudentT& t, SampleStream& s) const {
    const double z = normal_of(s);
    const double chi2 = 2 * gamma_of(s, ga);
    return t.location + t.scale * (z / std::sqrt(chi2 / t.df));
  }
  // The rest by their quantile function at one uniform (closed forms).
  template <class Law>
  double operator()(const Law& law, SampleStream& s) const { return law.quantile(s.uniform()); }
};

// ---- fast paths: a chunk of samples at once ----
//
// Each family's draw is a loop that almost always ends on its first try. The fast kernels compute that first
// try for a whole chunk of samples from the words already in hand, branch-free so the compiler vectorizes
// them, and flag the samples whose first try is rejected (about 1% of normals, 3% of gammas); Sampler::fill
// redoes those with the scalar draw. A first try that is accepted takes exactly the scalar draw's operations
// in the same order (IEEE add, multiply, divide, sqrt and compare are exactly rounded, and -ffp-contract=off
// forbids fused multiply-adds), so every sample gets the scalar draw's bits at every SIMD level.

enum class Fast { none, uniform, triangular, normal, lognormal, gamma, beta };

constexpr std::size_t k_fill_chunk = 64;  // samples whose words are computed, and first tries taken, at once

// What a fast kernel needs of the law: its kind, up to four parameters and the gamma constants.
struct FastLaw {
  Fast kind = Fast::none;
  double p0 = 0, p1 = 0, p2 = 0, p3 = 0;
  GammaConstants ga{}, gb{};
};

FastLaw fast_law(const Distribution& d, const GammaConstants& ga, const GammaConstants& gb) {
  FastLaw f;
  f.ga = ga;
  f.gb = gb;
  const auto set = [&](Fast kind, double p0, double p1, double p2 = 0, double p3 = 0) {
    f.kind = kind;
    f.p0 = p0;
    f.p1 = p1;
    f.p2 = p2;
    f.p3 = p3;
  };
  std::visit(overloaded{
                 [&](const Uniform& u) { set(Fast::uniform, u.min, u.max - u.min); },
                 // The scalar draw's cut (c − a)/(b − a); the kernel forms (b − a)(c − a) and (b − a)(b − c) itself.
                 [&](const Triangular& t) { set(Fast::triangular, t.min, t.max, (t.mode - t.min) / (t.max - t.min), t.mode); },
                 [&](const Normal& n) { set(Fast::normal, n.mu, n.sigma); },
                 [&](const LogNormal& l) { set(Fast::lognormal, l.mu, l.sigma); },
                 [&](const Gamma& g) {
                   if (!ga.boosted) set(Fast::gamma, g.scale, 0);
                 },
                 [&](const Beta& b) {
                   if (!ga.boosted && !gb.boosted) set(Fast::beta, b.min, b.max - b.min, b.scaled() ? 1 : 0);
                 },
                 [&](const Pert& p) {
                   if (!ga.boosted && !gb.boosted) set(Fast::beta, p.min, p.max - p.min, 1);  // p2 = 1: scaled
                 },
                 [](const auto&) {},
             },
             d);
  return f;
}

// The ziggurat's first try on word w (normal_of's fast exit): the signed value; ok = 0 when it is rejected.
[[gnu::always_inline]] inline double ziggurat_first(const double* zx, std::uint64_t w, unsigned char& ok) {
  const std::uint64_t layer = w & 0xff;
  const double u = SampleStream::to_double(w >> 11) * 0x1p-53;
  const double x = u * zx[layer];
  ok = x < zx[layer + 1];
  return std::bit_cast<double>(std::bit_cast<std::uint64_t>(x) ^ ((w >> 8 & 1) << 63));  // −x when bit 8 is set
}

// Marsaglia–Tsang's first tries (gamma_of's fast exit, shape ≥ 1) of samples 0..m−1, whose normal and uniform
// words are wn[per·k] and wu[per·k]: dv[k] = d·v³, ok[k] = 0 when the try is rejected. The squeeze
// u < 1 − 0.0331x⁴, vectorized, settles about 90% of tries; the rest take the scalar draw's own second test,
// ln u < x²/2 + d(1 − v + ln v) with std::log, one by one.
[[gnu::always_inline]] inline void gamma_tries(const double* __restrict zx, const GammaConstants& g,
                                               const std::uint64_t* __restrict wn, const std::uint64_t* __restrict wu,
                                               std::size_t per, std::size_t m, double* __restrict dv,
                                               unsigned char* __restrict ok) {
  alignas(64) double us[k_fill_chunk], vs[k_fill_chunk], x2s[k_fill_chunk];
  alignas(64) unsigned char open[k_fill_chunk];
  const double c = g.c, d = g.d;
  for (std::size_t k = 0; k < m; ++k) {
    unsigned char zok;
    const double x = ziggurat_first(zx, wn[per * k], zok);
    double v = 1.0 + c * x;
    const bool positive = v > 0.0;
    v = v * v * v;
    const double u = SampleStream::to_unit(wu[per * k]);
    const double x2 = x * x;
    us[k] = u;
    vs[k] = v;
    x2s[k] = x2;
    dv[k] = d * v;
    const auto sure = static_cast<unsigned char>(u < 1.0 - 0.0331 * x2 * x2);
    const auto valid = static_cast<unsigned char>(zok & static_cast<unsigned char>(positive));
    ok[k] = valid & sure;
    open[k] = valid & static_cast<unsigned char>(sure ^ 1);
  }
  for (std::size_t k = 0; k < m; ++k)
    if (open[k] != 0) ok[k] = std::log(us[k]) < 0.5 * x2s[k] + d * (1.0 - vs[k] + std::log(vs[k]));
}

// The first tries of samples 0..m−1 (m ≤ k_fill_chunk) of a chunk whose words are w (`per` words a sample): out and ok.
[[gnu::always_inline]] inline void fast_kernel(const FastLaw& f, const double* __restrict zx,
                                               const std::uint64_t* __restrict w, std::size_t per, std::size_t m,
                                               double* __restrict out, unsigned char* __restrict ok) {
  const double p0 = f.p0, p1 = f.p1;
  switch (f.kind) {
    case Fast::uniform:
      for (std::size_t k = 0; k < m; ++k) {
        out[k] = p0 + p1 * SampleStream::to_unit(w[per * k]);
        ok[k] = 1;
      }
      break;
    case Fast::triangular: {
      const double a = p0, b = p1, cut = f.p2, c = f.p3;
      for (std::size_t k = 0; k < m; ++k) {
        const double p = SampleStream::to_unit(w[per * k]);
        const bool low = p < cut;  // one square root, of the side's own product
        const double root = std::sqrt(low ? p * (b - a) * (c - a) : (1 - p) * (b - a) * (b - c));
        out[k] = low ? a + root : b - root;
        ok[k] = 1;
      }
      break;
    }
    case Fast::normal:
    case Fast::lognormal:  // the exponential is taken after (scalar std::exp, the same bits everywhere)
      for (std::size_t k = 0; k < m; ++k) out[k] = p0 + p1 * ziggurat_first(zx, w[per * k], ok[k]);
      break;
    case Fast::gamma:
      gamma_tries(zx, f.ga, w, w + 1, per, m, out, ok);
      for (std::size_t k = 0; k < m; ++k) out[k] = p0 * out[k];
      break;
    case Fast::beta: {
      alignas(64) double y[k_fill_chunk];
      alignas(64) unsigned char oky[k_fill_chunk];
      gamma_tries(zx, f.ga, w, w + 1, per, m, out, ok);
      gamma_tries(zx, f.gb, w + 2, w + 3, per, m, y, oky);
      const bool scaled = f.p2 != 0;
      for (std::size_t k = 0; k < m; ++k) {
        const double b01 = out[k] / (out[k] + y[k]);
        out[k] = scaled ? p0 + p1 * b01 : b01;  // PERT scales; beta is b01 itself
        ok[k] &= oky[k];
      }
      break;
    }
    case Fast::none: break;
  }
}

#if defined(__x86_64__)
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw"))) void fast_avx512(
    const FastLaw& f, const double* zx, const std::uint64_t* w, std::size_t per, std::size_t m, double* out,
    unsigned char* ok) {
  fast_kernel(f, zx, w, per, m, out, ok);
}
__attribute__((target("avx2"))) void fast_avx2(const FastLaw& f, const double* zx, const std::uint64_t* w,
                                               std::size_t per, std::size_t m, double* out, unsigned char* ok) {
  fast_kernel(f, zx, w, per, m, out, ok);
}
#endif
void fast_plain(const FastLaw& f, const double* zx, const std::uint64_t* w, std::size_t per, std::size_t m,
                double* out, unsigned char* ok) {
  fast_kernel(f, zx, w, per, m, out, ok);
}

void fast_first_tries(SimdLevel level, const FastLaw& f, const std::uint64_t* w, std::size_t per, std::size_t m,
                      double* out, unsigned char* ok) {
  const double* zx = ziggurat().x.data();
#if defined(__x86_64__)
  if (level == SimdLevel::avx512) return fast_avx512(f, zx, w, per, m, out, ok);
  if (level == SimdLevel::avx2) return fast_avx2(f, zx, w, per, m, out, ok);
#endif
  (void)level;
  fast_plain(f, zx, w, per, m, out, ok);
}

}  // namespace

void Sampler::fill(std::uint64_t seed, std::uint64_t var_id, std::uint64_t first, std::span<double> out,
                   SimdLevel level) const {
  const Draw draw{table_, c0_, c1_, ga_, gb_};
  const FastLaw fast = fast_law(dist_, ga_, gb_);
  std::visit(
      [&](const auto& law) {
        if constexpr (std::is_same_v<std::decay_t<decltype(law)>, Constant>) {
          std::fill(out.begin(), out.end(), law.value);
        } else {
          // Each sample's first words, computed for a chunk of samples at once in SIMD registers: four for
          // the laws drawn through two gammas (beta, PERT), two for the rest (one or two used, almost always).
          using Law = std::decay_t<decltype(law)>;
          constexpr bool four = std::is_same_v<Law, Beta> || std::is_same_v<Law, Pert>;
          constexpr std::size_t chunk = k_fill_chunk, per = four ? 4 : 2;
          alignas(64) std::array<std::uint64_t, per * chunk> words;
          const StreamKey key = stream_key(seed, var_id);
          const auto redo = [&](std::size_t j0, std::size_t k) {  // the scalar draw of sample first + j0 + k
            if constexpr (four) {
              SampleStream s(key, first + j0 + k, words.data() + 4 * k);
              return draw(law, s);
            } else {
              SampleStream s(key, first + j0 + k, words.data() + 2 * k, SampleStream::FirstTwo{});
              return draw(law, s);
            }
          };
          alignas(64) std::array<unsigned char, chunk> ok;
          for (std::size_t j0 = 0; j0 < out.size(); j0 += chunk) {
            const std::size_t m = std::min(chunk, out.size() - j0);
            if constexpr (four) stream_words(level, key, first + j0, m, words.data());
            else stream_words2(level, key, first + j0, m, words.data());
            double* o = out.data() + j0;
            if (fast.kind == Fast::none) {
              for (std::size_t k = 0; k < m; ++k) o[k] = redo(j0, k);
              continue;
            }
            fast_first_tries(level, fast, words.data(), per, m, o, ok.data());
            if (fast.kind == Fast::lognormal) {
              for (std::size_t k = 0; k < m; ++k) o[k] = ok[k] != 0 ? std::exp(o[k]) : redo(j0, k);
            } else {
              for (std::size_t k = 0; k < m; ++k)
                if (ok[k] == 0) o[k] = redo(j0, k);
            }
          }
        }
      },
      dist_);
}

double Sampler::draw(SampleStream& s) const {
  const Draw draw{table_, c0_, c1_, ga_, gb_};
  return std::visit([&](const auto& law) { return draw(law, s); }, dist_);
}

}  // namespace tamcarlo
