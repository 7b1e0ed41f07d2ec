#include "sim/lang/correlations.hpp"

#include "sim/base/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <set>

namespace tamcarlo::detail {

namespace {

// Reads the names and ρ of [correlations], checking each against the scenario's inputs.
class CorrelationReader {
 public:
  CorrelationReader(const Scenario& s, const FileLocator& ctx) : s_(s), ctx_(ctx) {
    for (const auto& in : s.inputs) {
      inputs_[in.name] = &in;
      names_.push_back(in.name);
    }
  }

  // An uncertain input's name, or a located error saying what it is instead.
  std::string input_named(const toml::node& n, const std::string& key) const {
    if (!n.is_string()) throw ScenarioError(ctx_.at(n), key, fmt::format("expected an input's name, got {}", type_name(n)));
    const std::string name(n.as_string()->get());
    const auto it = inputs_.find(name);
    if (it == inputs_.end()) {
      const bool formula = std::any_of(s_.formulas.begin(), s_.formulas.end(), [&](const Formula& f) { return f.name == name; });
      throw ScenarioError(ctx_.at(n), key,
                          formula ? fmt::format("`{}` is a formula; correlations are between inputs (correlate the "
                                                "inputs it is built from)", name)
                                  : fmt::format("unknown input `{}`{}; inputs: {}", terminal_safe(name),
                                                did_you_mean(name, names_), quoted_list(names_)));
    }
    if (std::holds_alternative<Constant>(it->second->dist))
      throw ScenarioError(ctx_.at(n), key, fmt::format("`{}` is a constant: it cannot be correlated with anything", name));
    if (it->second->yearly != Yearly::none)
      throw ScenarioError(ctx_.at(n), key, fmt::format("`{}` is drawn per year (yearly = \"{}\"): correlations are between "
                                                       "inputs drawn once per sample", name, yearly_name(it->second->yearly)));
    return name;
  }

  double rho_of(const toml::node& n, const std::string& key) const {
    const double r = get_number(n, key, ctx_);
    if (!(r >= -1 && r <= 1))  // (a size from 2 to 100 is likely a percentage: 30 for 0.3)
      throw ScenarioError(ctx_.at(n), key,
                          fmt::format("ρ = {:g} must lie in [-1, 1]{}", r,
                                      std::fabs(r) >= 2 && std::fabs(r) <= 100
                                          ? fmt::format("; a percentage? did you mean {:g}?", r / 100)
                                          : ""));
    return r;
  }

  // pairs = [["a", "b", ρ], ...]
  void pairs(const toml::node& node, std::vector<GivenCorrelation>& given) const {
    const toml::array* arr = node.as_array();
    if (!arr) throw ScenarioError(ctx_.at(node), "correlations.pairs", "expected a list of [\"input\", \"input\", rho] triples");
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const std::string key = fmt::format("correlations.pairs[{}]", i);
      const toml::array* t = (*arr)[i].as_array();
      if (!t || t->size() != 3)
        throw ScenarioError(ctx_.at((*arr)[i]), key, "expected [\"input\", \"input\", rho], e.g. [\"share\", \"market\", 0.5]");
      const std::string a = input_named(*t->get(0), key), b = input_named(*t->get(1), key);
      if (a == b) throw ScenarioError(ctx_.at(*t->get(1)), key, fmt::format("`{}` is paired with itself", a));
      given.push_back({a, b, rho_of(*t->get(2), key), ctx_.at((*arr)[i]), key});
    }
  }

  // matrix = { inputs = [...], rho = [[...], ...] }: square, unit diagonal, symmetric; its upper triangle as pairs.
  void matrix(const toml::node& mnode, std::vector<GivenCorrelation>& given) const {
    const toml::table* m = mnode.as_table();
    if (!m) throw ScenarioError(ctx_.at(mnode), "correlations.matrix", "expected { inputs = [...], rho = [[...], ...] }");
    check_keys(*m, {"inputs", "rho"}, "correlations.matrix", ctx_, "in a correlation matrix");
    const toml::array* names = m->get("inputs") ? m->get("inputs")->as_array() : nullptr;
    const toml::array* rows = m->get("rho") ? m->get("rho")->as_array() : nullptr;
    if (!names || !rows)
      throw ScenarioError(ctx_.at(mnode), "correlations.matrix", "needs `inputs` (names) and `rho` (a square matrix)");
    std::vector<std::string> ns;
    for (std::size_t i = 0; i < names->size(); ++i) {
      ns.push_back(input_named(*names->get(i), "correlations.matrix.inputs"));
      if (std::count(ns.begin(), ns.end(), ns.back()) > 1)
        throw ScenarioError(ctx_.at(*names->get(i)), "correlations.matrix.inputs", fmt::format("`{}` is listed twice", ns.back()));
    }
    if (rows->size() != ns.size())
      throw ScenarioError(ctx_.at(*m->get("rho")), "correlations.matrix.rho",
                          fmt::format("{} rows for {} inputs; rho is {} × {}", rows->size(), ns.size(), ns.size(), ns.size()));
    std::vector<std::vector<double>> r(ns.size());
    for (std::size_t i = 0; i < ns.size(); ++i) {
      const std::string key = fmt::format("correlations.matrix.rho[{}]", i);
      const toml::array* row = rows->get(i)->as_array();
      if (!row || row->size() != ns.size())
        throw ScenarioError(ctx_.at(*rows->get(i)), key, fmt::format("row {} needs {} numbers", i + 1, ns.size()));
      for (std::size_t j = 0; j < ns.size(); ++j) r[i].push_back(rho_of(*row->get(j), key));
      if (r[i][i] != 1) throw ScenarioError(ctx_.at(*row->get(i)), key, fmt::format("the diagonal is 1, got {:g}", r[i][i]));
    }
    for (std::size_t i = 0; i < ns.size(); ++i)
      for (std::size_t j = i + 1; j < ns.size(); ++j) {
        const std::string key = fmt::format("correlations.matrix.rho[{}]", j);
        if (r[i][j] != r[j][i])
          throw ScenarioError(ctx_.at(*rows->get(j)->as_array()->get(i)), key,
                              fmt::format("rho is not symmetric: {:g} ({} row) against {:g} ({} row)", r[j][i], ns[j],
                                          r[i][j], ns[i]));
        given.push_back({ns[i], ns[j], r[i][j], ctx_.at(*rows->get(i)->as_array()->get(j)), "correlations.matrix.rho"});
      }
  }

 private:
  const Scenario& s_;
  const FileLocator& ctx_;
  std::map<std::string, const Input*> inputs_;
  std::vector<std::string> names_;
};

// The error for a group whose normal-score matrix `r` is not positive semi-definite: the inputs that weigh most in
// the offending direction, and the nearest valid set (eigenvalues kept ≥ 0.005, so that the suggestion, rounded to
// 3 decimals, still holds together).
ScenarioError not_definite(const std::vector<std::string>& names, const SquareMatrix& r, const Definiteness& d,
                           const GivenCorrelation& first) {
  std::vector<std::size_t> order(names.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return std::fabs(d.direction[a]) > std::fabs(d.direction[b]); });
  std::vector<std::string> culprits;
  for (std::size_t i = 0; i < std::min<std::size_t>(3, order.size()); ++i) culprits.push_back(names[order[i]]);
  const SquareMatrix near = nearest_correlation(r, 5e-3);
  std::string suggestion;
  for (std::size_t i = 0; i < names.size(); ++i)
    for (std::size_t j = i + 1; j < names.size(); ++j)
      suggestion += fmt::format("{}[\"{}\", \"{}\", {:.3f}]", suggestion.empty() ? "" : ", ", names[i], names[j],
                                spearman_of_normal_scores(near(i, j)));
  return ScenarioError(first.where, first.key,
                       fmt::format("the correlations among {} cannot hold together (no joint law has them: the "
                                   "matrix is not positive semi-definite, smallest eigenvalue {:.3g}); the nearest "
                                   "valid one is pairs = [{}]",
                                   quoted_list(culprits), d.min_eigenvalue, suggestion));
}

}  // namespace

std::vector<GivenCorrelation> read_correlations(const toml::table& c, const Scenario& s, const FileLocator& ctx) {
  check_keys(c, {"pairs", "matrix"}, "correlations", ctx, "in [correlations]");
  const CorrelationReader reader(s, ctx);
  std::vector<GivenCorrelation> given;
  if (const toml::node* pairs = c.get("pairs")) reader.pairs(*pairs, given);
  if (const toml::node* matrix = c.get("matrix")) reader.matrix(*matrix, given);
  std::map<std::pair<std::string, std::string>, const GivenCorrelation*> seen;
  for (const GivenCorrelation& g : given) {
    const auto key = std::minmax(g.a, g.b);
    if (const auto it = seen.find(key); it != seen.end())
      throw ScenarioError(g.where, g.key, fmt::format("`{}` and `{}` are correlated twice (also at {})", g.a, g.b,
                                                      it->second->where.str()));
    seen[key] = &g;
  }
  return given;
}

std::vector<std::vector<std::string>> correlation_groups(const std::vector<GivenCorrelation>& given) {
  std::map<std::string, std::string> parent;
  const std::function<std::string(const std::string&)> root_of = [&](const std::string& x) {
    auto it = parent.find(x);
    if (it == parent.end() || it->second == x) return x;
    return it->second = root_of(it->second);
  };
  for (const GivenCorrelation& g : given) {
    if (g.rho == 0) continue;
    parent.try_emplace(g.a, g.a);
    parent.try_emplace(g.b, g.b);
    parent[root_of(g.a)] = root_of(g.b);
  }
  std::map<std::string, std::vector<std::string>> groups;
  for (const auto& [name, _] : parent) groups[root_of(name)].push_back(name);
  std::vector<std::vector<std::string>> out;
  for (auto& group : groups) {
    std::sort(group.second.begin(), group.second.end());
    out.push_back(std::move(group.second));
  }
  return out;
}

CorrelationGroup checked_group(const std::vector<std::string>& names, const std::vector<GivenCorrelation>& given) {
  CorrelationGroup grp{names, SquareMatrix{names.size(), std::vector<double>(names.size() * names.size(), 0.0)}};
  for (std::size_t i = 0; i < names.size(); ++i) grp.spearman(i, i) = 1;
  const auto at = [&](const std::string& n) {
    return static_cast<std::size_t>(std::find(names.begin(), names.end(), n) - names.begin());
  };
  const GivenCorrelation* first = nullptr;
  for (const GivenCorrelation& g : given)
    if (std::find(names.begin(), names.end(), g.a) != names.end()) {
      grp.spearman(at(g.a), at(g.b)) = grp.spearman(at(g.b), at(g.a)) = g.rho;
      if (!first) first = &g;
    }
  SquareMatrix r = grp.spearman;
  for (std::size_t i = 0; i < r.k; ++i)
    for (std::size_t j = 0; j < r.k; ++j) r(i, j) = i == j ? 1.0 : normal_score_correlation(grp.spearman(i, j));
  const Definiteness d = definiteness(r);
  if (d.min_eigenvalue < -1e-9) throw not_definite(names, r, d, *first);
  return grp;
}

void check_reach(const std::vector<GivenCorrelation>& given, const Scenario& s) {
  const auto law = [&](const std::string& name) -> const Distribution& {
    return std::find_if(s.inputs.begin(), s.inputs.end(), [&](const Input& i) { return i.name == name; })->dist;
  };
  for (const GivenCorrelation& g : given) {
    if (g.rho == 0 || normal_score_for(law(g.a), law(g.b), g.rho)) continue;
    const double reach = reachable_spearman(law(g.a), law(g.b), g.rho > 0 ? 1 : -1);
    throw ScenarioError(g.where, g.key,
                        fmt::format("`{}` ({}) and `{}` ({}) cannot reach a Spearman correlation of {:g}: the ties of a "
                                    "discrete law hold it to {:.3f} at most; write a value within that (tamcarlo "
                                    "reaches any value up to it exactly)",
                                    g.a, describe(law(g.a)), g.b, describe(law(g.b)), g.rho,
                                    std::trunc(reach * 1000) / 1000));
  }
}

void lint_correlations(const std::vector<GivenCorrelation>& given, const Scenario& s,
                       const std::vector<std::string>& report, std::vector<Warning>& out) {
  std::set<std::string> warned;
  for (const GivenCorrelation& g : given)
    for (const std::string& name : {g.a, g.b}) {
      if (warned.count(name)) continue;
      bool used = std::find(report.begin(), report.end(), name) != report.end();
      for (const auto& f : s.formulas) {
        std::vector<const Expr*> refs;
        collect_refs(f.expr, refs);
        used = used || std::any_of(refs.begin(), refs.end(), [&](const Expr* r) { return r->name == name; });
      }
      if (!used && warned.insert(name).second)
        out.push_back({g.where, g.key, fmt::format("`{}` is correlated but no formula uses it: the correlation changes nothing", name)});
    }
}

}  // namespace tamcarlo::detail
