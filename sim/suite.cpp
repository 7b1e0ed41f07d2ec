#include "sim/suite.hpp"

#include "sim/output.hpp"
#include "sim/results_file.hpp"
#include "sim/rng.hpp"
#include "sim/target.hpp"
#include "sim/text.hpp"
#include "sim/toml_read.hpp"

#include <fmt/format.h>

#include <oneapi/tbb/info.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
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

SuiteMember parse_member(Suite& suite, const toml::key& k, const toml::node& node, bool cell, const Ctx& ctx) {
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
    if (!suite.unit.empty() && market.unit == suite.unit)
      throw ScenarioError(ctx.at(*t->get("fx")), prefix + ".fx",
                          fmt::format("`{}` is already in the suite's unit {}; converting it with `{}` would be wrong",
                                      m.market, suite.unit, m.fx));
  } else if (!suite.unit.empty() && !market.unit.empty() && market.unit != suite.unit) {
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

bool is_suite_file(const std::string& path) {
  const Ctx ctx(path);
  return parse_toml(read_text_file(path), ctx).contains("suite");
}

std::uint64_t member_seed(std::uint64_t suite_seed, const std::string& key) noexcept {
  std::uint64_t h = suite_seed ^ variable_id("member:" + key);
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

Suite load_suite(const std::string& path) {
  const Ctx ctx(path);
  Suite s;
  s.path = path;
  s.text = read_text_file(path);
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

namespace {

// Index of the series of `name` (in `year` if given) in a run's summary.
std::size_t series_index(const RunSummary& r, const std::string& name, std::optional<int> year) {
  for (std::size_t i = 0; i < r.variables.size(); ++i)
    if (r.variables[i].var.name == name && (!r.variables[i].year || r.variables[i].year == year)) return i;
  throw std::logic_error("series not found: " + name);
}

void write_matrix(hid_t file, const Suite& suite, const SuiteSummary& out, const std::vector<std::size_t>& cells,
                  const std::vector<std::vector<double>>& market, const std::vector<std::vector<double>>& share) {
  const MatrixStats& m = out.matrix;
  const std::size_t c = cells.size();
  const H5Handle g = h5::group(file, "matrix");
  const hid_t id = g.get();
  std::vector<std::string> key, section, title;
  std::vector<double> year, stars, mean, mean_se;
  std::vector<std::vector<double>> ranked_market, ranked_share;
  std::vector<double> mq, mlo, mhi, sq, slo, shi;
  for (const std::size_t r : m.order) {
    const SuiteMember& mem = suite.members[cells[r]];
    key.push_back(mem.key);
    section.push_back(mem.section);
    title.push_back(mem.scenario.title);
    year.push_back(mem.year ? *mem.year : std::numeric_limits<double>::quiet_NaN());
    stars.insert(stars.end(), mem.stars.begin(), mem.stars.end());
    mean.push_back(m.market_moments[r].mean);
    mean_se.push_back(m.market_moments[r].se());
    ranked_market.push_back(market[r]);
    ranked_share.push_back(share[r].empty() ? std::vector<double>(market[r].size(), std::nan("")) : share[r]);
    for (std::size_t q = 0; q < k_report_probs.size(); ++q) {
      mq.push_back(m.market[r][q].value);
      mlo.push_back(m.market[r][q].lo);
      mhi.push_back(m.market[r][q].hi);
      const bool has = !m.share[r].empty();
      sq.push_back(has ? m.share[r][q].value : std::nan(""));
      slo.push_back(has ? m.share[r][q].lo : std::nan(""));
      shi.push_back(has ? m.share[r][q].hi : std::nan(""));
    }
  }
  h5::attr(id, "unit", suite.unit);
  h5::attr(id, "rank_by", suite.rank_by);
  h5::strings(id, "cell", key);
  h5::strings(id, "section", section);
  h5::strings(id, "title", title);
  h5::strings(id, "star_names", suite.star_names);
  h5::dataset(id, "year", year, {c});
  h5::dataset(id, "stars", stars, {c, suite.star_names.size()});
  h5::columns(id, "market", std::vector<std::span<const double>>(ranked_market.begin(), ranked_market.end()));
  h5::columns(id, "share", std::vector<std::span<const double>>(ranked_share.begin(), ranked_share.end()));
  const std::vector<double> probs(k_report_probs.begin(), k_report_probs.end());
  h5::dataset(id, "quantile_p", probs, {probs.size()});
  h5::dataset(id, "market_mean", mean, {c});
  h5::dataset(id, "market_mean_se", mean_se, {c});
  h5::dataset(id, "market_quantile", mq, {c, probs.size()});
  h5::dataset(id, "market_quantile_lo", mlo, {c, probs.size()});
  h5::dataset(id, "market_quantile_hi", mhi, {c, probs.size()});
  h5::dataset(id, "share_quantile", sq, {c, probs.size()});
  h5::dataset(id, "share_quantile_lo", slo, {c, probs.size()});
  h5::dataset(id, "share_quantile_hi", shi, {c, probs.size()});
  std::vector<double> pg, pglo, pghi;
  for (const std::size_t a : m.order)
    for (const std::size_t b : m.order) {
      const Proportion& p = m.greater[a * c + b];
      pg.push_back(a == b ? std::nan("") : p.p);
      pglo.push_back(a == b ? std::nan("") : p.lo);
      pghi.push_back(a == b ? std::nan("") : p.hi);
    }
  h5::dataset(id, "p_greater", pg, {c, c});
  h5::dataset(id, "p_greater_lo", pglo, {c, c});
  h5::dataset(id, "p_greater_hi", pghi, {c, c});
  std::vector<double> pn, pnlo, pnhi;
  for (const auto& p : m.next) {
    pn.push_back(p.p);
    pnlo.push_back(p.lo);
    pnhi.push_back(p.hi);
  }
  h5::dataset(id, "p_next", pn, {pn.size()});
  h5::dataset(id, "p_next_lo", pnlo, {pn.size()});
  h5::dataset(id, "p_next_hi", pnhi, {pn.size()});
  const RankAgreement& ag = m.agreement;
  h5::attr(id, "tau_b_median_ranking", ag.median_ranking);
  h5::attr(id, "tau_b_mean", ag.per_sample.mean);
  h5::attr(id, "tau_b_mean_se", ag.per_sample.se());
  if (ag.quantiles.size() == 3) {
    h5::attr(id, "tau_b_p5", ag.quantiles[0].value);
    h5::attr(id, "tau_b_p50", ag.quantiles[1].value);
    h5::attr(id, "tau_b_p95", ag.quantiles[2].value);
  }
  h5::attr(id, "p_tau_b_positive", ag.positive.p);
  h5::attr(id, "p_tau_b_positive_lo", ag.positive.lo);
  h5::attr(id, "p_tau_b_positive_hi", ag.positive.hi);
  h5::attr(id, "tau_b_skipped_samples", ag.skipped);
}

}  // namespace

SuiteSummary run_suite(const Suite& suite, const RunOptions& opt) {
  const auto start = std::chrono::steady_clock::now();
  SuiteSummary out;
  out.path = suite.path;
  out.name = suite.name;
  out.title = suite.title;
  out.unit = suite.unit;
  out.seed = opt.seed.value_or(suite.seed.value_or(k_default_seed));
  out.samples = opt.samples.value_or(suite.samples.value_or(k_default_samples));
  out.threads = opt.threads != 0 ? opt.threads : static_cast<unsigned>(tbb::info::default_concurrency());
  out.point_only = opt.point_only;
  out.star_names = suite.star_names;
  out.rank_by = suite.rank_by;

  std::unique_ptr<ResultWriter> writer;
  if (!opt.output.empty() && !opt.point_only) {
    writer = std::make_unique<ResultWriter>(opt.output);
    writer->write_version();
    const hid_t root = writer->root();
    h5::attr(root, "kind", "suite");
    h5::attr(root, "suite", suite.text);
    h5::attr(root, "suite_name", suite.name);
    h5::attr(root, "suite_title", suite.title);
    h5::attr(root, "suite_unit", suite.unit);
    h5::attr(root, "suite_path", suite.path);
    h5::attr(root, "seed", out.seed);
    h5::attr(root, "samples", out.samples);
  }
  // Progress over the whole suite: member k's samples count from k × N.
  const std::size_t runs = suite.members.size() + 1;
  std::size_t current = 0;
  RunOptions base = opt;
  base.samples = out.samples;
  if (opt.progress)
    base.progress = [&](std::uint64_t done, std::uint64_t) {
      opt.progress(current * out.samples + done, runs * out.samples);
    };

  // Runs one scenario under `seed` into the group at `path`; returns its summary and keeps the named series.
  const auto run_one = [&](const Scenario& s, std::uint64_t seed, const std::string& path,
                           const std::vector<std::pair<std::string, std::optional<int>>>& keep,
                           const std::function<void(hid_t)>& extra_attrs) {
    RunOptions o = base;
    o.seed = seed;
    Simulation sim = simulate(s, o);
    std::vector<std::vector<double>> kept;
    if (!opt.point_only)
      for (const auto& [name, year] : keep) kept.push_back(sim.columns[series_index(sim.summary, name, year)]);
    if (writer) {
      std::string parent;
      H5Handle g;
      if (const auto slash = path.find('/'); slash != std::string::npos) {
        parent = path.substr(0, slash);
        if (H5Lexists(writer->root(), parent.c_str(), H5P_DEFAULT) <= 0) (void)h5::group(writer->root(), parent);
      }
      g = h5::group(writer->root(), path);
      extra_attrs(g.get());
      RunGroup group(g.get());
      group.write_run(s, sim.summary.seed, sim.summary.samples, opt.store);
      if (!opt.point_only) write_samples(group, sim);
      if (!opt.point_only) finish_statistics(sim, opt.threads);
      write_summaries(group, sim.summary);
    } else if (!opt.point_only) {
      finish_statistics(sim, opt.threads);
    }
    ++current;
    return std::pair(std::move(sim.summary), std::move(kept));
  };

  // The suite's own inputs, drawn under the suite seed.
  std::map<std::string, std::vector<double>> shared_columns;
  {
    std::vector<std::pair<std::string, std::optional<int>>> keep;
    for (const auto& in : suite.shared.inputs) keep.emplace_back(in.name, std::nullopt);
    if (!suite.shared.inputs.empty()) {
      auto [summary, kept] = run_one(suite.shared, out.seed, "shared", keep, [](hid_t) {});
      out.shared = std::move(summary);
      for (std::size_t i = 0; i < kept.size(); ++i) shared_columns[keep[i].first] = std::move(kept[i]);
    } else {
      ++current;
    }
  }
  std::vector<std::size_t> cells;  // member index of each matrix column
  std::vector<std::vector<double>> market, share;
  for (std::size_t k = 0; k < suite.members.size(); ++k) {
    const SuiteMember& m = suite.members[k];
    std::vector<std::pair<std::string, std::optional<int>>> keep;
    if (m.cell) {
      keep.emplace_back(m.market, m.year);
      if (!m.share.empty()) keep.emplace_back(m.share, m.year);
    }
    const auto attrs = [&](hid_t g) {
      if (!m.cell) return;
      h5::attr(g, "section", m.section);
      h5::attr(g, "market", m.market);
      h5::attr(g, "share", m.share);
      h5::attr(g, "fx", m.fx);
      if (m.year) h5::attr(g, "year", static_cast<double>(*m.year));
      for (std::size_t r = 0; r < suite.star_names.size(); ++r) h5::attr(g, "stars_" + suite.star_names[r], m.stars[r]);
    };
    auto [summary, kept] =
        run_one(m.scenario, member_seed(out.seed, m.key), (m.cell ? "cells/" : "runs/") + m.key, keep, attrs);
    out.members.push_back(std::move(summary));
    if (!m.cell || opt.point_only) continue;
    cells.push_back(k);
    out.cells.push_back(k);
    std::vector<double> x = std::move(kept[0]);
    if (!m.fx.empty()) {
      const std::vector<double>& rate = shared_columns.at(m.fx);
      for (std::size_t i = 0; i < x.size(); ++i) x[i] *= rate[i];
    }
    market.push_back(std::move(x));
    share.push_back(m.share.empty() ? std::vector<double>{} : std::move(kept[1]));
  }
  if (opt.point_only) return out;

  std::vector<std::span<const double>> mspan(market.begin(), market.end()), sspan(share.begin(), share.end());
  std::vector<double> stars;
  const auto rb = static_cast<std::size_t>(
      std::find(suite.star_names.begin(), suite.star_names.end(), suite.rank_by) - suite.star_names.begin());
  for (const std::size_t k : cells) stars.push_back(rb < suite.members[k].stars.size() ? suite.members[k].stars[rb] : 0);
  out.matrix = compute_matrix(mspan, sspan, stars);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!writer) return out;

  if (!cells.empty()) write_matrix(writer->root(), suite, out, cells, market, share);
  AtomicTarget csv(csv_beside(opt.output));
  {
    std::ofstream f(csv.temp(), std::ios::binary);
    write_matrix_csv(out, suite, f);
    if (!f.flush()) throw RunError(fmt::format("cannot write {}", csv.temp()));
  }
  if (opt.cancel && opt.cancel->load()) throw Interrupted();
  writer->commit();
  out.output = writer->target();
  csv.commit();
  return out;
}

}  // namespace tamcarlo
