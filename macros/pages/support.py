"""Support windows in words, relative to the build date: which bases still get fixes. Pure."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from ..model.records import BaseImage, Support


def build_date(generated_at: str) -> dt.date:
    """The date (UTC) of a build, from its ISO timestamp."""
    return dt.datetime.fromisoformat(generated_at).date()


def days(n: int) -> str:
    return f"{n:,} day" + ("" if n == 1 else "s")


def status(window: Support, today: dt.date) -> str:
    """"ended 2026-08-31, 89 days before this build" or "ends 2028-08-09, in 620 days"."""
    ends = dt.date.fromisoformat(window.ends)
    if ends < today:
        return f"ended {window.ends}, {days((today - ends).days)} before this build"
    if ends == today:
        return f"ends {window.ends}, the day of this build"
    return f"ends {window.ends}, in {days((ends - today).days)}"


def ended(window: Support, today: dt.date) -> bool:
    return dt.date.fromisoformat(window.ends) < today


def verdict(base: BaseImage, today: dt.date) -> str:
    """One line per base: every declared window ended ("out of support"), none ended
    ("supported"), or some of each (both said); or that nothing is declared."""
    if not base.support:
        return "no support end date declared"
    over = [w for w in base.support if ended(w, today)]
    running = [w for w in base.support if not ended(w, today)]
    last_over = max(over, key=lambda w: w.ends) if over else None
    first_running = min(running, key=lambda w: w.ends) if running else None
    if first_running is None and last_over is not None:
        return f"out of support: {last_over.what} {status(last_over, today)}"
    if last_over is None and first_running is not None:
        return f"supported: {first_running.what} {status(first_running, today)}"
    assert last_over is not None and first_running is not None
    return (f"partly: {last_over.what} {status(last_over, today)}; "
            f"{first_running.what} {status(first_running, today)}")


def short(base: BaseImage, today: dt.date) -> str:
    """The same, for a table cell: "ended 2026-08-31", "until 2028-08-09", or both."""
    if not base.support:
        return "none declared"
    over = [w for w in base.support if ended(w, today)]
    running = [w for w in base.support if not ended(w, today)]
    words = []
    if over:
        last = max(over, key=lambda w: w.ends)
        words.append(f"ended {last.ends} ({last.what})")
    if running:
        first = min(running, key=lambda w: w.ends)
        words.append(f"until {first.ends} ({first.what})")
    return "; ".join(words)


def out_of_support(bases: Sequence[BaseImage], today: dt.date) -> list[BaseImage]:
    return [b for b in bases if any(ended(w, today) for w in b.support)]
