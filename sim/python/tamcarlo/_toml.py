"""A scenario given as a dict, written as the TOML text tamcarlo parses (the standard library reads TOML only).

Top-level dicts become tables ([scenario], [inputs]); inside a table, a dict holding no dicts is an inline table
(an input's law: {dist = "normal", mean = 1, sd = 0.1}), and one holding dicts is a sub-table ([stress.bear])."""
import json
import math
import re

BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def key(k):
    if not isinstance(k, str):
        raise TypeError(f"scenario keys are strings, not {type(k).__name__} ({k!r})")
    return k if BARE_KEY.match(k) else json.dumps(k, ensure_ascii=False)


def value(v, where):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(value(x, where) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{key(k)} = {value(x, where + '.' + str(k))}" for k, x in v.items()) + "}"
    if hasattr(v, "item"):  # a numpy scalar
        return value(v.item(), where)
    raise TypeError(f"scenario value at {where} is a {type(v).__name__} ({v!r}); give a number, string, bool, list "
                    "or dict")


def has_tables(d):
    return any(isinstance(x, dict) for x in d.values())


def table(lines, name, d):
    lines.append(f"[{name}]")
    subtables = []
    for k, v in d.items():
        if isinstance(v, dict) and has_tables(v):
            subtables.append((k, v))
        else:
            lines.append(f"{key(k)} = {value(v, name + '.' + str(k))}")
    lines.append("")
    for k, v in subtables:
        table(lines, f"{name}.{key(k)}", v)


def dumps(scenario):
    """The TOML text of `scenario`, a dict of tables ({"scenario": {...}, "inputs": {...}, ...})."""
    if not isinstance(scenario, dict):
        raise TypeError(f"a scenario is a path, TOML text or a dict, not {type(scenario).__name__}")
    lines = []
    for k, v in scenario.items():
        if not isinstance(v, dict):
            raise TypeError(f"scenario[{k!r}] is a {type(v).__name__}; each top-level key is a table (a dict), e.g. "
                            "{'scenario': {'name': ...}, 'inputs': {...}}")
        table(lines, key(k), v)
    return "\n".join(lines)
