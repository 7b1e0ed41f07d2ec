"""A tamcarlo result file read into pandas and xarray: the summary, quantiles, risk, sensitivities, Sobol' indices
and Shapley effects, stresses, decisions and samples of a scenario or a suite.

Tables are read from the HDF5 file when first asked for; samples come as an xarray Dataset read lazily from the
file (named dimensions: sample, year, and case for stressed runs)."""
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np

from ._errors import RunError, UsageError
from . import _where


def _text(obj, name, default=""):
    v = obj.attrs.get(name, default)
    return v.decode() if isinstance(v, bytes) else str(v)


def _strings(ds):
    return [s.decode() if isinstance(s, bytes) else str(s) for s in ds[()]]


def _pct(p):
    return f"p{round(float(p) * 100):d}"


def _pandas():
    import pandas
    return pandas


def _stress_order(group):
    """The stressed cases in the scenario file's order (the report package's reading of it)."""
    if _where.REPORT_DIR not in sys.path:
        sys.path.append(_where.REPORT_DIR)
    from tamcarlo_report.reading import stress_order
    return stress_order(group)


def _check_result(path):
    """Refuses what is not a readable tamcarlo result, and a sealed result changed since it was written."""
    if not os.path.exists(path):
        raise UsageError(f"{path}: no such file")
    if not os.path.isfile(path):
        raise UsageError(f"{path} is not a regular file; open a result file that tamcarlo wrote (RESULT.h5)")
    if _where.REPORT_DIR not in sys.path:
        sys.path.append(_where.REPORT_DIR)
    from tamcarlo_report.cli import damaged, not_a_result  # the report package's own checks
    why = not_a_result(path)
    if why:
        raise UsageError(f"{path}: {why}")
    why = damaged(path)
    if why:
        raise RunError(f"{path} is damaged: {why}; run the scenario again")
    try:
        with h5py.File(path, "r") as f:
            if "format_version" not in f.attrs:
                raise UsageError(f"{path} is not a tamcarlo result file (no format_version attribute)")
            kind = _text(f, "kind", "scenario")
    except OSError as e:
        raise RunError(f"cannot read {path}: {e}") from e
    if kind == "part":
        raise UsageError(f"{path} is a shard's part or a checkpoint, not a result; merge the parts first "
                         "(tamcarlo merge)")
    return kind


class _Owned:
    """A temporary directory holding a result nobody asked to keep: removed with the last Result reading it."""

    def __init__(self, path):
        self.path = path

    def __del__(self):
        shutil.rmtree(self.path, ignore_errors=True)


class Result:
    """A scenario's or a suite's result file (or one run inside it: a stressed case, a suite's cell). `warnings`: from
    `run`, everything it warned of (lint, `set`, violated checks); from `open`, the scenario's lint the file stores."""

    def __init__(self, path, group="", owned=None, warnings=()):
        self.path = os.fspath(path)
        self.group = group.strip("/")
        self._owned = owned
        self.warnings = list(warnings)
        with h5py.File(self.path, "r") as f:
            g = f[self.group] if self.group else f
            self.kind = _text(f, "kind", "scenario") if not self.group else "scenario"
            self.format_version = int(f.attrs.get("format_version", 0))
            self.seed = int(g.attrs.get("seed", 0))
            self.n = int(g.attrs.get("samples", 0))
            if self.kind == "suite":
                self.name, self.title, self.unit = (_text(f, k) for k in ("suite_name", "suite_title", "suite_unit"))
                self.text = _text(f, "suite")
                self.cells = _strings(f["matrix/cell"]) if "matrix/cell" in f else []
                self.runs = list(f["runs"].keys()) if "runs" in f else []
                self.cases = []
            else:
                self.name, self.title, self.unit = (_text(g, k) for k in ("scenario_name", "scenario_title",
                                                                         "scenario_unit"))
                self.text = _text(g, "scenario")
                self.store = _text(g, "store")
                self.years = [int(y) for y in g.attrs.get("years", [])]
                self.cases = _stress_order(g)
                self.cells, self.runs = [], []
                if not self.warnings:  # a file opened: the scenario's lint as the run wrote it
                    self.warnings = [w.decode() if isinstance(w, bytes) else str(w) for w in g.attrs.get("warnings", [])]

    def __repr__(self):
        what = f"suite {self.name!r}, {len(self.cells)} cells" if self.kind == "suite" else f"scenario {self.name!r}"
        at = f" [{self.group}]" if self.group else ""
        return f"<tamcarlo.Result {what}{at}: {self.n:,} samples, seed {self.seed}, {self.path}>"

    # -- navigation --------------------------------------------------------------------------------------------
    def _at(self, sub):
        return f"{self.group}/{sub}" if self.group else sub

    def case(self, name):
        """The stressed case `name` (a [stress.<name>] set, or "set" for set=...) as a Result."""
        if name not in self.cases:
            raise KeyError(f"no stressed case {name!r}; this result has {self.cases or 'none'}")
        return Result(self.path, self._at(f"stress/{name}"), self._owned)

    def cell(self, name):
        """A suite's cell `name` as a Result (its own scenario's layout)."""
        if name not in self.cells:
            raise KeyError(f"no cell {name!r}; this suite has {self.cells}")
        return Result(self.path, f"cells/{name}", self._owned)

    def run(self, name):
        """A suite's run `name` (e.g. a projection) as a Result."""
        if name not in self.runs:
            raise KeyError(f"no run {name!r}; this suite has {self.runs}")
        return Result(self.path, f"runs/{name}", self._owned)

    def _open(self):
        f = h5py.File(self.path, "r")
        return f, (f[self.group] if self.group else f)

    def _each(self, needs=None):
        """(name, summary group) of every variable (holding `needs`, when given), the file open while iterating."""
        f, g = self._open()
        with f:
            for name, s in g["summary"].items():
                if needs is None or needs in s:
                    yield name, s

    # -- tables ------------------------------------------------------------------------------------------------
    @property
    def summary(self):
        """One row per variable (and year of a timed one), indexed by (variable, year; NaN when untimed): kind, unit,
        point, n, nonfinite, mean, mean_se, mean_ci_lo, mean_ci_hi, sd, min, max, p1 … p99 (where the run held the
        samples), heavy_tail, p_violated (checks and bounds), law and source, and no_finite_mean (why, "" for a mean
        that exists) where some variable's mean does not exist, no_finite_sd likewise for an sd, nonfinite_origin (where
        its first NaN or ±inf sample comes from, "" for none) where some variable has one, below_zero likewise (an
        amount that cannot be negative, some of whose samples are). A suite's summary is
        its matrix."""
        if self.kind == "suite":
            return self.matrix
        pd = _pandas()
        rows = []
        for name, s in self._each():
            base = {"variable": name, "kind": _text(s, "kind"), "unit": _text(s, "unit"),
                    "reported": bool(s.attrs.get("reported", 0)), "stored": bool(s.attrs.get("stored", 0))}
            tail = {"law": _text(s, "law"), "source": _text(s, "source")}
            for gap in ("no_finite_mean", "no_finite_sd", "nonfinite_origin", "below_zero"):  # a column where some has one
                if gap in s.attrs:
                    tail[gap] = _text(s, gap)
            probs = s["quantile_p"][()] if "quantile_p" in s else []
            if "year" in s:  # timed: per-year datasets
                years = s["year"][()]
                q = s["quantile"][()] if "quantile" in s else None
                for t, y in enumerate(years):
                    row = dict(base, year=float(y))
                    for k in STATS:
                        if k in s:
                            row[k] = float(s[k][t])
                    if q is not None:
                        row.update({_pct(p): float(q[t, i]) for i, p in enumerate(probs)})
                    rows.append(dict(row, **tail))
            else:
                row = dict(base, year=np.nan)
                for k in STATS:
                    if k in s.attrs:
                        row[k] = float(s.attrs[k])
                if "quantile" in s:
                    q = s["quantile"][()]
                    row.update({_pct(p): float(q[i]) for i, p in enumerate(probs)})
                rows.append(dict(row, **tail))
        df = pd.DataFrame(rows)
        for k in ("n", "nonfinite"):
            if k in df:
                df[k] = df[k].astype("int64")
        gaps = [g for g in ("no_finite_mean", "no_finite_sd", "nonfinite_origin", "below_zero") if g in df]
        last = ["law", "source"] + gaps
        for g in gaps:
            df[g] = df[g].fillna("")
        order = [c for c in df.columns if c not in last] + last
        return df[order].set_index(["variable", "year"])

    @property
    def prior(self):
        """A conditioned run's ([evidence]) prior beside the posterior that `summary` holds: one row per variable (and
        year) with a prior, indexed as `summary`: mean, mean_se, mean_ci_lo, mean_ci_hi, sd, min, max, p1 … p99 without
        the weights. Empty for an unconditioned run."""
        pd = _pandas()
        rows = []
        for name, s in self._each("prior"):
            p = s["prior"]
            probs = p["quantile_p"][()] if "quantile_p" in p else []
            years = p["year"][()] if "year" in p else [np.nan]
            for t, y in enumerate(years):
                row = {"variable": name, "year": float(y)}
                for k in ("mean", "mean_se", "mean_ci_lo", "mean_ci_hi", "sd", "min", "max"):
                    v = p[k][t] if k in p else p.attrs.get(k, np.nan)
                    row[k] = float(v)
                if "quantile" in p:
                    q = p["quantile"][()]
                    row.update({_pct(pr): float(q[t, i] if q.ndim == 2 else q[i]) for i, pr in enumerate(probs)})
                rows.append(row)
        if not rows:
            return pd.DataFrame(columns=["variable", "year"]).set_index(["variable", "year"])
        return pd.DataFrame(rows).set_index(["variable", "year"])

    @property
    def evidence(self):
        """A conditioned run's observed figures and weights, or None: a dict of `figures` (a DataFrame by figure:
        variable, year, kind, observed, sd, lo, hi, unit, source), `ess` (Kish's effective sample size), `samples`,
        `unjudged`, `too_few`, `samples_for_target_ess` and `mean_likelihood` (with `mean_likelihood_ci`)."""
        pd = _pandas()
        f, g = self._open()
        with f:
            if "evidence" not in g:
                return None
            e = g["evidence"]
            figures = pd.DataFrame({"figure": _strings(e["figure"]), "variable": _strings(e["variable"]),
                                    "year": e["year"][()], "kind": _strings(e["kind"]), "observed": e["observed"][()],
                                    "sd": e["sd"][()], "lo": e["lo"][()], "hi": e["hi"][()],
                                    "unit": _strings(e["unit"]), "source": _strings(e["source"])}).set_index("figure")
            a = e.attrs
            return {"figures": figures, "ess": float(a["ess"]), "samples": int(a["samples"]),
                    "unjudged": int(a["unjudged"]), "too_few": bool(a["too_few"]),
                    "samples_for_target_ess": int(a["samples_for_target_ess"]),
                    "mean_likelihood": float(a["mean_likelihood"]),
                    "mean_likelihood_ci": (float(a["mean_likelihood_lo"]), float(a["mean_likelihood_hi"]))}

    @property
    def quantiles(self):
        """Long form: (variable, year, p) → value, lo, hi (the 95% CI of each quantile, order statistics)."""
        pd = _pandas()
        rows = []
        for name, s in self._each("quantile"):
            probs = s["quantile_p"][()]
            q, lo, hi = s["quantile"][()], s["quantile_lo"][()], s["quantile_hi"][()]
            years = s["year"][()] if "year" in s else [np.nan]
            for t, y in enumerate(years):
                for i, p in enumerate(probs):
                    at = (t, i) if q.ndim == 2 else (i,)
                    rows.append((name, float(y), float(p), float(q[at]), float(lo[at]), float(hi[at])))
        return pd.DataFrame(rows, columns=["variable", "year", "p", "value", "lo", "hi"]).set_index(
            ["variable", "year", "p"])

    @property
    def risk(self):
        """Outputs with a [risk] entry: (output, level) → tail, var, var_lo, var_hi, cvar, cvar_se."""
        pd = _pandas()
        rows = []
        for name, s in self._each("risk"):
            k = s["risk"]
            for i, level in enumerate(k["level"][()]):
                rows.append((name, float(level), _text(k, "tail"), *(float(k[c][i]) for c in
                                                                     ("var", "var_lo", "var_hi", "cvar", "cvar_se"))))
        return pd.DataFrame(rows, columns=["output", "level", "tail", "var", "var_lo", "var_hi", "cvar",
                                           "cvar_se"]).set_index(["output", "level"])

    @property
    def probabilities(self):
        """The [risk] thresholds: (output, event, threshold) → p, lo, hi (95% Wilson interval); event is "below"
        or "at_least"."""
        pd = _pandas()
        rows = []
        for name, s in self._each("risk"):
            k = s["risk"]
            for event in ("below", "at_least"):
                for i, t in enumerate(k[f"{event}_threshold"][()]):
                    rows.append((name, event, float(t), *(float(k[f"p_{event}{x}"][i]) for x in ("", "_lo", "_hi"))))
        return pd.DataFrame(rows, columns=["output", "event", "threshold", "p", "lo", "hi"]).set_index(
            ["output", "event", "threshold"])

    @property
    def sensitivities(self):
        """Spearman rank correlation of each uncertain input with each reported formula: rows (output, year),
        columns the inputs."""
        pd = _pandas()
        frames = []
        for name, s in self._each("sensitivity"):
            inputs = _strings(s["sensitivity_input"])
            rho = np.atleast_2d(s["sensitivity"][()])
            years = s["year"][()] if "year" in s else [np.nan]
            idx = pd.MultiIndex.from_tuples([(name, float(y)) for y in years], names=["output", "year"])
            frames.append(pd.DataFrame(rho, index=idx, columns=inputs))
        return pd.concat(frames) if frames else pd.DataFrame()

    @property
    def swings(self):
        """The tornado in the output's unit: (output, year, input) → low, high, swing (= high − low), se."""
        pd = _pandas()
        rows = []
        for name, s in self._each("swing_low"):
            inputs = _strings(s["sensitivity_input"])
            low, high, se = (np.atleast_2d(s[k][()]) for k in ("swing_low", "swing_high", "swing_se"))
            years = s["year"][()] if "year" in s else [np.nan]
            for t, y in enumerate(years):
                for i, x in enumerate(inputs):
                    rows.append((name, float(y), x, low[t, i], high[t, i], high[t, i] - low[t, i], se[t, i]))
        return pd.DataFrame(rows, columns=["output", "year", "input", "low", "high", "swing", "se"]).set_index(
            ["output", "year", "input"])

    def _indices(self, sub, fields):
        pd = _pandas()
        rows = []
        for name, s in self._each(sub):
            x = s[sub]
            cols = [x[c][()] for c in fields]
            for i, inp in enumerate(_strings(x["input"])):
                rows.append((name, inp, *(float(c[i]) for c in cols)))
        return pd.DataFrame(rows, columns=["output", "input", *fields]).set_index(["output", "input"])

    @property
    def sobol(self):
        """With sobol=True: (output, input) → first, first_lo, first_hi, total, total_lo, total_hi (Sobol' indices;
        under correlated inputs they treat the inputs as independent: read `shapley`)."""
        return self._indices("sobol", ["first", "first_lo", "first_hi", "total", "total_lo", "total_hi"])

    @property
    def shapley(self):
        """With sobol=True on correlated inputs: (output, input) → effect, effect_lo, effect_hi, effect_se (they sum
        to 1 per output)."""
        return self._indices("shapley", ["effect", "effect_lo", "effect_hi", "effect_se"])

    @property
    def stresses(self):
        """The paired change of each held series under each stressed case: (case, series) → mean, mean_se
        (stressed − base, same samples)."""
        pd = _pandas()
        rows = []
        f, g = self._open()
        with f:
            for case in self.cases:
                d = g[f"stress/{case}/delta"]
                for i, series in enumerate(_strings(d["series"])):
                    rows.append((case, series, float(d["mean"][i]), float(d["mean_se"][i])))
        return pd.DataFrame(rows, columns=["case", "series", "mean", "mean_se"]).set_index(["case", "series"])

    @property
    def decision(self):
        """A [decision]'s value of information, or None: {"best", "unit", "evpi", "evpi_se", "options": DataFrame
        (mean, mean_se, p_best with CI), "evppi": DataFrame by question (inputs, group, evppi, se, bias, lo, hi),
        largest first}."""
        pd = _pandas()
        f, g = self._open()
        with f:
            if "decision" not in g:
                return None
            d = g["decision"]
            options = pd.DataFrame({"mean": d["option_mean"][()], "mean_se": d["option_mean_se"][()],
                                    "p_best": d["p_best"][()], "p_best_lo": d["p_best_lo"][()],
                                    "p_best_hi": d["p_best_hi"][()]}, index=pd.Index(_strings(d["option"]), name="option"))
            v, se, bias = d["evppi"][()], d["evppi_se"][()], d["evppi_bias"][()]
            evppi = pd.DataFrame({"inputs": _strings(d["question_inputs"]), "group": d["group"][()] > 0, "evppi": v,
                                  "se": se, "bias": bias, "lo": v - 1.959963984540054 * se - bias,
                                  "hi": v + 1.959963984540054 * se + bias},
                                 index=pd.Index(_strings(d["question"]), name="question"))
            return {"best": _text(d, "best"), "unit": _text(d, "unit"), "evpi": float(d.attrs["evpi"]),
                    "evpi_se": float(d.attrs["evpi_se"]), "options": options,
                    "evppi": evppi.sort_values("evppi", ascending=False)}

    @property
    def matrix(self):
        """A suite's ranked cells: cell → rank, section, title, year, market_mean, market_mean_se, market p1 … p99,
        share p1 … p99, and the stars."""
        pd = _pandas()
        with h5py.File(self.path, "r") as f:
            if "matrix" not in f:
                return pd.DataFrame()
            m = f["matrix"]
            cells = _strings(m["cell"])
            probs = m["quantile_p"][()]
            df = pd.DataFrame({"rank": np.arange(1, len(cells) + 1), "section": _strings(m["section"]),
                               "title": _strings(m["title"]), "year": m["year"][()],
                               "market_mean": m["market_mean"][()], "market_mean_se": m["market_mean_se"][()]},
                              index=pd.Index(cells, name="cell"))
            for what in ("market", "share"):
                q = m[f"{what}_quantile"][()]
                for i, p in enumerate(probs):
                    df[f"{what}_{_pct(p)}"] = q[:, i]
            stars = m["stars"][()]
            for j, r in enumerate(_strings(m["star_names"])):
                df[f"stars_{r}"] = stars[:, j]
            return df

    # -- samples -----------------------------------------------------------------------------------------------
    def _samples_of(self, group):
        """The xarray Dataset of samples/ in `group`: read lazily by h5netcdf (format 4), else built from h5py."""
        import xarray as xr
        where = f"{group}/samples" if group else "samples"
        if self.format_version >= 4:
            return xr.open_dataset(self.path, engine="h5netcdf", group=where)
        data = {}
        with h5py.File(self.path, "r") as f:
            for name, d in f[where].items():
                if d.attrs.get("CLASS") == b"DIMENSION_SCALE":
                    continue  # a dimension (format 4), not a series
                x = d[()]
                dims = () if x.ndim == 0 else ("sample",) if x.ndim == 1 else ("sample", "year")
                data[name] = (dims, x, {"unit": _text(d, "unit")})
            years = [int(y) for y in (f[group] if group else f).attrs.get("years", [])]
        return xr.Dataset(data, coords={"year": years} if years else None)

    @property
    def samples(self):
        """The stored samples as an xarray Dataset: one variable per stored series, dimensions sample (and year for
        a timed one); with stressed cases, a leading dimension case ("base", then each case). A suite gives its
        cells' joint market and share samples (sample, cell). Read lazily from the file, except that stacking the
        cases reads them."""
        import xarray as xr
        if self.kind == "suite":
            ds = xr.open_dataset(self.path, engine="h5netcdf", group="matrix")
            keep = [v for v in ("market", "share") if v in ds]
            if not keep:
                raise RunError(f"{self.path} holds no joint samples (run with store=\"report\" or \"all\")")
            return ds[keep]
        base = self._samples_of(self.group)
        with h5py.File(self.path, "r") as f:  # a conditioned run: each sample's weight, as a coordinate
            g = f[self.group] if self.group else f
            if "evidence" in g and "weight" in g["evidence"]:
                base = base.assign_coords(evidence_weight=("sample", g["evidence/weight"][()]))
        if not self.cases:
            return base
        parts = [base] + [self._samples_of(self._at(f"stress/{c}")) for c in self.cases]
        pd = _pandas()
        return xr.concat(parts, dim=pd.Index(["base"] + self.cases, name="case"), data_vars="all", coords="minimal",
                         compat="override")

    # -- files -------------------------------------------------------------------------------------------------
    def save(self, path, force=False):
        """Copies the result file (and its CSV, when there is one) to `path`; returns a Result reading the copy."""
        path = os.fspath(path)
        if os.path.exists(path) and not force:
            raise UsageError(f"{path} exists; pass force=True to replace it")
        shutil.copyfile(self.path, path + ".tmp")
        os.replace(path + ".tmp", path)
        csv = os.path.splitext(self.path)[0] + ".csv"
        if os.path.exists(csv):
            shutil.copyfile(csv, os.path.splitext(path)[0] + ".csv")
        return Result(path, self.group)

    def _package(self, module, args):
        env = dict(os.environ)
        env["PYTHONPATH"] = _where.REPORT_DIR + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        done = subprocess.run([sys.executable, "-m", module, self.path, *args], env=env, capture_output=True,
                              text=True)
        if done.returncode != 0:
            raise RunError(done.stderr.strip() or f"{module} exited with {done.returncode}", done.returncode)
        return done.stdout

    def report(self, directory=None, locale="en", png=False, svg=False, dpi=200):
        """Writes the report page (and, with `png`/`svg`, each chart as a file) as `tamcarlo report` does, to
        `directory` (default: beside the result); returns the path of its index.html."""
        args = ["--locale", locale, "--dpi", str(int(dpi))] + (["-o", os.fspath(directory)] if directory else []) + \
               (["--svg"] if svg else []) + (["--png"] if png else [])
        self._package("tamcarlo_report", args)
        out = os.fspath(directory) if directory else os.path.splitext(self.path)[0] + "-report"
        return os.path.join(out, "index.html")

    def export(self, to, path=None, force=False):
        """Writes the result as `to` (markdown, latex, xlsx or sip), as `tamcarlo export`; returns the file's path."""
        args = ["--to", to] + (["-o", os.fspath(path)] if path else []) + (["--force"] if force else [])
        out = self._package("tamcarlo_report.export", args)
        return os.fspath(path) if path else out.split(": ", 1)[0]


STATS = ("point", "n", "nonfinite", "ess", "mean", "mean_se", "mean_ci_lo", "mean_ci_hi", "sd", "min", "max", "skew_ratio",
         "heavy_tail", "p_violated", "p_violated_lo", "p_violated_hi")


def open(path):  # noqa: A001 (the module's verb, as tamcarlo.open)
    """Opens a result file that `tamcarlo run` (or tamcarlo.run) wrote; checks its seal as `tamcarlo report` does."""
    path = os.fspath(path)
    _check_result(path)
    return Result(path)
