"""tamcarlo's report: charts and one self-contained HTML page from a tamcarlo result file.

Run as `python3 -m tamcarlo_report RESULT.h5 [-o DIR] [--locale en|zh] [--dpi N] [--svg]` (what `tamcarlo report`
does, with Debian's /usr/bin/python3, python3-h5py and python3-matplotlib). It reads only the result file and writes
DIR (default: the result's name + "-report") under a temporary name, renamed when complete:
  index.html      the page: summary tables, inputs with their sources, run identity, charts embedded
  *.png           every chart (and *.svg with --svg)
  data.json       the numbers each chart draws (bands, bars, markers), for checking and reuse

Modules by role: reading (the result file), words (en/zh labels, the number rule), number_format (the rule itself,
shared with the C++ side through tests/number_format_cases.tsv), charts, page, cli.
"""
