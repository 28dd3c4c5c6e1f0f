"""The History page's chart: each variant's size over the recorded builds, one line per variant,
the 2022 article's figure as the first point where it gave one. Drawn like the other charts
(chart.py): matplotlib, in the page's text colour, memoised by its inputs."""
from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Sequence
from pathlib import Path

from ..model.sizes import human_size
from .chart import LINE_COLOURS, figure, inline, memo, svg_of

_MARKERS = "os^D"
# (label, size in bytes or None where that build did not have the variant) per line
Line = tuple[str, list[int | None]]


def history_chart_svg(columns: Sequence[str], lines: Sequence[Line], *, title: str,
                      cache_dir: Path | None = None) -> str:
    """`columns`: the x labels (the article, then each build); `lines`: one per variant."""
    # memo keys on chart.py's source; this file's own joins the inputs, so a change here redraws
    drawn_by = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    return memo("history-", [list(columns), [list(line) for line in lines], title, drawn_by], cache_dir,
                 lambda: _draw(columns, lines, title))


def _spread(values: list[float], gap: float) -> list[float]:
    """Label positions (log10 of bytes) moved apart so that no two are closer than `gap`."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    placed = list(values)
    for before, after in itertools.pairwise(order):
        placed[after] = max(placed[after], placed[before] + gap)
    return placed


def _draw(columns: Sequence[str], lines: Sequence[Line], title: str) -> str:
    from matplotlib.ticker import FuncFormatter, LogLocator

    sizes = [s for _, points in lines for s in points if s is not None]
    low, high = min(sizes), max(sizes)
    decades = max(math.log10(high) - math.log10(low), 1.0)
    height = min(max(3.2, 0.28 * len(lines) + 1.8), 9.0)
    with figure(8.5, height) as (fig, ax):
        ends: list[tuple[float, str, str, float]] = []
        for n, (label, points) in enumerate(lines):
            # each line its own colour and marker pair, so that no two of up to 16 lines look alike
            colour, marker = LINE_COLOURS[n % len(LINE_COLOURS)], _MARKERS[n // len(LINE_COLOURS) % len(_MARKERS)]
            xs = [x for x, s in enumerate(points) if s is not None]
            ys = [s for s in points if s is not None]
            ax.plot(xs, ys, marker=marker, markersize=4.5, color=colour, linewidth=1.5)
            ends.append((math.log10(ys[-1]), f"{label}  {human_size(ys[-1])}", colour, xs[-1]))
        # direct labels at the right-hand end, spread so that equal sizes do not print on each other
        gap = decades / max(height - 1.0, 1.0) * 0.14
        placed = _spread([e[0] for e in ends], gap)
        right = len(columns) - 1
        for (end, text, colour, x), at in zip(ends, placed, strict=True):
            # a thin leader from the line's last point to its label, which spreading may have moved
            ax.plot([x, right + 0.07], [10 ** end, 10 ** at], color=colour, linewidth=0.6)
            ax.text(right + 0.08, 10 ** at, text, va="center", ha="left", fontsize=8.5, color=colour)
        ax.set_yscale("log")
        ax.set_ylim(low / 1.6, 10 ** max(placed) * 1.6)
        ax.yaxis.set_major_locator(LogLocator(base=10))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: human_size(v)))
        # within about a decade there are few major ticks: the minor ones get sizes too (matplotlib's
        # own labels for them are TeX, which this chart does not render)
        narrow = math.log10(high) - math.log10(low) < 1.5
        ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _pos: human_size(v) if narrow else ""))
        ax.set_xticks(range(len(columns)), columns, fontsize=9)
        ax.set_xlim(-0.3, -0.3 + (right + 0.6) / (1 - 0.38))  # the labels get the right 38%
        ax.set_ylabel("Image size (log scale)")
        ax.set_title(title, fontsize=11)
        svg = svg_of(fig, ax, grid="y")
    return inline(svg, label=f"{title}: image size by recorded build")
