#!/usr/bin/python3
"""Checks the report's number rule (sim/report/tamcarlo_report/number_format.py) against tests/number_format_cases.tsv.
Usage: number_format_cases.py SOURCE_DIR. Exit 0 when every row matches, 1 with the mismatches listed."""
import os
import sys

root = sys.argv[1]
sys.path.insert(0, os.path.join(root, "sim", "report"))
from tamcarlo_report.number_format import format_mean_ci, format_number  # noqa: E402

bad, rows = [], 0
with open(os.path.join(root, "tests", "number_format_cases.tsv"), encoding="utf-8") as fh:
    for line in fh:
        if not line.strip() or line.startswith("#"):
            continue
        kind, value, half, style, locale, expected = line.rstrip("\n").split("\t")
        rows += 1
        if kind == "number":
            got = format_number(float(value), style, locale)
        else:
            got = " ± ".join(format_mean_ci(float(value), float(half), style, locale))
        if got != expected:
            bad.append(f"{kind} {value} {half} {style} {locale}: expected {expected!r}, got {got!r}")
print(f"{rows} cases, {len(bad)} mismatches")
for b in bad:
    print("  " + b)
sys.exit(1 if bad or rows == 0 else 0)
