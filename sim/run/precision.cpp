#include "sim/run/precision.hpp"

#include "sim/run/run_scenario.hpp"

#include "sim/base/error.hpp"
#include "sim/base/text.hpp"
#include "sim/stats/statistics.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace tamcarlo {

namespace {

constexpr std::uint64_t k_round_unit = 65'536;  // one chunk of blocks

// "p5" → 0.05 when it is a reported quantile; NaN otherwise.
double probability_of(const std::string& stat) {
  if (stat.size() < 2 || stat[0] != 'p') return std::nan("");
  for (const double p : k_report_probs)
    if (stat == fmt::format("p{}", static_cast<int>(std::lround(p * 100)))) return p;
  return std::nan("");
}

std::string statistics_list() {
  std::string out = "`mean`";
  for (const double p : k_report_probs) out += fmt::format(", `p{}`", static_cast<int>(std::lround(p * 100)));
  return out;
}

double relative_half_width(double value, double half) {
  if (!std::isfinite(value) || !std::isfinite(half) || value == 0) return std::numeric_limits<double>::infinity();
  return half / std::fabs(value);
}

// Throws UsageError when a target's value is 0 or undefined after the first round of `n` samples: no N makes
// a half-width small relative to 0, so the rounds would run to the cap for nothing.
void refuse_meaningless(const std::vector<PrecisionCheck>& checks, std::uint64_t n) {
  std::vector<std::string> zero, rest;
  for (const auto& c : checks) (c.value == 0 || !std::isfinite(c.value) ? zero : rest).push_back(c.label);
  if (zero.empty()) return;
  throw UsageError(fmt::format(
      "--precision: {} {} 0 or undefined after {} samples (e.g. a point mass at 0), so a half-width relative to it "
      "has no meaning and no N would reach it; {}",
      fmt::join(zero, ", "), zero.size() == 1 ? "is" : "are", thousands(n),
      rest.empty() ? std::string("name other statistics as targets, e.g. --precision VARIABLE.mean=1%")
                   : fmt::format("name the others as targets: --precision {}", [&] {
                       std::string list;
                       for (const auto& c : checks)
                         if (std::find(rest.begin(), rest.end(), c.label) != rest.end() && c.label.find('[') == std::string::npos)
                           list += fmt::format("{}{}={:g}%", list.empty() ? "" : ",", c.label, 100 * c.wanted);
                       return list.empty() ? std::string("VARIABLE.STAT=X%") : list;
                     }())));
}

}  // namespace

std::vector<PrecisionTarget> parse_precision(const std::string& spec, const Scenario& s) {
  std::vector<PrecisionTarget> out;
  std::size_t at = 0;
  while (at <= spec.size()) {
    const std::size_t comma = spec.find(',', at);
    const std::string part = spec.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    at = comma == std::string::npos ? spec.size() + 1 : comma + 1;
    const auto fail = [&](const std::string& why) {
      return UsageError(fmt::format("--precision {}: `{}` {}; write TARGET=X% with TARGET `all`, a reported variable "
                                    "(its mean, p5, p50 and p95) or VARIABLE.STAT (STAT one of {}), e.g. "
                                    "--precision market.p50=0.5%",
                                    spec, part, why, statistics_list()));
    };
    const std::size_t eq = part.find('=');
    if (eq == std::string::npos) throw fail("has no `=`");
    const std::string target = part.substr(0, eq);
    std::string amount = part.substr(eq + 1);
    const bool percent = !amount.empty() && amount.back() == '%';
    if (percent) amount.pop_back();
    double x = 0;
    std::size_t used = 0;
    try {
      x = std::stod(amount, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (amount.empty() || used != amount.size() || !std::isfinite(x)) throw fail("does not give a number after `=`");
    if (percent) x /= 100;
    if (!(x > 0 && x < 1)) throw fail("asks for a relative half-width outside (0, 100%)");
    PrecisionTarget t;
    t.relative = x;
    if (target != "all") {
      const std::size_t dot = target.find('.');
      t.variable = target.substr(0, dot);
      if (dot != std::string::npos) t.statistic = target.substr(dot + 1);
      if (std::find(s.report.begin(), s.report.end(), t.variable) == s.report.end())
        throw fail(fmt::format("names `{}`, which {} does not report{}; it reports {}", t.variable, s.path,
                               did_you_mean(t.variable, s.report), quoted_list(s.report)));
      if (!t.statistic.empty() && t.statistic != "mean" && std::isnan(probability_of(t.statistic)))
        throw fail(fmt::format("names the statistic `{}`", t.statistic));
    }
    out.push_back(t);
  }
  return out;
}

std::vector<PrecisionCheck> precision_of(const RunSummary& r, const std::vector<PrecisionTarget>& targets) {
  std::vector<PrecisionCheck> out;
  for (const PrecisionTarget& t : targets) {
    for (const VariableSummary& v : r.variables) {
      const bool wanted = t.variable.empty() ? v.reported && !v.var.input : v.var.name == t.variable;
      if (!wanted) continue;
      std::vector<std::string> stats;
      if (t.statistic.empty()) stats = {"mean", "p5", "p50", "p95"};
      else stats = {t.statistic};
      for (const auto& st : stats) {
        double achieved = std::numeric_limits<double>::infinity();
        double value = std::numeric_limits<double>::quiet_NaN();
        if (st == "mean") {
          value = v.moments.mean;
          achieved = relative_half_width(v.moments.mean, v.moments.half95());
        } else if (!v.quantiles.empty()) {
          const QuantileEstimate& q = v.at(probability_of(st));
          value = q.value;
          achieved = relative_half_width(q.value, 0.5 * (q.hi - q.lo));
        }
        out.push_back({v.label() + "." + st, value, achieved, t.relative});
      }
    }
  }
  return out;
}

bool precision_met(const std::vector<PrecisionCheck>& checks) {
  return std::all_of(checks.begin(), checks.end(), [](const PrecisionCheck& c) { return c.achieved <= c.wanted; });
}

std::uint64_t first_round(std::uint64_t cap) { return std::min(cap, k_round_unit); }

std::uint64_t next_round(std::uint64_t n, const std::vector<PrecisionCheck>& checks, std::uint64_t cap) {
  double factor = 2;
  for (const auto& c : checks)
    if (c.achieved > c.wanted) factor = std::max(factor, 1.2 * (c.achieved / c.wanted) * (c.achieved / c.wanted));
  const double want = std::min(static_cast<double>(cap), static_cast<double>(n) * factor);  // inf → cap
  const auto rounded = static_cast<std::uint64_t>(std::ceil(want / k_round_unit)) * k_round_unit;
  return std::min(cap, std::max(rounded, n + 1));
}

std::string describe(const std::vector<PrecisionCheck>& checks) {
  std::string out;
  for (const auto& c : checks)
    out += fmt::format("{}{} ±{} (≤ {})", out.empty() ? "" : ", ", c.label,
                       std::isfinite(c.achieved) ? fmt::format("{:.3g}%", 100 * c.achieved) : std::string("undefined"),
                       fmt::format("{:.3g}%", 100 * c.wanted));
  return out;
}

RunSummary run_to_precision(const Scenario& s, RunOptions opt, const std::vector<PrecisionTarget>& targets) {
  const std::uint64_t cap = opt.what.samples.value_or(k_precision_cap);
  std::uint64_t n = first_round(cap);
  std::vector<std::uint64_t> rounds;
  std::vector<PrecisionCheck> checks;
  for (;;) {
    opt.what.samples = n;
    rounds.push_back(n);
    bool accepted = false;
    opt.on.accept = [&](RunSummary& r) {
      checks = precision_of(r, targets);
      if (rounds.size() == 1) refuse_meaningless(checks, n);
      const bool met = precision_met(checks);
      if (!met && n < cap) return false;
      std::vector<std::string> shown;
      for (const auto k : rounds) shown.push_back(thousands(k));
      r.precision = fmt::format("{} at N = {} after {} round{} (N = {}): {}",
                                met ? "reached" : fmt::format("NOT reached by the cap of {} samples (-n)", thousands(cap)),
                                thousands(n), rounds.size(), rounds.size() > 1 ? "s" : "", fmt::join(shown, " → "),
                                describe(checks));
      r.precision_missed = !met;
      accepted = true;
      return true;
    };
    RunSummary r = run_scenario(s, opt);
    if (accepted) return r;
    n = next_round(n, checks, cap);
  }
}

}  // namespace tamcarlo
