#include "sim/engine/plan.hpp"
#include "sim/base/numeric.hpp"

#include <fmt/format.h>

#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>

namespace tamcarlo {
namespace {


// Emits instructions for expression trees; every node's value gets a slot.
class Compiler {
 public:
  Compiler(const std::map<std::string, std::uint32_t>& slots, std::uint32_t first_free,
           std::vector<std::pair<std::uint32_t, double>>& constants, std::vector<Instruction>& code)
      : slots_(slots), next_(first_free), constants_(constants), code_(code) {}

  // Compiles `e` so that its value ends in slot `dst`.
  void into(const Expr& e, std::uint32_t dst) {
    const std::uint32_t src = value(e);
    if (src != dst) code_.push_back({OpCode::copy, dst, {src}, 1});
  }
  [[nodiscard]] std::uint32_t slot_count() const { return next_; }

 private:
  // Slot holding the value of `e` (an existing slot for names and constants).
  std::uint32_t value(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::number: {
        const std::uint32_t s = next_++;
        constants_.emplace_back(s, e.number);
        return s;
      }
      case Expr::Kind::ref: return slots_.at(e.name);
      case Expr::Kind::op: break;
    }
    std::vector<std::uint32_t> a;
    for (const auto& arg : e.args) a.push_back(value(arg));
    // Variadic min/max fold left into binary operations.
    std::uint32_t acc = a[0];
    if ((e.op == OpCode::min || e.op == OpCode::max) && a.size() > 2) {
      for (std::size_t i = 1; i < a.size(); ++i) {
        const std::uint32_t d = next_++;
        code_.push_back({e.op, d, {acc, a[i]}, 2});
        acc = d;
      }
      return acc;
    }
    const std::uint32_t d = next_++;
    Instruction in{e.op, d, {}, static_cast<std::uint32_t>(a.size()), e.fn};
    std::copy(a.begin(), a.end(), in.args.begin());
    code_.push_back(in);
    return d;
  }

  const std::map<std::string, std::uint32_t>& slots_;
  std::uint32_t next_;
  std::vector<std::pair<std::uint32_t, double>>& constants_;
  std::vector<Instruction>& code_;
};

// NaN-propagating binary minimum/maximum (std::min would silently drop a NaN operand).
double nan_min(double x, double y) { return std::isnan(x) || std::isnan(y) ? k_nan : std::min(x, y); }
double nan_max(double x, double y) { return std::isnan(x) || std::isnan(y) ? k_nan : std::max(x, y); }
// Comparisons give 1 or 0, and NaN when either side is NaN.
template <class Cmp>
double compare(double x, double y, Cmp cmp) {
  return std::isnan(x) || std::isnan(y) ? k_nan : (cmp(x, y) ? 1.0 : 0.0);
}

}  // namespace

QuantileFunction QuantileTables::of(const Distribution& d) {
  for (const QuantileFunction& q : built_)
    if (same_tabulated_law(q.distribution(), d)) return q;
  // The table's nodes (each a Boost inversion of some microseconds) on the run's threads.
  tbb::task_arena arena(threads_ == 0 ? tbb::task_arena::automatic : static_cast<int>(threads_));
  const ParallelFor each = [&](std::size_t n, const std::function<void(std::size_t)>& body) {
    arena.execute([&] { tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) { body(i); }); });
  };
  QuantileFunction q(d, each);
  if (q.tabulated()) built_.push_back(q);
  return q;
}

Plan::Plan(const Scenario& s, PlanUse use, QuantileTables* tables) : years_(s.years), design_(s.design), use_(use) {
  std::optional<QuantileTables> own;
  if (!tables) tables = &own.emplace();
  const auto quantile_of = [tables](const Distribution& d) { return tables->of(d); };
  std::map<std::string, std::uint32_t> slot;
  for (const auto& in : s.inputs) {
    slot[in.name] = static_cast<std::uint32_t>(vars_.size());
    const bool yearly = in.yearly != Yearly::none;
    if (yearly) {  // a stream per calendar year: adding a year to the timeline changes no other year's draws
      YearlyInput y{static_cast<std::uint32_t>(vars_.size()), in.yearly,
                    in.yearly == Yearly::random_walk ? 1.0 : in.yearly == Yearly::ar1 ? in.phi : 0.0, {}, in.point};
      for (const int year : years_) y.ids.push_back(variable_id(in.name + "@" + std::to_string(year)));
      yearly_.push_back(std::move(y));
    }
    vars_.push_back({in.name, true, in.unit, in.source,
                     describe(in.dist) + (yearly ? fmt::format(", yearly {}", yearly_name(in.yearly)) +
                                                       (in.yearly == Yearly::ar1 ? fmt::format(" (phi={:g})", in.phi) : "")
                                                 : ""),
                     in.point, yearly, in.format, FormulaRole::variable, {}, {}, {}});
    yearly_inputs_.push_back(yearly);
    samplers_.emplace_back(in.dist);
    laws_.push_back(in.dist);
    constant_inputs_.push_back(std::holds_alternative<Constant>(in.dist));
    ids_.push_back(variable_id(in.name));
    dimensions_.push_back(in.dimension);
  }
  // Correlated inputs draw independent standard normal scores from their own streams; the group's copula turns
  // them into correlated draws of each input's law.
  for (const CorrelationGroup& g : s.correlations) {
    std::vector<Distribution> laws;
    std::vector<std::uint32_t> slots;
    for (const std::string& name : g.inputs) {
      const std::uint32_t v = slot.at(name);
      laws.push_back(samplers_[v].distribution());
      samplers_[v] = Sampler(Normal{0, 1});
      slots.push_back(v);
    }
    copulas_.push_back({GaussianCopula(std::move(laws), g.spearman, use == PlanUse::draw, quantile_of), std::move(slots)});
  }
  // A design draws each input's uniform coordinate and inverts its law (a correlated input's: Φ⁻¹, its normal score).
  if (design_.replicated() && use == PlanUse::draw)
    for (const Sampler& sm : samplers_) quantiles_.push_back(tables->of(sm.distribution()));
  for (const auto& f : s.formulas) {
    slot[f.name] = static_cast<std::uint32_t>(vars_.size());
    vars_.push_back({f.name, false, f.unit, f.source, f.text, k_nan, f.timed, f.format, f.role, f.condition, {}, {}});
  }
  for (Variable& v : vars_) {
    if (const auto it = s.without_mean.find(v.name); it != s.without_mean.end()) v.no_mean = it->second;
    if (const auto it = s.without_sd.find(v.name); it != s.without_sd.end()) v.no_sd = it->second;
  }
  year_slot_ = static_cast<std::uint32_t>(vars_.size());
  slot[k_year_name] = year_slot_;
  std::vector<Instruction> all;
  Compiler compiler(slot, year_slot_ + 1, constants_, all);
  for (const std::size_t i : s.formula_order) compiler.into(s.formulas[i].expr, slot.at(s.formulas[i].name));
  slots_ = compiler.slot_count();
  // Split the code: an instruction reading the year slot, or a slot a timed instruction wrote, is timed.
  // Every slot is written once, in dependency order, so one pass decides.
  std::vector<bool> timed(slots_, false);
  timed[year_slot_] = true;
  for (const YearlyInput& y : yearly_) timed[y.slot] = true;
  for (const Instruction& in : all) {
    bool t = false;
    for (std::uint32_t k = 0; k < in.nargs; ++k) t = t || timed[in.args[k]];
    timed[in.dst] = t;
    (t ? timed_code_ : code_).push_back(in);
  }
  for (std::uint32_t v = 0; v < vars_.size(); ++v) {
    if (!vars_[v].timed) series_.push_back({v, -1});
    else
      for (std::size_t t = 0; t < years_.size(); ++t) series_.push_back({v, static_cast<std::int32_t>(t)});
  }
  const std::vector<double> point = evaluate_point();
  for (std::size_t v = samplers_.size(); v < vars_.size(); ++v) vars_[v].point = point[v];
}

std::vector<std::pair<std::vector<std::uint32_t>, SquareMatrix>> Plan::correlation_groups() const {
  std::vector<std::pair<std::vector<std::uint32_t>, SquareMatrix>> out;
  for (const Copula& c : copulas_) out.emplace_back(c.slots, c.copula.correlation());
  return out;
}

std::size_t Plan::index(std::string_view name) const {
  for (std::size_t i = 0; i < vars_.size(); ++i)
    if (vars_[i].name == name) return i;
  throw std::out_of_range("no variable named " + std::string(name));
}

Workspace Plan::workspace(std::size_t rows) const {
  Workspace ws(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(slots_));
  for (const auto& [s, v] : constants_) ws.col(s).setConstant(v);
  return ws;
}

void Plan::evaluate(Workspace& ws, std::uint64_t seed, std::uint64_t samples, std::uint64_t first, std::size_t n) const {
  draw(ws, seed, samples, first, n);
  compute(ws, n);
}

void Plan::compute(Workspace& ws, std::size_t n) const { execute(code_, ws, n); }

std::vector<Instruction> Plan::code_for(std::span<const std::uint32_t> targets) const {
  // Backward over the code: an instruction is kept when a later kept one (or a target) reads its slot before another
  // instruction writes it; its arguments are then read.
  std::vector<bool> live(slots_, false);
  for (const std::uint32_t t : targets) live.at(t) = true;
  std::vector<bool> keep(code_.size(), false);
  for (std::size_t i = code_.size(); i-- > 0;) {
    const Instruction& in = code_[i];
    if (!live[in.dst]) continue;
    keep[i] = true;
    live[in.dst] = false;
    for (std::uint32_t a = 0; a < in.nargs; ++a) live[in.args[a]] = true;
  }
  std::vector<Instruction> code;
  for (std::size_t i = 0; i < code_.size(); ++i)
    if (keep[i]) code.push_back(code_[i]);
  return code;
}

void Plan::compute(Workspace& ws, std::size_t n, const std::vector<Instruction>& code) const { execute(code, ws, n); }

void Plan::draw_mc(Workspace& ws, std::uint64_t seed, std::uint64_t first, std::size_t n) const {
  for (std::size_t i = 0; i < samplers_.size(); ++i) {
    const std::span<double> col(ws.col(static_cast<Eigen::Index>(i)).data(), n);
    if (yearly_inputs_[i]) std::fill(col.begin(), col.end(), k_nan);  // filled per year by evaluate_year()
    else samplers_[i].fill(seed, ids_[i], first, col);
  }
  copula_step(ws, n);
}

void Plan::draw(Workspace& ws, std::uint64_t seed, std::uint64_t samples, std::uint64_t first, std::size_t n) const {
  if (use_ != PlanUse::draw) throw std::logic_error("Plan::draw on a plan built to describe a run");
  if (!design_.replicated()) {
    draw_mc(ws, seed, first, n);
    return;
  }
  for (std::size_t i = 0; i < samplers_.size(); ++i) {
    const std::span<double> col(ws.col(static_cast<Eigen::Index>(i)).data(), n);
    if (yearly_inputs_[i]) {  // not a coordinate of the design: filled per year by evaluate_year()
      std::fill(col.begin(), col.end(), k_nan);
      continue;
    }
    if (constant_inputs_[i]) {
      samplers_[i].fill(seed, ids_[i], first, col);
      continue;
    }
    DesignCoordinate(design_, samples, dimensions_[i]).fill(seed, ids_[i], first, col);
    quantiles_[i].apply(col);
  }
  copula_step(ws, n);
}

void Plan::copula_step(Workspace& ws, std::size_t n) const {
  for (const Copula& c : copulas_) {
    std::vector<double*> cols;
    for (const std::uint32_t v : c.slots) cols.push_back(ws.col(static_cast<Eigen::Index>(v)).data());
    c.copula.apply(cols, n);
  }
}

void Plan::fill_yearly(Workspace& ws, std::uint64_t seed, std::uint64_t first, std::size_t t, std::size_t n) const {
  std::vector<double> eps(n);
  for (const YearlyInput& y : yearly_) {
    double* x = ws.col(static_cast<Eigen::Index>(y.slot)).data();
    const Sampler& sampler = samplers_[y.slot];
    // x_t = phi·x_(t−1) + ε_t from the first year on (independent: phi = 0, only year t's draw is needed).
    const std::size_t from = y.phi == 0 ? t : 0;
    sampler.fill(seed, y.ids.at(from), first, std::span<double>(x, n));
    for (std::size_t s = from + 1; s <= t; ++s) {
      sampler.fill(seed, y.ids[s], first, std::span<double>(eps));
      for (std::size_t i = 0; i < n; ++i) x[i] = y.phi * x[i] + eps[i];
    }
  }
}

void Plan::evaluate_year(Workspace& ws, std::uint64_t seed, std::uint64_t first, std::size_t t, std::size_t n) const {
  fill_yearly(ws, seed, first, t, n);
  ws.col(year_slot_).head(static_cast<Eigen::Index>(n)).setConstant(static_cast<double>(years_.at(t)));
  execute(timed_code_, ws, n);
}

std::vector<double> Plan::evaluate_point(std::size_t t) const {
  Workspace ws = workspace(1);
  for (std::size_t i = 0; i < samplers_.size(); ++i) ws(0, static_cast<Eigen::Index>(i)) = vars_[i].point;
  execute(code_, ws, 1);
  if (!years_.empty()) {
    for (const YearlyInput& y : yearly_) {  // each year's draw at its point, accumulated as the draws are
      double x = y.point;
      for (std::size_t s = (y.phi == 0 ? t : 0) + 1; s <= t; ++s) x = y.phi * x + y.point;
      ws(0, static_cast<Eigen::Index>(y.slot)) = x;
    }
    ws.col(year_slot_).head(1).setConstant(static_cast<double>(years_.at(t)));
    execute(timed_code_, ws, 1);
  }
  std::vector<double> out(vars_.size());
  for (std::size_t v = 0; v < vars_.size(); ++v) out[v] = ws(0, static_cast<Eigen::Index>(v));
  return out;
}

// exp, log, sqrt and pow call libm element by element rather than Eigen's SIMD versions, so that
// a value has the same bits in a block, in a point evaluation and on any instruction set.
void Plan::execute(const std::vector<Instruction>& code, Workspace& ws, std::size_t rows) {
  const auto n = static_cast<Eigen::Index>(rows);
  for (const Instruction& in : code) {
    auto d = ws.col(in.dst).head(n);
    const auto a = ws.col(in.args[0]).head(n);
    const auto b = ws.col(in.args[1]).head(n);
    const auto c = ws.col(in.args[2]).head(n);
    switch (in.op) {
      case OpCode::copy: d = a; break;
      case OpCode::add: d = a + b; break;
      case OpCode::sub: d = a - b; break;
      case OpCode::mul: d = a * b; break;
      case OpCode::div: d = a / b; break;
      case OpCode::pow: d = a.binaryExpr(b, [](double x, double y) { return std::pow(x, y); }); break;
      case OpCode::neg: d = -a; break;
      case OpCode::lt: d = a.binaryExpr(b, [](double x, double y) { return compare(x, y, std::less<>{}); }); break;
      case OpCode::le: d = a.binaryExpr(b, [](double x, double y) { return compare(x, y, std::less_equal<>{}); }); break;
      case OpCode::gt: d = a.binaryExpr(b, [](double x, double y) { return compare(x, y, std::greater<>{}); }); break;
      case OpCode::ge:
        d = a.binaryExpr(b, [](double x, double y) { return compare(x, y, std::greater_equal<>{}); });
        break;
      case OpCode::eq: d = a.binaryExpr(b, [](double x, double y) { return compare(x, y, std::equal_to<>{}); }); break;
      case OpCode::ne:
        d = a.binaryExpr(b, [](double x, double y) { return compare(x, y, std::not_equal_to<>{}); });
        break;
      case OpCode::min: d = a.binaryExpr(b, [](double x, double y) { return nan_min(x, y); }); break;
      case OpCode::max: d = a.binaryExpr(b, [](double x, double y) { return nan_max(x, y); }); break;
      case OpCode::abs: d = a.abs(); break;
      case OpCode::exp: d = a.unaryExpr([](double x) { return std::exp(x); }); break;
      case OpCode::log: d = a.unaryExpr([](double x) { return std::log(x); }); break;
      case OpCode::sqrt: d = a.unaryExpr([](double x) { return std::sqrt(x); }); break;
      case OpCode::clamp:
        for (Eigen::Index i = 0; i < n; ++i) d(i) = nan_min(nan_max(a(i), b(i)), c(i));
        break;
      case OpCode::select:
        for (Eigen::Index i = 0; i < n; ++i) d(i) = std::isnan(a(i)) ? k_nan : (a(i) != 0 ? b(i) : c(i));
        break;
      case OpCode::call: {
        std::array<const double*, k_max_args> cols{};
        for (std::uint32_t k = 0; k < in.nargs; ++k) cols[k] = ws.col(in.args[k]).data();
        std::array<double, k_max_args> x{};
        for (Eigen::Index i = 0; i < n; ++i) {
          for (std::uint32_t k = 0; k < in.nargs; ++k) x[k] = cols[k][i];
          d(i) = in.fn(x.data());
        }
        break;
      }
    }
  }
}

}  // namespace tamcarlo
