"""The size chart: an SVG made by matplotlib at build time, inlined in the page.

Text and axes are drawn in a sentinel colour that is then swapped for `currentColor`, so the chart
takes the page's text colour and reads in both the light and the dark scheme.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path

from .cache import write_atomic
from .measure import human_size
from .results import Result

_INK = "#010203"    # sentinel, replaced by currentColor
_BAR = "#4f86c6"    # mid blue: visible on white and on slate
_GRID = "#8c8c8c"


def size_chart_svg(results: Sequence[Result], *, cache_dir: Path | None = None) -> str:
    """The chart for these results; reused from `cache_dir` when the same chart was drawn before
    (importing matplotlib and drawing costs more than a whole warm build of the pages)."""
    inputs = [(r.title, r.size_bytes) for r in results]
    key = hashlib.sha256(json.dumps(inputs).encode() + Path(__file__).read_bytes()).hexdigest()
    cached = cache_dir / f"{key}.svg" if cache_dir else None
    if cached and cached.is_file():
        return cached.read_text(encoding="utf-8")
    svg = _draw(results)
    if cached:
        write_atomic(cached, svg)
    return svg


def _draw(results: Sequence[Result]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator

    rows = sorted(results, key=lambda r: r.size_bytes)
    params = {"svg.fonttype": "none", "svg.hashsalt": "smallest-go", "font.size": 11,
              "text.color": _INK, "axes.labelcolor": _INK, "axes.edgecolor": _INK,
              "xtick.color": _INK, "ytick.color": _INK, "font.family": "sans-serif"}
    with plt.rc_context(params):
        fig, ax = plt.subplots(figsize=(8, 0.7 * len(rows) + 1.2))
        try:
            fig.patch.set_alpha(0)
            ax.set_facecolor("none")
            labels = [r.title for r in rows]
            sizes = [r.size_bytes for r in rows]
            bars = ax.barh(labels, sizes, color=_BAR, height=0.6)
            ax.set_xscale("log")
            ax.set_xlim(min(sizes) / 3, max(sizes) * 8)
            ax.xaxis.set_major_locator(LogLocator(base=10))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: human_size(v)))
            ax.grid(axis="x", color=_GRID, alpha=0.4, linewidth=0.6)
            ax.set_axisbelow(True)
            for spine in ("top", "right"):
                ax.spines[spine].set_visible(False)
            for bar, r in zip(bars, rows):
                ax.text(bar.get_width() * 1.15, bar.get_y() + bar.get_height() / 2, r.size_human,
                        va="center", ha="left")
            ax.set_xlabel("Image size (log scale, as docker images reports it)")
            fig.tight_layout()
            out = io.StringIO()
            fig.savefig(out, format="svg", metadata={"Date": None})
        finally:
            plt.close(fig)
    svg = out.getvalue().replace(_INK, "currentColor")
    svg = svg[svg.index("<svg"):]                      # drop the XML prolog and doctype
    svg = re.sub(r"\n\s*\n", "\n", svg)                  # no blank lines inside a raw HTML block
    svg = re.sub(r'<svg ([^>]*?)width="[^"]*" height="[^"]*"', r'<svg \1', svg, count=1)
    return svg.replace("<svg ", '<svg role="img" aria-label="Image sizes by variant" '
                       'style="max-width:100%;height:auto" ', 1)
