#include "sim/engine/scenario_source.hpp"

#include "sim/base/numeric.hpp"
#include "models/venture.hpp"

#include <cmath>

namespace tamcarlo {

// One thread's evaluator (a friend of its source).
class ScenarioEvaluator : public BlockEvaluator {
 public:
  explicit ScenarioEvaluator(const ScenarioSource& src) : src_(src), base_(src.base_, src.samples_) {
    for (const Plan* p : src.stressed_) stressed_.emplace_back(*p, src.samples_);
    const std::size_t derived = src.weight_column() - src.series() * (1 + src.stressed_.size());
    buffer_.assign(derived, std::vector<double>(k_block_size));
    if (src.evidence_) weight_.assign(k_block_size, 0.0);
  }

  void evaluate(std::uint64_t first, std::size_t rows, std::vector<const double*>& cols) override {
    const std::size_t s = src_.series();
    base_.evaluate(src_.seed_, first, rows);
    for (std::size_t i = 0; i < s; ++i) cols[i] = base_.series(i);
    std::size_t b = 0;  // next derived buffer
    for (std::size_t k = 0; k < stressed_.size(); ++k) {
      stressed_[k].evaluate(src_.seed_, first, rows);
      for (std::size_t i = 0; i < s; ++i) {
        const double* x = base_.series(i);
        const double* y = stressed_[k].series(i);
        double* d = buffer_[b++].data();
        for (std::size_t j = 0; j < rows; ++j) d[j] = y[j] - x[j];
        cols[src_.stress_first(k) + i] = y;
        cols[src_.delta_first(k) + i] = d;
      }
    }
    if (src_.portfolio_) portfolio(*src_.portfolio_, rows, cols, b);
    if (src_.evidence_) evidence(*src_.evidence_, rows, cols);
  }

  // A further pass that does not read the portfolio IRR skips it (a root found per sample: most of the portfolio's
  // cost).
  void need_only(const std::vector<bool>& needed) override {
    if (src_.portfolio_ && src_.portfolio_->dated) irr_needed_ = needed.at(src_.portfolio_first() + src_.portfolio_->irr());
  }

 private:
  // Σ proceeds / Σ checks, P&L, per holding P&L and MOIC, and the IRR of the dated flows; NaN in
  // every portfolio column for a sample where some holding is not finite.
  void portfolio(const PortfolioColumns& p, std::size_t rows, std::vector<const double*>& cols, std::size_t b) {
    const std::size_t h = p.holdings;
    const std::size_t first = src_.portfolio_first();
    std::vector<double*> out(p.width());
    for (std::size_t c = 0; c < p.width(); ++c) {
      out[c] = buffer_[b + c].data();
      cols[first + c] = out[c];
    }
    std::vector<double> t(2 * h), a(2 * h);
    for (std::size_t j = 0; j < rows; ++j) {
      bool ok = true;
      double check = 0, proceeds = 0;
      for (std::size_t k = 0; k < h; ++k) {
        const double ck = base_.series(p.check[k])[j], pk = base_.series(p.proceeds[k])[j];
        ok = ok && std::isfinite(ck) && std::isfinite(pk);
        check += ck;
        proceeds += pk;
        out[p.holding_pnl(k)][j] = pk - ck;
        out[p.holding_moic(k)][j] = ck > 0 ? pk / ck : k_nan;
      }
      if (!ok) {
        for (std::size_t c = 0; c < p.width(); ++c) out[c][j] = k_nan;
        continue;
      }
      out[PortfolioColumns::moic][j] = check > 0 ? proceeds / check : k_nan;
      out[PortfolioColumns::pnl][j] = proceeds - check;
      if (!p.dated || !irr_needed_) continue;
      for (std::size_t k = 0; k < h; ++k) {
        t[2 * k] = base_.series(p.invested[k])[j];
        a[2 * k] = -base_.series(p.check[k])[j];
        t[2 * k + 1] = base_.series(p.exit[k])[j];
        a[2 * k + 1] = base_.series(p.proceeds[k])[j];
      }
      const models::IrrResult r = models::irr(t, a);
      const bool defined = r.status == models::IrrStatus::ok || r.status == models::IrrStatus::total_loss;
      out[p.irr()][j] = defined ? r.rate : k_nan;
    }
  }

  // The weight of each sample (the product of its figures' likelihoods rounded to weight units; NaN where a figure's
  // variable is not finite), then the prior copies.
  void evidence(const EvidenceColumns& e, std::size_t rows, std::vector<const double*>& cols) {
    values_.clear();
    for (const std::size_t t : e.targets) values_.push_back(base_.series(t));
    evidence_weights(e.figures, values_, rows, weight_.data());
    const std::size_t w = src_.weight_column();
    cols[w] = cols[w + 1] = weight_.data();
    for (std::size_t k = 0; k < e.prior.size(); ++k) cols[w + 2 + k] = cols[e.prior[k]];
  }

  const ScenarioSource& src_;
  std::vector<double> weight_;
  std::vector<const double*> values_;  // each figure's variable in this block
  PlanBlock base_;
  std::vector<PlanBlock> stressed_;
  std::vector<std::vector<double>> buffer_;
  bool irr_needed_ = true;
};

void evidence_weights(const std::vector<Evidence>& figures, const std::vector<const double*>& values, std::size_t rows,
                      double* out) {
  std::fill(out, out + rows, 1.0);
  for (std::size_t f = 0; f < figures.size(); ++f)
    for (std::size_t j = 0; j < rows; ++j) out[j] *= figures[f].likelihood(values[f][j]);
  for (std::size_t j = 0; j < rows; ++j)  // as the statistics count it (stored weights are then exactly those)
    if (!std::isnan(out[j])) out[j] = static_cast<double>(weight_units(out[j])) * k_weight_unit;
}

std::unique_ptr<BlockEvaluator> ScenarioSource::evaluator() const { return std::make_unique<ScenarioEvaluator>(*this); }

}  // namespace tamcarlo
