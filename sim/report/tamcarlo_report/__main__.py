"""`python3 -m tamcarlo_report ...`: the report's command line (tamcarlo_report.cli)."""
import importlib.util
import sys

missing = [m for m in ("h5py", "matplotlib", "numpy") if importlib.util.find_spec(m) is None]
if missing:  # pragma: no cover - environment problem
    sys.stderr.write(f"tamcarlo report: error: no module named {', '.join(missing)}; install python3-h5py and "
                     "python3-matplotlib (bash .ci/setup) and use /usr/bin/python3\n")
    sys.exit(3)

from .cli import main  # noqa: E402

sys.exit(main())
