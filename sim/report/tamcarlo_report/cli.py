"""`tamcarlo report RESULT.h5 [-o DIR] [--locale en|zh] [--dpi N] [--svg]`: checks the result and the output
directory, builds the report under a temporary name and puts it in place; a report never replaces what it did not
write. Exit codes as tamcarlo's: 0 ok, 1 usage (missing or foreign file), 3 failure (cannot write), 130 interrupted."""
import argparse
import errno
import os
import shutil
import signal
import sys

import h5py

from .charts import use_cjk_font
from .page import MissingLibrary, build, chart_script
from .reading import HDF5_SIGNATURE, SEAL_BYTES, SEAL_MAGIC, seal_state
from .words import Words, say

DESCRIPTION = "tamcarlo report: charts and one self-contained HTML page from a tamcarlo result file."
MANIFEST = ".tamcarlo-report"  # in every report directory: the files this script wrote there, one a line


class Refused(Exception):
    """A request the script will not carry out (exit 1), e.g. replacing a directory it did not write."""


def files_under(top):
    """Every file and directory under `top`, as paths relative to it (directories end in '/')."""
    found = set()
    for root, dirs, files in os.walk(top):
        rel = os.path.relpath(root, top)
        for d in dirs:
            found.add(os.path.normpath(os.path.join(rel, d)) + "/")
        for f in files:
            found.add(os.path.normpath(os.path.join(rel, f)))
    return found


def check_replaceable(outdir):
    """Raises Refused unless `outdir` is absent, an empty directory, or a report this script wrote
    that holds nothing else: a report never deletes what it did not write."""
    if not os.path.lexists(outdir):
        return
    if os.path.islink(outdir) or not os.path.isdir(outdir):
        raise Refused(f"{outdir} exists and is not a directory; give -o a new directory or a previous report")
    present = files_under(outdir)
    if not present:
        return
    try:
        with open(os.path.join(outdir, MANIFEST), encoding="utf-8") as fh:
            written = set(fh.read().split("\n")) | {MANIFEST}
    except OSError:
        raise Refused(f"{outdir} exists and is not a tamcarlo report (it has no {MANIFEST}); give -o a new "
                      "directory, or remove it first") from None
    foreign = sorted(present - written)
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise Refused(f"{outdir} holds files tamcarlo report did not write ({shown}); they would be lost, so the "
                      "report was not written; give -o another directory, or move them")


def replace_dir(tmp, outdir):
    """Moves the finished report `tmp` to `outdir`, replacing a previous report there (checked first)."""
    check_replaceable(outdir)
    if not os.path.lexists(outdir):
        os.rename(tmp, outdir)
        return
    old = f"{outdir.rstrip('/')}.old-{os.getpid()}"
    os.rename(outdir, old)
    try:
        os.rename(tmp, outdir)
    except OSError:
        os.rename(old, outdir)
        raise
    shutil.rmtree(old, ignore_errors=True)


REPORT_FILES = (".png", ".svg", ".html")  # what a report directory holds besides its manifest
WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG, errno.EIO}


def process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_abandoned(outdir):
    """Removes `<outdir>.tmp-<pid>` and `<outdir>.old-<pid>` directories left by a report that was killed (SIGKILL,
    a power cut): only when that process is gone and they hold nothing but report files. Returns how many."""
    parent = os.path.dirname(outdir.rstrip("/")) or "."
    stem = os.path.basename(outdir.rstrip("/"))
    removed = 0
    try:
        entries = os.listdir(parent)
    except OSError:
        return 0
    for name in entries:
        for mark in (".tmp-", ".old-"):
            pid = name[len(stem) + len(mark):] if name.startswith(stem + mark) else ""
            path = os.path.join(parent, name)
            if not pid.isdigit() or int(pid) == os.getpid() or process_alive(int(pid)) or not os.path.isdir(path) \
                    or os.path.islink(path):
                continue
            files = files_under(path)
            if all(f.endswith("/") or f.endswith(REPORT_FILES) or f == MANIFEST for f in files):
                shutil.rmtree(path, ignore_errors=True)
                removed += 1
    return removed


def on_terminate(signum, _frame):
    raise KeyboardInterrupt


def not_a_result(path):
    """Why `path` cannot be a result (tamcarlo writes HDF5 with its seal, or before seals the HDF5 signature, at
    offset 0), or None."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(HDF5_SIGNATURE) or head.startswith(SEAL_MAGIC):
        return None
    if head[SEAL_BYTES:].startswith(HDF5_SIGNATURE):
        return None  # a sealed file whose seal was changed: seal_state names it damaged
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    if path.endswith(".toml") or "[scenario]" in text or "[suite]" in text:
        return ("this is a scenario file, not a result: run it first (tamcarlo run " + path +
                "), then report the result file it writes (results/<name>.h5 by default)")
    return "not a tamcarlo result: results are HDF5 files written by tamcarlo run (this file is not HDF5)"


def damaged(path):
    """Why the result at `path` is damaged, or None: its seal does not match, or a file of a sealed format
    (format_version 3 and later) has none."""
    state, why = seal_state(path)
    if state != "unsealed":
        return why
    try:
        with h5py.File(path, "r") as f:
            sealed_format = int(f.attrs.get("format_version", 0)) >= 3
    except (OSError, ValueError, TypeError):
        return None  # read errors of an unsealed file are reported where it is read
    return "its SHA-256 seal (its first 512 bytes) is missing" if sealed_format else None


STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)  # and SIGINT, which Python raises as KeyboardInterrupt


def main():
    """The command line; INT, TERM, HUP and QUIT stop it at any point with exit 130 and nothing left behind.
    `tamcarlo report` starts Python with these signals blocked, so one sent while Python starts stays pending and
    arrives here, once the handlers are in place."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, on_terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    made = []  # the temporary directory, once made
    try:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS + (signal.SIGINT,))
        code = report(made)
    except KeyboardInterrupt:
        for tmp in made:
            shutil.rmtree(tmp, ignore_errors=True)
        sys.stderr.write("tamcarlo report: interrupted; no report was written\n")
        code = 130
    # Decided: Python's shutdown restores the default handlers, and a signal then would end the process with
    # 128 + its number after a complete report; blocked, it is never delivered.
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS + (signal.SIGINT,))
    return code


def report(made):
    ap = argparse.ArgumentParser(prog="tamcarlo report", description=DESCRIPTION)
    ap.add_argument("result")
    ap.add_argument("-o", "--output", help="directory to write (default: RESULT without .h5, plus -report); an "
                    "existing directory is replaced only if it is empty or a report holding nothing else")
    ap.add_argument("--locale", choices=["en", "zh"], default="en",
                    help="numbers and labels: en (13.2B) or zh (132亿, Chinese labels); default en")
    ap.add_argument("--png", action="store_true", help="also write every chart as a PNG file, for a memo (the page "
                    "draws its charts in the browser and has a PNG button on each)")
    ap.add_argument("--dpi", type=int, default=200, help="PNG resolution (default 200: fit to paste into a memo)")
    ap.add_argument("--svg", action="store_true", help="also write every chart as an SVG file")
    a = ap.parse_args()
    if not 50 <= a.dpi <= 1200:
        sys.stderr.write(f"tamcarlo report: error: --dpi {a.dpi}: allowed 50 to 1200\n")
        return 1
    if not os.path.isfile(a.result):
        sys.stderr.write(f"tamcarlo report: error: {a.result}: no such file\n")
        return 1
    refusal = not_a_result(a.result)
    if refusal:
        sys.stderr.write(f"tamcarlo report: error: {a.result}: {refusal}\n")
        return 1
    damage = damaged(a.result)
    if damage:
        sys.stderr.write(f"tamcarlo report: error: {a.result} is damaged: {damage}; nothing was reported. Run the "
                         "scenario again (or copy the file again from where it was written)\n")
        return 3
    outdir = a.output or (os.path.splitext(a.result)[0] + "-report")
    try:
        check_replaceable(outdir)  # before the work, so a refusal costs nothing; checked again at the end
    except Refused as e:
        sys.stderr.write(f"tamcarlo report: error: {e}\n")
        return 1
    try:
        chart_script()  # before the work: a missing charting library is said at once
    except MissingLibrary as e:
        sys.stderr.write(f"tamcarlo report: error: {e}\n")
        return 3
    use_cjk_font()
    remove_abandoned(outdir)
    tmp = f"{outdir.rstrip('/')}.tmp-{os.getpid()}"
    made.append(tmp)
    try:
        os.makedirs(tmp)
    except OSError as e:
        sys.stderr.write(f"tamcarlo report: error: cannot create {outdir}: {e.strerror}\n")
        return 3
    try:
        say(f"reading {a.result}")
        n = build(a.result, tmp, Words(a.locale), a.dpi, ("png",) * a.png + ("svg",) * a.svg)
        with open(os.path.join(tmp, MANIFEST), "w", encoding="utf-8") as fh:
            fh.write("\n".join(sorted(files_under(tmp))))
        replace_dir(tmp, outdir)
    except Refused as e:
        shutil.rmtree(tmp, ignore_errors=True)
        sys.stderr.write(f"tamcarlo report: error: {e}\n")
        return 1
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if e.errno not in WRITE_ERRNOS:
            sys.stderr.write(f"tamcarlo report: error: {a.result}: {e}\n")
            return 1 if "unable to open" in str(e).lower() or "signature" in str(e).lower() else 3
        full = " (the disk is full)" if e.errno in (errno.ENOSPC, errno.EDQUOT) else ""
        sys.stderr.write(f"tamcarlo report: error: cannot write the report to {outdir}: {e.strerror}{full}; nothing "
                         "was written there\n")
        return 3
    except (KeyError, ValueError) as e:
        shutil.rmtree(tmp, ignore_errors=True)
        code = 1 if isinstance(e, ValueError) or "unable to open" in str(e).lower() or "signature" in str(e).lower() else 3
        sys.stderr.write(f"tamcarlo report: error: {a.result}: {e}\n")
        return code
    except KeyboardInterrupt:
        shutil.rmtree(tmp, ignore_errors=True)
        sys.stderr.write("tamcarlo report: interrupted; no report was written\n")
        return 130
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    try:
        print(f"{outdir}/index.html: {n} charts, page self-contained ({a.result})", flush=True)
    except BrokenPipeError:  # the reader of stdout exited (`| head`): the report is written all the same
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    return 0
