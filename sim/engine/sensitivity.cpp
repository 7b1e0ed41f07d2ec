#include "sim/engine/sensitivity.hpp"

#include "sim/engine/plan_source.hpp"
#include "sim/engine/scenario_source.hpp"
#include "sim/stats/rank_correlation.hpp"

#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <variant>

namespace tamcarlo {

namespace {

// Batches of consecutive samples: each has its own deciles and swing; the swing is their mean and its standard error
// the spread of theirs (batch means: the deciles' edges being estimated from the samples is counted).
constexpr std::size_t k_swing_batches = 10;

// An input's samples in its batches' low and high deciles, each list in sample order; batch b's are
// [from[b], from[b + 1]) of its list.
struct DecileGroups {
  std::vector<std::uint32_t> low, high;
  std::array<std::size_t, k_swing_batches + 1> low_from{}, high_from{};
  std::size_t batches = 0;

  // Appends the next batch, x[from, to): its samples at or below p10 to low, the others at or above p90 to high.
  // (Branch-free: each position is written to both lists' ends, and each end moves on only where it belongs.)
  void add(std::span<const double> x, std::size_t from, std::size_t to, double p10, double p90) {
    const std::size_t nl = low.size(), nh = high.size();
    low.resize(nl + (to - from));
    high.resize(nh + (to - from));
    std::uint32_t *l = low.data() + nl, *h = high.data() + nh;
    std::size_t a = 0, c = 0;
    for (std::size_t i = from; i < to; ++i) {
      const double v = x[i];
      const bool is_low = v <= p10, is_high = !is_low && v >= p90;
      l[a] = h[c] = static_cast<std::uint32_t>(i);
      a += is_low;
      c += is_high;
    }
    low.resize(nl + a);
    high.resize(nh + c);
    ++batches;
    low_from[batches] = low.size();
    high_from[batches] = high.size();
  }
};

// Each batch's low decile, the samples at or below its P10 value (its ⌈m/10⌉-th smallest of m), and high decile, at
// or above its P90 value (its ⌈m/10⌉-th largest). A scan of x in sorted order from each end finds every batch's two
// values (it stops once all are found, near the column's 10% and 90% points).
DecileGroups batch_deciles(std::span<const double> x, const SortedColumn& sorted) {
  const std::size_t n = x.size();
  std::vector<std::uint8_t> batch(n);
  std::array<std::size_t, k_swing_batches + 1> from{};
  std::array<std::size_t, k_swing_batches> tail{}, seen{};
  std::array<double, k_swing_batches> p10{}, p90{};
  for (std::size_t b = 0; b <= k_swing_batches; ++b) from[b] = b * n / k_swing_batches;
  for (std::size_t b = 0; b < k_swing_batches; ++b) {
    std::fill(batch.begin() + static_cast<std::ptrdiff_t>(from[b]),
              batch.begin() + static_cast<std::ptrdiff_t>(from[b + 1]), static_cast<std::uint8_t>(b));
    tail[b] = (from[b + 1] - from[b] + 9) / 10;
  }
  std::size_t found = 0;
  for (std::size_t i = 0; found < k_swing_batches && i < n; ++i) {
    const std::uint8_t b = batch[sorted.at[i]];
    if (++seen[b] == tail[b]) p10[b] = sorted.value[i], ++found;
  }
  seen.fill(0);
  found = 0;
  for (std::size_t i = n; found < k_swing_batches && i-- > 0;) {
    const std::uint8_t b = batch[sorted.at[i]];
    if (++seen[b] == tail[b]) p90[b] = sorted.value[i], ++found;
  }
  DecileGroups g;
  g.low.reserve(n);  // (add writes a whole batch before it trims)
  g.high.reserve(n);
  for (std::size_t b = 0; b < k_swing_batches; ++b) g.add(x, from[b], from[b + 1], p10[b], p90[b]);
  return g;
}

// The same under weights w, batch by batch: P10 the smallest value with ≥ 10% of the batch's weight at or below it,
// P90 the mirror.
DecileGroups weighted_deciles(std::span<const double> x, const std::vector<double>& w) {
  DecileGroups g;
  std::vector<std::pair<double, double>> v;
  for (std::size_t b = 0; b < k_swing_batches; ++b) {
    const std::size_t from = b * x.size() / k_swing_batches, to = (b + 1) * x.size() / k_swing_batches;
    v.clear();
    double total = 0;
    for (std::size_t i = from; i < to; ++i) {
      v.emplace_back(x[i], w[i]);
      total += w[i];
    }
    std::sort(v.begin(), v.end());
    double p10 = v.empty() ? 0 : v.front().first, p90 = v.empty() ? 0 : v.back().first, cum = 0;
    for (const auto& [value, weight] : v) {
      cum += weight;
      if (cum >= 0.1 * total) {
        p10 = value;
        break;
      }
    }
    cum = 0;
    for (auto it = v.rbegin(); it != v.rend(); ++it) {
      cum += it->second;
      if (cum >= 0.1 * total) {
        p90 = it->first;
        break;
      }
    }
    g.add(x, from, to, p10, p90);
  }
  return g;
}

// The swing of y over each input k (its decile groups): the means of the batches' low and high means, and the
// standard error of high − low, sd of the batches' own differences / √B. Over the samples where y is finite; each
// group's sums run over its own samples, in sample order.
std::vector<Swing> swings_of(std::span<const double> y, const std::vector<DecileGroups>& groups,
                             const std::vector<double>* w) {
  const double nan = std::nan("");
  // Σ w·y and Σ w over samples at[from, to) where y is finite (w = 1 unweighted).
  const auto sum = [&](const std::vector<std::uint32_t>& at, std::size_t from, std::size_t to, double& s, double& n) {
    for (std::size_t j = from; j < to; ++j) {
      const std::uint32_t i = at[j];
      if (!std::isfinite(y[i])) continue;
      const double wi = w ? (*w)[i] : 1.0;
      s += wi * y[i];
      n += wi;
    }
  };
  std::vector<Swing> out(groups.size(), Swing{nan, nan, nan});
  for (std::size_t k = 0; k < groups.size(); ++k) {
    const DecileGroups& g = groups[k];
    double low = 0, high = 0;
    std::array<double, k_swing_batches> width{};
    bool none = false;  // a batch with an empty group: no swing
    for (std::size_t b = 0; b < k_swing_batches && !none; ++b) {
      double s1 = 0, n1 = 0, s2 = 0, n2 = 0;
      sum(g.low, g.low_from[b], g.low_from[b + 1], s1, n1);
      sum(g.high, g.high_from[b], g.high_from[b + 1], s2, n2);
      none = !(n1 > 0) || !(n2 > 0);
      const double lo = s1 / n1, hi = s2 / n2;
      low += lo / k_swing_batches;
      high += hi / k_swing_batches;
      width[b] = hi - lo;
    }
    if (none) continue;
    const auto count = static_cast<double>(k_swing_batches);
    double mean = 0, m2 = 0;
    for (const double x : width) mean += x / count;
    for (const double x : width) m2 += (x - mean) * (x - mean);
    out[k] = {low, high, std::sqrt(m2 / (count - 1) / count)};
  }
  return out;
}

}  // namespace

SensitivityNeeds sensitivity_needs(const Plan& plan, std::uint64_t samples, const std::vector<bool>& wanted,
                                   const SensitivityWeights* weights) {
  SensitivityNeeds out;
  out.samples = std::min(samples, k_sensitivity_samples);
  const auto& vars = plan.variables();
  const auto& series = plan.series();
  out.keep.assign(series.size(), false);
  for (std::size_t i = 0; i < series.size(); ++i) {
    const Variable& v = vars[series[i].var];
    if (v.input && series[i].year < 0 && v.law.rfind("constant(", 0) != 0) {  // not a yearly input
      out.inputs.push_back(series[i].var);
      out.keep[i] = true;
    }
    if (i < wanted.size() && wanted[i]) out.keep[i] = true;
  }
  if (weights)
    for (const std::size_t i : weights->series) out.keep.at(i) = true;
  const auto held = static_cast<std::uint64_t>(std::count(out.keep.begin(), out.keep.end(), true));
  if (held > 0) out.samples = std::min(out.samples, std::max<std::uint64_t>(1000, k_sensitivity_values / held));
  return out;
}

Sensitivity sensitivity(const Plan& plan, std::uint64_t seed, std::uint64_t samples, const std::vector<bool>& wanted,
                        unsigned threads, const std::vector<std::span<const double>>* kept,
                        const SensitivityWeights* weights) {
  Sensitivity out;
  const SensitivityNeeds needs = sensitivity_needs(plan, samples, wanted, weights);
  out.inputs = needs.inputs;
  out.samples = needs.samples;
  const auto& series = plan.series();
  out.rho.resize(series.size());
  if (out.inputs.empty() || out.samples < 3) return out;
  // Each kept series' first values: from the run's pass when it kept them all, else re-drawn (the same values).
  bool have = kept != nullptr && kept->size() == series.size();
  for (std::size_t i = 0; have && i < series.size(); ++i) have = !needs.keep[i] || (*kept)[i].size() >= out.samples;
  EngineOutput run;
  std::vector<std::span<const double>> column(series.size());
  if (have) {
    for (std::size_t i = 0; i < series.size(); ++i)
      if (needs.keep[i]) column[i] = (*kept)[i].first(out.samples);
  } else {
    EngineOptions eo;
    eo.seed = seed;
    eo.samples = out.samples;
    eo.run_samples = samples;  // the run's first samples: a design's draws depend on the run's N
    eo.threads = threads;
    eo.keep = needs.keep;
    run = run_engine(plan, eo);
    for (std::size_t i = 0; i < series.size(); ++i) column[i] = run.columns[i];
  }
  // A conditioned run's weights: each sample's likelihood of the figures, as the run rounds it (weight_units); NaN → 0.
  std::vector<double> weight;
  if (weights) {
    std::vector<const double*> values;
    for (const std::size_t s : weights->series) values.push_back(column[s].data());
    weight.resize(out.samples);
    evidence_weights(weights->figures, values, weight.size(), weight.data());
    for (double& w : weight) w = std::isnan(w) ? 0.0 : w;
  }
  const std::vector<double>* w = weights ? &weight : nullptr;
  // Ranks of each input once; each wanted series against them (if it has non-finite samples, the
  // input ranks are recomputed over its finite pairs only).
  std::vector<std::size_t> input_series;
  for (const std::uint32_t v : out.inputs)
    for (std::size_t i = 0; i < series.size(); ++i)
      if (series[i].var == v) input_series.push_back(i);
  std::vector<std::vector<double>> input_ranks(w ? input_series.size() : 0);      // weighted
  std::vector<CenteredRanks> input_centered(w ? 0 : input_series.size());  // unweighted
  std::vector<std::size_t> targets;
  for (std::size_t i = 0; i < series.size(); ++i)
    if (i < wanted.size() && wanted[i]) targets.push_back(i);
  // Each input's deciles within each batch (see batch_deciles).
  std::vector<DecileGroups> decile(input_series.size());
  out.swing.resize(series.size());
  tbb::task_arena arena(threads == 0 ? tbb::task_arena::automatic : static_cast<int>(threads));
  arena.execute([&] {
    tbb::parallel_for(std::size_t{0}, input_series.size(), [&](std::size_t k) {
      const std::span<const double> x = column[input_series[k]];
      if (w) {
        input_ranks[k] = weighted_ranks(x, *w);
        decile[k] = weighted_deciles(x, *w);
      } else {
        const SortedColumn sorted = sort_column(x);
        input_centered[k] = centered_ranks(sorted);
        decile[k] = batch_deciles(x, sorted);
      }
    });
    tbb::parallel_for(std::size_t{0}, targets.size(), [&](std::size_t t) {
      const std::span<const double> y = column[targets[t]];
      const bool all_finite = std::all_of(y.begin(), y.end(), [](double v) { return std::isfinite(v); });
      std::vector<std::size_t> ok;  // the samples where y is finite, when some are not
      if (!all_finite)
        for (std::size_t k = 0; k < y.size(); ++k)
          if (std::isfinite(y[k])) ok.push_back(k);
      std::vector<double> rho;
      if (w) {  // weighted: a non-finite y weighs 0 (the input ranks are then recomputed under those weights)
        std::vector<double> wy = *w;
        for (std::size_t k = 0; k < y.size(); ++k)
          if (!std::isfinite(y[k])) wy[k] = 0;
        std::vector<double> yy(y.begin(), y.end());
        for (double& v : yy)
          if (!std::isfinite(v)) v = 0;
        const std::vector<double> ry = weighted_ranks(yy, wy);
        for (std::size_t k = 0; k < input_series.size(); ++k)
          rho.push_back(all_finite ? weighted_pearson(input_ranks[k], ry, wy)
                                              : weighted_pearson(weighted_ranks(column[input_series[k]], wy), ry, wy));
      } else if (all_finite) {
        const CenteredRanks ry = centered_ranks(sort_column(y));
        for (const CenteredRanks& rx : input_centered) rho.push_back(spearman(rx, ry));
      } else {
        std::vector<double> yy, xx;
        for (const std::size_t k : ok) yy.push_back(y[k]);
        const std::vector<double> ry = average_ranks(yy);
        for (const std::size_t s : input_series) {
          xx.clear();
          for (const std::size_t k : ok) xx.push_back(column[s][k]);
          rho.push_back(ok.size() >= 3 ? pearson(average_ranks(xx), ry) : std::nan(""));
        }
      }
      out.rho[targets[t]] = std::move(rho);
      out.swing[targets[t]] = swings_of(y, decile, w);
    });
  });
  return out;
}

}  // namespace tamcarlo
