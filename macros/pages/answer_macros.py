"""The answer at the top of the home page: for what a Go service needs, the smallest verified image
of today's edition that provides it, and under it where the figures come from. Every cell is a
measurement or part three's checks: an image whose checks program fails a check is never offered
for what that check asks."""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from ..errors import PageError
from ..model import checks, support
from ..model.session import Shown
from ..model.sizes import human_size
from ..model.words import share
from . import markup, render
from .edition_macros import editions, go_images, newest_edition
from .page import Page


class Need(NamedTuple):
    words: str                         # what a service needs, as a reader would ask it
    met_by: Callable[[Shown], bool]    # whether an image has it, from what was measured


def _passes(*names: str) -> Callable[[Shown], bool]:
    """Met where the checks program ran on the image and each named check passed (with no name,
    every check it made: its output is verified whole)."""
    def met(r: Shown) -> bool:
        found = checks.answers(r.variant.part, r.measured.stdout)
        if found is None:
            return False
        missing = [name for name in names if name not in found]
        if missing:  # renamed or removed in checks-app/main.go: a need that nothing meets would hide it
            raise PageError(f"the answer table asks for the check {missing[0]!r}, which the checks program "
                            f"does not print (it prints: {', '.join(found)})",
                            hint="Name the check as checks-app/main.go does, in NEEDS of "
                                 "macros/pages/answer_macros.py.")
        return all(found[name] for name in names or found)
    return met


NEEDS = (
    Need("Nothing but to run", lambda _r: True),
    Need("TLS roots and time zones", _passes("trust", "time zones")),
    Need("A named user that is not root", _passes("identity", "not root")),
    Need("Every check of part three", _passes()),
    Need("A shell to look inside", lambda r: r.measured.contents.shell),
)


def todays(page: Page) -> list[Shown]:
    """Today's Go images: those of the newest edition (none before any edition is measured)."""
    return go_images(page, newest_edition(page)) if editions(page) else []


def _supported(page: Page, r: Shown) -> str:
    if r.variant.final_base == "scratch":
        return "no base image (scratch)"
    base = next((b for b in page.session.bases if b.reference == r.variant.final_base), None)
    return support.short(base, support.build_date(page.session.generated_at)) if base else "—"


def answer_table(page: Page) -> str:
    """One row per need: the smallest of today's images that meets it, linked, with its size,
    transfer and its final base's support window; a need nothing meets says so."""
    candidates = todays(page)
    rows: list[tuple[str, ...]] = []
    for need in NEEDS:
        meeting = [r for r in candidates if need.met_by(r)]
        if not meeting:
            rows.append((need.words, "none of today's images", "—", "—", "—"))
            continue
        best = min(meeting, key=lambda r: r.measured.size_bytes)
        size = markup.titled(human_size(best.measured.size_bytes), f"{best.measured.size_bytes:,} bytes")
        rows.append((need.words, render.link(page.detail_href(best.id), best.variant.title), size,
                     human_size(best.measured.transfer_bytes), _supported(page, best)))
    return render.table(("Your service needs", "Smallest image that has it", "Size", "Transfer",
                         "Its base is supported"), rows, numeric={2, 3})


# How a base came to the engine: (one base, several bases)
_FROM = {"pulled": ("was pulled from its registry", "were pulled from their registries"),
         "stand-in": ("was built here as a stand-in for the image it is named after",
                      "were built here as stand-ins for the images they are named after"),
         "present": ("was found in the engine", "were found in the engine")}


def provenance(page: Page) -> markup.Html:
    """Which engine measured, and where the bases came from: what a reader needs to trust the table."""
    e = page.session.engine
    sources = [b.source for b in page.session.bases]
    kinds = [kind for kind in _FROM if kind in sources]
    said = "; ".join(f"{share(sources.count(k), len(sources), 'base')} {_FROM[k][sources.count(k) != 1]}"
                     for k in kinds)
    methodology = page.from_here("methodology/" if page.directory_urls else "methodology.html")
    fidelity = (" (", render.link(f"{methodology}#how-faithful-the-stand-ins-are", "how faithful each is"), ")") \
        if "stand-in" in kinds else ()
    return markup.html_of(f"Measured {page.session.generated_at[:10]} by Docker {e.version} ({e.storage_driver}, "
                          f"{e.image_store} image store) on {e.os}. ", *((said[0].upper() + said[1:], *fidelity, ".")
                                                                          if said else ()))


def answer(page: Page) -> str:
    """The box at the top of the home page: the table, then where its figures come from."""
    return (f'<div class="admonition success answer"><p class="admonition-title">The answer, measured</p>\n'
            f"{answer_table(page)}\n<p>{provenance(page)}</p>\n</div>")


MACROS: dict[str, tuple[Callable[..., str], bool]] = {fn.__name__: (fn, False) for fn in (answer, answer_table)}
