"""The mkdocs-macros module: measure every variant once per build and expose the numbers as macros.

Importing this package is cheap; the work happens in `define_env`, which mkdocs-macros calls once
per build (on every rebuild under `mkdocs serve`).
"""
from __future__ import annotations

import functools
import html
import inspect
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

from . import detail, render
from .errors import ProjectError, did_you_mean
from .log import log
from .measure import human_size
from .paths import CACHE
from .variants import PARTS

RESULTS_JSON = "results.json"
_SESSION = "smallest_go_session"
_BAD_CALLS = "smallest_go_bad_calls"


class _VariantFailed(Exception):
    def __init__(self, variant_id: str, message: str) -> None:
        super().__init__(message)
        self.variant_id, self.message = variant_id, message


class _BadCall(Exception):
    """A page calls a macro with a name that does not exist, or with the wrong arguments."""


def _unknown(what: str, name: str, known: list[str]) -> _BadCall:
    return _BadCall(f"no {what} {name!r}{did_you_mean(name, known)}; known: {', '.join(known)}")


def _serving() -> bool:
    """Under `mkdocs serve` a failed variant shows an error box; a real build fails instead."""
    return len(sys.argv) > 1 and sys.argv[1] == "serve"


def define_env(env: Any) -> None:
    from . import interrupt
    from .session import measure_all

    interrupt.install()
    try:
        session = measure_all(keep_going=_serving())
    except ProjectError as exc:
        # The one place a project error becomes a failed build: a message, no traceback.
        raise PluginError(str(exc)) from None
    env.variables[_SESSION] = session
    bad_calls: list[str] = []
    env.variables[_BAD_CALLS] = bad_calls

    def result(variant_id: str):  # noqa: ANN202 - a Result, for templates
        if variant_id in session.failures:
            raise _VariantFailed(variant_id, session.failures[variant_id])
        try:
            return session.result(variant_id)
        except KeyError:
            raise _unknown("variant", variant_id, [r.id for r in session.results] + list(session.failures)) from None

    def macro(*, block: bool) -> Callable[[Callable[..., str]], Callable[..., str]]:
        """Register a macro; a failed variant renders as an error box (block) or a marker (inline).
        A call naming something that does not exist is noted, shown on the page, and fails the
        build once the page is rendered (see on_post_page_macros): mkdocs-macros would otherwise
        print a traceback."""
        def register(fn: Callable[..., str]) -> Callable[..., str]:
            signature = inspect.signature(fn)

            @functools.wraps(fn)
            def guarded(*args: Any, **kwargs: Any) -> str:
                try:
                    try:
                        signature.bind(*args, **kwargs)
                    except TypeError as exc:
                        raise _BadCall(f"{exc} (it takes {fn.__name__}({', '.join(signature.parameters)}))") from None
                    return fn(*args, **kwargs)
                except _VariantFailed as failed:
                    return render.error_box(failed.variant_id, failed.message) if block \
                        else render.error_marker(failed.variant_id)
                except _BadCall as bad:
                    page = env.page.file.src_uri if env.page is not None else "a page"
                    message = f"{page}: {fn.__name__}({', '.join(map(repr, args))}): {bad}"
                    bad_calls.append(message)
                    if _serving():  # a build stops on it after this page, and says it there
                        log.error(message)
                    return render.error_box(fn.__name__, message) if block else render.error_marker(fn.__name__)
            env.macro(guarded)
            return guarded
        return register

    @macro(block=True)
    def dockerfile(variant_id: str) -> str:
        """The exact Dockerfile that was built, in a titled code block."""
        r = result(variant_id)
        return render.code_block(r.dockerfile_text, lang="dockerfile", title=r.dockerfile)

    @macro(block=True)
    def run_output(variant_id: str) -> str:
        return render.run_block(result(variant_id))

    @macro(block=False)
    def size(variant_id: str) -> str:
        return result(variant_id).size_human

    @macro(block=False)
    def size_bytes(variant_id: str) -> str:
        return f"{result(variant_id).size_bytes:,}"

    @macro(block=False)
    def transfer(variant_id: str) -> str:
        return human_size(result(variant_id).compressed_bytes)

    @macro(block=False)
    def binary_size(variant_id: str) -> str:
        return human_size(result(variant_id).binary_bytes)

    @macro(block=False)
    def go_version(variant_id: str) -> str:
        return result(variant_id).go_version

    @macro(block=False)
    def times_smaller(big: str, small: str) -> str:
        ratio = result(big).size_bytes / result(small).size_bytes
        return f"{ratio:,.0f}" if ratio >= 10 else f"{ratio:.1f}" if ratio >= 2 else f"{ratio:.2f}"

    @macro(block=False)
    def difference(big: str, small: str) -> str:
        return human_size(result(big).size_bytes - result(small).size_bytes)

    @macro(block=True)
    def layers(variant_id: str) -> str:
        return render.layers_details(result(variant_id))

    def from_here(url: str) -> str:
        """A site-root-relative URL as seen from the page being rendered (raw HTML links are
        not rewritten by mkdocs)."""
        depth = env.page.url.count("/") if env.page is not None else 0
        return "../" * depth + url

    def detail_href(variant_id: str) -> str:
        return from_here(detail.page_url(variant_id, directory_urls=env.conf["use_directory_urls"]))

    @macro(block=False)
    def results_table(part: str = "") -> str:
        """All variants (or one part's), each linked to its detail page."""
        if part and part not in PARTS:
            raise _unknown("part", part, list(PARTS))
        return render.results_table([r for r in session.results if not part or r.part == part], href=detail_href)

    @macro(block=True)
    def variant_detail(variant_id: str) -> str:
        return detail.variant_page(result(variant_id), session.bases)

    @macro(block=True)
    def dockerfile_diff(before: str, after: str) -> str:
        """What changed from one variant's Dockerfile to the next."""
        return render.dockerfile_diff(result(before), result(after))

    @macro(block=False)
    def detail_link(variant_id: str, text: str = "") -> str:
        r = result(variant_id)
        return f'<a href="{html.escape(detail_href(variant_id))}">{html.escape(text or r.title)}</a>'

    @macro(block=False)
    def start_time(variant_id: str) -> str:
        """Median start-up, from the start call to the exit, over the sandboxed runs."""
        return render.milliseconds(result(variant_id).start_s)

    @macro(block=False)
    def process_time(variant_id: str) -> str:
        """Median lifetime of the process itself, as the engine recorded it."""
        return render.lifetime(result(variant_id).process_s)

    @macro(block=False)
    def start_runs(variant_id: str) -> str:
        return str(result(variant_id).start_runs)

    @macro(block=False)
    def percent_smaller(big: str, small: str) -> str:
        return f"{1 - result(small).size_bytes / result(big).size_bytes:.0%}"

    @macro(block=False)
    def binary_share(variant_id: str) -> str:
        """How much of the image the binary is, as a multiple of the binary's bytes."""
        r = result(variant_id)
        return f"{r.size_bytes / r.binary_bytes:.3f}" if r.binary_bytes else "—"

    @macro(block=False)
    def bases_table() -> str:
        return render.bases_table(session.bases)

    @macro(block=False)
    def bases_summary() -> str:
        return render.bases_summary(session.bases)

    @macro(block=False)
    def base_size(reference: str) -> str:
        for b in session.bases:
            if b.reference == reference:
                return human_size(b.size_bytes)
        raise _unknown("base image", reference, [b.reference for b in session.bases])

    @macro(block=False)
    def size_chart(part: str = "") -> str:
        """The staircase chart of all variants (or one part's)."""
        from .chart import size_chart_svg

        if part and part not in PARTS:
            raise _unknown("part", part, list(PARTS))
        shown = [r for r in session.results if not part or r.part == part]
        return f'<div class="size-chart">\n{size_chart_svg(shown, cache_dir=CACHE / "charts")}\n</div>'

    @macro(block=False)
    def engine_table() -> str:
        e = session.engine
        return render.facts_table([
            ("Docker Engine", e.version), ("Engine API", e.api_version), ("Storage driver", e.storage_driver),
            ("Engine OS", e.os), ("Architecture", e.arch), ("Kernel", e.kernel),
            ("Measured at (UTC)", session.generated_at),
        ])

    @macro(block=False)
    def benchmark_table() -> str:
        """The latest figures of scripts/benchmark.py, with the machine they came from."""
        path = Path(env.conf["docs_dir"]) / "data" / "benchmark.json"
        if not path.is_file():
            return "*The benchmark has not been run yet: `.venv/bin/python scripts/benchmark.py`.*"
        data = json.loads(path.read_text(encoding="utf-8"))
        table = render.benchmark_table(data["rows"])
        return f"{table}\n\nMeasured {data['measured_at']} on {data['machine']}."

    @macro(block=False)
    def measured_at() -> str:
        return session.generated_at

    @macro(block=False)
    def results_link(text: str = RESULTS_JSON) -> str:
        """A link to results.json that works from any page depth (raw HTML: mkdocs does not
        know the file, which is written after the pages)."""
        return f'<a href="{from_here(RESULTS_JSON)}"><code>{html.escape(text)}</code></a>'


def on_post_page_macros(env: Any) -> None:
    """After each page's macros: a call that named nothing fails the build here, where
    mkdocs-macros lets the error through as it is (under `mkdocs serve` the page shows it)."""
    bad_calls = env.variables.get(_BAD_CALLS)
    if bad_calls and not _serving():
        count = len(bad_calls)
        raise PluginError(f"{count} macro call{'s' if count > 1 else ''} in the pages cannot be answered:\n  "
                          + "\n  ".join(bad_calls)
                          + "\n  --> Use a variant id from dockerfiles/variants.yml, or a base the Dockerfiles name.")


def on_post_build(env: Any) -> None:
    """Write results.json beside the pages, from the same session the pages were made from."""
    session = env.variables.get(_SESSION)
    if session is None:
        return
    target = Path(env.conf["site_dir"]) / RESULTS_JSON
    session.write_json(target)
    log.info(f"wrote {target}")
