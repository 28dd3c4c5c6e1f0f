"""Macros for part three: what each image still does (the checks program's answers, one column per
check it prints) and what it holds, side by side with its size; every cell from a measurement."""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from ..errors import PageError
from ..model import checks
from ..model.parts import CHECKED
from ..model.session import Shown
from ..model.sizes import human_size
from ..model.words import listed, number_word
from . import markup, render
from .edition_macros import editions, go_images, newest_edition
from .page import Page, unknown


def _link(page: Page, r: Shown, text: str = "") -> str:
    return render.link(page.detail_href(r.id), text or r.variant.title)


def _checks_made(page: Page) -> list[str]:
    """The checks the program makes, as the variants of part three printed them."""
    return checks.names(r.measured.stdout for r in page.session.results if r.variant.part in CHECKED)


def capability_matrix(page: Page, part: str = "checks") -> str:
    """One row per variant of the part: size, transfer, one column per check, and what the image holds."""
    made = _checks_made(page)
    rows = []
    for r in page.in_part(part):
        found = checks.answers(r.variant.part, r.measured.stdout) or {}
        c = r.measured.contents
        answers = [("passes" if found[name] else markup.strong("fails")) if name in found else "—" for name in made]
        size = markup.titled(human_size(r.measured.size_bytes), f"{r.measured.size_bytes:,} bytes")
        rows.append((_link(page, r), size, human_size(r.measured.transfer_bytes), *answers,
                     "yes" if c.shell else "no", c.package_manager or "none", f"{c.packages:,}", f"{c.files:,}"))
    head = ("Variant", "Size", "Transfer", *(name[:1].upper() + name[1:] for name in made), "Shell",
            "Package manager", "Packages", "Files")
    return render.table(head, rows, numeric={head.index(name) for name in ("Size", "Transfer", "Packages", "Files")})


def smallest_passing(page: Page) -> str:
    """The smallest verified image whose program passes every check, linked, with its size."""
    made = _checks_made(page)
    passing = [r for r in page.session.results
               if checks.passes_all(checks.answers(r.variant.part, r.measured.stdout), made)]
    if not made:
        raise PageError("no variant of part three printed the checks program's answers",
                        hint="Part three's variants build checks-app (`context: checks-app`) and run it; each "
                             "one's page shows what it printed.")
    if not passing:
        raise PageError(f"no variant passes all {number_word(len(made))} checks of the checks program",
                        hint="The sentence that asks for it needs one: reword it in its page, or change the "
                             "check in checks-app/main.go, or add a variant that passes every check.")
    return _smallest(page, passing)


def smallest_go_image(page: Page, edition: str = "") -> str:
    """The smallest Go image of an edition (by default today's: the newest), linked, with its size:
    one definition wherever a page names it (edition_macros.go_images; the release sweep, of no
    edition, is no edition's)."""
    return _smallest(page, [page.result(smallest_go_id(page, edition))])


def smallest_go_id(page: Page, edition: str = "") -> str:
    """The id of that image, for a macro that compares it: {{ times_smaller(smallest_go_id(), "floor") }}."""
    edition = edition or newest_edition(page)
    if edition not in editions(page):
        raise unknown("edition", edition, editions(page))
    return min(go_images(page, edition), key=lambda r: r.measured.size_bytes).id


def _smallest(page: Page, results: list[Shown]) -> str:
    best = min(results, key=lambda r: r.measured.size_bytes)
    return f"{_link(page, best)} ({human_size(best.measured.size_bytes)}, {best.measured.size_bytes:,} bytes)"


class _Verdict(NamedTuple):
    failed: tuple[str, ...]  # the checks it failed, in the program's order
    total: int               # how many checks the program makes

    def said(self, *, plural: bool) -> str:
        """As a verb phrase: "passes all four checks", "pass three of the four checks (they fail trust)"."""
        s, es, it = ("", "", "they") if plural else ("s", "es", "it")
        total = number_word(self.total)
        if not self.failed:
            return f"pass{es} all {total} checks"
        if len(self.failed) == self.total:
            return f"fail{s} all {total} checks"
        return (f"pass{es} {number_word(self.total - len(self.failed))} of the {total} checks "
                f"({it} fail{s} {listed(list(self.failed))})")


def passes(page: Page, variant_id: str, *others: str) -> str:
    """What the checks program said on a variant's image, as a verb phrase from its output: "passes
    all four checks", "passes two of the four checks (it fails trust and time zones)". Given several
    variants, for a plural subject: "both pass all four checks" when they answered alike, else
    "differ: <first> passes ..., and <second> passes ..." (each linked)."""
    made = _checks_made(page)
    ids = (variant_id, *others)
    verdicts = [_verdict(page, vid, made) for vid in ids]
    if not others:
        return verdicts[0].said(plural=False)
    if len(set(verdicts)) == 1:
        everyone = "both" if len(ids) == 2 else f"all {number_word(len(ids))}"
        return f"{everyone} {verdicts[0].said(plural=True)}"
    each = [f"{_link(page, page.result(vid))} {v.said(plural=False)}" for vid, v in zip(ids, verdicts, strict=True)]
    return f"differ: {', '.join(each[:-1])}, and {each[-1]}"


def _verdict(page: Page, variant_id: str, made: list[str]) -> _Verdict:
    found = _answers(page, variant_id)
    return _Verdict(tuple(name for name in made if not found.get(name, False)), len(made))


def _answers(page: Page, variant_id: str) -> dict[str, bool]:
    r = page.result(variant_id)
    found = checks.answers(r.variant.part, r.measured.stdout)
    if found is None:
        raise PageError(f"{variant_id!r} does not run the checks program",
                        hint="Name a variant of part three (`part: checks`).")
    return found


def turned(page: Page, before: str, after: str) -> str:
    """The checks that `after`'s image passes and `before`'s fails, from both runs' output: what a
    change between the two images turned ("time zones", "trust, time zones and identity", "none"),
    and any it broke ("trust; it breaks identity")."""
    made = _checks_made(page)
    was, now = _answers(page, before), _answers(page, after)
    fixed = [name for name in made if now.get(name, False) and not was.get(name, False)]
    broke = [name for name in made if was.get(name, False) and not now.get(name, False)]
    return (listed(fixed) if fixed else "none") + (f"; it breaks {listed(broke)}" if broke else "")


def check_count(page: Page) -> str:
    """How many checks the checks program makes, as a word ("four")."""
    return number_word(len(_checks_made(page)))


def holds(page: Page, variant_id: str) -> str:
    """Whether an image holds a shell and a package manager, as the matrix reads them from its files:
    "no shell and no package manager", "a shell and `apt`"."""
    c = page.result(variant_id).measured.contents
    manager = f"`{c.package_manager}`" if c.package_manager else "no package manager"
    return f"{'a shell' if c.shell else 'no shell'} and {manager}"


MACROS: dict[str, tuple[Callable[..., str], bool]] = {
    fn.__name__: (fn, False) for fn in (capability_matrix, smallest_passing, smallest_go_image, smallest_go_id,
                                        passes, turned, check_count, holds)
}
