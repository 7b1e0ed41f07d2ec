"""tamcarlo from Python: Monte Carlo market sizing and investment simulation.

    import tamcarlo
    r = tamcarlo.run("scenarios/cells/cs_ecommerce.toml", n=100_000, seed=1)
    r.summary            # pandas DataFrame, one row per variable (and year)
    r.samples            # xarray Dataset (sample, year, case)
    r.risk, r.sensitivities, r.swings, r.sobol, r.shapley, r.stresses, r.decision
    r.report("out/")     # the report page and charts
    tamcarlo.open("results/aigc-matrix.h5")   # the same object for a result file

The engine is the command line's (C++, the module tamcarlo._core); everything here reads its HDF5 result."""
from . import _core
from ._errors import CheckFailed, Error, RunError, ScenarioError, ScenarioWarning, UsageError
from ._result import Result, open  # noqa: A004
from ._run import run

__version__ = _core.version
__all__ = ["run", "open", "Result", "Error", "UsageError", "ScenarioError", "RunError", "CheckFailed",
           "ScenarioWarning", "__version__"]
