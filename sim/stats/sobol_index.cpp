#include "sim/stats/sobol_index.hpp"

#include "sim/base/numeric.hpp"

#include <boost/math/distributions/students_t.hpp>

#include <algorithm>
#include <cmath>

namespace tamcarlo {

void SaltelliSums::add(double fa, double fb, std::span<const double> fx) {
  bool finite = std::isfinite(fa) && std::isfinite(fb);
  for (std::size_t i = 0; i < fx.size() && finite; ++i) finite = std::isfinite(fx[i]);
  if (!finite) return;
  sums_[k_count] += 1;
  sums_[k_a] += fa;
  sums_[k_a2] += fa * fa;
  sums_[k_b] += fb;
  sums_[k_b2] += fb * fb;
  for (std::size_t i = 0; i < fx.size(); ++i) {
    const double d = fx[i] - fa;
    sums_[k_per_input + 2 * i] += fb * d;
    sums_[k_per_input + 2 * i + 1] += d * d;
  }
}

void SaltelliSums::merge(const SaltelliSums& o) {
  for (std::size_t w = 0; w < sums_.size(); ++w) sums_[w] += o.sums_[w];
}

double SaltelliSums::variance() const noexcept {
  const double m = sums_[k_count], mean = (sums_[k_a] + sums_[k_b]) / (2 * m);
  return (sums_[k_a2] + sums_[k_b2]) / (2 * m) - mean * mean;
}

double SaltelliSums::first(std::size_t i) const noexcept {
  return sums_[k_per_input + 2 * i] / sums_[k_count] / variance();
}

double SaltelliSums::total(std::size_t i) const noexcept {
  return sums_[k_per_input + 2 * i + 1] / (2 * sums_[k_count]) / variance();
}

SobolEstimate estimate_sobol(const std::vector<SaltelliSums>& blocks, std::size_t inputs) {
  const std::size_t nblocks = blocks.size();
  const auto nb = static_cast<unsigned>(std::min<std::size_t>(k_sobol_batches, nblocks));
  std::vector<SaltelliSums> batch(nb, SaltelliSums(inputs));
  SaltelliSums all(inputs);
  for (std::size_t blk = 0; blk < nblocks; ++blk) {
    batch[blk * nb / nblocks].merge(blocks[blk]);
    all.merge(blocks[blk]);
  }
  SobolEstimate out;
  out.batches = nb;
  out.variance = all.variance();
  out.rows = all.count();
  const double t95 = nb > 1 ? boost::math::quantile(boost::math::students_t_distribution<double>(nb - 1), 0.975) : 0;
  for (const bool total : {false, true}) {
    auto& dest = total ? out.total : out.first;
    const auto index = [&](const SaltelliSums& s, std::size_t i) { return total ? s.total(i) : s.first(i); };
    for (std::size_t i = 0; i < inputs; ++i) {
      SobolIndex x;
      x.index = index(all, i);
      double mean = 0, ss = 0;
      std::vector<double> est;
      for (const auto& t : batch) est.push_back(index(t, i));
      for (const double e : est) mean += e / nb;
      for (const double e : est) ss += (e - mean) * (e - mean);
      x.se = nb > 1 ? std::sqrt(ss / (nb - 1) / nb) : k_nan;
      x.lo = x.index - t95 * x.se;
      x.hi = x.index + t95 * x.se;
      dest.push_back(x);
    }
  }
  return out;
}

}  // namespace tamcarlo
