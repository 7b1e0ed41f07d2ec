"""`tamcarlo export RESULT.h5 --to markdown|latex|xlsx [-o FILE]`: a result's tables for a memo, a paper or a
spreadsheet. Every number comes from the result file: the text formats show it by the shared number rule (as the
terminal and the page do), the workbook holds the float64 itself. Tables: outputs (mean with its 95% CI, P5/P50/P95),
risk, the decision (options, EVPI, EVPPI), what drives each output (Spearman ρ, swing), Sobol' indices or Shapley
effects, stressed cases side by side, and the inputs with their laws and sources; markdown and LaTeX add a methods
paragraph, the workbook a sheet of the stored samples. The file is written under a temporary name and renamed, so
an interrupted export leaves nothing behind. It never replaces what it did not create: a device, FIFO, socket or
directory is refused always, another regular file unless it is an earlier export or --force is given (a symbolic
link is followed to the file it names). Exit codes as tamcarlo's: 0 ok, 1 usage, 3 failure, 130 interrupted."""
import argparse
import math
import os
import signal
import stat
import sys
import tempfile
import zipfile

import h5py
import numpy as np

from .number_format import format_mean_ci, format_number
from . import sipmath
from .reading import (QuantileColumns, Run, evppi_order, nonfinite_count, num_attr, seal_state, stat_at, stress_order,
                      strings, text_attr)

FORMATS = {"markdown": ".md", "latex": ".tex", "xlsx": ".xlsx", "sip": ".json"}
MARK = "tamcarlo export"  # in every export: the first line of a text one, the workbook's comments property
EXCEL_ROWS = 1_048_576  # a worksheet's rows, the header included


class Table:
    """A titled table: header, rows of raw values (float, int or str), and which columns are text."""

    def __init__(self, key, title, header, rows, note=""):
        self.key, self.title, self.header, self.rows, self.note = key, title, header, rows, note


def fmt(x, style="auto"):
    if isinstance(x, str):
        return x
    if style == "prob":  # probabilities with three decimals, as the terminal shows them
        return f"{float(x):.3f}" if math.isfinite(float(x)) else "—"
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return f"{int(x):,}"
    return format_number(float(x), style)


def ci_text(lo, hi, style="auto"):
    return f"[{fmt(lo, style)}, {fmt(hi, style)}]"


def series_of(run, var):
    """(label, year index or None) for each series of a variable: one for an untimed one, one per year otherwise."""
    s = run.summary[var]
    if "year" in s:
        return [(f"{var}[{int(y)}]", t) for t, y in enumerate(s["year"][()])]
    return [(var, None)]


def mean_doubts(run, var):
    """Why `var`'s mean ± CI cannot be read as it stands (the terminal's † notes), each a sentence; [] when it can."""
    s = run.summary[var]
    why, why_sd = text_attr(s, "no_finite_mean"), text_attr(s, "no_finite_sd")
    if why:
        return [f"{var} has no finite mean ({why}): the mean and CI shown are only those of these samples and do not "
                "settle however many are drawn; read its quantiles."]
    if why_sd:
        return [f"{var} has no finite sd ({why_sd}): the 95% CI of its mean rests on a variance that does not exist and "
                "covers the mean less often than it says, however many samples are drawn; read its quantiles."]
    out = []
    if "year" not in s:
        ratio, flag = run.heavy_tailed(var)
        if flag:
            out.append(f"{var} has a heavy tail (|skewness|/√n = {ratio:.2f}, over {run.heavy_tail_skew:.2f}): the 95% "
                       "CI of its mean covers less often than it says; trust the quantiles more.")
        beyond = run.ci_beyond_samples(var)
        if beyond:
            side, value = beyond
            out.append(f"The 95% CI of {var}'s mean reaches {side} its samples ({fmt(value, run.style(var))}), a value "
                       "it never took: not a range of plausible means.")
    return out


def outputs_table(run):
    rows, notes = [], []
    for var in run.reported():
        s = run.summary[var]
        qc = QuantileColumns(s) if "quantile" in s else None
        doubts = mean_doubts(run, var)
        notes += [f"† {d}" for d in doubts]
        bad = nonfinite_count(s)
        if bad:
            origin = text_attr(s, "nonfinite_origin")
            notes.append(f"{var} has {bad:,} non-finite samples (NaN or ±inf) of {run.samples:,}; its statistics use "
                         "the finite ones." + (f" The first comes from {origin}." if origin else ""))
        if text_attr(s, "below_zero"):
            notes.append(text_attr(s, "below_zero") + ".")
        for label, t in series_of(run, var):
            t0 = 0 if t is None else t
            mean = stat_at(s, "mean", t0)
            half = run.ci * stat_at(s, "mean_se", t0)
            q = [stat_at(s, "quantile", t0, c) if qc else float("nan") for c in ((qc.p5, qc.p50, qc.p95) if qc else (0, 0, 0))]
            m, h = format_mean_ci(mean, half, run.style(var))
            rows.append([label, text_attr(s, "unit"), stat_at(s, "point", t0), f"{m} ± {h}" + (" †" if doubts else ""),
                         mean, mean - half, mean + half, q[0], q[1], q[2], run.style(var)])
    return Table("outputs", "Outputs", ["output", "unit", "point", "~mean ± 95% CI", "!mean", "!mean 95% CI low",
                                        "!mean 95% CI high", "P5", "P50", "P95", "_style"], rows, " ".join(notes))


def warnings_table(run):
    """The scenario's lint findings the run kept (a share typed as a percentage, a mean that does not exist, ...)."""
    rows = []
    for text in run.warnings:  # "file:line:col: warning: [key] message"
        where, _, what = text.partition(": warning: ")
        rows.append([where, what] if what else ["", text])
    return Table("warnings", "Scenario warnings", ["where", "warning"], rows)


def risk_table(run):
    rows = []
    for var in run.reported():
        s = run.summary[var]
        if "risk" not in s:
            continue
        r = s["risk"]
        style = run.style(var)
        tail = text_attr(r, "tail")
        for lvl, v, vlo, vhi, cvar, se in zip(r["level"][()], r["var"][()], r["var_lo"][()], r["var_hi"][()],
                                              r["cvar"][()], r["cvar_se"][()]):
            rows.append([var, f"VaR {lvl:.0%} ({tail} tail)", v, ci_text(vlo, vhi, style), vlo, vhi, style])
            m, h = format_mean_ci(cvar, 1.96 * se, style)
            rows.append([var, f"CVaR {lvl:.0%} ({tail} tail)", cvar, f"± {h}", cvar - 1.96 * se, cvar + 1.96 * se, style])
        for t, p, lo, hi in zip(r["below_threshold"][()], r["p_below"][()], r["p_below_lo"][()], r["p_below_hi"][()]):
            rows.append([var, f"P({var} < {format_number(t, style)})", p, f"[{lo:.3f}, {hi:.3f}]", lo, hi, "prob"])
        for t, p, lo, hi in zip(r["at_least_threshold"][()], r["p_at_least"][()], r["p_at_least_lo"][()],
                                r["p_at_least_hi"][()]):
            rows.append([var, f"P({var} ≥ {format_number(t, style)})", p, f"[{lo:.3f}, {hi:.3f}]", lo, hi, "prob"])
    return Table("risk", "Risk", ["output", "metric", "value", "~95% CI", "!95% CI low", "!95% CI high", "_style"],
                 rows)


def decision_tables(run):
    if "decision" not in run.g:
        return []
    d = run.g["decision"]
    opts = strings(d["option"])
    best = text_attr(d, "best")
    mean, se = d["option_mean"][()], d["option_mean_se"][()]
    rows = [[o + (" (best now)" if o == best else ""), " ± ".join(format_mean_ci(mean[i], 1.96 * se[i])), mean[i],
             mean[i] - 1.96 * se[i], mean[i] + 1.96 * se[i], d["p_best"][()][i],
             f"[{d['p_best_lo'][()][i]:.3f}, {d['p_best_hi'][()][i]:.3f}]", d["p_best_lo"][()][i],
             d["p_best_hi"][()][i], "prob"] for i, o in enumerate(opts)]
    evpi, evpi_se = num_attr(d, "evpi"), num_attr(d, "evpi_se")
    options = Table("decision", "Decision", ["option", "~mean ± 95% CI", "!mean", "!mean 95% CI low",
                                             "!mean 95% CI high", "P(best)", "~95% CI", "!P(best) low",
                                             "!P(best) high", "_style"], rows,
                    f"EVPI (expected value of perfect information) = {format_number(evpi)}, 95% CI "
                    f"{ci_text(evpi - 1.96 * evpi_se, evpi + 1.96 * evpi_se)}; unit {text_attr(d, 'unit')}; "
                    f"over the first {int(d.attrs['samples']):,} samples.")
    names, members, group = strings(d["question"]), strings(d["question_inputs"]), d["group"][()]
    v, vse, bias = d["evppi"][()], d["evppi_se"][()], d["evppi_bias"][()]
    order = evppi_order(d)
    rows = [[names[i] + (f" ({members[i].replace(' ', ', ')})" if group[i] else ""), v[i],
             ci_text(v[i] - 1.96 * vse[i] - bias[i], v[i] + 1.96 * vse[i] + bias[i]),
             v[i] - 1.96 * vse[i] - bias[i], v[i] + 1.96 * vse[i] + bias[i], bias[i],
             f"{round(100 * v[i] / evpi)}%" if evpi > 0 and math.isfinite(v[i]) else "—",
             v[i] / evpi if evpi > 0 else float("nan"), "auto"] for i in order]
    evppi = Table("evppi", "Value of learning each input first (EVPPI)",
                  ["input or group", "EVPPI", "~95% CI (± bias bound)", "!95% CI low", "!95% CI high", "bias bound",
                   "~of EVPI", "!share of EVPI", "_style"], rows)
    return [options, evppi]


def drivers_table(run):
    rows = []
    for var in run.reported():
        s = run.summary[var]
        if "sensitivity" not in s or run.constant(var):
            continue
        names = strings(s["sensitivity_input"])
        rho = s["sensitivity"][()]
        low = s["swing_low"][()] if "swing_low" in s else None
        high = s["swing_high"][()] if "swing_high" in s else None
        if rho.ndim == 2:  # timed: its last year
            rho = rho[-1]
            low, high = (None if low is None else low[-1]), (None if high is None else high[-1])
        label = var if "year" not in s else f"{var}[{int(s['year'][()][-1])}]"
        for i in [i for i in np.argsort(-np.abs(np.nan_to_num(rho))) if math.isfinite(rho[i])][:3]:
            swing = float(high[i] - low[i]) if low is not None else float("nan")
            rows.append([label, names[i], float(rho[i]), swing, run.style(var)])
    return Table("drivers", "What drives each output (its three strongest inputs)",
                 ["output", "input", "Spearman rho", "swing (mean at P90+ minus mean at P10-)", "_style"], rows,
                 f"Over the run's first {int(run.summary[run.reported()[0]].attrs.get('sensitivity_samples', 0)):,} "
                 "samples." if run.reported() else "")


def global_table(run):
    rows, kind = [], None
    for var in run.reported():
        s = run.summary[var]
        if "shapley" in s:
            kind = "shapley"
            g = s["shapley"]
            for name, e, lo, hi in zip(strings(g["input"]), g["effect"][()], g["effect_lo"][()], g["effect_hi"][()]):
                rows.append([var, name, e, lo, hi, "auto"])
        elif "sobol" in s and kind != "shapley":
            kind = "sobol"
            g = s["sobol"]
            for name, f, t in zip(strings(g["input"]), g["first"][()], g["total"][()]):
                rows.append([var, name, f, t, "auto"])
    if kind == "shapley":
        return Table("shapley", "Shapley effects (correlated inputs: each input's share of the variance; they sum to 1)",
                     ["output", "input", "effect", "95% CI low", "95% CI high", "_style"], rows)
    if kind == "sobol":
        return Table("sobol", "Sobol' indices", ["output", "input", "first-order S", "total ST", "_style"], rows)
    return None


def stress_table(f, base):
    if "stress" not in f:
        return None
    rows = []
    for name in stress_order(f):  # the scenario file's order, as the terminal shows them
        g = f["stress"][name]
        st = Run(g, f"stress/{name}")
        delta = {}
        if "delta" in g:
            d = g["delta"]
            for label, m, se in zip(strings(d["series"]), d["mean"][()], d["mean_se"][()]):
                delta[label] = (m, se)
        for var in base.reported():
            sb, ss = base.summary[var], st.summary[var]
            for label, t in series_of(base, var):
                t0 = 0 if t is None else t
                dm, dse = delta.get(label, (float("nan"), float("nan")))
                rows.append([name, label, stat_at(sb, "mean", t0), stat_at(ss, "mean", t0), dm, dm - base.ci * dse,
                             dm + base.ci * dse, base.style(var)])
    return Table("stresses", "Stressed cases beside the base (paired differences on the same samples)",
                 ["case", "output", "base mean", "stressed mean", "difference", "95% CI low", "95% CI high", "_style"],
                 rows)


def evidence_tables(run):
    """A conditioned run's observed figures (with the prior's and posterior's P5 and P95 of each) and its prior beside
    its posterior, input by input and output by output (untimed; a timed series by year)."""
    e = run.evidence
    if e is None:
        return []
    labels, variables, kinds, units, sources = (strings(e[k]) for k in ("figure", "variable", "kind", "unit", "source"))
    observed, sd, lo, hi = (e[k][()] for k in ("observed", "sd", "lo", "hi"))
    years = e["year"][()]
    rows = []
    for i, label in enumerate(labels):
        s = run.summary[variables[i]]
        t = int(np.flatnonzero(s["year"][()] == years[i])[0]) if "year" in s else 0
        qc = QuantileColumns(s)
        what = (f"in [{fmt(lo[i])}, {fmt(hi[i])}]" if kinds[i] == "interval" else
                f"{fmt(observed[i])} ({kinds[i]} error, sd{' of ln' if kinds[i] == 'lognormal' else ''} "
                f"{fmt(sd[i]) if kinds[i] == 'normal' else f'{sd[i]:g}'})")
        prior = s["prior"] if "prior" in s else None
        rows.append([label, units[i], what, stat_at(prior, "quantile", t, qc.p5) if prior else float("nan"),
                     stat_at(prior, "quantile", t, qc.p95) if prior else float("nan"), stat_at(s, "quantile", t, qc.p5),
                     stat_at(s, "quantile", t, qc.p95), sources[i], run.style(variables[i])])
    ess, n = float(e.attrs["ess"]), int(e.attrs["samples"])
    figures = Table("evidence", "Observed figures the run is conditioned on",
                    ["figure", "unit", "observed", "prior P5", "prior P95", "posterior P5", "posterior P95", "source",
                     "_style"], rows,
                    f"Effective sample size {round(ess):,} of {n:,} samples; mean likelihood "
                    f"{float(e.attrs['mean_likelihood']):.3g}.")
    rows = []
    for var in dict.fromkeys(run.inputs() + run.reported()):
        s = run.summary[var]
        if "prior" not in s:
            continue
        p = s["prior"]
        qc = QuantileColumns(s)
        for label, t in series_of(run, var):
            t0 = 0 if t is None else t
            rows.append([label, text_attr(s, "unit"), stat_at(p, "mean", t0), stat_at(s, "mean", t0),
                         stat_at(p, "quantile", t0, qc.p5), stat_at(p, "quantile", t0, qc.p95),
                         stat_at(s, "quantile", t0, qc.p5), stat_at(s, "quantile", t0, qc.p95), run.style(var)])
    prior = Table("prior", "Prior and posterior", ["variable", "unit", "prior mean", "posterior mean", "prior P5",
                                                    "prior P95", "posterior P5", "posterior P95", "_style"], rows)
    return [figures, prior]


def inputs_table(run):
    rows = [[v, text_attr(run.summary[v], "law"), text_attr(run.summary[v], "unit"), num_attr(run.summary[v], "point"),
             text_attr(run.summary[v], "source"), run.style(v)] for v in run.inputs()]
    return Table("inputs", "Inputs, their laws and sources", ["input", "law", "unit", "point", "source", "_style"], rows)


def methods(f, run):
    """A methods paragraph: inputs, laws and sources, N, seed, design, and how each interval was computed."""
    inputs = run.inputs()
    uncertain = [v for v in inputs if not text_attr(run.summary[v], "law").startswith("constant(")]
    unsourced = [v for v in inputs if not text_attr(run.summary[v], "source")]
    design = {"mc": "independent Monte Carlo samples",
              "lhs": f"a Latin hypercube in {run.replicates} independent randomized replicates",
              "sobol": f"scrambled Sobol' points in {run.replicates} independent randomized replicates"}.get(run.design, run.design)
    text = (f"The model \"{run.name}\"{' (' + run.title + ')' if run.title else ''} was simulated with tamcarlo "
            f"{text_attr(f, 'tamcarlo_version')} on {run.samples:,} samples ({design}; seed {run.seed}; the scenario "
            f"file is stored in the result, so the run can be reproduced exactly). Of its {len(inputs)} inputs, "
            f"{len(uncertain)} are uncertain, each drawn from the law and with the source listed in the inputs table"
            f"{'' if not unsourced else ' (' + str(len(unsourced)) + ' without a source)'}.")
    if "correlations" in run.text:
        text += (" Correlated inputs were drawn through a Gaussian copula with the Spearman rank correlations the "
                 "scenario gives, which keeps every input's own law.")
    if run.design == "mc":
        text += " Means are reported with 95% confidence intervals mean ± 1.96·SE, SE = sd/√N."
    else:
        text += (f" Means are reported with 95% confidence intervals from Student's t with {run.replicates - 1} "
                 "degrees of freedom over the replicate means.")
    text += (" Quantiles are the order statistics of all samples (linear interpolation), with distribution-free 95% "
             "confidence intervals from the binomial law of the order statistics; probabilities carry Wilson 95% "
             "intervals; CVaR intervals use sd((X − q)·1{X beyond q})/(α√N).")
    if run.evidence is not None:
        text += (" The run is conditioned on the observed figures listed: each sample is weighted by the product of "
                 "their likelihoods (a normal or log-normal error, or an interval), and every statistic is the weighted "
                 "one (the posterior): means with the self-normalized estimator's SE, quantiles as the value whose "
                 "weight covers p of the total with intervals at p ∓ 1.96·√(p(1 − p)/ESS), ESS = (Σw)²/Σw² (Kish's "
                 "effective sample size); the prior's statistics are reported beside them.")
    if any("sensitivity" in run.summary[v] for v in run.reported()):
        text += (" Input importance is Spearman's rank correlation and the swing (the output's mean with the input "
                 "in its top decile minus its mean with the input in its bottom decile) over the first samples.")
    if "decision" in run.g:
        text += (" The decision's expected value of perfect information is E[max_k V_k] − max_k E[V_k]; the value of "
                 "partial perfect information about an input bins the sample into cells of equal probability at the "
                 "input's quantiles and averages a plug-in and a cross-fitted estimate, with half their gap reported "
                 "as a bias bound.")
    return text


def matrix_table(f):
    """A suite's matrix: the cells by rank, their market P5/P50/P95, AIGC share P50 and P(> next)."""
    if "matrix" not in f:
        return None
    m = f["matrix"]
    qp = QuantileColumns(m)
    q, sq = m["market_quantile"][()], m["share_quantile"][()]
    pn = list(m["p_next"][()]) + [float("nan")]
    rows = [[i + 1, c, strings(m["section"])[i], q[i, qp.p5], q[i, qp.p50], q[i, qp.p95], sq[i, qp.p50], pn[i], "auto"]
            for i, c in enumerate(strings(m["cell"]))]
    return Table("matrix", f"The matrix (market space in {text_attr(m, 'unit')}, ranked by P50)",
                 ["rank", "cell", "section", "P5", "P50", "P95", "AIGC share P50", "P(> next)", "_style"], rows,
                 f"Kendall tau-b of the ranking with R1's `{text_attr(m, 'rank_by')}` stars: "
                 f"{num_attr(m, 'tau_b_median_ranking'):.3f} for the median ranking.")


def tables_of(f):
    """(heading, tables, methods) per run of the file: the scenario, or each part of a suite."""
    kind = text_attr(f, "kind", "scenario")
    runs = []
    if kind == "suite":
        for top in ("shared", "cells", "runs"):
            if top == "shared" and "shared" in f:
                runs.append((Run(f["shared"], "shared inputs"), "Shared inputs"))
            elif top in f and top != "shared":
                for k in f[top]:
                    runs.append((Run(f[top][k], f"{top}/{k}"), f"{top[:-1].capitalize()} {k}"))
    else:
        runs.append((Run(f, text_attr(f, "scenario_name")), text_attr(f, "scenario_name")))
    out = []
    matrix = matrix_table(f) if kind == "suite" else None
    if matrix is not None:
        out.append(("Matrix", [matrix], f"The suite \"{text_attr(f, 'suite_name')}\" ranks {len(matrix.rows)} cells by "
                    "their market space's median over the joint samples; P(> next) is the probability that a cell's "
                    "market exceeds the next-ranked cell's."))
    for run, heading in runs:
        tables = [outputs_table(run), warnings_table(run), *evidence_tables(run), risk_table(run), *decision_tables(run), drivers_table(run),
                  global_table(run),
                  stress_table(f, run) if kind == "scenario" else None, inputs_table(run)]
        out.append((heading, [t for t in tables if t is not None and t.rows], methods(f, run)))
    return out


def visible(t, text=True):
    """The columns shown and the style column's index (or None). A header starting with '_' is never shown, '~' only
    in text (markdown, LaTeX: a value with its interval as the terminal writes it), '!' only in the workbook (the
    float64 values)."""
    hidden = ("_", "!") if text else ("_", "~")
    cols = [i for i, h in enumerate(t.header) if not h.startswith(hidden)]
    style = t.header.index("_style") if "_style" in t.header else None
    return cols, style


def text_column(t, i):
    """True for a column of words (left-aligned): the first, or one whose values are text, not numbers written out."""
    if i == 0:
        return True
    if t.header[i].startswith("~"):
        return False
    return any(isinstance(r[i], str) for r in t.rows)


def head(t, i):
    return t.header[i].lstrip("~!")


def cell_text(row, i, style):
    x = row[i]
    if isinstance(x, (float, np.floating)) and style is not None:
        return fmt(float(x), row[style] if isinstance(row[style], str) else "auto")
    return fmt(x)


def markdown(f, path):
    title = text_attr(f, "scenario_title") or text_attr(f, "suite_title")
    lines = [f"<!-- {MARK} -->", f"# {text_attr(f, 'scenario_name') or text_attr(f, 'suite_name')}" +
             (f": {title}" if title else ""), ""]
    for heading, tables, method in tables_of(f):
        lines += [f"## {heading}", "", method, ""]
        for t in tables:
            cols, style = visible(t)
            esc = lambda s: str(s).replace("|", "\\|")  # noqa: E731
            lines += [f"### {t.title}", "", "| " + " | ".join(esc(head(t, i)) for i in cols) + " |",
                      "|" + "|".join("---" if text_column(t, i) else "---:" for i in cols) + "|"]
            lines += ["| " + " | ".join(esc(cell_text(r, i, style)) for i in cols) + " |" for r in t.rows]
            lines += ["", t.note, ""] if t.note else [""]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines).rstrip() + "\n")


LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
                 "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "≥": r"$\geq$", "≤": r"$\leq$",
                 "±": r"$\pm$", "−": "-", "·": r"$\cdot$", "√": r"$\surd$", "ρ": r"$\rho$", "α": r"$\alpha$"}


def tex(s):
    return "".join(LATEX_SPECIAL.get(c, c) for c in str(s))


def latex(f, path):
    """A LaTeX fragment (booktabs tables; \\input it into a document that loads booktabs, and xeCJK for Chinese
    text)."""
    lines = [f"% {MARK}: tables and a methods paragraph; needs \\usepackage{{booktabs}}"]
    for heading, tables, method in tables_of(f):
        lines += [f"\\subsection*{{{tex(heading)}}}", "", tex(method), ""]
        for t in tables:
            cols, style = visible(t)
            spec = "".join("l" if text_column(t, i) else "r" for i in cols)
            lines += ["\\begin{table}[htbp]", "\\centering", "\\small", f"\\caption{{{tex(t.title)}}}",
                      f"\\begin{{tabular}}{{{spec}}}", "\\toprule",
                      " & ".join(tex(head(t, i)) for i in cols) + r" \\", "\\midrule"]
            lines += [" & ".join(tex(cell_text(r, i, style)) for i in cols) + r" \\" for r in t.rows]
            lines += ["\\bottomrule", "\\end{tabular}"]
            if t.note:
                lines += [f"\\par\\smallskip\\footnotesize {tex(t.note)}"]
            lines += ["\\end{table}", ""]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines).rstrip() + "\n")


def xlsx(f, path):
    import xlsxwriter  # python3-xlsxwriter

    book = xlsxwriter.Workbook(path, {"nan_inf_to_errors": True})
    book.set_properties({"comments": MARK})
    bold = book.add_format({"bold": True})
    used = set()

    def sheet_name(name):
        base = "".join(c for c in name if c not in "[]:*?/\\")[:31] or "sheet"
        n, k = base, 2
        while n.lower() in used:
            n = f"{base[:28]}-{k}"
            k += 1
        used.add(n.lower())
        return n

    parts = tables_of(f)
    many = len(parts) > 1
    for heading, tables, method in parts:
        for t in tables:
            ws = book.add_worksheet(sheet_name(f"{heading} {t.key}" if many else t.key))
            cols, _ = visible(t, text=False)
            ws.write(0, 0, t.title, bold)
            for j, i in enumerate(cols):
                ws.write(1, j, head(t, i), bold)
            for r, row in enumerate(t.rows):
                for j, i in enumerate(cols):
                    x = row[i]
                    if isinstance(x, (float, np.floating, int, np.integer)) and not isinstance(x, bool):
                        ws.write_number(r + 2, j, float(x)) if math.isfinite(float(x)) else ws.write_blank(r + 2, j, None)
                    else:
                        ws.write_string(r + 2, j, str(x))
            if t.note:
                ws.write(len(t.rows) + 3, 0, t.note)
            ws.set_column(0, max(len(cols) - 1, 0), 16)
        ws = book.add_worksheet(sheet_name(f"{heading} methods" if many else "methods"))
        ws.write(0, 0, method)
    # Stored samples: one column per stored series, as many rows as a sheet holds.
    run = Run(f, "")
    if kind_is_scenario(f) and run.stored_names():
        ws = book.add_worksheet(sheet_name("samples"))
        col = 0
        limit = EXCEL_ROWS - 1
        for var in run.stored_names():
            d = run.stored[var]
            if d.ndim == 0:
                continue
            data = d[: min(d.shape[0], limit)]
            series = [(var, data)] if d.ndim == 1 else [(f"{var}[{int(y)}]", data[:, t]) for t, y in
                                                        enumerate(d.attrs.get("years", range(d.shape[1])))]
            for label, x in series:
                ws.write(0, col, label, bold)
                for r, v in enumerate(x):
                    if math.isfinite(v):
                        ws.write_number(r + 1, col, float(v))
                col += 1
        if run.evidence is not None and "weight" in run.evidence:  # a conditioned run: each sample's weight
            ws.write(0, col, "evidence weight", bold)
            for r, v in enumerate(run.evidence["weight"][: min(run.samples, limit)]):
                if math.isfinite(v):
                    ws.write_number(r + 1, col, float(v))
            col += 1
        if run.samples > limit:
            ws.write(0, col + 1, f"the first {limit:,} of {run.samples:,} samples (a sheet's limit); read the rest "
                                 "from the HDF5 file")
    book.close()


def kind_is_scenario(f):
    return text_attr(f, "kind", "scenario") == "scenario"


def earlier_export(path):
    """True when `path` is a file an earlier export wrote (its mark in the first line, or in a workbook's properties)."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                return MARK.encode() in z.read("docProps/core.xml")
        with open(path, "rb") as fh:
            return MARK.encode() in fh.readline()
    except (OSError, KeyError, zipfile.BadZipFile):
        return False


def refusal(out, result, force):
    """Why the export may not write `out` (a symbolic link followed to the file it names), or None."""
    target = os.path.realpath(out)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return None
    kind = ("a directory" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode) else
            "a socket" if stat.S_ISSOCK(st.st_mode) else
            "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else None)
    if kind:
        return f"{out} is {kind}; give -o a file name (an export replaces only files)"
    if os.path.exists(result) and os.path.samefile(target, result):
        return f"{out} is the result file itself; give -o another file"
    if not force and not earlier_export(target):
        return (f"{out} exists and is not an earlier tamcarlo export; give --force to replace it, or -o another file")
    return None


def main(argv=None):
    p = argparse.ArgumentParser(prog="tamcarlo export", description=__doc__.split("\n")[0])
    p.add_argument("result")
    p.add_argument("--to", required=True, choices=sorted(FORMATS))
    p.add_argument("-o", "--output")
    p.add_argument("--force", action="store_true")
    a = p.parse_args(argv)
    out = a.output or os.path.splitext(a.result)[0] + FORMATS[a.to]

    def stop(signum, _frame):
        raise KeyboardInterrupt(signum)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(sig, stop)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT})
    if not os.path.isfile(a.result):
        sys.stderr.write(f"tamcarlo export: error: {a.result} is not a file; export reads a result file (RESULT.h5)\n")
        return 1
    state, why = seal_state(a.result)
    if state == "foreign":
        sys.stderr.write(f"tamcarlo export: error: {a.result} is not a tamcarlo result file (HDF5)\n")
        return 1
    if state == "damaged":
        sys.stderr.write(f"tamcarlo export: error: {a.result} is damaged: {why}; nothing was exported\n")
        return 3
    why = refusal(out, a.result, a.force)
    if why:
        sys.stderr.write(f"tamcarlo export: error: {why}; nothing was written\n")
        return 1
    target = os.path.realpath(out)  # a link stays a link: the file it names is replaced
    temp = temp_csv = None
    try:
        with h5py.File(a.result, "r") as f:
            if text_attr(f, "kind") == "part":
                sys.stderr.write(f"tamcarlo export: error: {a.result} is a part of a sharded run or a checkpoint, not "
                                 "a result; join the parts with `tamcarlo merge` (or finish the run with --resume)\n")
                return 1
            if "format_version" not in f.attrs:
                sys.stderr.write(f"tamcarlo export: error: {a.result} is not a tamcarlo result file (no "
                                 "format_version attribute)\n")
                return 1
            if a.to == "sip" and "evidence" in f:
                sys.stderr.write(f"tamcarlo export: error: {a.result} is a conditioned run ([evidence]): its samples "
                                 "are weighted, and a SIPmath library's inputs are independent generators with "
                                 "equally likely trials, which the posterior's inputs are not; export --to xlsx (its "
                                 "samples sheet has each sample's weight), markdown or latex\n")
                return 1
            fd, temp = tempfile.mkstemp(prefix=".tamcarlo-export-", suffix=FORMATS[a.to],
                                        dir=os.path.dirname(target))
            os.close(fd)
            if a.to == "sip":  # the library, and its outputs' trials beside it (both renamed at the end)
                _, trials, omitted = sipmath.write(f, temp, a.result, f"{MARK} of {a.result}")
                csv_target = (target[:-5] if target.endswith(".json") else target) + "-trials.csv"
                if trials:
                    fd, temp_csv = tempfile.mkstemp(prefix=".tamcarlo-export-", suffix=".csv",
                                                    dir=os.path.dirname(target))
                    os.close(fd)
                    sipmath.write_trials(temp_csv, trials)
            else:
                {"markdown": markdown, "latex": latex, "xlsx": xlsx}[a.to](f, temp)
        os.chmod(temp, 0o644)
        if temp_csv:
            os.chmod(temp_csv, 0o644)
            os.replace(temp_csv, csv_target)
            temp_csv = None
        os.replace(temp, target)
        temp = None
        sys.stdout.write(f"{out}: {a.to} export of {a.result}\n")
        if a.to == "sip":
            if trials:
                sys.stdout.write(f"{csv_target}: the outputs' trials (SIPmath 2.0 style, PM_Index and one column "
                                 "per output)\n")
            if omitted:
                sys.stdout.write(f"not in the library (samples not stored; run with --store all): "
                                 f"{', '.join(omitted)}\n")
        return 0
    except ValueError as e:
        sys.stderr.write(f"tamcarlo export: error: {e}; nothing was written\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("tamcarlo export: interrupted; nothing was written\n")
        return 130
    except OSError as e:
        sys.stderr.write(f"tamcarlo export: error: cannot write {out}: {e.strerror or e}\n")
        return 3
    finally:
        for t in (temp, temp_csv):
            if t and os.path.exists(t):
                os.unlink(t)


if __name__ == "__main__":
    sys.exit(main())
