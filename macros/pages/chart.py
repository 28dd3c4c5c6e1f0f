"""The size chart: an SVG made by matplotlib at build time, inlined in the page.

Text and axes are drawn in a sentinel colour that is then swapped for `currentColor`, so the chart
takes the page's text colour and reads in both the light and the dark scheme.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..model.files import write_atomic
from ..model.parts import PARTS, REFERENCES, title_of
from ..model.releases import Release, minor
from ..model.session import Shown
from ..model.sizes import human_size
from .render import staircase

_INK = "#010203"    # sentinel, replaced by currentColor
_BAR = "#4f86c6"    # mid blue: visible on white and on slate
LINE_COLOURS = (_BAR, "#d9822b", "#3a9a5b", "#a05fb5")
_PARAMS = {"text.parse_math": False,  # a title with a $ in it is text, not a formula
           "svg.fonttype": "none", "svg.hashsalt": "smallest-go", "font.size": 11,
           "text.color": _INK, "axes.labelcolor": _INK, "axes.edgecolor": _INK,
           "xtick.color": _INK, "ytick.color": _INK, "font.family": "sans-serif"}
_GRID = "#8c8c8c"


def size_chart_svg(results: Sequence[Shown], *, cache_dir: Path | None = None) -> str:
    """The chart for these results; reused from `cache_dir` when the same chart was drawn before
    (importing matplotlib and drawing costs more than a whole warm build of the pages)."""
    inputs = [(r.variant.title, r.measured.size_bytes, r.variant.part, PARTS.get(r.variant.part)) for r in results]
    return memo("", inputs, cache_dir, lambda: _draw(results))


def _colour(part: str) -> str:
    """A part's bars: its own colour where it declares one."""
    declared = PARTS.get(part)
    return declared.colour if declared and declared.colour else _BAR


def memo(kind: str, inputs: object, cache_dir: Path | None, draw: Callable[[], str]) -> str:
    """A chart drawn once per distinct input (and version of this file), then read back."""
    key = hashlib.sha256(json.dumps(inputs).encode() + Path(__file__).read_bytes()).hexdigest()
    cached = cache_dir / f"{kind}{key}.svg" if cache_dir else None
    if cached and cached.is_file():
        return cached.read_text(encoding="utf-8")
    svg = draw()
    if cached:
        write_atomic(cached, svg)
    return svg


def _draw(results: Sequence[Shown]) -> str:
    """The staircase: one bar per variant, top to bottom in reading order, on a log scale; the
    floor (a variant of a reference part, model/parts.py) is not a step but a dashed line every bar
    is measured against."""
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, LogLocator

    ordered = staircase(results)
    floors = [r for r in ordered if r.variant.part in REFERENCES]
    rows = [r for r in ordered if r.variant.part not in REFERENCES] or ordered
    sizes = [r.measured.size_bytes for r in rows] + [r.measured.size_bytes for r in floors]
    with figure(8.5, 0.55 * len(rows) + 1.6) as (fig, ax):
        positions = list(range(len(rows)))[::-1]  # the first row at the top
        colours = [_colour(r.variant.part) for r in rows]
        bars = ax.barh(positions, [r.measured.size_bytes for r in rows], color=colours, height=0.6)
        ax.set_yticks(positions, [r.variant.title for r in rows])
        ax.set_xscale("log")
        ax.set_xlim(min(sizes) / 3, max(sizes) * 12)
        ax.xaxis.set_major_locator(LogLocator(base=10))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: human_size(v)))
        for bar, r in zip(bars, rows, strict=True):
            ax.text(bar.get_width() * 1.15, bar.get_y() + bar.get_height() / 2, human_size(r.measured.size_bytes),
                    va="center", ha="left")
        for floor in floors:
            ax.axvline(floor.measured.size_bytes, color=_INK, linestyle="--", linewidth=1)
            ax.text(floor.measured.size_bytes * 1.12, len(rows) - 0.45,
                    f"{floor.variant.title}: {floor.measured.size_bytes:,} bytes",
                    va="bottom", ha="left", fontsize=10)
        parts = dict.fromkeys(r.variant.part for r in rows)
        if len(parts) > 1:
            ax.legend(handles=[Patch(color=_colour(p), label=title_of(p)) for p in parts],
                      loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2,
                      frameon=False, fontsize=10)  # above the bars: it hides no bar's label
        ax.set_ylim(-0.6, len(rows) + 0.4)
        ax.set_xlabel("Image size (log scale: the files its layers add or change)")
        svg = svg_of(fig, ax, grid="x")
    return inline(svg, label="Image sizes by variant, largest first")


@contextmanager
def figure(width: float, height: float) -> Iterator[tuple[Any, Any]]:
    """A matplotlib figure and axes in our style, transparent, closed afterwards."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    with plt.rc_context(_PARAMS):
        fig, ax = plt.subplots(figsize=(width, height))
        try:
            fig.patch.set_alpha(0)
            ax.set_facecolor("none")
            yield fig, ax
        finally:
            plt.close(fig)


def svg_of(fig: Any, ax: Any, *, grid: str) -> str:
    """The figure as SVG text, with a light grid along one axis and no top or right frame."""
    ax.grid(axis=grid, color=_GRID, alpha=0.4, linewidth=0.6)
    ax.set_axisbelow(True)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    fig.tight_layout()
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def inline(svg: str, *, label: str) -> str:
    """matplotlib's SVG made fit for inlining in a Markdown page, in the page's text colour."""
    svg = svg.replace(_INK, "currentColor")
    svg = svg[svg.index("<svg"):]                      # drop the XML prolog and doctype
    svg = re.sub(r"\n\s*\n", "\n", svg)                  # no blank lines inside a raw HTML block
    svg = re.sub(r'<svg ([^>]*?)width="[^"]*" height="[^"]*"', r'<svg \1', svg, count=1)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" style="max-width:100%;height:auto" ', 1)


def release_chart_svg(families: Sequence[str], releases: Sequence[Release], *, names: dict[str, str],
                      then: tuple[str, int, str] | None = None, now: Shown | None = None,
                      cache_dir: Path | None = None) -> str:
    """Image size by Go release, one line per way of building. `then`: the 2022 figure as
    (release, bytes, label), drawn at its release with `now` (the same Dockerfile measured today)
    beside it, so the reader sees both ends of the gap."""
    inputs = [[(f, rel.go_version, rel.builds[f].measured.size_bytes) for f in families if f in rel.builds]
              for rel in releases]
    extra = [then, (now.measured.go_version, now.measured.size_bytes, now.variant.title) if now else None, names]
    return memo("releases-", [inputs, extra], cache_dir,
                 lambda: _draw_releases(families, releases, names=names, then=then, now=now))


def _draw_releases(families: Sequence[str], releases: Sequence[Release], *, names: dict[str, str],
                   then: tuple[str, int, str] | None, now: Shown | None) -> str:
    from matplotlib.ticker import FuncFormatter

    labels = ([then[0]] if then else []) + [minor(rel.go_version) for rel in releases]
    at = {label: i for i, label in enumerate(labels)}
    with figure(8.5, 5.4) as (fig, ax):
        for family, colour, marker in zip(families, LINE_COLOURS, "os^D", strict=False):
            points = [(at[minor(rel.go_version)], rel.builds[family].measured.size_bytes)
                      for rel in releases if family in rel.builds]
            ax.plot([x for x, _ in points], [y for _, y in points], marker=marker, color=colour,
                    label=names.get(family, family), linewidth=1.8)
        if then:
            ax.plot([at[then[0]]], [then[1]], marker="*", markersize=13, color=_INK, linestyle="none",
                    label=then[2])
        if now is not None and minor(now.measured.go_version) in at:
            ax.plot([at[minor(now.measured.go_version)]], [now.measured.size_bytes], marker="*", markersize=13,
                    color=_GRID, linestyle="none", label=f"{now.variant.title}, measured now")
        ax.set_xticks(range(len(labels)), labels)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: human_size(v)))
        ax.set_xlabel("Go release")
        ax.set_ylabel("Image size (the files its layers add or change)")
        ax.legend(frameon=False, fontsize=10, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
        svg = svg_of(fig, ax, grid="y")
    return inline(svg, label="Image size by Go release")


_THEN, _NOW = _GRID, "#d9822b"  # the earlier edition in grey, today's in orange: both read on light and dark


def editions_chart_svg(rows: Sequence[tuple[str, Shown | None, Shown]], *, cache_dir: Path | None = None) -> str:
    """Two bars per row, the earlier edition's over today's, on a log scale."""
    inputs = [(label, then.variant.edition if then else "", then.measured.size_bytes if then else None,
               now.variant.edition, now.measured.size_bytes) for label, then, now in rows]
    return memo("editions-", inputs, cache_dir, lambda: _draw_editions(rows))


def _draw_editions(rows: Sequence[tuple[str, Shown | None, Shown]]) -> str:
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, LogLocator

    sizes = [r.measured.size_bytes for _, then, now in rows for r in (then, now) if r is not None]
    then_years = sorted({then.variant.edition for _, then, _ in rows if then})
    now_years = sorted({now.variant.edition for _, _, now in rows})
    with figure(8.5, 0.9 * len(rows) + 1.6) as (fig, ax):
        centres = list(range(len(rows)))[::-1]
        for centre, (_, then, now) in zip(centres, rows, strict=True):
            for r, offset, colour in ((then, 0.2, _THEN), (now, -0.2, _NOW)):
                if r is None:
                    continue
                ax.barh(centre + offset, r.measured.size_bytes, height=0.38, color=colour)
                ax.text(r.measured.size_bytes * 1.15, centre + offset, human_size(r.measured.size_bytes),
                        va="center", ha="left", fontsize=10)
        ax.set_yticks(centres, [label for label, _, _ in rows])
        ax.set_xscale("log")
        ax.set_xlim(min(sizes) / 3, max(sizes) * 12)
        ax.xaxis.set_major_locator(LogLocator(base=10))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: human_size(v)))
        ax.set_ylim(-0.7, len(rows) - 0.3)
        handles = [Patch(color=_THEN, label=f"{', '.join(then_years)} edition")] if then_years else []
        handles.append(Patch(color=_NOW, label=f"{', '.join(now_years)} edition"))
        ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False,
                  fontsize=10)
        ax.set_xlabel("Image size (log scale: the files its layers add or change)")
        svg = svg_of(fig, ax, grid="x")
    return inline(svg, label="Image sizes, each edition side by side")
