"""How a measured quantity reads on a page: the formats its declarations name (model/measurement.py),
and the results table's columns and the variant page's facts made from those declarations.

A format takes the value and the row it belongs to, and gives the text, or None where there is
nothing to show: such a fact is left out of the variant's page, such a cell reads "—", and a
column whose every cell is None is left out of the table. A format that has a reason to give
("— (declared not to start)") returns it as text instead.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from ..model.measurement import View, published
from ..model.session import Shown
from ..model.sizes import human_size
from .markup import digest

NOT_STARTED = "— (declared not to start)"


def milliseconds(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:,.0f} ms" if seconds >= 0.0995 else f"{seconds * 1000:.1f} ms"


# The engine stamps a container's StartedAt and FinishedAt in different parts of the daemon; for a
# process that lives a few milliseconds the two race (single runs here ranged from -0.7 to 3.8 ms
# for the 159-byte floor), so lifetimes below this are shown as such, not as a number.
LIFETIME_RESOLUTION_S = 0.005


def lifetime(seconds: float | None) -> str:
    if seconds is not None and seconds < LIFETIME_RESOLUTION_S:
        return f"under {LIFETIME_RESOLUTION_S * 1000:.0f} ms"
    return milliseconds(seconds)


class Format(NamedTuple):
    show: Callable[[Any, Shown], str | None]
    numeric: bool = False  # right-aligned in a table


def _over_runs(shown: Callable[[float | None], str]) -> Callable[[Any, Shown], str]:
    return lambda v, r: f"{shown(v)}, over {r.measured.start_runs} runs" if r.measured.start_runs else NOT_STARTED


def _peak(v: int | None, r: Shown) -> str:
    if not r.measured.start_runs:
        return NOT_STARTED
    if v is None:
        return "— (the engine's cgroups could not be read where this was measured)"
    return f"{human_size(v)} ({v:,} bytes)"


FORMATS: dict[str, Format] = {
    "size": Format(lambda v, _r: human_size(v), numeric=True),
    "count": Format(lambda v, _r: f"{v:,}", numeric=True),
    "text": Format(lambda v, _r: v or None),
    "digest": Format(lambda v, _r: digest(v) if v else None),
    "yes-no": Format(lambda v, _r: "yes" if v else "no"),
    "name-or-none": Format(lambda v, _r: v or "none"),
    "list-or-none": Format(lambda v, _r: ", ".join(v) or "none"),
    "seconds": Format(lambda v, _r: f"{v:.1f} s", numeric=True),
    "milliseconds": Format(lambda v, _r: milliseconds(v), numeric=True),
    "milliseconds-over-runs": Format(_over_runs(milliseconds)),
    "lifetime-over-runs": Format(_over_runs(lifetime)),
    "program-bytes": Format(lambda v, _r: f"{v:,} bytes" if v else "— (none declared)"),
    "program-size": Format(lambda v, _r: human_size(v) if v else None, numeric=True),
    "share-of-image": Format(lambda v, r: f"{v / r.measured.size_bytes:.1%}" if v and r.measured.size_bytes else None),
    "go-version": Format(lambda v, _r: v or "— (none readable: not Go, or packed)"),
    "peak-memory": Format(_peak),
    "large-environment": Format(lambda v, _r: f"{v:,} extra variables of 8 bytes: did as declared" if v
                                else NOT_STARTED),
    # the engine's own figure, where it is not the size (model/records.py: counts_like_overlay2)
    "engine-figure": Format(lambda v, r: f"{v:,} bytes" if v != r.measured.size_bytes else None),
    "engine-figure-size": Format(lambda v, r: human_size(v) if v != r.measured.size_bytes else None, numeric=True),
    "verified": Format(lambda v, _r: "✔ fails, as declared" if v else "✔ as declared"),  # only verified runs show
    "measured-on": Format(lambda v, r: f"{v[:10]} ({'reused' if r.reused else 'now'})"),
}


def _value(view: View, name: str, row: Shown) -> Any:
    value = getattr(row.measured, name)
    return getattr(value, view.member) if view.member else value


def facts(row: Shown) -> list[tuple[str, str]]:
    """The variant page's facts: every measured quantity declared for it, in declared order; a row
    whose format has nothing to show is left out."""
    found = []
    for f, about in published():
        for view in about.facts:
            text = FORMATS[view.format].show(_value(view, f.name, row), row)
            if text is not None:
                found.append((view.heading, text))
    return found


class Column(NamedTuple):
    heading: str
    numeric: bool
    cells: list[str]


def columns(rows: Sequence[Shown], *, leave_out: frozenset[str] = frozenset()) -> list[Column]:
    """The results table's measured columns for these rows, in declared order; a column whose
    every cell is empty is left out, and so are the columns of the fields named in `leave_out`."""
    found = []
    for f, about in published():
        if f.name in leave_out:
            continue
        for view in about.columns:
            form = FORMATS[view.format]
            cells = [form.show(_value(view, f.name, r), r) for r in rows]
            if any(c is not None for c in cells):
                found.append(Column(view.heading, form.numeric, [c if c is not None else "—" for c in cells]))
    return found
