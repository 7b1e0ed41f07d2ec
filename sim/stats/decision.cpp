#include "sim/stats/decision.hpp"

#include "sim/base/numeric.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tamcarlo {

namespace {

// Index of Σ W_j·W_k (1 ≤ j ≤ k ≤ m = K − 1) among the pair sums of a cell.
std::size_t pair_index(std::size_t j, std::size_t k, std::size_t m) {
  const std::size_t a = j - 1, b = k - 1;
  return a * m - a * (a - 1) / 2 + (b - a);
}

}  // namespace

DecisionSums::DecisionSums(std::vector<double> shift, std::vector<std::size_t> cells)
    : shift_(std::move(shift)), cells_(std::move(cells)) {
  const std::size_t k = shift_.size();
  if (k < 2 || k > k_max_decision_options) throw std::invalid_argument("DecisionSums: 2 to 8 options");
  global_.assign(1 + 5 * k, 0.0);
  std::size_t at = 0;
  for (const std::size_t c : cells_) {
    offset_.push_back(at);
    at += 2 * c * cell_width();
  }
  cell_sums_.assign(at, 0.0);
  w_.assign(k, 0.0);
}

std::size_t DecisionSums::cell_width() const noexcept {
  const std::size_t m = shift_.size() - 1;
  return 1 + m + m * (m + 1) / 2;
}

std::span<const double> DecisionSums::cell(std::size_t p, unsigned h, std::size_t c) const {
  const std::size_t w = cell_width();
  return {cell_sums_.data() + offset_[p] + (h * cells_[p] + c) * w, w};
}

void DecisionSums::add(std::span<const double> value, std::span<const std::uint32_t> cell, unsigned half) {
  const std::size_t k = shift_.size();
  for (std::size_t i = 0; i < k; ++i)
    if (!std::isfinite(value[i])) {
      ++skipped_;
      return;
    }
  double* g = global_.data();
  g[0] += 1;
  std::size_t best = 0;
  for (std::size_t i = 0; i < k; ++i) {
    const double x = value[i] - shift_[i];
    g[1 + i] += x;
    g[1 + k + i] += x * x;
    w_[i] = value[i] - value[0];
    if (value[i] > value[best]) best = i;
  }
  const double m = w_[best];  // M = max_k W_k (W_0 = 0)
  g[1 + 2 * k + best] += 1;
  for (std::size_t i = 0; i < k; ++i) {
    const double r = m - w_[i];
    g[1 + 3 * k + i] += r;
    g[1 + 4 * k + i] += r * r;
  }
  const std::size_t width = cell_width(), mm = k - 1;
  for (std::size_t p = 0; p < cells_.size(); ++p) {
    double* c = cell_sums_.data() + offset_[p] + (half * cells_[p] + cell[p]) * width;
    c[0] += 1;
    for (std::size_t j = 1; j < k; ++j) {
      c[j] += w_[j];
      double* pairs = c + 1 + mm + pair_index(j, j, mm);
      for (std::size_t l = j; l < k; ++l) pairs[l - j] += w_[j] * w_[l];
    }
  }
}

void DecisionSums::add_block(std::span<const double* const> value, std::span<const std::uint32_t* const> cell,
                             std::size_t rows, unsigned first_half) {
  const std::size_t k = shift_.size(), mm = k - 1, width = cell_width();
  if (value.size() != k || cell.size() != cells_.size()) throw std::invalid_argument("DecisionSums::add_block: layout");
  w_.resize(rows * k);
  counted_.assign(rows, 0);
  double* g = global_.data();
  // The global sums row by row (as add()), keeping each row's W_k for the cells.
  for (std::size_t r = 0; r < rows; ++r) {
    bool finite = true;
    for (std::size_t i = 0; i < k; ++i) finite = finite && std::isfinite(value[i][r]);
    if (!finite) {
      ++skipped_;
      continue;
    }
    counted_[r] = 1;
    double* w = w_.data() + r * k;
    g[0] += 1;
    std::size_t best = 0;
    for (std::size_t i = 0; i < k; ++i) {
      const double x = value[i][r] - shift_[i];
      g[1 + i] += x;
      g[1 + k + i] += x * x;
      w[i] = value[i][r] - value[0][r];
      if (value[i][r] > value[best][r]) best = i;
    }
    const double m = w[best];
    g[1 + 2 * k + best] += 1;
    for (std::size_t i = 0; i < k; ++i) {
      const double d = m - w[i];
      g[1 + 3 * k + i] += d;
      g[1 + 4 * k + i] += d * d;
    }
  }
  // Then each partition's cells, rows in order (a cell's sums take the same terms in the same order as add()'s).
  for (std::size_t p = 0; p < cells_.size(); ++p) {
    double* base = cell_sums_.data() + offset_[p];
    const std::uint32_t* at = cell[p];
    const std::size_t n = cells_[p];
    if (k == 2) {  // one difference W_1: count, Σ W_1, Σ W_1² (the usual invest-or-pass decision)
      for (std::size_t r = 0; r < rows; ++r) {
        if (counted_[r] == 0) continue;
        double* c = base + (((first_half + r) & 1U) * n + at[r]) * 3;
        const double w1 = w_[r * 2 + 1];
        c[0] += 1;
        c[1] += w1;
        c[2] += w1 * w1;
      }
      continue;
    }
    for (std::size_t r = 0; r < rows; ++r) {
      if (counted_[r] == 0) continue;
      const double* w = w_.data() + r * k;
      double* c = base + (((first_half + r) & 1U) * n + at[r]) * width;
      c[0] += 1;
      for (std::size_t j = 1; j < k; ++j) {
        c[j] += w[j];
        double* pairs = c + 1 + mm + pair_index(j, j, mm);
        for (std::size_t l = j; l < k; ++l) pairs[l - j] += w[j] * w[l];
      }
    }
  }
}

void DecisionSums::merge(const DecisionSums& o) {
  for (std::size_t i = 0; i < global_.size(); ++i) global_[i] += o.global_[i];
  for (std::size_t i = 0; i < cell_sums_.size(); ++i) cell_sums_[i] += o.cell_sums_[i];
  skipped_ += o.skipped_;
}

namespace {

// One cell's view: count, mean of W_k, and Σ W_j·W_k (W_0 = 0).
struct CellView {
  std::span<const double> s;
  std::size_t k;
  [[nodiscard]] double n() const { return s[0]; }
  [[nodiscard]] double sum(std::size_t j) const { return j == 0 ? 0.0 : s[j]; }
  [[nodiscard]] double mean(std::size_t j) const { return sum(j) / s[0]; }
  [[nodiscard]] double cross(std::size_t a, std::size_t b) const {
    if (a == 0 || b == 0) return 0;
    if (a > b) std::swap(a, b);
    return s[1 + (k - 1) + pair_index(a, b, k - 1)];
  }
  // Σ (W_a − W_b)² over the cell.
  [[nodiscard]] double diff2(std::size_t a, std::size_t b) const {
    return cross(a, a) - 2 * cross(a, b) + cross(b, b);
  }
  // The option with the highest cell mean; `fallback` when the cell is empty or it ties.
  [[nodiscard]] std::size_t choice(std::size_t fallback) const {
    if (n() <= 0) return fallback;
    std::size_t c = fallback;
    for (std::size_t j = 0; j < k; ++j)
      if (mean(j) > mean(c)) c = j;
    return c;
  }
};

}  // namespace

DecisionEstimate estimate_decision(const DecisionSums& s) {
  DecisionEstimate out;
  const std::size_t k = s.options();
  const double n = s.count();
  out.samples = n;
  out.skipped = s.skipped();
  for (std::size_t i = 0; i < k; ++i) {
    DecisionOption o;
    const double m = s.sum(i) / n;
    o.mean = s.shift(i) + m;
    o.se = n > 1 ? std::sqrt(std::max(0.0, (s.sum2(i) / n - m * m) / (n - 1))) : k_nan;
    o.best = wilson(static_cast<std::uint64_t>(s.best(i)), static_cast<std::uint64_t>(n));
    out.options.push_back(o);
  }
  // The best option by mean: compare the means of W_k (= E V_k − E V_0) exactly as the cells do.
  for (std::size_t i = 1; i < k; ++i)
    if (out.options[i].mean > out.options[out.best].mean) out.best = i;
  const std::size_t b = out.best;
  const double r = s.regret(b) / n;
  out.evpi = r;
  out.evpi_se = n > 1 ? std::sqrt(std::max(0.0, (s.regret2(b) / n - r * r) / (n - 1))) : k_nan;
  for (std::size_t p = 0; p < s.partitions(); ++p) {
    PartialValue v;
    v.cells = s.cells(p);
    double gain = 0, gain2 = 0, cross = 0;
    std::vector<double> both(s.cell_width());
    for (std::size_t c = 0; c < s.cells(p); ++c) {
      const CellView h0{s.cell(p, 0, c), k}, h1{s.cell(p, 1, c), k};
      // Both halves together (the plug-in choice).
      for (std::size_t i = 0; i < both.size(); ++i) both[i] = h0.s[i] + h1.s[i];
      const CellView all{both, k};
      if (all.n() <= 0) continue;
      const std::size_t pick = all.choice(b);
      gain += all.sum(pick) - all.sum(b);
      gain2 += all.diff2(pick, b);
      // Cross-fitted: each half's choice scored on the other half.
      const std::size_t pick0 = h0.choice(b), pick1 = h1.choice(b);
      cross += (h1.sum(pick0) - h1.sum(b)) + (h0.sum(pick1) - h0.sum(b));
    }
    v.plugin = gain / n;
    v.crossfit = cross / n;
    v.value = 0.5 * (v.plugin + v.crossfit);
    v.bias = 0.5 * std::abs(v.plugin - v.crossfit);
    v.se = n > 1 ? std::sqrt(std::max(0.0, (gain2 / n - v.plugin * v.plugin) / (n - 1))) : k_nan;
    out.partial.push_back(v);
  }
  return out;
}

}  // namespace tamcarlo
