#include "sim/engine/shapley.hpp"
#include "sim/engine/sobol.hpp"

#include "sim/base/error.hpp"
#include "sim/base/numeric.hpp"
#include "sim/random/rng.hpp"
#include "sim/stats/statistics.hpp"

#include <Eigen/Dense>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace tamcarlo {

namespace {

// Draws of one inner step: the model runs this many times per prefix (N_I).
constexpr std::size_t k_inner = 3;

// A symmetric positive semi-definite matrix's square-root factor F (F·Fᵀ = m), by its eigen-decomposition.
Eigen::MatrixXd factor(const Eigen::MatrixXd& m) {
  if (m.rows() == 0) return m;
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(m);
  return es.eigenvectors() * es.eigenvalues().cwiseMax(0.0).cwiseSqrt().asDiagonal();
}

// A correlated group: its members (positions among the uncertain inputs), the factor of R, and per subset J of the
// members (bit m set: member m is redrawn) the law of z_J given the rest F: mean A·z_F, factor L.
struct Group {
  std::vector<std::size_t> members;
  Eigen::MatrixXd root;
  struct Conditional {
    std::vector<std::size_t> redrawn, fixed;  // member indices
    Eigen::MatrixXd a, l;
  };
  std::vector<Conditional> given;

  Group(std::vector<std::size_t> m, const SquareMatrix& r) : members(std::move(m)) {
    const auto k = static_cast<Eigen::Index>(members.size());
    Eigen::MatrixXd R(k, k);
    for (Eigen::Index i = 0; i < k; ++i)
      for (Eigen::Index j = 0; j < k; ++j) R(i, j) = r(static_cast<std::size_t>(i), static_cast<std::size_t>(j));
    root = factor(R);
    for (std::size_t mask = 0; mask < (std::size_t{1} << members.size()); ++mask) {
      Conditional c;
      for (std::size_t i = 0; i < members.size(); ++i) ((mask >> i) & 1U ? c.redrawn : c.fixed).push_back(i);
      const auto nj = static_cast<Eigen::Index>(c.redrawn.size()), nf = static_cast<Eigen::Index>(c.fixed.size());
      Eigen::MatrixXd rjj(nj, nj), rjf(nj, nf), rff(nf, nf);
      for (Eigen::Index i = 0; i < nj; ++i) {
        for (Eigen::Index j = 0; j < nj; ++j) rjj(i, j) = R(static_cast<Eigen::Index>(c.redrawn[i]), static_cast<Eigen::Index>(c.redrawn[j]));
        for (Eigen::Index j = 0; j < nf; ++j) rjf(i, j) = R(static_cast<Eigen::Index>(c.redrawn[i]), static_cast<Eigen::Index>(c.fixed[j]));
      }
      for (Eigen::Index i = 0; i < nf; ++i)
        for (Eigen::Index j = 0; j < nf; ++j) rff(i, j) = R(static_cast<Eigen::Index>(c.fixed[i]), static_cast<Eigen::Index>(c.fixed[j]));
      // A = R_JF·R_FF⁺ (a pseudo-inverse: R may be singular, e.g. ρ = 1), Σ = R_JJ − A·R_FJ.
      c.a = nf > 0 ? Eigen::MatrixXd(rjf * rff.completeOrthogonalDecomposition().pseudoInverse()) : Eigen::MatrixXd(nj, 0);
      const Eigen::MatrixXd cov = nf > 0 ? Eigen::MatrixXd(rjj - c.a * rjf.transpose()) : rjj;
      c.l = factor(0.5 * (cov + cov.transpose()));
      given.push_back(std::move(c));
    }
  }
};

// Per output, per block of permutations: count, Σc, Σc², then per input ΣΔ, ΣΔ², ΣΔ·c (c = c(all inputs)).
constexpr std::size_t k_head = 3;

}  // namespace

ShapleyResult shapley_effects(const Plan& plan, std::uint64_t seed, std::uint64_t permutations,
                              const std::vector<bool>& wanted, unsigned threads, const std::atomic<bool>* cancel) {
  const auto cancelled = [cancel] { return cancel && cancel->load(std::memory_order_relaxed); };
  ShapleyResult out;
  out.permutations = permutations;
  std::vector<std::ptrdiff_t> position(plan.inputs(), -1);
  for (std::uint32_t v = 0; v < plan.inputs(); ++v)
    if (!plan.constant_input(v)) {
      position[v] = static_cast<std::ptrdiff_t>(out.inputs.size());
      out.inputs.push_back(v);
    }
  const std::size_t d = out.inputs.size();
  std::int32_t year = -1;
  const std::vector<std::size_t> series = global_series(plan, wanted, year);
  if (d == 0 || series.empty() || permutations < 2) return out;

  std::vector<Group> groups;
  std::vector<std::ptrdiff_t> group_of(d, -1), member_of(d, -1);
  for (const auto& [slots, r] : plan.correlation_groups()) {
    if (slots.size() > k_shapley_max_group)
      throw std::invalid_argument("Shapley effects: a correlated group of " + std::to_string(slots.size()) +
                                  " inputs (at most " + std::to_string(k_shapley_max_group) + ")");
    std::vector<std::size_t> members;
    for (std::size_t m = 0; m < slots.size(); ++m) {
      const auto p = static_cast<std::size_t>(position.at(slots[m]));
      group_of[p] = static_cast<std::ptrdiff_t>(groups.size());
      member_of[p] = static_cast<std::ptrdiff_t>(m);
      members.push_back(p);
    }
    groups.emplace_back(std::move(members), r);
  }
  std::size_t widest = 1;  // the largest group
  for (const Group& g : groups) widest = std::max(widest, g.members.size());
  std::vector<QuantileFunction> quantile;
  for (const std::uint32_t v : out.inputs) quantile.emplace_back(plan.law(v));

  const std::size_t per_perm = d * k_inner;                     // model runs per permutation
  const std::size_t normals = d * d * (1 + k_inner);            // per permutation: per prefix, outer + inner draws
  const std::size_t perms_per_block = std::max<std::size_t>(1, k_block_size / per_perm);
  const std::uint64_t blocks = (permutations + perms_per_block - 1) / perms_per_block;
  const std::size_t width = k_head + 3 * d;
  std::vector<std::vector<double>> sums(series.size(), std::vector<double>(blocks * width, 0.0));
  std::vector<std::vector<std::uint64_t>> skipped(series.size(), std::vector<std::uint64_t>(blocks, 0));
  const std::uint64_t seed_s = seed ^ variable_id("shapley");
  const Sampler normal(Normal{0, 1}), uniform(Uniform{0, 1});

  tbb::task_arena arena(threads == 0 ? tbb::task_arena::automatic : static_cast<int>(threads));
  arena.execute([&] {
    tbb::parallel_for(std::uint64_t{0}, blocks, [&](std::uint64_t blk) {
      if (cancelled()) return;  // Interrupted is thrown below
      const std::uint64_t p0 = blk * perms_per_block;
      const auto np = static_cast<std::size_t>(std::min<std::uint64_t>(perms_per_block, permutations - p0));
      const std::size_t rows = np * per_perm;
      Workspace ws = plan.workspace(rows);
      for (std::uint32_t v = 0; v < plan.inputs(); ++v)
        if (plan.constant_input(v)) ws.col(v).head(static_cast<Eigen::Index>(rows)).setConstant(std::get<Constant>(plan.law(v)).value);
      std::vector<double> u(np * d), e(np * normals);
      uniform.fill(seed_s, variable_id("shapley:order"), p0 * d, u);
      normal.fill(seed_s, variable_id("shapley:scores"), p0 * normals, e);
      std::vector<std::vector<double>> z(d, std::vector<double>(rows));
      std::vector<std::size_t> order(np * d);
      std::vector<double> zo(d);
      std::vector<bool> redrawn(d);
      std::vector<std::size_t> mask(groups.size());  // per group: its members redrawn at this prefix
      // Scratch for one group's scores (Eigen products into preallocated heads: nothing allocated per draw).
      Eigen::VectorXd gin(static_cast<Eigen::Index>(widest)), gout(static_cast<Eigen::Index>(widest)),
          gfix(static_cast<Eigen::Index>(widest));
      const auto span = [](Eigen::VectorXd& v, std::size_t n) { return v.head(static_cast<Eigen::Index>(n)); };
      for (std::size_t q = 0; q < np; ++q) {
        std::size_t* pi = order.data() + q * d;
        std::iota(pi, pi + d, std::size_t{0});
        const double* uq = u.data() + q * d;
        std::sort(pi, pi + d, [&](std::size_t a, std::size_t b) { return uq[a] < uq[b] || (uq[a] == uq[b] && a < b); });
        std::fill(redrawn.begin(), redrawn.end(), false);
        std::fill(mask.begin(), mask.end(), std::size_t{0});
        for (std::size_t j = 0; j < d; ++j) {
          redrawn[pi[j]] = true;
          if (group_of[pi[j]] >= 0)
            mask[static_cast<std::size_t>(group_of[pi[j]])] |= std::size_t{1} << member_of[pi[j]];
          const double* ej = e.data() + q * normals + j * d * (1 + k_inner);
          // The outer draw: every input's normal score, correlated within its group.
          for (std::size_t i = 0; i < d; ++i) zo[i] = ej[i];
          for (const Group& g : groups) {
            const std::size_t k = g.members.size();
            for (std::size_t m = 0; m < k; ++m) gin(static_cast<Eigen::Index>(m)) = ej[g.members[m]];
            span(gout, k).noalias() = g.root * span(gin, k);
            for (std::size_t m = 0; m < k; ++m) zo[g.members[m]] = gout(static_cast<Eigen::Index>(m));
          }
          for (std::size_t t = 0; t < k_inner; ++t) {
            const std::size_t row = (q * d + j) * k_inner + t;
            const double* eps = ej + d * (1 + t);
            for (std::size_t i = 0; i < d; ++i) z[i][row] = !redrawn[i] ? zo[i] : group_of[i] < 0 ? eps[i] : zo[i];
            for (std::size_t gi = 0; gi < groups.size(); ++gi) {  // the redrawn members given the fixed ones
              if (mask[gi] == 0) continue;
              const Group& g = groups[gi];
              const Group::Conditional& c = g.given[mask[gi]];
              const std::size_t nf = c.fixed.size(), nj = c.redrawn.size();
              for (std::size_t m = 0; m < nf; ++m) gfix(static_cast<Eigen::Index>(m)) = zo[g.members[c.fixed[m]]];
              for (std::size_t m = 0; m < nj; ++m) gin(static_cast<Eigen::Index>(m)) = eps[g.members[c.redrawn[m]]];
              span(gout, nj).noalias() = c.l * span(gin, nj);
              if (nf > 0) span(gout, nj).noalias() += c.a * span(gfix, nf);
              for (std::size_t m = 0; m < nj; ++m) z[g.members[c.redrawn[m]]][row] = gout(static_cast<Eigen::Index>(m));
            }
          }
        }
      }
      if (cancelled()) return;
      for (std::size_t i = 0; i < d; ++i) {
        quantile[i].apply_scores(z[i]);
        std::copy(z[i].begin(), z[i].end(), ws.col(static_cast<Eigen::Index>(out.inputs[i])).data());
      }
      plan.compute(ws, rows);
      if (year >= 0) plan.evaluate_year(ws, seed, 0, static_cast<std::size_t>(year), rows);  // (no yearly inputs: refused)
      std::vector<double> delta(d);
      for (std::size_t o = 0; o < series.size(); ++o) {
        const double* y = ws.col(static_cast<Eigen::Index>(plan.series()[series[o]].var)).data();
        double* s = sums[o].data() + blk * width;
        for (std::size_t q = 0; q < np; ++q) {
          const std::size_t* pi = order.data() + q * d;
          bool finite = true;
          double prev = 0, cost = 0;
          for (std::size_t j = 0; j < d && finite; ++j) {
            const double* yy = y + (q * d + j) * k_inner;
            double mean = 0;
            for (std::size_t t = 0; t < k_inner; ++t) mean += yy[t];
            mean /= k_inner;
            double ss = 0;
            for (std::size_t t = 0; t < k_inner; ++t) ss += (yy[t] - mean) * (yy[t] - mean);
            cost = ss / (k_inner - 1);
            finite = std::isfinite(cost);
            delta[pi[j]] = cost - prev;
            prev = cost;
          }
          if (!finite) {
            ++skipped[o][blk];
            continue;
          }
          s[0] += 1;
          s[1] += cost;
          s[2] += cost * cost;
          for (std::size_t i = 0; i < d; ++i) {
            s[k_head + 3 * i] += delta[i];
            s[k_head + 3 * i + 1] += delta[i] * delta[i];
            s[k_head + 3 * i + 2] += delta[i] * cost;
          }
        }
      }
    });
  });
  if (cancelled()) throw Interrupted();
  for (std::size_t o = 0; o < series.size(); ++o) {
    std::vector<double> all(width, 0.0);
    ShapleyOutput so;
    so.series = series[o];
    for (std::uint64_t b = 0; b < blocks; ++b) {
      for (std::size_t w = 0; w < width; ++w) all[w] += sums[o][b * width + w];
      so.skipped += skipped[o][b];
    }
    const double m = all[0], c = all[1] / m;
    so.variance = c;
    for (std::size_t i = 0; i < d; ++i) {
      SobolIndex x;
      const double sd = all[k_head + 3 * i], sd2 = all[k_head + 3 * i + 1], sdc = all[k_head + 3 * i + 2];
      x.index = sd / all[1];
      // Ratio estimator: Var(Δ − r·c) / (m − 1) / c̄² per permutation.
      const double var = (sd2 - 2 * x.index * sdc + x.index * x.index * all[2]) / m;
      x.se = m > 1 && c > 0 ? std::sqrt(std::max(0.0, var) / (m - 1)) / c : k_nan;
      x.lo = x.index - 1.96 * x.se;
      x.hi = x.index + 1.96 * x.se;
      so.effect.push_back(x);
    }
    out.outputs.push_back(std::move(so));
  }
  return out;
}

}  // namespace tamcarlo
