"""The benchmark's figures (docs/data/benchmark.json, numbers only) as the rows of a table. Pure."""
from __future__ import annotations

import html
import re
import statistics
from typing import Any, NamedTuple

from ..model.words import counted
from .markup import Html, moment
from .render import table


class BenchmarkRow(NamedTuple):  # a NamedTuple: see Layer in model/measurement.py
    scenario: str
    ours: str
    compared_with: str
    result: str
    detail: bool = False  # breaks down the row above it


def _against(ratio: float, goal: float) -> str:
    """A ratio beside its goal, with the verdict said: three decimals, so that rounding never
    shows a ratio just over the goal as equal to it."""
    return f"{ratio:.3f} (goal ≤ {goal}: {'met' if ratio <= goal else 'missed'})"


def _warm_verdict(warm: dict[str, Any]) -> str:
    """Ours over the plugin alone: the median of the per-round ratios, and the middle half of them."""
    low, high = warm["ours_over_plugin_iqr"]
    return f"{_against(warm['ours_over_plugin'], warm['goal_ratio'])}; middle half of the rounds {low:.3f}–{high:.3f}"


def _met(ok: bool) -> str:
    return "met" if ok else "missed"


def benchmark_rows(data: dict[str, Any]) -> list[BenchmarkRow]:
    """docs/data/benchmark.json (numbers, as scripts/benchmark.py measured them) as table rows."""
    rows: list[BenchmarkRow] = []
    for cold in data.get("cold", []):
        what = ("layer cache empty, as on a new machine" if cold["layer_cache"]
                else "no layer cache, both sides --no-cache")
        low, high = cold["ratio_range"]  # the ratio within each round: its median and its range
        one = cold["runs"] == 1  # one round has no median and no range to give
        how = "one round" if one else f"median of {cold['runs']} rounds, the ratio taken within each"
        verdict = _against(cold["ratio"], cold["goal_ratio"]) + ("" if one else f"; rounds {low:.3f}–{high:.3f}")
        rows.append(BenchmarkRow(f"cold build, {what} ({how}; bases already in the registry)",
                                 f"{cold['project_s']:.1f} s", f"shell loop {cold['shell_s']:.1f} s", verdict))
        if "project_startup_s" in cold:  # measured since results.json schema 16
            startup, rest = cold["project_startup_s"], cold["project_s"] - cold["project_startup_s"]
            rows.append(BenchmarkRow("of which the start-up runs, one image at a time "
                                     "(the shell loop runs each image once)",
                                     f"{startup:.1f} s", f"the rest {rest:.1f} s",
                                     f"the rest over the shell loop: {rest / cold['shell_s']:.3f}", detail=True))
    if warm := data.get("warm"):
        ours, frozen, plugin = warm["ours_s"], warm["frozen_s"], warm["frozen_plugin_s"]
        rows += [
            BenchmarkRow(f"warm build, every result cached (median of {warm['runs']})", f"{ours:.2f} s",
                         f"frozen pages {frozen:.2f} s", f"{ours / frozen:.2f}"),
            BenchmarkRow("the macros plugin alone (frozen pages, empty module)", f"{plugin:.2f} s",
                         f"frozen pages {frozen:.2f} s", f"{plugin / frozen:.2f}", detail=True),
            BenchmarkRow("ours on top of the plugin (median of the ratios within each round)",
                         f"+{ours - plugin:.2f} s", f"plugin alone {plugin:.2f} s", _warm_verdict(warm), detail=True),
        ]
    if serve := data.get("serve"):
        slowest, median = max(serve["seconds"]), statistics.median(serve["seconds"])
        runs = len(serve["seconds"])
        rows.append(BenchmarkRow(f"mkdocs serve: a page edited, until it is served again (median of {runs})",
                                 f"{median:.2f} s", f"slowest {slowest:.2f} s",
                                 f"(goal ≤ {serve['goal_s']} s: median {_met(median <= serve['goal_s'])}, "
                                 f"slowest {_met(slowest <= serve['goal_s'])})"))
    if inc := data.get("incremental"):
        when = f", measured apart at {inc['measured_at']}" if "measured_at" in inc else ""
        rows.append(BenchmarkRow(f"incremental: {inc['edited']} edited{when}", f"{inc['seconds']:.1f} s",
                                 f"measured again: {', '.join(inc['measured']) or 'nothing'}",
                                 f"{counted(len(inc['measured']), 'variant')} (goal: exactly one: "
                                 f"{_met(len(inc['measured']) == 1)})"))
    peaks = [cold["peak_rss_mib"] for cold in data.get("cold", [])]
    if peaks:
        rows.append(BenchmarkRow("peak memory of the cold mkdocs builds", f"{max(peaks):.0f} MiB", "",
                                 f"(goal < 250 MiB: {_met(max(peaks) < 250)})"))
    return rows


def benchmark(data: dict[str, Any]) -> str:
    """The benchmark's table, then when and where it was measured."""
    def scenario(row: BenchmarkRow) -> str:
        return Html(f'<span class="detail-row">↳ {html.escape(row.scenario)}</span>') if row.detail else row.scenario

    shown = [(scenario(r), _glued(r.ours), _glued(r.compared_with), r.result) for r in benchmark_rows(data)]
    shown_table = table(("Scenario", "This project", "Compared with", "Ratio or result"), shown)
    when, where = moment(data["measured_at"]), html.escape(data["machine"])
    return f"{shown_table}\n\nMeasured {when} on {where}."


def _glued(text: str) -> Html:
    """Escaped, each figure kept on one line with its unit (a narrow column wrapped "79.9 / s")."""
    return Html(re.sub(r"(\d) (s|ms|MiB)\b", r"\1&nbsp;\2", html.escape(text)))


def not_yet_benchmarked() -> str:
    return "*The benchmark has not been run yet: `.venv/bin/python scripts/benchmark.py`.*"
