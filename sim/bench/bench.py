"""Times tamcarlo against a fused C++ loop and numpy on the cs-ecommerce model, in one run.

Each contender runs as a whole process, R times, interleaved; medians are reported with the
ratios, and the peak memory of a run that stores every sample. Run: cmake --build --preset bench
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(cmd):
    """Wall seconds and peak RSS (KiB) of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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
    n, seed = args.n, 1

    print(f"cs-ecommerce model, N = {n:,}, {args.threads} threads, {args.repeats} runs each (whole processes)\n")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "bench.h5")
        contenders = {
            "tamcarlo run --store none": [args.tamcarlo, "run", args.scenario, "-n", str(n), "--seed", str(seed),
                                          "--threads", str(args.threads), "--store", "none", "-o", out],
            "fused C++ loop": [args.fused, str(n), str(seed), str(args.threads)],
            "numpy (1 thread)": ["/usr/bin/python3", os.path.join(HERE, "numpy_cs_ecommerce.py"), str(n), str(seed)],
        }
        times = {k: [] for k in contenders}
        for _ in range(args.repeats):
            for name, cmd in contenders.items():
                times[name].append(timed(cmd)[0])
        med = {k: statistics.median(v) for k, v in times.items()}
        for name in contenders:
            print(f"  {name:<28} median {med[name]:6.3f} s   {n / med[name] / 1e6:7.2f} M samples/s"
                  f"   (runs: {', '.join(f'{t:.3f}' for t in times[name])})")
        t = med["tamcarlo run --store none"]
        print(f"\n  tamcarlo / numpy throughput: {med['numpy (1 thread)'] / t:.2f}x   (target >= 2x)")
        print(f"  tamcarlo / fused throughput: {med['fused C++ loop'] / t:.0%}   (target >= 60%)")

        secs, rss = timed([args.tamcarlo, "run", args.scenario, "-n", str(n), "--seed", str(seed), "--store", "all",
                           "-o", out])
        stored = 7 * n * 8 / 1024
        print(f"\n  --store all: {secs:.2f} s, peak RSS {rss / 1024:.0f} MiB while {stored / 1024:.0f} MiB of samples"
              f" stream to disk (memory does not grow with N)")
    print("\nper-distribution cost:")
    subprocess.run([args.fused, "--per-distribution"], check=True)


if __name__ == "__main__":
    main()
