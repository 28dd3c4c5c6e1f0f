"""Markdown/HTML fragments for the pages. Pure: takes records, returns text; never talks to Docker.

Everything inserted is escaped: HTML tables go through `html.escape`, code goes into fenced blocks
whose fence is longer than any backtick run inside. Macro output is not evaluated again by Jinja,
so `{{ ... }}` in a Dockerfile or an output stays literal.
"""
from __future__ import annotations

import difflib
import html
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from ..model.parts import PARTS, title_of
from ..model.releases import Release, minor, version_key
from ..model.session import Shown
from ..model.sizes import human_size
from ..model.words import counted
from . import formats
from .markup import Html, escaped

if TYPE_CHECKING:  # keeps `import macros` free of the docker and jsonschema imports
    from ..model.records import BaseImage

_SOURCE_WORDS = {
    "pulled": "pulled from its registry",
    "stand-in": "local stand-in",
    "present": "found in the engine (origin unknown)",
}


def code_block(text: str, *, lang: str = "text", title: str = "") -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    attrs = f' title="{_attr(title)}"' if title else ""
    body = text if text.endswith("\n") or not text else text + "\n"
    return f"{fence} {lang}{attrs}\n{body}{fence}"


def _attr(text: str) -> str:
    # pymdownx reads the title up to the next double quote; keep it to safe characters.
    return re.sub(r'["<>&\\]', "_", text)


def run_block(result: Shown) -> str:
    """What a reader would see in a terminal running the image, streams kept apart."""
    command = f"docker run --rm {result.tag}"
    m = result.measured
    parts = []
    if m.start_error:
        parts.append(code_block(f"$ {command}\ndocker: Error response from daemon: {m.start_error}\n",
                                lang="console", title=f"{command}: the container does not start"))
    for name, text, cut, total in (("stdout", m.stdout, m.stdout_truncated, m.stdout_bytes),
                                   ("stderr", m.stderr, m.stderr_truncated, m.stderr_bytes)):
        if text or not m.start_error:
            kept = len(text.encode("utf-8"))
            note = f"\n[… cut: {total:,} bytes in all, the first {kept // 1024:,} KiB shown]\n"
            shown = (text or "(nothing)\n") + (note if cut else "")
            parts.append(code_block(shown, title=f"{command}: {name}"))
    if not m.start_error:
        parts.append(f"Exit code: **{m.exit_code}**.")
    return "\n\n".join(parts)


def table(head: Sequence[str], rows: Iterable[Sequence[str] | str], *, numeric: set[int] | None = None) -> str:
    """An HTML table on one line per row (no blank lines: Markdown keeps the block raw).

    Text cells are escaped here, Html cells kept; a row given as a single string is a heading
    across the whole table."""
    numeric = numeric or set()

    def cell(tag: str, i: int, value: str) -> str:
        style = ' style="text-align:right"' if i in numeric else ""
        return f"<{tag}{style}>{value if isinstance(value, Html) else escaped(value)}</{tag}>"

    lines = ["<table>", "<thead><tr>" + "".join(cell("th", i, h) for i, h in enumerate(head)) + "</tr></thead>",
             "<tbody>"]
    for row in rows:
        if isinstance(row, str):
            lines.append(f'<tr class="part-row"><th colspan="{len(head)}">{html.escape(row)}</th></tr>')
        else:
            lines.append("<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>")
    lines += ["</tbody>", "</table>"]
    return "\n".join(lines)




def staircase(results: Sequence[Shown]) -> list[Shown]:
    """Reading order: by part of the article, then largest first, so sizes fall down the page (a
    part told by release: oldest release first, then largest first)."""
    order = list(PARTS)  # reading order

    def key(r: Shown) -> tuple[int, tuple[int, ...], int]:
        part = PARTS.get(r.variant.part)
        release = version_key(r.measured.go_version) if part and part.by_release else ()
        return order.index(r.variant.part) if part else len(order), release, -r.measured.size_bytes
    return sorted(results, key=key)




def results_table(results: Sequence[Shown], *, href: Callable[[str], str] | None = None,
                  store_column: bool = False) -> str:
    """Every variant, grouped by part and largest first; each name links to its detail page. The
    measured columns are those measurement.py declares for the table (pages/formats.py). The
    engine's own figure is a column only where it is another kind of number (`store_column`: the
    containerd store) and says something else than the size."""
    if not results:
        return "*No variant here yet.*"
    ordered = staircase(results)
    measured = formats.columns(ordered, leave_out=frozenset() if store_column else frozenset({"store_bytes"}))
    head = ("Variant", "Final base", *(c.heading for c in measured), "2022 article")
    rows: list[tuple[str, ...] | str] = []
    part = None
    for i, r in enumerate(ordered):
        if r.variant.part != part:
            part = r.variant.part
            rows.append(title_of(part))
        rows.append((link(href(r.id), r.variant.title) if href is not None else r.variant.title, r.variant.final_base,
                     *(c.cells[i] for c in measured), r.variant.article_2022 or "—"))
    return table(head, rows, numeric={2 + n for n, c in enumerate(measured) if c.numeric})


def release_table(families: Sequence[str], releases: Sequence[Release], *,
                  href: Callable[[str], str] | None = None) -> str:
    """One row per Go release; per way of building, the image's size, its bytes, and the change
    since the oldest release."""
    if not releases:
        return "*No release measured yet.*"
    first = {f: releases[0].builds.get(f) for f in families}
    head = ["Go release"]
    for family in families:
        name = family_name(next(rel.builds[family] for rel in releases if family in rel.builds))
        head += [f"{name}: size", "bytes", f"vs {minor(releases[0].go_version)}"]
    rows = []
    for rel in releases:
        row: list[str] = [rel.go_version]
        for family in families:
            r, base = rel.builds.get(family), first[family]
            if r is None:
                row += ["—", "—", "—"]
                continue
            shown = human_size(r.measured.size_bytes)
            row += [link(href(r.id), shown) if href else shown, f"{r.measured.size_bytes:,}",
                    f"{r.measured.size_bytes / base.measured.size_bytes - 1:+.0%}" if base else "—"]
        rows.append(row)
    numeric = set(range(1, len(head)))
    return table(head, rows, numeric=numeric)


def family_name(result: Shown) -> str:
    """A sweep column's name: the variant's title without its Go release ("default build")."""
    name = re.sub(r"\bGo \d+(?:\.\d+)*,?\s*", "", result.variant.title).strip()
    return name or result.variant.family or result.id


def dockerfile_diff(before: Shown, after: Shown) -> str:
    """What changed from one variant's Dockerfile to the next, as a unified diff."""
    lines = difflib.unified_diff(before.variant.parsed.text.splitlines(keepends=True),
                                 after.variant.parsed.text.splitlines(keepends=True),
                                 fromfile=before.variant.dockerfile_rel, tofile=after.variant.dockerfile_rel, n=2)
    text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    title = f"{before.variant.dockerfile_rel} → {after.variant.dockerfile_rel}"
    return code_block(text or "(no change)\n", lang="diff", title=title)


def bases_table(bases: Sequence[BaseImage], *, support_words: Callable[[BaseImage], str],
                upstream_words: Callable[[BaseImage], str]) -> str:
    head = ("Base image", "Image ID", "Size", "Bytes", "Transfer", "Where it came from", "Against upstream", "Support")
    rows = []
    for b in bases:
        origin = _SOURCE_WORDS.get(b.source, b.source)
        if b.repo_digest:
            origin += f" ({b.repo_digest})"
        elif b.recipe_hash:
            origin += f" (recipe {b.recipe_hash[:12]})"
        transfer = human_size(b.transfer_bytes) if b.transfer_bytes is not None else "—"
        rows.append((b.reference, b.image_id.removeprefix("sha256:")[:12], human_size(b.size_bytes),
                     f"{b.size_bytes:,}", transfer, origin, upstream_words(b), support_words(b)))
    return table(head, rows, numeric={2, 3, 4})


def layers_table(result: Shown) -> str:
    """The image history: each instruction and the bytes it added, oldest first."""
    rows = [(_instruction(layer.created_by), human_size(layer.size_bytes), f"{layer.size_bytes:,}")
            for layer in result.measured.layers]
    return table(("Instruction", "Size", "Bytes"), rows, numeric={1, 2})


def layers_details(result: Shown) -> str:
    """The same table, collapsible, for the article."""
    table = layers_table(result)
    entries = counted(len(result.measured.layers), "history entry", "history entries")
    layers = counted(result.measured.layer_count, "filesystem layer")
    summary = html.escape(f"Layers of {result.tag}: {entries}, {layers}")
    return f'<details class="info">\n<summary>{summary}</summary>\n{table}\n</details>'


# How BuildKit records a RUN step: its build arguments ("|2 A=1 B=2") before the shell.
_BUILDKIT_RUN = re.compile(r"^RUN (?:\|\d+ .*?)?/bin/sh -c ")


def _instruction(created_by: str) -> str:
    """A layer's history entry as the instruction a reader wrote: the classic builder's
    "/bin/sh -c #(nop) COPY ..." and BuildKit's "RUN |1 A=b /bin/sh -c ... # buildkit" alike."""
    text = created_by.strip().removesuffix("# buildkit").rstrip()
    if text.startswith("/bin/sh -c #(nop)"):
        text = text.removeprefix("/bin/sh -c #(nop)").lstrip()
    elif text.startswith("/bin/sh -c "):
        text = "RUN " + text.removeprefix("/bin/sh -c ")
    else:
        text = _BUILDKIT_RUN.sub("RUN ", text)
    text = " ".join(text.split())
    return text if len(text) <= 140 else text[:139] + "…"


def facts_table(pairs: Sequence[tuple[str, str]]) -> str:
    return table(("What", "Value"), pairs)


def error_box(variant_id: str, message: str) -> str:
    """What `mkdocs serve` shows instead of numbers for a variant that failed."""
    body = code_block(message, title="what went wrong")
    indented = "\n".join("    " + line if line else "" for line in body.splitlines())
    return f'!!! failure "Variant {_attr(variant_id)} failed: no numbers are shown for it"\n\n{indented}'


def error_marker(variant_id: str) -> str:
    return f'<strong class="smallest-go-error">[{html.escape(variant_id)}: failed, see the error above]</strong>'


def ratio(value: float) -> str:
    """A "times smaller" factor: whole numbers from 10, one decimal from 2, two below."""
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}" if value >= 2 else f"{value:.2f}"


def link(href: str, text: str, *, code: bool = False, title: str = "") -> Html:
    inner = f"<code>{html.escape(text)}</code>" if code else html.escape(text)
    tip = f' title="{html.escape(title)}"' if title else ""
    return Html(f'<a href="{html.escape(href)}"{tip}>{inner}</a>')


def chart_block(svg: str) -> str:
    """Our own SVG (from chart.py), in the box the stylesheet sizes."""
    return f'<div class="size-chart">\n{svg}\n</div>'


def bases_summary(bases: Sequence[BaseImage]) -> str:
    """One sentence on where the bases came from, from the provenance itself."""
    kinds = {b.source for b in bases}
    names = ", ".join(f"<code>{html.escape(b.reference)}</code>" for b in bases)
    if kinds == {"stand-in"}:
        return (f"All {len(bases)} base images ({names}) are local stand-ins: no registry answered when they "
                "were provisioned, so each was built from its recipe in `dockerfiles/bases/`.")
    if kinds == {"pulled"}:
        return f"All {len(bases)} base images ({names}) were pulled from their registries."
    parts = [f"<code>{html.escape(b.reference)}</code>: {_SOURCE_WORDS.get(b.source, b.source)}" for b in bases]
    return "The base images came from different places: " + "; ".join(parts) + "."
