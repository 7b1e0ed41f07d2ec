#include "sim/engine/suite_source.hpp"

#include "sim/base/numeric.hpp"
#include "sim/stats/matrix.hpp"

#include <algorithm>
#include <cmath>

namespace tamcarlo {

// One thread's evaluator (a friend of its source).
class SuiteEvaluator : public BlockEvaluator {
 public:
  explicit SuiteEvaluator(const SuiteSource& src) : src_(src) {
    for (const Plan* p : src.plans_) blocks_.emplace_back(*p, src.samples_);
    const std::size_t c = src.cells_.size();
    buffer_.assign(src.width() - src.runs_width_, std::vector<double>(k_block_size, k_nan));
    markets_.resize(c);
  }

  void evaluate(std::uint64_t first, std::size_t rows, std::vector<const double*>& cols) override {
    for (std::size_t k = 0; k < blocks_.size(); ++k) {
      blocks_[k].evaluate(src_.seeds_[k], first, rows);
      for (std::size_t i = 0; i < src_.plans_[k]->series().size(); ++i) cols[src_.plan_first(k) + i] = blocks_[k].series(i);
    }
    const std::size_t nc = src_.cells_.size();
    const auto buf = [&](std::size_t col) { return buffer_[col - src_.runs_width_].data(); };
    for (std::size_t c = 0; c < nc; ++c) {
      const auto& cell = src_.cells_[c];
      double* m = buf(src_.market(c));
      const double* x = cols[cell.market];
      if (cell.fx) {
        const double* rate = cols[*cell.fx];
        for (std::size_t j = 0; j < rows; ++j) m[j] = x[j] * rate[j];
      } else {
        std::copy(x, x + rows, m);
      }
      cols[src_.market(c)] = m;
      cols[src_.share(c)] = cell.share ? cols[*cell.share] : buf(src_.share(c));  // NaN when the cell has none
    }
    for (std::size_t a = 0; a < nc; ++a)
      for (std::size_t b = 0; b < nc; ++b) {
        double* g = buf(src_.greater(a, b));
        cols[src_.greater(a, b)] = g;
        if (a == b) continue;
        const double* x = cols[src_.market(a)];
        const double* y = cols[src_.market(b)];
        for (std::size_t j = 0; j < rows; ++j) g[j] = std::isnan(x[j]) || std::isnan(y[j]) ? k_nan : x[j] > y[j] ? 1.0 : 0.0;
      }
    double* t = buf(src_.tau());
    cols[src_.tau()] = t;
    for (std::size_t j = 0; j < rows; ++j) {
      bool finite = nc >= 2;
      for (std::size_t c = 0; c < nc; ++c) {
        markets_[c] = cols[src_.market(c)][j];
        finite = finite && std::isfinite(markets_[c]);
      }
      t[j] = finite ? kendall_tau_b(markets_, src_.stars_) : k_nan;
    }
  }

 private:
  const SuiteSource& src_;
  std::vector<PlanBlock> blocks_;
  std::vector<std::vector<double>> buffer_;
  std::vector<double> markets_;
};

std::unique_ptr<BlockEvaluator> SuiteSource::evaluator() const { return std::make_unique<SuiteEvaluator>(*this); }

}  // namespace tamcarlo
