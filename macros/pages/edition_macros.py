"""Macros for editions: the same Dockerfile shapes built on the article's bases (2022) and on
today's, side by side, and the support windows of each edition's bases relative to the build date.
A variant's `edition` is the year of its bases; `redoes` names the earlier variant it rebuilds."""
from __future__ import annotations

import html
from collections.abc import Callable
from typing import NamedTuple

from ..model import support
from ..model.parts import REFERENCES
from ..model.records import BaseImage
from ..model.session import Shown
from ..model.sizes import human_size, signed_change
from ..model.words import share
from . import markup, render
from .page import Page, unknown


class Row(NamedTuple):
    shape: str                 # what the row compares, in words
    then: Shown | None         # the earlier edition's variant, if this one redoes one
    now: Shown


def editions(page: Page) -> list[str]:
    return sorted({r.variant.edition for r in page.session.results} - {""})


def newest_edition(page: Page) -> str:
    """The newest edition measured (the year of today's bases)."""
    known = editions(page)
    if not known:
        raise unknown("edition", "(any)", [])
    return known[-1]


def go_images(page: Page, edition: str) -> list[Shown]:
    """An edition's Go images: its verified variants, the floor (not Go) left out. One definition
    for every page that names "the smallest Go image" of an edition."""
    return [r for r in page.session.results if r.variant.edition == edition and r.variant.part not in REFERENCES]


def rows(page: Page, part: str, edition: str = "") -> list[Row]:
    """Each variant of one edition (by default the newest) in a part, with the earlier variant it
    redoes; file order."""
    edition = edition or newest_edition(page)
    if edition not in editions(page):
        raise unknown("edition", edition, editions(page))
    out = []
    for r in page.in_part(part, edition):
        if r.variant.edition != edition:
            continue
        then = page.result(r.variant.redoes) if r.variant.redoes else None
        out.append(Row(then.variant.title if then else r.variant.title, then, r))
    return out


def _change(then: Shown, now: Shown) -> str:
    return signed_change(then.measured.size_bytes, now.measured.size_bytes)


def size_change(page: Page, then: str, now: str) -> str:
    """How a size moved from one variant to another, signed: "+1.2MB (+15%)"."""
    return _change(page.result(then), page.result(now))


def editions_table(page: Page, part: str = "base", edition: str = "") -> str:
    """One row per variant of the edition: the earlier edition's size (and the 2022 article's
    figure), today's size, and the change; each size links to its variant's page."""
    found = rows(page, part, edition)
    if not found:
        return "*No variant of this edition here yet.*"
    years = sorted({row.then.variant.edition for row in found if row.then})
    then_head = f"{', '.join(years)} edition" if years else "Earlier edition"
    head = ("Variant", "2022 article", then_head, f"{found[0].now.variant.edition} edition", "Change",
            "Final base today")

    def sized(r: Shown | None) -> str:
        if r is None:
            return "—"
        shown = render.link(page.detail_href(r.id), human_size(r.measured.size_bytes),
                            title=f"{r.measured.size_bytes:,} bytes")
        return markup.html_of(shown, " (fails, as declared)") if r.measured.start_error else shown

    body = [(row.shape, (row.then.variant.article_2022 or "—") if row.then else "—",
             sized(row.then), sized(row.now), _change(row.then, row.now) if row.then else "new",
             markup.code(row.now.variant.final_base)) for row in found]
    return render.table(head, body, numeric={1, 2, 3, 4})


def editions_chart(page: Page, part: str = "base", edition: str = "") -> str:
    """Both editions' sizes, two bars per row."""
    from .chart import editions_chart_svg

    found = rows(page, part, edition)
    bars = [(row.shape, row.then, row.now) for row in found]
    return render.chart_block(editions_chart_svg(bars, cache_dir=page.settings.cached("charts")))


def _bases_of(page: Page, edition: str) -> list[BaseImage]:
    named = list(dict.fromkeys(ref for r in page.session.results if r.variant.edition == edition
                               for ref in r.variant.bases))
    by_ref = {b.reference: b for b in page.session.bases}
    return [by_ref[ref] for ref in named if ref in by_ref]


def support_table(page: Page, edition: str = "") -> str:
    """Every base an edition's Dockerfiles name, each declared support window, and where it
    stands on the day of this build."""
    edition = edition or newest_edition(page)
    if edition not in editions(page):
        raise unknown("edition", edition, editions(page))
    today = support.build_date(page.session.generated_at)
    body = []
    for b in _bases_of(page, edition):
        name = markup.code(b.reference)
        if not b.support:
            body.append((name, "—", markup.html_of("no end date declared in ", markup.code("bases.yml")), "—"))
        for w in b.support:
            words = support.status(w, today)
            body.append((name, w.what, markup.strong(words) if support.ended(w, today) else words,
                         render.link(w.source, w.source.removeprefix("https://"))))
    return render.table(("Base", "Support window", f"On {today.isoformat()}", "Source"), body)


def support_summary(page: Page, edition: str = "") -> str:
    """A sentence: how many of the edition's bases are out of support on the build date."""
    edition = edition or newest_edition(page)
    today = support.build_date(page.session.generated_at)
    named = _bases_of(page, edition)
    over = support.out_of_support(named, today)
    when = f"On the day of this build ({today.isoformat()})"
    if not over:
        if len(named) == 1:
            return f"{when}, the one base of the {edition} edition is not past a declared support window"
        return f"{when}, {share(0, len(named), 'base')} of the {edition} edition is past a declared support window"
    listed = "; ".join(f"<code>{html.escape(b.reference)}</code> ({html.escape(support.verdict(b, today))})"
                       for b in over)
    return (f"{when}, {share(len(over), len(named), 'base')} of the {edition} edition "
            f"{'is' if len(over) == 1 else 'are'} past a declared support window: {listed}")


MACROS: dict[str, tuple[Callable[..., str], bool]] = {
    fn.__name__: (fn, block) for fn, block in (
        (newest_edition, False), (size_change, False), (editions_table, False), (editions_chart, False),
        (support_table, False), (support_summary, False),
    )
}
