#include "sim/lang/law_builder.hpp"

#include "sim/base/text.hpp"
#include "sim/lang/dimensions.hpp"
#include "sim/lang/units.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <numbers>
#include <regex>
#include <set>
#include <utility>

namespace tamcarlo::detail {

const std::vector<std::string> k_common_keys = {"dist", "point", "point_note", "unit", "format", "bounds", "source",
                                                "yearly", "phi"};

namespace {

constexpr double k_z95 = 1.6448536269514722;  // Φ⁻¹(0.95)

// A law whose values are counts or a list as written (bernoulli, binomial, poisson, discrete): the lints of a
// continuous quantity's range do not apply to it.
bool counted_or_listed(const Distribution& d) {
  return std::holds_alternative<Bernoulli>(d) || std::holds_alternative<Binomial>(d) ||
         std::holds_alternative<Poisson>(d) || std::holds_alternative<Discrete>(d);
}

// The parameters of one input table, with located failure.
class Params {
 public:
  Params(const toml::table& t, std::string prefix, const FileLocator& ctx) : t_(t), prefix_(std::move(prefix)), ctx_(ctx) {}
  [[nodiscard]] double num(const std::string& k) const {
    const double v = get_number(*t_.get(k), prefix_ + "." + k, ctx_);
    bounded(k, v);
    return v;
  }
  [[nodiscard]] std::vector<double> nums(const std::string& k) const {
    std::vector<double> v = get_numbers(*t_.get(k), prefix_ + "." + k, ctx_);
    for (const double x : v) bounded(k, x);
    return v;
  }
  // Parameters beyond ±1e300 overflow the samplers' arithmetic (ranges, sums, squares).
  void bounded(const std::string& k, double v) const {
    require(std::fabs(v) <= k_max_parameter, k,
            fmt::format("{:g} is beyond ±{:g}, where the samplers' arithmetic overflows", v, k_max_parameter));
  }
  [[noreturn]] void fail(const std::string& k, const std::string& msg) const {
    throw ScenarioError(ctx_.at(*t_.get(k)), prefix_ + "." + k, msg);
  }
  void require(bool ok, const std::string& k, const std::string& msg) const {
    if (!ok) fail(k, msg);
  }

 private:
  const toml::table& t_;
  std::string prefix_;
  const FileLocator& ctx_;
};

// Why a shape parameter is refused: outside [k_min_shape, k_max_shape] sampling and quantiles break down.
std::string shape_range(const std::string& name, double v) {
  return fmt::format("{} = {:g} must lie in [{:g}, {:g}]: below, draws underflow to the bounds; above, the law is a "
                     "spike (use a normal)",
                     name, v, k_min_shape, k_max_shape);
}

// The two quantile keys of a pA + pB set as (probability, value) pairs, checked: values rising with probability.
struct QuantilePair {
  double p1, q1, p2, q2;
  std::string k1, k2;
};
QuantilePair quantile_pair(const std::vector<std::string>& keys, const Params& p) {
  QuantilePair q{std::stod(keys[0].substr(1)) / 100, p.num(keys[0]), std::stod(keys[1].substr(1)) / 100,
                 p.num(keys[1]), keys[0], keys[1]};
  p.require(q.p1 < q.p2, q.k2, fmt::format("{} and {} name the same probability", q.k1, q.k2));
  p.require(q.q1 < q.q2, q.k2, fmt::format("{} = {:g} must exceed {} = {:g}", q.k2, q.q2, q.k1, q.q1));
  return q;
}

// The parameter set an input table gave (its keys, with pA and pB standing for two quantile keys) and its values.
struct Given {
  const std::vector<std::string>& set;
  const Params& p;
  const std::vector<std::string>& quantile_keys;
  [[nodiscard]] bool has(const char* k) const { return std::find(set.begin(), set.end(), k) != set.end(); }
  [[nodiscard]] QuantilePair quantiles() const { return quantile_pair(quantile_keys, p); }
};

// min < max, read and checked.
std::pair<double, double> range_of(const Params& p) {
  const double a = p.num("min"), b = p.num("max");
  p.require(a < b, "max", fmt::format("max = {:g} must exceed min = {:g}", b, a));
  return {a, b};
}

// A positive parameter `k`.
double positive(const Params& p, const char* k) {
  const double v = p.num(k);
  p.require(v > 0, k, fmt::format("{} = {:g} must be > 0", k, v));
  return v;
}

// A shape parameter within [k_min_shape, k_max_shape].
double shape(const Params& p, const char* k) {
  const double v = p.num(k);
  p.require(v >= k_min_shape && v <= k_max_shape, k, shape_range(k, v));
  return v;
}

Distribution build_constant(const Given& g) { return Constant{g.p.num("value")}; }

Distribution build_uniform(const Given& g) {
  const auto [a, b] = range_of(g.p);
  return Uniform{a, b};
}

// min ≤ mode ≤ max of a triangular or PERT law.
std::array<double, 3> min_mode_max(const Params& p) {
  const double a = p.num("min"), c = p.num("mode"), b = p.num("max");
  p.require(a < b, "max", fmt::format("max = {:g} must exceed min = {:g}", b, a));
  p.require(a <= c && c <= b, "mode", fmt::format("mode = {:g} must lie in [min, max] = [{:g}, {:g}]", c, a, b));
  return {a, c, b};
}

Distribution build_triangular(const Given& g) {
  const auto [a, c, b] = min_mode_max(g.p);
  return Triangular{a, c, b};
}

Distribution build_pert(const Given& g) {
  const auto [a, c, b] = min_mode_max(g.p);
  return Pert{a, c, b};
}

Distribution build_normal(const Given& g) {
  const double sd = g.p.num("sd");
  g.p.require(sd > 0, "sd", fmt::format("sd = {:g} must be > 0 (for a fixed value use `value = ...`)", sd));
  return Normal{g.p.num("mean"), sd};
}

Distribution build_truncnormal(const Given& g) {
  const Params& p = g.p;
  const double m = p.num("mean"), s = p.num("sd"), a = p.num("min"), b = p.num("max");
  p.require(s > 0, "sd", fmt::format("sd = {:g} must be > 0", s));
  p.require(a < b, "max", fmt::format("max = {:g} must exceed min = {:g}", b, a));
  const double mass = cdf(Normal{m, s}, b) - cdf(Normal{m, s}, a);
  p.require(mass > 1e-9, "min",
            fmt::format("[min, max] = [{:g}, {:g}] holds only {:.2g} of the parent normal's mass; move the bounds "
                        "or the mean",
                        a, b, mass));
  return TruncNormal{m, s, a, b};
}

Distribution build_lognormal(const Given& g) {
  const Params& p = g.p;
  if (g.has("median")) {
    const double med = positive(p, "median"), sigma = p.num("sigma");
    p.require(sigma > 0 && sigma <= k_max_log_sigma, "sigma",
              fmt::format("sigma = {:g} must be in (0, {:g}] (log-space standard deviation; {:g} already spans a "
                          "factor of 10^{:.0f} between P1 and P99)",
                          sigma, k_max_log_sigma, k_max_log_sigma, 2 * 2.326 * k_max_log_sigma / std::log(10.0)));
    return LogNormal{std::log(med), sigma};
  }
  if (g.has("mean")) {
    const double m = positive(p, "mean"), s = positive(p, "sd");
    const double s2 = std::log1p((s / m) * (s / m));
    return LogNormal{std::log(m) - 0.5 * s2, std::sqrt(s2)};
  }
  const QuantilePair q = g.quantiles();
  p.require(q.q1 > 0, q.k1, fmt::format("{} = {:g} must be > 0", q.k1, q.q1));
  const LogNormal l = lognormal_through(q.p1, q.q1, q.p2, q.q2);
  p.require(l.sigma <= k_max_log_sigma, q.k2, fmt::format("{} / {} = {:g} is too wide a ratio to sample", q.k2, q.k1, q.q2 / q.q1));
  return l;
}

// The beta of a mean and sd on [lo, hi] (the [0, 1] law's when lo = 0 and hi = 1: the same arithmetic, exactly):
// α = μ·c, β = (1 − μ)·c with μ = (mean − lo)/(hi − lo), s = sd/(hi − lo), c = μ(1 − μ)/s² − 1.
Beta beta_from_mean_sd(const Params& p, double lo, double hi, bool scaled) {
  const double m = p.num("mean"), sd = p.num("sd");
  p.require(m > lo && m < hi, "mean",
            scaled ? fmt::format("mean = {:g} must lie in (min, max) = ({:g}, {:g})", m, lo, hi)
                   : fmt::format("mean = {:g} must lie in (0, 1)", m));
  const double mu = (m - lo) / (hi - lo), s1 = sd / (hi - lo);
  if (scaled) {
    p.require(sd > 0, "sd", fmt::format("sd = {:g} must be > 0", sd));
    p.require(s1 * s1 < mu * (1 - mu), "sd",
              fmt::format("sd = {:g} must be below {:.4g} for mean {:g} on [{:g}, {:g}]", sd,
                          (hi - lo) * std::sqrt(mu * (1 - mu)), m, lo, hi));
  } else {
    p.require(sd > 0 && sd * sd < m * (1 - m), "sd",
              fmt::format("sd = {:g} must be in (0, {:.4g}) for mean {:g} (sd² < mean·(1 − mean))", sd,
                          std::sqrt(m * (1 - m)), m));
  }
  const double common = mu * (1 - mu) / (s1 * s1) - 1;
  const double a = mu * common, b = (1 - mu) * common;
  p.require(a >= k_min_shape && a <= k_max_shape && b >= k_min_shape && b <= k_max_shape, "sd",
            fmt::format("mean {:g} and sd {:g} give beta(alpha = {:g}, beta = {:g}); {}", m, sd, a, b,
                        shape_range("each", a < k_min_shape || b < k_min_shape ? std::min(a, b) : std::max(a, b))));
  return Beta{a, b};
}

// The beta through two quantiles on [lo, hi] (given in the range's units).
Beta beta_from_quantiles(const Given& g, double lo, double hi, bool scaled) {
  const QuantilePair q = g.quantiles();
  if (scaled)
    g.p.require(q.q1 > lo && q.q2 < hi, q.k1,
                fmt::format("{} and {} must lie inside (min, max) = ({:g}, {:g})", q.k1, q.k2, lo, hi));
  else
    g.p.require(q.q1 > 0 && q.q2 < 1, q.k1,
                fmt::format("{} and {} must lie in (0, 1); for another range add min and max", q.k1, q.k2));
  const auto fit = beta_through(q.p1, (q.q1 - lo) / (hi - lo), q.p2, (q.q2 - lo) / (hi - lo), k_min_shape, k_max_shape);
  g.p.require(fit.has_value(), q.k2,
              scaled ? fmt::format("no beta on [{:g}, {:g}] has {} = {:g} and {} = {:g}", lo, hi, q.k1, q.q1, q.k2, q.q2)
                     : fmt::format("no beta has {} = {:g} and {} = {:g}", q.k1, q.q1, q.k2, q.q2));
  return *fit;
}

// beta on [0, 1], or scaled to [min, max]: by alpha and beta, by mean and sd, or through two quantiles.
Distribution build_beta(const Given& g) {
  const bool scaled = g.has("min");
  const auto [lo, hi] = scaled ? range_of(g.p) : std::pair(0.0, 1.0);
  Beta b = g.has("pA")     ? beta_from_quantiles(g, lo, hi, scaled)
           : g.has("mean") ? beta_from_mean_sd(g.p, lo, hi, scaled)
                           : Beta{shape(g.p, "alpha"), shape(g.p, "beta")};
  if (scaled) {
    b.min = lo;
    b.max = hi;
  }
  return b;
}

Distribution build_gamma(const Given& g) {
  const Params& p = g.p;
  if (g.has("pA")) {
    const QuantilePair q = g.quantiles();
    p.require(q.q1 > 0, q.k1, fmt::format("{} = {:g} must be > 0", q.k1, q.q1));
    const auto fit = gamma_through(q.p1, q.q1, q.p2, q.q2, k_min_shape, k_max_shape);
    p.require(fit.has_value(), q.k2,
              fmt::format("no gamma with shape in [{:g}, {:g}] has {} = {:g} and {} = {:g}", k_min_shape, k_max_shape,
                          q.k1, q.q1, q.k2, q.q2));
    return *fit;
  }
  if (g.has("shape")) {
    const double k = shape(p, "shape");
    return Gamma{k, positive(p, "scale")};
  }
  const double m = positive(p, "mean"), s = positive(p, "sd");
  const double k = (m / s) * (m / s), theta = s * (s / m);
  p.require(k >= k_min_shape && k <= k_max_shape && std::isfinite(theta), "sd",
            fmt::format("mean {:g} and sd {:g} give gamma(shape = {:g}, scale = {:g}); {}", m, s, k, theta,
                        shape_range("shape", k)));
  return Gamma{k, theta};
}

Distribution build_bernoulli(const Given& g) {
  const double pr = g.p.num("p");
  g.p.require(pr >= 0 && pr <= 1, "p", fmt::format("p = {:g} must lie in [0, 1]", pr));
  return Bernoulli{pr};
}

Distribution build_binomial(const Given& g) {
  const double n = g.p.num("n"), pr = g.p.num("p");
  g.p.require(n >= 1 && n == std::floor(n) && n <= 1e15, "n", fmt::format("n = {:g} must be a whole number of trials, 1 to 1e15", n));
  g.p.require(pr > 0 && pr < 1, "p", fmt::format("p = {:g} must lie in (0, 1) (for 0 or 1 use `value = ...`)", pr));
  return Binomial{n, pr};
}

Distribution build_poisson(const Given& g) {
  const double m = g.p.num("mean");
  g.p.require(m > 0 && m <= 1e15, "mean", fmt::format("mean = {:g} must lie in (0, 1e15]", m));
  return Poisson{m};
}

Distribution build_exponential(const Given& g) {
  const char* key = g.has("rate") ? "rate" : "mean";
  const double rate = g.has("rate") ? g.p.num("rate") : 1 / g.p.num("mean");
  g.p.require(rate > 0 && std::isfinite(rate), key, fmt::format("{} must be > 0 (rate = 1/mean)", key));
  return Exponential{rate};
}

Distribution build_weibull(const Given& g) {
  const double k = g.p.num("shape");
  g.p.require(k >= 0.05 && k <= k_max_shape, "shape", fmt::format("shape = {:g} must lie in [0.05, {:g}]", k, k_max_shape));
  return Weibull{k, positive(g.p, "scale")};
}

Distribution build_gumbel(const Given& g) {
  if (g.has("location")) {
    const double b = positive(g.p, "scale");
    return Gumbel{g.p.num("location"), b};
  }
  const double b = positive(g.p, "sd") * std::sqrt(6.0) / std::numbers::pi;
  return Gumbel{g.p.num("mean") - std::numbers::egamma * b, b};
}

Distribution build_student_t(const Given& g) {
  const double df = g.p.num("df");
  g.p.require(df >= 0.1 && df <= k_max_shape, "df", fmt::format("df = {:g} must lie in [0.1, {:g}]", df, k_max_shape));
  if (!g.has("location")) return StudentT{df, 0, 1};
  const double scale = positive(g.p, "scale");
  return StudentT{df, g.p.num("location"), scale};
}

Distribution build_loguniform(const Given& g) {
  const double a = g.p.num("min"), b = g.p.num("max");
  g.p.require(a > 0, "min", fmt::format("min = {:g} must be > 0 (a log-uniform lives on positive numbers)", a));
  g.p.require(a < b, "max", fmt::format("max = {:g} must exceed min = {:g}", b, a));
  return LogUniform{a, b};
}

Distribution build_discrete(const Given& g) {
  const Params& p = g.p;
  std::vector<double> values = p.nums("values");
  std::vector<double> weights(values.size(), 1.0);
  if (g.has("weights")) {
    weights = p.nums("weights");
    p.require(weights.size() == values.size(), "weights",
              fmt::format("{} weights for {} values; give one weight per value", weights.size(), values.size()));
    for (const double w : weights) p.require(w >= 0, "weights", fmt::format("weight {:g} is negative", w));
    double total = 0;
    for (const double w : weights) total += w;
    p.require(total > 0, "weights", "weights sum to 0; at least one must be positive");
    p.require(std::isfinite(total), "weights", "weights sum beyond the largest number; scale them down (only ratios matter)");
  }
  return Discrete{std::move(values), std::move(weights)};
}

Distribution build_empirical(const Given& g) { return Empirical{g.p.nums("data")}; }

// A family: its name, the alternative parameter sets that define it, and how a set becomes its law (validated).
struct Family {
  std::string name;
  std::vector<std::vector<std::string>> sets;
  Distribution (*build)(const Given&) = nullptr;  ///< null for metalog, whose keys are free (parse_metalog)
};

const std::vector<Family>& families() {
  static const std::vector<Family> table = {
      {"constant", {{"value"}}, build_constant},
      {"uniform", {{"min", "max"}}, build_uniform},
      {"triangular", {{"min", "mode", "max"}}, build_triangular},
      {"pert", {{"min", "mode", "max"}}, build_pert},
      {"normal", {{"mean", "sd"}}, build_normal},
      {"truncnormal", {{"mean", "sd", "min", "max"}}, build_truncnormal},
      {"lognormal", {{"median", "sigma"}, {"mean", "sd"}, {"pA", "pB"}}, build_lognormal},
      {"beta",
       {{"alpha", "beta"}, {"mean", "sd"}, {"pA", "pB"}, {"alpha", "beta", "min", "max"}, {"mean", "sd", "min", "max"},
        {"pA", "pB", "min", "max"}},
       build_beta},
      {"gamma", {{"shape", "scale"}, {"mean", "sd"}, {"pA", "pB"}}, build_gamma},
      {"discrete", {{"values", "weights"}, {"values"}}, build_discrete},
      {"empirical", {{"data"}}, build_empirical},
      {"bernoulli", {{"p"}}, build_bernoulli},
      {"binomial", {{"n", "p"}}, build_binomial},
      {"poisson", {{"mean"}}, build_poisson},
      {"exponential", {{"rate"}, {"mean"}}, build_exponential},
      {"weibull", {{"shape", "scale"}}, build_weibull},
      {"gumbel", {{"location", "scale"}, {"mean", "sd"}}, build_gumbel},
      {"student_t", {{"df"}, {"df", "location", "scale"}}, build_student_t},
      {"loguniform", {{"min", "max"}}, build_loguniform},
      {"metalog", {{"p10", "p50", "p90"}}, nullptr},  // any 3–5 quantile keys, optional lower/upper (parse_metalog)
  };
  return table;
}
std::vector<std::string> family_names() {
  std::vector<std::string> v;
  for (const auto& f : families()) v.push_back(f.name);
  return v;
}

// "pA" and "pB" in a set stand for any two quantile keys (p10 and p90, p5 and p95, p2.5 and p97.5, ...).
bool is_quantile_key(std::string_view k) {
  static const std::regex form(R"(^p([0-9]+(\.[0-9]+)?)$)");
  const std::string key(k);
  if (!std::regex_match(key, form)) return false;
  const double pct = std::stod(key.substr(1));
  return pct > 0 && pct < 100;
}

std::string sets_text(const Family& f) {
  std::vector<std::string> parts;
  for (const auto& s : f.sets) {
    std::string p;
    for (const auto& k : s)
      p += (p.empty() ? "" : " + ") + (k == "pA" ? std::string("two quantiles such as p10") : k == "pB" ? "p90" : k);
    parts.push_back(p);
  }
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i == 0 ? "" : i + 1 == parts.size() ? ", or " : ", ") + parts[i];
  return out;
}

// `"LOW to HIGH"`: a lognormal with that 90% interval.
Distribution parse_range(const std::string& s, const std::string& key, const SourceLocation& where) {
  static const std::regex form(R"(^\s*(\S+)\s+to\s+(\S+)\s*$)");
  std::smatch m;
  const auto num = [](const std::string& t, double& out) {
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
    return ec == std::errc{} && end == t.data() + t.size() && std::isfinite(out);
  };
  double lo = 0, hi = 0;
  if (!std::regex_match(s, m, form) || !num(m[1].str(), lo) || !num(m[2].str(), hi))
    throw ScenarioError(where, key,
                        fmt::format("\"{}\" is not a range; the string form is \"LOW to HIGH\" (e.g. \"60000 to "
                                    "90000\"), or write a table such as {{ dist = \"normal\", mean = ..., sd = ... }}",
                                    s));
  if (lo <= 0 || hi <= lo)
    throw ScenarioError(where, key,
                        fmt::format("\"{}\": the range form is a lognormal with that 90% interval, so it needs 0 < LOW "
                                    "< HIGH; for a range that {} name the distribution, e.g. {{ dist = \"uniform\", "
                                    "min = {:g}, max = {:g} }} or {{ dist = \"pert\", min = ..., mode = ..., max = ... }}",
                                    s, lo <= 0 ? "reaches zero or below" : "is reversed or empty", std::min(lo, hi),
                                    std::max(lo, hi)));
  return LogNormal{0.5 * (std::log(lo) + std::log(hi)), (std::log(hi) - std::log(lo)) / (2 * k_z95)};
}

// A metalog: 3–5 quantile keys (p10, p50, p90, ...) and optional `lower`, `upper` bounds; the fit must rise everywhere.
Distribution parse_metalog(const toml::table& t, const std::string& prefix, const FileLocator& ctx, const toml::node& node) {
  std::vector<std::string> allowed = k_common_keys;
  allowed.insert(allowed.end(), {"lower", "upper"});
  std::vector<std::pair<double, std::string>> keys;
  for (auto&& [k, v] : t)
    if (is_quantile_key(k.str())) {
      keys.emplace_back(std::stod(std::string(k.str()).substr(1)) / 100, std::string(k.str()));
      allowed.emplace_back(k.str());
    }
  check_keys(t, allowed, prefix, ctx, "for metalog (quantile keys such as p10, p50, p90, and lower, upper)");
  if (keys.size() < 3 || keys.size() > 5)
    throw ScenarioError(ctx.at(node), prefix,
                        fmt::format("metalog needs 3 to 5 quantile points (e.g. p10, p50, p90), got {}", keys.size()));
  std::sort(keys.begin(), keys.end());
  const Params p(t, prefix, ctx);
  std::vector<double> ps, xs;
  for (const auto& [pr, k] : keys) {
    ps.push_back(pr);
    xs.push_back(p.num(k));
    if (xs.size() > 1)
      p.require(xs.back() > xs[xs.size() - 2], k,
                fmt::format("{} = {:g} must exceed the quantile before it ({:g})", k, xs.back(), xs[xs.size() - 2]));
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double lo = t.get("lower") ? p.num("lower") : nan, hi = t.get("upper") ? p.num("upper") : nan;
  if (!std::isnan(lo)) p.require(lo < xs.front(), "lower", fmt::format("lower = {:g} must lie below {} = {:g}", lo, keys.front().second, xs.front()));
  if (!std::isnan(hi)) p.require(hi > xs.back(), "upper", fmt::format("upper = {:g} must lie above {} = {:g}", hi, keys.back().second, xs.back()));
  auto fit = Metalog::fit(ps, xs, lo, hi);
  if (!fit)
    throw ScenarioError(ctx.at(node), prefix,
                        "no metalog through these points rises everywhere (its quantile function would turn back): "
                        "space the points more evenly, use fewer, or add a bound");
  return *fit;
}

}  // namespace

namespace {

// The family a law table names (`dist`; `value` alone is a constant; student-t and t are student_t).
const Family& family_of(const toml::table& t, const toml::node& node, const std::string& prefix, const FileLocator& ctx) {
  std::string family = get_string(t, "dist", prefix, ctx);
  if (family.empty()) {
    if (!t.contains("value"))
      throw ScenarioError(ctx.at(node), prefix,
                          fmt::format("missing `dist`; give `dist = \"...\"` (one of {}) or `value = ...` for a "
                                      "fixed number",
                                      quoted_list(family_names())));
    family = "constant";
  }
  if (family == "student-t" || family == "t") family = "student_t";  // the names people write for it
  const auto fam = std::find_if(families().begin(), families().end(), [&](const Family& f) { return f.name == family; });
  if (fam == families().end())
    throw ScenarioError(ctx.at(*t.get("dist")), prefix + ".dist",
                        fmt::format("unknown distribution \"{}\"{}; allowed: {}", family,
                                    did_you_mean(family, family_names()), quoted_list(family_names())));
  return *fam;
}

// The law of a table of a family with fixed parameter sets: its keys checked, the set it gives found, built.
Distribution law_of(const Family& fam, const toml::table& t, const toml::node& node, const std::string& prefix,
                    const FileLocator& ctx) {
  std::vector<std::string> allowed = k_common_keys;
  std::set<std::string> params;
  for (const auto& s : fam.sets)
    for (const auto& k : s) params.insert(k);
  // Quantile keys (p10, p90, ...) where the family is defined by two quantiles; they stand for pA and pB.
  std::vector<std::string> quantile_keys;
  if (params.count("pA")) {
    for (auto&& [k, v] : t)
      if (is_quantile_key(k.str())) quantile_keys.emplace_back(k.str());
    std::sort(quantile_keys.begin(), quantile_keys.end(),
              [](const std::string& a, const std::string& b) { return std::stod(a.substr(1)) < std::stod(b.substr(1)); });
  }
  params.erase("pA");
  params.erase("pB");
  allowed.insert(allowed.end(), params.begin(), params.end());
  allowed.insert(allowed.end(), quantile_keys.begin(), quantile_keys.end());
  check_keys(t, allowed, prefix, ctx, "for " + fam.name);
  std::vector<std::string> given;
  for (auto&& [k, v] : t)
    if (params.count(std::string(k.str()))) given.emplace_back(k.str());
  if (quantile_keys.size() == 2) given.insert(given.end(), {"pA", "pB"});
  else given.insert(given.end(), quantile_keys.begin(), quantile_keys.end());  // named as written in the error
  std::sort(given.begin(), given.end());
  const std::vector<std::string>* chosen = nullptr;
  for (const auto& s : fam.sets) {
    std::vector<std::string> sorted = s;
    std::sort(sorted.begin(), sorted.end());
    if (sorted == given) chosen = &s;
  }
  if (!chosen)
    throw ScenarioError(ctx.at(node), prefix,
                        fmt::format("{} needs {}; got {}", fam.name, sets_text(fam),
                                    given.empty() ? std::string("no parameters") : quoted_list(given)));
  try {
    const Params params_of(t, prefix, ctx);
    Distribution d = fam.build(Given{*chosen, params_of, quantile_keys});
    (void)median(d);  // the quantile functions accept the parameters
    return d;
  } catch (const ScenarioError&) {
    throw;
  } catch (const std::exception& e) {
    throw ScenarioError(ctx.at(node), prefix, fmt::format("{} with these parameters cannot be sampled: {}", fam.name, e.what()));
  }
}

// P(X outside [lo, hi]) for the law d: P(X < lo) + P(X > hi).
double mass_outside(const Distribution& d, const Bounds& b) {
  const double below = std::isinf(b.lo) ? 0.0 : cdf(d, std::nextafter(b.lo, -std::numeric_limits<double>::infinity()));
  const double above = std::isinf(b.hi) ? 0.0 : 1 - cdf(d, b.hi);
  return below + above;
}

// Why `dist` (point `point`) leaves the bounds `b` that `what` names, with the likely fix where its values look like
// percentages of a fraction's bounds (values 10–50 for a share); "" when the law and point stay inside.
std::string bounds_problem(const Distribution& dist, double point, const Bounds& b, const std::string& what) {
  const double outside = mass_outside(dist, b);
  if (outside > 1e-6) {
    const double lo = quantile(dist, 0.01), hi = quantile(dist, 0.99);
    const bool percent_like = b.hi - b.lo <= 2 && b.contains(lo / 100) && b.contains(hi / 100);
    if (const auto* c = std::get_if<Constant>(&dist))
      return fmt::format("{:g} lies outside {}{}", c->value, what,
                         percent_like ? fmt::format("; it looks like a percentage: did you mean {:g}?", c->value / 100) : "");
    return fmt::format("{} leaves {}: {:.3g} of its probability lies outside (its P1–P99 is {:.3g}–{:.3g}){}",
                       describe(dist), what, outside, lo, hi,
                       percent_like ? fmt::format("; values {:.3g}–{:.3g} look like percentages: did you mean {:.3g}–{:.3g} "
                                                  "(each of the law's numbers / 100)?",
                                                  lo, hi, lo / 100, hi / 100)
                                    : "");
  }
  if (!b.contains(point)) return fmt::format("point {:g} lies outside {}", point, what);
  return "";
}

// An input's law and point must stay inside its bounds (a share in [0, 1]); a law that leaves them is refused with the
// likely fix.
void check_within_bounds(const Input& in, const std::string& prefix) {
  const Bounds& b = *in.bounds;
  const std::string what = b.implied ? "its bounds: format = \"percent\" makes it a share, a fraction in [0, 1]"
                                     : fmt::format("its bounds = [{:g}, {:g}]", b.lo, b.hi);
  if (const std::string why = bounds_problem(in.dist, in.point, b, what); !why.empty())
    throw ScenarioError(in.where, prefix, why);
}

}  // namespace

namespace {

// `yearly` (independent | random_walk | ar1) and an ar1's `phi` (|φ| < 1), each located when wrong.
void read_yearly(Input& in, const toml::table& t, const std::string& prefix, const FileLocator& ctx) {
  const std::string kind = get_string(t, "yearly", prefix, ctx);
  const toml::node* phi = t.get("phi");
  if (kind.empty()) {
    if (phi)
      throw ScenarioError(ctx.at(*phi), prefix + ".phi", "`phi` is the persistence of an input with yearly = \"ar1\"; this "
                                                         "input has no `yearly` key");
    return;
  }
  const std::vector<std::string> kinds = {"independent", "random_walk", "ar1"};
  const auto it = std::find(kinds.begin(), kinds.end(), kind);
  if (it == kinds.end())
    throw ScenarioError(ctx.at(*t.get("yearly")), prefix + ".yearly",
                        fmt::format("unknown yearly kind \"{}\"{}; allowed: independent (a fresh draw each year), "
                                    "random_walk (x_t = x_(t-1) + a draw), ar1 (x_t = phi * x_(t-1) + a draw)",
                                    terminal_safe(kind), did_you_mean(kind, kinds)));
  in.yearly = static_cast<Yearly>(1 + (it - kinds.begin()));
  if (in.yearly == Yearly::ar1) {
    if (!phi)
      throw ScenarioError(ctx.at(*t.get("yearly")), prefix + ".phi",
                          "yearly = \"ar1\" needs `phi`, its persistence (x_t = phi * x_(t-1) + a draw), with |phi| < 1");
    in.phi = get_number(*phi, prefix + ".phi", ctx);
    if (!(std::abs(in.phi) < 1))
      throw ScenarioError(ctx.at(*phi), prefix + ".phi",
                          fmt::format("phi = {:g}: an ar1 input needs |phi| < 1 (phi = 1 is yearly = \"random_walk\")", in.phi));
  } else if (phi) {
    throw ScenarioError(ctx.at(*phi), prefix + ".phi",
                        fmt::format("`phi` belongs to yearly = \"ar1\"; this input is yearly = \"{}\"", kind));
  }
}

}  // namespace

Input parse_input(const std::string& name, const toml::key& key, const toml::node& node, const FileLocator& ctx,
                  const std::string& section) {
  const std::string prefix = section + "." + name;
  Input in;
  in.name = name;
  in.where = ctx.at(key);
  if (node.is_number()) {
    in.dist = Constant{get_number(node, prefix, ctx)};
    in.point = median(in.dist);
    return in;
  }
  if (node.is_string()) {
    in.dist = parse_range(std::string(node.as_string()->get()), prefix, ctx.at(node));
    in.point = median(in.dist);
    return in;
  }
  const toml::table* t = node.as_table();
  if (!t)
    throw ScenarioError(ctx.at(node), prefix,
                        fmt::format("expected a number, a \"LOW to HIGH\" string or a table, got {}", type_name(node)));
  const Family& fam = family_of(*t, node, prefix, ctx);
  in.dist = fam.build ? law_of(fam, *t, node, prefix, ctx) : parse_metalog(*t, prefix, ctx, node);
  in.unit = get_string(*t, "unit", prefix, ctx);
  in.source = get_string(*t, "source", prefix, ctx);
  in.point_note = get_string(*t, "point_note", prefix, ctx);
  in.format = get_format(*t, prefix, ctx);
  in.point_given = t->contains("point");
  if (const toml::node* pt = t->get("point")) in.point = get_number(*pt, prefix + ".point", ctx);
  else if (const toml::node* med = fam.build ? t->get("median") : nullptr)  // exact, where exp(log(median)) would round
    in.point = get_number(*med, prefix + ".median", ctx);
  else in.point = median(in.dist);
  in.bounds = get_bounds(*t, prefix, ctx, in.format);
  if (in.bounds) check_within_bounds(in, prefix);
  read_yearly(in, *t, prefix, ctx);
  return in;
}

Input with_parameters(const std::string& name, const toml::node& original, const toml::table& changes,
                      const toml::key& at, const FileLocator& ctx, const std::string& section) {
  const std::string key = section + "." + name;
  const toml::table* t = original.as_table();
  if (!t || !t->contains("dist"))
    throw ScenarioError(ctx.at(at), key, fmt::format("`{}` is not written as a law's table (dist = ...), so it has no "
                                                     "parameters to change; give its whole law instead",
                                                     name));
  toml::table merged = *t;
  std::vector<std::string> own;
  for (auto&& [k, v] : *t)
    if (k.str() != "dist") own.emplace_back(k.str());
  for (auto&& [k, v] : changes) {
    const std::string param(k.str());
    if (param == "dist" || (!t->contains(param) && param != "source" && param != "point" && param != "point_note"))
      throw ScenarioError(ctx.at(k), key + "." + param,
                          fmt::format("`{}` is not a parameter of `{}`'s law as written ({}){}; its keys: {}", param,
                                      name, family_of(*t, original, key, ctx).name, did_you_mean(param, own),
                                      quoted_list(own)));
    merged.insert_or_assign(k, v);
  }
  return parse_input(name, at, merged, ctx, section);
}

std::vector<std::string> name_parts(const std::string& name) {
  std::vector<std::string> parts(1);
  for (const char c : name) {
    if (c == '_' || c == '.') parts.emplace_back();
    else parts.back() += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return parts;
}

namespace {

// Words that name a fraction (a share, a rate, a probability) in an input's name, matched as whole `_`-separated parts.
const std::vector<std::string> k_fraction_words = {"share", "shares", "pct", "percent", "percentage", "fraction", "ratio",
                                                   "rate", "adoption", "penetration", "probability", "prob", "automation",
                                                   "margin", "churn", "conversion", "growth", "cagr", "dilution",
                                                   "stake", "ownership", "capture", "retention", "attrition", "uptake",
                                                   "utilization", "occupancy"};

// A unit as written, lower case and without spaces ("CNY / Year" → "cny/year"), for matching.
std::string unit_key(const std::string& unit) {
  std::string u;
  for (const char c : unit)
    if (c != ' ') u += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return u;
}

// True when a `_`- or `.`-separated part of `name` is one of `words` (case ignored).
bool has_part(const std::string& name, const std::vector<std::string>& words) {
  const std::vector<std::string> parts = name_parts(name);
  return std::find_first_of(parts.begin(), parts.end(), words.begin(), words.end()) != parts.end();
}

// True when a `_`- or `.`-separated part of `name` is one of k_fraction_words (case ignored).
bool named_like_fraction(const std::string& name) { return has_part(name, k_fraction_words); }

// Why `replacement` (no bounds of its own) cannot stand for the fraction `base`: a share (P1–P99 in [0, 1], a share
// by its name, its unit or its standard beta law) replaced by values in [1, 100] is a percentage typed as a number,
// which makes every product with it 100× too large; "" otherwise.
std::string percent_for_fraction(const Input& base, const Input& replacement) {
  const Distribution& d = base.dist;
  if (counted_or_listed(d))
    return "";
  double b1 = 0, b99 = 0, r1 = 0, r99 = 0;
  try {
    b1 = quantile(d, 0.01);
    b99 = quantile(d, 0.99);
    r1 = quantile(replacement.dist, 0.01);
    r99 = quantile(replacement.dist, 0.99);
  } catch (const std::exception&) {
    return "";  // (each law was checked as it was read)
  }
  const auto* beta = std::get_if<Beta>(&d);
  const bool share = named_like_fraction(base.name) || fraction_unit(base.unit) == FractionUnit::fraction ||
                     (beta && !beta->scaled());
  if (!(share && b1 >= 0 && b99 <= 1 && r1 >= 1 && r99 <= 100 && r99 > 1)) return "";
  // At least 20× the base's median (a share of 0.25 stressed to 5 for 5%); growth 0.2 stressed to 2 (10×) may mean 200%.
  const double ratio = median(replacement.dist) / median(d);
  if (!(ratio >= 20)) return "";
  const auto* c = std::get_if<Constant>(&replacement.dist);
  const std::string values =
      c ? fmt::format("{:g}", c->value) : fmt::format("{} (P1–P99 {:.3g}–{:.3g})", describe(replacement.dist), r1, r99);
  const std::string meant =
      c ? fmt::format("{:g}", c->value / 100) : fmt::format("{:.3g}–{:.3g} (each number / 100)", r1 / 100, r99 / 100);
  return fmt::format("`{}` is a fraction ({}, P1–P99 {:.3g}–{:.3g}) and its replacement {} is {:.0f}× its median: a "
                     "percentage typed as a number makes every product with it 100× too large; did you mean {}? If "
                     "these values are meant, give the replacement its own bounds (a table: {{ ..., bounds = [0, 100] }})",
                     base.name, describe(d), b1, b99, values, ratio, meant);
}

}  // namespace

std::string replacement_problem(const Input& base, const Input& replacement) {
  const std::string name = base.name;
  if (const auto* c = std::get_if<Constant>(&replacement.dist)) {
    const double x = c->value;
    if (std::holds_alternative<Bernoulli>(base.dist)) {
      if (x == 0 || x == 1) return "";
      return fmt::format("`{}` is an event ({}): {:g} is not one of its values, 0 and 1; to change its probability "
                         "write {}.p={:g}; to fix the event write {}=0 (it does not happen) or {}=1 (it does)",
                         name, describe(base.dist), x, name, x, name, name);
    }
    const bool count = std::holds_alternative<Binomial>(base.dist) || std::holds_alternative<Poisson>(base.dist);
    if (count && (x < 0 || x != std::floor(x)))
      return fmt::format("`{}` is a count ({}): {:g} is not a whole number ≥ 0; to change its law's parameter write "
                         "{}.{}={:g}",
                         name, describe(base.dist), x, name, std::holds_alternative<Poisson>(base.dist) ? "mean" : "p", x);
    if (const auto* d = std::get_if<Discrete>(&base.dist))
      if (std::find(d->values.begin(), d->values.end(), x) == d->values.end())
        return fmt::format("`{}` takes only its listed values ({}): {:g} is not one of them", name, describe(base.dist), x);
  }
  if (replacement.bounds) return "";  // it states its own (its law was checked against them as it was read)
  if (base.bounds) {                  // the input's bounds hold for whatever replaces it
    const Bounds& b = *base.bounds;
    const std::string what =
        b.implied ? fmt::format("`{}`'s bounds (its format = \"percent\" makes it a share, a fraction in [0, 1])", name)
                  : fmt::format("`{}`'s bounds = [{:g}, {:g}]", name, b.lo, b.hi);
    const std::string why = bounds_problem(replacement.dist, replacement.point, b, what);
    return why.empty() ? "" : why + "; a replacement keeps its input's bounds unless it gives its own (a table with `bounds`)";
  }
  return percent_for_fraction(base, replacement);
}

std::string replacement_warning(const Input& base, const Input& replacement) {
  Input held = base;  // the replacement's law, held to the input's bounds unless it gives its own
  held.dist = replacement.dist;
  if (replacement.bounds) held.bounds = replacement.bounds;
  if (std::string why = share_leaves_unit_interval(held); !why.empty()) return why;
  if (std::string why = amount_goes_negative(held); !why.empty()) return why;
  if (std::string why = log_sd_as_percent(held); !why.empty()) return why;
  if (std::string why = weights_not_summing(held); !why.empty()) return why;
  const std::string u = unit_key(base.unit);
  const auto ends = [&](std::string_view tail) { return u.size() >= tail.size() && u.ends_with(tail); };
  const bool yearly = ends("/year") || ends("/yr"), monthly = ends("/month") || ends("/mo");
  if (u.empty() || fraction_unit(base.unit) != FractionUnit::none) return "";
  double ratio = 0;
  try {
    ratio = median(replacement.dist) / median(base.dist);
  } catch (const std::exception&) {
    return "";
  }
  // About 10^−k of the input's (0.8–1.25 of it): a figure in 万, 亿, thousands, millions or billions typed as a number
  // (R1's "7.5万" typed as 7.5 for 75,000 CNY).
  for (const auto& [k, word] : std::initializer_list<std::pair<int, const char*>>{
           {3, "thousands (k)"}, {4, "万"}, {6, "millions (M)"}, {8, "亿"}, {9, "billions (B)"}, {12, "万亿 or trillions"}}) {
    const double scale = std::pow(10.0, k), r = ratio * scale;
    if (r >= 0.8 && r <= 1.25)
      return fmt::format("`{}` is in {}, and its replacement's median ({:.6g}) is about 1/{} of the input's ({:.6g}): "
                         "a figure in {} typed as a number would make every total with it {}× too small; if so, "
                         "multiply it by {} ({:.6g})",
                         base.name, base.unit, median(replacement.dist), static_cast<long long>(scale),
                         median(base.dist), word, static_cast<long long>(scale), static_cast<long long>(scale),
                         scale * median(replacement.dist));
  }
  if (!yearly && !monthly) return "";
  // Within 1/14–1/10.5 (or 10.5–14×): twelve, give or take the spread of a stress that meant something else.
  if (yearly && ratio >= 1 / 14.0 && ratio <= 1 / 10.5)
    return fmt::format("`{}` is in {}, and its replacement's median ({:.6g}) is about 1/12 of the input's ({:.6g}): a "
                       "monthly figure in a yearly unit would make every yearly total 12× too small; if so, multiply "
                       "it by 12 ({:.6g})",
                       base.name, base.unit, median(replacement.dist), median(base.dist), 12 * median(replacement.dist));
  if (monthly && ratio >= 10.5 && ratio <= 14)
    return fmt::format("`{}` is in {}, and its replacement's median ({:.6g}) is about 12× the input's ({:.6g}): a "
                       "yearly figure in a monthly unit would make every total 12× too large; if so, divide it by 12 "
                       "({:.6g})",
                       base.name, base.unit, median(replacement.dist), median(base.dist), median(replacement.dist) / 12);
  return "";
}

FractionUnit fraction_unit(const std::string& unit) {
  const std::string u = unit_key(unit);
  for (const char* w : {"share", "shares", "fraction", "ratio", "proportion", "1"})
    if (u == w) return FractionUnit::fraction;
  for (const char* w : {"%", "percent", "pct", "percentage"})
    if (u == w) return FractionUnit::percent;
  return FractionUnit::none;
}

bool looks_like_percent(const Input& in, double p1, double p99) {
  if (in.bounds || in.format != NumberStyle::automatic) return false;
  const bool fraction_named_unit = fraction_unit(in.unit) == FractionUnit::fraction;
  if (!in.unit.empty() && !fraction_named_unit) return false;
  // A law's P1–P99 within [1, 100]; a constant's one value above 1 (a share of exactly 1 is whole, not 1%).
  if (!(p1 >= 1 && p99 <= 100 && (p99 > p1 || p1 > 1))) return false;
  return fraction_named_unit || named_like_fraction(in.name);
}

namespace {

// Name parts that make a quantity a part of a whole, in [0, 1] (a subset of k_fraction_words: not a rate, ratio,
// margin or growth, which may be negative or above 1), and parts that make a name something else that may leave it.
const std::vector<std::string> k_part_words = {"share", "shares", "fraction", "penetration", "probability", "prob",
                                               "adoption", "automation", "stake", "ownership", "capture", "retention",
                                               "attrition", "uptake", "utilization", "occupancy", "churn",
                                               "conversion", "dilution"};
const std::vector<std::string> k_change_words = {"growth", "cagr", "margin", "change", "delta", "diff", "return",
                                                 "returns", "ratio", "multiple", "elasticity", "premium", "rate"};

}  // namespace

bool named_like_part(const std::string& name) { return has_part(name, k_part_words) && !has_part(name, k_change_words); }

namespace {

// The numbers an input is typed as, each with what it is: a constant's value; else its point, its median and the
// ends of a bounded law (a triangular's min and max).
std::vector<std::pair<double, const char*>> typed_values(const Input& in) {
  std::vector<std::pair<double, const char*>> values;
  if (const auto* c = std::get_if<Constant>(&in.dist)) {
    values.emplace_back(c->value, "value");
    return values;
  }
  values.emplace_back(in.point, "point");
  try {
    values.emplace_back(median(in.dist), "median");
    for (const auto& [p, what] : {std::pair{0.0, "lowest value"}, std::pair{1.0, "highest value"}})
      if (const double end = quantile(in.dist, p); std::isfinite(end)) values.emplace_back(end, what);
  } catch (const std::exception&) {
  }
  return values;
}

// A number a source text writes on its own (not inside a word or another number: "p10", "§1.3.2", "GPT-4o"): its
// value, where it starts, and where what follows it starts (after spaces).
struct SourceNumber {
  double value;
  std::size_t from, after;
};

std::vector<SourceNumber> source_numbers(const std::string& text) {
  std::vector<SourceNumber> out;
  const auto is_digit = [&](std::size_t k) { return k < text.size() && text[k] >= '0' && text[k] <= '9'; };
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!is_digit(i)) continue;
    const bool inside = i > 0 && (std::isalnum(static_cast<unsigned char>(text[i - 1])) || text[i - 1] == '.' ||
                                  text[i - 1] == '_' || text[i - 1] == '-');
    std::size_t end = i;
    while (is_digit(end)) ++end;
    if (end + 1 < text.size() && text[end] == '.' && is_digit(end + 1))
      for (++end; is_digit(end);) ++end;
    const std::size_t number_end = end;
    while (end < text.size() && text[end] == ' ') ++end;
    if (!inside) out.push_back({std::strtod(text.substr(i, number_end - i).c_str(), nullptr), i, end});
    i = number_end - 1;
  }
  return out;
}

// The typed value equal (to 0.5%) to a positive number the source writes: which it is and its value.
const std::pair<double, const char*>* typed_as(const std::vector<std::pair<double, const char*>>& values, double n) {
  for (const auto& v : values)
    if (n > 0 && std::fabs(v.first - n) <= 0.005 * n) return &v;
  return nullptr;
}

}  // namespace

std::string scale_dropped(const Input& in) {
  for (const auto& [factor, power] : parse_unit(in.unit))  // a unit in 万CNY: its numbers are in 万
    if (const auto f = scaled_factor(factor); power > 0 && f && f->scale != 1) return "";
  const std::vector<std::pair<double, const char*>> values = typed_values(in);
  const std::string& text = in.source;
  for (const SourceNumber& n : source_numbers(text)) {
    const auto word = scale_word_at(std::string_view(text).substr(n.after));
    if (!word) continue;
    const auto [scale, length] = *word;
    if (const auto* v = typed_as(values, n.value)) {
      const std::string written = text.substr(n.from, n.after + length - n.from);
      return fmt::format("`{}`'s source writes \"{}\" ({:.6g}), and its {} is {:g}: a figure in {} typed as a number "
                         "makes every total with it {:g}× too small; write {:.6g} (each of the law's numbers × {:g}){}",
                         in.name, written, n.value * scale, v->second, v->first,
                         text.substr(n.after, length), scale, n.value * scale, scale,
                         in.unit.empty() ? "" : fmt::format(", or give the scale in its unit (unit = \"{}{}\")",
                                                            text.substr(n.after, length), in.unit));
    }
  }
  return "";
}

std::string scale_misread(const Input& in) {
  double unit_scale = 1;  // a value in 万CNY is 10⁴ CNY
  for (const auto& [factor, power] : parse_unit(in.unit))
    if (const auto f = scaled_factor(factor); f) unit_scale *= std::pow(f->scale, power);
  const std::vector<std::pair<double, const char*>> values = typed_values(in);
  const std::string& text = in.source;
  for (const SourceNumber& n : source_numbers(text)) {
    const auto word = scale_word_at(std::string_view(text).substr(n.after));
    if (!word || !(n.value > 0)) continue;
    // Two significant digits at least ("7.5万", "132亿", not "2万"): a one-digit figure matches too much by chance.
    const std::string digits = text.substr(n.from, n.after - n.from);
    std::string significant;
    for (const char c : digits)
      if (c >= '0' && c <= '9' && !(significant.empty() && c == '0')) significant += c;
    while (significant.size() > 1 && significant.back() == '0' && digits.find('.') == std::string::npos) significant.pop_back();
    if (significant.size() < 2) continue;
    const auto [scale, length] = *word;
    const double meant = n.value * scale;
    const int written_power = static_cast<int>(std::lround(std::log10(scale)));
    for (const auto& [v, which] : values) {
      const double ratio = v * unit_scale / meant;
      if (!(ratio > 0)) continue;
      const int j = static_cast<int>(std::lround(std::log10(ratio)));
      if (j == 0 || std::abs(j) > 4 || std::fabs(ratio / std::pow(10.0, j) - 1) > 0.005) continue;
      const int read_power = written_power + j;  // the scale the value reads the figure in
      if (read_power != 3 && read_power != 4 && read_power != 6 && read_power != 8 && read_power != 9 && read_power != 12)
        continue;
      std::string written = text.substr(n.from, n.after + length - n.from);
      const std::string scale_word = text.substr(n.after, length);
      return fmt::format("`{}`'s source writes \"{}\" ({:.6g}), but its {} is {:g}{}, {:g}× that: a scale read as "
                         "10^{} where {} is 10^{} ({}); write {:.6g}{}",
                         in.name, written, meant, which, v, unit_scale != 1 ? fmt::format(" {}", in.unit) : "",
                         std::pow(10.0, j), read_power, scale_word, written_power,
                         written_power == 8   ? "a hundred million: a billion is 10亿"
                         : written_power == 4 ? "ten thousand: a thousand is 0.1万"
                         : written_power == 12 ? "a trillion: a billion is 0.001万亿"
                                               : "as written",
                         meant / unit_scale, unit_scale != 1 ? fmt::format(" (in {})", in.unit) : "");
    }
  }
  return "";
}

std::string percent_typed(const Input& in) {
  if (fraction_unit(in.unit) == FractionUnit::percent || in.format == NumberStyle::percent) return "";
  const Distribution& d = in.dist;
  if (counted_or_listed(d) || std::holds_alternative<Empirical>(d))
    return "";
  const std::vector<std::pair<double, const char*>> values = typed_values(in);
  const std::string& text = in.source;
  for (const SourceNumber& n : source_numbers(text)) {
    const std::string_view rest = std::string_view(text).substr(n.after);
    const bool percent = rest.starts_with("%") || rest.starts_with("％") || rest.starts_with("percent");
    if (!percent || !(n.value >= 2 && n.value <= 100)) continue;  // (1%: typed 1 is too often something else)
    if (const auto* v = typed_as(values, n.value)) {
      std::string written = text.substr(n.from, n.after - n.from);
      written.erase(written.find_last_not_of(' ') + 1);
      written += rest.starts_with("percent") ? " percent" : "%";
      return fmt::format("`{}`'s source writes \"{}\", and its {} is {:g}: a percentage typed as a number makes every "
                         "product with it 100× too large (a growth rate compounds it further); write {:g} (each of "
                         "the law's numbers ÷ 100){}",
                         in.name, written, v->second, v->first, n.value / 100,
                         in.unit.empty() ? ", with format = \"percent\" to show it as a percentage"
                                         : fmt::format(", or, if percent is meant, unit = \"%\" and a division by 100 "
                                                       "where it is used"));
    }
  }
  return "";
}

std::string fraction_why(const Input& in) {
  const Distribution& d = in.dist;
  if (counted_or_listed(d) || fraction_unit(in.unit) == FractionUnit::percent)
    return "";
  double lo = 0, hi = 0;
  try {
    lo = quantile(d, 0.01);
    hi = quantile(d, 0.99);
  } catch (const std::exception&) {
    return "";
  }
  const bool constant = std::holds_alternative<Constant>(d);
  const std::string values = constant ? fmt::format("is {:g}", lo) : fmt::format("runs {:.3g}–{:.3g} (P1–P99)", lo, hi);
  if (!(lo >= -1 && hi <= 1 && (hi > 0 || lo < 0))) return "";  // within [−1, 1], not 0 alone
  if (in.format == NumberStyle::percent) return fmt::format("has format = \"percent\" (a fraction, shown as a percentage) and {}", values);
  if (fraction_unit(in.unit) == FractionUnit::fraction) return fmt::format("has unit = \"{}\" and {}", in.unit, values);
  const auto* beta = std::get_if<Beta>(&d);
  if (in.unit.empty() && named_like_fraction(in.name))
    return fmt::format("is named like a share or rate and {}", values);
  if (in.unit.empty() && beta && !beta->scaled()) return fmt::format("is a {} on [0, 1]", describe(d));
  return "";
}

std::string share_leaves_unit_interval(const Input& in) {
  if (in.bounds || in.format != NumberStyle::automatic) return "";  // (bounds and percent are held as errors)
  const bool fraction_named_unit = fraction_unit(in.unit) == FractionUnit::fraction;
  if (!(fraction_named_unit || (in.unit.empty() && named_like_part(in.name)))) return "";
  const Distribution& d = in.dist;
  if (std::holds_alternative<Constant>(d) || counted_or_listed(d) ||
      std::holds_alternative<Empirical>(d))
    return "";
  double mid = 0, below = 0, above = 0;
  try {
    mid = quantile(d, 0.5);
    below = cdf(d, 0.0);
    above = 1 - cdf(d, 1.0);
  } catch (const std::exception&) {
    return "";
  }
  // Its middle a fraction (a percentage typed as a number is looks_like_percent's), some of it beyond: 0.1% or more.
  if (!(mid > 0 && mid < 1) || !(below + above >= 1e-3)) return "";
  const auto pct = [](double p) { return p >= 0.01 ? fmt::format("{:.3g}%", 100 * p) : fmt::format("{:.2g}%", 100 * p); };
  std::string where;
  if (below >= 1e-4) where = pct(below) + " of its probability below 0";
  if (above >= 1e-4) where += (where.empty() ? "" : " and ") + pct(above) + (where.empty() ? " of its probability" : "") + " above 1";
  return fmt::format("`{}` is {} a share of a whole, in [0, 1], but its law {} puts {}: in those samples it is {}, "
                     "and so is every product with it; give it a law on [0, 1] (`beta` with the same mean and sd, "
                     "`pert`, or `truncnormal` with min = 0 and max = 1), or, if such values are meant, `bounds` that "
                     "hold them or a `unit`",
                     in.name, fraction_named_unit ? fmt::format("in unit = \"{}\",", in.unit) : "named like",
                     describe(d), where,
                     below >= 1e-4 && above >= 1e-4 ? "negative or more than the whole"
                     : below >= 1e-4                ? "negative"
                                                    : "more than the whole");
}

namespace {

// Name parts that say an amount may be negative: a change, a net figure, a profit or a flow.
const std::vector<std::string> k_signed_words = {
    "net",      "profit",  "profits",  "pnl",       "pl",         "margin",  "margins", "change",  "changes",
    "delta",    "diff",    "difference", "gain",    "gains",      "loss",    "losses",  "growth",  "cagr",
    "return",   "returns", "flow",     "flows",     "cashflow",   "fcf",     "balance", "surplus", "deficit",
    "error",    "bias",    "adjustment", "offset",  "shift",      "spread",  "npv",     "ebit",    "ebitda",
    "income",   "earnings", "impact",  "effect",    "premium",    "residual", "correction", "saving", "savings",
    "excess",   "increase", "decrease", "yoy",      "surprise"};
// Unit factors that are not amounts: points, scores and indices may be negative.
const std::vector<std::string> k_signed_unit_words = {"%", "percent", "pct", "pp", "ppt", "bp", "bps", "point", "points",
                                                      "pt", "pts", "index", "score", "degc", "°c", "1"};

}  // namespace

// What a unit says cannot be negative (see the header): "money" (a currency over anything: CNY, 万CNY/year, USD/person), "count" (a
// counted thing: people, 万人, seats/year), or "" (no unit, a fraction or percentage, a time, points, an index).
std::string amount_kind(const std::string& unit) {
  if (unit.empty() || fraction_unit(unit) != FractionUnit::none) return "";
  std::string kind;
  for (const auto& [f, x] : parse_unit(unit)) {
    if (x <= 0) continue;
    std::string low;
    for (const char c : f) low += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (std::find(k_signed_unit_words.begin(), k_signed_unit_words.end(), low) != k_signed_unit_words.end()) return "";
    if (dimension_of(f).base.count("year") != 0) continue;  // a time (hours, years) says nothing of sign here
    const auto scaled = scaled_factor(f);
    if (scaled && scaled->currency) kind = "money";
    else if (kind.empty() && (!scaled || !scaled->base.empty())) kind = "count";
  }
  return kind;
}

bool named_signed(const std::string& name) { return has_part(name, k_signed_words); }

std::string amount_goes_negative(const Input& in) {
  if (in.bounds || in.format != NumberStyle::automatic) return "";  // bounds say what it may be
  const std::string kind = amount_kind(in.unit);
  if (kind.empty() || named_signed(in.name)) return "";
  const Distribution& d = in.dist;
  if (std::holds_alternative<Constant>(d) || counted_or_listed(d) ||
      std::holds_alternative<Empirical>(d))
    return "";  // values as written
  double mid = 0, below = 0;
  try {
    mid = quantile(d, 0.5);
    below = cdf(d, 0.0);
  } catch (const std::exception&) {
    return "";
  }
  if (!(mid > 0) || !(below >= 1e-3)) return "";
  double m = std::nan(""), s = std::nan("");
  try {
    m = mean(d);
    s = sd(d);
  } catch (const std::exception&) {
  }
  const std::string same = std::isfinite(m) && std::isfinite(s) && m > 0 && s > 0
                               ? fmt::format(" (`{{ dist = \"lognormal\", mean = {:.6g}, sd = {:.6g} }}` keeps its mean "
                                             "and sd)", m, s)
                               : "";
  return fmt::format("`{}` is {} (unit = \"{}\"), which cannot be negative, but its law {} puts {} of its probability "
                     "below 0: in those samples it is negative, and so is every product with it; give it a law on "
                     "[0, ∞): `lognormal` or `gamma`{}, `truncnormal` with min = 0, or `pert` or `triangular` with min ≥ "
                     "0; or, if negative values are meant, `bounds` that hold them or a name that says so (net_…, "
                     "…_change, profit)",
                     in.name, kind == "money" ? "an amount of money" : "a count", in.unit, describe(d),
                     below >= 0.01 ? fmt::format("{:.3g}%", 100 * below) : fmt::format("{:.2g}%", 100 * below), same);
}

std::string log_sd_as_percent(const Input& in) {
  const auto* l = std::get_if<LogNormal>(&in.dist);
  if (!l || !(l->sigma >= 5 && l->sigma <= 100) || l->sigma != std::floor(l->sigma)) return "";
  const double fraction = l->sigma / 100;
  return fmt::format("`{}` is a lognormal with sigma = {:g}, the sd of ln(x): its P95 is e^(1.645·{:g}) ≈ {:.2g} times "
                     "its median and its P5 as far below (a {:.2g}-fold P5–P95, carried into every product with it); a "
                     "percentage typed as a number? sigma = {:g} spreads it about ±{:g}% (P5–P95 {:.2f}–{:.2f}× the median)",
                     in.name, l->sigma, l->sigma, std::exp(k_z95 * l->sigma), std::exp(2 * k_z95 * l->sigma), fraction,
                     l->sigma, std::exp(-k_z95 * fraction), std::exp(k_z95 * fraction));
}

std::string weights_not_summing(const Input& in) {
  const auto* d = std::get_if<Discrete>(&in.dist);
  if (!d || d->weights.size() < 2) return "";
  double total = 0;
  for (const double w : d->weights) {
    if (!(w < 1)) return "";  // a weight of 1 or more: relative weights (counts), not probabilities
    total += w;
  }
  if (!(total > 0 && total < 2) || std::fabs(total - 1) <= 0.02) return "";  // (0.02: weights rounded to 2 places)
  std::vector<std::string> given, normalized;
  for (const double w : d->weights) {
    given.push_back(fmt::format("{:g}", w));
    normalized.push_back(fmt::format("{:.3g}", w / total));
  }
  return fmt::format("`{}`'s weights [{}] read as probabilities but sum to {:g}: they are normalized (to {}), which "
                     "shares the {} {:.3g} out among the values; {}, or write relative weights as counts ([5, 3, 1] and the "
                     "like) if that is what they are",
                     in.name, fmt::join(given, ", "), total, fmt::join(normalized, ", "),
                     total < 1 ? "missing" : "excess", std::fabs(1 - total),
                     total < 1 ? "add the value the rest belongs to, or correct the weights" : "correct the weights");
}

void lint_input(const Input& in, const std::string& section, std::vector<Warning>& out) {
  if (in.source.empty())
    out.push_back({in.where, section + "." + in.name, "no `source`: cite the figure (report §section: wording) or "
                                                      "mark it as an assumption with its reason"});
  if (const std::string why = scale_dropped(in); !why.empty()) out.push_back({in.where, section + "." + in.name, why});
  if (const std::string why = scale_misread(in); !why.empty()) out.push_back({in.where, section + "." + in.name, why});
  // The source's "30%" typed as 30: said unless the name-and-unit percentage lint below says it already.
  const auto percent_from_source = [&] {
    if (const std::string why = percent_typed(in); !why.empty()) out.push_back({in.where, section + "." + in.name, why});
  };
  if (const std::string why = weights_not_summing(in); !why.empty()) out.push_back({in.where, section + "." + in.name, why});
  if (const auto* c = std::get_if<Constant>(&in.dist)) {
    if (looks_like_percent(in, c->value, c->value)) {
      const std::string what = in.unit.empty() ? fmt::format("is named like a share or rate but is {:g} with no unit", c->value)
                                               : fmt::format("has unit = \"{}\", a fraction, but is {:g}", in.unit, c->value);
      out.push_back({in.where, section + "." + in.name,
                     fmt::format("`{}` {}: a percentage typed as a number makes every product with it 100× too large; "
                                 "write the fraction ({:g}) and `format = \"percent\"` (which also bounds it to [0, 1]), "
                                 "or give it {} `bounds` if this value is meant",
                                 in.name, what, c->value / 100, in.unit.empty() ? "a `unit` or" : "another `unit` or")});
    } else {
      percent_from_source();
    }
    return;
  }
  double lo = 0, hi = 0;
  try {
    lo = quantile(in.dist, 0.01);
    hi = quantile(in.dist, 0.99);
  } catch (const std::exception&) {
    return;  // parse_input refused laws whose quantiles fail; a stress's law is checked the same way
  }
  if ((in.point < lo || in.point > hi) && in.point_note.empty())  // a `point_note` says why it is right
    out.push_back({in.where, section + "." + in.name,
                   fmt::format("point {:g} lies outside its distribution's 1–99% range [{:g}, {:g}] ({})", in.point, lo,
                               hi, describe(in.dist))});
  if (const std::string why = share_leaves_unit_interval(in); !why.empty())
    out.push_back({in.where, section + "." + in.name, why});
  if (const std::string why = amount_goes_negative(in); !why.empty())
    out.push_back({in.where, section + "." + in.name, why});
  if (const std::string why = log_sd_as_percent(in); !why.empty()) out.push_back({in.where, section + "." + in.name, why});
  if (looks_like_percent(in, lo, hi)) {
    const std::string range = fmt::format("{:.3g}–{:.3g} (P1–P99)", lo, hi);
    const std::string what = in.unit.empty() ? "is named like a share or rate but its values run " + range + " with no unit"
                                             : "has unit = \"" + in.unit + "\", a fraction, but its values run " + range;
    out.push_back({in.where, section + "." + in.name,
                   fmt::format("`{}` {}: a percentage typed as a number makes every product with it 100× too large; "
                               "write the fraction ({:.3g}–{:.3g}) and `format = \"percent\"` (which also bounds it to "
                               "[0, 1]), or give it {} `bounds` if these values are meant",
                               in.name, what, lo / 100, hi / 100, in.unit.empty() ? "a `unit` or" : "another `unit` or")});
  } else {
    percent_from_source();
  }
}

}  // namespace tamcarlo::detail
