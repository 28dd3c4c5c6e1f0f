"""Macros for how far each stand-in base is from the image it is named after: the Methodology
table, the sentence above it, and the short words every bases table shows. Every figure from
the build's fidelity records (measure/fidelity.py)."""
from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..model.fidelity import Fidelity, percent
from ..model.records import BaseImage
from ..model.upstream import Source
from ..model.words import counted
from . import markup, render
from .markup import BREAK, NBSP, Html, html_of, lines, strong

if TYPE_CHECKING:  # page.py imports detail.py, which uses `short` from here
    from .page import Page


NO_STAND_IN = "No base of this build is a stand-in: each is the image its registry serves."


def short(base: BaseImage) -> str:
    """A bases table's cell: how far the stand-in is from upstream, in a few words."""
    if base.fidelity is None:
        return "the image itself" if base.source == "pulled" else "—"
    return base.fidelity.summary()


def fidelity_summary(page: Page) -> str:
    """One sentence: how many stand-ins were held against what, and the furthest in size."""
    held = [b.fidelity for b in page.session.bases if b.fidelity is not None]
    if not held:
        return NO_STAND_IN
    listed = sum(f.packages_source is not None for f in held)
    users = sum(f.accounts_source is not None for f in held)
    configured = sum(f.config_source is not None for f in held)
    sized = [f for f in held if f.size_deviation_percent is not None]
    said = f"Of the {counted(len(held), 'stand-in')}, {listed} {'was' if listed == 1 else 'were'} compared with " \
           f"the package list upstream defines, {users} with the users it declares, {configured} with the " \
           f"command and environment it lists and {len(sized)} with the size it publishes"
    if sized:
        far = max(sized, key=lambda f: abs(f.size_deviation_percent or 0.0))
        said += f"; the furthest in size is {html.escape(far.upstream)}, " \
                f"at {percent(far.size_deviation_percent or 0.0)}"
    return said + (". A stand-in whose packages, users, command or environment differ, or whose size is past "
                   "its tolerance, fails the build.")


def fidelity_table(page: Page) -> str:
    """One row per stand-in: its size and transfer size against upstream's, its packages, users,
    command and environment against upstream's, the definition it follows, and what cannot be
    matched here and why."""
    head = ("Base image", "Size against upstream's", "Transfer against upstream's", "Packages", "Users",
            "Command and environment", "Follows", "Cannot be matched here")
    rows = [(markup.code(b.reference), _size(f.size_deviation_percent, b.size_bytes, f.size_bytes,
                                                               f.size_source, f"±{f.tolerance_percent:g}%"),
             _size(f.transfer_deviation_percent, b.transfer_bytes, f.transfer_bytes, f.transfer_source,
                   "not checked"),
             _packages(f), _users(f), _config(f), _follows(f), _gaps(f, b.size_bytes))
            for b in page.session.bases if (f := b.fidelity) is not None]
    return render.table(head, rows)


def stand_ins_made(page: Page) -> str:
    """How this build's stand-ins are made, as a list: one item per upstream definition, with the
    stand-ins that follow it, in bases.yml's own words for it (`follows:`), so a new recipe is
    described where it is declared."""
    following: dict[tuple[str, str, str], list[str]] = {}
    for b in sorted(page.session.bases, key=lambda b: b.reference):
        if b.fidelity is not None and b.fidelity.follows:
            said = b.fidelity.follows
            following.setdefault((said["what"], said["source"], said["date"]), []).append(b.reference)
    if not following:
        return NO_STAND_IN
    return "\n".join(
        "- " + html_of(markup.listed([markup.code(r) for r in made]), f" follow{'s' * (len(made) == 1)} {what}. See ",
                       render.link(source, "the definition"), f" as of {date}.")
        for (what, source, date), made in following.items())


def _size(deviation: float | None, ours: int | None, theirs: int | None, source: Source | None, bound: str) -> str:
    if theirs is None or source is None:
        return "no published figure"
    if ours is None or deviation is None:
        return html_of(f"upstream {theirs:,}", NBSP, "B, ", _cite("repo-info", source), "; not measured here")
    return html_of(strong(percent(deviation)), f" ({bound})", BREAK, f"ours {ours:,}", NBSP, "B", BREAK,
                   f"upstream {theirs:,}", NBSP, "B, ",
                   _cite("repo-info" if "repo-info" in source.repo else source.repo, source))


def _packages(f: Fidelity) -> str:
    if f.packages_source is None:
        return "no list published"
    return lines(*_against(f.packages_missing, f.packages_extra, f.packages_source))


def _users(f: Fidelity) -> str:
    """Its accounts against upstream's, and whom it runs as (said only where upstream says it)."""
    if f.accounts_source is None:
        return "no list published"
    said = _against(f.accounts_missing, f.accounts_extra, f.accounts_source)
    if f.runs_as_source is not None:
        by = _short_cite(f.runs_as_source)
        said.append(html_of(f"runs as {f.runs_as_ours}, as ", by, " says") if f.runs_as_ours == f.runs_as_upstream
                    else html_of(f"runs as {f.runs_as_ours}; upstream as {f.runs_as_upstream} (", by, ")"))
    return lines(*said)


def _config(f: Fidelity) -> str:
    """Its command and the variables upstream lists: "the same as <file>", or each difference; then
    the record's note (what it leaves out, and why)."""
    if f.config_source is None:
        return "none published"
    where = _short_cite(f.config_source)
    said = [html_of("the same as ", where)] if f.config_match else [*f.config_differences, html_of("against ", where)]
    return lines(*said, *([f.config_source.note] if f.config_source.note else []))


def _against(missing: tuple[str, ...], extra: tuple[str, ...], source: Source) -> list[str]:
    """A list held against upstream's: "the same as <file>", or what is missing and extra, then the file."""
    where = _short_cite(source)
    if not missing and not extra:
        return [html_of("the same as ", where)]
    return [*([f"missing: {', '.join(missing)}"] if missing else []),
            *([f"extra: {', '.join(extra)}"] if extra else []), html_of("against ", where)]


def _short_cite(source: Source) -> Html:
    """A definition cited by its file's name and date, linked at its commit."""
    return _cite(source.file.rsplit("/", 1)[-1], source)


def _follows(f: Fidelity) -> str:
    """The definition, linked under a short name made from its pinned link (the words that say
    what it is stay in bases.yml: a table cell is no place for a paragraph)."""
    if not f.follows:
        return "—"
    source = f.follows["source"]
    parts = urlsplit(source)
    path = parts.path.strip("/").split("/")
    if parts.netloc == "github.com" and len(path) > 4:  # owner/repo/blob-or-tree/commit/file...
        name = f"{path[1]}: {'/'.join(path[4:])}"
    else:
        name = parts.netloc + parts.path
    return html_of(render.link(source, name, code=True), f' ({f.follows["date"]})')


def _cite(label: str, source: Source) -> Html:
    return html_of(render.link(source.url, label), f" ({source.date})")


def _gaps(f: Fidelity, ours: int) -> str:
    """What cannot be matched, why, and what it costs where upstream's size says (its size minus ours)."""
    said: list[str] = [f"{g.what}: {g.why}" for g in f.gaps]
    if said and f.size_bytes is not None and f.size_bytes != ours:
        word = "larger" if f.size_bytes > ours else "smaller"
        said.append(html_of(f"upstream's image is {abs(f.size_bytes - ours):,}", NBSP, f"B {word} than ours"))
    return lines(*said) if said else "—"


MACROS: dict[str, tuple[Callable[..., str], bool]] = {
    fn.__name__: (fn, False) for fn in (fidelity_table, fidelity_summary, stand_ins_made)
}
