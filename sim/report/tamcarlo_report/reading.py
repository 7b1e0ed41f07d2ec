"""Reading a tamcarlo result file: attributes, the runs it holds (the root, suite members, stressed cases)."""
import hashlib
import math
import re
import tomllib

import numpy as np

SEAL_BYTES = 512  # the HDF5 user block holding a result's SHA-256 seal (sim/io/seal.hpp)
SEAL_MAGIC = b"tamcarlo sealed HDF5\nsha256 "
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def seal_state(path):
    """("sealed", None), ("unsealed", None) for a file written before seals (the HDF5 signature at offset 0),
    ("foreign", None) for one that is neither sealed nor HDF5, or ("damaged", why): the SHA-256 of every byte after the first 512 must match the seal those bytes hold."""
    with open(path, "rb") as fh:
        head = fh.read(SEAL_BYTES)
        if head.startswith(HDF5_SIGNATURE):
            return "unsealed", None
        if not head.startswith(SEAL_MAGIC) and not (len(head) == SEAL_BYTES and fh.read(8) == HDF5_SIGNATURE):
            return "foreign", None
        fh.seek(SEAL_BYTES)
        if len(head) < SEAL_BYTES:
            return "damaged", "it is shorter than its seal (truncated)"
        digest = hashlib.sha256()
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    hexd = digest.hexdigest()
    if head == (SEAL_MAGIC + hexd.encode() + b"\n").ljust(SEAL_BYTES, b"\0"):
        return "sealed", None
    if not head.startswith(SEAL_MAGIC):
        return "damaged", "its first 512 bytes, which hold its SHA-256 seal, were changed"
    sealed = head[len(SEAL_MAGIC):len(SEAL_MAGIC) + 12].decode("ascii", "replace")
    return "damaged", (f"its content no longer matches its SHA-256 seal (sealed {sealed}…, now {hexd[:12]}…): it was "
                       "changed or truncated after tamcarlo wrote it")

def text_attr(obj, name, default=""):
    v = obj.attrs.get(name, default)
    return v.decode() if isinstance(v, bytes) else str(v)


def num_attr(obj, name, default=float("nan")):
    v = obj.attrs.get(name, default)
    try:
        return float(v)
    except (TypeError, ValueError):
        return default


def nonfinite_count(s):
    """A summary group's non-finite samples: its attribute, or the sum over a timed variable's years."""
    if "year" in s and "nonfinite" in s:
        return int(sum(s["nonfinite"][()]))
    return int(num_attr(s, "nonfinite", 0))


def strings_attr(obj, name):
    """A string-array attribute as a list of str ([] when absent)."""
    return [s.decode() if isinstance(s, bytes) else str(s) for s in obj.attrs.get(name, [])]


class QuantileColumns:
    """The quantile probabilities a summary stores (its `quantile_p`) and the columns of those the page shows."""

    def __init__(self, group):
        self.p = [float(x) for x in group["quantile_p"][()]]
        self.p5, self.p25, self.p50, self.p75, self.p95 = (self.column(x) for x in (0.05, 0.25, 0.5, 0.75, 0.95))

    def column(self, prob):
        return min(range(len(self.p)), key=lambda i: abs(self.p[i] - prob))


def stat_at(group, key, t, col=None):
    """Statistic `key` of a summary group (a dataset or an attribute) at year index t (a timed variable), column `col`
    of a quantile array when given."""
    a = group[key][()] if key in group else group.attrs.get(key, float("nan"))
    a = np.asarray(a)
    if col is not None:
        a = a[..., col]
    return float(a[t]) if a.ndim >= 1 and a.size > 1 else float(a)


def strings(ds):
    return [s.decode() if isinstance(s, bytes) else str(s) for s in ds[()]]


def evppi_order(d):
    """A decision group's questions by EVPPI, largest first (a NaN last), as the terminal ranks them."""
    v = d["evppi"][()]
    return sorted(range(len(v)), key=lambda i: -v[i] if math.isfinite(v[i]) else math.inf)


def stress_order(group):
    """The stressed cases of a run group in the scenario file's order (HDF5 lists groups alphabetically), then any
    not in the file (`set`, from --set)."""
    if "stress" not in group:
        return []
    names = list(group["stress"].keys())
    try:
        order = list(tomllib.loads(text_attr(group, "scenario")).get("stress", {}).keys())
    except (tomllib.TOMLDecodeError, AttributeError):
        order = []
    return [n for n in order if n in names] + [n for n in names if n not in order]


# A parameter's value: a number after "=", "[", "(" or ", " (not a count such as "discrete(4 values)").
_NUMBER = re.compile(r"(?:(?<==)|(?<=\[)|(?<=\()|(?<=, ))-?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\w.])(?! values)")


def law_for_people(law, locale="en"):
    """A law as the scenario language writes it (`pert(min=6.3e+06, mode=…)`) with its numbers in the shared number
    rule (`pert(min=6.30M, mode=…)`), for pages and tables; the file keeps the exact text."""
    from .number_format import format_number
    return _NUMBER.sub(lambda m: format_number(float(m.group(0)), "auto", locale), law)


def correlated_pairs(scenario_text):
    """The non-zero correlations of a scenario's [correlations] (pairs and matrix), as (a, b, Spearman ρ)."""
    try:
        spec = tomllib.loads(scenario_text).get("correlations", {})
    except tomllib.TOMLDecodeError:
        return []
    out = [(str(p[0]), str(p[1]), float(p[2])) for p in spec.get("pairs", []) if len(p) == 3 and float(p[2]) != 0]
    m = spec.get("matrix")
    if isinstance(m, dict):
        names, rho = m.get("inputs", []), m.get("rho", [])
        out += [(names[i], names[j], float(rho[i][j])) for i in range(len(names)) for j in range(i + 1, len(names))
                if i < len(rho) and j < len(rho[i]) and float(rho[i][j]) != 0]
    return out


def is_dimension(dataset):
    """True for a netCDF dimension or coordinate (an HDF5 dimension scale) rather than a variable's data."""
    cls = dataset.attrs.get("CLASS")
    return (cls.decode() if isinstance(cls, bytes) else cls) == "DIMENSION_SCALE"


class Run:
    """One scenario's run inside a file: the root, a suite member, or a stressed case."""

    def __init__(self, group, label):
        self.g = group
        self.label = label
        self.name = text_attr(group, "scenario_name")
        self.title = text_attr(group, "scenario_title")
        self.unit = text_attr(group, "scenario_unit")
        self.text = text_attr(group, "scenario")
        # The reported outputs in the scenario's order and the heavy-tail limit, as the run wrote them (files of
        # tamcarlo before 0.3 have neither: their outputs are listed by name and no mean is marked).
        self.order = strings_attr(group, "report_order")
        self.heavy_tail_skew = num_attr(group, "heavy_tail_skew")
        self.warnings = strings_attr(group, "warnings")  # the scenario's lint, as validate and run printed it
        self.seed = int(group.attrs.get("seed", 0))
        self.samples = int(group.attrs.get("samples", 0))
        self.summary = group["summary"] if "summary" in group else None
        self.stored = group["samples"] if "samples" in group else None
        # A replicated design (lhs, sobol) stores what a mean's SE is multiplied by for its 95% CI (Student's t over
        # its replicates); plain Monte Carlo stores nothing and uses z.
        self.design = text_attr(group, "design", "mc") or "mc"
        self.replicates = int(group.attrs.get("replicates", 0))
        self.ci = float(group.attrs.get("mean_ci_multiplier", 1.959963984540054))
        # A conditioned run ([evidence]): its figures, and each stored sample's weight (evidence/weight).
        self.evidence = group["evidence"] if "evidence" in group else None
        self._posterior_rows = None

    def variables(self):
        return [] if self.summary is None else list(self.summary.keys())

    def stored_names(self):
        """The variables whose samples the run stored (format 4 adds the timeline's `year` coordinate to samples/,
        a dimension scale, which is not one)."""
        if self.stored is None:
            return []
        return [v for v in self.stored if not is_dimension(self.stored[v])]

    def reported(self):
        """The reported outputs in the scenario's [outputs] order (the file lists groups alphabetically)."""
        present = [v for v in self.variables() if int(self.summary[v].attrs.get("reported", 0)) == 1]
        return [v for v in self.order if v in present] + [v for v in present if v not in self.order]

    def ci_beyond_samples(self, var):
        """("below", smallest sample) or ("above", largest) when the mean's 95% CI as stored reaches beyond the
        samples' own range (an untimed variable), else None."""
        s = self.summary[var]
        lo, hi, mn, mx = (num_attr(s, k) for k in ("mean_ci_lo", "mean_ci_hi", "min", "max"))
        if not all(math.isfinite(x) for x in (lo, hi, mn, mx)) or num_attr(s, "n", 0) < 2:
            return None
        return ("below", mn) if lo < mn else ("above", mx) if hi > mx else None

    def checks(self):
        """The [checks] conditions and formulas' bounds the run counted (summary groups of kind check or bounds)."""
        return [v for v in self.variables() if text_attr(self.summary[v], "kind") in ("check", "bounds")]

    def inputs(self):
        return [v for v in self.variables() if text_attr(self.summary[v], "kind") == "input"]

    def style(self, var):
        return text_attr(self.summary[var], "format", "auto") or "auto"

    def heavy_tailed(self, var):
        """(skew ratio, flag): |skewness|/sqrt(n) of `var` and whether the run marked its mean's CI (`heavy_tail`)."""
        s = self.summary[var]
        return num_attr(s, "skew_ratio"), num_attr(s, "heavy_tail", 0) == 1

    def constant(self, var):
        s = self.summary[var]
        return "year" not in s and num_attr(s, "min") == num_attr(s, "max")

    def posterior_rows(self):
        """A conditioned run's stored samples resampled by weight, as row indices in sample order (systematic
        resampling: the row whose cumulative weight covers each of n evenly spaced points; the same rows for every
        variable, so pairs stay pairs); None for an unconditioned run or one that stored no weights."""
        if self.evidence is None or "weight" not in self.evidence:
            return None
        if self._posterior_rows is None:
            wt = np.nan_to_num(self.evidence["weight"][()], nan=0.0)
            cum = np.cumsum(wt)
            n = len(wt)
            points = (np.arange(n) + 0.5) / n * cum[-1] if n and cum[-1] > 0 else np.array([])
            self._posterior_rows = np.minimum(np.searchsorted(cum, points, side="right"), max(n - 1, 0))
        return self._posterior_rows

    def rows(self, var, count=None):
        """The first `count` (all when None) stored samples of 1-D `var`: a conditioned run's resampled by weight
        (posterior_rows), so every chart and export drawn from them shows the posterior."""
        d = self.stored[var]
        idx = self.posterior_rows()
        if idx is None:
            return d[()] if count is None else d[:count]
        x = d[()]
        return x[idx] if count is None else x[idx[:count]]

    def samples_of(self, var):
        if self.stored is not None and var in self.stored and self.stored[var].ndim == 1:
            x = self.rows(var)
            return x[np.isfinite(x)]
        return None
