#!/usr/bin/python3
"""The sweep that chose the heavy-tail mark's threshold (README, "Heavy tails"); not part of the test suite.

For 77 laws and sizes, 2,000 runs each: how often the normal 95% CI of the mean covers the true mean, and how
often skew_ratio = |sum (x - mean)^3| / (sum (x - mean)^2)^1.5 exceeds each candidate threshold. Prints, per
threshold, the mean and largest false-alarm rate over the cases that cover >= 93.5% and the mean and largest miss
rate over those that cover < 90%. Run: /usr/bin/python3 tests/heavy_tail_sweep.py (about four minutes)."""
import numpy as np

rng = np.random.default_rng(2)
RUNS = 2000


def run(draw, n, mean):
    covered, ratio = [], []
    per = max(1, min(RUNS, 4_000_000 // n))
    for start in range(0, RUNS, per):
        x = draw(min(per, RUNS - start), n)
        m = x.mean(1)
        d = x - m[:, None]
        m2, m3 = (d * d).sum(1), (d ** 3).sum(1)
        covered.append(np.abs(m - mean) <= 1.959964 * np.sqrt(m2 / (n - 1) / n))
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio.append(np.nan_to_num(np.abs(m3) / m2 ** 1.5, nan=0.0))
    return np.concatenate(covered).mean(), np.concatenate(ratio)


cases = []
for s in [0.5, 1, 1.25, 1.5, 1.75, 2, 2.5, 3]:
    for n in [100, 200, 1000, 10000, 100000]:
        cases.append((f"lognormal s={s}", n, lambda k, n, s=s: rng.lognormal(0, s, (k, n)), np.exp(s * s / 2)))
for n in [100, 200, 1000, 10000]:
    cases.append(("exponential", n, lambda k, n: rng.exponential(1, (k, n)), 1.0))
    cases.append(("-lognormal s=1.5", n, lambda k, n: -rng.lognormal(0, 1.5, (k, n)), -np.exp(1.125)))
    cases.append(("a*b+c", n, lambda k, n: rng.uniform(1, 3, (k, n)) * rng.lognormal(0, .5, (k, n))
                  + rng.normal(0, 1, (k, n)), 2 * np.exp(.125)))
    for a in [1.5, 2.0, 2.5, 3, 4]:
        cases.append((f"pareto a={a}", n, lambda k, n, a=a: rng.pareto(a, (k, n)) + 1, a / (a - 1)))
    for p in [.005, .02, .1]:
        cases.append((f"bernoulli {p}", n, lambda k, n, p=p: (rng.uniform(size=(k, n)) < p) * 1.0, p))

results = [(name, n, *run(draw, n, mean)) for name, n, draw, mean in cases]
for name, n, cov, ratio in results:
    print(f"{name:18s} n={n:6d}  covers {cov:.3f}  marked at 0.25: {np.mean(ratio > 0.25):.2f}")
for th in [0.15, 0.2, 0.25, 0.3, 0.35]:
    fa = [np.mean(r > th) for _, _, c, r in results if c >= 0.935]
    miss = [np.mean(r <= th) for _, _, c, r in results if c < 0.90]
    print(f"threshold {th}: false alarms mean {np.mean(fa):.3f} max {np.max(fa):.2f} over {len(fa)} cases; "
          f"misses mean {np.mean(miss):.3f} max {np.max(miss):.2f} over {len(miss)} cases")
