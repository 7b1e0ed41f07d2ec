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
import tomllib

try:
    import h5py
    import numpy as np
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager
    from matplotlib.ticker import FuncFormatter, PercentFormatter
except ImportError as e:  # pragma: no cover - environment problem
    sys.stderr.write(f"tamcarlo report: error: {e}; install python3-h5py and python3-matplotlib "
                     "(bash .ci/setup) and use /usr/bin/python3\n")
    sys.exit(3)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from number_format import format_mean_ci, format_number  # noqa: E402  (the shared number rule)

HEAVY_TAIL_SHARE = 0.1  # = k_heavy_tail_share (sim/stats/statistics.hpp): flag the mean's CI above it
PROBS = [0.01, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.99]
P5, P25, P50, P75, P95 = 1, 3, 4, 5, 7  # indices into PROBS
CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
BLUE, ORANGE, GREY, RED, GREEN = "#1f5f99", "#d9730d", "#6b6b6b", "#b22222", "#2e7d32"
LIGHT = "#c8c8c8"  # a bar that is noise


# ---------------------------------------------------------------- words and numbers
ZH = {
    "Scenario": "情景", "Stress case": "压力情景", "Shared inputs": "共享输入", "Cell": "单元", "Run": "运行",
    "Outputs": "输出", "Risk": "风险", "Inputs and their sources": "输入及其来源", "The matrix": "矩阵",
    "Portfolio": "投资组合", "output": "输出", "unit": "单位", "point": "点估计", "mean ± 95% CI": "均值 ± 95% 置信区间",
    "input": "输入", "law": "分布", "source": "来源", "metric": "指标", "value [95% CI]": "值 [95% 置信区间]",
    "rank": "排名", "cell": "单元", "section": "章节", "AIGC share": "AIGC 占比", "P(>next)": "P(>下一名)",
    "holding": "持仓", "expected P&L": "期望损益", "P(loss)": "P(亏损)", "mean P&L in the tail": "尾部平均损益",
    "density": "密度", "share of samples per bin": "每组样本占比", "unchanged by the stress": "压力下不变", "cumulative probability": "累积概率", "year": "年份", "median": "中位数",
    "90% band (P5–P95)": "90% 区间 (P5–P95)", "50% band (P25–P75)": "50% 区间 (P25–P75)",
    "point estimate": "点估计", "Spearman rank correlation with the output": "与输出的 Spearman 秩相关",
    "base": "基准", "stressed": "压力", "Δ mean ± 95% CI": "均值差 ± 95% 置信区间", "base P50": "基准 P50",
    "stressed P50": "压力 P50", "base mean": "基准均值", "stressed mean": "压力均值", "replaces": "替换",
    "Latin hypercube": "拉丁超立方", "scrambled Sobol' points": "加扰 Sobol' 点列", "replicates": "个重复",
    "mean CI": "均值置信区间", "scenario": "情景", "seed": "种子", "samples": "样本", "result file": "结果文件", "scenario file": "情景文件",
    "suite file": "套件文件", "values as": "数值单位", "mean": "均值", "is constant": "为常数",
    "heavy tail": "厚尾", "total index ST (with interactions)": "总效应指数 ST（含交互）",
    "first-order index S (alone)": "一阶指数 S（单独）", "share of the output's variance": "输出方差占比", "What drives": "驱动因素:", "by year": "逐年", "distribution of": "分布:",
    "inputs driving": "驱动输入:", "R1 application difficulty": "R1 应用难度", "equal values spread sideways": "相同值横向错开",
    "AIGC share of the work (R2: how far AIGC can transform it), P50 with P5–P95": "AIGC 可承担的工作占比（R2 改造深度），P50 及 P5–P95",
    "market space, P50 with P5–P95": "市场空间，P50 及 P5–P95", "R1 market stars": "R1 市场星级",
    "Market space against R1's difficulty": "市场空间与 R1 应用难度", "Market space in": "市场空间单位",
    "The cells on R2's two axes: transformation depth × money": "R2 两轴上的单元：改造深度 × 资金",
    "Portfolio: each holding's expected P&L and its share of the tail loss": "投资组合：各持仓期望损益及其尾部损失贡献", "loss region": "亏损区域", "plausibility cap": "合理上限",
}


class Words:
    """The page's and the charts' words and numbers in one locale (labels in zh are Chinese)."""

    def __init__(self, locale):
        self.locale = locale

    def __call__(self, text):
        return ZH.get(text, text) if self.locale == "zh" else text

    def num(self, x, style="auto"):
        return format_number(x, style, self.locale)

    def mean_ci(self, mean, half, style="auto"):
        m, h = format_mean_ci(mean, half, style, self.locale)
        return f"{m} ± {h}"

    def axis(self, style="auto"):
        return FuncFormatter(lambda v, _pos: format_number(v, style, self.locale))


def say(text, end="\n"):
    """Progress on stderr: a line per phase; on a terminal the chart counter rewrites one line."""
    sys.stderr.write(f"tamcarlo report: {text}{end}")
    sys.stderr.flush()


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


def report_order(text):
    """The scenario's reported outputs in its own order ([outputs] report, else its formulas in file order), read
    from the scenario text the result stores; [] when the text cannot be read."""
    try:
        doc = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, TypeError):
        return []
    report = doc.get("outputs", {}).get("report")
    if isinstance(report, list):
        return [str(r) for r in report]
    return [str(k) for k in doc.get("formulas", {})]


def largest_share(s):
    """Share of the squared deviations carried by the farthest sample (Moments::largest_share in C++), from the
    summary's n, mean, sd, min and max; NaN when it is undefined."""
    n, mean, sd = num_attr(s, "n"), num_attr(s, "mean"), num_attr(s, "sd")
    lo, hi = num_attr(s, "min"), num_attr(s, "max")
    if not (n >= 2 and sd > 0 and math.isfinite(mean)):
        return float("nan")
    far = max(hi - mean, mean - lo)
    return min(1.0, far * far / ((n - 1) * sd * sd))


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
        # A replicated design (lhs, sobol) stores what a mean's SE is multiplied by for its 95% CI (Student's t over
        # its replicates); plain Monte Carlo stores nothing and uses z.
        self.design = text_attr(group, "design", "mc") or "mc"
        self.replicates = int(group.attrs.get("replicates", 0))
        self.ci = float(group.attrs.get("mean_ci_multiplier", 1.959963984540054))

    def variables(self):
        return [] if self.summary is None else list(self.summary.keys())

    def reported(self):
        """The reported outputs in the scenario's [outputs] order (the file lists groups alphabetically)."""
        present = [v for v in self.variables() if int(self.summary[v].attrs.get("reported", 0)) == 1]
        order = report_order(self.text)
        return [v for v in order if v in present] + [v for v in present if v not in order]

    def inputs(self):
        return [v for v in self.variables() if text_attr(self.summary[v], "kind") == "input"]

    def style(self, var):
        return text_attr(self.summary[var], "format", "auto") or "auto"

    def constant(self, var):
        s = self.summary[var]
        return "year" not in s and num_attr(s, "min") == num_attr(s, "max")

    def samples_of(self, var):
        if self.stored is not None and var in self.stored and self.stored[var].ndim == 1:
            x = self.stored[var][()]
            return x[np.isfinite(x)]
        return None


# ---------------------------------------------------------------- charts
class Charts:
    def __init__(self, outdir, words, dpi, svg):
        self.outdir = outdir
        self.w = words
        self.dpi = dpi
        self.svg = svg
        self.files = []  # (file name, caption)
        self.data = {}
        self.tty = sys.stderr.isatty()

    def save(self, fig, name, caption, data, layout=True):
        if layout:
            fig.tight_layout()
        fig.savefig(os.path.join(self.outdir, name), dpi=self.dpi)
        if self.svg:
            fig.savefig(os.path.join(self.outdir, name[:-4] + ".svg"))
        plt.close(fig)
        self.files.append((name, caption))
        self.data[name] = data
        if self.tty:
            say(f"chart {len(self.files)}: {caption[:70]}\033[K", end="\r")
        return name

    def unit_label(self, var, unit):
        return f"{var} [{unit}]" if unit else var


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


def histogram(ch, run, var):
    """Density with the CDF, P5/P50/P95 and the mean marked; risk regions where the output has them."""
    w = ch.w
    s = run.summary[var]
    style = run.style(var)
    unit = text_attr(s, "unit") or ""
    q = s["quantile"][()] if "quantile" in s else None
    mean = num_attr(s, "mean")
    if q is None or q.ndim != 1:
        return None
    fig, ax = plt.subplots(figsize=(7.2, 4.2))
    data = {"variable": var, "run": run.label, "p5": q[P5], "p50": q[P50], "p95": q[P95], "mean": mean}
    x = run.samples_of(var)
    lo2, hi2 = plotted_range(q, x)
    data["x_range"] = [lo2, hi2]
    if x is not None:
        inside = x[(x >= lo2) & (x <= hi2)]
        ax.hist(inside, bins=60, weights=np.full(len(inside), 1 / len(x)), color=BLUE, alpha=0.55,
                label=w("share of samples per bin") + " (P1–P99)")
        xs = np.sort(x)
        cdf_x = np.linspace(lo2, hi2, 200)
        cdf_y = np.searchsorted(xs, cdf_x, side="right") / len(xs)
        data["clipped_share"] = float(1 - len(inside) / max(len(x), 1))
        ax.set_ylabel(w("share of samples per bin") + f" (1/60 of {w.num(hi2 - lo2, style)})")
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    else:  # summaries only: the CDF through the stored quantiles
        cdf_x, cdf_y = np.array(q), np.array(PROBS)
        ax.set_yticks([])
        ax.set_ylabel("(samples not stored: no histogram)")
    ax2 = ax.twinx()
    ax2.plot(cdf_x, cdf_y, color=ORANGE, lw=1.8, label=w("cumulative probability"))
    ax2.set_ylim(0, 1.02)
    ax2.set_ylabel(w("cumulative probability"))
    for value, ls, label in [(q[P5], ":", "P5"), (q[P50], "--", "P50"), (q[P95], "-.", "P95")]:
        ax.axvline(value, color=GREY, ls=ls, lw=1.2, label=f"{label} {w.num(value, style)}")
    ax.axvline(mean, color=RED, lw=1.4, label=f"{w('mean')} {w.num(mean, style)}")
    # Risk: the loss region (lower tail with `below` thresholds), or a plausibility cap (upper tail).
    if "risk" in s:
        r = s["risk"]
        tail = text_attr(r, "tail", "lower")
        for t, p in zip(r["below_threshold"][()], r["p_below"][()]):
            if tail == "lower":
                ax.axvspan(max(min(lo2, t), lo2), t, color=RED, alpha=0.10,
                           label=f"{w('loss region')}: P({var} < {w.num(t, style)}) = {p:.1%}")
            else:
                ax.axvline(t, color=GREEN, lw=1.8,
                           label=f"{w('plausibility cap')} {w.num(t, style)}: P({var} < cap) = {p:.1%}")
            data.setdefault("thresholds", []).append({"threshold": float(t), "p_below": float(p), "tail": tail})
    ax.set_xlim(lo2, hi2)
    ax.xaxis.set_major_formatter(w.axis(style))
    ax.set_xlabel(ch.unit_label(var, unit))
    ax.set_title(f"{var} — {run.title or run.name}", fontsize=10)
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.12 if len(handles) <= 6 else 0.17, 1, 1))
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
    style = base.style(var)
    xb, xs = base.samples_of(var), stressed.samples_of(var)
    both = np.concatenate([x for x in (xb, xs) if x is not None]) if (xb is not None or xs is not None) else None
    lo, hi = plotted_range(np.array([min(qb[0], qs[0]), max(qb[-1], qs[-1])]), both)
    fig, ax = plt.subplots(figsize=(7.2, 4.0))
    data = {"variable": var, "stress": name, "base_p50": float(qb[P50]), "stressed_p50": float(qs[P50]),
            "base_mean": num_attr(sb, "mean"), "stressed_mean": num_attr(ss, "mean")}
    if xb is not None and xs is not None:
        bins = np.linspace(lo, hi, 61)
        for x, color, label in ((xb, BLUE, w("base")), (xs, ORANGE, f"{w('stressed')}: {name}")):
            inside = x[(x >= lo) & (x <= hi)]
            ax.hist(inside, bins=bins, weights=np.full(len(inside), 1 / len(x)), color=color, alpha=0.45, label=label)
        ax.set_ylabel(w("share of samples per bin"))
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    else:
        ax.plot(qb, PROBS, color=BLUE, lw=1.8, marker="o", ms=3, label=w("base"))
        ax.plot(qs, PROBS, color=ORANGE, lw=1.8, marker="o", ms=3, label=f"{w('stressed')}: {name}")
        ax.set_ylabel(w("cumulative probability"))
    for g, color in ((sb, BLUE), (ss, ORANGE)):
        ax.axvline(num_attr(g, "mean"), color=color, lw=1.4, ls="--")
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_formatter(w.axis(style))
    ax.set_xlabel(ch.unit_label(var, text_attr(sb, "unit")) + f" (dashed: {w('mean')})")
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
    ax.set_xlabel(w("Spearman rank correlation with the output"))
    ax.set_title(f"{w('What drives')} {what}? ({run.label}; first {n:,} samples)", fontsize=10)
    for y, v in enumerate(vals):
        ax.annotate(f"{v:+.2f}", xy=(v, y), xytext=(3 if v >= 0 else -3, 0), textcoords="offset points",
                    ha="left" if v >= 0 else "right", va="center", fontsize=7)
    return ch.save(fig, slug(run.label, var, "tornado") + ".png", f"{run.label}: {w('inputs driving')} {what}",
                   {"variable": var, "inputs": [names[i] for i in order[::-1]], "rho": [float(rho[i]) for i in order[::-1]],
                    "noise": float(noise), "within_noise": [bool(q) for q in quiet[::-1]]})


def sobol_chart(ch, run, var):
    """Sobol' first-order and total indices with their 95% CIs, largest total at the top."""
    w = ch.w
    s = run.summary[var]
    if "sobol" not in s:
        return None
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
    ax.set_xlabel(w("share of the output's variance") + " (95% CI)")
    n = int(g.attrs.get("samples", 0))
    note = "; correlated inputs treated as independent" if int(g.attrs.get("correlated_inputs", 0)) else ""
    ax.set_title(f"Sobol' indices of {var} ({run.label}; N = {n:,}{note})", fontsize=10)
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
    unit = text_attr(s, "unit")
    style = run.style(var)
    fig, ax = plt.subplots(figsize=(7.2, 4.2))
    ax.fill_between(years, q[:, P5], q[:, P95], color=BLUE, alpha=0.18, label=w("90% band (P5–P95)"))
    ax.fill_between(years, q[:, P25], q[:, P75], color=BLUE, alpha=0.35, label=w("50% band (P25–P75)"))
    ax.plot(years, q[:, P50], color=BLUE, lw=2, label=w("median"))
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
    return ch.save(fig, slug(run.label, var, "fan") + ".png", f"{run.label}: {var} {w('by year')} (fan chart)",
                   {"variable": var, "run": run.label, "year": years.tolist(), "p5": q[:, P5].tolist(),
                    "p25": q[:, P25].tolist(), "p50": q[:, P50].tolist(), "p75": q[:, P75].tolist(),
                    "p95": q[:, P95].tolist()})


def matrix_charts(ch, f):
    w = ch.w
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
            x = sq[:, P50]
            xerr = np.vstack([x - sq[:, P5], sq[:, P95] - x])
            xlabel = w("AIGC share of the work (R2: how far AIGC can transform it), P50 with P5–P95")
        yerr = np.vstack([q[:, P50] - q[:, P5], q[:, P95] - q[:, P50]])
        for i, c in enumerate(cells):
            color = color_of(mstars[i])
            ax.errorbar(x[i], q[i, P50], yerr=yerr[:, i:i + 1], xerr=None if xerr is None else xerr[:, i:i + 1],
                        fmt="o", color=color, ms=5 + 3 * mstars[i], capsize=3, lw=1.2, alpha=0.9)
            # Each point names its cell (rank and name), alternately above and below to keep neighbours apart.
            ax.annotate(f"{i + 1}. {c}", xy=(x[i], q[i, P50]), xytext=(7, 6 if i % 2 == 0 else -11),
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
        data = {"cell": cells, "p5": q[:, P5].tolist(), "p50": q[:, P50].tolist(), "p95": q[:, P95].tolist(),
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
    return ch.save(fig, "portfolio__contributions.png", "portfolio: contributions to the tail loss",
                   {"holding": names, "contribution": contrib.tolist(), "expected_pnl": expected.tolist()})


# ---------------------------------------------------------------- the page
CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222;line-height:1.4}
table{border-collapse:collapse;margin:.6em 0;font-size:.88em}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}
td.t,th.t{text-align:left}th{background:#f1f3f5}img{max-width:100%;border:1px solid #eee;margin:.4em 0}
figure{margin:1em 0}figcaption{font-size:.85em;color:#555}pre{background:#f7f7f7;padding:.6em;overflow-x:auto;font-size:.8em}
.id{color:#555;font-size:.9em}h2{border-bottom:2px solid #1f5f99;padding-bottom:.2em}.warn{color:#8a4b00}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:.8em}.pair figure{margin:.3em 0}"""


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


def identity(parts):
    """'a · b · c' of the parts that are not empty (an empty title leaves no '· ·')."""
    return " · ".join(p for p in parts if p)


def design_words(w, run):
    """A replicated design in a few words (nothing for plain Monte Carlo)."""
    if run.design == "mc":
        return ""
    kind = w("Latin hypercube") if run.design == "lhs" else w("scrambled Sobol' points")
    return f"{kind}, {run.replicates} {w('replicates')} ({w('mean CI')}: t, {run.replicates - 1} df)"


def run_section(ch, run, heading):
    w = ch.w
    parts = [f"<h2>{esc(heading)}</h2>",
             '<p class="id">' + identity([f"{w('scenario')} <b>{esc(run.name)}</b>", esc(run.title),
                                          f"{w('seed')} {run.seed}", f"{run.samples:,} {w('samples')}",
                                          design_words(w, run),
                                          f"{w('unit')} {esc(run.unit)}" if run.unit else ""]) + "</p>"]
    rows, heavy = [], []
    for v in run.reported():
        s = run.summary[v]
        style = run.style(v)
        q = s["quantile"][()] if "quantile" in s else None
        if "year" in s:
            years = s["year"][()]
            mean, se = s["mean"][()], s["mean_se"][()]
            for t, y in enumerate(years):
                rows.append([f"{v} [{int(y)}]", text_attr(s, "unit"), w.num(s["point"][t], style),
                             w.mean_ci(mean[t], run.ci * se[t], style),
                             *(w.num(q[t, k], style) if q is not None else "—" for k in (P5, P50, P95))])
        else:
            share = largest_share(s)
            flag = math.isfinite(share) and share > HEAVY_TAIL_SHARE
            if flag:
                heavy.append((v, share))
            rows.append([v, text_attr(s, "unit"), w.num(num_attr(s, "point"), style),
                         w.mean_ci(num_attr(s, "mean"), run.ci * num_attr(s, "mean_se"), style) + (" †" if flag else ""),
                         *(w.num(q[k], style) if q is not None else "—" for k in (P5, P50, P95))])
    parts.append(f"<h3>{w('Outputs')}</h3>" + table([w("output"), w("unit"), w("point"), w("mean ± 95% CI"), "P5",
                                                     "P50", "P95"], rows, (0, 1)))
    for v, share in heavy:
        parts.append(f'<p class="warn">† {w("heavy tail")}: one sample of <b>{esc(v)}</b> carries {share:.0%} of its '
                     f"spread (over {HEAVY_TAIL_SHARE:.0%} means the normal 95% CI of the mean covers less often than "
                     "it says); trust the quantiles more, or run more samples.</p>")
    risk_rows = []
    for v in run.reported():
        s = run.summary[v]
        if "risk" not in s:
            continue
        style = run.style(v)
        r = s["risk"]
        for lvl, var, cvar, se in zip(r["level"][()], r["var"][()], r["cvar"][()], r["cvar_se"][()]):
            risk_rows.append([v, f"VaR / CVaR {lvl:.0%} ({text_attr(r, 'tail')} tail)",
                              f"{w.num(var, style)} / {w.mean_ci(cvar, 1.96 * se, style)}"])
        for t, p, lo, hi in zip(r["below_threshold"][()], r["p_below"][()], r["p_below_lo"][()], r["p_below_hi"][()]):
            risk_rows.append([v, f"P({v} < {w.num(t, style)})", f"{p:.3f} [{lo:.3f}, {hi:.3f}]"])
        for t, p, lo, hi in zip(r["at_least_threshold"][()], r["p_at_least"][()], r["p_at_least_lo"][()],
                                r["p_at_least_hi"][()]):
            risk_rows.append([v, f"P({v} ≥ {w.num(t, style)})", f"{p:.3f} [{lo:.3f}, {hi:.3f}]"])
    if risk_rows:
        parts.append(f"<h3>{w('Risk')}</h3>" + table([w("output"), w("metric"), w("value [95% CI]")], risk_rows,
                                                    (0, 1, 2)))
    in_rows = [[v, text_attr(run.summary[v], "law"), text_attr(run.summary[v], "unit"),
                w.num(num_attr(run.summary[v], "point"), run.style(v)), text_attr(run.summary[v], "source")]
               for v in run.inputs()]
    parts.append(f"<h3>{w('Inputs and their sources')}</h3>" +
                 table([w("input"), w("law"), w("unit"), w("point"), w("source")], in_rows, (0, 1, 2, 4)))
    return parts


def run_charts(ch, run):
    """Per reported output: its distribution (or fan) chart and its tornado; a constant is stated instead."""
    w = ch.w
    parts = []
    for v in run.reported():
        s = run.summary[v]
        if run.constant(v):  # one value in every sample: a chart would be a spike, a tornado noise
            parts.append(f"<p><b>{esc(v)}</b> {w('is constant')}: {esc(w.num(num_attr(s, 'min'), run.style(v)))} in "
                         "every sample (no distribution or tornado chart).</p>")
            continue
        made = [fan(ch, run, v) if "year" in s else histogram(ch, run, v), tornado(ch, run, v), sobol_chart(ch, run, v)]
        made = [m for m in made if m]
        for i in range(0, len(made), 2):  # two a row: distribution | tornado, then Sobol' indices
            parts.append('<div class="pair">' + "".join(figure(ch, m, dict(ch.files)[m]) for m in made[i:i + 2]) + "</div>")
    return parts


def stress_section(ch, base, g, name):
    """A stressed case beside its base: what it replaces, the paired Δ of every reported output with its CI, the
    risk probabilities of both, and one overlaid chart per output (not a second copy of every chart)."""
    w = ch.w
    st = Run(g, f"stress/{name}")
    parts = [f"<h2>{esc(w('Stress case'))}: {esc(name)}{' — ' + esc(text_attr(g, 'description')) if text_attr(g, 'description') else ''}</h2>"]
    overrides = [o for o in text_attr(g, "overrides").split("\n") if o]
    if overrides:
        parts.append("<p>" + esc(w("replaces")) + ": " + "; ".join(f"<code>{esc(o)}</code>" for o in overrides) + "</p>")
    delta = {}
    if "delta" in g:
        d = g["delta"]
        for label, mean, se in zip(strings(d["series"]), d["mean"][()], d["mean_se"][()]):
            delta[label] = (mean, se)
    rows = []
    for v in base.reported():
        sb, ss = base.summary[v], st.summary[v]
        style = base.style(v)
        labels = [f"{v}[{int(y)}]" for y in sb["year"][()]] if "year" in sb else [v]
        for t, label in enumerate(labels):
            def stat(group, key, col=None):
                a = group[key][()] if key in group else group.attrs.get(key, float("nan"))
                a = np.asarray(a)
                if col is not None:
                    a = a[..., col]
                return float(a[t]) if a.ndim >= 1 and a.size > 1 else float(a)
            qb = stat(sb, "quantile", P50) if "quantile" in sb else float("nan")
            qs = stat(ss, "quantile", P50) if "quantile" in ss else float("nan")
            dm, dse = delta.get(label, (float("nan"), float("nan")))
            rows.append([label, text_attr(sb, "unit"), w.num(qb, style), w.num(qs, style),
                         w.num(stat(sb, "mean"), style), w.num(stat(ss, "mean"), style),
                         w.mean_ci(dm, base.ci * dse, style)])
    parts.append(table([w("output"), w("unit"), w("base P50"), w("stressed P50"), w("base mean"), w("stressed mean"),
                        w("Δ mean ± 95% CI")], rows, (0, 1)))
    risk_rows = []
    for v in base.reported():
        sb, ss = base.summary[v], st.summary[v]
        if "risk" not in sb or "risk" not in ss:
            continue
        style = base.style(v)
        rb, rs = sb["risk"], ss["risk"]
        for kind, sign in (("below", "<"), ("at_least", "≥")):
            for t, pb, ps in zip(rb[f"{kind}_threshold"][()], rb[f"p_{kind}"][()], rs[f"p_{kind}"][()]):
                risk_rows.append([v, f"P({v} {sign} {w.num(t, style)})", f"{pb:.3f}", f"{ps:.3f}"])
        for lvl, cb, cs in zip(rb["level"][()], rb["cvar"][()], rs["cvar"][()]):
            risk_rows.append([v, f"CVaR {lvl:.0%}", w.num(cb, style), w.num(cs, style)])
    if risk_rows:
        parts.append(table([w("output"), w("metric"), w("base"), w("stressed")], risk_rows, (0, 1)))
    figs, same = [], []
    for v in base.reported():
        if "year" in base.summary[v] or base.constant(v):
            continue
        if delta.get(v) == (0.0, 0.0):  # every paired sample equal: an overlay would show one histogram
            same.append(v)
            continue
        m = overlay(ch, base, st, v, name)
        if m:
            figs.append(figure(ch, m, dict(ch.files)[m]))
    if same:
        parts.append(f"<p>{w('unchanged by the stress')}: " + ", ".join(f"<b>{esc(v)}</b>" for v in same) + "</p>")
    for i in range(0, len(figs), 2):
        parts.append('<div class="pair">' + "".join(figs[i:i + 2]) + "</div>")
    return parts


def build(path, outdir, words, dpi=200, svg=False):
    w = words
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
    ch = Charts(outdir, w, dpi, svg)
    title = text_attr(f, "suite_title") if kind == "suite" else text_attr(f, "scenario_title")
    name = text_attr(f, "suite_name") if kind == "suite" else text_attr(f, "scenario_name")
    page = [f"<!doctype html><html lang=\"{w.locale}\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(name)} — tamcarlo report</title><style>{CSS}</style></head><body>",
            f"<h1>{esc(name)}{' — ' + esc(title) if title else ''}</h1>",
            '<p class="id">' + identity([f"{w('result file')} {esc(os.path.basename(path))}", esc(kind),
                                         f"{w('seed')} {int(f.attrs.get('seed', 0))}",
                                         f"{int(f.attrs.get('samples', 0)):,} {w('samples')}",
                                         f"tamcarlo {esc(text_attr(f, 'tamcarlo_version'))}",
                                         f"format {int(f.attrs.get('format_version', 0))}",
                                         f"{w('values as')} {'万/亿' if w.locale == 'zh' else 'k/M/B/T'}"]) + "</p>"]
    sections = []  # (run, heading)
    if kind == "suite":
        m = f["matrix"] if "matrix" in f else None
        ranked = []
        if m is not None:
            cells = strings(m["cell"])  # in rank order
            ranked = cells
            q = m["market_quantile"][()]
            sq = m["share_quantile"][()]
            stars = m["stars"][()]
            pn = list(m["p_next"][()]) + [float("nan")]
            rows = [[i + 1, c, strings(m["section"])[i], w.num(q[i, P5]), w.num(q[i, P50]), w.num(q[i, P95]),
                     " ".join(f"{s:g}" for s in stars[i]),
                     "—" if not math.isfinite(sq[i, P50]) else
                     f"{w.num(sq[i, P50])} [{w.num(sq[i, P5])}, {w.num(sq[i, P95])}]",
                     "" if not math.isfinite(pn[i]) else f"{pn[i]:.3f}"] for i, c in enumerate(cells)]
            page.append(f"<h2>{w('The matrix')}</h2>")
            page.append(table([w("rank"), w("cell"), w("section"), "P5", "P50", "P95",
                               "stars (" + "/".join(strings(m["star_names"])) + ")", w("AIGC share"), w("P(>next)")],
                              rows, (1, 2)))
            page.append(f'<p>{w("Market space in")} {esc(text_attr(m, "unit"))}. Agreement of the ranking with R1\'s '
                        f'`{esc(text_attr(m, "rank_by"))}` stars (Kendall τ_b): {num_attr(m, "tau_b_median_ranking"):.3f} '
                        f'for the median ranking; per sample mean {num_attr(m, "tau_b_mean"):.3f} ± '
                        f'{float(f.attrs.get("mean_ci_multiplier", 1.96)) * num_attr(m, "tau_b_mean_se"):.3f}, P5–P95 [{num_attr(m, "tau_b_p5"):.3f}, '
                        f'{num_attr(m, "tau_b_p95"):.3f}].</p>')
            for name_ in matrix_charts(ch, f):
                page.append(figure(ch, name_, dict(ch.files)[name_]))
        if "shared" in f:
            sections.append((Run(f["shared"], "shared inputs"), w("Shared inputs")))
        if "cells" in f:  # by rank, then any not ranked
            keys = [k for k in ranked if k in f["cells"]] + [k for k in f["cells"] if k not in ranked]
            for k in keys:
                sections.append((Run(f["cells"][k], f"cells/{k}"), f"{w('Cell')}: {k}"))
        if "runs" in f:
            for k in f["runs"]:
                sections.append((Run(f["runs"][k], f"runs/{k}"), f"{w('Run')}: {k}"))
    else:
        sections.append((Run(f, name), f"{w('Scenario')}: {name}"))
    if "portfolio" in f:
        p = f["portfolio"]
        names = strings(p["holding"])
        page.append(f"<h2>{w('Portfolio')}</h2>")
        page.append(table([w("holding"), w("expected P&L"), w("P(loss)"), w("mean P&L in the tail")],
                          [[n, w.num(p["expected_pnl"][i]), f"{p['p_loss'][i]:.3f}", w.num(p["contribution"][i])]
                           for i, n in enumerate(names)]))
        page.append(figure(ch, portfolio_chart(ch, f), "portfolio: contributions to the tail loss"))
    for run, heading in sections:
        page += run_section(ch, run, heading)
        page += run_charts(ch, run)
        page.append(f"<details><summary>{w('scenario file')} ({esc(text_attr(run.g, 'scenario_path'))})</summary>"
                    f"<pre>{esc(run.text)}</pre></details>")
    if kind == "scenario" and "stress" in f:
        base = sections[0][0]
        for k in f["stress"]:
            page += stress_section(ch, base, f["stress"][k], k)
    if kind == "suite":
        page.append(f"<details><summary>{w('suite file')}</summary><pre>{esc(text_attr(f, 'suite'))}</pre></details>")
    page.append("</body></html>")
    if ch.tty:
        sys.stderr.write("\r\033[K")
    say(f"{len(ch.files)} charts drawn; writing the page")
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
                    help="numbers and labels: en (13.2B) or zh (132亿, Chinese labels); default en")
    ap.add_argument("--dpi", type=int, default=200, help="PNG resolution (default 200: fit to paste into a memo)")
    ap.add_argument("--svg", action="store_true", help="also write every chart as SVG beside its PNG")
    a = ap.parse_args()
    if not 50 <= a.dpi <= 1200:
        sys.stderr.write(f"tamcarlo report: error: --dpi {a.dpi}: allowed 50 to 1200\n")
        return 1
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
        say(f"reading {a.result}")
        n = build(a.result, tmp, Words(a.locale), a.dpi, a.svg)
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
