"""tamcarlo.run: a scenario or suite run by the engine exactly as `tamcarlo run` runs it."""
import os
import pathlib
import tempfile
import warnings as _warnings

from . import _core, _toml
from ._errors import ScenarioWarning, UsageError, from_failure
from ._result import Result, _Owned

STORES = ("all", "report", "none")


def _scenario(scenario):
    """(file, text): the file to read, or the text to parse and the name it goes by in messages."""
    if isinstance(scenario, dict):
        return "<dict>", _toml.dumps(scenario)
    if isinstance(scenario, pathlib.PurePath):
        return os.fspath(scenario), None
    if not isinstance(scenario, str):
        raise TypeError(f"scenario is a path, TOML text or a dict, not {type(scenario).__name__}")
    if "\n" in scenario or scenario.lstrip().startswith("["):
        return "<text>", scenario
    if not os.path.exists(scenario):
        raise UsageError(f"{scenario}: no such file (give a scenario's path, its TOML text or a dict)")
    return scenario, None


def _overrides(set_):
    if isinstance(set_, dict):  # {name: number, "a to b" range, or a law as a dict}
        return [f"{k}={v}" if isinstance(v, str) else f"{k}={_toml.value(v, 'set.' + str(k))}" for k, v in set_.items()]
    if isinstance(set_, str):
        return [set_]
    return [str(x) for x in set_]


def _stderr_progress():
    """progress=True: one line on stderr per phase, rewritten as the pass goes."""
    import sys

    def show(done, total, phase):
        if total:
            sys.stderr.write(f"\rtamcarlo: {phase or 'sampling'} {done:,}/{total:,} ({done / total:.0%})\033[K")
        else:
            sys.stderr.write(f"\rtamcarlo: {phase}\033[K")
        if phase == "writing":
            sys.stderr.write("\n")
        sys.stderr.flush()
    return show


def run(scenario, n=None, seed=None, threads=0, stress=(), set=(), store=None, output=None, force=False,  # noqa: A002
        sobol=False, strict=False, precision=None, progress=None):
    """Runs `scenario` (a path, TOML text or a dict of tables) and returns its Result.

    n, seed: samples and seed (default: the scenario's, else 1,000,000 and 20240101); threads: 0 = one per core
    (results do not depend on it); stress: names of [stress.<name>] sets, or "all"; set: overrides as in --set
    ("input=value" strings, or a dict); store: "all", "report" or "none" (default: the scenario's, else "report");
    output: the result file to write (default: a temporary file, removed when the last Result reading it goes; keep
    it with Result.save); force: replace a file tamcarlo did not write; sobol: also Sobol' indices (Shapley effects
    for correlated inputs); strict: a violated check raises CheckFailed; precision: --precision targets.

    The samples equal those of `tamcarlo run` with the same options, bit for bit. The GIL is released while the
    engine runs; Ctrl-C (KeyboardInterrupt) stops it between blocks and leaves no file behind. Lint warnings and
    violated checks are issued as ScenarioWarning. Errors raise tamcarlo.Error subclasses (ScenarioError carries
    file, line, column and key).

    progress: True prints the phase and the samples done on stderr; a callable is called as progress(done, total,
    phase) from the calling thread, about every 50 ms while something changed (total 0: a phase without a count),
    and last with the final state; an exception it raises stops the run as Ctrl-C does and propagates."""
    file, text = _scenario(scenario)
    if store is not None and store not in STORES:
        raise UsageError(f"store={store!r}: one of {', '.join(map(repr, STORES))}")
    for name, v in (("n", n), ("seed", seed)):
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < (1 if name == "n" else 0)):
            raise UsageError(f"{name}={v!r}: a {'positive' if name == 'n' else 'non-negative'} integer")
    if not isinstance(threads, int) or threads < 0:
        raise UsageError(f"threads={threads!r}: a non-negative integer (0 = one per core)")
    owned = None
    if output is None:
        owned = _Owned(tempfile.mkdtemp(prefix="tamcarlo-"))
        target = owned.path + os.sep
    else:
        target = os.fspath(output)
    options = {"samples": n, "seed": seed, "threads": threads, "store": store, "output": target,
               "force": bool(force), "sobol": bool(sobol), "strict": bool(strict),
               "stress": [stress] if isinstance(stress, str) else list(stress), "set": _overrides(set),
               "precision": precision or ""}
    if progress is True:
        progress = _stderr_progress()
    elif progress is not None and not callable(progress):
        raise TypeError(f"progress={progress!r}: True, or a function of (done, total, phase)")
    try:
        done = _core.run(file, text, options, progress)
    except _core.Failure as e:
        raise from_failure(e.args) from None
    for w in done["warnings"]:
        _warnings.warn(w, ScenarioWarning, stacklevel=2)
    return Result(done["output"], owned=owned, warnings=done["warnings"])
