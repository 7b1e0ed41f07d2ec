#include "sim/engine/sensitivity.hpp"

#include "sim/engine/plan_source.hpp"
#include "sim/engine/scenario_source.hpp"
#include "sim/stats/rank_correlation.hpp"

#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <variant>

namespace tamcarlo {

namespace {

// Batches of consecutive samples: each has its own deciles and swing; the swing is their mean and its standard error
// the spread of theirs (batch means: the deciles' edges being estimated from the samples is counted).
constexpr std::size_t k_swing_batches = 10;

// Per sample of x[from, to): 1 where x is at or below the batch's P10 value (its ⌈m/10⌉-th smallest of m), 2 where at
// or above its P90 value (its ⌈m/10⌉-th largest), 0 elsewhere; `scratch` is reused.
void deciles(const std::vector<double>& x, std::size_t from, std::size_t to, std::vector<double>& scratch,
             std::vector<std::uint8_t>& d, const std::vector<double>* w) {
  if (to <= from) return;
  if (w) {  // weighted: P10 the smallest value with ≥ 10% of the batch's weight at or below it, P90 the mirror
    std::vector<std::pair<double, double>> v;
    double total = 0;
    for (std::size_t i = from; i < to; ++i) {
      v.emplace_back(x[i], (*w)[i]);
      total += (*w)[i];
    }
    std::sort(v.begin(), v.end());
    double p10 = v.front().first, p90 = v.back().first, cum = 0;
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
    for (std::size_t i = from; i < to; ++i) d[i] = x[i] <= p10 ? 1 : x[i] >= p90 ? 2 : 0;
    return;
  }
  scratch.assign(x.begin() + static_cast<std::ptrdiff_t>(from), x.begin() + static_cast<std::ptrdiff_t>(to));
  const std::size_t tail = (scratch.size() + 9) / 10;
  std::nth_element(scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(tail - 1), scratch.end());
  const double p10 = scratch[tail - 1];
  std::nth_element(scratch.begin() + static_cast<std::ptrdiff_t>(tail), scratch.end() - static_cast<std::ptrdiff_t>(tail),
                   scratch.end());
  const double p90 = *(scratch.end() - static_cast<std::ptrdiff_t>(tail));
  for (std::size_t i = from; i < to; ++i) d[i] = x[i] <= p10 ? 1 : x[i] >= p90 ? 2 : 0;
}

// The swing of y over one input (its batch deciles in d): the means of the batches' low and high means, and the
// standard error of high − low, sd of the batches' own differences / √B. Over the samples where y is finite.
Swing swing_of(const std::vector<double>& y, const std::vector<std::uint8_t>& d, const std::vector<double>* w) {
  const std::size_t m = y.size();
  double low = 0, high = 0, mean = 0, m2 = 0;
  std::vector<double> widths;
  for (std::size_t b = 0; b < k_swing_batches; ++b) {
    double sum[3] = {0, 0, 0};  // by group: 0 (neither), 1 (low), 2 (high)
    double n[3] = {0, 0, 0};    // (weighted: the group's weight)
    for (std::size_t i = b * m / k_swing_batches; i < (b + 1) * m / k_swing_batches; ++i) {
      if (!std::isfinite(y[i])) continue;
      const double wi = w ? (*w)[i] : 1.0;
      sum[d[i]] += wi * y[i];
      n[d[i]] += wi;
    }
    if (!(n[1] > 0) || !(n[2] > 0)) return {std::nan(""), std::nan(""), std::nan("")};
    const double lo = sum[1] / n[1], hi = sum[2] / n[2];
    low += lo / k_swing_batches;
    high += hi / k_swing_batches;
    widths.push_back(hi - lo);
  }
  for (const double w : widths) mean += w / static_cast<double>(widths.size());
  for (const double w : widths) m2 += (w - mean) * (w - mean);
  return {low, high, std::sqrt(m2 / static_cast<double>(widths.size() - 1) / static_cast<double>(widths.size()))};
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
  if (have) {
    run.columns.resize(series.size());
    for (std::size_t i = 0; i < series.size(); ++i)
      if (needs.keep[i]) run.columns[i].assign((*kept)[i].begin(), (*kept)[i].begin() + static_cast<std::ptrdiff_t>(out.samples));
  } else {
    EngineOptions eo;
    eo.seed = seed;
    eo.samples = out.samples;
    eo.run_samples = samples;  // the run's first samples: a design's draws depend on the run's N
    eo.threads = threads;
    eo.keep = needs.keep;
    run = run_engine(plan, eo);
  }
  // A conditioned run's weights: each sample's likelihood of the figures, as the run rounds it (weight_units); NaN → 0.
  std::vector<double> weight;
  if (weights) {
    std::vector<const double*> values;
    for (const std::size_t s : weights->series) values.push_back(run.columns[s].data());
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
  std::vector<std::vector<double>> input_ranks(input_series.size());
  std::vector<std::size_t> targets;
  for (std::size_t i = 0; i < series.size(); ++i)
    if (i < wanted.size() && wanted[i]) targets.push_back(i);
  // Each input's deciles within each batch (see deciles).
  std::vector<std::vector<std::uint8_t>> decile(input_series.size());
  out.swing.resize(series.size());
  tbb::task_arena arena(threads == 0 ? tbb::task_arena::automatic : static_cast<int>(threads));
  arena.execute([&] {
    tbb::parallel_for(std::size_t{0}, input_series.size(), [&](std::size_t k) {
      const std::vector<double>& x = run.columns[input_series[k]];
      input_ranks[k] = w ? weighted_ranks(x, *w) : average_ranks(x);
      decile[k].assign(x.size(), 0);
      std::vector<double> scratch;
      for (std::size_t b = 0; b < k_swing_batches; ++b)
        deciles(x, b * x.size() / k_swing_batches, (b + 1) * x.size() / k_swing_batches, scratch, decile[k], w);
    });
    tbb::parallel_for(std::size_t{0}, targets.size(), [&](std::size_t t) {
      const std::vector<double>& y = run.columns[targets[t]];
      std::vector<std::size_t> ok;
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
          rho.push_back(ok.size() == y.size() ? weighted_pearson(input_ranks[k], ry, wy)
                                              : weighted_pearson(weighted_ranks(run.columns[input_series[k]], wy), ry, wy));
      } else if (ok.size() == y.size()) {
        const std::vector<double> ry = average_ranks(y);
        for (const auto& rx : input_ranks) rho.push_back(pearson(rx, ry));
      } else {
        std::vector<double> yy, xx;
        for (const std::size_t k : ok) yy.push_back(y[k]);
        const std::vector<double> ry = average_ranks(yy);
        for (const std::size_t s : input_series) {
          xx.clear();
          for (const std::size_t k : ok) xx.push_back(run.columns[s][k]);
          rho.push_back(ok.size() >= 3 ? pearson(average_ranks(xx), ry) : std::nan(""));
        }
      }
      out.rho[targets[t]] = std::move(rho);
      std::vector<Swing> swing;
      for (const auto& d : decile) swing.push_back(swing_of(y, d, w));
      out.swing[targets[t]] = std::move(swing);
    });
  });
  return out;
}

}  // namespace tamcarlo
