"""Sentences no person would write, found in a built page's text: what the generated-prose test
looks for (issue: every word measured, item 5)."""
from __future__ import annotations

import html
import re

AWKWARD = {
    "a plural hedged with (s)": re.compile(r"\w\(s\)"),
    "one or two things counted as a share": re.compile(r"\b(?:of the|all) [12] [a-z]"),
    "one thing with a plural noun": re.compile(
        r"\b1 (?:[a-z]+ )?(?:variant|base|image|file|container|build|layer|run|package|entrie|groupe?)s\b"),
    "the same figure said twice": re.compile(r"\b(\d[\d,.]*)( \w+)? and \1\b"),
    "the same release said twice": re.compile(r"\b(go\d+\.\d+(?:\.\d+)?)\b[^.;]{0,40}\band\b[^.;]{0,20}\b\1\b"),
}
_HIDDEN = re.compile(r"<(script|style|svg|pre|code)\b.*?</\1>", re.S)


def text_of(page: str) -> str:
    """What a reader reads on a page: its prose and tables, not code, scripts or charts."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", _HIDDEN.sub(" ", page))))


def awkward(text: str) -> list[str]:
    """Each awkward phrase in the text, with what is wrong with it and where."""
    return [f"{why}: ...{text[max(0, m.start() - 50):m.end() + 20]}..."
            for why, pattern in AWKWARD.items() for m in pattern.finditer(text)]
