#include "sim/engine/plan_source.hpp"

#include <algorithm>

namespace tamcarlo {

PlanBlock::PlanBlock(const Plan& plan, std::uint64_t samples)
    : plan_(plan), samples_(samples), ws_(plan.workspace(k_block_size)) {
  const auto& series = plan.series();
  series_.resize(series.size());
  for (std::size_t i = 0; i < series.size(); ++i)
    if (series[i].year >= 0) timed_.emplace_back(k_block_size);
}

void PlanBlock::evaluate(std::uint64_t seed, std::uint64_t first, std::size_t rows) {
  const auto& series = plan_.series();
  plan_.evaluate(ws_, seed, samples_, first, rows);
  for (std::size_t i = 0; i < series.size(); ++i)
    if (series[i].year < 0) series_[i] = ws_.col(static_cast<Eigen::Index>(series[i].var)).data();
  if (timed_.empty()) return;
  // Timed series: each year overwrites the timed columns, so each series keeps a copy of its year.
  std::size_t k = 0;
  for (std::size_t t = 0; t < plan_.years().size(); ++t) {
    plan_.evaluate_year(ws_, seed, first, t, rows);
    for (std::size_t i = 0; i < series.size(); ++i) {
      if (series[i].year != static_cast<std::int32_t>(t)) continue;
      const double* col = ws_.col(static_cast<Eigen::Index>(series[i].var)).data();
      std::copy(col, col + rows, timed_[k].begin());
      series_[i] = timed_[k++].data();
    }
  }
}

namespace {

class PlanEvaluator : public BlockEvaluator {
 public:
  PlanEvaluator(const Plan& plan, std::uint64_t seed, std::uint64_t samples)
      : block_(plan, samples), seed_(seed), width_(plan.series().size()) {}
  void evaluate(std::uint64_t first, std::size_t rows, std::vector<const double*>& columns) override {
    block_.evaluate(seed_, first, rows);
    for (std::size_t i = 0; i < width_; ++i) columns[i] = block_.series(i);
  }

 private:
  PlanBlock block_;
  std::uint64_t seed_;
  std::size_t width_;
};

}  // namespace

std::unique_ptr<BlockEvaluator> PlanSource::evaluator() const {
  return std::make_unique<PlanEvaluator>(plan_, seed_, samples_);
}

EngineOutput run_engine(const Plan& plan, const EngineOptions& opt) {
  const PlanSource source(plan, opt.seed, opt.run_samples > 0 ? opt.run_samples : opt.samples);
  std::vector<bool> keep(source.width(), false);
  for (std::size_t i = 0; i < keep.size() && i < opt.keep.size(); ++i) keep[i] = opt.keep[i];
  EngineOutput out;
  out.columns = collect_columns(source, opt.samples, keep, opt.threads);
  out.moments.resize(source.width());
  for (std::size_t i = 0; i < keep.size(); ++i)
    if (keep[i]) out.moments[i] = Moments::over(out.columns[i]);
  return out;
}

}  // namespace tamcarlo
