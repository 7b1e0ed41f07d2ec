#!/usr/bin/python3
"""tamcarlo report: charts and one self-contained HTML page from a tamcarlo result file.

Called by `tamcarlo report RESULT.h5 [-o DIR] [--locale en|zh]` (Debian's /usr/bin/python3 with
python3-h5py and python3-matplotlib). Reads only the result file; writes DIR (default: the result's
name + "-report") under a temporary name and renames it when complete:
  index.html      the page: summary tables, inputs with their sources, run identity, charts embedded
  *.png           every chart
  data.json       the numbers each chart draws (bands, bars, markers), for checking and reuse
Exit codes as tamcarlo's: 0 ok, 1 usage (missing or foreign file), 3 failure (cannot write, libraries missing).
"""
import argparse
import base64
import html
import json
import math
import os
import shutil
import signal
import sys

try:
    import h5py
    import numpy as np
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager
    from matplotlib.ticker import FuncFormatter
except ImportError as e:  # pragma: no cover - environment problem
    sys.stderr.write(f"tamcarlo report: error: {e}; install python3-h5py and python3-matplotlib "
                     "(bash .ci/setup) and use /usr/bin/python3\n")
    sys.exit(3)

PROBS = [0.01, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.99]
P5, P25, P50, P75, P95 = 1, 3, 4, 5, 7  # indices into PROBS
CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
BLUE, ORANGE, GREY, RED, GREEN = "#1f5f99", "#d9730d", "#6b6b6b", "#b22222", "#2e7d32"
LIGHT = "#c8c8c8"  # a bar that is noise


# ---------------------------------------------------------------- number formatting
def readable(x, locale="en", digits=3):
    """1.32e10 → '13.2 bn' (en) or '132亿' (zh); small numbers plainly."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    a = abs(x)
    if locale == "zh":
        steps = [(1e12, "万亿"), (1e8, "亿"), (1e4, "万")]
        sep = ""
    else:
        steps = [(1e12, " tn"), (1e9, " bn"), (1e6, " M"), (1e3, " k")]
        sep = None
    for scale, suffix in steps:
        if a >= scale:
            return f"{x / scale:.{digits}g}{suffix}"
    if a == 0:
        return "0"
    if a >= 1:
        return f"{x:.{digits + 1}g}"
    return f"{x:.{digits}g}"


def formatter(locale):
    return FuncFormatter(lambda v, _pos: readable(v, locale))


# ---------------------------------------------------------------- reading a result
def text_attr(obj, name, default=""):
    v = obj.attrs.get(name, default)
    return v.decode() if isinstance(v, bytes) else str(v)


def num_attr(obj, name, default=float("nan")):
    v = obj.attrs.get(name, default)
    try:
        return float(v)
    except (TypeError, ValueError):
        return default


def strings(ds):
    return [s.decode() if isinstance(s, bytes) else str(s) for s in ds[()]]


class Run:
    """One scenario's run inside a file: the root, a suite member, or a stressed case."""

    def __init__(self, group, label):
        self.g = group
        self.label = label
        self.name = text_attr(group, "scenario_name")
        self.title = text_attr(group, "scenario_title")
        self.unit = text_attr(group, "scenario_unit")
        self.text = text_attr(group, "scenario")
        self.seed = int(group.attrs.get("seed", 0))
        self.samples = int(group.attrs.get("samples", 0))
        self.summary = group["summary"] if "summary" in group else None
        self.stored = group["samples"] if "samples" in group else None

    def variables(self):
        return [] if self.summary is None else list(self.summary.keys())

    def reported(self):
        return [v for v in self.variables() if int(self.summary[v].attrs.get("reported", 0)) == 1]

    def inputs(self):
        return [v for v in self.variables() if text_attr(self.summary[v], "kind") == "input"]


# ---------------------------------------------------------------- charts
class Charts:
    def __init__(self, outdir, locale):
        self.outdir = outdir
        self.locale = locale
        self.files = []  # (file name, caption)
        self.data = {}

    def save(self, fig, name, caption, data, layout=True):
        if layout:
            fig.tight_layout()
        path = os.path.join(self.outdir, name)
        fig.savefig(path, dpi=110)
        plt.close(fig)
        self.files.append((name, caption))
        self.data[name] = data
        return name

    def unit_label(self, var, unit):
        return f"{var} [{unit}]" if unit else var


def slug(*parts):
    return "__".join(p.replace("/", "_").replace(".", "_").replace(" ", "_") for p in parts if p)


def histogram(ch, run, var):
    """Density with the CDF, P5/P50/P95 and the mean marked; risk regions where the output has them."""
    s = run.summary[var]
    unit = text_attr(s, "unit") or ""
    q = s["quantile"][()] if "quantile" in s else None
    mean = num_attr(s, "mean")
    if q is None or q.ndim != 1:
        return None
    fig, ax = plt.subplots(figsize=(7.2, 4.2))
    data = {"variable": var, "run": run.label, "p5": q[P5], "p50": q[P50], "p95": q[P95], "mean": mean}
    lo, hi = q[0], q[-1]  # P1..P99: the plotted range
    if run.stored is not None and var in run.stored and run.stored[var].ndim == 1:
        x = run.stored[var][()]
        x = x[np.isfinite(x)]
        width = hi - lo if hi > lo else max(abs(lo), 1.0)
        lo2, hi2 = lo - 0.05 * width, hi + 0.05 * width
        inside = x[(x >= lo2) & (x <= hi2)]
        ax.hist(inside, bins=60, density=True, color=BLUE, alpha=0.55, label="density (P1–P99 range)")
        xs = np.sort(x)
        cdf_x = np.linspace(lo2, hi2, 200)
        cdf_y = np.searchsorted(xs, cdf_x, side="right") / len(xs)
        data["clipped_share"] = float(1 - len(inside) / max(len(x), 1))
    else:  # summaries only: the CDF through the stored quantiles
        cdf_x, cdf_y = np.array(q), np.array(PROBS)
        ax.set_yticks([])
    ax2 = ax.twinx()
    ax2.plot(cdf_x, cdf_y, color=ORANGE, lw=1.8, label="cumulative probability")
    ax2.set_ylim(0, 1.02)
    ax2.set_ylabel("cumulative probability")
    for value, style, label in [(q[P5], ":", "P5"), (q[P50], "--", "P50"), (q[P95], "-.", "P95")]:
        ax.axvline(value, color=GREY, ls=style, lw=1.2, label=f"{label} {readable(value, ch.locale)}")
    ax.axvline(mean, color=RED, lw=1.4, label=f"mean {readable(mean, ch.locale)}")
    # Risk: the loss region (lower tail with `below` thresholds), or a plausibility cap (upper tail).
    if "risk" in s:
        r = s["risk"]
        tail = text_attr(r, "tail", "lower")
        for t, p in zip(r["below_threshold"][()], r["p_below"][()]):
            if tail == "lower":
                ax.axvspan(min(lo, t), t, color=RED, alpha=0.10, label=f"loss region: P({var} < {t:g}) = {p:.1%}")
            else:
                ax.axvline(t, color=GREEN, lw=1.8, label=f"plausibility cap {t:g}: P({var} < cap) = {p:.1%}")
            data.setdefault("thresholds", []).append({"threshold": float(t), "p_below": float(p), "tail": tail})
    ax.xaxis.set_major_formatter(formatter(ch.locale))
    ax.set_xlabel(ch.unit_label(var, unit))
    ax.set_ylabel("density")
    ax.set_yticks([])
    ax.set_title(f"{var} — {run.title or run.name}", fontsize=10)
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.12 if len(handles) <= 6 else 0.17, 1, 1))
    return ch.save(fig, slug(run.label, var, "distribution") + ".png",
                   f"{run.label}: distribution of {var}", data, layout=False)


def tornado(ch, run, var):
    s = run.summary[var]
    if "sensitivity" not in s:
        return None
    rho = s["sensitivity"][()]
    names = strings(s["sensitivity_input"])
    if rho.ndim == 2:  # timed: the last year
        year = int(s["year"][()][-1])
        rho = rho[-1]
        what = f"{var} in {year}"
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
    ax.set_xlabel("Spearman rank correlation with the output")
    ax.set_title(f"What drives {what}? ({run.label}; first {n:,} samples)", fontsize=10)
    for y, v in enumerate(vals):
        ax.annotate(f"{v:+.2f}", xy=(v, y), xytext=(3 if v >= 0 else -3, 0), textcoords="offset points",
                    ha="left" if v >= 0 else "right", va="center", fontsize=7)
    return ch.save(fig, slug(run.label, var, "tornado") + ".png", f"{run.label}: inputs driving {what}",
                   {"variable": var, "inputs": [names[i] for i in order[::-1]], "rho": [float(rho[i]) for i in order[::-1]],
                    "noise": float(noise), "within_noise": [bool(q) for q in quiet[::-1]]})


def fan(ch, run, var):
    s = run.summary[var]
    if "year" not in s or "quantile" not in s:
        return None
    years = s["year"][()]
    q = s["quantile"][()]
    unit = text_attr(s, "unit")
    fig, ax = plt.subplots(figsize=(7.2, 4.2))
    ax.fill_between(years, q[:, P5], q[:, P95], color=BLUE, alpha=0.18, label="90% band (P5–P95)")
    ax.fill_between(years, q[:, P25], q[:, P75], color=BLUE, alpha=0.35, label="50% band (P25–P75)")
    ax.plot(years, q[:, P50], color=BLUE, lw=2, label="median")
    point = s["point"][()] if "point" in s else None
    if point is not None:
        ax.plot(years, point, color=ORANGE, lw=1.2, ls="--", label="point estimate")
    ax.yaxis.set_major_formatter(formatter(ch.locale))
    ax.set_xlabel("year")
    ax.set_ylabel(ch.unit_label(var, unit))
    ax.set_xticks(years if len(years) <= 12 else years[:: max(1, len(years) // 10)])
    ax.set_title(f"{var} by year — {run.title or run.name}", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", frameon=False)
    return ch.save(fig, slug(run.label, var, "fan") + ".png", f"{run.label}: {var} by year (fan chart)",
                   {"variable": var, "run": run.label, "year": years.tolist(), "p5": q[:, P5].tolist(),
                    "p25": q[:, P25].tolist(), "p50": q[:, P50].tolist(), "p75": q[:, P75].tolist(),
                    "p95": q[:, P95].tolist()})


def matrix_charts(ch, f):
    m = f["matrix"]
    cells = strings(m["cell"])
    stars = m["stars"][()]
    star_names = strings(m["star_names"])
    q = m["market_quantile"][()]
    sq = m["share_quantile"][()]
    unit = text_attr(m, "unit")
    difficulty_cols = [i for i, n in enumerate(star_names) if n != text_attr(m, "rank_by", "market")]
    market_col = star_names.index(text_attr(m, "rank_by", "market")) if text_attr(m, "rank_by", "market") in star_names else 0
    difficulty = stars[:, difficulty_cols].mean(axis=1)
    mstars = stars[:, market_col]
    out = []
    star_color = {1: "#b0b0b0", 2: "#7aa6c2", 3: "#1f5f99", 4: "#d9730d", 5: "#b22222"}
    color_of = lambda s: star_color.get(int(round(s)), GREY)  # noqa: E731
    for kind in ("difficulty", "r2"):
        fig, ax = plt.subplots(figsize=(7.6, 5.0))
        if kind == "difficulty":
            # Cells with the same difficulty are spread sideways so their markers and bars do not overlap.
            x = difficulty.astype(float).copy()
            for d in sorted(set(np.round(difficulty, 3))):
                same = [i for i in range(len(cells)) if round(difficulty[i], 3) == d]
                for j, i in enumerate(same):
                    x[i] += (j - (len(same) - 1) / 2) * 0.07
            xerr = None
            xlabel = ("R1 application difficulty (mean of " + ", ".join(star_names[i] for i in difficulty_cols) +
                      " stars; equal values spread sideways)")
        else:
            x = sq[:, P50]
            xerr = np.vstack([x - sq[:, P5], sq[:, P95] - x])
            xlabel = "AIGC share of the work (R2: how far AIGC can transform it), P50 with P5–P95"
        yerr = np.vstack([q[:, P50] - q[:, P5], q[:, P95] - q[:, P50]])
        for i, c in enumerate(cells):
            color = color_of(mstars[i])
            ax.errorbar(x[i], q[i, P50], yerr=yerr[:, i:i + 1], xerr=None if xerr is None else xerr[:, i:i + 1],
                        fmt="o", color=color, ms=5 + 3 * mstars[i], capsize=3, lw=1.2, alpha=0.9)
            ax.annotate(str(i + 1), xy=(x[i], q[i, P50]), xytext=(6, 4), textcoords="offset points", fontsize=9)
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(formatter(ch.locale))
        ax.set_ylabel(f"market space, P50 with P5–P95 [{unit}]")
        ax.set_xlabel(xlabel, fontsize=9)
        handles = [plt.Line2D([], [], ls="", marker="o", color=color_of(s), ms=5 + 3 * s, label=f"{s:g}★")
                   for s in sorted(set(mstars))]
        ax.legend(handles=handles, fontsize=8, loc="lower left", bbox_to_anchor=(1.01, 0.0), frameon=False,
                  title="R1 market stars", title_fontsize=8, labelspacing=1.3)
        key = "\n".join(f"{i + 1} {c}" for i, c in enumerate(cells))
        ax.text(1.02, 1.0, key, transform=ax.transAxes, va="top", fontsize=8, family="monospace")
        title = ("Market space against R1's difficulty" if kind == "difficulty"
                 else "The cells on R2's two axes: transformation depth × money")
        ax.set_title(title, fontsize=10)
        data = {"cell": cells, "p5": q[:, P5].tolist(), "p50": q[:, P50].tolist(), "p95": q[:, P95].tolist(),
                "x": [float(v) for v in x], "market_stars": mstars.tolist()}
        out.append(ch.save(fig, f"matrix__{kind}.png", title, data))
    return out


def portfolio_chart(ch, f):
    p = f["portfolio"]
    names = strings(p["holding"])
    contrib = p["contribution"][()]
    expected = p["expected_pnl"][()]
    fig, ax = plt.subplots(figsize=(7.2, 0.5 * len(names) + 1.8))
    y = np.arange(len(names))
    ax.barh(y - 0.2, expected, height=0.4, color=BLUE, label="expected P&L")
    ax.barh(y + 0.2, contrib, height=0.4, color=RED, label=f"mean P&L in the worst {num_attr(p, 'level'):.0%}")
    ax.set_yticks(y)
    ax.set_yticklabels(names)
    ax.axvline(0, color=GREY, lw=0.8)
    ax.xaxis.set_major_formatter(formatter(ch.locale))
    ax.set_xlabel(f"P&L per holding [{text_attr(f, 'scenario_unit') or 'currency of the checks'}]")
    ax.set_title("Portfolio: each holding's expected P&L and its share of the tail loss", fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    return ch.save(fig, "portfolio__contributions.png", "portfolio: contributions to the tail loss",
                   {"holding": names, "contribution": contrib.tolist(), "expected_pnl": expected.tolist()})


# ---------------------------------------------------------------- the page
CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222;line-height:1.4}
table{border-collapse:collapse;margin:.6em 0;font-size:.88em}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}
td.t,th.t{text-align:left}th{background:#f1f3f5}img{max-width:100%;border:1px solid #eee;margin:.4em 0}
figure{margin:1em 0}figcaption{font-size:.85em;color:#555}pre{background:#f7f7f7;padding:.6em;overflow-x:auto;font-size:.8em}
.id{color:#555;font-size:.9em}h2{border-bottom:2px solid #1f5f99;padding-bottom:.2em}"""


def esc(x):
    return html.escape(str(x))


def table(header, rows, text_cols=(0,)):
    h = "".join(f'<th class="{"t" if i in text_cols else ""}">{esc(c)}</th>' for i, c in enumerate(header))
    body = "".join("<tr>" + "".join(f'<td class="{"t" if i in text_cols else ""}">{esc(c)}</td>'
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><tr>{h}</tr>{body}</table>"


def figure(ch, name, caption):
    with open(os.path.join(ch.outdir, name), "rb") as fh:
        b64 = base64.b64encode(fh.read()).decode()
    return f'<figure><img alt="{esc(caption)}" src="data:image/png;base64,{b64}"><figcaption>{esc(caption)}</figcaption></figure>'


def run_section(ch, run, heading):
    loc = ch.locale
    parts = [f"<h2>{esc(heading)}</h2>",
             f'<p class="id">scenario <b>{esc(run.name)}</b> · {esc(run.title)} · seed {run.seed} · '
             f'{run.samples:,} samples · unit {esc(run.unit) or "–"}</p>']
    rows = []
    for v in run.reported():
        s = run.summary[v]
        if "year" in s:
            years = s["year"][()]
            q = s["quantile"][()] if "quantile" in s else None
            for t, y in enumerate(years):
                rows.append([f"{v} [{int(y)}]", text_attr(s, "unit"), readable(s["point"][t], loc),
                             readable(s["mean"][t], loc), readable(q[t, P5], loc) if q is not None else "–",
                             readable(q[t, P50], loc) if q is not None else "–",
                             readable(q[t, P95], loc) if q is not None else "–"])
        else:
            q = s["quantile"][()] if "quantile" in s else None
            rows.append([v, text_attr(s, "unit"), readable(num_attr(s, "point"), loc),
                         f"{readable(num_attr(s, 'mean'), loc)} ± {readable(1.96 * num_attr(s, 'mean_se'), loc)}",
                         readable(q[P5], loc) if q is not None else "–", readable(q[P50], loc) if q is not None else "–",
                         readable(q[P95], loc) if q is not None else "–"])
    parts.append("<h3>Outputs</h3>" + table(["output", "unit", "point", "mean ± 95% CI", "P5", "P50", "P95"], rows, (0, 1)))
    risk_rows = []
    for v in run.reported():
        s = run.summary[v]
        if "risk" not in s:
            continue
        r = s["risk"]
        for lvl, var, cvar, se in zip(r["level"][()], r["var"][()], r["cvar"][()], r["cvar_se"][()]):
            risk_rows.append([v, f"VaR / CVaR {lvl:.0%} ({text_attr(r, 'tail')} tail)",
                              f"{readable(var, loc)} / {readable(cvar, loc)} ± {readable(1.96 * se, loc)}"])
        for t, p, lo, hi in zip(r["below_threshold"][()], r["p_below"][()], r["p_below_lo"][()], r["p_below_hi"][()]):
            risk_rows.append([v, f"P({v} < {t:g})", f"{p:.3f} [{lo:.3f}, {hi:.3f}]"])
        for t, p, lo, hi in zip(r["at_least_threshold"][()], r["p_at_least"][()], r["p_at_least_lo"][()],
                                r["p_at_least_hi"][()]):
            risk_rows.append([v, f"P({v} ≥ {t:g})", f"{p:.3f} [{lo:.3f}, {hi:.3f}]"])
    if risk_rows:
        parts.append("<h3>Risk</h3>" + table(["output", "metric", "value [95% CI]"], risk_rows, (0, 1, 2)))
    in_rows = [[v, text_attr(run.summary[v], "law"), text_attr(run.summary[v], "unit"),
                readable(num_attr(run.summary[v], "point"), loc), text_attr(run.summary[v], "source")]
               for v in run.inputs()]
    parts.append("<h3>Inputs and their sources</h3>" + table(["input", "law", "unit", "point", "source"], in_rows,
                                                             (0, 1, 2, 4)))
    return parts


def build(path, outdir, locale):
    f = h5py.File(path, "r")
    if text_attr(f, "kind") == "part":
        raise ValueError("this is one part of a sharded run, not a result: join the parts with "
                         "`tamcarlo merge PARTS... -o RESULT.h5`, then report RESULT.h5")
    if "format_version" not in f.attrs:
        raise ValueError(f"{path} is not a tamcarlo result file (no format_version attribute)")
    kind = text_attr(f, "kind", "scenario")
    expected = ["summary"] if kind == "scenario" else ["cells", "runs", "shared"]
    if not any(g in f for g in expected):
        raise ValueError(f"{path} has a tamcarlo result's attributes but no {' or '.join(g + '/' for g in expected)} "
                         "group: it was not written by tamcarlo run, or it is damaged")
    ch = Charts(outdir, locale)
    title = text_attr(f, "suite_title") if kind == "suite" else text_attr(f, "scenario_title")
    name = text_attr(f, "suite_name") if kind == "suite" else text_attr(f, "scenario_name")
    page = [f"<!doctype html><html lang=\"{'zh' if locale == 'zh' else 'en'}\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(name)} — tamcarlo report</title><style>{CSS}</style></head><body>",
            f"<h1>{esc(name)}{' — ' + esc(title) if title else ''}</h1>",
            f'<p class="id">result file {esc(os.path.basename(path))} · {esc(kind)} · seed {int(f.attrs.get("seed", 0))} · '
            f'{int(f.attrs.get("samples", 0)):,} samples · tamcarlo {esc(text_attr(f, "tamcarlo_version"))} · '
            f'format {int(f.attrs.get("format_version", 0))} · values as {"万/亿" if locale == "zh" else "k/M/bn/tn"}</p>']
    runs = []
    if kind == "suite":
        m = f["matrix"] if "matrix" in f else None
        if m is not None:
            cells = strings(m["cell"])
            q = m["market_quantile"][()]
            sq = m["share_quantile"][()]
            stars = m["stars"][()]
            pn = list(m["p_next"][()]) + [float("nan")]
            rows = [[i + 1, c, strings(m["section"])[i], readable(q[i, P5], locale), readable(q[i, P50], locale),
                     readable(q[i, P95], locale), " ".join(f"{s:g}" for s in stars[i]),
                     "–" if not math.isfinite(sq[i, P50]) else f"{sq[i, P50]:.2f} [{sq[i, P5]:.2f}, {sq[i, P95]:.2f}]",
                     "" if not math.isfinite(pn[i]) else f"{pn[i]:.3f}"] for i, c in enumerate(cells)]
            page.append("<h2>The matrix</h2>")
            page.append(table(["rank", "cell", "section", "P5", "P50", "P95",
                               "stars (" + "/".join(strings(m["star_names"])) + ")", "AIGC share", "P(>next)"],
                              rows, (1, 2)))
            page.append(f'<p>Market space in {esc(text_attr(m, "unit"))}. Agreement of the ranking with R1\'s '
                        f'`{esc(text_attr(m, "rank_by"))}` stars (Kendall τ_b): {num_attr(m, "tau_b_median_ranking"):.3f} '
                        f'for the median ranking; per sample mean {num_attr(m, "tau_b_mean"):.3f} ± '
                        f'{1.96 * num_attr(m, "tau_b_mean_se"):.3f}, P5–P95 [{num_attr(m, "tau_b_p5"):.3f}, '
                        f'{num_attr(m, "tau_b_p95"):.3f}].</p>')
            for name_ in matrix_charts(ch, f):
                page.append(figure(ch, name_, dict(ch.files)[name_]))
        if "shared" in f:
            runs.append((Run(f["shared"], "shared inputs"), "Shared inputs"))
        for grp in ("cells", "runs"):
            if grp in f:
                for k in f[grp]:
                    runs.append((Run(f[grp][k], f"{grp}/{k}"), f"{'Cell' if grp == 'cells' else 'Run'}: {k}"))
    else:
        runs.append((Run(f, name), f"Scenario: {name}"))
        if "stress" in f:
            for k in f["stress"]:
                runs.append((Run(f["stress"][k], f"stress/{k}"), f"Stress case: {k} — {text_attr(f['stress'][k], 'description')}"))
    if "portfolio" in f:
        p = f["portfolio"]
        names = strings(p["holding"])
        page.append("<h2>Portfolio</h2>")
        page.append(table(["holding", "expected P&L", "P(loss)", "mean P&L in the tail"],
                          [[n, readable(p["expected_pnl"][i], locale), f"{p['p_loss'][i]:.3f}",
                            readable(p["contribution"][i], locale)] for i, n in enumerate(names)]))
        page.append(figure(ch, portfolio_chart(ch, f), "portfolio: contributions to the tail loss"))
    for run, heading in runs:
        page += run_section(ch, run, heading)
        for v in run.reported():
            s = run.summary[v]
            lo, hi = num_attr(s, "min"), num_attr(s, "max")
            if "year" not in s and lo == hi:  # one value in every sample: a chart would be a spike, a tornado noise
                page.append(f"<p><b>{esc(v)}</b> is constant: {esc(readable(lo, locale))} in every sample "
                            "(no distribution or tornado chart).</p>")
                continue
            made = fan(ch, run, v) if "year" in s else histogram(ch, run, v)
            for name_ in (made, tornado(ch, run, v)):
                if name_:
                    page.append(figure(ch, name_, dict(ch.files)[name_]))
        page.append(f"<details><summary>scenario file ({esc(text_attr(run.g, 'scenario_path'))})</summary>"
                    f"<pre>{esc(run.text)}</pre></details>")
    if kind == "suite":
        page.append(f"<details><summary>suite file</summary><pre>{esc(text_attr(f, 'suite'))}</pre></details>")
    page.append("</body></html>")
    with open(os.path.join(outdir, "index.html"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(page))
    with open(os.path.join(outdir, "data.json"), "w", encoding="utf-8") as fh:
        json.dump(ch.data, fh, default=float, separators=(",", ":"))
    return len(ch.files)


MANIFEST = ".tamcarlo-report"  # in every report directory: the files this script wrote there, one a line


class Refused(Exception):
    """A request the script will not carry out (exit 1), e.g. replacing a directory it did not write."""


def files_under(top):
    """Every file and directory under `top`, as paths relative to it (directories end in '/')."""
    found = set()
    for root, dirs, files in os.walk(top):
        rel = os.path.relpath(root, top)
        for d in dirs:
            found.add(os.path.normpath(os.path.join(rel, d)) + "/")
        for f in files:
            found.add(os.path.normpath(os.path.join(rel, f)))
    return found


def check_replaceable(outdir):
    """Raises Refused unless `outdir` is absent, an empty directory, or a report this script wrote
    that holds nothing else: a report never deletes what it did not write."""
    if not os.path.lexists(outdir):
        return
    if os.path.islink(outdir) or not os.path.isdir(outdir):
        raise Refused(f"{outdir} exists and is not a directory; give -o a new directory or a previous report")
    present = files_under(outdir)
    if not present:
        return
    try:
        with open(os.path.join(outdir, MANIFEST), encoding="utf-8") as fh:
            written = set(fh.read().split("\n")) | {MANIFEST}
    except OSError:
        raise Refused(f"{outdir} exists and is not a tamcarlo report (it has no {MANIFEST}); give -o a new "
                      "directory, or remove it first") from None
    foreign = sorted(present - written)
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise Refused(f"{outdir} holds files tamcarlo report did not write ({shown}); they would be lost, so the "
                      "report was not written; give -o another directory, or move them")


def replace_dir(tmp, outdir):
    """Moves the finished report `tmp` to `outdir`, replacing a previous report there (checked first)."""
    check_replaceable(outdir)
    if not os.path.lexists(outdir):
        os.rename(tmp, outdir)
        return
    old = f"{outdir.rstrip('/')}.old-{os.getpid()}"
    os.rename(outdir, old)
    try:
        os.rename(tmp, outdir)
    except OSError:
        os.rename(old, outdir)
        raise
    shutil.rmtree(old, ignore_errors=True)


def on_terminate(signum, _frame):
    raise KeyboardInterrupt


HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def not_a_result(path):
    """Why `path` cannot be a result (tamcarlo writes HDF5 with the signature at offset 0), or None."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(HDF5_SIGNATURE):
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    if path.endswith(".toml") or "[scenario]" in text or "[suite]" in text:
        return ("this is a scenario file, not a result: run it first (tamcarlo run " + path +
                "), then report the result file it writes (results/<name>.h5 by default)")
    return "not a tamcarlo result: results are HDF5 files written by tamcarlo run (this file is not HDF5)"


def main():
    ap = argparse.ArgumentParser(prog="tamcarlo report", description=__doc__.splitlines()[0])
    ap.add_argument("result")
    ap.add_argument("-o", "--output", help="directory to write (default: RESULT without .h5, plus -report); an "
                    "existing directory is replaced only if it is empty or a report holding nothing else")
    ap.add_argument("--locale", choices=["en", "zh"], default="en",
                    help="number style: en (13.2 bn) or zh (132亿); default en")
    a = ap.parse_args()
    if not os.path.isfile(a.result):
        sys.stderr.write(f"tamcarlo report: error: {a.result}: no such file\n")
        return 1
    refusal = not_a_result(a.result)
    if refusal:
        sys.stderr.write(f"tamcarlo report: error: {a.result}: {refusal}\n")
        return 1
    outdir = a.output or (os.path.splitext(a.result)[0] + "-report")
    try:
        check_replaceable(outdir)  # before the work, so a refusal costs nothing; checked again at the end
    except Refused as e:
        sys.stderr.write(f"tamcarlo report: error: {e}\n")
        return 1
    if os.path.exists(CJK_FONT):  # 万/亿 in chart labels
        font_manager.fontManager.addfont(CJK_FONT)
        plt.rcParams["font.family"] = ["DejaVu Sans", "WenQuanYi Micro Hei"]  # fallback for CJK glyphs
    tmp = f"{outdir.rstrip('/')}.tmp-{os.getpid()}"
    signal.signal(signal.SIGTERM, on_terminate)
    signal.signal(signal.SIGHUP, on_terminate)
    try:
        os.makedirs(tmp)
    except OSError as e:
        sys.stderr.write(f"tamcarlo report: error: cannot create {outdir}: {e.strerror}\n")
        return 3
    try:
        n = build(a.result, tmp, a.locale)
        with open(os.path.join(tmp, MANIFEST), "w", encoding="utf-8") as fh:
            fh.write("\n".join(sorted(files_under(tmp))))
        replace_dir(tmp, outdir)
    except Refused as e:
        shutil.rmtree(tmp, ignore_errors=True)
        sys.stderr.write(f"tamcarlo report: error: {e}\n")
        return 1
    except (OSError, KeyError, ValueError) as e:
        shutil.rmtree(tmp, ignore_errors=True)
        code = 1 if isinstance(e, ValueError) or "unable to open" in str(e).lower() or "signature" in str(e).lower() else 3
        sys.stderr.write(f"tamcarlo report: error: {a.result}: {e}\n")
        return code
    except KeyboardInterrupt:
        shutil.rmtree(tmp, ignore_errors=True)
        sys.stderr.write("tamcarlo report: interrupted; no report was written\n")
        return 130
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    print(f"{outdir}/index.html: {n} charts, page self-contained ({a.result})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
