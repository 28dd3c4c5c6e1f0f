"""What a macro may know: one doc build's measurements, the settings, and the page being rendered."""
from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from ..errors import PageError, VariantFailed, did_you_mean
from ..model.measurement import Measurement
from ..model.parts import PARTS, STAIRCASE
from ..model.session import Session, Shown
from ..model.settings import Settings
from . import detail

# Where the names a page may use come from, for those the pages' authors look up elsewhere.
_WHERE = {"variant": "Use a variant id from dockerfiles/variants.yml.",
          "base image": "Use a base image a Dockerfile names, in FROM or COPY --from (Methodology lists them)."}


# The quantities a sentence may compare: every measured count of bytes that no variant lacks.
COMPARABLE = tuple(f.name for f in fields(Measurement) if f.name.endswith("_bytes") and f.type == "int")


def unknown(what: str, name: str, known: list[str]) -> PageError:
    return PageError(f"no {what} {name!r}{did_you_mean(name, known)}; known: {', '.join(known)}",
                     hint=_WHERE.get(what, ""))


@dataclass(frozen=True)
class Page:
    """What a macro may know: the measurements, the settings, and where the page being rendered sits."""
    session: Session
    settings: Settings
    url: str = ""                 # the page's URL relative to the site root ("" for the home page)
    directory_urls: bool = True
    docs_dir: Path = Path("docs")

    def result(self, variant_id: str) -> Shown:
        if variant_id in self.session.failures:
            raise VariantFailed(variant_id, self.session.failures[variant_id])
        try:
            return self.session.result(variant_id)
        except KeyError:
            known = [r.id for r in self.session.results] + list(self.session.failures)
            raise unknown("variant", variant_id, known) from None

    def from_here(self, url: str) -> str:
        """A site-root-relative URL as seen from this page (mkdocs does not rewrite raw HTML links)."""
        return "../" * self.url.count("/") + url

    def detail_href(self, variant_id: str) -> str:
        return self.from_here(detail.page_url(variant_id, directory_urls=self.directory_urls))

    def in_part(self, part: str, edition: str = "") -> list[Shown]:
        """One part's results; with no part, the staircase (every part but the release sweep).
        With an edition, only its variants and those of no edition (the floor, a contributor's)."""
        if part and part not in PARTS:
            raise unknown("part", part, list(PARTS))
        editions = {r.variant.edition for r in self.session.results} - {""}
        if edition and edition not in editions:
            raise unknown("edition", edition, sorted(editions))
        wanted = (part,) if part else STAIRCASE
        return [r for r in self.session.results
                if r.variant.part in wanted and (not edition or r.variant.edition in (edition, ""))]

    def larger_smaller(self, big: str, small: str, *, across: bool = False, of: str = "size_bytes") -> tuple[int, int]:
        """The sizes (or another quantity in bytes, `of`) of two variants a sentence compares, the
        larger first as the sentence says: a page that calls the smaller one larger, or compares two
        editions without saying so (`across`), fails here instead of printing a false or mixed
        comparison."""
        if of not in COMPARABLE:
            raise unknown("quantity", of, list(COMPARABLE))
        first, second = self.result(big), self.result(small)
        editions = {first.variant.edition, second.variant.edition} - {""}
        if len(editions) > 1 and not across:
            raise PageError(f"{big} and {small} are of different editions ({', '.join(sorted(editions))}); "
                            "pass across=True where the sentence says it compares editions")
        larger, smaller = getattr(first.measured, of), getattr(second.measured, of)
        if larger < smaller:
            raise PageError(f"the sentence takes {big}'s {of} ({larger:,}) to be larger than "
                            f"{small}'s ({smaller:,}), and it is not: reword it")
        return larger, smaller
