// models/venture.hpp: ownership, proceeds with a preference, MOIC/IRR/NPV on cash flows with known
// answers, and the reverse-stress functions.
#include "models/venture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

using namespace tamcarlo::models;

TEST_CASE("venture: IRR and NPV on cash flows with known answers", "[venture]") {
  // −100 now, +300 after 4 years: IRR = 3^(1/4) − 1 (the example), by both routes.
  const std::vector<double> t = {0, 4}, a = {-100, 300};
  const IrrResult r = irr(t, a);
  REQUIRE(r.status == IrrStatus::ok);
  CHECK(r.rate == Approx(std::pow(3.0, 0.25) - 1).epsilon(1e-10));
  CHECK(irr_single(3, 4) == Approx(std::pow(3.0, 0.25) - 1));
  CHECK(npv(r.rate, t, a) == Approx(0).margin(1e-8));
  // Irregular flows: −1000 at 0, +500 at 0.5, +700 at 2.25 years; NPV at 10% by hand.
  const std::vector<double> t2 = {0, 0.5, 2.25}, a2 = {-1000, 500, 700};
  const double hand = -1000 + 500 / std::pow(1.1, 0.5) + 700 / std::pow(1.1, 2.25);
  CHECK(npv(0.1, t2, a2) == Approx(hand));
  const IrrResult r2 = irr(t2, a2);
  REQUIRE(r2.status == IrrStatus::ok);
  CHECK(npv(r2.rate, t2, a2) == Approx(0).margin(1e-7));
  // A classic two-root case (−100, +230, −132 at years 0, 1, 2: roots 10% and 20%): the root nearest 0.
  const std::vector<double> t3 = {0, 1, 2}, a3 = {-100, 230, -132};
  CHECK(irr(t3, a3).rate == Approx(0.10).margin(1e-9));
  // Calendar years as times give the same IRR as years from now.
  CHECK(irr(std::vector<double>{2024, 2028}, a).rate == Approx(r.rate).epsilon(1e-10));
  // No IRR, said clearly rather than with garbage.
  CHECK(irr(t, std::vector<double>{100, 300}).status == IrrStatus::no_sign_change);
  const IrrResult lost = irr(t, std::vector<double>{-100, 0});
  CHECK(lost.status == IrrStatus::total_loss);
  CHECK(lost.rate == -1);
  CHECK(irr_single(0, 5) == -1);
  CHECK(std::isnan(irr_single(2, 0)));
  CHECK(npv_single(100, 300, 4, 0.2) == Approx(-100 + 300 / std::pow(1.2, 4)));
  CHECK(std::isnan(npv_single(100, 300, 4, -1)));
}

TEST_CASE("venture: the IRR of many portfolios zeroes their NPV to rounding, flows on one date netted", "[venture]") {
  // Portfolios like the library's (checks in 2023-2024, exits 3-10 years later, some at zero): the NPV at the IRR is
  // within 1e-12 of the discounted flows' absolute sum (rounding of an 8-term sum is about 1e-15 of it; the bisection
  // to 1e-12 in r this replaced left up to 1.4e-11).
  std::mt19937_64 gen(11);
  std::uniform_real_distribution<double> u(0, 1);
  int solved = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<double> t, a;
    for (int k = 0, h = 1 + static_cast<int>(u(gen) * 4); k < h; ++k) {
      const double start = 2023 + static_cast<int>(u(gen) * 2);
      t.push_back(start);
      a.push_back(-(1e7 + u(gen) * 2e8));
      t.push_back(start + 3 + u(gen) * 7);
      a.push_back(u(gen) < 0.35 ? 0 : std::exp(std::log(1e7) + u(gen) * 6));
    }
    const IrrResult r = irr(t, a);
    if (r.status != IrrStatus::ok) {
      CHECK(r.status == IrrStatus::total_loss);
      continue;
    }
    const double t0 = *std::min_element(t.begin(), t.end());
    double sum = 0, scale = 0;
    for (std::size_t k = 0; k < t.size(); ++k) {
      const double term = a[k] / std::pow(1 + r.rate, t[k] - t0);
      sum += term;
      scale += std::fabs(term);
    }
    CHECK(std::fabs(sum) <= 1e-12 * scale);
    ++solved;
  }
  CHECK(solved > 10000);
  // Flows on one date are one flow: −100 and +40 now, +90 in two years is −60 now, +90 then.
  CHECK(irr(std::vector<double>{0, 0, 2}, std::vector<double>{-100, 40, 90}).rate == Approx(std::sqrt(1.5) - 1).epsilon(1e-14));
  // More dates than the inline buffer holds (monthly flows for two years): −1000 now, then 24 coupons of 10 and the
  // 1000 back at month 24 (a 1%-a-month bond), in scrambled order: IRR = 1.01^12 − 1.
  std::vector<double> months, flows;
  for (int m = 24; m >= 0; --m) {
    months.push_back(m / 12.0);
    flows.push_back(m == 0 ? -1000 : m == 24 ? 1010 : 10);
  }
  CHECK(irr(months, flows).rate == Approx(std::pow(1.01, 12) - 1).epsilon(1e-12));
  // A check and a larger return on the same day: no rate zeroes the NPV.
  CHECK(irr(std::vector<double>{5, 5}, std::vector<double>{-100, 150}).status == IrrStatus::no_root);
}

TEST_CASE("venture: stake, preference and MOIC", "[venture]") {
  // Augment (R1 §1.1.2): 2.52亿 USD at 9.77亿 post-money = 25.8% before dilution.
  CHECK(stake_at_exit(2.52e8, 9.77e8, 0, 0) == Approx(0.25793));
  CHECK(stake_at_exit(100, 1000, 0.2, 2) == Approx(0.1 * 0.64));
  CHECK(std::isnan(stake_at_exit(100, 0, 0.2, 2)));
  CHECK(std::isnan(stake_at_exit(100, 1000, 1, 2)));
  // Non-participating 1× preference: the check back when the common share is worth less, never more than V.
  CHECK(exit_proceeds(0.1, 500, 100, 0) == 50);
  CHECK(exit_proceeds(0.1, 500, 100, 1) == 100);
  CHECK(exit_proceeds(0.1, 80, 100, 1) == 80);
  CHECK(exit_proceeds(0.1, 5000, 100, 1) == 500);
  CHECK(exit_proceeds(0.1, 0, 100, 1) == 0);
  // Proceeds never fall as the exit value rises.
  double last = 0;
  for (double v = 0; v <= 3000; v += 10) {
    const double p = exit_proceeds(0.1, v, 100, 1);
    CHECK(p >= last);
    last = p;
  }
  CHECK(moic(300, 100) == 3);
  CHECK(std::isnan(moic(300, 0)));
}

TEST_CASE("venture: required exit value and share invert the proceeds", "[venture]") {
  const double check = 100, stake = 0.05, multiple = 10, market = 1e5;
  for (const double target : {1.0, 3.0, 10.0}) {
    const double v = required_exit_value(target, check, stake, 0);
    CHECK(exit_proceeds(stake, v, check, 0) / check == Approx(target));
    const double share = required_share(target, check, stake, multiple, market, 0);
    CHECK(share * market * multiple == Approx(v));
  }
  // With the preference, 1× needs only an exit value equal to the check; 3× still needs conversion.
  CHECK(required_exit_value(1, check, stake, 1) == check);
  CHECK(exit_proceeds(stake, required_exit_value(1, check, stake, 1), check, 1) == Approx(check));
  CHECK(required_exit_value(3, check, stake, 1) == Approx(3 * check / stake));
  CHECK(std::isnan(required_share(3, check, stake, 0, market, 0)));
}
