"""The article's chapters and parts, each declared once, in reading order.

A chapter is a page of the article; a part is what a variant's `part` may name, and belongs to one
chapter (part two's page also tells the floor). The navigation, the overview of every variant, the
history charts, the charts' colours and the tests derive from these two declarations: a new part
is an entry here, its page, and its variants. Its own module so that the pages can be made
without importing the variants file's reader (and Docker's parser).
"""
from __future__ import annotations

from typing import NamedTuple


class Part(NamedTuple):
    title: str
    chapter: str            # the page that tells it: a key of CHAPTERS
    staircase: bool         # in the article's main results table and chart, where sizes fall down the page
    reference: bool = False  # a line every bar is measured against, not a step (and not a Go image)
    colour: str = ""        # its bars in charts ("": the charts' own blue)
    by_release: bool = False  # its tables list variants by Go release, oldest first (not largest first)
    about: str = ""         # the overview's sentence for a part outside the staircase
    runs_checks: bool = False  # its variants run the checks program: their output is read as its answers


CHAPTERS = {  # page -> its title in the navigation
    "index.md": "Part one: the base image",
    "binary.md": "Part two: the binary and the floor",
    "checks.md": "Part three: does it still work?",
    "releases.md": "Then and now: Go releases",
}

PARTS = {
    "base": Part("Part one: the base image", "index.md", staircase=True),
    "binary": Part("Part two: the binary", "binary.md", staircase=True, colour="#d9822b"),  # orange: both themes
    "floor": Part("The floor (not Go)", "binary.md", staircase=True, reference=True),
    "checks": Part("Part three: does it still work?", "checks.md", staircase=False, runs_checks=True,
                   about="The checks program, which asks each image what a real service depends on, one line "
                         "per question."),
    "releases": Part("Then and now: Go releases", "releases.md", staircase=False, by_release=True,
                     about="The same program built by each Go release of the sweep."),
}

STAIRCASE = tuple(p for p, part in PARTS.items() if part.staircase)
REFERENCES = frozenset(p for p, part in PARTS.items() if part.reference)
CHECKED = frozenset(p for p, part in PARTS.items() if part.runs_checks)


def title_of(part: str) -> str:
    """How the pages name a part (an undeclared one by its id)."""
    return PARTS[part].title if part in PARTS else part


def of_chapter(page: str) -> tuple[str, ...]:
    """The parts a chapter tells, in reading order."""
    return tuple(p for p, part in PARTS.items() if part.chapter == page)
