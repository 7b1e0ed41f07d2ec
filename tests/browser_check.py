"""The report page in a real browser (tests/tests.cmake runs it under Debian's python3 with TAMCARLO_EXE the command
line): headless Chromium, driven over its DevTools protocol on a pipe (--remote-debugging-pipe: the standard library
is enough, no WebSocket client or npm package), opens pages the command line wrote and checks that they load with no
console error, that every chart draws with data, that the pointer over a CDF reads the right probability, and that
the page's number rule agrees with the shared table (tests/number_format_cases.tsv). Screenshots go to
$TAMCARLO_SCREENSHOTS when it is set.

    python3 tests/browser_check.py [Class]          # the tests
    python3 tests/browser_check.py --shoot PAGE.html OUT.png [WIDTH]   # a full-page screenshot
"""
import base64
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

EXE = os.environ.get("TAMCARLO_EXE", "")
SOURCE = os.environ.get("TAMCARLO_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHROMIUM = os.environ.get("TAMCARLO_CHROMIUM", "/usr/bin/chromium")


class Browser:
    """One headless Chromium and one page in it, spoken to over the DevTools protocol on fds 3 and 4."""

    def __init__(self, width=1200, height=900):
        self.profile = tempfile.mkdtemp(prefix="tamcarlo-chromium-")
        to_r, self.to_w = os.pipe()      # we write, Chromium reads (its fd 3)
        self.from_r, from_w = os.pipe()  # Chromium writes (its fd 4), we read

        def fds():
            os.dup2(to_r, 3)
            os.dup2(from_w, 4)
        # The flags this machine needs: no sandbox as root, no GPU, no background connections (the network is closed).
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", "--hide-scrollbars", "--remote-debugging-pipe",
             f"--user-data-dir={self.profile}", f"--window-size={width},{height}", "about:blank"],
            pass_fds=(3, 4), preexec_fn=fds, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_r)
        os.close(from_w)
        self.buffer = b""
        self.next_id = 0
        self.events = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=True)
        self.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1,
                                                         "mobile": False}, session=True)

    def _read(self, deadline):
        while b"\0" not in self.buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self.from_r, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed its pipe")
            self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(message)

    def call(self, method, params=None, session=False, timeout=60):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        os.write(self.to_w, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            m = self._read(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def open(self, path, timeout=30):
        """Loads file `path` and waits for its load event; returns the seconds it took."""
        start = time.monotonic()
        self.events.clear()
        self.call("Page.navigate", {"url": "file://" + os.path.abspath(path)}, session=True)
        deadline = start + timeout
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.append(self._read(deadline))
        return time.monotonic() - start

    def eval(self, expression):
        """The value of a JavaScript expression in the page (awaited when it is a promise)."""
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True},
                      session=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression[:80]}: {r['exceptionDetails'].get('exception', {}).get('description')}")
        return r["result"].get("value")

    def errors(self):
        """The console errors and uncaught exceptions seen so far."""
        out = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append(p["exceptionDetails"].get("exception", {}).get("description") or p["exceptionDetails"]["text"])
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(" ".join(str(a.get("value", a.get("description"))) for a in p.get("args", [])))
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.append(p["entry"].get("text"))
        return out

    def mouse(self, x, y):
        self.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y}, session=True)

    def screenshot(self, path, full=True):
        """A PNG of the page (the whole page when `full`)."""
        params = {"format": "png", "captureBeyondViewport": full}
        if full:
            size = self.eval("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params["clip"] = {"x": 0, "y": 0, "width": size[0], "height": min(size[1], 16000), "scale": 1}
        data = self.call("Page.captureScreenshot", params, session=True)["data"]
        with open(path, "wb") as fh:
            fh.write(base64.b64decode(data))

    def element_shot(self, selector, path):
        """A PNG of the element `selector` (a chart's figure, say), drawn first."""
        r = self.eval(f"""(() => {{ const el = document.querySelector({json.dumps(selector)});
            if (window.tamcarlo) window.tamcarlo.renderAll();
            el.scrollIntoView(); const r = el.getBoundingClientRect();
            return [r.left + window.scrollX, r.top + window.scrollY, r.width, r.height]; }})()""")
        data = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": {
            "x": r[0], "y": r[1], "width": r[2], "height": r[3], "scale": 1}}, session=True)["data"]
        with open(path, "wb") as fh:
            fh.write(base64.b64decode(data))

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.to_w)
        os.close(self.from_r)
        shutil.rmtree(self.profile, ignore_errors=True)


def run(*args):
    p = subprocess.run([EXE, *args], capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError(f"tamcarlo {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p


# Every chart drawn, each with data: the number of datasets and points, and whether its canvas has any ink.
CHARTS_DRAWN = """(() => {
  const n = window.tamcarlo.renderAll();
  return Object.entries(window.tamcarlo.charts).map(([name, c]) => {
    const points = c.data.datasets.reduce((k, d) => k + (d.hidden ? 0 : d.data.length), 0);
    const px = c.ctx.getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 0; i < px.length; i += 4 * 7) if (px[i] < 200 || px[i + 1] < 200 || px[i + 2] < 200) ink++;
    return {name, kind: c.$spec.kind, datasets: c.data.datasets.length, points, ink, width: c.width, height: c.height};
  });
})()"""


class Page(unittest.TestCase):
    """Pages of the library's scenarios: a seed investment with heavy tails and stresses, and a timed projection."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="tamcarlo-browser-")
        cls.shots = os.environ.get("TAMCARLO_SCREENSHOTS")
        cls.browser = Browser()

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def report(self, scenario, name, *run_args, report_args=()):
        h5 = os.path.join(self.dir, name + ".h5")
        run("run", scenario if os.path.isabs(scenario) else os.path.join(SOURCE, scenario), "-o", h5, "--force",
            *run_args)
        out = os.path.join(self.dir, name + "-report")
        run("report", h5, "-o", out, *report_args)
        return os.path.join(out, "index.html")

    def check_page(self, page, shot):
        b = self.browser
        seconds = b.open(page)
        self.assertLess(seconds, 10, "the page took too long to load")
        drawn = b.eval(CHARTS_DRAWN)
        with open(os.path.join(os.path.dirname(page), "data.json"), encoding="utf-8") as fh:
            specs = {k for k in json.load(fh) if not k.startswith("_")}
        self.assertEqual({d["name"] for d in drawn}, specs, "every chart of data.json is on the page and drawn")
        for d in drawn:
            self.assertGreater(d["datasets"], 0, d)
            self.assertGreater(d["points"], 0, d)
            self.assertGreater(d["ink"], 200, f"{d['name']} looks blank")
            self.assertGreater(d["width"], 600, d)
        self.assertEqual(b.errors(), [])
        if self.shots:
            b.screenshot(os.path.join(self.shots, shot))
        return drawn

    def test_a_seed_investment_with_heavy_tails_and_stresses(self):
        page = self.report("scenarios/investments/augment.toml", "aug", "-n", "100000", "--stress", "all")
        drawn = self.check_page(page, "augment-b.png")
        kinds = {d["kind"] for d in drawn}
        self.assertEqual(kinds, {"distribution", "bars"})
        b = self.browser
        # The MOIC chart: its point mass at 0 is a stem, its stressed cases are on the chart and hidden at first.
        spec = b.eval("window.tamcarlo.data.charts['augment-b__moic__distribution.png']")
        self.assertTrue(any(a["value"] == 0 and a["share"] > 0.2 for a in spec["cases"][0]["atoms"]))
        self.assertGreater(len(spec["cases"]), 1)
        self.assertTrue(all(c["hidden"] for c in spec["cases"][1:]))

    def test_hovering_the_cdf_reads_the_probability(self):
        # y ~ normal(0, 1): P(y < 1) = Φ(1) = 0.841345. Read at the pointer placed over 1, and at the typed value 1.
        # Tolerance: 4 SE of an empirical CDF at n = 200,000 (4·√(Φ(1)(1 − Φ(1))/n) = 0.0033), plus one pixel of the
        # pointer at the density φ(1) = 0.242 and the chart's ~0.01 units per pixel (0.0025), plus the interpolation
        # between the page's quantiles 0.005 apart in p (at most the step).
        scenario = os.path.join(self.dir, "normal.toml")
        with open(scenario, "w") as fh:
            fh.write('[scenario]\nname = "normal"\n[inputs]\nz = { dist = "normal", mean = 0, sd = 1, source = "test" }\n'
                     'v = { dist = "normal", mean = 0, sd = 1, source = "test" }\n'
                     '[formulas]\ny = "z"\nt = "z * exp(1.5 * v)"\n[outputs]\nreport = ["y", "t"]\n')
        h5 = os.path.join(self.dir, "normal.h5")
        run("run", scenario, "-o", h5, "-n", "200000", "--force")
        run("report", h5, "-o", os.path.join(self.dir, "normal-report"), )
        b = self.browser
        b.open(os.path.join(self.dir, "normal-report", "index.html"))
        b.eval("window.tamcarlo.renderAll()")
        name = "normal__y__distribution.png"
        b.eval("document.getElementById('normal__y__distribution').scrollIntoView()")
        where = b.eval(f"""(() => {{ const c = window.tamcarlo.charts['{name}'];
            const r = c.canvas.getBoundingClientRect();
            return [r.left + c.scales.x.getPixelForValue(1), r.top + (c.chartArea.top + c.chartArea.bottom) / 2]; }})()""")
        b.mouse(*where)
        got = b.eval("""(() => { const s = document.querySelector('#normal__y__distribution .readout .at');
            return [Number(s.dataset.p), Number(s.dataset.value), s.textContent]; })()""")
        expected = 0.5 * (1 + math.erf(1 / math.sqrt(2)))
        tol = 4 * math.sqrt(expected * (1 - expected) / 200000) + 0.0025 + 0.005
        self.assertAlmostEqual(got[1], 1.0, delta=0.02)
        self.assertAlmostEqual(got[0], expected, delta=tol, msg=got)
        self.assertIn("P(y < ", got[2])
        typed = b.eval("""(() => { const f = document.querySelector('#normal__y__distribution .readout');
            const i = f.querySelector('input'); i.value = '1'; i.dispatchEvent(new Event('input'));
            return [Number(f.querySelector('output').dataset.p), f.querySelector('output').textContent]; })()""")
        self.assertAlmostEqual(typed[0], expected, delta=4 * math.sqrt(expected * (1 - expected) / 200000) + 0.005)
        self.assertIn("P(y < 1.00) = 84.", typed[1])
        # t = z·exp(1.5 v): heavy tails of both signs, drawn on an asinh axis; P(t < 0) = 1/2 read at the pointer over
        # 0 (4 SE of the empirical CDF, plus the interpolation between the page's quantiles 0.005 apart).
        spec = b.eval("window.tamcarlo.data.charts['normal__t__distribution.png']")
        self.assertIsNotNone(spec["symlog"])
        name = "normal__t__distribution"
        b.eval(f"document.getElementById('{name}').scrollIntoView()")
        where = b.eval(f"""(() => {{ const c = window.tamcarlo.charts['{name}.png'];
            const r = c.canvas.getBoundingClientRect();
            return [c.scales.x.type, r.left + c.scales.x.getPixelForValue(0), r.top + c.chartArea.top + 20]; }})()""")
        self.assertEqual(where[0], "symlog")
        b.mouse(*where[1:])
        got = b.eval(f"""(() => {{ const s = document.querySelector('#{name} .readout .at');
            return [Number(s.dataset.p), Number(s.dataset.value)]; }})()""")
        self.assertLess(abs(got[1]), 0.05 * spec["symlog"])
        self.assertAlmostEqual(got[0], 0.5, delta=4 * math.sqrt(0.25 / 200000) + 0.005 + 0.01)
        self.assertEqual(b.errors(), [])

    def test_a_timed_projection_with_stresses(self):
        scenario = os.path.join(self.dir, "proj.toml")
        with open(scenario, "w") as fh:
            fh.write('[scenario]\nname = "proj"\nyears = [2024, 2030]\n[inputs]\n'
                     'start = { dist = "lognormal", median = 100, sigma = 0.1, source = "t" }\n'
                     'growth = { dist = "normal", mean = 0.2, sd = 0.05, source = "t" }\n'
                     '[formulas]\nmarket = "start * (1 + growth) ^ (year - 2024)"\n[outputs]\nreport = ["market"]\n'
                     '[stress.slow]\ngrowth = { dist = "normal", mean = 0.05, sd = 0.05 }\n'
                     '[stress.fast]\ngrowth = { dist = "normal", mean = 0.3, sd = 0.05 }\n')
        page = self.report(scenario, "proj", "-n", "20000", "--stress", "all")
        drawn = self.check_page(page, "projection.png")
        self.assertIn("fan", {d["kind"] for d in drawn})
        b = self.browser
        # The base fan chart holds every stressed case, hidden; clicking its legend entry shows the whole case.
        name = next(d["name"] for d in drawn if d["name"].endswith("__market__fan.png") and "stress" not in d["name"])
        shown = b.eval(f"""(() => {{ const c = window.tamcarlo.charts['{name}'];
            const k = c.data.datasets.findIndex((d) => d.$case === 1 && d.$legend);
            const before = c.data.datasets.filter((d, i) => d.$case === 1 && c.isDatasetVisible(i)).length;
            c.options.plugins.legend.onClick(null, {{datasetIndex: k}}, c.legend);
            const after = c.data.datasets.filter((d, i) => d.$case === 1 && c.isDatasetVisible(i)).length;
            return [c.$cases, before, after, c.data.datasets.filter((d) => d.$case === 1).length]; }})()""")
        self.assertGreater(shown[0], 1)
        self.assertEqual(shown[1], 0)
        self.assertEqual(shown[2], shown[3])
        self.assertEqual(b.errors(), [])


class Main(unittest.TestCase):
    """The main job's page (the suite, in English and in Chinese): size, load time, every chart, no English on zh."""

    def test_the_main_job(self):
        d = tempfile.mkdtemp(prefix="tamcarlo-browser-")
        b = Browser()
        try:
            run("run", os.path.join(SOURCE, "scenarios"), "-o", os.path.join(d, "m"), "-n", "20000")
            h5 = os.path.join(d, "m", "aigc-matrix.h5")
            shots = os.environ.get("TAMCARLO_SCREENSHOTS")
            for locale in ("en", "zh"):
                out = os.path.join(d, locale)
                run("report", h5, "-o", out, "--locale", locale)
                page = os.path.join(out, "index.html")
                self.assertLess(os.path.getsize(page), 7.4e6 / 4, "the page should be far smaller than 7.4 MB")
                seconds = b.open(page)
                self.assertLess(seconds, 10)
                drawn = b.eval(CHARTS_DRAWN)
                self.assertGreater(len(drawn), 40)
                for c in drawn:
                    self.assertGreater(c["ink"], 200, c)
                self.assertEqual(b.errors(), [])
                if shots:
                    b.screenshot(os.path.join(shots, f"main-{locale}.png"))
                if locale == "zh":  # what the browser shows: no English word beyond the allowed ones
                    text = b.eval("document.body.innerText")
                    self.assertNotIn("share of samples", text)
                    self.assertNotIn("cumulative probability", text)
        finally:
            b.close()
            shutil.rmtree(d, ignore_errors=True)


class NumberRule(unittest.TestCase):
    """page.js's number rule gives the shared table's text (tests/number_format_cases.tsv), as C++ and Python do."""

    def test_the_shared_cases(self):
        cases = []
        with open(os.path.join(SOURCE, "tests", "number_format_cases.tsv"), encoding="utf-8") as fh:
            for line in fh:
                if not line.strip() or line.startswith("#"):
                    continue
                cells = line.rstrip("\n").split("\t")
                cases.append(cells)
        d = tempfile.mkdtemp(prefix="tamcarlo-browser-")
        b = Browser()
        try:
            with open(os.path.join(SOURCE, "sim", "report", "tamcarlo_report", "page.js"), encoding="utf-8") as fh:
                js = fh.read()
            for locale in ("en", "zh"):
                page = os.path.join(d, f"{locale}.html")
                data = json.dumps({"locale": locale, "charts": {}, "words": {}})
                with open(page, "w", encoding="utf-8") as fh:
                    fh.write(f'<!doctype html><meta charset="utf-8"><script>window.Chart = {{defaults: {{font: {{}}}}, Scale: class {{}}, register() {{}}}};'
                             f'</script><script type="application/json" id="tamcarlo-data">{data}</script>'
                             f"<script>{js}</script>")
                b.open(page)
                mine = [c for c in cases if c[0] == "number" and c[4] == locale]  # kind value half style locale expected
                values = "[" + ",".join(f"[{float(c[1])!r}, {json.dumps(c[3])}]" for c in mine) + "]"
                values = values.replace("nan", "NaN").replace("inf", "Infinity")
                got = b.eval(f"{values}.map(([x, s]) => window.tamcarlo.formatNumber(x, s))")
                for c, g in zip(mine, got):
                    self.assertEqual(g, c[5], c)
                self.assertGreater(len(mine), 5)
                # Axis ticks: the page's formatTicks against Python's format_ticks on the same axes.
                sys.path.insert(0, os.path.join(SOURCE, "sim", "report"))
                from tamcarlo_report.number_format import format_ticks
                axes = [([0, 5, 10, 15, 20], "auto"), ([0, 0.25, 0.5, 0.75], "auto"), ([0, 5e9, 1e10, 1.5e10], "auto"),
                        ([1.5e9, 2e9, 2.5e9], "auto"), ([0.01, 0.1, 1, 10, 100, 1e3, 1e4], "auto"),
                        ([-0.5, 0, 0.5], "percent"), ([0, 0.002, 0.004], "percent"), ([0, 1e8, 2e8, 3e8], "auto"),
                        ([2022, 2024, 2026], "year"), ([-2e6, -1e6, 0, 1e6], "auto"), ([0.2, 0.4, 0.6, 0.8, 1], "auto"),
                        ([1e4, 2e4, 5e4], "auto"), ([-0.1, 0, 0.1, 0.2, 0.3], "auto"), ([3.4, 3.6, 3.8, 4.0], "auto")]
                got = b.eval(f"{json.dumps(axes)}.map(([v, s]) => window.tamcarlo.formatTicks(v, s))")
                for (values, style), g in zip(axes, got):
                    self.assertEqual(g, format_ticks(values, style, locale), (values, style, locale))
            self.assertEqual(b.errors(), [])
        finally:
            b.close()
            shutil.rmtree(d, ignore_errors=True)


def shoot(page, out, width=1200, selectors=()):
    """A full-page screenshot of `page` with every chart drawn, or one of each element of `selectors` (OUT-1.png, …)."""
    b = Browser(width=width)
    try:
        b.open(page)
        if selectors:
            for i, sel in enumerate(selectors, start=1):
                b.element_shot(sel, f"{out[:-4]}-{i}.png")
        else:
            b.eval("window.tamcarlo ? window.tamcarlo.renderAll() : 0")
            b.screenshot(out)
        errors = b.errors()
        if errors:
            print("console errors:", *errors, sep="\n  ")
    finally:
        b.close()


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "--shoot":
        shoot(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 1200, sys.argv[5:])
    else:
        unittest.main()
