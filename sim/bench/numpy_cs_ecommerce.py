"""Benchmark baseline: the cs-ecommerce model in vectorized numpy (one thread).

  numpy_cs_ecommerce.py N SEED           the statistics tamcarlo reports for both outputs (moments, min, max,
                                         non-finite count, 9 percentiles)
  numpy_cs_ecommerce.py N SEED minimal   what a user would write: market's mean, sd and 3 percentiles
"""
import sys
import time

import numpy as np

n, seed = int(sys.argv[1]), int(sys.argv[2])
minimal = len(sys.argv) > 3 and sys.argv[3] == "minimal"
start = time.perf_counter()
rng = np.random.default_rng(seed)
staff = rng.triangular(20000, 22000, 26000, n)
retail = rng.normal(15.42e12, 0.3e12, n)
salary = rng.lognormal(np.log(75000), 0.15, n)
share = rng.beta(10, 10, n)
headcount = staff * retail / 8.712e11
market = headcount * salary * share
if minimal:
    stats = (market.mean(), market.std(ddof=1), np.percentile(market, [5, 50, 95]))
else:
    probs = [1, 5, 10, 25, 50, 75, 90, 95, 99]
    for x in (headcount, market):
        finite = x[np.isfinite(x)]
        stats = (finite.mean(), finite.std(ddof=1), finite.min(), finite.max(), x.size - finite.size,
                 np.percentile(finite, probs))
secs = time.perf_counter() - start
print(f"market mean {market.mean():.6g} p50 {np.percentile(market, 50):.6g}; {n / secs:.3g} samples/s")
