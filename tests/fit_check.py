"""tamcarlo fit (tests/tests.cmake runs each class under Debian's python3 with PYTHONPATH at sim/report, TAMCARLO_EXE
the command line). Statistical checks use fixed seeds; their tolerances are stated in standard errors."""
import json
import math
import os
import shutil
import subprocess
import tempfile
import unittest

import numpy as np
from scipy import stats

from tamcarlo_report import fit

EXE = os.environ["TAMCARLO_EXE"]

# True laws, the scipy law that draws them, and their parameters in the scenario language.
CASES = [
    ("normal", stats.norm(10, 2), {"mean": 10, "sd": 2}),
    ("lognormal", stats.lognorm(0.5, scale=5), {"median": 5, "sigma": 0.5}),
    ("gamma", stats.gamma(2.5, scale=3), {"shape": 2.5, "scale": 3}),
    ("weibull", stats.weibull_min(1.7, scale=8), {"shape": 1.7, "scale": 8}),
    ("beta", stats.beta(2, 5), {"alpha": 2, "beta": 5}),
    ("exponential", stats.expon(scale=2), {"rate": 0.5}),
    ("gumbel", stats.gumbel_r(3, 1.5), {"location": 3, "scale": 1.5}),
    ("poisson", stats.poisson(4), {"mean": 4}),
]


def tamcarlo(*args):
    return subprocess.run([EXE, *args], capture_output=True, text=True)


class Families(unittest.TestCase):
    def test_the_true_law_ranks_first_and_its_parameters_are_within_3_se(self):
        for i, (name, law, truth) in enumerate(CASES):
            x = law.rvs(size=2000, random_state=100 + i).astype(float)
            ranking, _ = fit.fit_all(x, [f.name for f in fit.LAWS], 0, 1)
            by = {r["family"]: r for r in ranking}
            # First, or as good by AIC (ΔAIC < 2: the data cannot tell the two apart; gamma(2.5) and weibull(1.7)
            # are close, for instance, and an exponential is a gamma and a weibull of shape 1).
            self.assertLess(by[name]["delta_aic"], 2.0, (name, [(r["family"], r["delta_aic"]) for r in ranking[:3]]))
            r = by[name]
            for k, v in truth.items():
                self.assertLess(abs(r["params"][k] - v), 3 * r["se"][k], (name, k, r["params"][k], r["se"][k]))

    def test_fits_are_scipys_maximum_likelihood_and_the_se_is_the_information(self):
        x = stats.norm(10, 2).rvs(size=1000, random_state=7)
        r = fit.fit_all(x, ["normal", "gamma"], 0, 1)[0]
        by = {q["family"]: q for q in r}
        m, s = stats.norm.fit(x)
        self.assertAlmostEqual(by["normal"]["params"]["mean"], m, places=12)
        # The normal's observed information in closed form: SE(mean) = σ/√n, SE(σ) = σ/√(2n) (to the Hessian's 1e-4
        # relative step: 1e-4 of the SE).
        self.assertAlmostEqual(by["normal"]["se"]["mean"] / (s / math.sqrt(1000)), 1, places=4)
        self.assertAlmostEqual(by["normal"]["se"]["sd"] / (s / math.sqrt(2000)), 1, places=4)
        a, _, scale = stats.gamma.fit(x, floc=0)
        self.assertAlmostEqual(by["gamma"]["params"]["shape"], a, places=9)
        self.assertAlmostEqual(by["gamma"]["params"]["scale"], scale, places=9)
        # Log-likelihood and AIC as defined.
        ll = float(np.sum(stats.norm(m, s).logpdf(x)))
        self.assertAlmostEqual(by["normal"]["loglik"], ll, places=6)
        self.assertAlmostEqual(by["normal"]["aic"], 4 - 2 * ll, places=6)


class PValues(unittest.TestCase):
    def test_ks_and_ad_p_values_are_uniform_under_the_null(self):
        # 300 data sets of 40 normal draws, each fitted and tested with 99 bootstrap refits: under the null the
        # p-values are uniform (up to the bootstrap's granularity of 1/100), so the share at or below 0.1 is 0.1 and
        # at or below 0.5 is 0.5, within 3 binomial standard errors (±0.052 and ±0.087). Without the refit (the KS
        # table for a known law) the share at or below 0.1 would be near 0.
        rng = np.random.default_rng(11)
        ks, ad = [], []
        for _ in range(300):
            x = rng.normal(3, 2, size=40)
            r = fit.fit_all(x, ["normal"], 99, int(rng.integers(1 << 31)))[0][0]
            ks.append(r["ks"]["p"])
            ad.append(r["ad"]["p"])
        for p in (np.array(ks), np.array(ad)):
            for level in (0.1, 0.5):
                se = math.sqrt(level * (1 - level) / len(p))
                self.assertLess(abs(np.mean(p <= level) - level), 3 * se, (level, np.mean(p <= level)))

    def test_a_wrong_law_is_rejected(self):
        x = stats.lognorm(1.0, scale=1).rvs(size=500, random_state=3)
        r = {q["family"]: q for q in fit.fit_all(x, ["normal", "lognormal"], 99, 1)[0]}
        self.assertLess(r["normal"]["ks"]["p"], 0.02)
        self.assertGreater(r["lognormal"]["ks"]["p"], 0.02)


class CommandLine(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tamcarlo-fit-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_the_ranking_the_line_and_json(self):
        x = stats.gamma(2.5, scale=3).rvs(size=400, random_state=5)
        data = self.write("days.csv", "id,days to close\n" + "".join(f"{i},{v:.6f}\n" for i, v in enumerate(x)))
        done = tamcarlo("fit", data, "--column", "days to close", "--bootstrap", "49", "--plot",
                        os.path.join(self.dir, "qq.png"))
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("days_to_close = { dist = ", done.stdout)
        self.assertTrue(os.path.getsize(os.path.join(self.dir, "qq.png")) > 1000)
        js = tamcarlo("fit", data, "--column", "days to close", "--bootstrap", "0", "--json")
        res = json.loads(js.stdout)
        self.assertEqual(res["n"], 400)
        self.assertEqual(res["best"], res["families"][0]["family"])
        self.assertEqual(sorted(r["aic"] for r in res["families"]), [r["aic"] for r in res["families"]])
        self.assertIn("poisson", res["skipped"])
        # The lines it prints are scenario lines tamcarlo reads.
        metalog = res["metalog"]["quantiles"]
        scenario = self.write("s.toml", "[scenario]\nname = \"f\"\n[inputs]\n" + res["line"] + "\n" +
                              "m = { dist = \"metalog\", " + ", ".join(f"{k} = {v!r}" for k, v in metalog.items()) +
                              " }\n[formulas]\ny = \"days_to_close + m\"\n[outputs]\nreport = [\"y\"]\n")
        v = tamcarlo("validate", scenario)
        self.assertEqual(v.returncode, 0, v.stderr)

    def test_a_result_files_variable(self):
        out = os.path.join(self.dir, "r.h5")
        src = os.environ["TAMCARLO_SOURCE_DIR"]
        self.assertEqual(tamcarlo("run", os.path.join(src, "scenarios/cells/cs_ecommerce.toml"), "-n", "20000", "-o",
                                  out).returncode, 0)
        done = tamcarlo("fit", out, "--variable", "market", "--bootstrap", "0")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("fit to r.h5 variable market", done.stdout)
        missing = tamcarlo("fit", out, "--variable", "salary")
        self.assertEqual(missing.returncode, 1)
        self.assertIn("holds no samples of `salary`", missing.stderr)
        self.assertIn("--store all", missing.stderr)
        need = tamcarlo("fit", out)
        self.assertEqual(need.returncode, 1)
        self.assertIn("--variable", need.stderr)

    def test_bad_data_is_refused_by_row_and_column(self):
        cases = [
            ("a,b\n1,2\n3,x7\n", ["--column", "b"], 2, ["3:2", "`x7`", "not a finite number"]),
            ("a,b\n1,2\n", ["--column", "c"], 1, ["no column `c`", "a, b"]),
            ("a,b\n1,2\n3,4\n", [], 1, ["several hold numbers: a, b", "--column"]),
            ("a\n\n\n", [], 1, ["none holds only numbers"]),
            ("a\n5\n", [], 2, ["1 observation"]),
            ("", [], 2, ["is empty"]),
        ]
        for i, (text, args, code, words) in enumerate(cases):
            data = self.write(f"d{i}.csv", text)
            done = tamcarlo("fit", data, *args, "--bootstrap", "0")
            self.assertEqual(done.returncode, code, (text, done.stderr))
            for w in words:
                self.assertIn(w, done.stderr, text)
        few = self.write("few.csv", "x\n1.5\n2.5\n")  # 2 observations: the 2- and 3-parameter laws are skipped
        done = tamcarlo("fit", few, "--bootstrap", "0")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("student_t", done.stdout)
        self.assertIn("needs more than 2 observations", done.stdout)
        self.assertEqual(tamcarlo("fit", os.path.join(self.dir, "none.csv")).returncode, 1)
        bad = tamcarlo("fit", few, "--families", "normal,cauchy")
        self.assertEqual(bad.returncode, 1)
        self.assertIn("cauchy", bad.stderr)


if __name__ == "__main__":
    unittest.main()
