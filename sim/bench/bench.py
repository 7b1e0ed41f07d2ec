"""Times tamcarlo against a fused C++ loop and numpy on the cs-ecommerce model, in one run.

Each contender runs as a whole process, R times, interleaved (paired); medians are reported with
the ratios, at 1 thread and at all threads, and the peak memory of a run that stores every sample.
numpy is single-threaded (its RNG and reductions are); it runs once per repeat and serves as the
baseline of both rows. Then the workloads: correlated inputs and designs per sample, the fixed costs of short runs,
the main job, and an investment's decision sweep beside its sampling pass. Run: cmake --build --preset bench
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ONE_THREAD = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def timed(cmd, env=None):
    """Wall seconds and peak RSS (KiB) of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    secs = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"failed ({status}): {' '.join(cmd)}\n{proc.stderr.read().decode()}")
    return secs, usage.ru_maxrss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tamcarlo", required=True)
    ap.add_argument("--fused", required=True)
    ap.add_argument("--scenario", required=True)
    ap.add_argument("-n", type=int, default=10_000_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()
    n, seed, all_t = args.n, 1, args.threads
    numpy_script = os.path.join(HERE, "numpy_cs_ecommerce.py")

    print(f"cs-ecommerce model, N = {n:,}, {args.repeats} paired runs of each (whole processes)\n")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "bench.h5")

        def tamcarlo(threads):
            return [args.tamcarlo, "run", args.scenario, "-n", str(n), "--seed", str(seed), "--threads", str(threads),
                    "--store", "none", "--checkpoint", "0", "-o", out]

        contenders = {
            "tamcarlo, 1 thread": (tamcarlo(1), None),
            f"tamcarlo, {all_t} threads": (tamcarlo(all_t), None),
            "fused C++ loop, 1 thread": ([args.fused, str(n), str(seed), "1"], None),
            f"fused C++ loop, {all_t} threads": ([args.fused, str(n), str(seed), str(all_t)], None),
            "numpy, same statistics": (["/usr/bin/python3", numpy_script, str(n), str(seed)], ONE_THREAD),
            "numpy, minimal script": (["/usr/bin/python3", numpy_script, str(n), str(seed), "minimal"], ONE_THREAD),
        }
        times = {k: [] for k in contenders}
        for _ in range(args.repeats):
            for name, (cmd, env) in contenders.items():
                times[name].append(timed(cmd, env)[0])
        med = {k: statistics.median(v) for k, v in times.items()}
        for name in contenders:
            print(f"  {name:<30} median {med[name]:6.3f} s   {n / med[name] / 1e6:7.2f} M samples/s"
                  f"   (runs: {', '.join(f'{t:.3f}' for t in times[name])})")
        t1, ta = med["tamcarlo, 1 thread"], med[f"tamcarlo, {all_t} threads"]
        f1, fa = med["fused C++ loop, 1 thread"], med[f"fused C++ loop, {all_t} threads"]
        npf, npm = med["numpy, same statistics"], med["numpy, minimal script"]
        print("\n  speed-ups (throughput ratios of the medians):")
        print(f"  tamcarlo {all_t} threads / numpy minimal   {npm / ta:5.2f}x   (target >= 4x)")
        print(f"  tamcarlo 1 thread / numpy minimal   {npm / t1:5.2f}x   (target >= 2x)")
        print(f"  tamcarlo {all_t} threads / numpy same stats {npf / ta:5.2f}x;  1 thread {npf / t1:5.2f}x")
        print(f"  tamcarlo / fused loop, {all_t} threads      {fa / ta:5.2f}    (target >= 0.9)")
        print(f"  tamcarlo / fused loop, 1 thread       {f1 / t1:5.2f}")
        print(f"  tamcarlo thread scaling 1 -> {all_t}         {t1 / ta:5.2f}x")

        secs, rss = timed([args.tamcarlo, "run", args.scenario, "-n", str(n), "--seed", str(seed), "--store", "all",
                           "-o", out])
        stored = 7 * n * 8 / 1024
        print(f"\n  --store all: {secs:.2f} s, peak RSS {rss / 1024:.0f} MiB while {stored / 1024:.0f} MiB of samples"
              f" stream to disk (memory does not grow with N)")
        # The promise's own case: its pilot (N/128 rows, at most 16 Mi values) is at its largest near 1e9.
        secs, rss = timed([args.tamcarlo, "run", args.scenario, "-n", "1e9", "--seed", str(seed), "--store", "none",
                           "--threads", str(all_t), "--checkpoint", "0", "-o", out])
        print(f"  -n 1e9 --store none, {all_t} threads: {secs:.1f} s, peak RSS {rss / 1024:.0f} MiB (target < 300 MiB)")
    workloads(args)
    print("\nper-distribution cost:")
    subprocess.run([args.fused, "--per-distribution"], check=True)


def variant(text, kind):
    """The reference model with correlated inputs, or under a sampling design (the same model otherwise)."""
    if kind == "correlated":
        return text + ('\n[correlations]\npairs = [["salary", "automation_share", 0.3], '
                       '["jd_staff", "online_retail", 0.2]]\n')
    return text.replace("[scenario]\n", f'[scenario]\ndesign = "{kind}"\n', 1)


def timings(cmd):
    """The --json timings of one run (wall seconds per phase)."""
    return timed_run(cmd)[1]


def timed_run(cmd):
    """Wall seconds of one whole process run with --json, and its timings (seconds per phase)."""
    start = time.perf_counter()
    out = subprocess.run(cmd + ["--json"], check=True, capture_output=True, text=True).stdout
    return time.perf_counter() - start, json.loads(out.splitlines()[0])["timings"]


def workloads(args):
    """Per-sample cost of correlated inputs and designs against independent mc, and fixed costs of small runs."""
    n, seed, all_t = args.n, 1, args.threads
    with open(args.scenario) as f:
        text = f.read()
    with tempfile.TemporaryDirectory() as tmp:
        files = {"mc": args.scenario}
        for kind in ("correlated", "lhs", "sobol"):
            files[kind] = os.path.join(tmp, f"{kind}.toml")
            with open(files[kind], "w") as f:
                f.write(variant(text, kind))
        out = os.path.join(tmp, "w.h5")

        def run(kind, threads, samples):
            return [args.tamcarlo, "run", files[kind], "-n", str(samples), "--seed", str(seed), "--threads",
                    str(threads), "--store", "none", "--checkpoint", "0", "-o", out, "--force"]

        print(f"\nworkloads: the reference model as shipped (independent mc), with two correlated pairs, and under "
              f"LHS and Sobol' designs; N = {n:,}, {args.repeats} paired runs (whole processes, which include a "
              f"design's or copula's fixed costs, such as a beta input's quantile table, about 20 ms; and per sample)")
        for threads in sorted({1, all_t}):
            walls, passes = {k: [] for k in files}, {k: [] for k in files}
            for _ in range(args.repeats):
                for kind in files:
                    wall, phases = timed_run(run(kind, threads, n))
                    walls[kind].append(wall)
                    passes[kind].append(phases["sample"])
            med = {k: statistics.median(v) for k, v in walls.items()}
            per_sample = {k: statistics.median(v) for k, v in passes.items()}
            if threads == 1:  # numpy is single-threaded: its correlated model beside tamcarlo's on one thread
                numpy_script = os.path.join(HERE, "numpy_cs_ecommerce.py")
                numpy = statistics.median(
                    timed(["/usr/bin/python3", numpy_script, str(n), str(seed), "correlated"], ONE_THREAD)[0]
                    for _ in range(args.repeats))
                print(f"  numpy, correlated model (scipy's norm.cdf and the laws' ppf), 1 thread: {numpy:.3f} s; "
                      f"tamcarlo's correlated run is {numpy / med['correlated']:.1f}x faster")
            print(f"  {threads} thread{'s' if threads > 1 else ''}: " + "   ".join(
                f"{k} {med[k]:.3f} s ({med[k] / med['mc']:.2f}x mc)" for k in files) + "   (target <= 1.5x)")
            print("    per sample (the sampling pass, --timings): " + "   ".join(
                f"{k} {per_sample[k]:.3f} s ({per_sample[k] / per_sample['mc']:.2f}x)" for k in files))

        print("\n  the sampling pass against the limit: the same samplers drawing the same four inputs and only summing "
              "them (bench_fused --draw-only; both the programs' own seconds)")
        for threads in sorted({1, all_t}):
            passes, draws = [], []
            for _ in range(args.repeats):
                passes.append(timings(run("mc", threads, n))["sample"])
                out_text = subprocess.run([args.fused, "--draw-only", str(n), str(seed), str(threads)], check=True,
                                          capture_output=True, text=True).stdout
                draws.append(float(out_text.split()[1]))
            p, d = statistics.median(passes), statistics.median(draws)
            print(f"  {threads} thread{'s' if threads > 1 else ''}: sampling pass {p:.3f} s, draw-only {d:.3f} s -> "
                  f"{p / d:.2f}x the draws alone")

        print("\n  fixed costs, 1 thread (medians of the --timings phases): whole run / its sampling pass; and the "
              "whole process (start-up, checks and exit too: what a user waits for)")
        for samples, target in ((100_000, 2.0), (1_000_000, 1.3)):
            measured = [timed_run(run("mc", 1, samples)) for _ in range(args.repeats)]
            runs = [r for _, r in measured]
            wall = statistics.median(w for w, _ in measured)
            total = statistics.median(r["total"] for r in runs)
            sample = statistics.median(r["sample"] for r in runs)
            parts = {k: statistics.median(r[k] for r in runs) for k in ("setup", "pilot", "statistics", "sensitivity", "write")}
            print(f"  N = {samples:>9,}: total {total * 1e3:.1f} ms, sampling pass {sample * 1e3:.1f} ms -> "
                  f"{total / sample:.2f}x (target <= {target}x); " +
                  ", ".join(f"{k} {v * 1e3:.1f}" for k, v in parts.items()) + f"; whole process {wall * 1e3:.1f} ms")
        suite = os.path.join(os.path.dirname(os.path.dirname(args.scenario)), "matrix.toml")
        if os.path.exists(suite):
            runs = [timings([args.tamcarlo, "run", suite, "--threads", "1", "--store", "none", "--checkpoint", "0",
                             "-o", out, "--force"]) for _ in range(args.repeats)]
            total = statistics.median(r["total"] for r in runs)
            sample = statistics.median(r["sample"] for r in runs)
            parts = {k: statistics.median(r[k] for r in runs) for k in ("pilot", "passes", "sensitivity")}
            print(f"  main job (matrix.toml): total {total:.3f} s, sampling pass {sample:.3f} s -> {total / sample:.2f}x"
                  f" (target <= 1.3x); " + ", ".join(f"{k} {v:.3f}" for k, v in parts.items()))
        augment = os.path.join(os.path.dirname(os.path.dirname(args.scenario)), "investments", "augment.toml")
        if os.path.exists(augment):  # an investment with a [decision]: the sweep beside the sampling pass
            for samples in (100_000, 1_000_000):
                runs = [timings([args.tamcarlo, "run", augment, "-n", str(samples), "--threads", "1", "--store", "none",
                                 "--checkpoint", "0", "-o", out, "--force"]) for _ in range(args.repeats)]
                total, sample, decision = (statistics.median(r[k] for r in runs) for k in ("total", "sample", "decision"))
                print(f"  augment.toml ([decision]), N = {samples:>9,}: total {total * 1e3:.1f} ms, sampling pass "
                      f"{sample * 1e3:.1f} ms -> {total / sample:.2f}x; decision sweep {decision * 1e3:.1f} ms "
                      f"({decision / sample:.2f}x the pass)")


if __name__ == "__main__":
    main()
