"""The detail page every variant gets, made from its Shown alone: no variant needs prose to be shown.

Pure, like render.py: records in, Markdown out, everything inserted escaped. The pages themselves
are added to the site by the smallest-go plugin (plugin.py); their text is one macro call.
"""
from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..model.parts import title_of
from ..model.session import Shown
from . import fidelity_macros, formats, markup, render

if TYPE_CHECKING:
    from ..model.records import BaseImage

FOLDER = "variants"  # the detail pages live under docs/variants/ (generated, never on disk)


def page_path(variant_id: str) -> str:
    """The detail page's source path, as mkdocs knows it."""
    return f"{FOLDER}/{variant_id}.md"


def page_url(variant_id: str, *, directory_urls: bool) -> str:
    """The detail page's URL relative to the site root, as mkdocs will write it."""
    return f"{FOLDER}/{variant_id}/" if directory_urls else f"{FOLDER}/{variant_id}.html"


BUILD_LOG, RUN_OUTPUT = "build.log", "output.txt"  # published beside each variant's page


def published_files(result: Shown) -> dict[str, str]:
    """The files published beside a variant's page (source path -> text): its build log and its
    verified run, whole (as far as they were kept)."""
    return {f"{FOLDER}/{result.id}/{BUILD_LOG}": result.measured.build_log,
            f"{FOLDER}/{result.id}/{RUN_OUTPUT}": run_text(result)}


def run_text(result: Shown) -> str:
    """The verification run of one variant as plain text: what was declared, then what happened."""
    m = result.measured
    lines = [f"variant: {result.id}", f"image: {m.image_id}", f"declared: it must {result.variant.expect.describe()}",
             f"exit code: {m.exit_code if m.exit_code is not None else '(none: it did not start)'}"]
    if m.start_error:
        lines.append(f"the engine could not start it: {m.start_error}")
    for name, text, total, cut in (("stdout", m.stdout, m.stdout_bytes, m.stdout_truncated),
                                   ("stderr", m.stderr, m.stderr_bytes, m.stderr_truncated)):
        lines.append(f"----- {name}: {total:,} bytes" + (" (only the first ones kept) -----" if cut else " -----"))
        lines.append(text.rstrip("\n"))
    return "\n".join(lines) + "\n"


def markdown_text(text: str) -> str:
    """Plain text safe in Markdown prose: HTML escaped, Markdown punctuation backslash-escaped."""
    return re.sub(r"([\\`*_{}\[\]()#+!|~>-])", r"\\\1", html.escape(text, quote=False))


def variant_page(result: Shown, bases: Sequence[BaseImage], *,
                 support_words: Callable[[BaseImage], str] = lambda _b: "—", times_note: str = "") -> str:
    """Heading, description, Dockerfile, verified run, sizes, layers and where the bases came from
    (with `support_words`: where each stands in its support windows; `times_note`, when there is
    one, under the sizes and times: how they were measured, if not natively)."""
    v = result.variant
    edition = f" Edition {v.edition} (the year of its bases)." if v.edition else ""
    if v.redoes:
        edition += f" It builds `{v.redoes}` again on newer bases."
    used = [b for b in bases if b.reference in v.bases]
    sections = [
        f"# {markdown_text(v.title)}",
        f"{markdown_text(v.description)}",
        f"*{markdown_text(title_of(v.part))}.* Built from `{v.dockerfile_rel}`; measured "
        f"{markup.moment(result.measured.measured_at)}"
        f"{', reused from the cache by this build' if result.reused else ', by this build'}.{edition}",
        "## The Dockerfile",
        render.code_block(v.parsed.text, lang="dockerfile", title=v.dockerfile_rel),
        "## What it does",
        f"Declared in the variants file: it must {markdown_text(v.expect.describe())}. What the sandboxed run did:",
        render.run_block(result),
        f"As files: the build's log, [{BUILD_LOG}]({result.id}/{BUILD_LOG}), and this run, "
        f"[{RUN_OUTPUT}]({result.id}/{RUN_OUTPUT}).",
        "## Sizes and times",
        render.facts_table(facts(result)),
        *([times_note] if times_note else []),
        "## Layers",
        render.layers_table(result),
        "## Base images",
        render.bases_table(used, support_words=support_words, upstream_words=fidelity_macros.short) if used else
        "None: every stage that is shipped starts from `scratch`, and the build stages name no image.",
    ]
    return "\n\n".join(sections) + "\n"


def facts(r: Shown) -> list[tuple[str, str]]:
    """The numbers of one variant, in words a reader can check against `docker` itself: each
    measured quantity measurement.py declares for this page, then what the build named it."""
    return [*formats.facts(r), ("Final base", r.variant.final_base), ("Tag", r.tag)]
