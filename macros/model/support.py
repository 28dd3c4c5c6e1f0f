"""Support windows in words, relative to the build date: which bases still get fixes. Pure."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from .records import BaseImage, Support


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


def _edges(base: BaseImage, today: dt.date) -> tuple[Support | None, Support | None]:
    """The last declared window that has ended, and the first one still running."""
    over = [w for w in base.support if ended(w, today)]
    running = [w for w in base.support if not ended(w, today)]
    return (max(over, key=lambda w: w.ends) if over else None,
            min(running, key=lambda w: w.ends) if running else None)


def verdict(base: BaseImage, today: dt.date) -> str:
    """One line per base: every declared window ended ("out of support"), none ended
    ("supported"), or some of each (both said); or that nothing is declared."""
    if not base.support:
        return "no support end date declared"
    last_over, first_running = _edges(base, today)
    said = [f"{w.what} {status(w, today)}" for w in (last_over, first_running) if w is not None]
    state = "partly" if len(said) == 2 else "out of support" if last_over else "supported"
    return f"{state}: {'; '.join(said)}"


def short(base: BaseImage, today: dt.date) -> str:
    """The same, for a table cell: "ended 2026-08-31 (…)", "until 2028-08-09 (…)", or both."""
    if not base.support:
        return "none declared"
    last_over, first_running = _edges(base, today)
    words = [f"ended {last_over.ends} ({last_over.what})"] if last_over else []
    words += [f"until {first_running.ends} ({first_running.what})"] if first_running else []
    return "; ".join(words)


def out_of_support(bases: Sequence[BaseImage], today: dt.date) -> list[BaseImage]:
    return [b for b in bases if any(ended(w, today) for w in b.support)]
