"""tamcarlo fit: maximum-likelihood fits of tamcarlo's laws to data, ranked by AIC, with goodness of fit.

For a column of a CSV file (or a variable of a result file), every law whose support holds the data is fitted by
maximum likelihood (scipy.stats; location fixed at 0 where tamcarlo's law has none). Each fit reports its parameters
in the scenario language's names with standard errors (the inverse of the observed information, a numerical Hessian
of the log-likelihood; the uniform's and loguniform's endpoints are the unbiased min − r/(n − 1), max + r/(n − 1),
r the range, with SE r/n, as order statistics have: their maximum-likelihood values, the sample's extremes, would win
AIC by giving everything outside the data probability 0), the
log-likelihood, AIC = 2k − 2 ln L, BIC = k ln n − 2 ln L, and the Kolmogorov–Smirnov and Anderson–Darling statistics.
Their p-values account for the fitted parameters by a parametric bootstrap: B samples of n drawn from the fitted
law, each refitted, p = (1 + #{T_b ≥ T}) / (B + 1); computed for the best three by AIC (the others show their
statistics). A metalog through the data's P5, P25, P50, P75 and P95 (the SIPmath way) is given beside the ranking.
Exit codes: 0; 1 for usage (no such file or column); 2 for data that cannot be fitted (non-numbers, too few)."""
import argparse
import csv
import json
import math
import os
import re
import sys

import numpy as np
from scipy import stats

from .number_format import format_number

USAGE, INVALID = 1, 2


class Refused(Exception):
    def __init__(self, message, code):
        super().__init__(message)
        self.code = code


def g(x):
    """A parameter as the scenario line writes it: 6 significant digits."""
    return float(f"{x:.6g}")


# Each law: its tamcarlo name, parameters, the support it needs, how scipy fits it and how to evaluate it.
class Law:
    def __init__(self, name, params, support, fit, frozen, discrete=False, regular=True):
        self.name, self.params, self.support, self._fit, self._frozen = name, params, support, fit, frozen
        self.discrete, self.regular = discrete, regular

    def fit(self, x):
        return dict(zip(self.params, self._fit(x)))

    def frozen(self, p):
        return self._frozen(*[p[k] for k in self.params])

    def loglik(self, x, p):
        d = self.frozen(p)
        v = d.logpmf(x) if self.discrete else d.logpdf(x)
        return float(np.sum(v))


def _widened(x):
    """The endpoints of a uniform law from its sample: min − r/(n − 1) and max + r/(n − 1), r the range (the unbiased
    estimates). The maximum-likelihood ones are the sample's own extremes, which give the data's edges probability 0
    outside, the likelihood a bonus it has not earned in AIC, and the AD statistic log 0."""
    lo, hi, n = float(np.min(x)), float(np.max(x)), len(x)
    pad = (hi - lo) / (n - 1)
    return lo - pad, hi + pad


def _positive(x):
    return np.all(x > 0)


def _unit(x):
    return np.all((x > 0) & (x < 1))


def _counts(x):
    return np.all(x >= 0) and np.all(x == np.floor(x))


LAWS = [
    Law("normal", ["mean", "sd"], lambda x: True, lambda x: stats.norm.fit(x), lambda m, s: stats.norm(m, s)),
    Law("lognormal", ["median", "sigma"], _positive,
        lambda x: (lambda s, loc, scale: (scale, s))(*stats.lognorm.fit(x, floc=0)),
        lambda med, s: stats.lognorm(s, scale=med)),
    Law("gamma", ["shape", "scale"], _positive,
        lambda x: (lambda a, loc, scale: (a, scale))(*stats.gamma.fit(x, floc=0)),
        lambda a, sc: stats.gamma(a, scale=sc)),
    Law("weibull", ["shape", "scale"], _positive,
        lambda x: (lambda c, loc, scale: (c, scale))(*stats.weibull_min.fit(x, floc=0)),
        lambda c, sc: stats.weibull_min(c, scale=sc)),
    Law("exponential", ["rate"], _positive, lambda x: (1.0 / np.mean(x),), lambda r: stats.expon(scale=1.0 / r)),
    Law("beta", ["alpha", "beta"], _unit,
        lambda x: (lambda a, b, loc, scale: (a, b))(*stats.beta.fit(x, floc=0, fscale=1)),
        lambda a, b: stats.beta(a, b)),
    Law("gumbel", ["location", "scale"], lambda x: True, lambda x: stats.gumbel_r.fit(x),
        lambda m, s: stats.gumbel_r(m, s)),
    Law("student_t", ["df", "location", "scale"], lambda x: True, lambda x: stats.t.fit(x),
        lambda df, m, s: stats.t(df, m, s)),
    Law("uniform", ["min", "max"], lambda x: True, lambda x: _widened(x),
        lambda a, b: stats.uniform(a, b - a), regular=False),
    Law("loguniform", ["min", "max"], _positive, lambda x: tuple(np.exp(_widened(np.log(x)))),
        lambda a, b: stats.loguniform(a, b), regular=False),
    Law("poisson", ["mean"], _counts, lambda x: (np.mean(x),), lambda m: stats.poisson(m), discrete=True),
]
BY_NAME = {law.name: law for law in LAWS}


def standard_errors(law, x, p):
    """The square roots of the diagonal of the inverse observed information (a central-difference Hessian of the
    log-likelihood in the scenario's parameters); for a non-regular law's endpoints, (max − min) / n."""
    n = len(x)
    if not law.regular:
        return {k: float((np.max(x) - np.min(x)) / n) for k in law.params}
    theta = np.array([p[k] for k in law.params], dtype=float)
    h = 1e-4 * np.maximum(np.abs(theta), 1e-3)

    def ll(t):
        return law.loglik(x, dict(zip(law.params, t)))

    k = len(theta)
    hess = np.zeros((k, k))
    for i in range(k):
        for j in range(i, k):
            ei, ej = np.eye(k)[i] * h[i], np.eye(k)[j] * h[j]
            v = (ll(theta + ei + ej) - ll(theta + ei - ej) - ll(theta - ei + ej) + ll(theta - ei - ej)) / (4 * h[i] * h[j])
            hess[i, j] = hess[j, i] = v
    try:
        cov = np.linalg.inv(-hess)
        se = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
    except np.linalg.LinAlgError:
        se = np.full(k, np.nan)
    return {name: float(s) for name, s in zip(law.params, se)}


def ks_ad(law, x_sorted, p):
    """(KS D, AD A²) of sorted data against the fitted law."""
    n = len(x_sorted)
    d = law.frozen(p)
    F = np.clip(d.cdf(x_sorted), 1e-300, 1 - 1e-16)
    i = np.arange(1, n + 1)
    if law.discrete:  # the distance to the step cdf at each jump, from both sides
        Fm = np.clip(d.cdf(x_sorted - 1), 0, 1)
        D = float(max(np.max(i / n - F), np.max(Fm - (i - 1) / n), 0.0))
    else:
        D = float(max(np.max(i / n - F), np.max(F - (i - 1) / n)))
    A2 = float(-n - np.sum((2 * i - 1) * (np.log(F) + np.log(1 - F[::-1]))) / n)
    return D, A2


def bootstrap(law, p, n, D, A2, B, rng):
    """Parametric-bootstrap p-values of D and A² (refitting each replicate)."""
    d = law.frozen(p)
    hits_d = hits_a = 0
    done = 0
    for _ in range(B):
        y = np.sort(d.rvs(size=n, random_state=rng).astype(float))
        if not law.support(y):
            continue
        try:
            q = law.fit(y)
            db, ab = ks_ad(law, y, q)
        except (ValueError, FloatingPointError, RuntimeError):
            continue
        done += 1
        hits_d += db >= D
        hits_a += ab >= A2
    return (1 + hits_d) / (1 + done), (1 + hits_a) / (1 + done), done


def metalog_line(x):
    """The metalog through the data's P5, P25, P50, P75, P95 (with lower = 0 for positive data), or None when those
    five points give no rising quantile function."""
    probs = [0.05, 0.25, 0.5, 0.75, 0.95]
    q = np.quantile(x, probs)
    if not np.all(np.diff(q) > 0):
        return None
    lower = 0.0 if np.all(x > 0) else None
    z = np.log(q - lower) if lower is not None else q
    y = np.array(probs)
    L = np.log(y / (1 - y))
    c = y - 0.5
    basis = np.column_stack([np.ones(5), L, c * L, c, c * c])
    a = np.linalg.solve(basis, z)
    fine = np.linspace(0.001, 0.999, 999)
    Lf, cf = np.log(fine / (1 - fine)), fine - 0.5
    m = np.column_stack([np.ones_like(fine), Lf, cf * Lf, cf, cf * cf]) @ a
    if not np.all(np.diff(m) > 0):
        return None
    qf = lower + np.exp(m) if lower is not None else m
    xs = np.sort(x)
    F = np.interp(xs, qf, fine, left=0.0, right=1.0)
    i = np.arange(1, len(xs) + 1)
    D = float(max(np.max(i / len(xs) - F), np.max(F - (i - 1) / len(xs))))
    keys = {f"p{round(p * 100)}": g(v) for p, v in zip(probs, q)}
    if lower is not None:
        keys["lower"] = 0
    return {"quantiles": keys, "ks": D}


def identifier(name):
    s = re.sub(r"[^A-Za-z0-9_]", "_", name).strip("_") or "fitted"
    return "x_" + s if s[0].isdigit() else s


def toml_line(name, family, params, source):
    body = ", ".join(f"{k} = {g(v)!r}" for k, v in params.items())
    return f'{identifier(name)} = {{ dist = "{family}", {body}, source = {json.dumps(source, ensure_ascii=False)} }}'


def read_csv(path, column):
    """(values, column name, rows skipped as empty) of a CSV column; refuses what is not numbers, by row and column."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except UnicodeDecodeError as e:
        raise Refused(f"{path} is not UTF-8 text (a CSV file): {e}", INVALID) from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise Refused(f"{path} is empty; a CSV file with a header row and a column of numbers is needed", INVALID)
    header = [h.strip() for h in rows[0]]
    body = rows[1:]

    def numeric(j):
        return any(len(r) > j and r[j].strip() for r in body) and all(
            _number(r[j]) is not None for r in body if len(r) > j and r[j].strip())

    if column is None:
        numbers = [h for j, h in enumerate(header) if numeric(j)]
        if len(numbers) != 1:
            raise Refused(f"{path} has {len(header)} columns ({', '.join(header)}); "
                          f"{'none holds only numbers' if not numbers else 'several hold numbers: ' + ', '.join(numbers)}"
                          "; name one with --column", USAGE)
        column = numbers[0]
    if column not in header:
        raise Refused(f"{path} has no column `{column}`; its columns are: {', '.join(header)}", USAGE)
    j = header.index(column)
    values, empty = [], 0
    for r, row in enumerate(body, start=2):
        cell = row[j].strip() if len(row) > j else ""
        if not cell:
            empty += 1
            continue
        v = _number(cell)
        if v is None or not math.isfinite(v):
            raise Refused(f"{path}:{r}:{j + 1}: column `{column}` holds `{cell}`, which is not a finite number; "
                          "fix or remove that cell", INVALID)
        values.append(v)
    if not values:
        raise Refused(f"{path}: column `{column}` holds no numbers ({empty} empty cells)", INVALID)
    return np.array(values), column, empty


def _number(cell):
    try:
        return float(cell.strip().replace(",", "")) if re.fullmatch(r"\s*[-+0-9.eE,]+\s*|\s*[-+]?(inf|nan)\s*",
                                                                      cell, re.I) else None
    except ValueError:
        return None


def read_result(path, variable, year):
    import h5py
    with h5py.File(path, "r") as f:
        s = f.get("samples")
        if s is None or variable not in s or s[variable].attrs.get("CLASS") == b"DIMENSION_SCALE":
            held = [] if s is None else [k for k in s if s[k].attrs.get("CLASS") != b"DIMENSION_SCALE"]
            raise Refused(f"{path} holds no samples of `{variable}`; it holds: {', '.join(held) or 'none'} (run with "
                          "--store all to keep every variable's samples)", USAGE)
        d = s[variable]
        if d.ndim == 2:
            years = list(d.attrs.get("years", []))
            if year is None or year not in years:
                raise Refused(f"`{variable}` is timed ({years[0]}–{years[-1]}); give --year", USAGE)
            x = d[:, years.index(year)]
        else:
            x = np.atleast_1d(d[()])
    x = x[np.isfinite(x)]
    return x


def fit_all(x, families, B, seed, gof_limit=10_000):
    """The ranking: every family in `families` that can describe x, fitted, best AIC first."""
    n = len(x)
    rng = np.random.default_rng(seed)
    xs = np.sort(x)
    # GOF statistics and their bootstrap on at most gof_limit observations (an even thinning of the sorted data).
    gx = xs if n <= gof_limit else xs[np.linspace(0, n - 1, gof_limit).round().astype(int)]
    out, skipped = [], {}
    for name in families:
        law = BY_NAME[name]
        if not law.support(x):
            skipped[name] = "the data leave its support"
            continue
        if n <= len(law.params):
            skipped[name] = f"needs more than {len(law.params)} observations"
            continue
        if np.ptp(x) == 0:
            skipped[name] = "the data are all equal"
            continue
        try:
            p = law.fit(x)
            ll = law.loglik(x, p)
        except (ValueError, RuntimeError, FloatingPointError) as e:
            skipped[name] = f"the fit failed ({e})"
            continue
        if not math.isfinite(ll):
            skipped[name] = "the likelihood is zero at its fit"
            continue
        k = len(law.params)
        D, A2 = ks_ad(law, gx, p)
        out.append({"family": name, "params": {a: float(v) for a, v in p.items()}, "se": standard_errors(law, x, p),
                    "loglik": ll, "k": k, "aic": 2 * k - 2 * ll, "bic": k * math.log(n) - 2 * ll,
                    "ks": {"stat": D, "p": None}, "ad": {"stat": A2, "p": None}})
    out.sort(key=lambda r: r["aic"])
    for r in out:
        r["delta_aic"] = r["aic"] - out[0]["aic"]
    for r in out[:3]:
        if B > 0:
            law = BY_NAME[r["family"]]
            pd_, pa, done = bootstrap(law, r["params"], len(gx), r["ks"]["stat"], r["ad"]["stat"], B, rng)
            r["ks"]["p"], r["ad"]["p"], r["bootstrap"] = pd_, pa, done
    return out, skipped


def print_table(res, out=sys.stdout):
    w = out.write
    empty = f" ({res['empty']} empty cells skipped)" if res.get("empty") else ""
    w(f"{res['data']}{' column ' + res['column'] if res.get('column') else ''}: n = {res['n']:,}{empty}; "
      f"mean {format_number(res['mean'])}, sd {format_number(res['sd'])}, min {format_number(res['min'])}, "
      f"max {format_number(res['max'])}\n\n")
    w(f" {'rank':>4}  {'law':<12} {'parameters (± SE)':<52} {'ΔAIC':>8} {'BIC':>10} {'KS D (p)':>16} {'AD A² (p)':>16}\n")
    for i, r in enumerate(res["families"], start=1):
        params = ", ".join(f"{k} {format_number(v)} ± {format_number(r['se'][k])}" for k, v in r["params"].items())
        ksp = "" if r["ks"]["p"] is None else f" ({r['ks']['p']:.3f})"
        adp = "" if r["ad"]["p"] is None else f" ({r['ad']['p']:.3f})"
        w(f" {i:>4}  {r['family']:<12} {params:<52} {r['delta_aic']:>8.2f} {r['bic']:>10.1f} "
          f"{r['ks']['stat']:>8.4f}{ksp:>8} {r['ad']['stat']:>8.3f}{adp:>8}\n")
    for name, why in res["skipped"].items():
        w(f"       {name:<12} not fitted: {why}\n")
    if res["families"]:
        close = [r["family"] for r in res["families"][1:] if r["delta_aic"] < 2]
        w("\n p-values: parametric bootstrap of "
          f"{res['bootstrap']} refits (best three); small p = the law does not describe the data.\n")
        if res.get("thinned"):
            w(f" KS and AD on an even thinning of {res['thinned']:,} of the sorted observations.\n")
        if close:
            w(f" ΔAIC < 2: {', '.join(close)} fit about as well as {res['best']} (the data cannot tell them apart).\n")
        w(f"\n best by AIC, as a scenario line:\n {res['line']}\n")
    if res.get("metalog"):
        m = res["metalog"]
        keys = ", ".join(f"{k} = {v!r}" for k, v in m["quantiles"].items())
        w(f"\n a metalog through the data's quantiles (KS D {m['ks']:.4f}):\n "
          f"{identifier(res['column'] or 'fitted')} = {{ dist = \"metalog\", {keys}, source = "
          f"{json.dumps(res['metalog_source'], ensure_ascii=False)} }}\n")


def qq_plot(res, x, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    best = res["families"][0]
    law = BY_NAME[best["family"]]
    xs = np.sort(x)
    pp = (np.arange(1, len(xs) + 1) - 0.5) / len(xs)
    q = law.frozen(best["params"]).ppf(pp)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot(q, xs, ".", ms=3)
    lo, hi = float(min(q.min(), xs.min())), float(max(q.max(), xs.max()))
    ax.plot([lo, hi], [lo, hi], "k-", lw=0.8)
    ax.set_xlabel(f"{best['family']} quantile (fitted)")
    ax.set_ylabel("data")
    ax.set_title(f"Q-Q: {res['column'] or res['data']} against the fitted {best['family']}")
    fig.tight_layout()
    tmp = path + ".tmp"
    fig.savefig(tmp, dpi=150, format=os.path.splitext(path)[1].lstrip(".") or "png")
    os.replace(tmp, path)


def main(argv=None):
    p = argparse.ArgumentParser(prog="tamcarlo fit", description=__doc__.split("\n")[0])
    p.add_argument("data")
    p.add_argument("--column")
    p.add_argument("--variable")
    p.add_argument("--year", type=int)
    p.add_argument("--families")
    p.add_argument("--bootstrap", type=int, default=199)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true")
    p.add_argument("--plot")
    a = p.parse_args(argv)
    try:
        families = [f.strip() for f in a.families.split(",")] if a.families else [law.name for law in LAWS]
        unknown = [f for f in families if f not in BY_NAME]
        if unknown:
            raise Refused(f"--families: {', '.join(unknown)} not known; tamcarlo fits {', '.join(BY_NAME)}", USAGE)
        if a.bootstrap < 0:
            raise Refused("--bootstrap: a count of refits, 0 or more", USAGE)
        if not os.path.isfile(a.data):
            raise Refused(f"{a.data}: no such file", USAGE)
        is_result = a.data.endswith(".h5")
        if is_result:
            if not a.variable:
                raise Refused(f"{a.data} is a result file; name the variable to fit with --variable", USAGE)
            x, empty, column = read_result(a.data, a.variable, a.year), 0, a.variable
            source = f"fit to {os.path.basename(a.data)} variable {a.variable}" + (f" {a.year}" if a.year else "")
        else:
            if a.variable:
                raise Refused("--variable names a result file's variable; for a CSV file use --column", USAGE)
            x, column, empty = read_csv(a.data, a.column)
            source = f"fit to {os.path.basename(a.data)} column {column}"
        if len(x) < 2:
            raise Refused(f"{a.data}: {len(x)} observation; a fit needs at least 2 (and more than a law's "
                          "parameters)", INVALID)
        ranking, skipped = fit_all(x, families, a.bootstrap, a.seed)
        res = {"data": a.data, "column": column, "n": len(x), "empty": empty, "mean": float(np.mean(x)),
               "sd": float(np.std(x, ddof=1)), "min": float(np.min(x)), "max": float(np.max(x)),
               "families": ranking, "skipped": skipped, "bootstrap": a.bootstrap,
               "thinned": 10_000 if len(x) > 10_000 else 0}
        if not ranking:
            raise Refused(f"{a.data}: no law could be fitted ({'; '.join(f'{k}: {v}' for k, v in skipped.items())})",
                          INVALID)
        best = ranking[0]
        res["best"] = best["family"]
        res["source"] = (f"{source} (n = {len(x)}): maximum likelihood, AIC-best of {len(ranking)}; "
                         f"KS p = {best['ks']['p']:.2f}" if best["ks"]["p"] is not None else
                         f"{source} (n = {len(x)}): maximum likelihood, AIC-best of {len(ranking)}")
        res["line"] = toml_line(column, best["family"], best["params"], res["source"])
        res["metalog"] = metalog_line(x)
        res["metalog_source"] = f"{source} (n = {len(x)}): metalog through its P5, P25, P50, P75, P95"
        if a.plot:
            qq_plot(res, x, a.plot)
        if a.json:
            json.dump(res, sys.stdout, ensure_ascii=False, indent=1)
            sys.stdout.write("\n")
        else:
            print_table(res)
            if a.plot:
                sys.stdout.write(f"\n Q-Q chart: {a.plot}\n")
        return 0
    except Refused as e:
        sys.stderr.write(f"tamcarlo fit: error: {e}\n")
        return e.code
    except KeyboardInterrupt:
        sys.stderr.write("tamcarlo fit: interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
