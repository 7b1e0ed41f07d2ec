"""The report's page: one self-contained HTML file with the tables, the inputs and their sources, the run's identity
and every chart embedded."""
import ctypes
import html
import json
import math
import os
import re
import signal
import sys

import h5py
import numpy as np

from .charts import (Charts, evppi_chart, fan, fan_overlay, histogram, matrix_charts, overlay, portfolio_chart,
                     scatter_chart, sobol_chart, swing_chart, tornado)
from .reading import (QuantileColumns, Run, correlated_pairs, evppi_order, law_for_people, nonfinite_count, num_attr,
                      stat_at, stress_order, strings, text_attr)
from .words import say

CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222;line-height:1.4}
table{border-collapse:collapse;margin:.6em 0;font-size:.88em}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}
td.t,th.t{text-align:left}th{background:#f1f3f5}img{max-width:100%;border:1px solid #eee;margin:.4em 0}
figure{margin:1em 0}figcaption{font-size:.85em;color:#555}pre{background:#f7f7f7;padding:.6em;overflow-x:auto;font-size:.8em}
.id{color:#555;font-size:.9em}h2{border-bottom:2px solid #1f5f99;padding-bottom:.2em}.warn{color:#8a4b00}
figure.chart .frame{position:relative;height:420px}figure.chart canvas{max-width:100%}
figcaption button{margin-left:.6em;font-size:.85em}.readout{font-size:.88em;margin:.2em 0}.readout input{width:8em}
.readout output{font-weight:bold;margin-left:.4em}.readout .at{display:block;min-height:1.3em;font-weight:bold}.note{font-size:.85em;color:#555}
nav.toc{background:#f7f9fb;border:1px solid #dde3ea;padding:.4em 1em;font-size:.9em}nav.toc ol{margin:.3em 0;columns:2}"""


def esc(x):
    return html.escape(str(x))


def user(x):
    """Text the scenario's author wrote (a title, a source, a law), marked so: a page in Chinese keeps it as written."""
    return f'<span class="u">{esc(x)}</span>' if x else ""


def table(header, rows, text_cols=(0,), user_cols=()):
    """An HTML table; the cells of `user_cols` hold the scenario author's text (user())."""
    h = "".join(f'<th class="{"t" if i in text_cols else ""}">{esc(c)}</th>' for i, c in enumerate(header))
    body = "".join("<tr>" + "".join(f'<td class="{"t" if i in text_cols else ""}">'
                                    f'{user(c) if i in user_cols else esc(c)}</td>'
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><tr>{h}</tr>{body}</table>"


def figure(ch, name, caption):
    """A chart's place on the page: page.js draws it from its spec (data.json's entry `name`) when it comes into view,
    with a PNG download; a distribution chart also reads P(X < a) at the pointer or at a typed value."""
    return (f'<figure class="chart" id="{esc(name[:-4])}" data-chart="{esc(name)}"><div class="frame"><canvas role="img" '
            f'aria-label="{esc(caption)}"></canvas></div><figcaption>{esc(caption)}</figcaption></figure>')


def chart_script():
    """Chart.js, inlined so that the page needs no network: Debian's libjs-chart.js, or the file TAMCARLO_CHARTJS
    names."""
    path = os.environ.get("TAMCARLO_CHARTJS") or "/usr/share/javascript/chart.js/chart.min.js"
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except OSError as e:
        raise MissingLibrary(f"the page's charting library {path} cannot be read ({e.strerror}): install Debian's "
                             "libjs-chart.js (bash .ci/setup does), or name a Chart.js 3 file in TAMCARLO_CHARTJS")


class MissingLibrary(Exception):
    """A library the report needs is not installed."""


PAGE_JS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "page.js")


def scripts(ch):
    """The page's scripts: Chart.js, the chart specs as JSON (every '</' escaped), and page.js that draws them."""
    w = ch.w
    data = {"locale": w.locale, "charts": ch.data,
            "words": {"png": w("PNG"), "read": w("P(X < a) at the pointer, or type a value:"),
                      "hidden": w("click a legend entry to show or hide it"), "base": w("base"),
                      "cdf": w("cumulative probability"), "share": w("share of samples per bin"), "mean": w("mean"),
                      "off_axis": w("off the axis"), "not_on_log": w("not on the log axis")}}
    text = json.dumps(data, default=float, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    with open(PAGE_JS, encoding="utf-8") as fh:
        page_js = fh.read()
    safe = text.replace("</", "<\\/")  # JSON as it was, but no "</script>" can end the element early
    return (f"<script>{chart_script()}</script>"
            f'<script type="application/json" id="tamcarlo-data">{safe}</script>'
            f"<script>{page_js}</script>")


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
             '<p class="id">' + identity([f"{w('scenario')} <b>{esc(run.name)}</b>", user(run.title),
                                          f"{w('seed')} {run.seed}", f"{run.samples:,} {w('samples')}",
                                          design_words(w, run),
                                          f"{w('unit')} {esc(w.unit(run.unit))}" if run.unit else ""]) + "</p>"]
    rows, heavy, outside, no_mean, no_sd, nonfinite, below = [], [], [], [], [], [], []
    for v in run.reported():
        s = run.summary[v]
        bad = nonfinite_count(s)
        if bad:
            nonfinite.append((v, bad, text_attr(s, "nonfinite_origin")))
        if text_attr(s, "below_zero"):
            below.append(text_attr(s, "below_zero"))
        style = run.style(v)
        q = s["quantile"][()] if "quantile" in s else None
        qp = QuantileColumns(s) if q is not None else None
        if "year" in s:
            years = s["year"][()]
            mean, se = s["mean"][()], s["mean_se"][()]
            for t, y in enumerate(years):
                rows.append([f"{v} [{int(y)}]", w.unit(text_attr(s, "unit")), w.num(s["point"][t], style),
                             w.mean_ci(mean[t], run.ci * se[t], style),
                             *((w.num(q[t, k], style) for k in (qp.p5, qp.p50, qp.p95)) if q is not None else ["—"] * 3)])
        else:
            ratio, flag = run.heavy_tailed(v)
            why = text_attr(s, "no_finite_mean")
            why_sd = text_attr(s, "no_finite_sd")
            if why:  # no mean at all: said instead of the notes on its CI
                no_mean.append((v, why))
                flag = True
            elif why_sd:  # no sd: more samples cannot mend the CI
                no_sd.append((v, why_sd))
                flag = True
            elif flag:
                heavy.append((v, ratio))
            beyond = run.ci_beyond_samples(v) if not why else None
            if beyond:
                outside.append((v, beyond))
            rows.append([v, w.unit(text_attr(s, "unit")), w.num(num_attr(s, "point"), style),
                         w.mean_ci(num_attr(s, "mean"), run.ci * num_attr(s, "mean_se"), style) +
                         (" †" if flag or beyond else ""),
                         *((w.num(q[k], style) for k in (qp.p5, qp.p50, qp.p95)) if q is not None else ["—"] * 3)])
    parts.append(f"<h3>{w('Outputs')}</h3>" + table([w("output"), w("unit"), w("point"), w("mean ± 95% CI"), "P5",
                                                     "P50", "P95"], rows, (0, 1)))
    for v, ratio in heavy:
        why = (w("is so skewed (|skewness|/√n = {ratio}, over {limit})").format(
                   ratio=f"{ratio:.2f}", limit=f"{run.heavy_tail_skew:.2f}")
               if ratio > run.heavy_tail_skew else w("has skewed replicate means"))
        parts.append(f'<p class="warn">† {w("heavy tail")}: <b>{esc(v)}</b> {esc(why)} '
                     f'{w("that the 95% CI of its mean covers less often than it says; trust the quantiles more, or run more samples.")}</p>')
    for v, (side, value) in outside:
        parts.append(f'<p class="warn">† <b>{esc(v)}</b>: {w("the 95% CI of its mean reaches " + side + " its samples")} '
                     f"({w.num(value, run.style(v))}), {w('a value it never took: not a range of plausible means')}.</p>")
    for v, why in no_mean:
        parts.append(f'<p class="warn">† <b>{esc(v)}</b> {esc(w("has no finite mean"))} ({esc(why)}): '
                     f'{esc(w("the mean and CI shown are only those of these samples and do not settle however many are drawn; read its quantiles."))}</p>')
    for v, why in no_sd:
        parts.append(f'<p class="warn">† <b>{esc(v)}</b> {esc(w("has no finite sd"))} ({esc(why)}): '
                     f'{esc(w("the 95% CI of its mean rests on a variance that does not exist and covers the mean less often than it says, however many samples are drawn; read its quantiles."))}</p>')
    for v, bad, origin in nonfinite:  # NaN or ±inf samples: counted, left out of the statistics, and traced
        parts.append(f'<p class="warn"><b>{esc(v)}</b> {esc(w("has {bad} non-finite samples (NaN or ±inf) of {n}; its statistics use the finite ones.").format(bad=f"{bad:,}", n=f"{run.samples:,}"))}'
                     + (f' {esc(w("The first comes from"))} {esc(origin)}.' if origin else "") + "</p>")
    for text in below:  # "market[2030] goes below 0, ...": the engine's words, as the terminal says them
        label, _, rest = text.partition(" ")
        parts.append(f'<p class="warn"><b>{esc(label)}</b> {esc(rest)}</p>')
    for text in run.warnings:  # "file:line:col: warning: [key] message"
        where, _, what = text.partition(": warning: ")
        parts.append(f'<p class="warn">{esc(w("scenario warning"))} ({esc(where)}): {esc(what)}</p>'
                     if what else f'<p class="warn">{esc(w("scenario warning"))}: {esc(text)}</p>')
    parts += evidence_section(w, run)
    check_rows = []
    for v in run.checks():
        s = run.summary[v]
        label = v.split(".", 1)[1] + (" " + w("bounds") if text_attr(s, "kind") == "bounds" else "")
        years = s["year"][()] if "year" in s else [None]
        for t, y in enumerate(years):
            p, lo, hi, n = (stat_at(s, k, t) for k in ("p_violated", "p_violated_lo", "p_violated_hi", "n"))
            violated = round(p * n)
            check_rows.append([label + (f" [{int(y)}]" if y is not None else ""), text_attr(s, "condition"),
                               w("never") if violated == 0 else f"{violated:,} / {int(n):,}",
                               f"{w.num(p)} [{w.num(lo)}, {w.num(hi)}]", w("ok") if violated == 0 else w("VIOLATED")])
    if check_rows:
        parts.append(f"<h3>{w('Checks')}</h3>" + table([w("check"), w("condition"), w("violated"), w("P(violated)"), ""],
                                                        check_rows, (0, 1, 4), (1,)))
    risk_rows = []
    for v in run.reported():
        s = run.summary[v]
        if "risk" not in s:
            continue
        style = run.style(v)
        r = s["risk"]
        for lvl, var, cvar, se in zip(r["level"][()], r["var"][()], r["cvar"][()], r["cvar_se"][()]):
            risk_rows.append([v, f"VaR / CVaR {lvl:.0%} ({w(text_attr(r, 'tail') + ' tail')})",
                              f"{w.num(var, style)} / {w.mean_ci(cvar, 1.96 * se, style)}"])
        for t, p, lo, hi in zip(r["below_threshold"][()], r["p_below"][()], r["p_below_lo"][()], r["p_below_hi"][()]):
            risk_rows.append([v, f"P({v} < {w.num(t, style)})", f"{p:.3f} [{lo:.3f}, {hi:.3f}]"])
        for t, p, lo, hi in zip(r["at_least_threshold"][()], r["p_at_least"][()], r["p_at_least_lo"][()],
                                r["p_at_least_hi"][()]):
            risk_rows.append([v, f"P({v} ≥ {w.num(t, style)})", f"{p:.3f} [{lo:.3f}, {hi:.3f}]"])
    if risk_rows:
        parts.append(f"<h3>{w('Risk')}</h3>" + table([w("output"), w("metric"), w("value [95% CI]")], risk_rows,
                                                    (0, 1, 2)))
    in_rows = [[v, law_for_people(text_attr(run.summary[v], "law"), w.locale), w.unit(text_attr(run.summary[v], "unit")),
                w.num(num_attr(run.summary[v], "point"), run.style(v)), text_attr(run.summary[v], "source")]
               for v in run.inputs()]
    parts.append(f"<h3>{w('Inputs and their sources')}</h3>" +
                 table([w("input"), w("law"), w("unit"), w("point"), w("source")], in_rows, (0, 1, 2, 4), (1, 4)))
    parts += correlation_table(w, run)
    return parts


def evidence_section(w, run):
    """A conditioned run's observed figures (each with its prior and posterior P5–P95), the effective sample size and
    its warning, and every input's prior beside its posterior."""
    e = run.evidence
    if e is None:
        return []
    labels, variables, kinds = strings(e["figure"]), strings(e["variable"]), strings(e["kind"])
    units, sources = strings(e["unit"]), strings(e["source"])
    years, observed, sd, lo, hi = (e[k][()] for k in ("year", "observed", "sd", "lo", "hi"))

    def p5_p95(group, style, t=None):
        if group is None or "quantile" not in group:
            return "—"
        q = group["quantile"][()]
        qp = QuantileColumns(group)
        row = q if t is None else q[t]
        return f"{w.num(row[qp.p5], style)} – {w.num(row[qp.p95], style)}"

    rows = []
    for i, label in enumerate(labels):
        s = run.summary[variables[i]] if variables[i] in run.summary else None
        t = None
        if s is not None and "year" in s and math.isfinite(years[i]):
            t = int(np.flatnonzero(s["year"][()] == years[i])[0])
        style = run.style(variables[i]) if s is not None else "auto"
        if kinds[i] == "interval":
            what = f"{w('in')} [{w.num(lo[i], style)}, {w.num(hi[i], style)}]"
        elif kinds[i] == "lognormal":
            what = f"{w.num(observed[i], style)} ({w('log-normal error, sd of ln')} {sd[i]:g})"
        else:
            what = f"{w.num(observed[i], style)} ± {w.num(sd[i], style)} ({w('normal error, sd')})"
        rows.append([label, w.unit(units[i]), what, p5_p95(s["prior"] if s is not None and "prior" in s else None, style, t),
                     p5_p95(s, style, t), sources[i]])
    ess, n = float(e.attrs["ess"]), int(e.attrs["samples"])
    lh, lh_lo, lh_hi = (float(e.attrs[k]) for k in ("mean_likelihood", "mean_likelihood_lo", "mean_likelihood_hi"))
    parts = [f"<h3>{w('Observed figures')}</h3>",
             f"<p>{w('Every statistic of this run is weighted by how well each sample meets these figures (its likelihood): it is the posterior.')}</p>",
             table([w("figure"), w("unit"), w("observed"), w("prior P5–P95"), w("posterior P5–P95"), w("source")], rows,
                   (0, 1, 2, 5), (5,)),
             f"<p>{w('effective sample size')} <b>{round(ess):,}</b> {w('of')} {n:,} {w('samples')} "
             f"({100 * ess / max(n, 1):.3g}%); {w('mean likelihood')} {lh:.3g} [{lh_lo:.3g}, {lh_hi:.3g}].</p>"]
    if int(e.attrs.get("too_few", 0)):
        need = int(e.attrs["samples_for_target_ess"])
        parts.append(f'<p class="warn">{esc(w("the effective sample size is small: the conditioned statistics rest on few samples; run"))} '
                     f"-n {need:,}.</p>")
    prior_rows = []
    for v in dict.fromkeys(run.inputs() + run.reported()):
        s = run.summary[v]
        if "prior" not in s or "year" in s:
            continue
        style = run.style(v)
        pm = num_attr(s["prior"], "mean")
        prior_rows.append([v, w.unit(text_attr(s, "unit")), w.num(pm, style),
                           w.mean_ci(num_attr(s, "mean"), run.ci * num_attr(s, "mean_se"), style),
                           p5_p95(s["prior"], style), p5_p95(s, style)])
    if prior_rows:
        parts.append(f"<h3>{w('Prior and posterior')}</h3>" +
                     table([w("variable"), w("unit"), w("prior mean"), w("posterior mean ± 95% CI"), w("prior P5–P95"),
                            w("posterior P5–P95")], prior_rows, (0, 1)))
    return parts


def correlation_table(w, run):
    """The scenario's correlated pairs: the Spearman ρ it asks for and, where the run stored both inputs, the ρ its
    samples have (over the first 100,000), so "which inputs move together" is read off the page."""
    pairs = correlated_pairs(run.text)
    if not pairs:
        return []
    rows = []
    for a, b, rho in pairs:
        held = run.stored is not None and a in run.stored and b in run.stored
        if held:
            x, y = run.stored[a][:100_000], run.stored[b][:100_000]
            rx, ry = np.argsort(np.argsort(x)), np.argsort(np.argsort(y))
            realized = f"{float(np.corrcoef(rx, ry)[0, 1]):.3f} ({min(len(x), 100_000):,})"
        else:
            realized = w("inputs not stored (run with --store all)")
        rows.append([a, b, f"{rho:.3f}", realized])
    return [f"<h3>{w('Correlated inputs')}</h3>",
            f"<p>{w('Inputs that move together, as the scenario correlates them (Spearman ρ), and as the samples do.')}</p>",
            table([w("input"), w("input"), w("Spearman ρ asked"), w("Spearman ρ of the samples (n)")], rows, (0, 1))]


def run_charts(ch, run, stresses=()):
    """Per reported output: its distribution (or fan) chart, with the stressed cases of `stresses` ((name, Run)) to
    show beside the base, its tornado, swing and Sobol' charts; a constant is stated instead."""
    w = ch.w
    parts = []
    for v in run.reported():
        s = run.summary[v]
        if run.constant(v):  # one value in every sample: a chart would be a spike, a tornado noise
            parts.append(f"<p><b>{esc(v)}</b> {w('is constant')}: {esc(w.num(num_attr(s, 'min'), run.style(v)))} "
                         f"{w('in every sample (no distribution or tornado chart).')}</p>")
            continue
        made = [fan(ch, run, v, stresses) if "year" in s else histogram(ch, run, v, stresses), tornado(ch, run, v),
                scatter_chart(ch, run, v), swing_chart(ch, run, v), sobol_chart(ch, run, v)]
        parts += [figure(ch, m, dict(ch.files)[m]) for m in made if m]
    return parts


def decision_section(ch, run):
    """A [decision]: each option's mean and P(best), the best now, EVPI, and the ranked EVPPI (table and chart)."""
    if "decision" not in run.g:
        return []
    w = ch.w
    d = run.g["decision"]
    opts = strings(d["option"])
    mean, se = d["option_mean"][()], d["option_mean_se"][()]
    p, lo, hi = d["p_best"][()], d["p_best_lo"][()], d["p_best_hi"][()]
    best = text_attr(d, "best")
    unit = text_attr(d, "unit")
    rows = [[o + (" ← " + w("best now") if o == best else ""), w.mean_ci(mean[i], 1.96 * se[i], "auto"),
             f"{p[i]:.3f} [{lo[i]:.3f}, {hi[i]:.3f}]"] for i, o in enumerate(opts)]
    evpi, evpi_se = float(d.attrs["evpi"]), float(d.attrs["evpi_se"])
    parts = [f"<h3>{w('Decision')}</h3>",
             f"<p>{w('Options compared by their expected value')} ({esc(unit)}; {int(d.attrs['samples']):,} "
             f"{w('samples')}).</p>",
             table([w("option"), w("mean ± 95% CI"), w("P(best) [95% CI]")], rows, (0,)),
             f"<p><b>EVPI</b> = {esc(w.mean_ci(evpi, 1.96 * evpi_se, 'auto'))}: "
             f"{w('what knowing every input before deciding would add to the best option')}.</p>"]
    names, members, group = strings(d["question"]), strings(d["question_inputs"]), d["group"][()]
    v, vse, bias = d["evppi"][()], d["evppi_se"][()], d["evppi_bias"][()]
    order = evppi_order(d)
    rows = [[names[i] + (f" ({members[i].replace(' ', ', ')})" if group[i] else ""),
             w.num(v[i]), f"[{w.num(v[i] - 1.96 * vse[i] - bias[i])}, {w.num(v[i] + 1.96 * vse[i] + bias[i])}]",
             f"{round(100 * v[i] / evpi)}%" if evpi > 0 and math.isfinite(v[i]) else "—"] for i in order]
    parts.append(table([w("what to learn first"), "EVPPI", w("95% CI (± bias bound)"), w("of EVPI")], rows, (0,)))
    chart = evppi_chart(ch, run)
    if chart:
        parts.append(figure(ch, chart, dict(ch.files)[chart]))
    return parts


def stress_section(ch, base, g, name):
    """A stressed case beside its base: what it replaces, the paired Δ of every reported output with its CI, the
    risk probabilities of both, and one overlaid chart per output (not a second copy of every chart)."""
    w = ch.w
    st = Run(g, f"stress/{name}")
    parts = [f"<h2>{esc(w('Stress case'))}: {esc(name)}{' — ' + user(text_attr(g, 'description')) if text_attr(g, 'description') else ''}</h2>"]
    overrides = [o for o in text_attr(g, "overrides").split("\n") if o]
    if overrides:
        parts.append("<p>" + esc(w("replaces")) + ": " + "; ".join(f"<code>{esc(o)}</code>" for o in overrides) + "</p>")
    delta = {}
    if "delta" in g:
        d = g["delta"]
        for label, mean, se in zip(strings(d["series"]), d["mean"][()], d["mean_se"][()]):
            delta[label] = (mean, se)
    rows, no_mean = [], []
    for v in base.reported():
        sb, ss = base.summary[v], st.summary[v]
        style = base.style(v)
        # A mean that does not exist in either case: its Δ and CI are marked, and why said below.
        why_case, why_base = text_attr(ss, "no_finite_mean"), text_attr(sb, "no_finite_mean")
        if why_case or why_base:
            no_mean.append((v, why_case or why_base, bool(why_case)))
        labels = [f"{v}[{int(y)}]" for y in sb["year"][()]] if "year" in sb else [v]
        for t, label in enumerate(labels):
            qb = stat_at(sb, "quantile", t, QuantileColumns(sb).p50) if "quantile" in sb else float("nan")
            qs = stat_at(ss, "quantile", t, QuantileColumns(ss).p50) if "quantile" in ss else float("nan")
            dm, dse = delta.get(label, (float("nan"), float("nan")))
            rows.append([label, w.unit(text_attr(sb, "unit")), w.num(qb, style), w.num(qs, style),
                         w.num(stat_at(sb, "mean", t), style), w.num(stat_at(ss, "mean", t), style),
                         w.mean_ci(dm, base.ci * dse, style) + (" †" if why_case or why_base else "")])
    parts.append(table([w("output"), w("unit"), w("base P50"), w("stressed P50"), w("base mean"), w("stressed mean"),
                        w("Δ mean ± 95% CI")], rows, (0, 1)))
    for v, why, in_case in no_mean:
        parts.append(f'<p class="warn">† <b>{esc(v)}</b> {esc(w("has no finite mean"))} '
                     f'{esc(w("in this case" if in_case else "in the base case"))} ({esc(why)}): '
                     f'{esc(w("its Δ mean and CI are only those of these samples and do not settle however many are drawn; compare the P50s."))}</p>')
    if "decision" in g and "decision" in base.g:
        db, ds = base.g["decision"], g["decision"]
        parts.append(f"<p><b>{w('Decision')}</b>: {w('best now')} <code>{esc(text_attr(db, 'best'))}</code> → "
                     f"<code>{esc(text_attr(ds, 'best'))}</code>; EVPI {esc(w.num(float(db.attrs['evpi'])))} → "
                     f"{esc(w.num(float(ds.attrs['evpi'])))}</p>")
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
        if base.constant(v):
            continue
        timed = "year" in base.summary[v]
        labels = [f"{v}[{int(y)}]" for y in base.summary[v]["year"][()]] if timed else [v]
        if all(delta.get(label) == (0.0, 0.0) for label in labels):  # every paired sample equal: one histogram
            same.append(v)
            continue
        m = fan_overlay(ch, base, st, v, name) if timed else overlay(ch, base, st, v, name)
        if m:
            figs.append(figure(ch, m, dict(ch.files)[m]))
    if same:
        parts.append(f"<p>{w('unchanged by the stress')}: " + ", ".join(f"<b>{esc(v)}</b>" for v in same) + "</p>")
    return parts + figs


def build(path, outdir, words, dpi=200, formats=("png",), processes=None):
    """Writes the report of result `path` into `outdir` and returns its number of charts. The page draws its charts
    in the browser from their specs; the files of `formats` ("png", "svg": matplotlib) are rendered by `processes`
    processes (default: one per CPU, at most 4): this one and forked children, each running the same build and
    writing every n-th chart; the page is put together here once all have finished. A child that fails has its
    share redone here, so its error is raised as this process's own."""
    n = (processes or max(1, min(4, len(os.sched_getaffinity(0))))) if formats else 1
    children = {}
    parent = os.getpid()
    try:
        for k in range(1, n):
            pid = os.fork()
            if pid == 0:  # a child: its share of the charts, then out (never the parent's clean-up)
                code = 1
                try:
                    die_with(parent)
                    compose(path, Charts(outdir, words, dpi, formats, share=(k, n)))
                    code = 0
                finally:
                    os._exit(code)
            children[pid] = k
        ch = Charts(outdir, words, dpi, formats, share=(0, n))
        page = compose(path, ch)
        failed = []
        while children:
            pid, status = os.waitpid(next(iter(children)), 0)
            if status != 0:
                failed.append(children[pid])
            del children[pid]
        for k in failed:
            compose(path, Charts(outdir, words, dpi, formats, share=(k, n)))
    finally:
        for pid in children:  # interrupted or failed here: no child writes on after this
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    if ch.tty:
        sys.stderr.write("\r\033[K")
    say(f"{len(ch.files)} charts{' drawn' if formats else ''}; writing the page")
    ch.data = finite(ch.data)
    page.insert(-1, scripts(ch))
    with open(os.path.join(outdir, "index.html"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(page))
    if words.locale == "zh":  # labels that would show in English on a Chinese page (a test keeps this empty)
        ch.data["_untranslated"] = sorted(ch.w.missing)
    with open(os.path.join(outdir, "data.json"), "w", encoding="utf-8") as fh:
        json.dump(ch.data, fh, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return len(ch.files)


def finite(x):
    """`x` (dicts, lists, numbers) with every number a plain float or int and NaN/±inf as None: strict JSON, which
    the browser's JSON.parse reads."""
    if isinstance(x, dict):
        return {k: finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [finite(v) for v in x]
    if isinstance(x, (bool, str)) or x is None:
        return x
    if isinstance(x, (int, np.integer)):
        return int(x)
    v = float(x)
    return v if math.isfinite(v) else None


def die_with(parent):
    """This (child) process is killed when `parent` ends, however it ends (Linux's PR_SET_PDEATHSIG): a report
    killed outright leaves no chart process writing on."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent ended before the request took effect
        os._exit(1)


def compose(path, ch):
    """The page's parts (images as placeholders), drawing every chart through `ch`."""
    w = ch.w
    f = h5py.File(path, "r")
    if text_attr(f, "kind") == "part" and text_attr(f, "part_kind") == "checkpoint":
        raise ValueError("this is the checkpoint of an unfinished run, not a result: finish the run with "
                         "`tamcarlo run SCENARIO -o RESULT.h5 --resume`, then report RESULT.h5")
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
    title = text_attr(f, "suite_title") if kind == "suite" else text_attr(f, "scenario_title")
    name = text_attr(f, "suite_name") if kind == "suite" else text_attr(f, "scenario_name")
    off = w("The charts are drawn by JavaScript, which is off in this browser; tamcarlo report --png writes them as "
            "PNG files.")
    page = [f"<!doctype html><html lang=\"{w.locale}\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(name)} — {w('tamcarlo report')}</title><style>{CSS}</style></head><body>"
            f'<noscript><p class="warn">{esc(off)}</p></noscript>',
            f"<h1>{esc(name)}{' — ' + user(title) if title else ''}</h1>",
            '<p class="id">' + identity([f"{w('result file')} {esc(os.path.basename(path))}",
                                         f"{w('seed')} {int(f.attrs.get('seed', 0))}",
                                         f"{int(f.attrs.get('samples', 0)):,} {w('samples')}",
                                         f"tamcarlo {esc(text_attr(f, 'tamcarlo_version'))}",
                                         f"{w('format')} {int(f.attrs.get('format_version', 0))}",
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
            qp = QuantileColumns(m)
            stars = m["stars"][()]
            pn = list(m["p_next"][()]) + [float("nan")]
            rows = [[i + 1, c, strings(m["section"])[i], w.num(q[i, qp.p5]), w.num(q[i, qp.p50]), w.num(q[i, qp.p95]),
                     " ".join(f"{s:g}" for s in stars[i]),
                     "—" if not math.isfinite(sq[i, qp.p50]) else
                     f"{w.num(sq[i, qp.p50])} [{w.num(sq[i, qp.p5])}, {w.num(sq[i, qp.p95])}]",
                     "" if not math.isfinite(pn[i]) else f"{pn[i]:.3f}"] for i, c in enumerate(cells)]
            page.append(f"<h2>{w('The matrix')}</h2>")
            page.append(table([w("rank"), w("cell"), w("section"), "P5", "P50", "P95",
                               w("stars") + " (" + "/".join(strings(m["star_names"])) + ")", w("AIGC share"),
                               w("P(>next)")],
                              rows, (1, 2), (2,)))
            agreement = w("Agreement of the ranking with R1's `{stars}` stars (Kendall τ_b): {median} for the median "
                          "ranking; per sample mean {mean} (95% CI), P5–P95 [{p5}, {p95}].").format(
                stars=text_attr(m, "rank_by"), median=f'{num_attr(m, "tau_b_median_ranking"):.3f}',
                mean=w.mean_ci(num_attr(m, "tau_b_mean"), 1.959963984540054 * num_attr(m, "tau_b_mean_se")),
                p5=f'{num_attr(m, "tau_b_p5"):.3f}', p95=f'{num_attr(m, "tau_b_p95"):.3f}')
            page.append(f'<p>{w("Market space in")} {esc(w.unit(text_attr(m, "unit")))}. {esc(agreement)}</p>')
            for name_ in matrix_charts(ch, f):
                page.append(figure(ch, name_, dict(ch.files)[name_]))
        if "shared" in f:
            sections.append((Run(f["shared"], "shared"), w("Shared inputs")))
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
        page.append(figure(ch, portfolio_chart(ch, f), w("portfolio: contributions to the tail loss")))
    stresses = ([(k, Run(f["stress"][k], f"stress/{k}")) for k in stress_order(f)]  # in the scenario file's order
                if kind == "scenario" and "stress" in f else [])
    for run, heading in sections:
        page += run_section(ch, run, heading)
        page += decision_section(ch, run)
        page += run_charts(ch, run, stresses if run is sections[0][0] else ())
        page.append(f"<details><summary>{w('scenario file')} ({user(text_attr(run.g, 'scenario_path'))})</summary>"
                    f"<pre>{esc(run.text)}</pre></details>")
    if kind == "scenario" and "stress" in f:
        base = sections[0][0]
        for k, _ in stresses:  # in the scenario file's order, as the terminal shows them
            page += stress_section(ch, base, f["stress"][k], k)
    if kind == "suite":
        page.append(f"<details><summary>{w('suite file')}</summary><pre>{esc(text_attr(f, 'suite'))}</pre></details>")
    page.append("</body></html>")
    return with_contents(page, w)


def with_contents(page, w):
    """The page with an id on every section heading (h2) and, under the header, a table of contents linking them."""
    heads = []

    def anchor(m):
        heads.append(m.group(1))
        return f'<h2 id="s{len(heads)}">{m.group(1)}</h2>'

    page = [re.sub(r"<h2>(.*?)</h2>", anchor, part) for part in page]
    if len(heads) > 1:
        items = "".join(f'<li><a href="#s{i}">{h}</a></li>' for i, h in enumerate(heads, start=1))
        page.insert(3, f'<nav class="toc"><b>{w("Contents")}</b><ol>{items}</ol></nav>')
    return page
