"""What moved between two images, on the pages: the image diff of a pair of variants the variants
file compares (`redoes`, `against`), its largest groups first. The words around a comparison say
what the diff measured, not what someone expected to move."""
from __future__ import annotations

from collections.abc import Callable

from ..model.image_diff import ImageDiff, Moved, summed
from ..model.sizes import signed_change
from ..model.words import counted
from . import markup, render
from .page import Page, unknown

LINES = 5  # groups shown; the rest is summed in one row


def diff_of(page: Page, before: str, after: str) -> ImageDiff:
    """The measured diff of a declared pair; a page that asks for another pair is told which exist."""
    for d in page.session.diffs:
        if (d.before, d.after) == (before, after):
            return d
    page.result(before), page.result(after)  # a failed or unknown variant says so first
    raise unknown("compared pair", f"{before} -> {after}", [f"{d.before} -> {d.after}" for d in page.session.diffs])


def signed(n: int) -> str:
    return signed_change(0, n) if n else "±0B"


def _files(m: Moved | ImageDiff) -> str:
    said = [f"{counted(n, 'file')} {verb}" for n, verb in ((m.added, "added"), (m.removed, "removed"),
                                                          (m.changed, "changed")) if n]
    return ", ".join(said) or "none"


def _bytes(m: Moved | ImageDiff) -> str:
    if m.added_bytes and m.removed_bytes:
        return f"{signed(m.net_bytes)} ({signed(m.added_bytes)}, {signed(-m.removed_bytes)})"
    return signed(m.net_bytes)


def summary(page: Page, d: ImageDiff) -> str:
    """One sentence: the files that moved, and how many bytes, from the first image to the second."""
    first, second = (render.link(page.detail_href(v), page.result(v).variant.title) for v in (d.before, d.after))
    if not d.moved:
        return f"The files of {second} are those of {first}, byte for byte."
    return f"From {first} to {second}: {_files(d)}, {signed(d.net_bytes)} of files in all."


def table(d: ImageDiff, lines: int = LINES) -> str:
    shown = d.moved[:lines]
    rows: list[list[str]] = [[markup.code(m.where), m.package or "—", _bytes(m), _files(m)] for m in shown]
    rest = d.moved[len(shown):]
    if rest:
        total = summed(rest)
        rows.append([f"{counted(len(rest), 'other group')}", "", _bytes(total), _files(total)])
    return render.table(("Where", "Package", "Bytes", "Files"), rows, numeric={2})


def what_moved(page: Page, before: str, after: str, lines: int = LINES) -> str:
    """The diff of a declared pair: a sentence, then its largest groups."""
    d = diff_of(page, before, after)
    return summary(page, d) + ("\n\n" + table(d, lines) if d.moved else "")



def sections_moved(page: Page, before: str, after: str, lines: int = LINES) -> str:
    """How the program's ELF sections changed between two variants' binaries, the largest change
    first: what a flag or a packer took out of the file, read from the file."""
    old, new = ({s.name: s.size_bytes for s in page.result(v).measured.sections} for v in (before, after))
    if not old or not new:
        which = [v for v, found in ((before, old), (after, new)) if not found]
        return f"The binary of {' and '.join(which)} has no section table to compare (a packed binary has none)."
    names = list(dict.fromkeys([*old, *new]))
    moved = sorted((n for n in names if old.get(n, 0) != new.get(n, 0)),
                   key=lambda n: -abs(new.get(n, 0) - old.get(n, 0)))
    rows: list[list[str]] = [[markup.code(n), f"{old[n]:,}" if n in old else "—", f"{new[n]:,}" if n in new else "—",
                              signed(new.get(n, 0) - old.get(n, 0))] for n in moved[:lines]]
    rest = moved[lines:]
    if rest:
        rows.append([counted(len(rest), "other section"), "", "", signed(sum(new.get(n, 0) - old.get(n, 0)
                                                                                for n in rest))])
    said = f"Of the binary's {counted(len(names), 'section')}, {len(moved)} changed size (bytes in the file):"
    return said + "\n\n" + render.table(("Section", before, after, "Change"), rows, numeric={1, 2, 3})


def on_variant_page(page: Page, variant_id: str) -> str:
    """A variant page's section on what moved from each variant it is compared with."""
    found = [d for d in page.session.diffs if d.after == variant_id]
    if not found:
        return ""
    return "\n\n## What moved\n\n" + "\n\n".join(_explained(page, d) for d in found) + "\n"


def _explained(page: Page, d: ImageDiff) -> str:
    """A diff's sentence and groups; where the program file itself changed and both binaries have
    a section table, how its sections moved too."""
    said = summary(page, d) + ("\n\n" + table(d) if d.moved else "")
    binaries = [page.result(v).measured for v in (d.before, d.after)]
    if all(m.sections for m in binaries) and binaries[0].sections != binaries[1].sections:
        said += "\n\n" + sections_moved(page, d.before, d.after)
    return said


def largest_move(page: Page, before: str, after: str) -> str:
    """The group that moved most, in words: "/usr/share/zoneinfo (tzdata), +415kB"."""
    d = diff_of(page, before, after)
    if not d.moved:
        return "nothing"
    m = d.moved[0]
    return f"`{m.where}`" + (f" ({m.package})" if m.package else "") + f", {_bytes(m)}"


MACROS: dict[str, tuple[Callable[..., str], bool]] = {
    what_moved.__name__: (what_moved, True), largest_move.__name__: (largest_move, False),
    sections_moved.__name__: (sections_moved, True)}
