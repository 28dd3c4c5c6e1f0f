"""HTML made safe in one place: text is escaped, and what our helpers make is marked as markup
(`Html`), so a table or a sentence never escapes twice and never passes text through raw."""
from __future__ import annotations

import html
import re

from ..model.words import utc_minute


class Html(str):
    """Markup made by the helpers below (code, emphasis, a line break) or by render.link: a table
    cell (render.table) keeps it as it is, and escapes any other text; `html_of` joins text and
    markup, escaping the text."""


def html_of(*parts: str) -> Html:
    """Text and markup joined: the text escaped, the markup kept."""
    return Html("".join(p if isinstance(p, Html) else escaped(p) for p in parts))


def code(text: str) -> Html:
    return Html(f"<code>{escaped(text)}</code>")


def digest(text: str) -> Html:
    """A long unbroken name (an image ID, a reference by digest) that may break anywhere (extra.css),
    so that a table holding one fits a phone's width instead of scrolling."""
    return Html(f'<span class="digest">{escaped(text)}</span>')


def strong(text: str) -> Html:
    return Html(f"<strong>{escaped(text)}</strong>")


def titled(text: str, title: str) -> Html:
    """Text with a tooltip (the exact figure behind a rounded one)."""
    return Html(f'<span title="{html.escape(title)}">{escaped(text)}</span>')


def moment(stamp: str) -> Html:
    """A time stamp (ISO 8601) as a reader takes it in, to the minute in UTC and kept on one line
    (extra.css), with the exact stamp in its `datetime` attribute."""
    return Html(f'<time datetime="{html.escape(stamp)}">{escaped(utc_minute(stamp))}</time>')


BREAK, NBSP = Html("<br>"), Html("&nbsp;")


def lines(*items: str) -> Html:
    """Items one under the other in a cell: each escaped unless it is Html, a line break between."""
    return html_of(*(part for i, item in enumerate(items) for part in ((BREAK, item) if i else (item,))))


def listed(items: list[str]) -> Html:
    """Items as a sentence lists them: "a", "a and b", "a, b and c" (each escaped unless Html)."""
    joiners = [", "] * max(len(items) - 2, 0) + [" and "] * (len(items) > 1)
    return html_of(*(part for item, joiner in zip(items, [*joiners, ""], strict=True) for part in (item, joiner)))


_HTML_SPECIAL = re.compile(r"[&<>]")


def escaped(text: str) -> str:
    """Text made safe as an element's content (quotes need no escaping there), skipped for the
    many cells (numbers, sizes) that hold nothing to escape."""
    return html.escape(text, quote=False) if _HTML_SPECIAL.search(text) else text
