"""Sizes in the docker CLI's human format (SI units, three significant digits)."""
from __future__ import annotations

_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")


def parse_size(text: str) -> int:
    """The inverse of human_size, for figures written that way ("3.12MB" -> 3,120,000 bytes)."""
    number = text.rstrip("".join({c for unit in _UNITS for c in unit}))
    unit = text[len(number):]
    if unit not in _UNITS or not number:
        raise ValueError(f"not a size in the docker CLI's format: {text!r}")
    return round(float(number) * 1000 ** _UNITS.index(unit))


def human_size(size: float) -> str:
    """As `docker images` prints it: go-units HumanSizeWithPrecision(size, 3), SI units.

    Go's `%.3g` and Python's agree, including the `1e+03kB` that go-units prints for 999,999.
    """
    unit = 0
    while size >= 1000.0 and unit < len(_UNITS) - 1:
        size /= 1000.0
        unit += 1
    return f"{size:.3g}{_UNITS[unit]}"


def signed_change(before: int, after: int, *, percent_digits: int = 0) -> str:
    """How a size moved, as a reader reads it, with a true minus sign: "+5.1MB (+0.6%)",
    "−99MB (−11%)", "±0B (+0%)"; a share too small for `percent_digits` gets more ("−155kB (−0.02%)")."""
    delta = after - before
    sign = "+" if delta > 0 else "−" if delta < 0 else "±"
    if not before:
        return f"{sign}{human_size(abs(delta))}"
    digits = percent_digits
    while delta and round(delta / before * 100, digits) == 0 and digits < 3:  # a change is never "0.0%"
        digits += 1
    share = f"{delta / before:+.{digits}%}" if not delta or round(delta / before * 100, digits) else "less than 0.001%"
    return f"{sign}{human_size(abs(delta))} ({share})".replace("-", "−")
