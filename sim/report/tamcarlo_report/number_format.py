"""The one rule for showing numbers to people: the Python twin of sim/io/number_format.cpp.

Both implementations are tested against the same table of cases, tests/number_format_cases.tsv; change them
together. Styles: "auto" (3 significant digits, scaled), "year" (2028, 2028.6), "percent" (0.37 -> 37.0%).
Locales: "en" (k/M/B/T) and "zh" (万/亿/万亿).
"""
import math

_SCALES = {"en": [(1e12, 12, "T"), (1e9, 9, "B"), (1e6, 6, "M"), (1e3, 3, "k")],
           "zh": [(1e12, 12, "万亿"), (1e8, 8, "亿"), (1e4, 4, "万")]}


def _scale_of(a, locale):
    for factor, power, word in _SCALES[locale]:
        if a >= factor:
            return factor, power, word
    return 1.0, 0, ""


def _round_significant(x, digits):
    """x rounded to `digits` significant digits and that value's decimal exponent, from the e-notation text."""
    e = f"{x:.{digits - 1}e}"
    return float(e), int(e[e.index("e") + 1:])


def _e_notation(rounded):
    a = abs(rounded)
    return a >= 1e15 or a < 1e-3


def _scaled(x, decimals, scale):
    factor, _power, word = scale
    return f"{x / factor:.{max(decimals, 0)}f}{word}"


def _automatic(x, locale):
    a = abs(x)
    if 1e3 <= a < 1e4 and x == math.floor(x):
        return f"{x:.0f}"
    value, exponent = _round_significant(x, 3)
    if _e_notation(value):
        return f"{x:.2e}"
    scale = _scale_of(abs(value), locale)
    return _scaled(value, 2 - (exponent - scale[1]), scale)


def format_number(x, style="auto", locale="en"):
    """x for people: NaN '—', ±inf 'inf'/'-inf', whole 1,000–9,999 exactly, else 3 significant digits, scaled."""
    if x is None:
        return "—"
    x = float(x)
    if math.isnan(x):
        return "—"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0%" if style == "percent" else "0"
    if style == "year":
        return f"{x:.0f}" if x == math.floor(x) else f"{x:.1f}"
    if style == "percent":
        return _automatic(100 * x, locale) + "%"
    return _automatic(x, locale)


def format_mean_ci(mean, half, style="auto", locale="en"):
    """(mean, 95% half-width) in one scale: the half-width to 2 significant digits, the mean to its decimal place."""
    mean, half = float(mean), float(half)
    if not math.isfinite(mean) or not math.isfinite(half) or half <= 0 or mean == 0:
        return format_number(mean, style, locale), format_number(half, style, locale)
    if style == "percent":
        m, h = format_mean_ci(100 * mean, 100 * half, "auto", locale)
        return m + "%", h + "%"
    rm, em = _round_significant(mean, 3)
    rh, eh = _round_significant(half, 2)
    if style == "auto" and _e_notation(rm):
        return format_number(mean, style, locale), format_number(half, style, locale)
    scale = (1.0, 0, "") if style == "year" else _scale_of(abs(rm), locale)
    mean_digits = 0 if style == "year" else 2 - (em - scale[1])
    half_digits = 1 - (eh - scale[1])
    if half_digits > max(mean_digits, 0) + 4:
        return format_number(mean, style, locale), format_number(half, "auto", locale)
    return _scaled(mean, max(mean_digits, half_digits), scale), _scaled(rh, half_digits, scale)


def _decimals(step):
    """The fewest decimals (0–6) that write multiples of `step` exactly (0.25 → 2, 5 → 0)."""
    for d in range(7):
        scaled = step * 10 ** d
        if abs(scaled - round(scaled)) < 1e-6 * max(1.0, abs(scaled)):
            return d
    return 6


def format_ticks(values, style="auto", locale="en"):
    """Axis tick labels: one scale (k/M/B, 万/亿) for the whole axis, chosen from its largest tick, and as many
    decimals as the spacing of the ticks needs ("0, 5, 10, 15", "0.25, 0.50", "1.5B, 2.0B"), not the three
    significant digits of a statistic. Ticks of a log axis (a constant ratio) get each the decimals it needs."""
    finite = [float(v) for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return ["" for _ in values]
    if style == "year":
        return [f"{v:.0f}" if math.isfinite(v) and v == math.floor(v) else f"{v:.1f}" for v in values]
    factor, word = (0.01, "%") if style == "percent" else (1.0, "")
    ordered = sorted(finite)
    positive = all(v > 0 for v in ordered)
    ratios = [b / a for a, b in zip(ordered, ordered[1:])] if positive and len(ordered) > 2 else []
    log_axis = bool(ratios) and max(ratios) - min(ratios) < 1e-6 * max(ratios) and ratios[0] > 1.5
    if style != "percent" and not log_axis:
        big = max(abs(v) for v in finite)
        factor, _power, word = _scale_of(big, locale) if big >= 1e4 else (1.0, 0, "")
    steps = [(b - a) / factor for a, b in zip(ordered, ordered[1:]) if b > a]
    common = None if log_axis or not steps else _decimals(min(steps))
    out = []
    for v in values:
        if v is None or not math.isfinite(v):
            out.append("")
            continue
        if log_axis and style != "percent":  # each tick its own scale: 0.1, 1, 10, 100, 1k, 10k
            f, _power, word = _scale_of(abs(v), locale) if abs(v) >= 1e4 else (1.0, 0, "")
            x = v / f
        else:
            x = v / factor
        if x == 0:
            out.append("0")
            continue
        d = common if common is not None else _decimals(abs(x))
        text = f"{x:.{d}f}"
        if text.startswith("-") and float(text) == 0:
            text = text[1:]
        out.append(text + word)
    return out
