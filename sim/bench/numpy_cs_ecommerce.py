"""Benchmark baseline: the cs-ecommerce model in vectorized numpy (one thread).

  numpy_cs_ecommerce.py N SEED           the statistics tamcarlo reports for both outputs (moments, min, max,
                                         non-finite count, 9 percentiles)
  numpy_cs_ecommerce.py N SEED minimal   what a user would write: market's mean, sd and 3 percentiles
  numpy_cs_ecommerce.py N SEED correlated  the minimal script with salary–share 0.3 and staff–retail 0.2 (Spearman)
                                         through a Gaussian copula, scipy's norm.cdf and the laws' ppf
"""
import sys
import time

import numpy as np

n, seed = int(sys.argv[1]), int(sys.argv[2])
mode = sys.argv[3] if len(sys.argv) > 3 else ""
minimal = mode in ("minimal", "correlated")
start = time.perf_counter()
rng = np.random.default_rng(seed)
if mode == "correlated":
    from scipy import stats as st

    def pair(rho):
        """Two uniforms whose normal scores are correlated 2 sin(pi rho / 6) (Spearman rho)."""
        r = 2 * np.sin(np.pi * rho / 6)
        z1, e = rng.standard_normal(n), rng.standard_normal(n)
        return st.norm.cdf(z1), st.norm.cdf(r * z1 + np.sqrt(1 - r * r) * e)

    u_salary, u_share = pair(0.3)
    u_staff, u_retail = pair(0.2)
    staff = st.triang.ppf(u_staff, 1 / 3, loc=20000, scale=6000)
    retail = st.norm.ppf(u_retail, 15.42e12, 0.3e12)
    salary = st.lognorm.ppf(u_salary, 0.15, scale=75000)
    share = st.beta.ppf(u_share, 10, 10)
else:
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
