"""The report's charts on hard shapes (tests/tests.cmake runs it under Debian's python3 with PYTHONPATH at
sim/report and TAMCARLO_EXE the command line): axis ticks that follow the axis, point masses drawn as such, a log axis
for a heavy right tail, Sobol' axes that one wild CI cannot stretch."""
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import numpy as np

from tamcarlo_report.charts import binning, index_axis, shape_of
from tamcarlo_report.number_format import format_ticks

EXE = os.environ["TAMCARLO_EXE"]


class Ticks(unittest.TestCase):
    def test_ticks_follow_the_axis(self):
        cases = [
            (([0, 5, 10, 15, 20],), ["0", "5", "10", "15", "20"]),            # not "5.00, 10.0"
            (([0, 0.25, 0.5, 0.75],), ["0", "0.25", "0.50", "0.75"]),
            (([0, 5e9, 1e10, 1.5e10],), ["0", "5B", "10B", "15B"]),            # one scale for the axis
            (([1.5e9, 2e9, 2.5e9],), ["1.5B", "2.0B", "2.5B"]),
            (([0.01, 0.1, 1, 10, 100, 1e3, 1e4],), ["0.01", "0.1", "1", "10", "100", "1000", "10k"]),  # a log axis
            (([-0.5, 0, 0.5], "percent"), ["-50%", "0", "50%"]),              # not "-50.0%"
            (([0, 0.002, 0.004], "percent"), ["0", "0.2%", "0.4%"]),
            (([0, 1e8, 2e8, 3e8], "auto", "zh"), ["0", "1亿", "2亿", "3亿"]),
            (([2022, 2024, 2026], "year"), ["2022", "2024", "2026"]),
        ]
        for args, want in cases:
            self.assertEqual(format_ticks(*args), want, args)


class Shapes(unittest.TestCase):
    def test_point_masses_and_heavy_tails(self):
        rng = np.random.default_rng(1)
        failed = rng.random(100_000) < 0.6
        moic = np.where(failed, 0.0, rng.lognormal(1.0, 1.6, 100_000))
        atoms, rest, log_x = shape_of(moic)
        self.assertEqual([v for v, _ in atoms], [0.0])
        self.assertEqual(atoms[0][1], float(np.mean(moic == 0)))      # exactly the share of zeros
        self.assertEqual(len(rest), int(np.sum(moic != 0)))
        self.assertTrue(log_x)                                         # P99/P1 of the rest ≈ e^(2·2.33·1.6) ≫ 100
        atoms, rest, log_x = shape_of(rng.normal(10, 1, 100_000))
        self.assertEqual((atoms, log_x), ([], False))
        atoms, rest, log_x = shape_of(rng.lognormal(0, 0.5, 100_000))  # a market: P99/P1 ≈ 10, linear
        self.assertFalse(log_x)
        counts = rng.poisson(3, 10_000).astype(float)                  # a count: every value is an atom
        atoms, rest, _ = shape_of(counts)
        self.assertEqual(len(rest), 0)
        self.assertAlmostEqual(sum(p for _, p in atoms), 1.0, places=12)

    def test_an_overlay_shows_a_narrow_base_beside_a_heavy_stressed_case(self):
        rng = np.random.default_rng(2)
        base = rng.lognormal(np.log(1.5e10), 0.2, 20_000)                # a market: P99/P1 ≈ 2.5
        heavy = base * rng.pareto(0.45, 20_000)                          # a stress with no finite mean
        self.assertTrue(binning([base, heavy])[2])                       # one log axis: both shapes visible
        self.assertFalse(binning([base, base * 1.2])[2])                 # two markets: linear
        self.assertFalse(binning([base, heavy], in_view=1)[2])           # the base's own chart: its range only
        self.assertFalse(binning([base, heavy - 1e12])[2])               # not all positive: no log axis

    def test_a_wild_ci_does_not_stretch_the_index_axis(self):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots()
        self.assertTrue(index_axis(ax, np.array([-11.5, 0.1]), np.array([13.2, 0.3])))
        self.assertEqual(ax.get_xlim(), (-0.1, 1.1))
        self.assertFalse(index_axis(ax, np.array([0.0, 0.1]), np.array([0.4, 0.3])))
        self.assertLess(ax.get_xlim()[1], 0.5)
        plt.close(fig)


class InTempDir(unittest.TestCase):
    """A test with its own temporary directory (self.dir), removed afterwards."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tamcarlo-chart-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def scenario(self, name, text):
        """Writes a scenario file into the directory and returns its path."""
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def tamcarlo(self, *args, cwd=None):
        """Runs the command line and requires it to succeed."""
        done = subprocess.run([EXE, *args], cwd=cwd, capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, f"tamcarlo {' '.join(args)}: {done.stderr}")
        return done


class Page(InTempDir):
    def test_the_seed_bets_chart_records_what_it_draws(self):
        d = self.dir
        scenario = self.scenario("seed.toml", '[scenario]\nname = "seed"\n[inputs]\n'
                                              'failed = { dist = "bernoulli", p = 0.6, point = 0, source = "t" }\n'
                                              'multiple = { dist = "lognormal", median = 3, sigma = 1.6, source = "t" }\n'
                                              '[formulas]\nmoic = "if(failed, 0, multiple)"\n[outputs]\nreport = ["moic"]\n')
        out = os.path.join(d, "seed.h5")
        self.tamcarlo("run", scenario, "-n", "50000", "-o", out, "--store", "all")
        self.tamcarlo("report", out)
        with open(os.path.join(d, "seed-report", "data.json"), encoding="utf-8") as f:
            data = json.load(f)["seed__moic__distribution.png"]
        import h5py
        with h5py.File(out) as f:
            x = f["samples/moic"][()]
        self.assertTrue(data["log_x"])
        self.assertEqual(data["atoms"], [{"value": 0.0, "share": float(np.mean(x == 0))}])
        self.assertGreater(data["x_range"][0], 0)                  # the log axis starts inside the positive part

    def test_store_none_draws_the_streamed_histogram(self):
        # The same seed bet without stored samples: the chart draws the histogram the passes kept (log bins, the
        # point mass at 0 apart), and its CDF agrees with the stored quantiles and P(moic < 1).
        d = self.dir
        scenario = self.scenario("seed.toml", '[scenario]\nname = "seed"\n[inputs]\n'
                                              'failed = { dist = "bernoulli", p = 0.6, point = 0, source = "t" }\n'
                                              'multiple = { dist = "lognormal", median = 3, sigma = 1.6, source = "t" }\n'
                                              '[formulas]\nmoic = "if(failed, 0, multiple)"\n[outputs]\nreport = ["moic"]\n'
                                              '[risk.moic]\nbelow = [1]\n')
        out = os.path.join(d, "seed.h5")
        n = 400_000
        self.tamcarlo("run", scenario, "-n", str(n), "-o", out, "--store", "none")
        self.tamcarlo("report", out)
        with open(os.path.join(d, "seed-report", "data.json"), encoding="utf-8") as f:
            spec = json.load(f)["seed__moic__distribution.png"]
        import h5py
        with h5py.File(out) as f:
            s = f["summary/moic"]
            h = s["histogram"]
            counts, atoms, atom_counts = h["count"][()], h["atom"][()], h["atom_count"][()]
            total = h.attrs["below"] + counts.sum() + atom_counts.sum() + h.attrs["above"]
            self.assertEqual(total, s.attrs["n"])                  # every finite sample counted once
            q, p_below = s["quantile"][()], float(s["risk/p_below"][0])
            log = int(h.attrs["log"])
        self.assertEqual(list(atoms), [0.0])
        self.assertEqual(log, 1)
        base = spec["cases"][0]
        self.assertTrue(spec["log"])
        self.assertTrue(100 < len(base["hist"]["share"]) <= 200)  # log bins: 2^k keys wide, 101 to 200 of them
        self.assertAlmostEqual(base["atoms"][0]["share"], atom_counts[0] / n, places=12)
        # P(failed) = 0.6: the point mass within 4 binomial SE.
        self.assertLess(abs(base["atoms"][0]["share"] - 0.6), 4 * math.sqrt(0.6 * 0.4 / n))
        # The page's CDF: linear between the bins' edges, so at P75, P95 and P(moic < 1) it is within one bin's share of
        # the exact values (the median is the point mass at 0).
        xs, ps = np.array(base["cdf"]["x"]), np.array(base["cdf"]["p"])
        one_bin = max(base["hist"]["share"])
        at = lambda v: float(np.interp(v, xs, ps))  # noqa: E731
        self.assertLess(abs(at(q[5]) - 0.75), one_bin)
        self.assertLess(abs(at(q[7]) - 0.95), one_bin)
        self.assertLess(abs(at(1.0) - p_below), one_bin)

    def test_a_timed_projection_with_stresses(self):
        d = self.dir
        scenario = self.scenario("proj.toml", '[scenario]\nname = "proj"\nyears = [2024, 2030]\n[inputs]\n'
                                              'start = { dist = "lognormal", median = 100, sigma = 0.1, source = "t" }\n'
                                              'growth = { dist = "normal", mean = 0.2, sd = 0.05, source = "t" }\n'
                                              '[formulas]\nmarket = "start * (1 + growth) ^ (year - 2024)"\n[outputs]\nreport = ["market"]\n'
                                              '[stress.zeta]\ndescription = "slow"\ngrowth = { dist = "normal", mean = 0.05, sd = 0.05 }\n'
                                              '[stress.alpha]\ndescription = "fast"\ngrowth = { dist = "normal", mean = 0.3, sd = 0.05 }\n')
        out = os.path.join(d, "proj.h5")
        self.tamcarlo("run", scenario, "-n", "20000", "-o", out, "--stress", "all")
        for locale in ("en", "zh"):
            rep = os.path.join(d, locale)
            self.tamcarlo("report", out, "-o", rep, "--locale", locale, "--png")
            # One fan chart per stressed case of the timed output (none before), base and stressed together.
            for case in ("zeta", "alpha"):
                self.assertTrue(os.path.exists(os.path.join(rep, f"stress__{case}__market__fan.png")))
            with open(os.path.join(rep, "data.json"), encoding="utf-8") as f:
                data = json.load(f)
            fan = data["stress__zeta__market__fan.png"]
            self.assertLess(fan["stressed_p50"][-1], fan["base_p50"][-1])   # slower growth, lower 2030
            with open(os.path.join(rep, "index.html"), encoding="utf-8") as f:
                page = f.read()
            # Stress sections in the file's order (zeta, then alpha), each linked from the contents.
            self.assertLess(page.index("zeta — "), page.index("alpha — "))
            self.assertIn('<nav class="toc">', page)
            self.assertIn('href="#s2"', page)
            if locale == "zh":
                self.assertEqual(data["_untranslated"], [])
                self.assertIn("目录", page)

    def test_the_correlation_table(self):
        d = self.dir
        scenario = self.scenario("c.toml", '[scenario]\nname = "c"\n[inputs]\n'
                                           'a = { dist = "normal", mean = 0, sd = 1, source = "t" }\n'
                                           'b = { dist = "lognormal", median = 1, sigma = 0.5, source = "t" }\n'
                                           'c = { dist = "uniform", min = 0, max = 1, source = "t" }\n'
                                           '[formulas]\ny = "a + b + c"\n[outputs]\nreport = ["y"]\n'
                                           '[correlations]\npairs = [["a", "b", 0.6]]\n'
                                           'matrix = { inputs = ["b", "c"], rho = [[1, -0.3], [-0.3, 1]] }\n')
        for store in ("all", "report"):
            out = os.path.join(d, store + ".h5")
            self.tamcarlo("run", scenario, "-n", "40000", "-o", out, "--store", store)
            rep = os.path.join(d, store + "-report")
            self.tamcarlo("report", out, "-o", rep)
            with open(os.path.join(rep, "index.html"), encoding="utf-8") as f:
                page = f.read()
            i = page.index("Correlated inputs</h3>")
            rows = re.findall(r"<tr><td[^>]*>(\w+)</td><td[^>]*>(\w+)</td><td[^>]*>([-0-9.]+)</td><td[^>]*>([^<]*)</td>",
                              page[i:i + 3000])
            self.assertEqual([r[:3] for r in rows], [("a", "b", "0.600"), ("b", "c", "-0.300")])
            for _, _, asked, seen in rows:
                if store == "all":  # the samples' Spearman ρ: within 4 SE (≈ 1.06 (1 − ρ²)/√n) of the target
                    rho = float(asked)
                    self.assertLess(abs(float(seen.split()[0]) - rho), 4 * 1.06 * (1 - rho ** 2) / 40000 ** 0.5)
                else:
                    self.assertIn("--store all", seen)


ALLOWED = {"P1", "P5", "P10", "P25", "P50", "P75", "P90", "P95", "P99", "EVPI", "EVPPI", "VaR", "CVaR", "Sobol",
           "Shapley", "Kendall", "Spearman", "tamcarlo", "USD", "CNY", "AIGC", "MOIC", "IRR", "NPV"}


def english_on(page_path, result_path):
    """Words in Latin letters a Chinese page shows that are neither the scenario author's text (names of variables,
    cells, runs and groups; titles, sources, laws and paths, which the page marks class="u"; code), nor a
    command-line option, nor a symbol kept as it is (ALLOWED)."""
    import html
    import re
    import h5py
    with open(page_path, encoding="utf-8") as f:
        page = f.read()
    page = re.sub(r"<(pre|code|style|script|title|noscript)[^>]*>.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r'<span class="u">.*?</span>', " ", page, flags=re.S)
    page = re.sub(r"<img[^>]*>", " ", page)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    text = re.sub(r"--[\w-]+(?: (?:all|report|none))?", " ", text)  # a command-line option is written as typed
    names = set()
    with h5py.File(result_path) as f:
        def visit(name, obj):
            names.update(name.split("/"))
            if isinstance(obj, h5py.Dataset) and obj.dtype.kind == "O" and obj.ndim == 1:
                names.update(v.decode() if isinstance(v, bytes) else str(v) for v in obj[()])
        f.visititems(visit)
        names.update(str(f.attrs[k]) for k in ("scenario_name", "suite_name") if k in f.attrs)
    found = set()
    for m in re.finditer(r"[A-Za-z][A-Za-z'’]{2,}", text):
        word = m.group(0)
        if word not in ALLOWED and not any(word in n for n in names):
            found.add(f"{word} ({text[max(0, m.start() - 25):m.end() + 25].strip()})")
    return sorted(found)


class Chinese(InTempDir):
    def test_zh_pages_show_no_english_label(self):
        src = os.environ["TAMCARLO_SOURCE_DIR"]
        d = self.dir
        jobs = [("augment", ["scenarios/investments/augment.toml", "-n", "20000", "--stress", "all", "--sobol"]),
                ("matrix", ["scenarios/matrix.toml", "-n", "5000"]),
                ("pharma", ["scenarios/projections/ai_pharma.toml", "-n", "5000", "--set",
                            "later_growth=0.05 to 0.15"]),
                ("portfolio", ["scenarios/investments/portfolio.toml", "-n", "5000"])]
        for name, args in jobs:
            out = os.path.join(d, name + ".h5")
            self.tamcarlo("run", *args, "-o", out, cwd=src)
            rep = os.path.join(d, name + "-zh")
            self.tamcarlo("report", out, "-o", rep, "--locale", "zh")
            self.assertEqual(english_on(os.path.join(rep, "index.html"), out), [], name)
            with open(os.path.join(rep, "data.json"), encoding="utf-8") as f:
                self.assertEqual(json.load(f)["_untranslated"], [], name)


if __name__ == "__main__":
    unittest.main()
