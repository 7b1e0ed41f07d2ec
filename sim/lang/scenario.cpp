#include "sim/lang/scenario.hpp"

#include "sim/base/text.hpp"
#include "sim/lang/correlations.hpp"
#include "sim/lang/intervals.hpp"
#include "sim/lang/dimensions.hpp"
#include "sim/lang/law_builder.hpp"
#include "sim/lang/units.hpp"
#include "sim/lang/toml_read.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <numeric>
#include <functional>
#include <numbers>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

namespace tamcarlo {

const char* yearly_name(Yearly y) {
  switch (y) {
    case Yearly::none: return "none";
    case Yearly::independent: return "independent";
    case Yearly::random_walk: return "random_walk";
    case Yearly::ar1: return "ar1";
  }
  return "none";
}


std::string Formula::key() const {
  switch (role) {
    case FormulaRole::check: return "checks." + name.substr(std::string("check.").size());
    case FormulaRole::bounds: return "formulas." + name.substr(std::string("bounds.").size()) + ".bounds";
    case FormulaRole::variable: break;
  }
  return "formulas." + name;
}

std::string Evidence::label() const { return year ? fmt::format("{}[{}]", variable, *year) : variable; }

double Evidence::likelihood(double x) const noexcept {
  if (!std::isfinite(x)) return std::numeric_limits<double>::quiet_NaN();
  switch (kind) {
    case Kind::normal: {
      const double z = (x - observed) / sd;
      return std::exp(-0.5 * z * z);
    }
    case Kind::lognormal: {
      if (!(x > 0)) return 0;
      const double z = (std::log(x) - std::log(observed)) / sd;
      return std::exp(-0.5 * z * z);
    }
    case Kind::interval: break;
  }
  return x >= lo && x <= hi ? 1.0 : 0.0;
}

const char* evidence_kind_name(Evidence::Kind k) {
  switch (k) {
    case Evidence::Kind::normal: return "normal";
    case Evidence::Kind::lognormal: return "lognormal";
    case Evidence::Kind::interval: break;
  }
  return "interval";
}

std::string Evidence::describe() const {
  switch (kind) {
    case Kind::normal: return fmt::format("{:g} ± {:g} (normal error, sd)", observed, sd);
    case Kind::lognormal: return fmt::format("{:g} (log-normal error, sd of ln {:g})", observed, sd);
    case Kind::interval: break;
  }
  return fmt::format("in [{:g}, {:g}]", lo, hi);
}

std::string Warning::str() const {
  return key.empty() ? fmt::format("{}: warning: {}", where.str(), message)
                     : fmt::format("{}: warning: [{}] {}", where.str(), key, message);
}

namespace detail {

const std::vector<std::string> k_sections = {"scenario", "inputs",    "formulas",  "links", "outputs",
                                             "risk",     "stress",    "portfolio", "correlations", "checks",
                                             "decision", "evidence"};
const std::vector<std::string> k_evidence_keys = {"observed", "sd", "sd_log", "between", "source"};
const std::vector<std::string> k_decision_keys = {"options", "groups"};
const std::vector<std::string> k_portfolio_keys = {"level", "holdings"};
const std::vector<std::string> k_holding_keys = {"name", "check", "proceeds", "invested", "exit"};
const std::vector<std::string> k_risk_keys = {"levels", "tail", "below", "at_least", "downside_target"};
const std::vector<std::string> k_link_keys = {"file", "output", "year"};
const std::vector<std::string> k_scenario_keys = {"name",    "title", "unit",      "description", "seed",
                                                  "samples", "years", "design", "replicates"};
constexpr std::int64_t k_max_years = 500;
const std::vector<std::string> k_formula_keys = {"expr", "unit", "format", "bounds", "source"};
const std::vector<std::string> k_output_keys = {"report"};

Formula parse_formula_entry(const std::string& name, const toml::key& key, const toml::node& node, const FileLocator& ctx) {
  const std::string prefix = "formulas." + name;
  Formula f;
  f.name = name;
  const toml::node* text_node = &node;
  if (const toml::table* t = node.as_table()) {
    check_keys(*t, k_formula_keys, prefix, ctx, "in a formula table");
    text_node = t->get("expr");
    if (!text_node) throw ScenarioError(ctx.at(key), prefix, "missing `expr`, the formula text");
    f.unit = get_string(*t, "unit", prefix, ctx);
    f.source = get_string(*t, "source", prefix, ctx);
    f.format = get_format(*t, prefix, ctx);
    f.format_written = t->contains("format");
    f.bounds = get_bounds(*t, prefix, ctx, f.format);
  }
  if (!text_node->is_string())
    throw ScenarioError(ctx.at(*text_node), prefix,
                        fmt::format("expected the formula as a string, e.g. \"a * b\", got {}", type_name(*text_node)));
  f.text = std::string(text_node->as_string()->get());
  check_printable(f.text, true, prefix, ctx.at(*text_node));
  f.where = ctx.at(*text_node);
  f.where.column += 1;  // past the opening quote: column of the formula's first character
  try {
    f.expr = parse_formula(f.text);
  } catch (const FormulaError& e) {
    SourceLocation at = f.where;
    at.column += static_cast<std::uint32_t>(e.offset());
    throw ScenarioError(at, prefix, fmt::format("{} in \"{}\"", e.what(), excerpt(f.text)));
  }
  return f;
}

// Replaces each reference to `pi`, `e` or a named conversion (months_per_year, ...) that no variable defines by the
// number (a conversion keeps its unit).
void bind_math_constants(Expr& e, const std::set<std::string>& names) {
  if (e.kind == Expr::Kind::ref && !names.count(e.name) && (e.name == "pi" || e.name == "e")) {
    e.kind = Expr::Kind::number;
    e.number = e.name == "pi" ? std::numbers::pi : std::numbers::e;
    e.name.clear();
    return;
  }
  if (e.kind == Expr::Kind::ref && !names.count(e.name))  // a named conversion: its value, with its unit
    for (const Conversion& c : conversions())
      if (e.name == c.name) {
        e.kind = Expr::Kind::number;
        e.number = c.value;
        e.unit = c.unit;
        e.name.clear();
        return;
      }
  for (Expr& a : e.args) bind_math_constants(a, names);
}

// An event (a bernoulli input) that if() branches on needs a written `point`: the point column's base case must be
// chosen, and the law's median (the more likely outcome) rarely is the case meant — with p = 0.6 the point MOIC of
// `if(failed, 0, ...)` would be 0.
void check_event_points(const Scenario& s, std::vector<ScenarioError>& errors) {
  std::set<std::string> warned;
  const std::function<void(const Formula&, const Expr&)> walk = [&](const Formula& f, const Expr& e) {
    for (const Expr& a : e.args) walk(f, a);
    if (e.kind != Expr::Kind::op || e.op != OpCode::select || e.args[0].kind != Expr::Kind::ref) return;
    const auto in = std::find_if(s.inputs.begin(), s.inputs.end(), [&](const Input& x) { return x.name == e.args[0].name; });
    if (in == s.inputs.end() || in->point_given || !std::holds_alternative<Bernoulli>(in->dist) || !warned.insert(in->name).second)
      return;
    SourceLocation at = f.where;
    at.column += static_cast<std::uint32_t>(e.args[0].offset);
    errors.emplace_back(at, f.key(),
                        fmt::format("`{}` is an event ({}) and if() branches on it, so the point column needs its base "
                                    "case written: add point = 0 (it does not happen) or point = 1 (it does) to "
                                    "[inputs.{}]; its median, {:g}, is taken otherwise",
                                    in->name, describe(in->dist), in->name, median(in->dist)));
  };
  for (const Formula& f : s.formulas)
    if (!f.linked) walk(f, f.expr);
}

// Orders formulas so that each comes after the formulas it references; names a cycle if there is one.
std::vector<std::size_t> order_formulas(const std::vector<Formula>& formulas) {
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < formulas.size(); ++i) index[formulas[i].name] = i;
  enum class Mark { none, active, done };
  std::vector<Mark> mark(formulas.size(), Mark::none);
  std::vector<std::size_t> order, stack;
  const auto visit = [&](auto&& self, std::size_t i) -> void {
    if (mark[i] == Mark::done) return;
    if (mark[i] == Mark::active) {
      const auto from = std::find(stack.begin(), stack.end(), i);
      std::string cycle;
      for (auto it = from; it != stack.end(); ++it) cycle += formulas[*it].name + " → ";
      cycle += formulas[i].name;
      throw ScenarioError(formulas[i].where, "formulas." + formulas[i].name,
                          fmt::format("formulas form a cycle: {}; a formula cannot depend on itself", cycle));
    }
    mark[i] = Mark::active;
    stack.push_back(i);
    std::vector<const Expr*> refs;
    collect_refs(formulas[i].expr, refs);
    for (const Expr* r : refs)
      if (const auto it = index.find(r->name); it != index.end()) self(self, it->second);
    stack.pop_back();
    mark[i] = Mark::done;
    order.push_back(i);
  };
  for (std::size_t i = 0; i < formulas.size(); ++i) visit(visit, i);
  return order;
}

}  // namespace detail

using namespace detail;

namespace {

// toml++ iterates keys in name order; sections keep the file's order with this.
constexpr auto by_position = [](const auto& a, const auto& b) {
  return std::pair(a.where.line, a.where.column) < std::pair(b.where.line, b.where.column);
};

// The linked scenarios parsed so far in one top-level parse, by file and depth in the chain of links: a file
// linked many times (or by many files) is read and expanded once, so links cannot fan out exponentially.
using LinkCache = std::map<std::pair<std::string, std::size_t>, Scenario>;

// parse_scenario's sections, in the order they must run, sharing the scenario so far and its names.
struct ScenarioParser {
  LinkCache& cache;
  const FileLocator& ctx;
  const toml::table& root;
  const std::string& path;
  Scenario& s;
  std::set<std::string> names;   // every name defined so far (linked ones too)
  std::vector<std::string> own;  // this file's own names, for suggestions
  std::vector<std::string> all;  // = own, once the links are read
  std::vector<std::string> chain;  // the files whose links led here, this one last (cycle detection)
  std::vector<ScenarioError> pending;  // bad [inputs]/[formulas] entries, thrown by resolve() with the unknown names

  void sections() const;
  void correlations();
  // A new name in [inputs], [formulas] or [links]: a valid identifier, not `year`, not taken.
  std::string check_name(const toml::key& k, const std::string& section) {
    const std::string name(k.str());
    if (!is_identifier(name))
      throw ScenarioError(ctx.at(k), section + "." + name,
                          fmt::format("`{}` is not a valid name; names are letters, digits and `_`, not starting with "
                                      "a digit",
                                      name));
    if (name == k_year_name)
      throw ScenarioError(ctx.at(k), section + "." + name,
                          "`year` is reserved: in formulas it is the timeline's year ([scenario] years = [FIRST, "
                          "LAST]); choose another name");
    if (!names.insert(name).second)
      throw ScenarioError(ctx.at(k), section + "." + name,
                          fmt::format("`{}` is already defined in [inputs]; names must be unique", name));
    return name;
  }
  Scenario load_linked(const Link& l, const std::string& key) const;
  void meta();
  void design(const toml::table& meta);
  void dimensions();
  void inputs_and_formulas();
  void indicators();
  [[nodiscard]] Formula bounds_indicator(const Formula& f) const;
  [[nodiscard]] Formula check_indicator(const toml::key& k, const toml::node& v) const;
  void links();
  void resolve();
  void outputs();
  void risk();
  void default_report();
  void portfolio();
  void decision();
  void evidence();
  void stresses();
};

void ScenarioParser::sections() const {
  if (const toml::node* suite = root.get("suite"))
    throw ScenarioError(ctx.at(*suite), "suite",
                        "this file is a suite ([suite]), where a scenario is expected: suites do not nest and are not "
                        "link targets; list its scenarios in one suite, or run it on its own");
  for (auto&& [k, v] : root) {
    const std::string key(k.str());
    if (std::find(k_sections.begin(), k_sections.end(), key) == k_sections.end())
      throw ScenarioError(ctx.at(k), key,
                          fmt::format("unknown section `{}`{}; sections are {}", key, did_you_mean(key, k_sections),
                                      quoted_list(k_sections)));
    if (!v.is_table())
      throw ScenarioError(ctx.at(k), key, fmt::format("`{}` must be a table ([{}]), got {}", key, key, type_name(v)));
  }

}

// A file's identity for cycle detection: its canonical path when it exists.
std::string file_identity(const std::string& path) {
  std::error_code ec;
  const auto c = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : c.string();
}

Scenario parse_in_chain(const std::string& text, const std::string& path, std::vector<std::string> chain,
                        LinkCache& cache);

// The linked scenario, refusing a link back into the chain that led here, or a chain too deep. A file met again
// at the same depth comes from the cache: its first parse followed every link below it, so a cycle through it
// was found then.
Scenario ScenarioParser::load_linked(const Link& l, const std::string& key) const {
  const std::string id = file_identity(l.file);
  if (const auto it = std::find(chain.begin(), chain.end(), id); it != chain.end()) {
    std::string cycle;
    for (auto c = it; c != chain.end(); ++c) cycle += *c + " → ";
    throw ScenarioError(l.where, key, fmt::format("links form a cycle: {}{}; a scenario cannot depend on itself", cycle, id));
  }
  if (chain.size() >= k_max_link_depth)
    throw ScenarioError(l.where, key, fmt::format("links nest more than {} files deep ({} → ...)", k_max_link_depth,
                                                  chain.front()));
  const std::pair cache_key(id, chain.size());
  if (const auto it = cache.find(cache_key); it != cache.end()) return it->second;
  std::vector<std::string> next = chain;
  next.push_back(id);
  return cache.emplace(cache_key, parse_in_chain(read_text_file(l.file), l.file, std::move(next), cache)).first->second;
}

void ScenarioParser::meta() {
  // [scenario]
  if (const toml::table* meta = root["scenario"].as_table()) {
    check_keys(*meta, k_scenario_keys, "scenario", ctx, "in [scenario]");
    s.name = get_string(*meta, "name", "scenario", ctx);
    s.title = get_string(*meta, "title", "scenario", ctx);
    s.unit = get_string(*meta, "unit", "scenario", ctx);
    s.description = get_string(*meta, "description", "scenario", ctx);
    if (const toml::node* n = meta->get("seed")) s.seed = get_count(*n, "scenario.seed", ctx, 0);
    if (const toml::node* n = meta->get("samples")) s.samples = get_count(*n, "scenario.samples", ctx, 1);
    design(*meta);
    if (const toml::node* n = meta->get("years")) {
      const toml::array* a = n->as_array();
      const auto bad = [&](const std::string& why) {
        throw ScenarioError(ctx.at(*n), "scenario.years",
                            fmt::format("{}; the timeline is written years = [FIRST, LAST], e.g. [2023, 2030], and "
                                        "covers every year from FIRST to LAST",
                                        why));
      };
      if (!a || a->size() != 2 || !a->get(0)->is_integer() || !a->get(1)->is_integer())
        bad(fmt::format("expected two integers, got {}", a ? fmt::format("an array of {}", a->size()) : type_name(*n)));
      const std::int64_t first = a->get(0)->as_integer()->get(), last = a->get(1)->as_integer()->get();
      for (const std::int64_t y : {first, last})
        if (y < -k_max_year || y > k_max_year) bad(fmt::format("{} is not a year tamcarlo takes (|year| ≤ {})", y, k_max_year));
      if (last < first) bad(fmt::format("LAST = {} is before FIRST = {}", last, first));
      if (last - first >= k_max_years) bad(fmt::format("{} years is more than the {} allowed", last - first + 1, k_max_years));
      for (std::int64_t y = first; y <= last; ++y) s.years.push_back(static_cast<int>(y));
    }
    if (s.name.find_first_of("/\\ \t") != std::string::npos)
      throw ScenarioError(ctx.at(*meta->get("name")), "scenario.name",
                          fmt::format("name \"{}\" names the result file; use letters, digits, `-` and `_`", s.name));
  }
  if (s.name.empty()) {
    const auto slash = path.find_last_of('/');
    std::string stem = path.substr(slash == std::string::npos ? 0 : slash + 1);
    if (const auto dot = stem.rfind('.'); dot != std::string::npos) stem.resize(dot);
    s.name = stem;
  }

}

void ScenarioParser::inputs_and_formulas() {
  // [inputs]
  // Every entry is checked, so that one run names every bad one (as a compiler does); they are thrown with the
  // unknown names of resolve(), which the bad entries' names (already taken) do not add to.
  std::vector<ScenarioError>& errors = pending;
  const toml::table* inputs = root["inputs"].as_table();
  const toml::table* formulas = root["formulas"].as_table();
  if (const std::size_t n = (inputs ? inputs->size() : 0) + (formulas ? formulas->size() : 0); n > k_max_variables) {
    const toml::table& big = inputs && inputs->size() >= n / 2 ? *inputs : *formulas;
    throw ScenarioError(ctx.at(big), &big == inputs ? "inputs" : "formulas",
                        fmt::format("the scenario defines {} inputs and formulas, more than the {} a scenario may hold "
                                    "(each costs every thread a 32 KiB column of its workspace and the run a set of "
                                    "streaming statistics); split the model, or aggregate inputs with an empirical or "
                                    "fitted law",
                                    thousands(n), thousands(k_max_variables)));
  }
  if (inputs)
    for (auto&& [k, v] : *inputs) {
      try {
        s.inputs.push_back(parse_input(check_name(k, "inputs"), k, v, ctx));
      } catch (const ScenarioError& e) {
        errors.push_back(e);
      }
    }

  // [formulas]
  if (formulas)
    for (auto&& [k, v] : *formulas) {
      try {
        s.formulas.push_back(parse_formula_entry(check_name(k, "formulas"), k, v, ctx));
      } catch (const ScenarioError& e) {
        errors.push_back(e);
      }
    }
  // toml++ iterates keys in name order; keep the file's order instead.
  std::sort(s.inputs.begin(), s.inputs.end(), by_position);
  std::sort(s.formulas.begin(), s.formulas.end(), by_position);
  indicators();
  if (s.inputs.empty() && s.formulas.empty() && pending.empty())
    throw ScenarioError(SourceLocation{path, 1, 1}, "inputs", "the scenario defines no [inputs] and no [formulas]");

  own.assign(names.begin(), names.end());
  all = own;
}

// Bounds of formulas and [checks] conditions become indicator formulas (1 in a violating sample), counted by the run:
// "bounds.<formula>" = (x < lo) + (x > hi), "check.<name>" = if(condition, 0, 1).
void ScenarioParser::indicators() {
  std::vector<Formula> added;
  for (const Formula& f : s.formulas)
    if (f.bounds && (!std::isinf(f.bounds->lo) || !std::isinf(f.bounds->hi))) added.push_back(bounds_indicator(f));
  if (const toml::table* checks = root["checks"].as_table()) {
    std::vector<std::pair<const toml::key*, const toml::node*>> entries;
    for (auto&& [k, v] : *checks) entries.emplace_back(&k, &v);
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {  // the file's order
      const auto& x = a.first->source().begin;
      const auto& y = b.first->source().begin;
      return std::pair(x.line, x.column) < std::pair(y.line, y.column);
    });
    for (const auto& [k, v] : entries) try {
      added.push_back(check_indicator(*k, *v));
    } catch (const ScenarioError& e) {
      pending.push_back(e);
    }
  }
  for (Formula& f : added) s.formulas.push_back(std::move(f));
}

Formula ScenarioParser::bounds_indicator(const Formula& f) const {
  Formula b;
  b.name = "bounds." + f.name;
  b.role = FormulaRole::bounds;
  b.condition = std::isinf(f.bounds->lo)   ? fmt::format("{} <= {:g}", f.name, f.bounds->hi)
                : std::isinf(f.bounds->hi) ? fmt::format("{} >= {:g}", f.name, f.bounds->lo)
                                           : fmt::format("{:g} <= {} <= {:g}", f.bounds->lo, f.name, f.bounds->hi);
  b.text = b.condition;
  b.where = f.bounds->where;
  const auto side = [&](OpCode op, double v) {  // f < lo, or f > hi
    Expr e, x, n;
    x.kind = Expr::Kind::ref;
    x.name = f.name;
    n.number = v;
    e.kind = Expr::Kind::op;
    e.op = op;
    e.args = {std::move(x), std::move(n)};
    return e;
  };
  std::vector<Expr> sides;
  if (!std::isinf(f.bounds->lo)) sides.push_back(side(OpCode::lt, f.bounds->lo));
  if (!std::isinf(f.bounds->hi)) sides.push_back(side(OpCode::gt, f.bounds->hi));
  if (sides.size() == 1) {
    b.expr = std::move(sides.front());
  } else {
    b.expr.kind = Expr::Kind::op;
    b.expr.op = OpCode::add;
    b.expr.args = std::move(sides);
  }
  return b;
}

Formula ScenarioParser::check_indicator(const toml::key& k, const toml::node& v) const {
  const std::string name(k.str());
  const std::string key = "checks." + name;
  if (!is_identifier(name))
    throw ScenarioError(ctx.at(k), key, "a check's name is an identifier: letters, digits and _, not starting with a digit");
  if (!v.is_string())
    throw ScenarioError(ctx.at(v), key, fmt::format("expected the condition as a string, e.g. market_within_pool = "
                                                    "\"market <= pool\", got {}",
                                                    type_name(v)));
  Formula c;
  c.name = "check." + name;
  c.role = FormulaRole::check;
  c.condition = std::string(v.as_string()->get());
  c.text = c.condition;
  check_printable(c.text, false, key, ctx.at(v));
  c.where = ctx.at(v);
  c.where.column += 1;  // past the opening quote
  Expr cond;
  try {
    cond = parse_formula(c.condition);
  } catch (const FormulaError& e) {
    SourceLocation at = c.where;
    at.column += static_cast<std::uint32_t>(e.offset());
    throw ScenarioError(at, key, fmt::format("{} in \"{}\"", e.what(), excerpt(c.condition)));
  }
  Expr zero, one;
  one.number = 1;
  c.expr.kind = Expr::Kind::op;
  c.expr.op = OpCode::select;
  c.expr.args = {std::move(cond), zero, one};
  return c;
}

void ScenarioParser::links() {
  // [links]: each linked scenario's inputs join this one's (named "<scenario>.<input>", shared by every
  // link to the same file), its formulas are copied per link ("<link>.<formula>") with `year` bound to a
  // local variable, and the link's own name is a formula equal to the linked output.
  if (const toml::table* links = root["links"].as_table()) {
    std::vector<Link> found;
    for (auto&& [k, v] : *links) {
      const std::string name = check_name(k, "links");
      const std::string prefix = "links." + name;
      const toml::table* t = v.as_table();
      if (!t) throw ScenarioError(ctx.at(k), prefix, fmt::format("expected a table [{}], got {}", prefix, type_name(v)));
      check_keys(*t, k_link_keys, prefix, ctx, "in a link");
      Link l;
      l.name = name;
      l.where = ctx.at(k);
      const std::string file = get_string(*t, "file", prefix, ctx);
      l.output = get_string(*t, "output", prefix, ctx);
      l.year = get_string(*t, "year", prefix, ctx);
      if (file.empty() || l.output.empty())
        throw ScenarioError(l.where, prefix, "a link needs `file` (a scenario, relative to this file) and `output`");
      l.file = (std::filesystem::path(path).parent_path() / file).lexically_normal().string();
      found.push_back(std::move(l));
    }
    std::sort(found.begin(), found.end(), by_position);
    // A link to a file already linked with the same `year` computes the same values (its inputs are shared):
    // it reuses that link's formulas instead of copying them again.
    std::map<std::pair<std::string, std::string>, std::string> first_link;
    for (Link& l : found) {
      const Scenario& linked = load_linked(l, "links." + l.name);
      l.text = linked.text;
      const std::string prefix = "links." + l.name;
      const auto [same, added] = first_link.emplace(std::pair(file_identity(l.file), l.year), l.name);
      const std::string copies = added ? l.name : same->second;  // whose copies of the formulas this link reads
      if (const std::size_t total = s.inputs.size() + s.formulas.size() +
                                    (added ? linked.inputs.size() + linked.formulas.size() : 0);
          total > k_max_variables)
        throw ScenarioError(l.where, prefix,
                            fmt::format("with this link the scenario would hold {} variables ({} of them from {}, whose "
                                        "formulas each link copies), more than the {} a scenario may hold; link it "
                                        "fewer times, or split the model",
                                        thousands(total), thousands(linked.inputs.size() + linked.formulas.size()),
                                        l.file, thousands(k_max_variables)));
      std::vector<std::string> linked_names;
      for (const auto& in : linked.inputs) linked_names.push_back(in.name);
      for (const auto& f : linked.formulas) linked_names.push_back(f.name);
      if (std::find(linked_names.begin(), linked_names.end(), l.output) == linked_names.end())
        throw ScenarioError(l.where, prefix + ".output",
                            fmt::format("`{}` is not a variable of {}{}; its variables: {}", l.output, l.file,
                                        did_you_mean(l.output, linked_names), quoted_list(linked_names)));
      if (!l.year.empty() && std::find(own.begin(), own.end(), l.year) == own.end())
        throw ScenarioError(l.where, prefix + ".year",
                            fmt::format("`{}` is not a variable of this scenario{}; `year` names the variable whose "
                                        "value the linked scenario's `year` takes (e.g. an exit year)",
                                        l.year, did_you_mean(l.year, own)));
      // Names with a dot are already internal (the linked file's own links) and stay as they are.
      const auto input_name = [&](const std::string& n) {
        return n.find('.') != std::string::npos ? n : linked.name + "." + n;
      };
      for (const auto& in : linked.inputs) {
        if (!added) break;  // drawn for the first link already
        if (std::any_of(s.inputs.begin(), s.inputs.end(), [&](const Input& x) { return x.name == input_name(in.name); }))
          continue;  // already drawn for another link to the same scenario
        Input copy = in;
        copy.name = input_name(in.name);
        copy.linked = true;
        names.insert(copy.name);
        s.inputs.push_back(std::move(copy));
      }
      std::set<std::string> linked_formulas;
      for (const auto& f : linked.formulas) linked_formulas.insert(f.name);
      for (const auto& f : linked.formulas) {
        if (!added) break;  // the first link's copies serve this one
        if (f.timed && l.year.empty() && s.years.empty())
          throw ScenarioError(l.where, prefix,
                              fmt::format("{}'s `{}` depends on the year; bind its year to a variable of this scenario "
                                          "with year = \"...\" (e.g. an exit year), or give this scenario a timeline",
                                          l.file, f.name));
        Formula copy = f;
        copy.name = l.name + "." + f.name;
        copy.linked = true;
        copy.timed = false;  // decided again below, with `year` bound
        rename_refs(copy.expr, [&](const std::string& r) {
          if (r == k_year_name) return l.year.empty() ? r : l.year;
          if (linked_formulas.count(r)) return l.name + "." + r;
          if (r.find('.') != std::string::npos) return r;  // the linked file's own links, already internal
          return input_name(r);
        });
        names.insert(copy.name);
        s.formulas.push_back(std::move(copy));
      }
      Formula local;
      local.name = l.name;
      local.text = fmt::format("{} of {}{}", l.output, l.file, l.year.empty() ? "" : " at year = " + l.year);
      local.expr.kind = Expr::Kind::ref;
      local.expr.name = linked_formulas.count(l.output) ? copies + "." + l.output : input_name(l.output);
      local.where = l.where;
      for (const auto& f : linked.formulas)
        if (f.name == l.output) local.unit = f.unit;
      for (const auto& in : linked.inputs)
        if (in.name == l.output) local.unit = in.unit;
      if (local.unit.empty()) local.unit = linked.unit;
      local.source = fmt::format("linked: {} `{}`", l.file, l.output);
      s.formulas.push_back(std::move(local));
      s.links.push_back(std::move(l));
    }
  }

}

void ScenarioParser::resolve() {
  // `pi` and `e` are constants where no variable takes the name.
  for (auto& f : s.formulas) bind_math_constants(f.expr, names);
  // Every reference resolves; each unknown one is named, with the bad entries found before.
  std::vector<ScenarioError> errors = std::move(pending);
  for (const auto& f : s.formulas) {
    std::vector<const Expr*> refs;
    collect_refs(f.expr, refs);
    for (const Expr* r : refs) try {
      if (names.count(r->name)) continue;
      SourceLocation at = f.where;
      at.column += static_cast<std::uint32_t>(r->offset);
      if (r->name == k_year_name) {
        if (!s.years.empty()) continue;
        throw ScenarioError(at, f.key(),
                            fmt::format("`year` needs a timeline: add years = [FIRST, LAST] (e.g. [2023, 2030]) to "
                                        "[scenario] in \"{}\"",
                                        excerpt(f.text)));
      }
      const auto& fns = function_names();
      const bool is_fn = std::find(fns.begin(), fns.end(), r->name) != fns.end();
      throw ScenarioError(at, f.key(),
                          is_fn ? fmt::format("`{}` is a function; call it with arguments, e.g. {}(a, b)", r->name,
                                              r->name)
                                : fmt::format("unknown name `{}`{} in \"{}\"; defined names: {}", r->name,
                                              did_you_mean(r->name, all), excerpt(f.text), quoted_list(all)));
    } catch (const ScenarioError& e) {
      errors.push_back(e);
    }
  }
  if (!errors.empty()) throw ScenarioError::combined(std::move(errors));
  s.formula_order = order_formulas(s.formulas);
  for (const auto& in : s.inputs)  // an input drawn per year needs years to be drawn for
    if (in.yearly != Yearly::none && s.years.empty() && !in.linked)
      throw ScenarioError(in.where, "inputs." + in.name + ".yearly",
                          fmt::format("`{}` is drawn per year (yearly = \"{}\") but the scenario has no timeline; give "
                                      "one in [scenario]: years = [first, last]",
                                      in.name, yearly_name(in.yearly)));
  // A formula is timed when it references `year`, an input drawn per year, or a timed formula (dependencies come
  // first in the order).
  for (const std::size_t i : s.formula_order) {
    std::vector<const Expr*> refs;
    collect_refs(s.formulas[i].expr, refs);
    for (const Expr* r : refs) {
      if (r->name == k_year_name) s.formulas[i].timed = true;
      for (const auto& in : s.inputs)
        if (in.yearly != Yearly::none && in.name == r->name) s.formulas[i].timed = true;
      for (const auto& g : s.formulas)
        if (g.timed && g.name == r->name) s.formulas[i].timed = true;
    }
  }
  // A formula without a `unit` takes the one its operands decide, e.g. sam = tam * sam_share → tam's unit.
  // A formula without `format` that adds a quantity to a year is a year (exit_year = round_year + years_to_exit).
  std::map<std::string, NumberStyle> formats;
  for (const auto& in : s.inputs) formats[in.name] = in.format;
  for (const auto& f : s.formulas) formats[f.name] = f.format;
  for (const std::size_t i : s.formula_order) {
    Formula& f = s.formulas[i];
    if (f.format != NumberStyle::automatic || f.format_written) continue;
    f.format = format_of(f.expr, formats);
    formats[f.name] = f.format;
  }
  // Units compose (people × CNY/year ÷ … ); the text written for an operand is kept when the result equals it.
  std::map<std::string, std::optional<Unit>> units;  // nullopt: undecided, and so is what is built on it
  std::map<Unit, std::string> written;
  for (const auto& in : s.inputs) {
    units[in.name] = parse_unit(in.unit);
    written.emplace(parse_unit(in.unit), in.unit);
  }
  for (const auto& f : s.formulas) {
    units[f.name] = parse_unit(f.unit);
    if (!f.unit.empty()) written.emplace(parse_unit(f.unit), f.unit);
  }
  for (const std::size_t i : s.formula_order) {
    Formula& f = s.formulas[i];
    if (!f.unit.empty()) continue;
    const std::optional<Unit> u = unit_of(f.expr, units);
    if (!u) {
      units[f.name] = std::nullopt;
      continue;
    }
    if (u->empty()) continue;
    const auto w = written.find(*u);
    f.unit = w != written.end() ? w->second : unit_text(*u);
    f.unit_inferred = true;
    units[f.name] = *u;
  }
  // Dimensions: every formula's operands agree, and a declared unit is what the formula computes.
  std::vector<ScenarioError> unit_errors;
  check_dimensions(s, unit_errors, s.warnings);
  check_event_points(s, unit_errors);
  check_formula_ranges(s, unit_errors);
  if (!unit_errors.empty()) throw ScenarioError::combined(std::move(unit_errors));

}

// [correlations]: `pairs = [["a", "b", ρ], ...]` and/or `matrix = { inputs = [...], rho = [[...], ...] }`, Spearman ρ
// between inputs. Grouped into connected sets; each set's normal-score matrix must be positive semi-definite.
void ScenarioParser::correlations() {
  const toml::table* c = root["correlations"].as_table();
  if (!c) return;
  const std::vector<GivenCorrelation> given = read_correlations(*c, s, ctx);
  for (const auto& names : correlation_groups(given)) s.correlations.push_back(checked_group(names, given));
  check_reach(given, s);
  std::vector<std::string> report;  // [outputs] is read after this section
  if (const toml::array* rep = root["outputs"]["report"].as_array())
    for (const auto& r : *rep)
      if (r.is_string()) report.emplace_back(r.as_string()->get());
  lint_correlations(given, s, report, s.warnings);
}

void ScenarioParser::outputs() {
  // [outputs]
  if (const toml::table* out = root["outputs"].as_table()) {
    check_keys(*out, k_output_keys, "outputs", ctx, "in [outputs]");
    if (const toml::node* r = out->get("report")) {
      const toml::array* a = r->as_array();
      if (!a || a->empty())
        throw ScenarioError(ctx.at(*r), "outputs.report", "expected a non-empty array of variable names");
      for (const auto& item : *a) {
        if (!item.is_string())
          throw ScenarioError(ctx.at(item), "outputs.report", fmt::format("expected a name, got {}", type_name(item)));
        const std::string n(item.as_string()->get());
        if (!names.count(n))
          throw ScenarioError(ctx.at(item), "outputs.report",
                              fmt::format("unknown variable `{}`{}; defined names: {}", n, did_you_mean(n, all),
                                          quoted_list(all)));
        if (std::find(s.report.begin(), s.report.end(), n) == s.report.end()) s.report.push_back(n);
      }
    }
  }
}

void ScenarioParser::risk() {
  // [risk.<output>]
  if (const toml::table* risk = root["risk"].as_table()) {
    std::vector<std::pair<SourceLocation, std::pair<std::string, RiskSpec>>> found;
    for (auto&& [k, v] : *risk) {
      const std::string name(k.str());
      const std::string prefix = "risk." + name;
      if (!names.count(name) || name.find('.') != std::string::npos)
        throw ScenarioError(ctx.at(k), prefix,
                            fmt::format("`{}` is not a variable of this scenario{}; defined names: {}", name,
                                        did_you_mean(name, all), quoted_list(all)));
      if (std::any_of(s.formulas.begin(), s.formulas.end(), [&](const Formula& f) { return f.name == name && f.timed; }))
        throw ScenarioError(ctx.at(k), prefix,
                            fmt::format("`{}` depends on the year; risk metrics are computed for untimed outputs "
                                        "(fix the year, e.g. a formula at an exit year, and measure that)",
                                        name));
      const toml::table* t = v.as_table();
      if (!t) throw ScenarioError(ctx.at(k), prefix, fmt::format("expected a table [{}], got {}", prefix, type_name(v)));
      check_keys(*t, k_risk_keys, prefix, ctx, "in a risk table");
      RiskSpec spec;
      if (const toml::node* n = t->get("levels")) {
        spec.levels = get_numbers(*n, prefix + ".levels", ctx);
        for (const double a : spec.levels)
          if (!(a > 0 && a <= 0.5))
            throw ScenarioError(ctx.at(*n), prefix + ".levels",
                                fmt::format("tail level {:g} must lie in (0, 0.5], e.g. 0.05 for the worst 5%", a));
      }
      if (const toml::node* n = t->get("below")) spec.below = get_numbers(*n, prefix + ".below", ctx);
      if (const toml::node* n = t->get("at_least")) spec.at_least = get_numbers(*n, prefix + ".at_least", ctx);
      if (const toml::node* n = t->get("downside_target")) spec.downside_target = get_number(*n, prefix + ".downside_target", ctx);
      const std::string tail = get_string(*t, "tail", prefix, ctx);
      if (!tail.empty() && tail != "lower" && tail != "upper")
        throw ScenarioError(ctx.at(*t->get("tail")), prefix + ".tail",
                            fmt::format("\"{}\" is not a tail; allowed: \"lower\" (low values are bad, e.g. MOIC) or "
                                        "\"upper\" (high values are bad, e.g. a required share)",
                                        tail));
      spec.upper_tail = tail == "upper";
      found.push_back({ctx.at(k), {name, std::move(spec)}});
    }
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
      return std::pair(a.first.line, a.first.column) < std::pair(b.first.line, b.first.column);
    });
    for (auto& [where, entry] : found) s.risk.push_back(std::move(entry));
  }

}

void ScenarioParser::default_report() {
  if (s.report.empty()) {
    for (const auto& f : s.formulas)
      if (!f.linked && f.role == FormulaRole::variable) s.report.push_back(f.name);
    if (s.report.empty())
      for (const auto& i : s.inputs)
        if (!i.linked) s.report.push_back(i.name);
  }

  for (const auto& [name, spec] : s.risk)
    if (std::find(s.report.begin(), s.report.end(), name) == s.report.end()) s.report.push_back(name);

}

void ScenarioParser::portfolio() {
  // [portfolio]: holdings (check and proceeds variables, untimed), analysed together.
  if (const toml::table* pf = root["portfolio"].as_table()) {
    check_keys(*pf, k_portfolio_keys, "portfolio", ctx, "in [portfolio]");
    PortfolioSpec spec;
    if (const toml::node* n = pf->get("level")) {
      spec.level = get_number(*n, "portfolio.level", ctx);
      if (!(spec.level > 0 && spec.level <= 0.5))
        throw ScenarioError(ctx.at(*n), "portfolio.level",
                            fmt::format("tail level {:g} must lie in (0, 0.5], e.g. 0.05", spec.level));
    }
    const toml::array* hs = pf->get("holdings") ? pf->get("holdings")->as_array() : nullptr;
    if (!hs || hs->size() < 2)
      throw ScenarioError(ctx.at(pf->get("holdings") ? *pf->get("holdings") : static_cast<const toml::node&>(*pf)),
                          "portfolio.holdings",
                          "expected an array of at least two holdings, each { name = \"...\", check = \"<variable>\", "
                          "proceeds = \"<variable>\" }");
    for (std::size_t i = 0; i < hs->size(); ++i) {
      const std::string prefix = fmt::format("portfolio.holdings[{}]", i);
      const toml::table* h = hs->get(i)->as_table();
      if (!h) throw ScenarioError(ctx.at(*hs->get(i)), prefix, "expected { name = ..., check = ..., proceeds = ... }");
      check_keys(*h, k_holding_keys, prefix, ctx, "for a holding");
      Holding hold{get_string(*h, "name", prefix, ctx), get_string(*h, "check", prefix, ctx),
                   get_string(*h, "proceeds", prefix, ctx), get_string(*h, "invested", prefix, ctx),
                   get_string(*h, "exit", prefix, ctx)};
      if (hold.invested.empty() != hold.exit.empty())
        throw ScenarioError(ctx.at(*hs->get(i)), prefix,
                            "give both `invested` and `exit` (the times, in years, of the check and of the proceeds) "
                            "or neither");
      std::vector<std::string*> vars = {&hold.check, &hold.proceeds};
      if (!hold.invested.empty()) vars.insert(vars.end(), {&hold.invested, &hold.exit});
      for (const std::string* v : vars) {
        const bool timed = std::any_of(s.formulas.begin(), s.formulas.end(),
                                       [&](const Formula& f) { return f.name == *v && f.timed; });
        if (v->empty() || !names.count(*v) || timed)
          throw ScenarioError(ctx.at(*hs->get(i)), prefix,
                              v->empty() ? std::string("a holding needs `name`, `check` and `proceeds`")
                                         : fmt::format("`{}` is not an untimed variable of this scenario{}", *v,
                                                       did_you_mean(*v, all)));
        if (std::find(s.report.begin(), s.report.end(), *v) == s.report.end()) s.report.push_back(*v);
      }
      if (hold.name.empty()) hold.name = hold.proceeds;
      spec.holdings.push_back(std::move(hold));
    }
    const auto dated = std::count_if(spec.holdings.begin(), spec.holdings.end(), [](const Holding& x) { return !x.invested.empty(); });
    if (dated != 0 && static_cast<std::size_t>(dated) != spec.holdings.size())
      throw ScenarioError(ctx.at(*pf->get("holdings")), "portfolio.holdings",
                          "some holdings give `invested`/`exit` times and some do not; the portfolio IRR needs them "
                          "for every holding");
    s.portfolio = std::move(spec);
  }

}

// [decision]: `options` (two to eight untimed formulas of one unit: the value of each choice, higher is better) and
// `groups` (named sets of uncertain inputs whose joint value of information is asked).
void ScenarioParser::decision() {
  const toml::table* d = root["decision"].as_table();
  if (!d) return;
  check_keys(*d, k_decision_keys, "decision", ctx, "in [decision]");
  DecisionSpec spec;
  const toml::node* opts = d->get("options");
  const toml::array* a = opts ? opts->as_array() : nullptr;
  if (!a || a->size() < 2 || a->size() > 8)
    throw ScenarioError(ctx.at(opts ? *opts : static_cast<const toml::node&>(*d)), "decision.options",
                        "expected an array of 2 to 8 formula names, each the value of one option in the same unit "
                        "(higher is better), e.g. options = [\"invest_value\", \"pass_value\"]");
  std::vector<std::string> formulas;
  for (const Formula& f : s.formulas)
    if (!f.linked && f.role == FormulaRole::variable) formulas.push_back(f.name);
  const Formula* first = nullptr;
  for (const auto& item : *a) {
    if (!item.is_string())
      throw ScenarioError(ctx.at(item), "decision.options", fmt::format("expected a formula name, got {}", type_name(item)));
    const std::string n(item.as_string()->get());
    const auto f = std::find_if(s.formulas.begin(), s.formulas.end(), [&](const Formula& x) { return x.name == n; });
    if (f == s.formulas.end() || f->role != FormulaRole::variable)
      throw ScenarioError(ctx.at(item), "decision.options",
                          fmt::format("`{}` is not a formula of this scenario{}; an option is a formula giving its value; "
                                      "formulas: {}",
                                      n, did_you_mean(n, formulas), quoted_list(formulas)));
    if (f->timed)
      throw ScenarioError(ctx.at(item), "decision.options",
                          fmt::format("`{}` depends on the year; an option's value is one number per sample (fix the "
                                      "year, e.g. value at exit, or a discounted sum)",
                                      n));
    if (std::find(spec.options.begin(), spec.options.end(), n) != spec.options.end())
      throw ScenarioError(ctx.at(item), "decision.options", fmt::format("`{}` is listed twice", n));
    if (first && f->unit != first->unit)
      throw ScenarioError(ctx.at(item), "decision.options",
                          fmt::format("`{}` is in {} but `{}` is in {}; options are compared by their values, so they "
                                      "must share one unit",
                                      n, f->unit.empty() ? "no unit" : "\"" + f->unit + "\"", first->name,
                                      first->unit.empty() ? "no unit" : "\"" + first->unit + "\""));
    if (!first) first = &*f;
    spec.options.push_back(n);
  }
  std::vector<std::string> uncertain;
  for (const Input& in : s.inputs)
    if (!std::holds_alternative<Constant>(in.dist)) uncertain.push_back(in.name);
  if (const toml::node* g = d->get("groups")) {
    const toml::table* t = g->as_table();
    if (!t)
      throw ScenarioError(ctx.at(*g), "decision.groups",
                          "expected a table of named input lists, e.g. groups = { market = [\"seats\", \"price\"] }");
    std::vector<std::pair<SourceLocation, std::pair<std::string, std::vector<std::string>>>> found;
    for (auto&& [k, v] : *t) {
      const std::string name(k.str()), key = "decision.groups." + name;
      const toml::array* list = v.as_array();
      if (!list || list->empty() || list->size() > 6)
        throw ScenarioError(ctx.at(k), key, "expected an array of 1 to 6 uncertain inputs (binned jointly)");
      std::vector<std::string> members;
      for (const auto& item : *list) {
        const std::string n = item.is_string() ? std::string(item.as_string()->get()) : std::string();
        if (std::find(uncertain.begin(), uncertain.end(), n) == uncertain.end())
          throw ScenarioError(ctx.at(item), key,
                              fmt::format("{} is not an uncertain input of this scenario{}; uncertain inputs: {}",
                                          item.is_string() ? "`" + n + "`" : type_name(item), did_you_mean(n, uncertain),
                                          quoted_list(uncertain)));
        if (std::find(members.begin(), members.end(), n) != members.end())
          throw ScenarioError(ctx.at(item), key, fmt::format("`{}` is listed twice", n));
        members.push_back(n);
      }
      if (std::find(uncertain.begin(), uncertain.end(), name) != uncertain.end())
        throw ScenarioError(ctx.at(k), key, fmt::format("`{}` names an input; give the group its own name", name));
      found.push_back({ctx.at(k), {name, std::move(members)}});
    }
    std::sort(found.begin(), found.end(), [](const auto& x, const auto& y) {
      return std::pair(x.first.line, x.first.column) < std::pair(y.first.line, y.first.column);
    });
    for (auto& [where, entry] : found) spec.groups.push_back(std::move(entry));
  }
  s.decision = std::move(spec);
}

// [evidence]: observed figures, each `name` or "name[year]" = { observed = x, sd = s } (a normal error), { observed = x,
// sd_log = s } (a log-normal error) or { between = [lo, hi] }, with a `source`.
void ScenarioParser::evidence() {
  const toml::node* node = root.get("evidence");
  if (!node) return;
  const toml::table* t = node->as_table();
  if (!t)
    throw ScenarioError(ctx.at(*node), "evidence",
                        fmt::format("expected a table [evidence], got {}", type_name(*node)));
  std::vector<std::string> variables;
  for (const Input& in : s.inputs)
    if (!in.linked) variables.push_back(in.name);
  for (const Formula& f : s.formulas)
    if (f.role == FormulaRole::variable) variables.push_back(f.name);
  const auto timed = [&](const std::string& n) {
    for (const Input& in : s.inputs)
      if (in.name == n) return in.yearly != Yearly::none;
    for (const Formula& f : s.formulas)
      if (f.name == n) return f.timed;
    return false;
  };
  const std::string shape =
      "{ observed = <value>, sd = <its error> } (a normal error, in the variable's unit), { observed = <value>, sd_log "
      "= <sd of ln> } (a log-normal error, e.g. 0.1 for about ±10%) or { between = [<low>, <high>] }, with `source`";
  for (auto&& [k, v] : *t) {
    const std::string written(k.str());
    const std::string key = "evidence." + written;
    Evidence e;
    e.where = ctx.at(k);
    std::string name = written;
    if (const auto open = written.find('['); open != std::string::npos) {
      const auto close = written.find(']', open);
      int year = 0;
      const std::string digits = close == std::string::npos ? "" : written.substr(open + 1, close - open - 1);
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), year);
      if (close != written.size() - 1 || digits.empty() || ec != std::errc() || end != digits.data() + digits.size())
        throw ScenarioError(e.where, key,
                            fmt::format("`{}` is not a variable or \"variable[year]\"; a timed variable's figure names "
                                        "its year, e.g. \"market[2024]\"",
                                        written));
      name = written.substr(0, open);
      e.year = year;
    }
    e.variable = name;
    if (std::find(variables.begin(), variables.end(), name) == variables.end())
      throw ScenarioError(e.where, key,
                          fmt::format("`{}` is not an input or formula of this scenario{}; observed figures are tied to "
                                      "one; defined: {}",
                                      name, did_you_mean(name, variables), quoted_list(variables)));
    if (timed(name) && !e.year)
      throw ScenarioError(e.where, key,
                          fmt::format("`{}` has a value per year; name the year the figure was observed in, e.g. "
                                      "\"{}[{}]\" = {{ ... }}",
                                      name, name, s.years.empty() ? 2024 : s.years.front()));
    if (!timed(name) && e.year)
      throw ScenarioError(e.where, key,
                          fmt::format("`{}` does not depend on the year; write `{}` without [{}]", name, name, *e.year));
    if (e.year && std::find(s.years.begin(), s.years.end(), *e.year) == s.years.end())
      throw ScenarioError(e.where, key,
                          fmt::format("{} is not a year of the timeline ({}–{})", *e.year, s.years.front(), s.years.back()));
    const toml::table* f = v.as_table();
    if (!f) throw ScenarioError(e.where, key, fmt::format("expected {}; got {}", shape, type_name(v)));
    check_keys(*f, k_evidence_keys, key, ctx, "in an observed figure");
    e.source = get_string(*f, "source", key, ctx);
    const toml::node* observed = f->get("observed");
    const toml::node* sd = f->get("sd");
    const toml::node* sd_log = f->get("sd_log");
    const toml::node* between = f->get("between");
    if (between) {
      if (observed || sd || sd_log)
        throw ScenarioError(ctx.at(*between), key, "give either `between` or `observed` with `sd` or `sd_log`, not both");
      const toml::array* a = between->as_array();
      if (!a || a->size() != 2)
        throw ScenarioError(ctx.at(*between), key + ".between", "expected [low, high] (use -inf or inf for an open side)");
      const auto bound = [&](const toml::node& n) {
        if (const auto* d = n.as_floating_point(); d && std::isinf(d->get())) return d->get();
        return get_number(n, key + ".between", ctx);
      };
      e.kind = Evidence::Kind::interval;
      e.lo = bound(*a->get(0));
      e.hi = bound(*a->get(1));
      if (!(e.lo < e.hi))
        throw ScenarioError(ctx.at(*between), key + ".between",
                            fmt::format("[{:g}, {:g}] is empty; expected low < high", e.lo, e.hi));
    } else {
      if (!observed || (!sd && !sd_log) || (sd && sd_log))
        throw ScenarioError(e.where, key,
                            fmt::format("expected {}{}", shape,
                                        observed && sd && sd_log ? " (one of `sd` and `sd_log`, not both)" : ""));
      e.observed = get_number(*observed, key + ".observed", ctx);
      e.kind = sd ? Evidence::Kind::normal : Evidence::Kind::lognormal;
      const toml::node& spread = sd ? *sd : *sd_log;
      const std::string spread_key = key + (sd ? ".sd" : ".sd_log");
      e.sd = get_number(spread, spread_key, ctx);
      if (!(e.sd > 0))
        throw ScenarioError(ctx.at(spread), spread_key,
                            fmt::format("{:g} is not a positive error; the figure's uncertainty must be > 0 (an exact "
                                        "figure cannot be conditioned on by weighting samples)",
                                        e.sd));
      if (e.kind == Evidence::Kind::lognormal && !(e.observed > 0))
        throw ScenarioError(ctx.at(*observed), key + ".observed",
                            fmt::format("{:g} is not positive; a log-normal error (sd_log) needs an observed value > 0 "
                                        "(use `sd` for a normal error)",
                                        e.observed));
    }
    s.evidence.push_back(std::move(e));
  }
  std::sort(s.evidence.begin(), s.evidence.end(), [](const Evidence& a, const Evidence& b) {
    return std::pair(a.where.line, a.where.column) < std::pair(b.where.line, b.where.column);
  });
  if (s.evidence.empty()) return;
  const Evidence& first = s.evidence.front();
  const auto refuse = [&](const std::string& what, const std::string& why) {
    throw ScenarioError(first.where, "evidence." + first.label(),
                        fmt::format("a scenario with [evidence] cannot have {}: {}", what, why));
  };
  if (s.portfolio)
    refuse("a [portfolio]", "its tail allocation is not weighted yet; condition the holdings' scenario without the "
                            "portfolio, or run the portfolio unconditioned");
  if (s.decision)
    refuse("a [decision]", "the value of information is computed for the prior model only; run the decision without "
                           "[evidence]");
  if (s.design.replicated())
    refuse(fmt::format("design = \"{}\"", design_name(s.design.kind)),
           "a design's replicate CIs are not weighted; use the default design = \"mc\" (weighted runs get their CIs "
           "from the effective sample size)");
}

void ScenarioParser::stresses() {
  // [stress.<name>]: replacement laws for some inputs, run beside the base case.
  if (const toml::table* stress = root["stress"].as_table()) {
    std::vector<std::string> inputs;
    for (const auto& in : s.inputs) inputs.push_back(in.name);
    for (auto&& [k, v] : *stress) {
      Stress st;
      st.name = std::string(k.str());
      st.where = ctx.at(k);
      const std::string prefix = "stress." + st.name;
      if (!is_identifier(st.name) || st.name == "all")
        throw ScenarioError(st.where, prefix, fmt::format("`{}` cannot name a stress; use letters, digits and `_` (and "
                                                          "not `all`, which --stress uses for every stress)",
                                                          st.name));
      const toml::table* t = v.as_table();
      if (!t) throw ScenarioError(st.where, prefix, fmt::format("expected a table [{}], got {}", prefix, type_name(v)));
      for (auto&& [ik, iv] : *t) {
        const std::string name(ik.str());
        if (name == "description") {
          st.description = get_string(*t, "description", prefix, ctx);
          continue;
        }
        if (std::find(inputs.begin(), inputs.end(), name) == inputs.end())
          throw ScenarioError(ctx.at(ik), prefix + "." + name,
                              fmt::format("`{}` is not an input of this scenario{}; a stress replaces inputs' laws "
                                          "(and may have a `description`); inputs: {}",
                                          name, did_you_mean(name, inputs), quoted_list(inputs)));
        // A table without `dist` or `value` changes parameters of the input's own law (failed = { p = 0.55 }).
        const toml::table* change = iv.as_table();
        const bool partial = change && !change->contains("dist") && !change->contains("value");
        Input in = partial ? with_parameters(name, *root["inputs"][name].node(), *change, ik, ctx, prefix)
                           : parse_input(name, ik, iv, ctx, prefix);
        const Input& base = *std::find_if(s.inputs.begin(), s.inputs.end(), [&](const Input& x) { return x.name == name; });
        if (const std::string why = replacement_problem(base, in); !why.empty())
          throw ScenarioError(ctx.at(ik), prefix + "." + name, why);
        if (const std::string doubt = replacement_warning(base, in); !doubt.empty())
          s.warnings.push_back({ctx.at(ik), prefix + "." + name, doubt});
        if (partial && !change->contains("source")) in.source = base.source;
        if (in.source.empty()) in.source = fmt::format("stress `{}`", st.name);
        st.overrides.push_back(std::move(in));
      }
      if (st.overrides.empty())
        throw ScenarioError(st.where, prefix, "the stress replaces no input; give at least one, e.g. share = { ... }");
      std::sort(st.overrides.begin(), st.overrides.end(), by_position);
      s.stresses.push_back(std::move(st));
    }
    std::sort(s.stresses.begin(), s.stresses.end(), by_position);
  }

}

// [scenario] design and replicates.
void ScenarioParser::design(const toml::table& meta) {
  const toml::node* kind = meta.get("design");
  const toml::node* reps = meta.get("replicates");
  if (kind) {
    const auto* text = kind->as_string();
    const std::optional<DesignKind> k = text ? design_kind(text->get()) : std::nullopt;
    if (!k)
      throw ScenarioError(ctx.at(*kind), "scenario.design",
                          fmt::format("{} is not a design; use \"mc\" (independent draws, the default), \"lhs\" (Latin "
                                      "hypercube) or \"sobol\" (randomized Sobol' points)",
                                      text ? fmt::format("\"{}\"", text->get()) : type_name(*kind)));
    s.design.kind = *k;
    s.design_where = ctx.at(*kind);
  }
  if (reps && !s.design.replicated())
    throw ScenarioError(ctx.at(*reps), "scenario.replicates",
                        "replicates belong to a design = \"lhs\" or \"sobol\" (independent randomizations whose spread "
                        "gives the mean's CI); plain Monte Carlo has none");
  if (s.design.replicated()) {
    const std::uint64_t r = reps ? get_count(*reps, "scenario.replicates", ctx, 2) : k_default_replicates;
    if (r > k_max_replicates)
      throw ScenarioError(ctx.at(*reps), "scenario.replicates",
                          fmt::format("{} replicates is more than the {} allowed", r, k_max_replicates));
    s.design.replicates = static_cast<std::uint32_t>(r);
  }
}

void ScenarioParser::dimensions() {
  assign_dimensions(s);
  if (s.design.kind == DesignKind::sobol && s.inputs.size() > sobol_max_dimensions())
    throw ScenarioError(s.design_where, "scenario.design",
                        fmt::format("a Sobol' design has at most {} dimensions (Boost.Random's table), this scenario "
                                    "has {} inputs; use design = \"lhs\"",
                                    sobol_max_dimensions(), s.inputs.size()));
}

// The steps (parent, child) by which the value of `ref` (below the ancestors `path`, outermost first) rises through
// products, quotients and the operations it passes through (a sign, a sum, min, max, abs, clamp, a branch of if),
// innermost first; it stops below any other operation and at an if's condition.
std::vector<std::pair<const Expr*, const Expr*>> value_chain(const std::vector<const Expr*>& path, const Expr& ref) {
  std::vector<std::pair<const Expr*, const Expr*>> out;
  const Expr* child = &ref;
  for (std::size_t i = path.size(); i-- > 0;) {
    const Expr& p = *path[i];
    if (p.kind != Expr::Kind::op) break;
    const bool passes = p.op == OpCode::mul || p.op == OpCode::div || p.op == OpCode::neg || p.op == OpCode::copy ||
                        p.op == OpCode::add || p.op == OpCode::sub || p.op == OpCode::min || p.op == OpCode::max ||
                        p.op == OpCode::abs || p.op == OpCode::clamp || (p.op == OpCode::select && child != &p.args[0]);
    if (!passes) break;
    out.emplace_back(&p, child);
    child = &p;
  }
  return out;
}

bool is_number(const Expr& e, double v) { return e.kind == Expr::Kind::number && e.number == v; }

// True when the reference `ref` multiplies or divides another quantity with no division by 100 (or product with
// 0.01) along its value_chain.
bool unscaled_product(const std::vector<const Expr*>& path, const Expr& ref) {
  bool multiplies = false;
  for (const auto& [p, child] : value_chain(path, ref)) {
    if (p->op == OpCode::mul) {
      for (const Expr& a : p->args) {
        if (is_number(a, 0.01)) return false;
        if (&a != child && a.kind != Expr::Kind::number) multiplies = true;
      }
    } else if (p->op == OpCode::div) {
      if (is_number(p->args[1], 100)) return false;
      const Expr& other = &p->args[0] == child ? p->args[1] : p->args[0];
      if (other.kind != Expr::Kind::number) multiplies = true;
    }
  }
  return multiplies;
}

// True when `e` carries a value in percent: a name in `percent`, or a sum, difference, min, max, clamp, branch or sign
// of one, or one times or divided by a number other than the 1/100 that would make it a fraction (`pct * 2`, not
// `pct / 100` nor `pct * share`, which is a product lint_percent_uses reports).
bool percent_valued(const Expr& e, const std::set<std::string>& percent) {
  const auto is = is_number;
  const auto any_of = [&](std::size_t from) {
    for (std::size_t i = from; i < e.args.size(); ++i)
      if (percent_valued(e.args[i], percent)) return true;
    return false;
  };
  if (e.kind == Expr::Kind::ref) return percent.count(e.name) > 0;
  if (e.kind != Expr::Kind::op) return false;
  switch (e.op) {
    case OpCode::copy: case OpCode::add: case OpCode::sub: case OpCode::neg: case OpCode::min: case OpCode::max:
    case OpCode::abs: case OpCode::clamp:
      return any_of(0);
    case OpCode::select:
      return any_of(1);  // (args[0] is the condition)
    case OpCode::mul: {
      bool carries = false;
      for (const Expr& a : e.args) {
        if (a.kind == Expr::Kind::number) {
          if (is(a, 0.01)) return false;
        } else if (percent_valued(a, percent)) {
          carries = true;
        } else {
          return false;
        }
      }
      return carries;
    }
    case OpCode::div:
      return e.args[1].kind == Expr::Kind::number && !is(e.args[1], 100) && percent_valued(e.args[0], percent);
    default:
      return false;
  }
}

// The names `e` references where `at(path, ref)` holds (path: ref's ancestors, outermost first), each once, in the
// order they first appear; only references to names `in` keeps are tried.
std::vector<std::string> refs_where(const Expr& e, const std::function<bool(const std::string&)>& in,
                                    const std::function<bool(const std::vector<const Expr*>&, const Expr&)>& at) {
  std::vector<std::string> found;
  std::vector<const Expr*> path;
  const std::function<void(const Expr&)> visit = [&](const Expr& x) {
    if (x.kind == Expr::Kind::ref) {
      if (in(x.name) && std::find(found.begin(), found.end(), x.name) == found.end() && at(path, x))
        found.push_back(x.name);
      return;
    }
    path.push_back(&x);
    for (const Expr& a : x.args) visit(a);
    path.pop_back();
  };
  visit(e);
  return found;
}

// A value in percent (an input with unit = "%": a label, so 25 multiplies as 25; a formula with that unit written, or
// carrying such an input unscaled: `adoption + 5`) that a formula multiplies or divides by with no division by 100:
// the formula is 100× off. One warning per formula and value, at the formula.
void lint_percent_uses(const Scenario& s, std::vector<Warning>& out) {
  struct Why {
    std::string is, fix;  // why the value is in percent; the other way to mend a product with it
  };
  std::map<std::string, Why> why_percent;
  std::set<std::string> percent;  // (the names, for percent_valued)
  const auto add = [&](const std::string& name, Why why) {
    percent.insert(name);
    why_percent.emplace(name, std::move(why));
  };
  const auto as_fraction = [](const std::string& name) {
    return fmt::format("give `{}` as a fraction (0.25 for 25%) with `format = \"percent\"` instead of the unit", name);
  };
  for (const Input& in : s.inputs)
    if (!in.linked && in.format == NumberStyle::automatic && fraction_unit(in.unit) == FractionUnit::percent)
      add(in.name, {fmt::format("has unit = \"{}\", a label", in.unit), as_fraction(in.name)});
  if (percent.empty()) return;
  for (bool grew = true; grew;) {  // formulas in percent, through one another in any order
    grew = false;
    for (const Formula& f : s.formulas) {
      if (f.linked || f.role != FormulaRole::variable || percent.count(f.name)) continue;
      if (!f.unit_inferred && f.format == NumberStyle::automatic && fraction_unit(f.unit) == FractionUnit::percent)
        add(f.name, {fmt::format("has unit = \"{}\", a label", f.unit), as_fraction(f.name)});
      else if (percent_valued(f.expr, percent))
        add(f.name, {fmt::format("is in percent (\"{}\" carries a value in percent, unscaled)", excerpt(f.text)),
                     fmt::format("divide by 100 where the percentage enters `{}`", f.name)});
      else
        continue;
      grew = true;
    }
  }
  for (const Formula& f : s.formulas) {
    if (f.linked) continue;
    const auto in_percent = [&](const std::string& name) { return percent.count(name) > 0; };
    for (const std::string& name : refs_where(f.expr, in_percent, unscaled_product))
      out.push_back({f.where, f.key(),
                     fmt::format("`{}` {}: the arithmetic takes its values as written (25, not 0.25), and \"{}\" "
                                 "multiplies or divides by it with no division by 100, which makes `{}` 100× off; write "
                                 "`{} / 100` there, or {}",
                                 name, why_percent.at(name).is, excerpt(f.text), f.name, name, why_percent.at(name).fix)});
  }
}

// True when the reference `ref` is divided by 100 (or multiplied by 0.01) along its value_chain, up to a divisor
// (its reciprocal is not a share), with no ×100 on the way that the division would undo (`share * 100` shown in
// percent, then `/ 100`).
bool rescaled_by_100(const std::vector<const Expr*>& path, const Expr& ref) {
  int scale = 0;  // powers of 100 applied: −1 for each / 100 or × 0.01, +1 for each × 100 or / 0.01
  for (const auto& [p, child] : value_chain(path, ref)) {
    if (p->op == OpCode::mul) {
      for (const Expr& a : p->args) scale += is_number(a, 0.01) ? -1 : is_number(a, 100) ? 1 : 0;
    } else if (p->op == OpCode::div) {
      if (&p->args[1] == child) break;
      scale += is_number(p->args[1], 100) ? -1 : is_number(p->args[1], 0.01) ? 1 : 0;
    }
  }
  return scale < 0;
}

// An input no formula reads and nothing else names (report, risk, evidence, a holding): it changes no number the run
// prints, so a factor was most likely left out of a formula (market = staff * salary, the share forgotten).
void lint_unused_inputs(const Scenario& s, std::vector<Warning>& out) {
  std::set<std::string> used(s.report.begin(), s.report.end());
  for (const Formula& f : s.formulas) {
    std::vector<const Expr*> refs;
    collect_refs(f.expr, refs);
    for (const Expr* r : refs) used.insert(r->name);
  }
  for (const auto& [name, spec] : s.risk) used.insert(name);
  for (const Evidence& e : s.evidence) used.insert(e.variable);
  if (s.portfolio)
    for (const Holding& h : s.portfolio->holdings) used.insert({h.check, h.proceeds, h.invested, h.exit});
  if (s.decision) used.insert(s.decision->options.begin(), s.decision->options.end());
  std::vector<std::string> reported;  // the reported formulas, the first three named
  std::size_t more = 0;
  for (const std::string& r : s.report)
    if (std::any_of(s.formulas.begin(), s.formulas.end(), [&](const Formula& f) { return f.name == r; }))
      reported.size() < 3 ? reported.push_back("`" + r + "`") : static_cast<void>(++more);
  if (more > 0) reported.push_back(fmt::format("{} more", thousands(more)));
  std::vector<const Input*> unused;
  for (const Input& in : s.inputs)
    if (!in.linked && used.count(in.name) == 0) unused.push_back(&in);
  constexpr std::size_t k_listed = 10;  // each located; the rest in one warning at the next
  for (std::size_t i = 0; i < std::min(unused.size(), k_listed); ++i) {
    const Input& in = *unused[i];
    out.push_back({in.where, "inputs." + in.name,
                   fmt::format("`{}` is an input that no formula reads and nothing reports: {} on it, so it changes "
                               "no number the run prints; a factor left out of a formula? use it, report it "
                               "(`[outputs] report`), or remove it",
                               in.name,
                               reported.empty() ? std::string("no output depends")
                               : reported.size() == 1 ? reported[0] + " does not depend"
                                                      : fmt::format("{} do not depend", fmt::join(reported, ", ")))});
  }
  if (unused.size() > k_listed) {
    const Input& next = *unused[k_listed];
    out.push_back({next.where, "inputs." + next.name,
                   fmt::format("and {} more inputs, `{}` to `{}`, are read by no formula and reported nowhere, as "
                               "the {} above",
                               thousands(unused.size() - k_listed), next.name, unused.back()->name, k_listed)});
  }
}

// True when `name` reads as a pre-money valuation: a part "premoney", or "pre" followed by "money" or "valuation"
// (pre_money, pre_money_valuation, premoney_usd).
bool named_pre_money(const std::string& name) {
  const std::vector<std::string> parts = name_parts(name);
  for (std::size_t i = 0; i < parts.size(); ++i)
    if (parts[i] == "premoney" || (parts[i] == "pre" && i + 1 < parts.size() &&
                                   (parts[i + 1] == "money" || parts[i + 1] == "valuation")))
      return true;
  return false;
}

// A stake computed over a pre-money valuation: stake_at_exit's post_money given one, or a check divided by one. The
// stake is check / post-money (pre-money + check); over the pre-money it is too large by 1 + check / pre-money.
void lint_pre_money(const Scenario& s, std::vector<Warning>& out) {
  const auto point = [&](const Expr& e) -> std::optional<double> {
    if (e.kind == Expr::Kind::number) return e.number;
    if (e.kind != Expr::Kind::ref) return std::nullopt;
    for (const Input& in : s.inputs)
      if (in.name == e.name) return in.point;
    return std::nullopt;
  };
  for (const Formula& f : s.formulas) {
    if (f.linked) continue;
    const auto look = [&](const Expr& e) {
      if (e.kind != Expr::Kind::op || e.args.size() < 2) return;
      const bool call = e.op == OpCode::call && e.name == "stake_at_exit";
      const bool ratio = e.op == OpCode::div && e.args[0].kind == Expr::Kind::ref;
      if (!(call || ratio) || e.args[1].kind != Expr::Kind::ref || !named_pre_money(e.args[1].name)) return;
      const Expr& check = e.args[0];
      const std::string& pre = e.args[1].name;
      const auto c = point(check), p = point(e.args[1]);
      const std::string factor = c && p && *p > 0 ? fmt::format(" ({:.3g}× at the points)", 1 + *c / *p) : "";
      SourceLocation at = f.where;
      at.column += static_cast<std::uint32_t>(e.args[1].offset);
      out.push_back({at, f.key(),
                     fmt::format("\"{}\" {} `{}`, a pre-money valuation by its name: a stake is the check over the "
                                 "post-money valuation (pre-money + check), so over the pre-money it is 1 + check / "
                                 "pre-money too large{}; write `{} + {}` there, or rename the input if it is the "
                                 "post-money",
                                 excerpt(f.text), call ? "gives stake_at_exit's post_money" : "divides by", pre, factor,
                                 pre, check.kind == Expr::Kind::ref ? check.name : std::string("check"))});
    };
    for (const Expr* e : nodes_of(f.expr)) look(*e);
  }
}

// A value that is a fraction already (fraction_why: a share 0.25, a growth 0.3; or a formula with format = "percent"
// or a fraction unit) that a formula divides by 100 on its way (`spend * ai_share / 100`, `(1 + cagr / 100)`): the
// formula is 100× too small. One warning per formula and value, at the formula.
void lint_fraction_rescaled(const Scenario& s, std::vector<Warning>& out) {
  std::map<std::string, std::string> why;
  for (const Input& in : s.inputs)
    if (!in.linked)
      if (std::string w = fraction_why(in); !w.empty()) why.emplace(in.name, std::move(w));
  for (const Formula& f : s.formulas)
    if (!f.linked && f.role == FormulaRole::variable && !f.unit_inferred && fraction_unit(f.unit) == FractionUnit::fraction)
      why.emplace(f.name, fmt::format("has unit = \"{}\"", f.unit));
    else if (!f.linked && f.role == FormulaRole::variable && f.format == NumberStyle::percent)
      why.emplace(f.name, "has format = \"percent\" (a fraction, shown as a percentage)");
  if (why.empty()) return;
  for (const Formula& f : s.formulas) {
    if (f.linked) continue;
    const auto fraction = [&](const std::string& name) { return why.count(name) > 0; };
    for (const std::string& name : refs_where(f.expr, fraction, rescaled_by_100))
      out.push_back({f.where, f.key(),
                     fmt::format("`{}` {}: it is a fraction already (25% is 0.25), and \"{}\" divides it by 100 again, "
                                 "which makes `{}` 100× too small; drop the division by 100 there, or, if `{}` is meant "
                                 "in percent, write it so (25, with unit = \"%\")",
                                 name, why.at(name), excerpt(f.text), f.name, name)});
  }
}

Scenario parse_in_chain(const std::string& text, const std::string& path, std::vector<std::string> chain,
                        LinkCache& cache) {
  const FileLocator ctx(path);
  const toml::table root = parse_toml(text, ctx);
  Scenario s;
  s.path = path;
  s.text = text;
  ScenarioParser p{cache, ctx, root, path, s, {}, {}, {}, std::move(chain), {}};
  p.sections();
  p.meta();
  p.inputs_and_formulas();
  try {
    p.links();
  } catch (const ScenarioError& e) {  // with the bad entries found before it
    p.pending.push_back(e);
    throw ScenarioError::combined(std::move(p.pending));
  }
  p.resolve();
  p.dimensions();
  p.correlations();
  p.outputs();
  p.risk();
  p.default_report();
  p.portfolio();
  p.decision();
  p.evidence();
  p.stresses();
  // Lint (a linked scenario is linted in its own file).
  for (const auto& in : s.inputs)
    if (!in.linked) lint_input(in, "inputs", s.warnings);
  lint_percent_uses(s, s.warnings);
  lint_fraction_rescaled(s, s.warnings);
  lint_time_arguments(s, s.warnings);
  lint_share_formulas(s, s.warnings);
  lint_pre_money(s, s.warnings);
  lint_unused_inputs(s, s.warnings);
  s.without_mean = lint_moments(s, s.warnings, &s.without_sd);
  // A stress's replacement laws: a mean or sd they take away is said at the replacement.
  for (const Stress& st : s.stresses)
    for (Warning& w : replacement_moment_warnings(s, st.overrides)) {
      const auto o = std::find_if(st.overrides.begin(), st.overrides.end(),
                                  [&](const Input& in) { return w.key == "inputs." + in.name; });
      if (o != st.overrides.end()) {
        w.where = o->where;
        w.key = "stress." + st.name + "." + o->name;
      } else {
        w.message = fmt::format("in stress `{}`: {}", st.name, w.message);
      }
      s.warnings.push_back(std::move(w));
    }
  return s;
}

}  // namespace

void assign_dimensions(Scenario& s) {
  std::vector<std::pair<bool, std::string>> order;
  for (const Input& in : s.inputs) order.emplace_back(std::holds_alternative<Constant>(in.dist), in.name);
  std::sort(order.begin(), order.end());
  for (Input& in : s.inputs) {
    const std::pair key(std::holds_alternative<Constant>(in.dist), in.name);
    in.dimension = static_cast<std::uint32_t>(std::lower_bound(order.begin(), order.end(), key) - order.begin());
  }
}

Scenario parse_scenario(const std::string& text, const std::string& path) {
  LinkCache cache;
  return parse_in_chain(text, path, {file_identity(path)}, cache);
}

Scenario load_scenario(const std::string& path) { return parse_scenario(read_text_file(path), path); }

Input parse_override(const std::string& spec, const Scenario& s) {
  const auto eq = spec.find('=');
  const auto usage = [&](const std::string& why) {
    return UsageError(fmt::format("--set {}: {}; write --set NAME=VALUE, e.g. --set share=0.05, --set \"share=0.02 to "
                                  "0.1\" or --set 'share={{ dist = \"beta\", mean = 0.05, sd = 0.02 }}', or change one "
                                  "parameter of its law: --set failed.p=0.4",
                                  spec, why));
  };
  if (eq == std::string::npos) throw usage("no `=`");
  std::string name = spec.substr(0, eq), value = spec.substr(eq + 1);
  while (!name.empty() && name.back() == ' ') name.pop_back();
  std::string param;  // NAME.PARAM: one parameter of the input's law as written
  if (const auto dot = name.find('.'); dot != std::string::npos && !std::any_of(s.inputs.begin(), s.inputs.end(),
                                                                               [&](const Input& in) { return in.name == name; })) {
    param = name.substr(dot + 1);
    name = name.substr(0, dot);
  }
  std::vector<std::string> inputs;
  for (const auto& in : s.inputs) inputs.push_back(in.name);
  const auto base = std::find_if(s.inputs.begin(), s.inputs.end(), [&](const Input& in) { return in.name == name; });
  if (base == s.inputs.end()) {
    const bool formula = std::any_of(s.formulas.begin(), s.formulas.end(), [&](const Formula& f) { return f.name == name; });
    throw usage(formula ? fmt::format("`{}` is a formula of {}: --set replaces an input (set the inputs it is built from)",
                                      name, s.path)
                        : fmt::format("`{}` is not an input of {}{}", name, s.path, did_you_mean(name, inputs)));
  }
  const FileLocator ctx("--set");
  const auto finish = [&](Input in) {
    if (const std::string why = replacement_problem(*base, in); !why.empty())
      throw UsageError(fmt::format("--set {}: {}", spec, why));  // (the problem names its fix)
    in.source = "--set " + spec;
    return in;
  };
  if (!param.empty()) {
    toml::table file;
    try {
      file = toml::parse(std::string_view(s.text), std::string_view(s.path));
    } catch (const toml::parse_error&) {
    }
    const toml::node* original = file["inputs"][name].node();
    if (!original) throw usage(fmt::format("`{}` is linked from another file: change its parameters there", name));
    toml::table change;
    try {
      change = toml::parse(std::string_view(param + " = " + value), std::string_view("--set"));
    } catch (const toml::parse_error& e) {
      throw usage(fmt::format("`{}` is not a number", value));
    }
    try {
      return finish(with_parameters(name, *original, change, change.begin()->first, ctx, "set"));
    } catch (const ScenarioError& e) {
      throw usage(e.message());
    }
  }
  for (const std::string& text : {"x = " + value, "x = \"" + value + "\""}) {
    toml::table t;
    try {
      t = toml::parse(std::string_view(text), std::string_view("--set"));
    } catch (const toml::parse_error&) {
      continue;  // not TOML as written: try it as a string ("LOW to HIGH")
    }
    Input in;
    try {
      in = parse_input(name, t.begin()->first, t.begin()->second, ctx, "set");
    } catch (const ScenarioError& e) {
      throw usage(e.message());
    }
    return finish(std::move(in));
  }
  throw usage("the value is neither a number, a \"LOW to HIGH\" range nor a { dist = ... } table");
}

Scenario with_overrides(const Scenario& base, const std::vector<Input>& overrides) {
  Scenario s = base;
  for (const Input& o : overrides)
    for (Input& in : s.inputs)
      if (in.name == o.name) {
        in.dist = o.dist;
        in.point = o.point;
        in.source = o.source;
        if (o.bounds) in.bounds = o.bounds;  // a replacement that states its own bounds
      }
  s.warnings.clear();
  std::vector<Warning> lint;  // (a replacement's own warnings are set_warnings'; its laws decide which means exist)
  s.without_sd.clear();
  s.without_mean = detail::lint_moments(s, lint, &s.without_sd);
  return s;
}

std::vector<Warning> replacement_moment_warnings(const Scenario& base, const std::vector<Input>& overrides) {
  std::vector<Warning> before, after, out;
  static_cast<void>(detail::lint_moments(base, before));
  static_cast<void>(detail::lint_moments(with_overrides(base, overrides), after));
  for (Warning& w : after)
    if (std::none_of(before.begin(), before.end(),
                     [&](const Warning& b) { return b.key == w.key && b.message == w.message; }))
      out.push_back(std::move(w));
  return out;
}

}  // namespace tamcarlo
