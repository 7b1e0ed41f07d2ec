"""SIPmath export: a result's inputs as a SIPmath 3.0 library (each uncertain input a metalog, or a lookup table for
a discrete law, drawn through a Gaussian copula where the scenario correlates inputs) and its outputs as trials.

Metalogs (Keelin 2016) are fitted by least squares to the input's empirical quantiles at p = 0.005, 0.010, …, 0.995
from the run's stored samples, with the law's bounds where it has them (log metalog above a lower bound, logit
metalog between two); the number of terms is the smallest (2 to 16) whose quantile function is increasing and within
0.5% of the input's P1–P99 range everywhere on the grid, else the closest increasing one, and the error reached is
stated in the SIP's metadata (fitError). The copula's correlation matrix is that of the normal scores of the
correlated inputs' samples (the Gaussian copula they were drawn through, estimated). Outputs are written as trials:
inside the library as SIP_Array arrays (the first `TRIALS` samples) and, 2.0 style, as a CSV of trials beside it."""
import csv
import datetime
import json
import math
import os
import re
import tomllib

import numpy as np
from scipy import special

from .reading import Run, strings_attr, text_attr

TRIALS = 10_000          # trials per SIP (SIPmath libraries are read whole by spreadsheets)
GRID = np.arange(1, 200) / 200.0   # 0.005 … 0.995
TOLERANCE = 0.005        # of the P1–P99 range
MAX_TERMS = 16


def basis(y, k):
    """The k metalog basis functions at probabilities y (Keelin 2016, eq. 6), as columns."""
    L = np.log(y / (1 - y))
    c = y - 0.5
    cols = [np.ones_like(y), L, c * L, c]
    for j in range(5, k + 1):
        cols.append(c ** ((j - 1) // 2) if j % 2 == 1 else c ** (j // 2 - 1) * L)
    return np.column_stack(cols[:k])


def to_metalog_space(x, lower, upper):
    if lower is not None and upper is not None:
        return np.log((x - lower) / (upper - x))
    if lower is not None:
        return np.log(x - lower)
    return x


def from_metalog_space(m, lower, upper):
    if lower is not None and upper is not None:
        return (lower + upper * np.exp(m)) / (1 + np.exp(m))
    if lower is not None:
        return lower + np.exp(m)
    return m


def fit_metalog(samples, lower=None, upper=None):
    """(coefficients, max relative quantile error, terms) of the metalog fitted to `samples` (see the module)."""
    x = np.sort(samples[np.isfinite(samples)])
    q = np.quantile(x, GRID)
    span = float(np.quantile(x, 0.99) - np.quantile(x, 0.01)) or 1.0
    # A bound the samples touch (a pert's minimum drawn exactly) is moved out by a hair so the transform is finite.
    eps = 1e-9 * span
    lo = None if lower is None else min(lower, float(x[0]) - eps)
    hi = None if upper is None else max(upper, float(x[-1]) + eps)
    z = to_metalog_space(q, lo, hi)
    fine = np.linspace(0.001, 0.999, 999)
    best = None
    for k in range(2, MAX_TERMS + 1):
        a, *_ = np.linalg.lstsq(basis(GRID, k), z, rcond=None)
        if not np.all(np.diff(basis(fine, k) @ a) > 0):
            continue  # not a quantile function: its density would be negative somewhere
        err = float(np.max(np.abs(from_metalog_space(basis(GRID, k) @ a, lo, hi) - q)) / span)
        if best is None or err < best[1]:
            best = (a, err, k)
        if err <= TOLERANCE:
            break
    return best[0], best[1], best[2], lo, hi


LAW = re.compile(r"^\s*([a-z_]+)\((.*)\)\s*$")


def law_bounds(law):
    """(lower, upper) of a law as tamcarlo prints it ("pert(min=…, mode=…, max=…)"): None where unbounded."""
    m = LAW.match(law)
    if not m:
        return None, None
    family, args = m.group(1), dict(re.findall(r"(\w+)=([-+0-9.eE]+|inf|-inf)", m.group(2)))
    num = {k: float(v) for k, v in args.items()}
    if family == "beta":
        return 0.0, 1.0
    if family in ("lognormal", "gamma", "exponential", "weibull", "pareto"):
        return 0.0, None
    if family in ("uniform", "pert", "triangular"):
        return num.get("min"), num.get("max")
    return None, None


def is_discrete(law):
    m = LAW.match(law)
    return bool(m) and m.group(1) in ("bernoulli", "discrete", "poisson", "binomial")


def correlated_inputs(scenario_text):
    """The inputs the scenario's [correlations] names, in the order they first appear."""
    try:
        spec = tomllib.loads(scenario_text).get("correlations", {})
    except tomllib.TOMLDecodeError:
        return []
    names = []
    for row in spec.get("pairs", []):
        for n in row[:2]:
            if isinstance(n, str) and n not in names:
                names.append(n)
    for n in spec.get("inputs", []) if isinstance(spec.get("inputs"), list) else []:
        if n not in names:
            names.append(n)
    return names


def normal_scores(x):
    ranks = np.argsort(np.argsort(x, kind="stable"), kind="stable")
    return special.ndtri((ranks + 0.5) / len(x))


def library(f, result):
    """The SIPmath 3.0 library of the result `f` (a scenario's), and the trials of its outputs (name → array)."""
    run = Run(f, "")
    stored = set(run.stored_names())
    inputs, outputs, omitted = [], [], []
    for name in run.variables():
        s = run.summary[name]
        kind = text_attr(s, "kind")
        if kind == "input" and float(s.attrs.get("sd", 0)) > 0:
            (inputs if name in stored and run.stored[name].ndim == 1 else omitted).append(name)
        elif kind == "formula" and int(s.attrs.get("reported", 0)) and name in stored and run.stored[name].ndim == 1:
            outputs.append(name)
    correlated = [n for n in correlated_inputs(run.text) if n in inputs]
    seed = run.seed
    rng = []
    sips = []
    for i, name in enumerate(inputs, start=1):
        rng.append({"name": f"HDR{i}", "function": "HDR_2_0",
                    "arguments": {"counter": "PM_Index", "entity": seed % 100_000_000, "varId": i, "seed3": 0,
                                  "seed4": 0}})
    layers = {n: f"cl_{n}" for n in correlated}
    x_of = {n: run.stored[n][()] for n in inputs}
    for i, name in enumerate(inputs, start=1):
        s = run.summary[name]
        law = text_attr(s, "law")
        ref = ({"source": "copula", "name": "Gaussian", "copulaLayer": layers[name]} if name in layers else
               {"source": "rng", "name": f"HDR{i}"})
        x = x_of[name]
        meta = {"law": law, "source": text_attr(s, "source"), "unit": text_attr(s, "unit"),
                "mean": float(np.mean(x)), "min": float(np.min(x)), "max": float(np.max(x))}
        if is_discrete(law):
            values, counts = np.unique(x, return_counts=True)
            cum = np.cumsum(counts) / len(x)
            sips.append({"name": name, "ref": ref, "function": "Lookup_Table",
                         "arguments": {"value": [[float(c), float(v)] for c, v in zip(cum, values)]},
                         "metadata": dict(meta, fitError=0.0, fitNote="the law's own cumulative probabilities")})
            continue
        lower, upper = law_bounds(law)
        a, err, k, lo, hi = fit_metalog(x, lower, upper)
        arguments = {"aCoefficients": [float(c) for c in a]}
        if lo is not None:
            arguments["lowerBound"] = lo
        if hi is not None:
            arguments["upperBound"] = hi
        sips.append({"name": name, "ref": ref, "function": "Metalog_1_0", "arguments": arguments,
                     "metadata": dict(meta, terms=k, fitError=err,
                                      fitNote=(f"largest |metalog − empirical| quantile error at p = 0.005 … 0.995, "
                                               f"as a share of P1–P99 ({err:.2%})"))})
    n = min(run.samples, TRIALS)
    trials = {name: run.stored[name][:n] for name in outputs}
    for name in outputs:
        s = run.summary[name]
        sips.append({"name": name, "ref": {"source": "rng", "name": "index"}, "function": "SIP_Array",
                     "arguments": {"type": "array", "value": [float(v) for v in trials[name]]},
                     "metadata": {"formula": text_attr(s, "law"), "unit": text_attr(s, "unit"),
                                  "trials": n, "of": run.samples}})
    if outputs:
        rng.append({"name": "index", "function": "Index", "arguments": {"counter": "PM_Index"}})
    lib = {
        "name": run.title or run.name,
        "objectType": "sipLibrary",
        "libraryType": "SIPmath_3_0",
        "dateCreated": datetime.date.today().isoformat(),
        "provenance": f"tamcarlo export of {os.path.basename(result)} (scenario {run.name}, seed {seed}, "
                      f"{run.samples:,} samples)",
        "version": "1",
        "globalVariables": [],
        "U01": {"rng": rng, "copula": []},
        "sips": sips,
        "metadata": {"omitted": {n: "its samples are not in the result (run with --store all)" for n in omitted},
                     "reportOrder": strings_attr(f, "report_order")},
    }
    if correlated:
        z = np.column_stack([normal_scores(x_of[n]) for n in correlated])
        r = np.corrcoef(z, rowvar=False)
        lib["globalVariables"].append({"name": "correlationMatrix", "value": {
            "columns": correlated, "rows": correlated,
            "matrix": [{"row": a, "col": b, "value": float(r[i, j])}
                       for i, a in enumerate(correlated) for j, b in enumerate(correlated) if j >= i]}})
        lib["U01"]["copula"].append({
            "name": "Gaussian", "function": "GaussianCopula",
            "arguments": {"correlationMatrix": {"type": "globalVariables", "value": "correlationMatrix"},
                          "rng": [f"HDR{inputs.index(n) + 1}" for n in correlated]},
            "copulaLayer": [layers[n] for n in correlated]})
    return lib, trials, omitted


def write(f, path, result, mark):
    """Writes the library to `path` (its first line carries `mark`) and the outputs' trials, 2.0 style, to
    <path without .json>-trials.csv (PM_Index, then one column per output). Returns the CSV's path."""
    if text_attr(f, "kind", "scenario") != "scenario":
        raise ValueError("a SIPmath library is made from a scenario's result; export each cell of a suite from its "
                         "own run")
    lib, trials, omitted = library(f, result)
    if not lib["sips"]:
        raise ValueError("the result holds no samples of inputs or outputs; run with --store all")
    body = json.dumps(lib, ensure_ascii=False, indent=1)
    with open(path, "w", encoding="utf-8") as out:
        out.write('{"_comment": ' + json.dumps(f"{mark} (SIPmath 3.0)") + ",\n" + body[1:].lstrip("\n"))
    return lib, trials, omitted


def write_trials(csv_path, trials):
    names = list(trials)
    n = len(next(iter(trials.values()))) if names else 0
    with open(csv_path, "w", newline="", encoding="utf-8") as out:
        w = csv.writer(out)
        w.writerow(["PM_Index"] + names)
        for i in range(n):
            w.writerow([i + 1] + [repr(float(trials[k][i])) if math.isfinite(trials[k][i]) else "" for k in names])
