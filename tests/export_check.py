"""Checks `tamcarlo export` files against the result they came from (called by tests/report_test.cpp):
    export_check.py RESULT.h5 EXPORT.xlsx EXPORT.md EXPORT.tex TERMINAL.txt
The workbook's numbers must equal the result's float64 values to 16 significant digits (xlsxwriter writes
"%.16g"; Excel itself keeps 15); the markdown must hold, for every reported
output, the mean ± 95% CI exactly as the terminal printed it, and well-formed tables; the LaTeX must balance its
environments, have as many cells as columns in every row, and escape TeX's special characters. Exit 0 when all
hold, 1 with the failures listed."""
import math
import re
import sys

import h5py
import openpyxl

result, xlsx, md, tex, terminal = sys.argv[1:6]
failures = []


def same(a, b):
    return a is not None and math.isclose(float(a), float(b), rel_tol=1e-15, abs_tol=0.0)


def check(ok, what):
    if not ok:
        failures.append(what)


f = h5py.File(result, "r")
wb = openpyxl.load_workbook(xlsx, read_only=True)
for sheet in ("outputs", "risk", "decision", "evppi", "drivers", "stresses", "inputs", "methods", "samples"):
    check(sheet in wb.sheetnames, f"workbook: no sheet {sheet} (has {wb.sheetnames})")
rows = list(wb["outputs"].iter_rows(min_row=3, values_only=True))
header = list(next(wb["outputs"].iter_rows(min_row=2, max_row=2, values_only=True)))
for r in rows:
    name = r[0]
    s = f["summary"][name]
    check(same(r[header.index("mean")], s.attrs["mean"]), f"workbook: mean of {name} {r[3]} != {s.attrs['mean']}")
    check(same(r[header.index("P50")], s["quantile"][()][4]), f"workbook: P50 of {name}")
check(len(rows) == sum(int(f["summary"][v].attrs["reported"]) for v in f["summary"]
                       if f["summary"][v].attrs.get("kind", b"") in (b"formula", "formula")),
      "workbook: one row per reported output")
d = f["decision"]
evppi = {r[0].split(" (")[0]: r[1] for r in wb["evppi"].iter_rows(min_row=3, values_only=True) if r[0] and r[1] is not None}
for q, v in zip([x.decode() for x in d["question"][()]], d["evppi"][()]):
    check(same(evppi.get(q), v), f"workbook: EVPPI of {q} {evppi.get(q)} != {v}")
samples = wb["samples"]
first = next(samples.iter_rows(min_row=1, max_row=2, values_only=True))
check(first[0] in f["samples"], f"workbook: samples sheet column {first[0]} is not a stored series")

# Markdown: every reported output's "mean ± CI" as the terminal printed it; tables with a constant column count.
text = open(md, encoding="utf-8").read()
term = open(terminal, encoding="utf-8").read().splitlines()
start = next(i for i, line in enumerate(term) if line.lstrip().startswith("variable"))
for line in term[start + 1:]:
    if not line.strip():
        break
    cells = line.split()
    name, mean, half = cells[0], None, None
    # variable, unit (may be absent), point, mean, ±95% CI, ...: the mean and its half-width follow the point.
    nums = [c for c in cells[1:] if re.fullmatch(r"-?[0-9.,]+[kMBT]?%?", c)]
    mean, half = nums[1], nums[2]
    check(f"| {name} |" in text and f"{mean} ± {half}" in text, f"markdown: {name} lacks the terminal's {mean} ± {half}")
for block in re.split(r"\n\n+", text):
    lines = [x for x in block.splitlines() if x.startswith("|")]
    if lines:
        counts = {x.count(" | ") for x in lines if not x.startswith("|--")}
        check(len(counts) == 1, f"markdown: a table with rows of different widths: {lines[0]}")

# LaTeX: environments balance; each row of a tabular has as many cells as its column spec; no raw special character.
t = open(tex, encoding="utf-8").read()
check(t.count("\\begin{table}") == t.count("\\end{table}") > 0, "latex: table environments do not balance")
check(t.count("\\begin{tabular}") == t.count("\\end{tabular}"), "latex: tabular environments do not balance")
for spec, body in re.findall(r"\\begin\{tabular\}\{([lr]+)\}(.*?)\\end\{tabular\}", t, re.S):
    for row in body.split("\\\\"):
        row = row.replace("\\toprule", "").replace("\\midrule", "").replace("\\bottomrule", "").strip()
        if row:
            check(len(re.findall(r"(?<!\\)&", row)) == len(spec) - 1, f"latex: a row with the wrong cell count: {row[:80]}")
for line in t.splitlines():
    if line.startswith("%"):
        continue
    for ch in "%#_":
        check(not re.search(r"(?<!\\)" + re.escape(ch), line), f"latex: unescaped {ch} in: {line[:80]}")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("export checks passed")
