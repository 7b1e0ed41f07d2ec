"""The Python module (tests/tests.cmake runs each class under Debian's /usr/bin/python3 with PYTHONPATH set to the
build's python/ directory, TAMCARLO_EXE to the command line and TAMCARLO_SOURCE_DIR to the source tree)."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
import warnings

import h5py
import numpy as np

import tamcarlo

EXE = os.environ["TAMCARLO_EXE"]
SRC = os.environ["TAMCARLO_SOURCE_DIR"]
ECOMMERCE = os.path.join(SRC, "scenarios/cells/cs_ecommerce.toml")
AUGMENT = os.path.join(SRC, "scenarios/investments/augment.toml")
PHARMA = os.path.join(SRC, "scenarios/projections/ai_pharma.toml")
MATRIX = os.path.join(SRC, "scenarios/matrix.toml")


def cli(*args, cwd=SRC):
    done = subprocess.run([EXE, "run", *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise AssertionError(f"tamcarlo run {' '.join(args)}: exit {done.returncode}: {done.stderr}")


def stored(path, group="samples"):
    """Every stored sample series of a result, by name (dimension scales left out)."""
    with h5py.File(path) as f:
        g = f[group]
        return {k: g[k][()] for k in g if g[k].attrs.get("CLASS") != b"DIMENSION_SCALE"}


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def same_bits(a, b):
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


class Temp(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tamcarlo-pytest-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class RunMatchesCommandLine(Temp):
    def test_samples_equal_the_command_lines_bit_for_bit(self):
        r = tamcarlo.run(ECOMMERCE, n=100_000, seed=1, store="all")
        out = os.path.join(self.dir, "cli.h5")
        cli(ECOMMERCE, "-n", "100000", "--seed", "1", "--store", "all", "-o", out)
        mine, theirs = stored(r.path), stored(out)
        self.assertEqual(sorted(mine), sorted(theirs))
        self.assertGreaterEqual(len(mine), 7)
        for k in theirs:
            self.assertTrue(same_bits(mine[k], theirs[k]), k)
        # The summary is the file's: the mean of market as the HDF5 holds it, and as numpy computes it (to within
        # rounding of a sum over 1e5 values, far below the standard error).
        s = r.summary
        with h5py.File(out) as f:
            self.assertEqual(s.xs("market")["mean"].iloc[0], f["summary/market"].attrs["mean"])
        x = r.samples["market"].values
        self.assertAlmostEqual(float(x.mean()) / s.xs("market")["mean"].iloc[0], 1.0, places=12)

    def test_stresses_and_threads(self):
        one = tamcarlo.run(AUGMENT, n=20_000, seed=7, store="all", stress="all", threads=1)
        two = tamcarlo.run(AUGMENT, n=20_000, seed=7, store="all", stress="all", threads=2)
        out = os.path.join(self.dir, "a.h5")
        cli(AUGMENT, "-n", "20000", "--seed", "7", "--store", "all", "--stress", "all", "-o", out)
        for group in ("samples", "stress/bear/samples", "stress/bull/samples"):
            ref = stored(out, group)
            for r in (one, two):
                got = stored(r.path, group)
                self.assertEqual(sorted(got), sorted(ref))
                for k in ref:
                    self.assertTrue(same_bits(got[k], ref[k]), f"{group}/{k}")
        ds = one.samples
        self.assertEqual(list(ds["case"].values), ["base", "bear", "bull"])
        self.assertEqual(ds["npv"].dims, ("case", "sample"))
        np.testing.assert_array_equal(ds["npv"].sel(case="bear").values, stored(out, "stress/bear/samples")["npv"])
        self.assertEqual(sorted(set(one.stresses.index.get_level_values("case"))), ["bear", "bull"])
        self.assertIn("npv", one.risk.index.get_level_values("output"))
        d = one.decision
        self.assertEqual(list(d["options"].index), ["npv", "pass"])
        self.assertGreater(d["evpi"], 0)

    def test_a_dict_and_text_give_the_files_bits(self):
        text = read(ECOMMERCE)
        import tomllib
        as_dict = tomllib.loads(text)
        a = tamcarlo.run(ECOMMERCE, n=10_000, seed=3, store="all")
        b = tamcarlo.run(text, n=10_000, seed=3, store="all")
        c = tamcarlo.run(as_dict, n=10_000, seed=3, store="all")
        ref = stored(a.path)
        for r in (b, c):
            got = stored(r.path)
            for k in ref:
                self.assertTrue(same_bits(got[k], ref[k]), k)

    def test_output_is_kept_and_temporary_results_are_removed(self):
        out = os.path.join(self.dir, "kept.h5")
        r = tamcarlo.run(ECOMMERCE, n=5_000, seed=1, output=out)
        self.assertEqual(r.path, out)
        self.assertTrue(os.path.exists(os.path.join(self.dir, "kept.csv")))
        t = tamcarlo.run(ECOMMERCE, n=5_000, seed=1)
        where = os.path.dirname(t.path)
        self.assertTrue(os.path.isdir(where))
        copy = t.save(os.path.join(self.dir, "saved.h5"))
        del t
        import gc
        gc.collect()
        self.assertFalse(os.path.exists(where))
        self.assertEqual(tamcarlo.open(copy.path).summary.shape, r.summary.shape)

    def test_set_overrides_and_warnings(self):
        r = tamcarlo.run(ECOMMERCE, n=5_000, seed=1, set={"automation_share": 0.5})
        self.assertEqual(r.cases, ["set"])
        self.assertEqual(r.case("set").summary.xs("automation_share")["mean"].iloc[0], 0.5)
        bad = textwrap.dedent("""\
            [scenario]
            name = "w"
            [inputs]
            adoption_share = { dist = "uniform", min = 20, max = 30 }
            [formulas]
            y = "adoption_share * 2"
            [outputs]
            report = ["y"]
            """)
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            r = tamcarlo.run(bad, n=1_000)
        self.assertTrue(any(issubclass(w.category, tamcarlo.ScenarioWarning) for w in seen), [str(w.message) for w in seen])
        self.assertTrue(r.warnings)
        # The file keeps the scenario's lint: opened again, it says what the run said (no source, the percentage).
        path = os.path.join(self.dir, "w.h5")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tamcarlo.run(bad, n=1_000, output=path)
        stored = tamcarlo.open(path).warnings
        self.assertEqual(len(stored), 2, stored)
        self.assertTrue(any("[inputs.adoption_share] `adoption_share` is named like a share" in w for w in stored), stored)
        clean = tamcarlo.run(ECOMMERCE, n=1_000)
        self.assertEqual(tamcarlo.open(clean.path).warnings, [])
        self.assertNotIn("no_finite_mean", clean.summary.columns)
        def metalog_run(p50, p90, formulas):  # (its lint warnings are expected here)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return tamcarlo.run(f'[inputs]\narr = {{ dist = "metalog", p10 = 1e6, p50 = {p50}, p90 = {p90}, '
                                    f'lower = 0, source = "t" }}\n[formulas]\n{formulas}', n=1_000)
        # A mean that does not exist is said in the summary too (an expert's wide range as a lower-bounded metalog).
        wide = metalog_run("1e7", "1e9", 'v = "arr * 2"\nw = "min(arr, 5e6)"\n')
        column = wide.summary["no_finite_mean"]
        self.assertIn("through `arr`", column.xs("v").iloc[0])
        self.assertEqual(column.xs("w").iloc[0], "")
        self.assertNotIn("no_finite_sd", wide.summary.columns)
        # A mean but no sd (a narrower range): its own column, and no no_finite_mean one.
        narrow = metalog_run("5e6", "3e7", 'v = "arr * 2"\n')
        self.assertIn("through `arr`", narrow.summary["no_finite_sd"].xs("v").iloc[0])
        self.assertNotIn("no_finite_mean", narrow.summary.columns)
        # Where a variable's first NaN comes from: a column where some variable has one.
        self.assertNotIn("nonfinite_origin", narrow.summary.columns)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nan = tamcarlo.run('[inputs]\ny = { dist = "normal", mean = 1, sd = 1, source = "t" }\n'
                               '[formulas]\nw = "sqrt(y)"\n', n=1_000)
        origin = nan.summary["nonfinite_origin"]
        self.assertIn("`w` = sqrt(y) is NaN with y = -", origin.xs("w").iloc[0])
        self.assertEqual(origin.xs("y").iloc[0], "")
        # An amount that cannot be negative, some of whose samples are: said in its own column.
        gap = tamcarlo.run('[inputs]\ntam = { dist = "lognormal", median = 1e9, sigma = 0.2, unit = "CNY", source = "t" }\n'
                           'old = { dist = "lognormal", median = 6e8, sigma = 0.3, unit = "CNY", source = "t" }\n'
                           '[formulas]\nmarket = "tam - old"\n', n=20_000)
        self.assertIn("goes below 0, an amount of money", gap.summary["below_zero"].xs("market").iloc[0])
        self.assertNotIn("below_zero", nan.summary.columns)


class Errors(Temp):
    def test_a_scenario_error_carries_its_location(self):
        text = '[scenario]\nname = "x"\n[inputs]\na = { dist = "normal", mean = 1, sd = -2 }\n[outputs]\nreport = ["a"]\n'
        with self.assertRaises(tamcarlo.ScenarioError) as e:
            tamcarlo.run(text, n=100)
        err = e.exception
        self.assertEqual((err.file, err.line), ("<text>", 4))
        self.assertGreater(err.column, 0)
        self.assertIn("inputs.a", err.key)
        self.assertEqual(err.exit_code, 2)
        self.assertIn("sd", str(err))
        self.assertIsInstance(err, tamcarlo.Error)
        self.assertIsInstance(err, ValueError)

    def test_usage_errors(self):
        with self.assertRaises(tamcarlo.UsageError) as e:
            tamcarlo.run(ECOMMERCE, n=100, stress="bear")
        self.assertIn("bear", str(e.exception))
        self.assertEqual(e.exception.exit_code, 1)
        with self.assertRaises(tamcarlo.UsageError):
            tamcarlo.run(ECOMMERCE, n=100, store="some")
        with self.assertRaises(tamcarlo.UsageError):
            tamcarlo.run(os.path.join(self.dir, "missing.toml"))
        with self.assertRaises(tamcarlo.UsageError):
            tamcarlo.run(ECOMMERCE, n=0)
        mine = os.path.join(self.dir, "notes.h5")
        with open(mine, "w") as f:
            f.write("mine")
        with self.assertRaises(tamcarlo.UsageError) as e:
            tamcarlo.run(ECOMMERCE, n=100, output=mine)
        self.assertIn("--force", str(e.exception))
        self.assertEqual(read(mine), "mine")
        with self.assertRaises(TypeError):
            tamcarlo.run({"scenario": {"name": "x"}, "inputs": {"a": object()}})

    def test_open_refuses_what_is_not_a_sound_result(self):
        with self.assertRaises(tamcarlo.UsageError):
            tamcarlo.open(ECOMMERCE)
        r = tamcarlo.run(ECOMMERCE, n=1_000, output=os.path.join(self.dir, "r.h5"))
        with open(r.path, "r+b") as f:  # one byte of the data changed after sealing
            f.seek(os.path.getsize(r.path) - 100)
            b = f.read(1)
            f.seek(-1, 1)
            f.write(bytes([b[0] ^ 1]))
        with self.assertRaises(tamcarlo.RunError) as e:
            tamcarlo.open(r.path)
        self.assertIn("damaged", str(e.exception))


class Interrupt(Temp):
    def test_ctrl_c_stops_a_run_cleanly(self):
        script = textwrap.dedent(f"""\
            import sys, tamcarlo
            print("started", flush=True)
            try:
                tamcarlo.run({ECOMMERCE!r}, n=2_000_000_000, store="none", output={self.dir!r} + "/big.h5")
            except KeyboardInterrupt:
                print("interrupted", flush=True)
                sys.exit(7)
            """)
        p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=os.environ)
        self.assertEqual(p.stdout.readline().strip(), "started")
        time.sleep(1.5)  # well into the sampling pass
        sent = time.monotonic()
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 7, out)
        self.assertLess(time.monotonic() - sent, 5.0)
        self.assertEqual(out.strip(), "interrupted")
        self.assertEqual(os.listdir(self.dir), [])  # no result, no temporary, no checkpoint


class Progress(Temp):
    def test_progress_is_reported_and_an_exception_in_it_stops_the_run(self):
        seen = []
        tamcarlo.run(ECOMMERCE, n=5_000_000, store="none", threads=1, output=os.path.join(self.dir, "p.h5"),
                     progress=lambda done, total, phase: seen.append((done, total, phase)))
        sampling = [(d, t) for d, t, p in seen if p == "sampling" and t]
        self.assertTrue(sampling, seen)
        self.assertTrue(all(t == 5_000_000 and 0 <= d <= t for d, t in sampling), sampling)
        self.assertEqual([d for d, _ in sampling], sorted(d for d, _ in sampling))
        self.assertEqual(seen[-1][2], "writing")

        class Enough(Exception):
            pass

        def stop(done, total, phase):
            if done > 0:
                raise Enough(phase)

        out = os.path.join(self.dir, "stopped.h5")
        start = time.monotonic()
        with self.assertRaises(Enough):
            tamcarlo.run(ECOMMERCE, n=2_000_000_000, store="none", threads=1, output=out, progress=stop)
        self.assertLess(time.monotonic() - start, 10)
        self.assertFalse(os.path.exists(out))
        self.assertEqual(sorted(os.listdir(self.dir)), ["p.csv", "p.h5"])  # nothing of the stopped run
        with self.assertRaises(TypeError):
            tamcarlo.run(ECOMMERCE, n=100, progress="yes")


class Gil(Temp):
    def test_other_python_threads_run_while_the_engine_samples(self):
        import threading
        ticks = []
        done = threading.Event()

        def work():
            tamcarlo.run(ECOMMERCE, n=20_000_000, store="none", output=os.path.join(self.dir, "g.h5"), threads=1)
            done.set()

        t = threading.Thread(target=work)
        start = time.monotonic()
        t.start()
        while not done.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.005)
        t.join()
        took = time.monotonic() - start
        self.assertGreater(took, 0.3)  # long enough to tell
        # With the GIL held by the run this thread would tick about once; released, every ~5 ms (at least a third
        # of that rate on a loaded machine).
        self.assertGreater(len(ticks), took / 0.005 / 3)


class Evidence(Temp):
    """A conditioned run ([evidence]) from Python: the posterior in `summary`, the prior beside it, the figures and
    the ESS in `evidence`, and each stored sample's weight as the samples' `evidence_weight` coordinate."""

    def test_prior_posterior_and_weights(self):
        text = textwrap.dedent("""
            [inputs]
            x = { dist = "normal", mean = 0, sd = 1 }
            z = { dist = "normal", mean = 0, sd = 1 }
            [formulas]
            y = "x + z"
            [evidence]
            y = { observed = 1.5, sd = 0.1, source = "test" }
            """)
        r = tamcarlo.run(text, n=100_000, seed=5, store="all")
        e = r.evidence
        self.assertIsNotNone(e)
        self.assertEqual(list(e["figures"].index), ["y"])
        self.assertGreater(e["ess"], 1000)
        s, prior = r.summary, r.prior
        self.assertAlmostEqual(float(s.loc[("x", np.nan), "ess"]), e["ess"], delta=1e-6 * e["ess"])
        # The conjugate posterior mean 0.746 within 4 SE, the prior's 0 within 4/sqrt(N).
        x = s.xs("x", level="variable").iloc[0]
        self.assertLess(abs(x["mean"] - 1.5 / 2.01), 4 * x["mean_se"])
        self.assertLess(abs(prior.xs("x", level="variable").iloc[0]["mean"]), 4 / np.sqrt(100_000))
        # The stored weights give the file's weighted mean (the engine sums in another order: equal to rounding).
        ds = r.samples
        w = ds["evidence_weight"].values
        self.assertAlmostEqual(float((w * ds["x"].values).sum() / w.sum()), float(x["mean"]), delta=1e-9)
        self.assertAlmostEqual(float(w.sum() ** 2 / (w * w).sum()), e["ess"], delta=1e-6 * e["ess"])
        # An unconditioned run has neither.
        plain = tamcarlo.run(ECOMMERCE, n=2_000, seed=1)
        self.assertIsNone(plain.evidence)
        self.assertTrue(plain.prior.empty)


class Xarray(Temp):
    def every_group_opens(self, path):
        import xarray as xr
        groups = []
        with h5py.File(path) as f:
            f.visititems(lambda name, obj: groups.append(name) if isinstance(obj, h5py.Group) else None)
        for g in [None] + groups:
            ds = xr.open_dataset(path, engine="h5netcdf", group=g)
            ds.load()
            self.assertFalse(any(d.startswith("phony_dim") for d in ds.dims), (g, ds.dims))
        return len(groups)

    def test_plain_timed_and_suite_results_open_with_named_dimensions(self):
        import xarray as xr
        plain = os.path.join(self.dir, "plain.h5")
        cli(AUGMENT, "-n", "5000", "--store", "all", "--stress", "all", "--sobol", "-o", plain)
        self.assertGreater(self.every_group_opens(plain), 50)
        ds = xr.open_dataset(plain, engine="h5netcdf", group="samples")
        self.assertEqual(ds["npv"].dims, ("sample",))
        self.assertEqual(ds.sizes["sample"], 5000)
        q = xr.open_dataset(plain, engine="h5netcdf", group="summary/npv")
        self.assertEqual(q["quantile"].dims, ("quantile_p",))
        self.assertAlmostEqual(float(q["quantile"].sel(quantile_p=0.5)), float(np.median(ds["npv"].values)), delta=0)

        timed = os.path.join(self.dir, "timed.h5")
        cli(PHARMA, "-n", "5000", "--store", "all", "-o", timed)
        self.every_group_opens(timed)
        ds = xr.open_dataset(timed, engine="h5netcdf", group="samples")
        self.assertEqual(ds["market"].dims, ("sample", "year"))
        self.assertEqual(list(ds["year"].values), list(range(2022, 2033)))
        s = xr.open_dataset(timed, engine="h5netcdf", group="summary/market")
        self.assertEqual(s["quantile"].dims, ("year", "quantile_p"))
        with h5py.File(timed) as f:
            np.testing.assert_array_equal(s["mean"].values, f["summary/market/mean"][()])

        suite = os.path.join(self.dir, "suite.h5")
        cli(MATRIX, "-n", "5000", "-o", suite)
        self.every_group_opens(suite)
        m = xr.open_dataset(suite, engine="h5netcdf", group="matrix")
        self.assertEqual(m["market"].dims, ("sample", "cell"))
        self.assertEqual(m["p_greater"].dims, ("cell", "versus_cell"))
        self.assertEqual(m["market_quantile"].dims, ("cell", "quantile_p"))
        with h5py.File(suite) as f:
            self.assertEqual(list(m["cell"].values), list(f["matrix/cell"].asstr()[()]))

    def test_a_format_3_file_gets_the_same_dataset(self):
        r = tamcarlo.run(PHARMA, n=2_000, seed=4, store="all")
        lazy = r.samples.load()
        r.format_version = 3  # read as a file without dimension scales is read: by h5py, dimensions named here
        built = r.samples
        self.assertEqual(sorted(built.data_vars), sorted(lazy.data_vars))
        self.assertEqual(built["market"].dims, ("sample", "year"))
        np.testing.assert_array_equal(built["year"].values, lazy["year"].values)
        for k in lazy.data_vars:
            np.testing.assert_array_equal(built[k].values, lazy[k].values)

    def test_the_results_readme_snippets_run(self):
        readme = read(os.path.join(SRC, "results/README.md"))
        snippets = re.findall(r"```python\n(.*?)```", readme, re.S)
        self.assertGreaterEqual(len(snippets), 3)
        os.makedirs(os.path.join(self.dir, "results"))
        cli(MATRIX, "-n", "20000", "--store", "all", "-o", os.path.join(self.dir, "results/aigc-matrix.h5"))
        cli(AUGMENT, "-n", "20000", "-o", os.path.join(self.dir, "results/augment-b.h5"))
        for code in snippets:
            done = subprocess.run([sys.executable, "-c", code], cwd=self.dir, capture_output=True, text=True,
                                  env=os.environ)
            self.assertEqual(done.returncode, 0, f"{code}\n{done.stderr}")


class Suites(Temp):
    def test_a_suite_result(self):
        r = tamcarlo.run(MATRIX, n=5_000, seed=2)
        self.assertEqual(r.kind, "suite")
        m = r.summary
        self.assertEqual(len(m), len(r.cells))
        self.assertEqual(list(m["rank"]), list(range(1, len(r.cells) + 1)))
        self.assertTrue((m["market_p5"] <= m["market_p95"]).all())
        ds = r.samples
        self.assertEqual(ds["market"].dims, ("sample", "cell"))
        self.assertEqual(list(ds["cell"].values), r.cells)
        c = r.cell("cs_finance")
        self.assertIn("market", c.summary.index.get_level_values("variable"))
        pharma = r.run("ai_pharma")
        self.assertEqual(pharma.samples["market"].dims, ("sample", "year"))


class Files(Temp):
    def test_report_and_export_from_python(self):
        r = tamcarlo.run(ECOMMERCE, n=20_000, seed=1, output=os.path.join(self.dir, "r.h5"))
        md = r.export("markdown", os.path.join(self.dir, "r.md"))
        text = read(md)
        self.assertIn("market", text)
        page = r.report(os.path.join(self.dir, "page"))
        self.assertTrue(os.path.exists(page))
        self.assertIn("<html", read(page)[:500].lower())


def metalog_quantile(sip, p):
    """The quantile function a SIPmath spreadsheet evaluates for a Metalog_1_0 SIP (Keelin 2016), written here from
    the formula, apart from the exporter's code."""
    a = sip["arguments"]["aCoefficients"]
    L, c = np.log(p / (1 - p)), p - 0.5
    terms = [1, L, c * L, c] + [c ** ((j - 1) // 2) if j % 2 else c ** (j // 2 - 1) * L for j in range(5, 17)]
    m = sum(ak * t for ak, t in zip(a, terms))
    lo, hi = sip["arguments"].get("lowerBound"), sip["arguments"].get("upperBound")
    if lo is not None and hi is not None:
        return (lo + hi * np.exp(m)) / (1 + np.exp(m))
    return lo + np.exp(m) if lo is not None else m


class Notebook(Temp):
    def test_the_example_notebook_runs(self):
        import json
        with open(os.path.join(SRC, "results/python-example.ipynb"), encoding="utf-8") as fh:
            nb = json.load(fh)
        code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        work = os.path.join(self.dir, "results")  # the notebook's own folder name: it changes to the root above
        os.makedirs(work)
        for d in ("scenarios", "build"):
            os.symlink(os.path.join(SRC, d) if d == "scenarios" else os.path.dirname(os.path.dirname(EXE)),
                       os.path.join(self.dir, d))
        done = subprocess.run([sys.executable, "-c", code], cwd=work, capture_output=True, text=True, env=os.environ)
        self.assertEqual(done.returncode, 0, done.stderr)


class SipExport(Temp):
    def test_a_sipmath_library_of_the_inputs_and_the_outputs_trials(self):
        import json
        import jsonschema
        out = os.path.join(self.dir, "a.h5")
        cli(AUGMENT, "-n", "40000", "--store", "all", "-o", out)
        lib_path = tamcarlo.open(out).export("sip", os.path.join(self.dir, "a.json"))
        with open(lib_path, encoding="utf-8") as fh:
            self.assertIn("tamcarlo export", fh.readline())
        with open(lib_path, encoding="utf-8") as fh:
            lib = json.load(fh)
        with open(os.path.join(SRC, "tests/sipmath3.schema.json"), encoding="utf-8") as fh:
            jsonschema.validate(lib, json.load(fh))
        samples = stored(out)
        sips = {s["name"]: s for s in lib["sips"]}
        p = np.arange(1, 200) / 200.0
        metalogs = [s for s in lib["sips"] if s["function"] == "Metalog_1_0"]
        self.assertGreaterEqual(len(metalogs), 10)
        for s in metalogs:  # the stated fit error holds when the quantile function is evaluated independently
            x = samples[s["name"]]
            span = np.quantile(x, 0.99) - np.quantile(x, 0.01)
            err = np.max(np.abs(metalog_quantile(s, p) - np.quantile(x, p))) / span
            self.assertLessEqual(err, s["metadata"]["fitError"] * (1 + 1e-9) + 1e-12, s["name"])
            self.assertLess(err, 0.02, s["name"])
        fail = sips["failed"]  # a bernoulli input: a lookup table of its own probabilities
        self.assertEqual(fail["function"], "Lookup_Table")
        self.assertAlmostEqual(fail["arguments"]["value"][0][0], float(np.mean(samples["failed"] == 0)), places=12)
        # The copula: the correlated pair's normal-score correlation, and each SIP of the pair refers to it.
        m = lib["globalVariables"][0]["value"]
        self.assertEqual(sorted(m["columns"]), ["code-assistant.seat_price", "revenue_multiple"])
        off = [e["value"] for e in m["matrix"] if e["row"] != e["col"]][0]
        target = 2 * np.sin(np.pi * 0.4 / 6)  # the scenario's Spearman 0.4 as a normal-score correlation
        self.assertLess(abs(off - target), 4 * (1 - target ** 2) / np.sqrt(40000))  # 4 SE of a correlation
        self.assertEqual(sips["revenue_multiple"]["ref"]["source"], "copula")
        # Outputs: trials equal to the first 10,000 samples, in the library and in the CSV beside it.
        np.testing.assert_array_equal(np.array(sips["npv"]["arguments"]["value"]), samples["npv"][:10000])
        with open(os.path.join(self.dir, "a-trials.csv"), encoding="utf-8") as fh:
            rows = list(__import__("csv").reader(fh))
        col = rows[0].index("moic")
        np.testing.assert_array_equal(np.array([float(r[col]) for r in rows[1:]]), samples["moic"][:10000])

    def test_inputs_without_samples_are_named(self):
        out = os.path.join(self.dir, "r.h5")
        cli(ECOMMERCE, "-n", "5000", "-o", out)  # --store report: the inputs are not held
        done = subprocess.run([EXE, "export", out, "--to", "sip"], capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("run with --store all", done.stdout)
        self.assertIn("salary", done.stdout)


if __name__ == "__main__":
    unittest.main()
