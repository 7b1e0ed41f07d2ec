// Sobol' first-order and total indices from the sums of a Saltelli design (Saltelli 2010; Jansen 1999), with
// 95% confidence intervals from batches of consecutive blocks. The sampling lives in engine/sobol.hpp.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace tamcarlo {

/// Replicate batches the indices' confidence intervals come from.
inline constexpr unsigned k_sobol_batches = 50;

/// One index with its 95% confidence interval (from the batches' spread: t with batches − 1 degrees of freedom).
struct SobolIndex {
  double index = 0, lo = 0, hi = 0, se = 0;
};

/// The sums of Saltelli rows for one output: count, Σf(A), Σf(A)², Σf(B), Σf(B)², then per input i
/// Σ f(B)·(f(A_B⁽ⁱ⁾) − f(A)) and Σ (f(A_B⁽ⁱ⁾) − f(A))². Adding and merging in a fixed order gives fixed bits.
class SaltelliSums {
 public:
  /// Zero sums for `inputs` inputs.
  explicit SaltelliSums(std::size_t inputs = 0) : sums_(k_per_input + 2 * inputs, 0.0) {}
  /// Adds one row: f(A), f(B) and f(A_B⁽ⁱ⁾) for each input i; a row with a non-finite value is left out.
  void add(double fa, double fb, std::span<const double> fx);
  /// Adds another block's sums (same inputs).
  void merge(const SaltelliSums& o);
  /// Rows added.
  [[nodiscard]] double count() const noexcept { return sums_[k_count]; }
  /// V: the variance of f over the rows of A and B together.
  [[nodiscard]] double variance() const noexcept;
  /// S_i = V_i / V, V_i = (1/N)·Σ f(B)·(f(A_B⁽ⁱ⁾) − f(A)) (Saltelli 2010).
  [[nodiscard]] double first(std::size_t i) const noexcept;
  /// ST_i = (1/2N)·Σ (f(A) − f(A_B⁽ⁱ⁾))² / V (Jansen 1999).
  [[nodiscard]] double total(std::size_t i) const noexcept;

 private:
  enum : std::size_t { k_count, k_a, k_a2, k_b, k_b2, k_per_input };
  std::vector<double> sums_;
};

/// The indices of one output from its per-block sums (in block order).
struct SobolEstimate {
  std::vector<SobolIndex> first, total;  ///< per input
  double variance = 0;                   ///< V over every row of A and B
  double rows = 0;                       ///< finite rows used
  unsigned batches = 0;                  ///< batches the CIs come from
};

/// Point estimates from all blocks; CIs from min(k_sobol_batches, blocks) batches of consecutive blocks
/// (t₀.₉₇₅ with batches − 1 df times the SE of the batch estimates' mean).
[[nodiscard]] SobolEstimate estimate_sobol(const std::vector<SaltelliSums>& blocks, std::size_t inputs);

}  // namespace tamcarlo
