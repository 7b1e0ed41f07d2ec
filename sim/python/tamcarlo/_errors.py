"""tamcarlo's exceptions: one small hierarchy under tamcarlo.Error, each with the command line's exit code."""


class Error(Exception):
    """Any tamcarlo error; `exit_code` is what `tamcarlo run` would exit with (README, "Exit codes")."""

    exit_code = 3

    def __init__(self, message, exit_code=None):
        super().__init__(message)
        self.message = message
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(Error, ValueError):
    """A bad argument (an unknown stress set, a store that does not exist, an output that may not be replaced)."""

    exit_code = 1


class ScenarioError(Error, ValueError):
    """An invalid scenario: `file`, `line`, `column` (1-based, 0 when unknown), `key` (the dotted TOML key) and
    `explanation` (the message without its location) say where and what."""

    exit_code = 2

    def __init__(self, message, exit_code=None, file="", line=0, column=0, key="", explanation=""):
        super().__init__(message, exit_code)
        self.file, self.line, self.column, self.key = file, line, column, key
        self.explanation = explanation or message


class RunError(Error, RuntimeError):
    """The run could not be done (a file that cannot be written, a full disk, a damaged result)."""

    exit_code = 3


class CheckFailed(Error):
    """A strict run's check was violated, or --precision missed its target; the result was still written."""

    exit_code = 4


class ScenarioWarning(UserWarning):
    """A lint warning about a scenario, or a check some samples violate (a run goes on)."""


def from_failure(args):
    """The tamcarlo.Error for the engine's Failure(kind, message, exit_code, file, line, column, key, explanation)."""
    kind, message, code, file, line, column, key, explanation = args
    if kind == "scenario":
        return ScenarioError(message, code, file, line, column, key, explanation)
    cls = {"usage": UsageError, "check": CheckFailed}.get(kind, RunError)
    return cls(message, code)
