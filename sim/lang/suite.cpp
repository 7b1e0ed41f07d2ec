#include "sim/lang/suite.hpp"

#include "sim/random/rng.hpp"
#include "sim/base/text.hpp"
#include "sim/lang/dimensions.hpp"
#include "sim/lang/law_builder.hpp"
#include "sim/lang/toml_read.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <set>

namespace tamcarlo {

using namespace detail;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> k_suite_sections = {"suite", "inputs", "cells", "runs"};
const std::vector<std::string> k_suite_keys = {"name", "title", "unit", "description", "seed", "samples", "store", "rank_by"};
const std::vector<std::string> k_cell_keys = {"file", "market", "share", "year", "fx", "section", "stars"};
const std::vector<std::string> k_run_keys = {"file"};

std::vector<std::string> variable_names(const Scenario& s) {
  std::vector<std::string> v;
  for (const auto& i : s.inputs) v.push_back(i.name);
  for (const auto& f : s.formulas) v.push_back(f.name);
  return v;
}

// Whether `name` is timed in `s`, and its unit (formula unit, else the scenario's). Throws if absent.
struct VarInfo {
  bool timed = false;
  std::string unit;
};
VarInfo find_variable(const Scenario& s, const std::string& name, const std::string& key, const SourceLocation& where) {
  for (const auto& i : s.inputs)
    if (i.name == name) return {false, i.unit.empty() ? s.unit : i.unit};
  for (const auto& f : s.formulas)
    if (f.name == name) return {f.timed, f.unit.empty() ? s.unit : f.unit};
  const auto names = variable_names(s);
  throw ScenarioError(where, key,
                      fmt::format("`{}` is not a variable of {}{}; its variables: {}", name, s.path,
                                  did_you_mean(name, names), quoted_list(names)));
}

// Entries of a TOML table in file order (toml++ iterates them by name).
std::vector<std::pair<const toml::key*, const toml::node*>> in_file_order(const toml::table& t) {
  std::vector<std::pair<const toml::key*, const toml::node*>> v;
  for (auto&& [k, n] : t) v.emplace_back(&k, &n);
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return std::pair(a.first->source().begin.line, a.first->source().begin.column) <
           std::pair(b.first->source().begin.line, b.first->source().begin.column);
  });
  return v;
}

SuiteMember parse_member(Suite& suite, const toml::key& k, const toml::node& node, bool cell, const FileLocator& ctx) {
  const std::string section = cell ? "cells" : "runs";
  const std::string prefix = section + "." + std::string(k.str());
  const toml::table* t = node.as_table();
  if (!t) throw ScenarioError(ctx.at(k), prefix, fmt::format("expected a table ([{}]), got {}", prefix, type_name(node)));
  check_keys(*t, cell ? k_cell_keys : k_run_keys, prefix, ctx, cell ? "for a cell" : "for a run");
  SuiteMember m;
  m.key = std::string(k.str());
  m.cell = cell;
  m.where = ctx.at(k);
  if (!is_identifier(m.key))
    throw ScenarioError(m.where, prefix, fmt::format("`{}` is not a valid name; use letters, digits and `_`", m.key));
  const std::string file = get_string(*t, "file", prefix, ctx);
  if (file.empty()) throw ScenarioError(m.where, prefix, "missing `file`, the scenario file (relative to this suite)");
  m.file = (fs::path(suite.path).parent_path() / file).lexically_normal().string();
  m.scenario = load_scenario(m.file);
  if (!cell) return m;

  const auto need = [&](const char* key) {
    std::string v = get_string(*t, key, prefix, ctx);
    if (v.empty()) throw ScenarioError(m.where, prefix, fmt::format("missing `{}`", key));
    return v;
  };
  m.market = need("market");
  m.section = get_string(*t, "section", prefix, ctx);
  m.share = get_string(*t, "share", prefix, ctx);
  m.fx = get_string(*t, "fx", prefix, ctx);
  const VarInfo market = find_variable(m.scenario, m.market, prefix + ".market", ctx.at(*t->get("market")));
  bool timed = market.timed;
  if (!m.share.empty()) timed = find_variable(m.scenario, m.share, prefix + ".share", ctx.at(*t->get("share"))).timed || timed;
  if (const toml::node* y = t->get("year")) {
    const int year = static_cast<int>(get_count(*y, prefix + ".year", ctx, 0));
    const auto& years = m.scenario.years;
    if (!timed)
      throw ScenarioError(ctx.at(*y), prefix + ".year",
                          fmt::format("`year` picks a year of a timed market or share, but neither `{}` nor `{}` depends "
                                      "on the year; remove it",
                                      m.market, m.share));
    if (std::find(years.begin(), years.end(), year) == years.end())
      throw ScenarioError(ctx.at(*y), prefix + ".year",
                          fmt::format("{} is outside {}'s timeline {}–{}", year, m.file, years.front(), years.back()));
    m.year = year;
  } else if (timed) {
    throw ScenarioError(m.where, prefix,
                        fmt::format("`{}` varies by year ({}–{}); choose the year to rank with `year = ...`", m.market,
                                    m.scenario.years.front(), m.scenario.years.back()));
  }
  // Units: a cell must end in the suite's unit, directly or through its fx input.
  if (!m.fx.empty()) {
    const auto it = std::find_if(suite.shared.inputs.begin(), suite.shared.inputs.end(),
                                 [&](const Input& i) { return i.name == m.fx; });
    if (it == suite.shared.inputs.end()) {
      std::vector<std::string> names;
      for (const auto& i : suite.shared.inputs) names.push_back(i.name);
      throw ScenarioError(ctx.at(*t->get("fx")), prefix + ".fx",
                          fmt::format("`{}` is not an input of this suite{}; suite inputs: {}", m.fx,
                                      did_you_mean(m.fx, names), names.empty() ? "none" : quoted_list(names)));
    }
    if (!suite.unit.empty() && detail::dimension_of(market.unit).same(detail::dimension_of(suite.unit)))
      throw ScenarioError(ctx.at(*t->get("fx")), prefix + ".fx",
                          fmt::format("`{}` is already in the suite's unit {}; converting it with `{}` would be wrong",
                                      m.market, suite.unit, m.fx));
  } else if (!suite.unit.empty() && !market.unit.empty() && market.unit != suite.unit) {
    const detail::Dimension in = detail::dimension_of(market.unit), to = detail::dimension_of(suite.unit);
    if (in.same_base(to) && !in.same(to))  // one currency at another scale (亿CNY/year): no fx converts that
      throw ScenarioError(m.where, prefix,
                          fmt::format("`{}` is in {} but the suite ranks in {} (one of its units is {:g} of the "
                                      "suite's): declare `{}` in {} ({} in its formula)",
                                      m.market, market.unit, suite.unit, in.scale / to.scale, m.market, suite.unit,
                                      detail::conversion_fix(in, to)));
    if (!in.same(to))
      throw ScenarioError(m.where, prefix,
                          fmt::format("`{}` is in {} but the suite ranks in {}; name the suite input that converts it "
                                      "with `fx = \"...\"`",
                                      m.market, market.unit, suite.unit));
  }
  // Stars: the same ratings for every cell.
  const toml::node* stars = t->get("stars");
  if (!stars || !stars->is_table())
    throw ScenarioError(stars ? ctx.at(*stars) : m.where, prefix + ".stars",
                        "expected the cell's star ratings as a table, e.g. stars = { market = 4, logic = 3 }");
  std::vector<std::string> names;
  for (const auto& [sk, sv] : in_file_order(*stars->as_table())) {
    const std::string name(sk->str());
    const std::string key = prefix + ".stars." + name;
    const double v = get_number(*sv, key, ctx);
    if (v < 1 || v > 5 || v != std::floor(v))
      throw ScenarioError(ctx.at(*sv), key, fmt::format("{:g} is not a star rating; use a whole number from 1 to 5", v));
    names.push_back(name);
    m.stars.push_back(v);
  }
  if (suite.star_names.empty()) suite.star_names = names;
  if (names != suite.star_names)
    throw ScenarioError(ctx.at(*stars), prefix + ".stars",
                        fmt::format("ratings {} differ from the first cell's {}; every cell needs the same ratings in "
                                    "the same order",
                                    quoted_list(names), quoted_list(suite.star_names)));
  // The matrix needs the market and share samples of every cell, so they are reported.
  for (const std::string& v : {m.market, m.share})
    if (!v.empty() && std::find(m.scenario.report.begin(), m.scenario.report.end(), v) == m.scenario.report.end())
      m.scenario.report.push_back(v);
  return m;
}

}  // namespace

bool is_suite_file(const std::string& path) { return is_suite_text(read_text_file(path), path); }

bool is_suite_text(const std::string& text, const std::string& path) {
  const FileLocator ctx(path);
  return parse_toml(text, ctx).contains("suite");
}

std::uint64_t member_seed(std::uint64_t suite_seed, const std::string& key) noexcept {
  return splitmix64_mix(suite_seed ^ variable_id("member:" + key));
}

Suite load_suite(const std::string& path) { return parse_suite(read_text_file(path), path); }

Suite parse_suite(const std::string& text, const std::string& path) {
  const FileLocator ctx(path);
  Suite s;
  s.path = path;
  s.text = text;
  const toml::table root = parse_toml(s.text, ctx);
  for (auto&& [k, v] : root) {
    const std::string key(k.str());
    if (std::find(k_suite_sections.begin(), k_suite_sections.end(), key) == k_suite_sections.end())
      throw ScenarioError(ctx.at(k), key,
                          fmt::format("unknown section `{}` in a suite{}; a suite has {}", key,
                                      did_you_mean(key, k_suite_sections), quoted_list(k_suite_sections)));
    if (!v.is_table())
      throw ScenarioError(ctx.at(k), key, fmt::format("`{}` must be a table ([{}]), got {}", key, key, type_name(v)));
  }
  const toml::table& meta = *root["suite"].as_table();
  check_keys(meta, k_suite_keys, "suite", ctx, "in [suite]");
  s.name = get_string(meta, "name", "suite", ctx);
  s.title = get_string(meta, "title", "suite", ctx);
  s.unit = get_string(meta, "unit", "suite", ctx);
  s.description = get_string(meta, "description", "suite", ctx);
  if (const toml::node* n = meta.get("seed")) s.seed = get_count(*n, "suite.seed", ctx, 0);
  if (const toml::node* n = meta.get("samples")) s.samples = get_count(*n, "suite.samples", ctx, 1);
  if (const toml::node* n = meta.get("store")) {
    const std::string v = get_string(meta, "store", "suite", ctx);
    const std::vector<std::string> allowed = {"all", "report", "none"};
    if (v == "all") s.store = Store::all;
    else if (v == "report") s.store = Store::report;
    else if (v == "none") s.store = Store::none;
    else
      throw ScenarioError(ctx.at(*n), "suite.store",
                          fmt::format("\"{}\" is not a store choice{}; allowed: {}", v, did_you_mean(v, allowed),
                                      quoted_list(allowed)));
  }
  if (s.name.empty()) s.name = fs::path(path).stem().string();
  if (s.name.find_first_of("/\\ \t") != std::string::npos)
    throw ScenarioError(ctx.at(*meta.get("name")), "suite.name",
                        fmt::format("name \"{}\" names the result file; use letters, digits, `-` and `_`", s.name));

  s.shared.path = path;
  s.shared.name = s.name;
  s.shared.unit = s.unit;
  if (const toml::table* inputs = root["inputs"].as_table())
    for (const auto& [k, v] : in_file_order(*inputs)) {
      const std::string name(k->str());
      if (!is_identifier(name))
        throw ScenarioError(ctx.at(*k), "inputs." + name, fmt::format("`{}` is not a valid name", name));
      s.shared.inputs.push_back(parse_input(name, *k, *v, ctx));
      s.shared.report.push_back(name);
    }
  for (const auto& in : s.shared.inputs) lint_input(in, "inputs", s.warnings);

  std::set<std::string> keys;
  for (const bool cell : {true, false})
    if (const toml::table* t = root[cell ? "cells" : "runs"].as_table())
      for (const auto& [k, v] : in_file_order(*t)) {
        SuiteMember m = parse_member(s, *k, *v, cell, ctx);
        if (!keys.insert(m.key).second)
          throw ScenarioError(m.where, std::string(cell ? "cells." : "runs.") + m.key,
                              fmt::format("`{}` is already a member of this suite; member names must be unique", m.key));
        s.members.push_back(std::move(m));
      }
  if (s.members.empty())
    throw ScenarioError(SourceLocation{path, 1, 1}, "cells", "the suite has no [cells.<name>] and no [runs.<name>]");
  // One design for every member (the run's replicates are one split of its samples); the shared inputs follow it.
  const auto design_text = [](const Design& d) {
    return d.replicated() ? fmt::format("design = \"{}\" with {} replicates", design_name(d.kind), d.replicates)
                          : std::string("design = \"mc\"");
  };
  for (const SuiteMember& m : s.members) {
    const Design& a = s.members.front().scenario.design;
    const Design& b = m.scenario.design;
    if (a.kind != b.kind || a.replicates != b.replicates) {
      const SuiteMember& at = b.replicated() ? m : s.members.front();
      throw ScenarioError(at.scenario.design_where.line > 0 ? at.scenario.design_where : m.where, "scenario.design",
                          fmt::format("a suite's members share one sampling design: {} has {}, {} has {}; give them "
                                      "the same [scenario] design and replicates",
                                      s.members.front().file, design_text(a), m.file, design_text(b)));
    }
  }
  s.shared.design = s.members.front().scenario.design;
  assign_dimensions(s.shared);
  const toml::node* rank_by = meta.get("rank_by");
  s.rank_by = get_string(meta, "rank_by", "suite", ctx);
  if (s.rank_by.empty() && !s.star_names.empty()) s.rank_by = s.star_names.front();
  if (rank_by && std::find(s.star_names.begin(), s.star_names.end(), s.rank_by) == s.star_names.end())
    throw ScenarioError(ctx.at(*rank_by), "suite.rank_by",
                        fmt::format("`{}` is not one of the cells' star ratings{}; ratings: {}", s.rank_by,
                                    did_you_mean(s.rank_by, s.star_names), quoted_list(s.star_names)));
  for (const auto& m : s.members) s.warnings.insert(s.warnings.end(), m.scenario.warnings.begin(), m.scenario.warnings.end());
  return s;
}

}  // namespace tamcarlo
