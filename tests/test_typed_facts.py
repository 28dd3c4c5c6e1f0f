"""No fact typed by hand in the pages: a number or a version in the prose of docs/*.md is the output
of a macro (read from the build), or it is listed here with why it may stay (issue: every word
measured, item 3). Code, macro calls, link targets and HTML are not prose. Pure: reads the files."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"

# What may stay, and why. Each pattern is matched around the number it allows.
ALLOWED: dict[str, str] = {
    r"\b2022\b": "the year of the article this site answers, which is also the name of its edition",
    r"\bGo 1\.18\b": "the Go release the 2022 article says it used, quoted as such; no build here can make it",
    r"(?:Step|step|Variant|variant|^##) [1-4]\b|^[1-6]\. \*\*|^## [1-4]\. ": "ordinals: the article's own steps",
    r"\b65532\b": "the user ID that the Dockerfiles shown beside it set (distroless's nonroot user)",
    r"\b(?:status|exits|is not) 0\b": "exit status 0 and user ID 0: what success and root are",
    r"\b64-bit\b": "the floor's architecture, as floor/hello.asm is written (BITS 64)",
    r"\bsha256\b|\b2²⁰|\bv2\b|127\.0\.0\.1": "names: a hash, a power of two, the registry API, the loopback address",
    r"[\w-]+/[\w-]+#\d+|August 2026|Docker Engine 29|more than 500 variables|UPX 5\.2\.0":
        "facts of cited sources, each beside its link",
    r"Python 3\.11": "the project's own requirement (pyproject.toml's requires-python)",
    r"Go 1\.19 and 1\.27 do above|Go 1\.19 needs": "the contributing page's example, the variants file's own entries shown above it",
}
_NOT_PROSE = [
    re.compile(r"\A---\n.*?\n---\n", re.S),                      # front matter
    re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.S | re.M),         # fenced code
    re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S),                  # macro calls
    re.compile(r"`[^`\n]*`"),                                    # inline code
    re.compile(r"(?<=\])\([^)]*\)"),                             # link targets
    re.compile(r"<[^>\n]+>"),                                    # HTML tags
    re.compile(r"^--8<--.*$", re.M),                             # snippet includes
]
_NUMBER = re.compile(r"(?<![A-Za-z_\d-])(?:\d[\d,.²⁰]*\d|\d)")  # not a word's own digits: overlay2, X1


def prose(text: str) -> str:
    for pattern in _NOT_PROSE:
        text = pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)  # keep lines and columns
    return text


def typed(text: str) -> list[str]:
    """Each number in the prose that no allowed pattern covers, with its line."""
    found = []
    for n, line in enumerate(prose(text).splitlines(), 1):
        allowed = [m.span() for pattern in ALLOWED for m in re.finditer(pattern, line)]
        for m in _NUMBER.finditer(line):
            if not any(start <= m.start() and m.end() <= end for start, end in allowed):
                found.append(f"line {n}: {m.group()!r} in {line.strip()[:100]!r}")
    return found


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.md")), ids=lambda p: p.name)
def test_no_page_types_a_fact_the_build_knows(page: Path) -> None:
    assert typed(page.read_text(encoding="utf-8")) == []


def test_a_typed_version_is_found_and_macros_code_and_links_are_not() -> None:
    bad = 'The build stage installs UPX 4.2 from Debian 13 "trixie".\n'
    assert [f.split("'")[1] for f in typed(bad)] == ["4.2", "13"]
    good = ('It is {{ size("scratch-2026") }} on {{ built_on("scratch-2026") }}, see `golang:1.27-trixie` and\n'
            "[the release](https://go.dev/doc/go1.27) of the 2022 article (Go 1.18).\n\n```\nFROM debian:13\n```\n")
    assert typed(good) == []
