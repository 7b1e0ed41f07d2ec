// Internal to sim/lang: one [inputs] entry (a number, "LOW to HIGH", or a law's table) as an Input. Each law
// family is one entry of a table: its name, the parameter sets that define it, and its builder.
#pragma once
#include "sim/lang/scenario.hpp"
#include "sim/lang/toml_read.hpp"

#include <string>
#include <vector>

namespace tamcarlo::detail {

/// The keys every input table may hold besides its law's parameters.
extern const std::vector<std::string> k_common_keys;

/// One entry of an [inputs] table (number, "LOW to HIGH" or a distribution table).
[[nodiscard]] Input parse_input(const std::string& name, const toml::key& key, const toml::node& node, const FileLocator& ctx,
                                const std::string& section = "inputs");

/// The input `name` as `original` (its table as written) defines it, with the keys of `changes` replacing its own: a
/// parameter (`failed.p = 0.4`), or its source, point or note. Throws ScenarioError, at `where` under `key`, when the
/// input is not a law's table or a key is not one of the table's own.
[[nodiscard]] Input with_parameters(const std::string& name, const toml::node& original, const toml::table& changes,
                                    const toml::key& at, const FileLocator& ctx, const std::string& section);

/// Why `replacement` (a --set or a stress) cannot stand for `base`, with the form that does what was meant; "" when it
/// can: a value outside an event's or a count's support (--set failed=0.4 on a bernoulli), a law leaving the base's
/// bounds (kept unless the replacement gives its own), or a share replaced by values in [1, 100] (--set share=25).
[[nodiscard]] std::string replacement_problem(const Input& base, const Input& replacement);
/// A doubt about `replacement` worth a warning, "" when none: an input per year (unit "…/year") replaced by a law
/// whose median is about 1/12 of the input's (a monthly figure: --set salary=6250 on 75,000 CNY/year), or one per
/// month by about 12× its median; or any input with a unit replaced by about 10^−k of its median, k = 3, 4, 6, 8, 9,
/// 12 (a figure in thousands, 万, millions, 亿, billions or 万亿: --set salary=7.5).
[[nodiscard]] std::string replacement_warning(const Input& base, const Input& replacement);

/// Lint of one input: a missing source, a point outside its law's 1–99% range; `section` prefixes the key.
void lint_input(const Input& in, const std::string& section, std::vector<Warning>& out);
/// What an input's unit says of its values: nothing about scale, a fraction ("share", "fraction", "ratio",
/// "proportion", "1": values in [0, 1]) or a percentage ("%", "percent", "pct", "percentage": values ×100). A unit
/// is a label to the arithmetic: 25 with unit "%" multiplies as 25.
enum class FractionUnit { none, fraction, percent };
/// The FractionUnit of a unit text (case and surrounding spaces ignored).
[[nodiscard]] FractionUnit fraction_unit(const std::string& unit);
/// True when an input with no bounds or format, either unit-less and named like a fraction (a `_`-separated part
/// such as share, rate, adoption, probability) or with a fraction unit ("share"), has its law's P1–P99 [p1, p99] in
/// [1, 100]: likely a percentage typed as a number.
[[nodiscard]] bool looks_like_percent(const Input& in, double p1, double p99);
/// The `_`- or `.`-separated parts of `name`, lower-cased ("Market_Share.cn" → market, share, cn).
[[nodiscard]] std::vector<std::string> name_parts(const std::string& name);
/// True when a `_`- or `.`-separated part of `name` says a part of a whole (share, adoption, penetration, probability,
/// stake, churn, ...) and none says a quantity that may leave [0, 1] (growth, margin, rate, ratio, return, ...).
[[nodiscard]] bool named_like_part(const std::string& name);
/// Why a share (no bounds or format; named like a part of a whole, e.g. `market_share`, `adoption`, and not like
/// a change, e.g. `share_growth`, or in a fraction unit) whose law has its median in (0, 1) puts 0.1% or more of its
/// probability below 0 or above 1 is doubtful (a law on [0, 1] is meant); "" otherwise.
[[nodiscard]] std::string share_leaves_unit_interval(const Input& in);
/// What a unit says cannot be negative: "money" (a currency over anything: CNY, 万CNY/year, USD/person), "count" (a
/// counted thing: people, 万人, seats/year), or "" (no unit, a fraction or percentage, a time, points, an index).
[[nodiscard]] std::string amount_kind(const std::string& unit);
/// True when a part of `name` says an amount may be negative (net, profit, change, delta, gain, loss, flow, ...).
[[nodiscard]] bool named_signed(const std::string& name);
/// Why an amount (no bounds or format; a unit of money or of a counted thing, e.g. "CNY/year", "people", and a name
/// with no part that says it may be negative, e.g. net, profit, change) whose law has its median above 0 puts 0.1% or
/// more of its probability below 0 is doubtful (a law on [0, ∞) is meant); "" otherwise.
[[nodiscard]] std::string amount_goes_negative(const Input& in);
/// Why a lognormal whose sigma is a whole number from 5 to 100 (P95 over 3,700× its median) looks like a percentage
/// typed as a number (sigma = 15 for ±15%, which is 0.15); "" otherwise.
[[nodiscard]] std::string log_sd_as_percent(const Input& in);
/// Why a discrete law's weights, each below 1 (probabilities), summing to more than 0.02 away from 1 (and below 2)
/// are doubtful: normalized, they share the missing (or excess) probability out among the values; "" otherwise.
[[nodiscard]] std::string weights_not_summing(const Input& in);
/// Why `in`'s value (a constant's, or its law's point or median) looks like a figure its `source` writes with a scale
/// word, typed without it ("2万" in the source, 2 in the law, and no scale in its unit: 10⁴× too small); "" otherwise.
[[nodiscard]] std::string scale_dropped(const Input& in);
/// Why `in`'s value (in its unit's scale) looks like a figure its `source` writes with a scale word, read in another
/// scale: "132亿" (1.32e10) typed 1.32e11 (亿 read as a billion), "7.5万" typed 7500 (万 read as a thousand); the
/// figure with two significant digits or more, off by a power of ten from 10 to 10⁴ that makes it another scale
/// word's (10³, 10⁴, 10⁶, 10⁸, 10⁹, 10¹²); "" otherwise.
[[nodiscard]] std::string scale_misread(const Input& in);
/// Why `in`'s value (a constant's, or its law's point, median or bounded ends) looks like a percentage its `source`
/// writes ("30%", from 2 to 100) typed as a number, where its unit and format are not in percent (30 for 0.3: 100×
/// too large); "" otherwise.
[[nodiscard]] std::string percent_typed(const Input& in);
/// Why `in` already holds a fraction (its P1–P99 within [−1, 1], and a fraction by its format = "percent", its
/// fraction unit, its name like a share or rate, or its standard beta law): "has format = \"percent\" … and runs
/// 0.2–0.3 (P1–P99)"; "" when it does not (a count, a unit in percent, values beyond ±1).
[[nodiscard]] std::string fraction_why(const Input& in);

}  // namespace tamcarlo::detail
