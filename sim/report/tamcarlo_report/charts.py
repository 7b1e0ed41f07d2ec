"""The report's charts (matplotlib, PNG and SVG), each saved with the numbers it draws."""
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


def use_cjk_font():
    """Chinese glyphs (万/亿, zh labels) in charts, where Debian's WenQuanYi font is installed."""
    from matplotlib import font_manager
    if os.path.exists(CJK_FONT):
        font_manager.fontManager.addfont(CJK_FONT)
        plt.rcParams["font.family"] = ["DejaVu Sans", "WenQuanYi Micro Hei"]  # fallback for CJK glyphs


class Charts:
    """Saves the charts as they are drawn. With share = (k, n), this process renders and writes only every n-th
    chart from the k-th (the others are drawn, measured and closed unrendered): n processes running the same build
    write every chart once between them."""

    def __init__(self, outdir, words, dpi, svg, share=(0, 1)):
        self.outdir = outdir
        self.w = words
        self.dpi = dpi
        self.svg = svg
        self.share = share
        self.files = []  # (file name, caption)
        self.data = {}
        self.tty = sys.stderr.isatty() and share[0] == 0

    def save(self, fig, name, caption, data, layout=True):
        k, n = self.share
        if len(self.files) % n == k:
            if layout:
                fig.tight_layout()
            # zlib level 2: about a tenth of the report's time saved for 9% larger files than the default 6
            fig.savefig(os.path.join(self.outdir, name), dpi=self.dpi, pil_kwargs={"compress_level": 2})
            if self.svg:
                fig.savefig(os.path.join(self.outdir, name[:-4] + ".svg"))
        plt.close(fig)
        self.files.append((name, caption))
        self.data[name] = data
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
    n = len(x)
    values, counts = np.unique(x, return_counts=True)
    if len(values) <= 20:
        return [(float(v), c / n) for v, c in zip(values, counts)], x[:0], False
    heavy = counts >= 0.01 * n
    atoms = [(float(v), c / n) for v, c in zip(values[heavy], counts[heavy])]
    rest = x[~np.isin(x, values[heavy])] if atoms else x
    log_x = False
    if len(rest) > 100 and rest.min() > 0:
        p1, p99 = np.quantile(rest, [0.01, 0.99])
        log_x = p99 >= 100 * p1
    return atoms, rest, log_x


def draw_atoms(ax, atoms, var, style, w, log_x, top):
    """Point masses as stems, their shares in the legend; a stem taller than the histogram's scale `top` stops there
    under a triangle (its share is more than the axis shows). One the log axis cannot show (≤ 0) is written in the
    corner."""
    corner = []
    for v, share in atoms:
        label = f"P({var} = {w.num(v, style)}) = {share:.1%}"
        if log_x and v <= 0:
            corner.append(label)
            continue
        h = min(share, top)
        ax.vlines(v, 0, h, color=PURPLE, lw=2.4, label=label)
        if share > top:
            ax.plot([v], [h], marker="^", color=PURPLE, ms=7, clip_on=False)
    if corner:
        ax.text(0.01, 0.97, "\n".join(corner) + f" ({w('not on the log axis')})", transform=ax.transAxes,
                va="top", ha="left", fontsize=8, color=PURPLE,
                bbox={"facecolor": "white", "edgecolor": PURPLE, "alpha": 0.85, "boxstyle": "round,pad=0.3"})


def histogram(ch, run, var):
    """Density with the CDF, P5/P50/P95 and the mean marked; point masses as stems; a log axis for a heavy right
    tail; risk regions where the output has them."""
    w = ch.w
    s = run.summary[var]
    style = run.style(var)
    unit = text_attr(s, "unit") or ""
    q = s["quantile"][()] if "quantile" in s else None
    mean = num_attr(s, "mean")
    if q is None or q.ndim != 1:
        return None
    qp = QuantileColumns(s)
    fig, ax = plt.subplots(figsize=(7.2, 4.2))
    data = {"variable": var, "run": run.label, "p5": q[qp.p5], "p50": q[qp.p50], "p95": q[qp.p95], "mean": mean}
    x = run.samples_of(var)
    lo2, hi2 = plotted_range(q, x)
    log_x = False
    if x is not None and len(x):
        atoms, rest, log_x = shape_of(x)
        if log_x:
            lo2, hi2 = (float(v) for v in np.quantile(rest, [0.005, 0.995]))
            bins = np.geomspace(lo2, hi2, 61)
        elif len(rest):
            lo2, hi2 = plotted_range(np.quantile(rest, [0.01, 0.99]), rest)
            for v, _ in atoms:  # keep the point masses in view (at the edge: never beyond the data)
                lo2, hi2 = min(lo2, v), max(hi2, v)
            bins = np.linspace(lo2, hi2, 61)
        else:  # a discrete variable: its values only
            vs = [v for v, _ in atoms]
            span = (max(vs) - min(vs)) or 1.0
            lo2, hi2 = min(vs) - 0.05 * span, max(vs) + 0.05 * span
        data["x_range"] = [lo2, hi2]
        data["atoms"] = [{"value": v, "share": p} for v, p in atoms]
        data["log_x"] = log_x
        top = 0.0
        if len(rest):
            inside = rest[(rest >= lo2) & (rest <= hi2)]
            heights, _, _ = ax.hist(inside, bins=bins, weights=np.full(len(inside), 1 / len(x)), color=BLUE,
                                    alpha=0.55, label=w("share of samples per bin") +
                                    (" (P0.5–P99.5)" if log_x else " (P1–P99)"))
            top = float(np.max(heights)) * 1.15 if len(heights) else 0.0
            data["clipped_share"] = float(1 - (len(inside) + sum(round(p * len(x)) for _, p in atoms)) / len(x))
        top = top or max(p for _, p in atoms) * 1.15
        draw_atoms(ax, atoms, var, style, w, log_x, top)
        ax.set_ylim(0, top)
        xs = np.sort(x)
        cdf_x = np.geomspace(lo2, hi2, 200) if log_x else np.linspace(lo2, hi2, 200)
        cdf_y = np.searchsorted(xs, cdf_x, side="right") / len(xs)
        binning = w("60 log bins") if log_x else w("60 bins")
        ax.set_ylabel(f"{w('share per bin')} ({binning})" if len(rest) else w("share of samples"))
        ax.yaxis.set_major_formatter(w.axis("percent"))
    else:  # summaries only: the CDF through the stored quantiles
        cdf_x, cdf_y = np.array(q), np.array(qp.p)
        ax.set_yticks([])
        ax.set_ylabel("(samples not stored: no histogram)")
    if log_x:
        ax.set_xscale("log")
    ax2 = ax.twinx()
    ax2.plot(cdf_x, cdf_y, color=ORANGE, lw=1.8, label=w("cumulative probability"))
    ax2.set_ylim(0, 1.02)
    ax2.set_ylabel(w("cumulative probability"))
    for value, ls, label in [(q[qp.p5], ":", "P5"), (q[qp.p50], "--", "P50"), (q[qp.p95], "-.", "P95"),
                             (mean, "-", w("mean"))]:
        color, lw = (RED, 1.4) if ls == "-" else (GREY, 1.2)
        text = f"{label} {w.num(value, style)}"
        if lo2 <= value <= hi2 and not (log_x and value <= 0):
            ax.axvline(value, color=color, ls=ls, lw=lw, label=text)
        else:  # off the axis (a P5 of 0 on a log axis): named in the legend, not drawn
            ax.plot([], [], color=color, ls=ls, lw=lw, label=text + f" ({w('off the axis')})")
    # Risk: the loss region (lower tail with `below` thresholds), or a plausibility cap (upper tail).
    if "risk" in s:
        r = s["risk"]
        tail = text_attr(r, "tail", "lower")
        for t, p in zip(r["below_threshold"][()], r["p_below"][()]):
            if tail == "lower":
                if t > lo2:
                    ax.axvspan(lo2, min(t, hi2), color=RED, alpha=0.10,
                               label=f"{w('loss region')}: P({var} < {w.num(t, style)}) = {p:.1%}")
            else:
                ax.axvline(t, color=GREEN, lw=1.8,
                           label=f"{w('plausibility cap')} {w.num(t, style)}: P({var} < cap) = {p:.1%}")
            data.setdefault("thresholds", []).append({"threshold": float(t), "p_below": float(p), "tail": tail})
    ax.set_xlim(lo2, hi2)
    ax.xaxis.set_major_formatter(w.axis(style))
    if log_x:
        ax.xaxis.set_minor_formatter(plt.NullFormatter())
    ax.set_xlabel(ch.unit_label(var, unit) + (f" ({w('log scale')})" if log_x else ""))
    ax.set_title(f"{var} — {run.title or run.name}", fontsize=10)
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    rows = math.ceil(len(handles) / 3)
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, min(0.05 + 0.045 * rows, 0.35), 1, 1))
    return ch.save(fig, slug(run.label, var, "distribution") + ".png",
                   f"{run.label}: {w('distribution of')} {var}", data, layout=False)


def overlay(ch, base, stressed, var, name):
    """Base and stressed distributions of one output on one axis (density where samples are stored, else the CDF
    through the stored quantiles), their means marked."""
    w = ch.w
    sb, ss = base.summary[var], stressed.summary[var]
    if "quantile" not in sb or "quantile" not in ss or sb["quantile"].ndim != 1:
        return None
    qb, qs = sb["quantile"][()], ss["quantile"][()]
    qp = QuantileColumns(sb)
    style = base.style(var)
    xb, xs = base.samples_of(var), stressed.samples_of(var)
    both = np.concatenate([x for x in (xb, xs) if x is not None]) if (xb is not None or xs is not None) else None
    lo, hi = plotted_range(np.array([min(qb[0], qs[0]), max(qb[-1], qs[-1])]), both)
    fig, ax = plt.subplots(figsize=(7.2, 4.0))
    data = {"variable": var, "stress": name, "base_p50": float(qb[qp.p50]), "stressed_p50": float(qs[qp.p50]),
            "base_mean": num_attr(sb, "mean"), "stressed_mean": num_attr(ss, "mean")}
    log_x = False
    if xb is not None and xs is not None:
        # Point masses of either case as stems (base wide, stressed narrow), a log axis for a heavy right tail.
        atoms_b, rest_b, log_b = shape_of(xb)
        atoms_s, rest_s, log_s = shape_of(xs)
        rest = np.concatenate([rest_b, rest_s])
        log_x = log_b and log_s and len(rest) > 0
        if log_x:
            lo, hi = (float(v) for v in np.quantile(rest, [0.005, 0.995]))
            bins = np.geomspace(lo, hi, 61)
        elif len(rest):
            lo, hi = plotted_range(np.quantile(rest, [0.01, 0.99]), rest)
            for v, _ in atoms_b + atoms_s:
                lo, hi = min(lo, v), max(hi, v)
            bins = np.linspace(lo, hi, 61)
        top = 0.0
        for x, r, color, label in ((xb, rest_b, BLUE, w("base")), (xs, rest_s, ORANGE, f"{w('stressed')}: {name}")):
            if len(r):
                inside = r[(r >= lo) & (r <= hi)]
                h, _, _ = ax.hist(inside, bins=bins, weights=np.full(len(inside), 1 / len(x)), color=color,
                                  alpha=0.45, label=label)
                top = max(top, float(np.max(h)) * 1.15)
        top = top or max(p for _, p in atoms_b + atoms_s) * 1.15
        for atoms, color, lw, case in ((atoms_b, BLUE, 4.0, w("base")), (atoms_s, ORANGE, 1.8, name)):
            for v, share in atoms:
                if log_x and v <= 0:
                    ax.plot([], [], color=color, lw=lw,
                            label=f"{case}: P({var} = {w.num(v, style)}) = {share:.1%} ({w('not on the log axis')})")
                    continue
                ax.vlines(v, 0, min(share, top), color=color, lw=lw,
                          label=f"{case}: P({var} = {w.num(v, style)}) = {share:.1%}")
        data["atoms"] = {"base": [{"value": v, "share": p} for v, p in atoms_b],
                         "stressed": [{"value": v, "share": p} for v, p in atoms_s]}
        ax.set_ylim(0, top)
        ax.set_ylabel(f"{w('share per bin')} ({w('60 log bins') if log_x else w('60 bins')})")
        ax.yaxis.set_major_formatter(w.axis("percent"))
        if log_x:
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(plt.NullFormatter())
    else:
        ax.plot(qb, qp.p, color=BLUE, lw=1.8, marker="o", ms=3, label=w("base"))
        ax.plot(qs, qp.p, color=ORANGE, lw=1.8, marker="o", ms=3, label=f"{w('stressed')}: {name}")
        ax.set_ylabel(w("cumulative probability"))
    for g, color in ((sb, BLUE), (ss, ORANGE)):
        m = num_attr(g, "mean")
        if lo <= m <= hi:
            ax.axvline(m, color=color, lw=1.4, ls="--")
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_formatter(w.axis(style))
    ax.set_xlabel(ch.unit_label(var, text_attr(sb, "unit")) + f" (dashed: {w('mean')})" +
                  (f" ({w('log scale')})" if log_x else ""))
    ax.set_title(f"{var}: {w('base')} vs {w('stressed')} `{name}`", fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    return ch.save(fig, slug("stress", name, var, "overlay") + ".png", f"stress {name}: {var}, {w('base')} vs {w('stressed')}",
                   data)


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
    order = [i for i in np.argsort(-np.abs(np.nan_to_num(rho))) if np.isfinite(rho[i])][:12]
    if not order:
        return None
    order = order[::-1]  # largest at the top
    fig, ax = plt.subplots(figsize=(7.2, 0.45 * len(order) + 1.4))
    vals = [rho[i] for i in order]
    n = int(s.attrs.get("sensitivity_samples", 0))
    noise = 2 / np.sqrt(n - 1) if n > 1 else 0.0  # 2 SE of ρ when input and output are independent
    quiet = [abs(v) < noise for v in vals]
    ax.barh(range(len(order)), vals, color=[LIGHT if q else BLUE if v >= 0 else ORANGE for v, q in zip(vals, quiet)])
    if any(quiet):
        ax.axvspan(-noise, noise, color=GREY, alpha=0.15, lw=0, label=f"within 2 SE of 0 (±{noise:.3f}): no monotone effect detectable")
        ax.legend(loc="lower right", fontsize=7, frameon=False)
    ax.set_yticks(range(len(order)))
    ax.set_yticklabels([names[i] for i in order], fontsize=8)
    ax.axvline(0, color=GREY, lw=0.8)
    ax.set_xlim(-1, 1)
    ax.set_xlabel(w("Spearman rank correlation with the output"))
    ax.set_title(f"{w('What drives')} {what}? ({run.label}; first {n:,} samples)", fontsize=10)
    for y, v in enumerate(vals):
        ax.annotate(f"{v:+.2f}", xy=(v, y), xytext=(3 if v >= 0 else -3, 0), textcoords="offset points",
                    ha="left" if v >= 0 else "right", va="center", fontsize=7)
    return ch.save(fig, slug(run.label, var, "tornado") + ".png", f"{run.label}: {w('inputs driving')} {what}",
                   {"variable": var, "inputs": [names[i] for i in order[::-1]], "rho": [float(rho[i]) for i in order[::-1]],
                    "noise": float(noise), "within_noise": [bool(q) for q in quiet[::-1]]})


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
    order = [i for i in np.argsort(-np.abs(np.nan_to_num(width))) if np.isfinite(width[i])][:12]
    if not order or not math.isfinite(mean):
        return None
    order = order[::-1]  # widest at the top
    style = run.style(var)
    unit = text_attr(s, "unit") or ""
    fig, ax = plt.subplots(figsize=(7.2, 0.45 * len(order) + 1.6))
    for y, i in enumerate(order):
        ax.barh(y, high[i] - mean, left=mean, color=BLUE, height=0.6)
        ax.barh(y, low[i] - mean, left=mean, color=ORANGE, height=0.6)
    ax.axvline(mean, color=GREY, lw=1, label=f"{w('mean')} {w.num(mean, style)}")
    ax.set_yticks(range(len(order)))
    ax.set_yticklabels([names[i] for i in order], fontsize=8)
    ax.xaxis.set_major_formatter(w.axis(style))
    lo = min(min(low[i], high[i]) for i in order)
    hi = max(max(low[i], high[i]) for i in order)
    pad = 0.18 * (hi - lo if hi > lo else abs(mean) or 1)
    ax.set_xlim(min(lo, mean) - pad, max(hi, mean) + pad)
    for y, i in enumerate(order):
        ax.annotate(w.num(width[i], style), xy=(max(low[i], high[i]), y), xytext=(3, 0), textcoords="offset points",
                    ha="left", va="center", fontsize=7)
    n = int(s.attrs.get("sensitivity_samples", 0))
    ax.set_xlabel(ch.unit_label(var, unit) + "\n" + w("mean with the input in its lowest (orange) and highest (blue) decile"),
                  fontsize=8)
    ax.set_title(f"{w('Swing of')} {what} ({run.label}; first {n:,} samples)", fontsize=10)
    ax.legend(loc="lower right", fontsize=7, frameon=False)
    return ch.save(fig, slug(run.label, var, "swing") + ".png", f"{run.label}: {w('swing of')} {what} {w('per input')}",
                   {"variable": var, "inputs": [names[i] for i in order[::-1]], "mean": float(mean),
                    "low": [float(low[i]) for i in order[::-1]], "high": [float(high[i]) for i in order[::-1]],
                    "se": [float(se[i]) for i in order[::-1]]})


def index_axis(ax, lo, hi):
    """An axis for shares of variance: from 0 (or a little below, for a CI that crosses it) to the largest CI end, but
    never wider than −0.1 … 1.1, so that one wild CI (a heavy-tailed output's total index of 0.8 ± 12) does not turn
    every other bar into a line. Returns True when a CI was clipped."""
    left = max(min(0.0, float(np.min(lo))) - 0.02, -0.1)
    right = min(max(float(np.max(hi)) * 1.08 + 0.02, 0.1), 1.1)
    ax.set_xlim(left, right)
    return bool(np.min(lo) < left or np.max(hi) > right)


def shapley_chart(ch, run, var):
    """Shapley effects with their 95% CIs, largest at the top: each input's share of the variance, fair under the
    inputs' correlations (shown instead of Sobol' indices, which assume independent inputs)."""
    w = ch.w
    g = run.summary[var]["shapley"]
    names = strings(g["input"])
    eff, lo, hi = g["effect"][()], g["effect_lo"][()], g["effect_hi"][()]
    order = list(np.argsort(eff))[-12:]
    fig, ax = plt.subplots(figsize=(7.2, 0.4 * len(order) + 1.6))
    y = np.arange(len(order))
    ax.barh(y, [eff[i] for i in order], height=0.6, color=BLUE,
            xerr=np.vstack([[eff[i] - lo[i] for i in order], [hi[i] - eff[i] for i in order]]), capsize=2)
    ax.set_yticks(y)
    ax.set_yticklabels([names[i] for i in order], fontsize=8)
    ax.axvline(0, color=GREY, lw=0.8)
    clipped = index_axis(ax, lo[order], hi[order])
    ax.set_xlabel(w("share of the output's variance") + " (95% CI" + (f"; {w('CIs clipped to the axis')}" if clipped
                                                                      else "") + ")\n" +
                  w("inputs are correlated: Shapley effects (they sum to 1), not Sobol' indices"), fontsize=8)
    year = f" {w('in')} {int(g.attrs['year'])}" if "year" in g.attrs else ""
    ax.set_title(f"{w('Shapley effects of')} {var}{year} ({run.label}; {int(g.attrs.get('permutations', 0)):,} "
                 f"{w('permutations')})", fontsize=10)
    return ch.save(fig, slug(run.label, var, "shapley") + ".png", f"{run.label}: {w('Shapley effects of')} {var}",
                   {"variable": var, "inputs": names, "effect": eff.tolist(), "lo": lo.tolist(), "hi": hi.tolist()})


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
    order = [i for i in np.argsort(v) if np.isfinite(v[i])][-14:]
    if not order:
        return None
    labels = [f"{names[i]} ({members[i].replace(' ', ', ')})" if group[i] else names[i] for i in order]
    labels = [lb if len(lb) <= 48 else lb[:45] + "…)" for lb in labels]
    fig, ax = plt.subplots(figsize=(7.2, 0.4 * len(order) + 1.8))
    y = np.arange(len(order))
    half = [1.96 * se[i] + bias[i] for i in order]
    ax.barh(y, [v[i] for i in order], height=0.6, color=[ORANGE if group[i] else BLUE for i in order],
            xerr=[half, half], capsize=2)
    ax.axvline(evpi, color=GREY, lw=1, ls="--", label=f"EVPI {w.num(evpi)}")
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=8)
    ax.xaxis.set_major_formatter(w.axis("auto"))
    ax.set_xlim(0, max(evpi, max(v[i] + h for i, h in zip(order, half))) * 1.08 or 1)
    unit = text_attr(d, "unit")
    ax.set_xlabel(w("expected value of learning it before deciding (EVPPI)") + (f", {unit}" if unit else "") +
                  "\n" + w("blue: one input, orange: a group; bars: 95% CI with the bias bound"), fontsize=8)
    ax.set_title(f"{w('What is worth learning before deciding')} ({run.label})", fontsize=10)
    ax.legend(loc="lower right", fontsize=7, frameon=False)
    return ch.save(fig, slug(run.label, "decision", "evppi") + ".png", f"{run.label}: EVPPI",
                   {"questions": [names[i] for i in order], "evppi": [float(v[i]) for i in order], "evpi": evpi})


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
    f_err = np.vstack([first - g["first_lo"][()], g["first_hi"][()] - first])
    t_err = np.vstack([total - g["total_lo"][()], g["total_hi"][()] - total])
    order = list(np.argsort(total))[-12:]  # largest at the top
    fig, ax = plt.subplots(figsize=(7.2, 0.5 * len(order) + 1.6))
    y = np.arange(len(order))
    ax.barh(y + 0.2, [total[i] for i in order], height=0.4, xerr=t_err[:, order], color=ORANGE, capsize=2,
            label=w("total index ST (with interactions)"))
    ax.barh(y - 0.2, [first[i] for i in order], height=0.4, xerr=f_err[:, order], color=BLUE, capsize=2,
            label=w("first-order index S (alone)"))
    ax.set_yticks(y)
    ax.set_yticklabels([names[i] for i in order], fontsize=8)
    ax.axvline(0, color=GREY, lw=0.8)
    clipped = index_axis(ax, np.minimum(g["first_lo"][()], g["total_lo"][()])[order],
                         np.maximum(g["first_hi"][()], g["total_hi"][()])[order])
    ax.set_xlabel(w("share of the output's variance") + " (95% CI" +
                  (f"; {w('CIs clipped to the axis')}" if clipped else "") + ")")
    n = int(g.attrs.get("samples", 0))
    note = "; correlated inputs treated as independent" if int(g.attrs.get("correlated_inputs", 0)) else ""
    year = f" {w('in')} {int(g.attrs['year'])}" if "year" in g.attrs else ""
    title = w("Sobol' indices of")
    ax.set_title(f"{title} {var}{year} ({run.label}; N = {n:,}{note})", fontsize=10)
    ax.legend(fontsize=7, loc="lower right", frameon=False)
    return ch.save(fig, slug(run.label, var, "sobol") + ".png", f"{run.label}: Sobol' indices of {var}",
                   {"variable": var, "inputs": names, "first": first.tolist(), "total": total.tolist(),
                    "first_lo": g["first_lo"][()].tolist(), "first_hi": g["first_hi"][()].tolist(),
                    "total_lo": g["total_lo"][()].tolist(), "total_hi": g["total_hi"][()].tolist()})


def fan(ch, run, var):
    w = ch.w
    s = run.summary[var]
    if "year" not in s or "quantile" not in s:
        return None
    years = s["year"][()]
    q = s["quantile"][()]
    qp = QuantileColumns(s)
    unit = text_attr(s, "unit")
    style = run.style(var)
    fig, ax = plt.subplots(figsize=(7.2, 4.2))
    ax.fill_between(years, q[:, qp.p5], q[:, qp.p95], color=BLUE, alpha=0.18, label=w("90% band (P5–P95)"))
    ax.fill_between(years, q[:, qp.p25], q[:, qp.p75], color=BLUE, alpha=0.35, label=w("50% band (P25–P75)"))
    ax.plot(years, q[:, qp.p50], color=BLUE, lw=2, label=w("median"))
    point = s["point"][()] if "point" in s else None
    if point is not None:
        ax.plot(years, point, color=ORANGE, lw=1.2, ls="--", label=w("point estimate"))
    ax.yaxis.set_major_formatter(w.axis(style))
    ax.xaxis.set_major_formatter(w.axis("year"))
    ax.set_xlabel(w("year"))
    ax.set_ylabel(ch.unit_label(var, unit))
    ax.set_xticks(years if len(years) <= 12 else years[:: max(1, len(years) // 10)])
    ax.set_title(f"{var} {w('by year')} — {run.title or run.name}", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", frameon=False)
    return ch.save(fig, slug(run.label, var, "fan") + ".png", f"{run.label}: {var} {w('by year')} ({w('fan chart')})",
                   {"variable": var, "run": run.label, "year": years.tolist(), "p5": q[:, qp.p5].tolist(),
                    "p25": q[:, qp.p25].tolist(), "p50": q[:, qp.p50].tolist(), "p75": q[:, qp.p75].tolist(),
                    "p95": q[:, qp.p95].tolist()})


def fan_overlay(ch, base, stressed, var, name):
    """A timed output's base and stressed fan charts on one axis: each case's P5–P95 band and median by year."""
    w = ch.w
    sb, ss = base.summary[var], stressed.summary[var]
    if "year" not in sb or "quantile" not in sb or "quantile" not in ss:
        return None
    years = sb["year"][()]
    qb, qs = sb["quantile"][()], ss["quantile"][()]
    qp = QuantileColumns(sb)
    style = base.style(var)
    fig, ax = plt.subplots(figsize=(7.2, 4.2))
    for q, color, label in ((qb, BLUE, w("base")), (qs, ORANGE, f"{w('stressed')}: {name}")):
        ax.fill_between(years, q[:, qp.p5], q[:, qp.p95], color=color, alpha=0.18,
                        label=f"{label}: {w('90% band (P5–P95)')}")
        ax.plot(years, q[:, qp.p50], color=color, lw=2, label=f"{label}: {w('median')}")
    ax.yaxis.set_major_formatter(w.axis(style))
    ax.xaxis.set_major_formatter(w.axis("year"))
    ax.set_xticks(years if len(years) <= 12 else years[:: max(1, len(years) // 10)])
    ax.set_xlabel(w("year"))
    ax.set_ylabel(ch.unit_label(var, text_attr(sb, "unit")))
    ax.set_title(f"{var} {w('by year')}: {w('base')} vs {w('stressed')} `{name}`", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", frameon=False)
    return ch.save(fig, slug("stress", name, var, "fan") + ".png",
                   f"stress {name}: {var} {w('by year')}, {w('base')} vs {w('stressed')}",
                   {"variable": var, "stress": name, "year": years.tolist(),
                    "base_p50": qb[:, qp.p50].tolist(), "stressed_p50": qs[:, qp.p50].tolist(),
                    "base_p5": qb[:, qp.p5].tolist(), "base_p95": qb[:, qp.p95].tolist(),
                    "stressed_p5": qs[:, qp.p5].tolist(), "stressed_p95": qs[:, qp.p95].tolist()})


def matrix_charts(ch, f):
    w = ch.w
    m = f["matrix"]
    cells = strings(m["cell"])
    stars = m["stars"][()]
    star_names = strings(m["star_names"])
    q = m["market_quantile"][()]
    sq = m["share_quantile"][()]
    qp = QuantileColumns(m)
    unit = text_attr(m, "unit")
    difficulty_cols = [i for i, n in enumerate(star_names) if n != text_attr(m, "rank_by", "market")]
    market_col = star_names.index(text_attr(m, "rank_by", "market")) if text_attr(m, "rank_by", "market") in star_names else 0
    difficulty = stars[:, difficulty_cols].mean(axis=1)
    mstars = stars[:, market_col]
    out = []
    star_color = {1: "#b0b0b0", 2: "#7aa6c2", 3: "#1f5f99", 4: "#d9730d", 5: "#b22222"}
    color_of = lambda s: star_color.get(int(round(s)), GREY)  # noqa: E731
    for kind in ("difficulty", "r2"):
        fig, ax = plt.subplots(figsize=(8.4, 5.4))
        if kind == "difficulty":
            # Cells with the same difficulty are spread sideways so their markers and bars do not overlap.
            x = difficulty.astype(float).copy()
            for d in sorted(set(np.round(difficulty, 3))):
                same = [i for i in range(len(cells)) if round(difficulty[i], 3) == d]
                for j, i in enumerate(same):
                    x[i] += (j - (len(same) - 1) / 2) * 0.07
            xerr = None
            xlabel = (w("R1 application difficulty") + " (" + ", ".join(star_names[i] for i in difficulty_cols) +
                      "; " + w("equal values spread sideways") + ")")
        else:
            x = sq[:, qp.p50]
            xerr = np.vstack([x - sq[:, qp.p5], sq[:, qp.p95] - x])
            xlabel = w("AIGC share of the work (R2: how far AIGC can transform it), P50 with P5–P95")
        yerr = np.vstack([q[:, qp.p50] - q[:, qp.p5], q[:, qp.p95] - q[:, qp.p50]])
        for i, c in enumerate(cells):
            color = color_of(mstars[i])
            ax.errorbar(x[i], q[i, qp.p50], yerr=yerr[:, i:i + 1], xerr=None if xerr is None else xerr[:, i:i + 1],
                        fmt="o", color=color, ms=5 + 3 * mstars[i], capsize=3, lw=1.2, alpha=0.9)
            # Each point names its cell (rank and name), alternately above and below to keep neighbours apart.
            ax.annotate(f"{i + 1}. {c}", xy=(x[i], q[i, qp.p50]), xytext=(7, 6 if i % 2 == 0 else -11),
                        textcoords="offset points", fontsize=7.5, color="#333")
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(w.axis())
        ax.set_ylabel(f"{w('market space, P50 with P5–P95')} [{unit}]")
        ax.set_xlabel(xlabel, fontsize=9)
        handles = [plt.Line2D([], [], ls="", marker="o", color=color_of(s), ms=5 + 3 * s, label=f"{s:g}★")
                   for s in sorted(set(mstars))]
        ax.legend(handles=handles, fontsize=8, loc="lower left", bbox_to_anchor=(1.01, 0.0), frameon=False,
                  title=w("R1 market stars"), title_fontsize=8, labelspacing=1.3)
        title = w("Market space against R1's difficulty" if kind == "difficulty"
                  else "The cells on R2's two axes: transformation depth × money")
        ax.set_title(title, fontsize=10)
        ax.margins(x=0.12)
        data = {"cell": cells, "p5": q[:, qp.p5].tolist(), "p50": q[:, qp.p50].tolist(), "p95": q[:, qp.p95].tolist(),
                "x": [float(v) for v in x], "market_stars": mstars.tolist()}
        out.append(ch.save(fig, f"matrix__{kind}.png", title, data))
    return out


def portfolio_chart(ch, f):
    w = ch.w
    p = f["portfolio"]
    names = strings(p["holding"])
    contrib = p["contribution"][()]
    expected = p["expected_pnl"][()]
    fig, ax = plt.subplots(figsize=(7.2, 0.5 * len(names) + 1.8))
    y = np.arange(len(names))
    ax.barh(y - 0.2, expected, height=0.4, color=BLUE, label=w("expected P&L"))
    ax.barh(y + 0.2, contrib, height=0.4, color=RED, label=f"mean P&L in the worst {num_attr(p, 'level'):.0%}")
    ax.set_yticks(y)
    ax.set_yticklabels(names)
    ax.axvline(0, color=GREY, lw=0.8)
    ax.xaxis.set_major_formatter(w.axis())
    ax.set_xlabel(f"P&L per holding [{text_attr(f, 'scenario_unit') or 'currency of the checks'}]")
    ax.set_title(w("Portfolio: each holding's expected P&L and its share of the tail loss"), fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    return ch.save(fig, "portfolio__contributions.png", ch.w("portfolio: contributions to the tail loss"),
                   {"holding": names, "contribution": contrib.tolist(), "expected_pnl": expected.tolist()})
