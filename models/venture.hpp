// Venture-investment building blocks: ownership through dilution, exit proceeds with a liquidation
// preference, returns (MOIC, IRR, NPV) and reverse stress (what share or market a target return
// needs). Pure functions; invalid arguments give NaN, which the engine counts as non-finite.
#pragma once
#include <span>

namespace tamcarlo::models {

/// Ownership at exit [0–1]: (check / post_money) × retention, retention = (1 − dilution)^rounds the
/// share kept through later rounds; check ≥ 0, post_money > 0, 0 ≤ dilution < 1, rounds ≥ 0.
[[nodiscard]] double stake_at_exit(double check, double post_money, double dilution, double rounds) noexcept;

/// Investor proceeds at an exit value V [currency]: stake × V; with pref ≠ 0 a 1× non-participating
/// preference, senior to common: max(stake × V, min(check, V)). V < 0 or stake outside [0, 1] → NaN.
[[nodiscard]] double exit_proceeds(double stake, double exit_value, double check, double pref) noexcept;

/// Multiple on invested capital: proceeds / check [×]; check > 0.
[[nodiscard]] double moic(double proceeds, double check) noexcept;

/// Annualized IRR of one investment returned once after `years` > 0: moic^(1/years) − 1 [1/year];
/// −1 (all lost) when moic = 0.
[[nodiscard]] double irr_single(double moic, double years) noexcept;

/// NPV at `rate` [1/year] of −check now and +proceeds after `years`: −check + proceeds / (1 + rate)^years [currency].
[[nodiscard]] double npv_single(double check, double proceeds, double years, double rate) noexcept;

/// NPV of cash flows amounts[k] at times[k] [years from now, any order] at `rate` > −1 [currency].
[[nodiscard]] double npv(double rate, std::span<const double> times, std::span<const double> amounts) noexcept;

/// Why an IRR has no value.
enum class IrrStatus { ok, no_sign_change, total_loss, no_root };

/// An IRR with its status; `rate` is meaningful when status is ok (and −1 for total_loss).
struct IrrResult {
  double rate = 0;
  IrrStatus status = IrrStatus::ok;
};

/// IRR of irregular cash flows (times in years): the rate r > −1 with NPV(r) = 0, to a few units in the last place
/// of log(1 + r) (safeguarded Newton). Flows on one date are netted; one sign change in time order has exactly one
/// root, bracketed directly; otherwise a grid scan finds the root nearest 0. Flows that never change sign have no IRR
/// (no_sign_change), nor do dated flows that net to one sign (no_root); outflows with all inflows zero are a total
/// loss (rate −1).
[[nodiscard]] IrrResult irr(std::span<const double> times, std::span<const double> amounts) noexcept;

/// Exit value [currency] a target multiple needs: target × check / stake; with pref ≠ 0 and
/// target ≤ 1 the preference returns the check once V ≥ target × check, so that is enough.
[[nodiscard]] double required_exit_value(double target_moic, double check, double stake, double pref) noexcept;

/// Market share [0–1+] needed at exit for a target multiple: required_exit_value / (revenue multiple × market).
[[nodiscard]] double required_share(double target_moic, double check, double stake, double revenue_multiple,
                                    double market, double pref) noexcept;

}  // namespace tamcarlo::models
