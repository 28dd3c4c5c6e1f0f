"""Macros of the History page: the recorded builds (docs/data/history.jsonl), this build beside
the last of them, what moved, and each variant's size over time."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..model import history
from ..model.parts import CHAPTERS, PARTS, of_chapter, title_of
from ..model.sizes import human_size, parse_size, signed_change
from ..model.words import counted
from . import render
from .history_chart import Line, history_chart_svg
from .markup import moment
from .page import Page, unknown

ARTICLE = "2022 article"
NONE_RECORDED = "none recorded"  # a size moved, and no input a record holds moved with it


def _recorded(page: Page) -> list[dict[str, Any]]:
    return history.read(page.settings.history_file)


def _this_build(page: Page) -> dict[str, Any]:
    return history.record_of(page.session.document, recorded_at="")


def _builds(page: Page) -> list[tuple[str, dict[str, Any]]]:
    """(label, record) of every recorded build, then this build unless it is the last record."""
    recorded = _recorded(page)
    labelled = [(r["recorded_at"][:10], r) for r in recorded]
    now = _this_build(page)
    if not recorded or not history.same_build(recorded[-1], now):
        labelled.append(("this build", now))
    return labelled


def what_changed(page: Page) -> str:
    """This build against the last recorded one (or, once it is recorded itself, against the one
    recorded before it): each variant that moved, by how much, and which declared input moved
    with it."""
    recorded, now = _recorded(page), _this_build(page)
    lead = ""
    if recorded and history.same_build(recorded[-1], now):
        lead = f"This build is the last record ({moment(recorded.pop()['recorded_at'])}). "
        if not recorded:
            return lead + "No build was recorded before it, so there is nothing to compare it with."
    if not recorded:
        return ("No build has been recorded yet, so there is nothing to compare this one with. "
                "`make record` records it.")
    earlier = recorded[-1]
    when = f"{'the record before it' if lead else 'the last record'} ({moment(earlier['recorded_at'])})"
    found = history.changes(earlier, now)
    if not found:
        return f"{lead}No variant's size moved since {when}: every image is byte for byte the size it was."
    rows = []
    for c in found:
        link = render.link(page.detail_href(c.variant), c.variant) if c.after is not None else c.variant
        change = signed_change(c.before, c.after, percent_digits=1) if c.before and c.after else "—"
        rows.append((link, _bytes(c.before), _bytes(c.after), change,
                     ", ".join(c.moved) if c.moved else "—" if c.before is None or c.after is None
                     else NONE_RECORDED))
    unexplained = ("\n\n\"None recorded\" means that none of those inputs moved, and yet the size did: then the "
                   "cause is outside what a record holds, such as the build context (the Go source) or a "
                   "package that a build step fetched from the Debian mirror."
                   if any(row[-1] == NONE_RECORDED for row in rows) else "")
    return (f"{lead}Against {when}, {counted(len(found), 'variant')} {'differs' if len(found) == 1 else 'differ'} "
            "(a size that moved, or a variant new or gone):\n\n"
            + render.table(("Variant", "Then", "Now", "Change", "Inputs that moved"), rows,
                           numeric={1, 2, 3}) + unexplained)


def _bytes(size: int | None) -> str:
    return f"{human_size(size)} ({size:,} B)" if size is not None else "—"




def history_chart(page: Page, *parts: str, title: str = "") -> str:
    """Each variant of the given parts, its size over the recorded builds (and this one), with the
    2022 article's figure first where the variant declares one."""
    for part in parts or ("",):
        if part not in PARTS:
            raise unknown("part", part, list(PARTS))
    shown = [r for r in page.session.results if r.variant.part in parts]
    if not shown:
        raise unknown("part with variants", ", ".join(parts), sorted({r.variant.part for r in page.session.results}))
    labelled = _builds(page)
    article = any(r.variant.article_2022 for r in shown)
    columns = ([ARTICLE] if article else []) + [label for label, _ in labelled]
    lines: list[Line] = []
    for r in shown:
        points: list[int | None] = [parse_size(r.variant.article_2022) if r.variant.article_2022 else None] \
            if article else []
        points += [record["variants"].get(r.id, {}).get("size_bytes") for _, record in labelled]
        lines.append((r.id, points))
    return render.chart_block(history_chart_svg(columns, lines, title=title or " and ".join(map(title_of, parts)),
                                                cache_dir=page.settings.cached("charts")))


def history_charts(page: Page) -> str:
    """One chart per chapter of the article (model/parts.py), its parts' variants together."""
    shown = {r.variant.part for r in page.session.results}
    charts = [history_chart(page, *told, title=CHAPTERS[chapter]) for chapter in CHAPTERS
              if (told := tuple(p for p in of_chapter(chapter) if p in shown))]
    return "\n\n".join(charts)


def history_records(page: Page) -> str:
    """Every recorded build with the environment that made it, newest first, and this build."""
    rows = []
    for label, record in reversed(_builds(page)):
        engine = record["engine"]
        when = "this build (not recorded)" if label == "this build" else \
            moment(record["recorded_at"])
        total = sum(v["size_bytes"] for v in record["variants"].values())
        rows.append((when, f"{engine['version']} ({engine['storage_driver']})", engine["kernel"],
                     f"{engine['os']}/{engine['arch']}", record["registry"] or "—",
                     str(len(record["variants"])), human_size(total)))
    return render.table(("Recorded", "Engine (storage)", "Kernel", "Platform", "Registry", "Variants",
                         "All images together"), rows, numeric={5, 6})


def history_file(page: Page) -> str:
    """The history file's name, linked to the published copy once it exists."""
    name = "docs/data/history.jsonl"
    if not page.settings.history_file.is_file():
        return f"<code>{name}</code>"
    return render.link(page.from_here("data/history.jsonl"), name, code=True)


def history_count(page: Page) -> str:
    """"no recorded build", "one recorded build", "12 recorded builds"."""
    count = len(_recorded(page))
    return {0: "no recorded build", 1: "one recorded build"}.get(count, f"{count:,} recorded builds")


MACROS: dict[str, tuple[Callable[..., str], bool]] = {
    fn.__name__: (fn, block) for fn, block in (
        (what_changed, True), (history_chart, True), (history_charts, True), (history_records, True),
        (history_count, False), (history_file, False),
    )
}
