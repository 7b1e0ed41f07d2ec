"""The report's charts: for each, a spec the page draws in the browser (page.js, with Chart.js) from the numbers it
holds, and with --png/--svg the same chart as a file (matplotlib) for a memo."""
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .reading import QuantileColumns, num_attr, strings, text_attr  # noqa: E402
from .words import say  # noqa: E402

CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
BLUE, ORANGE, GREY, RED, GREEN = "#1f5f99", "#d9730d", "#6b6b6b", "#b22222", "#2e7d32"
PURPLE = "#6a3d9a"  # point masses
LIGHT = "#c8c8c8"  # a bar that is noise
# Colors of the further cases on one chart (stressed cases after the base), in the scenario file's order.
CASE_COLORS = [ORANGE, GREEN, RED, "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"]
# The probabilities at which the page holds each distribution function (the quantile function at fine resolution):
# hovering or typing a value reads P(X < a) from it, and the page stays small whatever N is.
CDF_P = np.concatenate([[0.0005, 0.001, 0.0025], np.linspace(0.005, 0.995, 199), [0.9975, 0.999, 0.9995]])
HIST_BINS = 80


def use_cjk_font():
    """Chinese glyphs (万/亿, zh labels) in charts, where Debian's WenQuanYi font is installed."""
    from matplotlib import font_manager
    if os.path.exists(CJK_FONT):
        font_manager.fontManager.addfont(CJK_FONT)
        plt.rcParams["font.family"] = ["DejaVu Sans", "WenQuanYi Micro Hei"]  # fallback for CJK glyphs


def compact(values, digits=6):
    """Numbers for the page's data, to `digits` significant digits (None for a value that is not finite)."""
    return [float(f"{v:.{digits}g}") if math.isfinite(v) else None for v in np.asarray(values, dtype=float).tolist()]


class Charts:
    """Records each chart's spec (what the page draws, and data.json) and, when `files` holds "png" and/or "svg",
    draws it with matplotlib into those files. With share = (k, n), this process writes only every n-th chart's
    files from the k-th: n processes running the same build write every file once between them."""

    def __init__(self, outdir, words, dpi, files=("png",), share=(0, 1)):
        self.outdir = outdir
        self.w = words
        self.dpi = dpi
        self.formats = tuple(files)
        self.share = share
        self.files = []  # (chart name, caption)
        self.data = {}   # chart name → spec
        self.tty = sys.stderr.isatty() and share[0] == 0

    @property
    def draws(self):
        """True when this process draws the next chart's files (matplotlib); False: the spec alone is recorded."""
        k, n = self.share
        return bool(self.formats) and len(self.files) % n == k

    def save(self, fig, name, caption, spec, layout=True):
        """Records the chart `name` (its file stem plus .png) with its spec, writing `fig` (None when not drawn)."""
        if fig is not None:
            if layout:
                fig.tight_layout()
            if "png" in self.formats:
                # zlib level 2: about a tenth of the report's time saved for 9% larger files than the default 6
                fig.savefig(os.path.join(self.outdir, name), dpi=self.dpi, pil_kwargs={"compress_level": 2})
            if "svg" in self.formats:
                fig.savefig(os.path.join(self.outdir, name[:-4] + ".svg"))
            plt.close(fig)
        spec["caption"] = caption
        self.files.append((name, caption))
        self.data[name] = spec
        if self.tty:
            say(f"chart {len(self.files)}: {caption[:70]}\033[K", end="\r")
        return name

    def unit_label(self, var, unit):
        return f"{var} [{self.w.unit(unit)}]" if unit else var


def slug(*parts):
    return "__".join(p.replace("/", "_").replace(".", "_").replace(" ", "_") for p in parts if p)


def plotted_range(q, x):
    """P1..P99 with 5% margins, but never beyond the data (a MOIC chart starts at its minimum, 0, not at −1)."""
    lo, hi = q[0], q[-1]
    width = hi - lo if hi > lo else max(abs(lo), 1.0)
    lo2, hi2 = lo - 0.05 * width, hi + 0.05 * width
    if x is not None and len(x):
        lo2, hi2 = max(lo2, float(x.min())), min(hi2, float(x.max()))
        if hi2 <= lo2:
            hi2 = lo2 + width
    return lo2, hi2


def shape_of(x):
    """How to draw samples `x`: (atoms, rest, log_x). Atoms are values that hold at least 1% of the samples each (a
    MOIC of 0 when the company fails, a capped outcome), drawn as point masses rather than merged into a bin; a
    variable with at most 20 distinct values is all atoms. The rest is drawn as a histogram, on a log axis when it is
    positive and spans two decades or more between its P1 and P99 (a heavy right tail, where a linear axis shows one
    bar and a line)."""
    x = np.sort(x)  # once: the distinct values, the rest and its quantiles then come from the sorted samples
    n = len(x)
    starts = np.flatnonzero(np.r_[True, x[1:] != x[:-1]]) if n else np.zeros(0, dtype=np.int64)
    values, counts = x[starts], np.diff(np.r_[starts, n])  # np.unique(x, return_counts=True)
    if len(values) <= 20:
        return [(float(v), c / n) for v, c in zip(values, counts)], x[:0], False
    heavy = counts >= 0.01 * n
    atoms = [(float(v), c / n) for v, c in zip(values[heavy], counts[heavy])]
    rest = x[np.repeat(~heavy, counts)] if atoms else x  # sorted, as x
    log_x = False
    if len(rest) > 100 and rest.min() > 0:
        p1, p99 = np.quantile(rest, [0.01, 0.99])
        log_x = p99 >= 100 * p1
    return atoms, rest, log_x


def symlog_width(rest):
    """The linear width c of an asinh axis (x ↦ asinh(x / c): linear within ±c, logarithmic beyond) for samples a
    linear axis shows as one bar and a line: a tail so long that P1–P99 spans three times P5–P95 or more (a normal's
    spans 1.4 times, a lognormal's with σ = 1 twice), and that a log axis cannot show (values ≤ 0, or under two
    decades). c is the interquartile range, so that the body stays linear. None: a linear axis serves."""
    if len(rest) < 100:
        return None
    p1, p5, p25, p75, p95, p99 = np.quantile(rest, [0.01, 0.05, 0.25, 0.75, 0.95, 0.99])
    if p95 <= p5 or p75 <= p25 or p99 - p1 < 3 * (p95 - p5):
        return None
    return float(p75 - p25)


def binning(samples, in_view=None):
    """One axis for one or several cases' samples: (atoms per case, rest per case, log_x, lo, hi, bin edges, symlog).
    The axis is logarithmic when the rest of the cases in view together ask for it as shape_of asks of one (positive,
    P99 two decades or more above P1: a stressed case with a heavy tail beside a narrow base shows both), else an
    asinh axis of width `symlog` when the base case's tail asks for it (symlog_width), else linear; its range holds
    the first `in_view` cases (default all: the others, hidden at first, are clipped to it); edges are None when every
    case is discrete."""
    shapes = [shape_of(x) for x in samples]
    atoms, rests = [s[0] for s in shapes], [s[1] for s in shapes]
    rest = np.concatenate(rests[:in_view])
    log_x = False
    if len(rest) > 100 and rest.min() > 0:
        p1, p99 = np.quantile(rest, [0.01, 0.99])
        log_x = bool(p99 >= 100 * p1)
    symlog = None
    if log_x:
        lo, hi = (float(v) for v in np.quantile(rest, [0.005, 0.995]))
        edges = np.geomspace(lo, hi, HIST_BINS + 1)
    elif len(rest):
        symlog = symlog_width(rests[0])
        if symlog:  # P0.5–P99.5 in bins of equal width in asinh(x / c)
            lo, hi = (float(v) for v in np.quantile(rest, [0.005, 0.995]))
        else:
            lo, hi = plotted_range(np.quantile(rest, [0.01, 0.99]), rest)
        for v, _ in (a for case in atoms[:in_view] for a in case):  # keep the point masses in view (never beyond the data)
            lo, hi = min(lo, v), max(hi, v)
        edges = (symlog * np.sinh(np.linspace(np.arcsinh(lo / symlog), np.arcsinh(hi / symlog), HIST_BINS + 1))
                 if symlog else np.linspace(lo, hi, HIST_BINS + 1))
    else:  # discrete: its values only
        vs = [v for case in atoms for v, _ in case]
        span = (max(vs) - min(vs)) or 1.0
        lo, hi, edges = min(vs) - 0.05 * span, max(vs) + 0.05 * span, None
    return atoms, rests, log_x, float(lo), float(hi), edges, symlog


def streamed_case(name, s, mean, hidden=False):
    """A distribution chart's case from the histogram the passes kept (summary/<var>/histogram: --store none): the
    share of samples per bin, the point masses counted apart, and the distribution function at the bins' edges and
    the point masses, with the exact stored quantiles beyond the bins."""
    h = s["histogram"]
    n = num_attr(s, "n")
    edges, counts = h["edge"][()], h["count"][()]
    atoms, atom_counts = h["atom"][()], h["atom_count"][()]
    below = float(h.attrs["below"])
    if "weight_unit" in h.attrs:  # a conditioned run's: counts are weight units, shares of their total
        n = below + float(h.attrs["above"]) + float(counts.sum()) + float(atom_counts.sum())
    spec = {"name": name, "mean": float(mean), "hidden": hidden, "log": bool(int(h.attrs["log"])),
            "range_words": " (P0.1–P99.9)", "atoms": [{"value": float(v), "share": float(c / n)}
                                                     for v, c in zip(atoms, atom_counts) if c > 0],
            "clipped_share": float((below + float(h.attrs["above"])) / n)}
    if len(counts):
        spec["hist"] = {"edges": compact(edges), "share": compact(counts / n, 4)}
    # P(X < x): the binned part at the edges (linear between them) plus the point masses below x; at a point mass,
    # the step it makes.
    binned = np.concatenate([[below], below + np.cumsum(counts)]) if len(counts) else np.array([below, below])
    ex = edges if len(counts) else np.array([num_attr(s, "min"), num_attr(s, "min")])
    points = {}
    for x, c in zip(ex, binned):
        points[float(x)] = [(c + atom_counts[atoms < x].sum()) / n]
    for a, c in zip(atoms, atom_counts):
        cont = float(np.interp(a, ex, binned)) if len(counts) else below
        before = (cont + atom_counts[atoms < a].sum()) / n
        points[float(a)] = [before, before + c / n]
    qp = QuantileColumns(s)
    for v, p in zip(s["quantile"][()], qp.p):  # the exact quantiles beyond the bins
        if v < ex[0] or v > ex[-1]:
            points.setdefault(float(v), [float(p)])
    points.setdefault(num_attr(s, "min"), [0.0])
    points.setdefault(num_attr(s, "max"), [1.0])
    xs, ps = [], []
    for x in sorted(points):
        for p in points[x]:
            xs.append(x)
            ps.append(p)
    spec["cdf"] = {"x": compact(xs), "p": compact(np.maximum.accumulate(ps))}
    return spec


def streamed_range(cases):
    """The x range of streamed cases: their bins' span and point masses."""
    lo = min((c["hist"]["edges"][0] for c in cases if "hist" in c), default=math.inf)
    hi = max((c["hist"]["edges"][-1] for c in cases if "hist" in c), default=-math.inf)
    for c in cases:
        for a in c["atoms"]:
            if not (all(d["log"] for d in cases) and a["value"] <= 0):
                lo, hi = min(lo, a["value"]), max(hi, a["value"])
    if not hi > lo:
        span = abs(lo) or 1.0
        lo, hi = lo - 0.05 * span, hi + 0.05 * span
    return float(lo), float(hi)


def case_spec(name, x, atoms, rest, edges, lo, hi, q, qp, mean, hidden=False):
    """One case of a distribution chart for the page: its histogram (share of all samples per bin, the point masses
    apart), its point masses, its distribution function at CDF_P (the samples' quantiles) or, without samples, at the
    stored quantiles, and its mean."""
    spec = {"name": name, "mean": float(mean), "hidden": hidden}
    if x is None or not len(x):
        spec["cdf"] = {"x": compact(q), "p": compact(qp.p)}
        return spec
    if edges is not None and len(rest):
        counts, _ = np.histogram(rest[(rest >= lo) & (rest <= hi)], edges)
        spec["hist"] = {"edges": compact(edges), "share": compact(counts / len(x), 4)}
        spec["clipped_share"] = float(1 - (counts.sum() + sum(round(p * len(x)) for _, p in atoms)) / len(x))
    spec["atoms"] = [{"value": v, "share": p} for v, p in atoms]
    qs = np.quantile(x, CDF_P)
    spec["cdf"] = {"x": compact([float(x.min()), *qs, float(x.max())]), "p": compact([0.0, *CDF_P, 1.0])}
    return spec


def draw_atoms(ax, atoms, var, style, w, log_x, top, color=PURPLE, lw=2.4, case=""):
    """Point masses as stems, their shares in the legend; a stem taller than the histogram's scale `top` stops there
    under a triangle (its share is more than the axis shows). One the log axis cannot show (≤ 0) is written in the
    corner."""
    corner = []
    for v, share in atoms:
        label = f"{case}P({var} = {w.num(v, style)}) = {share:.1%}"
        if log_x and v <= 0:
            corner.append(label)
            continue
        h = min(share, top)
        ax.vlines(v, 0, h, color=color, lw=lw, label=label)
        if share > top:
            ax.plot([v], [h], marker="^", color=color, ms=7, clip_on=False)
    if corner:
        ax.text(0.01, 0.97, "\n".join(corner) + f" ({w('not on the log axis')})", transform=ax.transAxes,
                va="top", ha="left", fontsize=8, color=color,
                bbox={"facecolor": "white", "edgecolor": color, "alpha": 0.85, "boxstyle": "round,pad=0.3"})


def histogram(ch, run, var, stresses=()):
    """Density with the CDF, P5/P50/P95 and the mean marked; point masses as stems; a log axis for a heavy right
    tail; risk regions where the output has them. On the page, each stressed case of `stresses` ((name, Run)) is a
    further case to show beside the base (hidden until its legend entry is clicked)."""
    w = ch.w
    s = run.summary[var]
    style = run.style(var)
    unit = text_attr(s, "unit") or ""
    q = s["quantile"][()] if "quantile" in s else None
    mean = num_attr(s, "mean")
    if q is None or q.ndim != 1:
        return None
    qp = QuantileColumns(s)
    others = [(k, st) for k, st in stresses if var in st.summary and "quantile" in st.summary[var]]
    x = run.samples_of(var)
    if x is not None and run.evidence is not None and ("histogram" in s or run.posterior_rows() is None):
        x = None  # a conditioned run: the histogram the passes kept in weight units (smoother than a resample)
    # Sorted once: the shapes, bins and quantiles below select from sorted samples quickly (none needs their order).
    xs = [None if o is None else np.sort(o) for o in (st.samples_of(var) for _, st in others)] if x is not None else []
    if x is not None:
        x = np.sort(x)
    symlog = None
    if x is not None and len(x) and all(o is not None and len(o) for o in xs):
        atoms_all, rests, log_x, lo2, hi2, edges, symlog = binning([x, *xs], in_view=1)  # the base in view
    elif x is not None and len(x):
        atoms_all, rests, log_x, lo2, hi2, edges, symlog = binning([x])
        others, xs = [], []
    if x is None and "histogram" in s:  # samples not stored: the histogram the passes kept (streamed)
        others = [(k, st) for k, st in others if "histogram" in st.summary[var]]
        cases = [streamed_case(w("base") if others else var, s, mean)] + \
                [streamed_case(f"{w('stressed')}: {k}", st.summary[var], num_attr(st.summary[var], "mean"), True)
                 for k, st in others]
        log_x, (lo2, hi2) = all(c["log"] for c in cases), streamed_range(cases[:1])  # the base in view
    elif x is None:  # summaries only: the CDF through the stored quantiles
        lo2, hi2 = plotted_range(q, None)
        log_x = False
        cases = [case_spec(w("base") if others else var, None, [], None, None, lo2, hi2, q, qp, mean)] + \
                [case_spec(f"{w('stressed')}: {k}", None, [], None, None, lo2, hi2, st.summary[var]["quantile"][()],
                           QuantileColumns(st.summary[var]), num_attr(st.summary[var], "mean"), hidden=True)
                 for k, st in others]
    else:
        cases = [case_spec(w("base") if others else var, x, atoms_all[0], rests[0], edges, lo2, hi2, q, qp, mean)]
        for i, ((k, st), xo) in enumerate(zip(others, xs)):
            so = st.summary[var]
            cases.append(case_spec(f"{w('stressed')}: {k}", xo, atoms_all[i + 1], rests[i + 1], edges, lo2, hi2,
                                   so["quantile"][()], QuantileColumns(so), num_attr(so, "mean"), hidden=True))
    if "prior" in s and "quantile" in s["prior"]:  # a conditioned run: the prior's distribution function beside it
        pq = s["prior"]["quantile"][()]
        cases.append({"name": w("prior (before the evidence)"), "mean": num_attr(s["prior"], "mean"), "hidden": False,
                      "prior": True, "cdf": {"x": compact(pq), "p": compact(QuantileColumns(s["prior"]).p)}})
        if cases[0]["name"] == var:
            cases[0]["name"] = f"{var} ({w('posterior')})"
    markers = [{"value": float(value), "label": f"{label} {w.num(value, style)}", "dash": dash,
                "color": RED if label == w("mean") else GREY}
               for value, dash, label in [(q[qp.p5], [2, 3], "P5"), (q[qp.p50], [6, 4], "P50"),
                                          (q[qp.p95], [8, 3, 2, 3], "P95"), (mean, [], w("mean"))]]
    regions, caps, thresholds = [], [], []
    if "risk" in s:  # the loss region (lower tail with `below` thresholds), or a plausibility cap (upper tail)
        r = s["risk"]
        tail = text_attr(r, "tail", "lower")
        for t, p in zip(r["below_threshold"][()], r["p_below"][()]):
            if tail == "lower":
                if t > lo2:
                    regions.append({"from": lo2, "to": float(min(t, hi2)), "color": RED,
                                    "label": f"{w('loss region')}: P({var} < {w.num(t, style)}) = {p:.1%}"})
            else:
                caps.append({"value": float(t), "color": GREEN, "dash": [],
                             "label": f"{w('plausibility cap')} {w.num(t, style)}: P({var} < cap) = {p:.1%}"})
            thresholds.append({"threshold": float(t), "p_below": float(p), "tail": tail})
    for c in cases:  # what the bins span, for the --png legend
        c.setdefault("range_words", " (P0.5–P99.5)" if log_x or symlog else " (P1–P99)")
    binned = any("hist" in c for c in cases)
    bins = len(cases[0]["hist"]["share"]) if "hist" in cases[0] else HIST_BINS
    binning_words = (w("{bins} log bins") if log_x else w("{bins} bins")).format(bins=bins)
    spec = {"kind": "distribution", "variable": var, "run": run.label, "style": style,
            "title": f"{var} — {run.title or run.name}",
            "xlabel": ch.unit_label(var, unit) + (f" ({w('log scale')})" if log_x else
                                                   f" ({w('asinh scale: linear within ±')}{w.num(symlog, style)})"
                                                   if symlog else ""),
            "symlog": symlog,
            "ylabel": f"{w('share per bin')} ({binning_words})" if binned else
            (w("share of samples") if any(c.get("atoms") for c in cases) else w("samples not stored: no histogram")),
            "cdf_label": w("cumulative probability"), "log": log_x, "x_range": [lo2, hi2], "cases": cases,
            "markers": markers + caps, "regions": regions,
            "p5": float(q[qp.p5]), "p50": float(q[qp.p50]), "p95": float(q[qp.p95]), "mean": mean, "log_x": log_x}
    if "atoms" in cases[0]:
        spec["atoms"] = cases[0]["atoms"]
        spec["clipped_share"] = cases[0].get("clipped_share", 0.0)
    if thresholds:
        spec["thresholds"] = thresholds
    fig = draw_distribution(ch, spec, var, style) if ch.draws else None
    return ch.save(fig, slug(run.label, var, "distribution") + ".png",
                   f"{run.label}: {w('distribution of')} {var}", spec, layout=False)


def draw_distribution(ch, spec, var, style):
    """The base case of a distribution spec as a matplotlib figure (the --png/--svg file)."""
    w = ch.w
    base = spec["cases"][0]
    lo2, hi2 = spec["x_range"]
    log_x = spec["log"]
    fig, ax = plt.subplots(figsize=(7.2, 4.2))
    if "atoms" in base:
        top = 0.0
        atoms = [(a["value"], a["share"]) for a in base["atoms"]]
        if "hist" in base:
            share = np.array(base["hist"]["share"], dtype=float)
            ax.stairs(share, base["hist"]["edges"], fill=True, color=BLUE, alpha=0.55,
                      label=w("share of samples per bin") + base.get("range_words", ""))
            top = float(np.nanmax(share)) * 1.15 if len(share) else 0.0
        top = top or max(p for _, p in atoms) * 1.15
        draw_atoms(ax, atoms, var, style, w, log_x, top)
        ax.set_ylim(0, top)
        ax.yaxis.set_major_formatter(w.axis("percent"))
    else:
        ax.set_yticks([])
    ax.set_ylabel(spec["ylabel"])
    if log_x:
        ax.set_xscale("log")
    elif spec.get("symlog"):
        ax.set_xscale("asinh", linear_width=spec["symlog"])
    ax2 = ax.twinx()
    ax2.plot(base["cdf"]["x"], base["cdf"]["p"], color=ORANGE, lw=1.8, label=w("cumulative probability"))
    ax2.set_ylim(0, 1.02)
    ax2.set_ylabel(w("cumulative probability"))
    for m in spec["markers"]:
        ls = (0, tuple(m["dash"])) if m["dash"] else "-"
        value, lw = m["value"], 1.8 if m["color"] == GREEN else 1.4 if m["color"] == RED else 1.2
        if lo2 <= value <= hi2 and not (log_x and value <= 0):
            ax.axvline(value, color=m["color"], ls=ls, lw=lw, label=m["label"])
        else:  # off the axis (a P5 of 0 on a log axis): named in the legend, not drawn
            ax.plot([], [], color=m["color"], ls=ls, lw=lw, label=m["label"] + f" ({w('off the axis')})")
    for r in spec["regions"]:
        ax.axvspan(r["from"], r["to"], color=RED, alpha=0.10, label=r["label"])
    ax.set_xlim(lo2, hi2)
    ax.xaxis.set_major_formatter(w.axis(style))
    if log_x:
        ax.xaxis.set_minor_formatter(plt.NullFormatter())
    ax.set_xlabel(spec["xlabel"])
    ax.set_title(spec["title"], fontsize=10)
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    rows = math.ceil(len(handles) / 3)
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, min(0.05 + 0.045 * rows, 0.35), 1, 1))
    return fig


def overlay(ch, base, stressed, var, name):
    """Base and stressed distributions of one output on one axis (density where samples are stored, else the CDF
    through the stored quantiles), their means marked."""
    w = ch.w
    sb, ss = base.summary[var], stressed.summary[var]
    if "quantile" not in sb or "quantile" not in ss or sb["quantile"].ndim != 1:
        return None
    qb, qs = sb["quantile"][()], ss["quantile"][()]
    qp, qps = QuantileColumns(sb), QuantileColumns(ss)
    style = base.style(var)
    xb, xs = base.samples_of(var), stressed.samples_of(var)
    mb, ms = num_attr(sb, "mean"), num_attr(ss, "mean")
    label_s = f"{w('stressed')}: {name}"
    symlog = None
    if xb is not None and xs is not None and len(xb) and len(xs):
        (atoms_b, atoms_s), (rest_b, rest_s), log_x, lo, hi, edges, symlog = binning([xb, xs])
        cases = [case_spec(w("base"), xb, atoms_b, rest_b, edges, lo, hi, qb, qp, mb),
                 case_spec(label_s, xs, atoms_s, rest_s, edges, lo, hi, qs, qps, ms)]
    elif "histogram" in sb and "histogram" in ss:  # samples not stored: the histograms the passes kept
        cases = [streamed_case(w("base"), sb, mb), streamed_case(label_s, ss, ms)]
        log_x, edges = all(c["log"] for c in cases), True
        lo, hi = streamed_range(cases)
    else:
        log_x, edges = False, None
        lo, hi = plotted_range(np.array([min(qb[0], qs[0]), max(qb[-1], qs[-1])]), None)
        cases = [case_spec(w("base"), None, [], None, None, lo, hi, qb, qp, mb),
                 case_spec(label_s, None, [], None, None, lo, hi, qs, qps, ms)]
    binned = any("hist" in c for c in cases)
    spec = {"kind": "distribution", "variable": var, "stress": name, "style": style,
            "title": f"{var}: {w('base')} vs {w('stressed')} `{name}`",
            "xlabel": ch.unit_label(var, text_attr(sb, "unit")) + (f" ({w('log scale')})" if log_x else
                                                                   f" ({w('asinh scale: linear within ±')}"
                                                                   f"{w.num(symlog, style)})" if symlog else ""),
            "symlog": symlog,
            "ylabel": f"{w('share per bin')} (" + (w("{bins} log bins") if log_x else w("{bins} bins")).format(
                bins=len(cases[0]["hist"]["share"]) if "hist" in cases[0] else HIST_BINS) + ")" if binned else
            w("cumulative probability"), "cdf_label": w("cumulative probability"), "log": log_x, "x_range": [lo, hi],
            "cases": cases, "markers": [], "regions": [], "mean_lines": True,
            "base_p50": float(qb[qp.p50]), "stressed_p50": float(qs[qps.p50]), "base_mean": mb, "stressed_mean": ms}
    if edges is not None:
        spec["atoms"] = {"base": cases[0]["atoms"], "stressed": cases[1]["atoms"]}
    fig = None
    if ch.draws:
        fig, ax = plt.subplots(figsize=(7.2, 4.0))
        if "atoms" in cases[0]:
            top = 0.0
            for c, color in zip(cases, (BLUE, ORANGE)):
                if "hist" in c:
                    share = np.array(c["hist"]["share"], dtype=float)
                    ax.stairs(share, c["hist"]["edges"], fill=True, color=color, alpha=0.45, label=c["name"])
                    top = max(top, float(share.max()) * 1.15)
            top = top or max(a["share"] for c in cases for a in c["atoms"]) * 1.15
            for c, color, lw, case in ((cases[0], BLUE, 4.0, w("base")), (cases[1], ORANGE, 1.8, name)):
                draw_atoms(ax, [(a["value"], a["share"]) for a in c["atoms"]], var, style, w, log_x, top, color, lw,
                           f"{case}: ")
            ax.set_ylim(0, top)
            ax.yaxis.set_major_formatter(w.axis("percent"))
            if log_x:
                ax.set_xscale("log")
                ax.xaxis.set_minor_formatter(plt.NullFormatter())
            elif symlog:
                ax.set_xscale("asinh", linear_width=symlog)
        else:
            for c, color in zip(cases, (BLUE, ORANGE)):
                ax.plot(c["cdf"]["x"], c["cdf"]["p"], color=color, lw=1.8, marker="o", ms=3, label=c["name"])
        ax.set_ylabel(spec["ylabel"])
        for m, color in ((mb, BLUE), (ms, ORANGE)):
            if lo <= m <= hi:
                ax.axvline(m, color=color, lw=1.4, ls="--")
        ax.set_xlim(lo, hi)
        ax.xaxis.set_major_formatter(w.axis(style))
        ax.set_xlabel(spec["xlabel"] + f" (dashed: {w('mean')})")
        ax.set_title(spec["title"], fontsize=10)
        ax.legend(fontsize=8, frameon=False)
    return ch.save(fig, slug("stress", name, var, "overlay") + ".png",
                   f"stress {name}: {var}, {w('base')} vs {w('stressed')}", spec)


def draw_bars(ch, spec, height):
    """A bars spec (top row first) as a matplotlib figure: horizontal bars or floating bars, CI whiskers, lines and a
    band, each bar's value label at its end."""
    fig, ax = plt.subplots(figsize=(7.2, height))
    labels = spec["labels"][::-1]
    y = np.arange(len(labels))
    k = len(spec["series"])
    width = 0.8 / k if k > 1 and not spec.get("stacked") else 0.6
    for j, srs in enumerate(spec["series"]):
        off = 0 if spec.get("stacked") or k == 1 else (k - 1 - 2 * j) * width / 2
        color = srs.get("colors", [srs.get("color", BLUE)] * len(labels))[::-1]
        if "from" in srs:
            start, end = np.array(srs["from"][::-1], dtype=float), np.array(srs["to"][::-1], dtype=float)
        else:
            end = np.array(srs["values"][::-1], dtype=float)
            start = np.zeros_like(end)
        err = None
        if "lo" in srs:
            lo, hi = np.array(srs["lo"][::-1], dtype=float), np.array(srs["hi"][::-1], dtype=float)
            err = np.vstack([end - lo, hi - end])
        ax.barh(y + off, end - start, left=start, height=width, color=color, xerr=err, capsize=2 if err is not None
                else 0, label=srs["name"] if srs.get("name") else None)
    if spec.get("band"):
        b = spec["band"]
        ax.axvspan(b["from"], b["to"], color=GREY, alpha=0.15, lw=0, label=b["label"])
    for ln in spec.get("lines", []):
        ax.axvline(ln["value"], color=ln.get("color", GREY), lw=1, ls="--" if ln.get("dash") else "-",
                   label=ln.get("label"))
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_xlim(spec["xmin"], spec["xmax"])
    if spec.get("style"):
        ax.xaxis.set_major_formatter(ch.w.axis(spec["style"]))
    for i, text in enumerate(spec.get("value_labels", [])[::-1]):
        at = spec["value_at"][::-1][i]
        ax.annotate(text, xy=(at, i), xytext=(3 if at >= spec.get("value_origin", 0) else -3, 0),
                    textcoords="offset points", ha="left" if at >= spec.get("value_origin", 0) else "right",
                    va="center", fontsize=7)
    ax.set_xlabel(spec["xlabel"], fontsize=8)
    ax.set_title(spec["title"], fontsize=10)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower right", fontsize=7, frameon=False)
    return fig


def tornado(ch, run, var):
    w = ch.w
    s = run.summary[var]
    if "sensitivity" not in s:
        return None
    rho = s["sensitivity"][()]
    names = strings(s["sensitivity_input"])
    if rho.ndim == 2:  # timed: the last year
        year = int(s["year"][()][-1])
        rho = rho[-1]
        what = f"{var} {w('in')} {year}"
    else:
        what = var
    order = [i for i in np.argsort(-np.abs(np.nan_to_num(rho))) if np.isfinite(rho[i])][:12]  # largest first
    if not order:
        return None
    vals = [float(rho[i]) for i in order]
    n = int(s.attrs.get("sensitivity_samples", 0))
    noise = 2 / np.sqrt(n - 1) if n > 1 else 0.0  # 2 SE of ρ when input and output are independent
    quiet = [abs(v) < noise for v in vals]
    spec = {"kind": "bars", "title": f"{w('What drives')} {what}? ({run.label}; {w('first')} {n:,} {w('samples')})",
            "xlabel": w("Spearman rank correlation with the output"), "labels": [names[i] for i in order],
            "series": [{"name": "", "values": vals,
                        "colors": [LIGHT if q else BLUE if v >= 0 else ORANGE for v, q in zip(vals, quiet)]}],
            "xmin": -1, "xmax": 1, "lines": [{"value": 0, "color": GREY}],
            "value_labels": [f"{v:+.2f}" for v in vals], "value_at": vals, "value_origin": 0,
            "variable": var, "inputs": [names[i] for i in order], "rho": vals, "noise": float(noise),
            "within_noise": [bool(q) for q in quiet]}
    if any(quiet):
        spec["band"] = {"from": -noise, "to": noise,
                        "label": f"{w('within 2 SE of 0')} (±{noise:.3f}): {w('no monotone effect detectable')}"}
    fig = draw_bars(ch, spec, 0.45 * len(order) + 1.4) if ch.draws else None
    return ch.save(fig, slug(run.label, var, "tornado") + ".png", f"{run.label}: {w('inputs driving')} {what}", spec)


SCATTER_POINTS = 2000


def scatter_chart(ch, run, var):
    """The output against each of its strongest drivers (the tornado's first three whose samples the run stored,
    --store all), over the run's first SCATTER_POINTS samples; the page switches between the inputs."""
    w = ch.w
    s = run.summary[var]
    if "sensitivity" not in s or run.stored is None or var not in run.stored or "year" in s:
        return None
    rho = s["sensitivity"][()]
    names = strings(s["sensitivity_input"])
    order = [i for i in np.argsort(-np.abs(np.nan_to_num(rho))) if np.isfinite(rho[i])]
    held = [i for i in order if names[i] in run.stored and run.stored[names[i]].ndim == 1][:3]
    if not held:
        return None
    y = run.rows(var, SCATTER_POINTS)
    inputs = [{"name": names[i], "rho": float(rho[i]), "style": run.style(names[i]) if names[i] in run.summary else "auto",
               "xlabel": ch.unit_label(names[i], text_attr(run.summary[names[i]], "unit") if names[i] in run.summary
                                       else ""), "x": compact(run.rows(names[i], SCATTER_POINTS), 5)}
              for i in held]
    spec = {"kind": "scatter", "variable": var, "style": run.style(var), "y": compact(y, 5),
            "ylabel": ch.unit_label(var, text_attr(s, "unit")), "inputs": inputs,
            "title": f"{var} {w('against its strongest drivers')} ({run.label}; {w('first')} {len(y):,} {w('samples')})",
            "choose": w("input")}
    fig = None
    if ch.draws:
        fig, axes = plt.subplots(1, len(inputs), figsize=(7.2, 3.4), sharey=True, squeeze=False)
        for ax, inp in zip(axes[0], inputs):
            ax.scatter(inp["x"], spec["y"], s=3, alpha=0.35, color=BLUE, lw=0)
            ax.set_xlabel(inp["xlabel"] + f"\nρ = {inp['rho']:+.2f}", fontsize=8)
            ax.xaxis.set_major_formatter(w.axis(inp["style"]))
            ax.tick_params(labelsize=7)
        axes[0][0].set_ylabel(spec["ylabel"], fontsize=8)
        axes[0][0].yaxis.set_major_formatter(w.axis(spec["style"]))
        fig.suptitle(spec["title"], fontsize=10)
    return ch.save(fig, slug(run.label, var, "scatter") + ".png", f"{run.label}: {var} {w('against its strongest drivers')}",
                   spec)


def swing_chart(ch, run, var):
    """The tornado in the output's unit: per input, a bar from the output's mean with the input at or below its P10
    to its mean with the input at or above its P90, around the output's mean; the widest swing at the top."""
    w = ch.w
    s = run.summary[var]
    if "swing_low" not in s:
        return None
    low, high, se = s["swing_low"][()], s["swing_high"][()], s["swing_se"][()]
    names = strings(s["sensitivity_input"])
    mean = num_attr(s, "mean")
    if low.ndim == 2:  # timed: the last year, as the ρ tornado
        year = int(s["year"][()][-1])
        low, high, se = low[-1], high[-1], se[-1]
        mean = float(s["mean"][()][-1]) if "mean" in s else mean
        what = f"{var} {w('in')} {year}"
    else:
        what = var
    width = high - low
    order = [i for i in np.argsort(-np.abs(np.nan_to_num(width))) if np.isfinite(width[i])][:12]  # widest first
    if not order or not math.isfinite(mean):
        return None
    style = run.style(var)
    unit = text_attr(s, "unit") or ""
    lo = min(min(low[i], high[i]) for i in order)
    hi = max(max(low[i], high[i]) for i in order)
    pad = 0.18 * (hi - lo if hi > lo else abs(mean) or 1)
    n = int(s.attrs.get("sensitivity_samples", 0))
    spec = {"kind": "bars", "stacked": True, "style": style,
            "title": f"{w('Swing of')} {what} ({run.label}; {w('first')} {n:,} {w('samples')})",
            "xlabel": ch.unit_label(var, unit) + "\n" +
            w("mean with the input in its lowest (orange) and highest (blue) decile"),
            "labels": [names[i] for i in order],
            "series": [{"name": w("input in its highest decile"), "from": [mean] * len(order),
                        "to": [float(high[i]) for i in order], "color": BLUE},
                       {"name": w("input in its lowest decile"), "from": [mean] * len(order),
                        "to": [float(low[i]) for i in order], "color": ORANGE}],
            "xmin": float(min(lo, mean) - pad), "xmax": float(max(hi, mean) + pad),
            "lines": [{"value": float(mean), "label": f"{w('mean')} {w.num(mean, style)}", "color": GREY}],
            "value_labels": [w.num(width[i], style) for i in order],
            "value_at": [float(max(low[i], high[i])) for i in order], "value_origin": float("-inf"),
            "variable": var, "inputs": [names[i] for i in order], "mean": float(mean),
            "low": [float(low[i]) for i in order], "high": [float(high[i]) for i in order],
            "se": [float(se[i]) for i in order]}
    fig = draw_bars(ch, spec, 0.45 * len(order) + 1.6) if ch.draws else None
    return ch.save(fig, slug(run.label, var, "swing") + ".png", f"{run.label}: {w('swing of')} {what} {w('per input')}",
                   spec)


def index_range(lo, hi):
    """An axis for shares of variance: from 0 (or a little below, for a CI that crosses it) to the largest CI end, but
    never wider than −0.1 … 1.1, so that one wild CI (a heavy-tailed output's total index of 0.8 ± 12) does not turn
    every other bar into a line. Returns (left, right, whether a CI was clipped)."""
    left = max(min(0.0, float(np.min(lo))) - 0.02, -0.1)
    right = min(max(float(np.max(hi)) * 1.08 + 0.02, 0.1), 1.1)
    return left, right, bool(np.min(lo) < left or np.max(hi) > right)


def index_axis(ax, lo, hi):
    """Sets `ax`'s x range by index_range; returns True when a CI was clipped."""
    left, right, clipped = index_range(lo, hi)
    ax.set_xlim(left, right)
    return clipped


def shapley_chart(ch, run, var):
    """Shapley effects with their 95% CIs, largest at the top: each input's share of the variance, fair under the
    inputs' correlations (shown instead of Sobol' indices, which assume independent inputs)."""
    w = ch.w
    g = run.summary[var]["shapley"]
    names = strings(g["input"])
    eff, lo, hi = g["effect"][()], g["effect_lo"][()], g["effect_hi"][()]
    order = list(np.argsort(eff))[-12:][::-1]  # largest first
    left, right, clipped = index_range(lo[order], hi[order])
    year = f" {w('in')} {int(g.attrs['year'])}" if "year" in g.attrs else ""
    spec = {"kind": "bars", "style": "auto",
            "title": f"{w('Shapley effects of')} {var}{year} ({run.label}; {int(g.attrs.get('permutations', 0)):,} "
                     f"{w('permutations')})",
            "xlabel": w("share of the output's variance") + " (95% CI" +
            (f"; {w('CIs clipped to the axis')}" if clipped else "") + ")\n" +
            w("inputs are correlated: Shapley effects (they sum to 1), not Sobol' indices"),
            "labels": [names[i] for i in order],
            "series": [{"name": "", "values": [float(eff[i]) for i in order], "lo": [float(lo[i]) for i in order],
                        "hi": [float(hi[i]) for i in order], "color": BLUE}],
            "xmin": left, "xmax": right, "lines": [{"value": 0, "color": GREY}],
            "variable": var, "inputs": names, "effect": eff.tolist(), "lo": lo.tolist(), "hi": hi.tolist()}
    fig = draw_bars(ch, spec, 0.4 * len(order) + 1.6) if ch.draws else None
    return ch.save(fig, slug(run.label, var, "shapley") + ".png", f"{run.label}: {w('Shapley effects of')} {var}", spec)


def evppi_chart(ch, run):
    """What is worth learning before deciding: EVPPI of each input and group, largest at the top, with its 95% CI
    (± the bias bound), beside the EVPI (perfect information about everything)."""
    w = ch.w
    d = run.g["decision"]
    names = strings(d["question"])
    members = strings(d["question_inputs"])
    group = d["group"][()]
    v, se, bias = d["evppi"][()], d["evppi_se"][()], d["evppi_bias"][()]
    evpi = float(d.attrs["evpi"])
    order = [i for i in np.argsort(v) if np.isfinite(v[i])][-14:][::-1]  # largest first
    if not order:
        return None
    labels = [f"{names[i]} ({members[i].replace(' ', ', ')})" if group[i] else names[i] for i in order]
    labels = [lb if len(lb) <= 48 else lb[:45] + "…)" for lb in labels]
    half = [1.96 * se[i] + bias[i] for i in order]
    unit = text_attr(d, "unit")
    spec = {"kind": "bars", "style": "auto", "title": f"{w('What is worth learning before deciding')} ({run.label})",
            "xlabel": w("expected value of learning it before deciding (EVPPI)") + (f", {w.unit(unit)}" if unit else "") +
            "\n" + w("blue: one input, orange: a group; bars: 95% CI with the bias bound"),
            "labels": labels,
            "series": [{"name": "", "values": [float(v[i]) for i in order],
                        "lo": [float(v[i] - h) for i, h in zip(order, half)],
                        "hi": [float(v[i] + h) for i, h in zip(order, half)],
                        "colors": [ORANGE if group[i] else BLUE for i in order]}],
            "xmin": 0, "xmax": float(max(evpi, max(v[i] + h for i, h in zip(order, half))) * 1.08 or 1),
            "lines": [{"value": evpi, "label": f"EVPI {w.num(evpi)}", "color": GREY, "dash": True}],
            "questions": [names[i] for i in order], "evppi": [float(v[i]) for i in order], "evpi": evpi}
    fig = draw_bars(ch, spec, 0.4 * len(order) + 1.8) if ch.draws else None
    return ch.save(fig, slug(run.label, "decision", "evppi") + ".png", f"{run.label}: EVPPI", spec)


def sobol_chart(ch, run, var):
    """Sobol' first-order and total indices with their 95% CIs, largest total at the top; Shapley effects instead
    when the inputs are correlated."""
    w = ch.w
    s = run.summary[var]
    if "sobol" not in s:
        return None
    if "shapley" in s:
        return shapley_chart(ch, run, var)
    g = s["sobol"]
    names = strings(g["input"])
    first, total = g["first"][()], g["total"][()]
    f_lo, f_hi, t_lo, t_hi = (g[k][()] for k in ("first_lo", "first_hi", "total_lo", "total_hi"))
    order = list(np.argsort(total))[-12:][::-1]  # largest total first
    left, right, clipped = index_range(np.minimum(f_lo, t_lo)[order], np.maximum(f_hi, t_hi)[order])
    n = int(g.attrs.get("samples", 0))
    note = f"; {w('correlated inputs treated as independent')}" if int(g.attrs.get("correlated_inputs", 0)) else ""
    year = f" {w('in')} {int(g.attrs['year'])}" if "year" in g.attrs else ""
    pick = lambda a: [float(a[i]) for i in order]  # noqa: E731
    indices_of = w("Sobol' indices of")
    spec = {"kind": "bars", "style": "auto",
            "title": f"{indices_of} {var}{year} ({run.label}; N = {n:,}{note})",
            "xlabel": w("share of the output's variance") + " (95% CI" +
            (f"; {w('CIs clipped to the axis')}" if clipped else "") + ")",
            "labels": [names[i] for i in order],
            "series": [{"name": w("total index ST (with interactions)"), "values": pick(total), "lo": pick(t_lo),
                        "hi": pick(t_hi), "color": ORANGE},
                       {"name": w("first-order index S (alone)"), "values": pick(first), "lo": pick(f_lo),
                        "hi": pick(f_hi), "color": BLUE}],
            "xmin": left, "xmax": right, "lines": [{"value": 0, "color": GREY}],
            "variable": var, "inputs": names, "first": first.tolist(), "total": total.tolist(),
            "first_lo": f_lo.tolist(), "first_hi": f_hi.tolist(), "total_lo": t_lo.tolist(), "total_hi": t_hi.tolist()}
    fig = draw_bars(ch, spec, 0.5 * len(order) + 1.6) if ch.draws else None
    return ch.save(fig, slug(run.label, var, "sobol") + ".png", f"{run.label}: {indices_of} {var}",
                   spec)


def fan_case(name, s, qp, hidden=False, point=False):
    """One case of a fan chart: its P5, P25, P50, P75 and P95 by year (and the point estimate)."""
    q = s["quantile"][()]
    c = {"name": name, "hidden": hidden, **{f"p{k}": q[:, getattr(qp, f"p{k}")].tolist() for k in (5, 25, 50, 75, 95)}}
    if point and "point" in s:
        c["point"] = s["point"][()].tolist()
    return c


def draw_fan(ch, spec, years, cases, bands50=True):
    """The shown cases of a fan spec as a matplotlib figure."""
    w = ch.w
    fig, ax = plt.subplots(figsize=(7.2, 4.2))
    for c, color in zip(cases, [BLUE, *CASE_COLORS]):
        prefix = "" if len(cases) == 1 else f"{c['name']}: "
        ax.fill_between(years, c["p5"], c["p95"], color=color, alpha=0.18, label=prefix + spec["words"]["band90"])
        if bands50:
            ax.fill_between(years, c["p25"], c["p75"], color=color, alpha=0.35, label=prefix + spec["words"]["band50"])
        ax.plot(years, c["p50"], color=color, lw=2, label=prefix + spec["words"]["median"])
        if "point" in c:
            ax.plot(years, c["point"], color=ORANGE, lw=1.2, ls="--", label=spec["words"]["point"])
    ax.yaxis.set_major_formatter(w.axis(spec["style"]))
    ax.xaxis.set_major_formatter(w.axis("year"))
    ax.set_xlabel(spec["xlabel"])
    ax.set_ylabel(spec["ylabel"])
    ax.set_xticks(years if len(years) <= 12 else years[:: max(1, len(years) // 10)])
    ax.set_title(spec["title"], fontsize=10)
    ax.legend(fontsize=8, loc="upper left", frameon=False)
    return fig


def fan_words(w):
    return {"band90": w("90% band (P5–P95)"), "band50": w("50% band (P25–P75)"), "median": w("median"),
            "point": w("point estimate")}


def fan(ch, run, var, stresses=()):
    """A timed output's median with its 50% and 90% bands by year (and the point estimate); on the page, each
    stressed case of `stresses` ((name, Run)) is a further case beside the base, hidden until its legend entry is
    clicked."""
    w = ch.w
    s = run.summary[var]
    if "year" not in s or "quantile" not in s:
        return None
    years = s["year"][()]
    qp = QuantileColumns(s)
    cases = [fan_case(w("base") if stresses else var, s, qp, point=True)]
    if "prior" in s and "quantile" in s["prior"]:  # a conditioned run: the prior's fan, hidden until clicked
        cases[0]["name"] = f"{cases[0]['name']} ({w('posterior')})"
        cases.append(fan_case(w("prior (before the evidence)"), s["prior"], QuantileColumns(s["prior"]), True))
    for k, st in stresses:
        if var in st.summary and "quantile" in st.summary[var]:
            cases.append(fan_case(f"{w('stressed')}: {k}", st.summary[var], QuantileColumns(st.summary[var]), True))
    spec = {"kind": "fan", "variable": var, "run": run.label, "style": run.style(var),
            "title": f"{var} {w('by year')} — {run.title or run.name}", "xlabel": w("year"),
            "ylabel": ch.unit_label(var, text_attr(s, "unit")), "year": years.tolist(), "cases": cases,
            "words": fan_words(w), **{f"p{k}": cases[0][f"p{k}"] for k in (5, 25, 50, 75, 95)}}
    fig = draw_fan(ch, spec, years, cases[:1]) if ch.draws else None
    return ch.save(fig, slug(run.label, var, "fan") + ".png", f"{run.label}: {var} {w('by year')} ({w('fan chart')})",
                   spec)


def fan_overlay(ch, base, stressed, var, name):
    """A timed output's base and stressed fan charts on one axis: each case's P5–P95 band and median by year."""
    w = ch.w
    sb, ss = base.summary[var], stressed.summary[var]
    if "year" not in sb or "quantile" not in sb or "quantile" not in ss:
        return None
    years = sb["year"][()]
    cases = [fan_case(w("base"), sb, QuantileColumns(sb)), fan_case(f"{w('stressed')}: {name}", ss, QuantileColumns(ss))]
    spec = {"kind": "fan", "variable": var, "stress": name, "style": base.style(var), "bands50": False,
            "title": f"{var} {w('by year')}: {w('base')} vs {w('stressed')} `{name}`", "xlabel": w("year"),
            "ylabel": ch.unit_label(var, text_attr(sb, "unit")), "year": years.tolist(), "cases": cases,
            "words": fan_words(w), "base_p50": cases[0]["p50"], "stressed_p50": cases[1]["p50"],
            "base_p5": cases[0]["p5"], "base_p95": cases[0]["p95"], "stressed_p5": cases[1]["p5"],
            "stressed_p95": cases[1]["p95"]}
    fig = draw_fan(ch, spec, years, cases, bands50=False) if ch.draws else None
    return ch.save(fig, slug("stress", name, var, "fan") + ".png",
                   f"stress {name}: {var} {w('by year')}, {w('base')} vs {w('stressed')}", spec)


STAR_COLORS = {1: "#b0b0b0", 2: "#7aa6c2", 3: "#1f5f99", 4: "#d9730d", 5: "#b22222"}


def star_color(s):
    return STAR_COLORS.get(int(round(s)), GREY)


def matrix_charts(ch, f):
    """The suite's cells: market P50 with P5–P95 against R1's difficulty, and on R2's two axes; sized and colored by
    R1's market stars, each point named."""
    w = ch.w
    m = f["matrix"]
    cells = strings(m["cell"])
    stars = m["stars"][()]
    star_names = strings(m["star_names"])
    q = m["market_quantile"][()]
    sq = m["share_quantile"][()]
    qp = QuantileColumns(m)
    unit = text_attr(m, "unit")
    rank_by = text_attr(m, "rank_by", "market")
    difficulty_cols = [i for i, n in enumerate(star_names) if n != rank_by]
    market_col = star_names.index(rank_by) if rank_by in star_names else 0
    difficulty = stars[:, difficulty_cols].mean(axis=1)
    mstars = stars[:, market_col]
    out = []
    for kind in ("difficulty", "r2"):
        if kind == "difficulty":
            # Cells with the same difficulty are spread sideways so their markers and bars do not overlap.
            x = difficulty.astype(float).copy()
            for d in sorted(set(np.round(difficulty, 3))):
                same = [i for i in range(len(cells)) if round(difficulty[i], 3) == d]
                for j, i in enumerate(same):
                    x[i] += (j - (len(same) - 1) / 2) * 0.07
            xlo = xhi = None
            xlabel = (w("R1 application difficulty") + " (" + ", ".join(star_names[i] for i in difficulty_cols) +
                      "; " + w("equal values spread sideways") + ")")
        else:
            x = sq[:, qp.p50]
            xlo, xhi = sq[:, qp.p5], sq[:, qp.p95]
            xlabel = w("AIGC share of the work (R2: how far AIGC can transform it), P50 with P5–P95")
        title = w("Market space against R1's difficulty" if kind == "difficulty"
                  else "The cells on R2's two axes: transformation depth × money")
        spec = {"kind": "matrix", "title": title, "xlabel": xlabel,
                "ylabel": f"{w('market space, P50 with P5–P95')} [{w.unit(unit)}]", "x_style": "auto" if xlo is not None
                else "plain", "cell": cells, "p5": q[:, qp.p5].tolist(), "p50": q[:, qp.p50].tolist(),
                "p95": q[:, qp.p95].tolist(), "x": [float(v) for v in x], "market_stars": mstars.tolist(),
                "colors": [star_color(s) for s in mstars], "stars_title": w("R1 market stars")}
        if xlo is not None:
            spec["x_lo"], spec["x_hi"] = xlo.tolist(), xhi.tolist()
        fig = draw_matrix(ch, spec) if ch.draws else None
        out.append(ch.save(fig, f"matrix__{kind}.png", title, spec))
    compared = cells_compared(ch, f, cells, unit)
    return out + ([compared] if compared else [])


def cells_compared(ch, f, cells, unit):
    """Every cell's market on one axis: its distribution function (from its stored samples, else its quantiles), the
    three largest shown and the others a click away in the legend."""
    w = ch.w
    from .reading import Run
    cases, lows, highs = [], [], []
    for i, c in enumerate(cells):
        if "cells" not in f or c not in f["cells"]:
            continue
        run = Run(f["cells"][c], f"cells/{c}")
        s = run.summary["market"] if run.summary is not None and "market" in run.summary else None
        if s is None or "quantile" not in s:
            continue
        q = s["quantile"][()]
        x = run.samples_of("market")
        case = case_spec(f"{i + 1}. {c}", x, [], None, None, 0, 0, q, QuantileColumns(s), num_attr(s, "mean"),
                         hidden=i >= 3)
        case.pop("atoms", None)
        cases.append(case)
        lows.append(float(q[0]))
        highs.append(float(q[-1]))
    if len(cases) < 2:
        return None
    log_x = min(lows) > 0
    lo, hi = min(lows), max(highs)
    spec = {"kind": "distribution", "variable": w("market"), "style": "auto", "log": log_x,
            "title": w("The cells' market space compared (distribution functions)"),
            "xlabel": f"{w('market space')} [{w.unit(unit)}]" + (f" ({w('log scale')})" if log_x else ""),
            "ylabel": "", "cdf_label": w("cumulative probability"), "x_range": [lo / 1.2 if log_x else lo, hi * 1.2],
            "cases": cases, "markers": [], "regions": [], "no_means": True}
    fig = None
    if ch.draws:
        fig, ax = plt.subplots(figsize=(7.2, 4.2))
        for k, c in enumerate(cases):
            ax.plot(c["cdf"]["x"], c["cdf"]["p"], lw=1.6, color=([BLUE] + CASE_COLORS)[k % (len(CASE_COLORS) + 1)],
                    ls="-" if k < 3 else "--", label=c["name"])
        if log_x:
            ax.set_xscale("log")
        ax.set_xlim(*spec["x_range"])
        ax.xaxis.set_major_formatter(w.axis())
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(spec["xlabel"])
        ax.set_ylabel(spec["cdf_label"])
        ax.set_title(spec["title"], fontsize=10)
        ax.legend(fontsize=7, frameon=False, ncol=2)
    return ch.save(fig, "matrix__cells_compared.png", spec["title"], spec)


def draw_matrix(ch, spec):
    w = ch.w
    fig, ax = plt.subplots(figsize=(8.4, 5.4))
    x, p5, p50, p95 = (np.array(spec[k], dtype=float) for k in ("x", "p5", "p50", "p95"))
    yerr = np.vstack([p50 - p5, p95 - p50])
    xerr = np.vstack([x - np.array(spec["x_lo"]), np.array(spec["x_hi"]) - x]) if "x_lo" in spec else None
    for i, c in enumerate(spec["cell"]):
        s = spec["market_stars"][i]
        ax.errorbar(x[i], p50[i], yerr=yerr[:, i:i + 1], xerr=None if xerr is None else xerr[:, i:i + 1],
                    fmt="o", color=spec["colors"][i], ms=5 + 3 * s, capsize=3, lw=1.2, alpha=0.9)
        # Each point names its cell (rank and name), alternately above and below to keep neighbours apart.
        ax.annotate(f"{i + 1}. {c}", xy=(x[i], p50[i]), xytext=(7, 6 if i % 2 == 0 else -11),
                    textcoords="offset points", fontsize=7.5, color="#333")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(w.axis())
    ax.set_ylabel(spec["ylabel"])
    ax.set_xlabel(spec["xlabel"], fontsize=9)
    handles = [plt.Line2D([], [], ls="", marker="o", color=star_color(s), ms=5 + 3 * s, label=f"{s:g}★")
               for s in sorted(set(spec["market_stars"]))]
    ax.legend(handles=handles, fontsize=8, loc="lower left", bbox_to_anchor=(1.01, 0.0), frameon=False,
              title=spec["stars_title"], title_fontsize=8, labelspacing=1.3)
    ax.set_title(spec["title"], fontsize=10)
    ax.margins(x=0.12)
    return fig


def portfolio_chart(ch, f):
    w = ch.w
    p = f["portfolio"]
    names = strings(p["holding"])
    contrib = p["contribution"][()]
    expected = p["expected_pnl"][()]
    spec = {"kind": "bars", "style": "auto",
            "title": w("Portfolio: each holding's expected P&L and its share of the tail loss"),
            "xlabel": f"{w('P&L per holding')} [{w.unit(text_attr(f, 'scenario_unit')) or w('currency of the checks')}]",
            "labels": names,
            "series": [{"name": w("expected P&L"), "values": expected.tolist(), "color": BLUE},
                       {"name": f"{w('mean P&L in the worst')} {num_attr(p, 'level'):.0%}", "values": contrib.tolist(),
                        "color": RED}],
            "lines": [{"value": 0, "color": GREY}],
            "holding": names, "contribution": contrib.tolist(), "expected_pnl": expected.tolist()}
    lo = float(min(0, contrib.min(), expected.min()))
    hi = float(max(0, contrib.max(), expected.max()))
    pad = 0.08 * ((hi - lo) or 1)
    spec["xmin"], spec["xmax"] = lo - pad, hi + pad
    fig = draw_bars(ch, spec, 0.5 * len(names) + 1.8) if ch.draws else None
    return ch.save(fig, "portfolio__contributions.png", w("portfolio: contributions to the tail loss"), spec)
