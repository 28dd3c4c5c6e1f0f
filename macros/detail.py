"""The detail page every variant gets, made from its Result alone: no variant needs prose to be shown.

Pure, like render.py: records in, Markdown out, everything inserted escaped. The pages themselves
are added to the site by `hooks/variant_pages.py` (an mkdocs hook); their text is one macro call.
"""
from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from . import render
from .measure import human_size
from .parts import PARTS
from .results import Result

if TYPE_CHECKING:
    from .measured import BaseImage

FOLDER = "variants"  # the detail pages live under docs/variants/ (generated, never on disk)


def page_path(variant_id: str) -> str:
    """The detail page's source path, as mkdocs knows it."""
    return f"{FOLDER}/{variant_id}.md"


def page_url(variant_id: str, *, directory_urls: bool) -> str:
    """The detail page's URL relative to the site root, as mkdocs will write it."""
    return f"{FOLDER}/{variant_id}/" if directory_urls else f"{FOLDER}/{variant_id}.html"


def markdown_text(text: str) -> str:
    """Plain text safe in Markdown prose: HTML escaped, Markdown punctuation backslash-escaped."""
    return re.sub(r"([\\`*_{}\[\]()#+!|~>-])", r"\\\1", html.escape(text, quote=False))


def variant_page(result: Result, bases: Sequence[BaseImage]) -> str:
    """Heading, description, Dockerfile, verified run, sizes, layers and where the bases came from."""
    r = result
    used = [b for b in bases if b.reference in r.bases]
    sections = [
        f"# {markdown_text(r.title)}",
        f"{markdown_text(r.description)}",
        f"*{markdown_text(PARTS.get(r.part, r.part))}.* Built from `{r.dockerfile}`; measured {r.measured_at} "
        f"(UTC){', reused from the cache by this build' if r.reused else ', by this build'}.",
        "## The Dockerfile",
        render.code_block(r.dockerfile_text, lang="dockerfile", title=r.dockerfile),
        "## What it does",
        f"Declared in the variants file: it must {markdown_text(r.expected)}. What the sandboxed run did:",
        render.run_block(r),
        "## Sizes and times",
        render.facts_table(facts(r)),
        "## Layers",
        render.layers_table(r),
        "## Base images",
        render.bases_table(used) if used else "None: every stage that is shipped starts from `scratch`, and "
        "the build stages name no image.",
    ]
    return "\n\n".join(sections) + "\n"


def facts(r: Result) -> list[tuple[str, str]]:
    """The numbers of one variant, in words a reader can check against `docker` itself."""
    return [
        ("Image size (as docker images shows it)", r.size_human),
        ("Image size in bytes", f"{r.size_bytes:,}"),
        ("Transfer size (compressed, as the registry stores it)", human_size(r.compressed_bytes)),
        ("Stored in the registry as", r.registry_ref or "—"),
        ("Filesystem layers", str(r.layer_count)),
        ("Binary", f"{r.binary_bytes:,} bytes" if r.binary_bytes else "— (none declared)"),
        ("Share of the image that is the binary",
         f"{r.binary_bytes / r.size_bytes:.1%}" if r.binary_bytes and r.size_bytes else "—"),
        ("Go version (from the binary's build info)", r.go_version or "— (none readable: not Go, or packed)"),
        ("Start-up, start call to exit (median)", _runs(render.milliseconds, r.start_s, r.start_runs)),
        ("The process alone, as the engine recorded it (median)", _runs(render.lifetime, r.process_s, r.start_runs)),
        ("Build time", f"{r.build_s:.1f} s"),
        ("Final base", r.final_base),
        ("Image ID", r.image_id),
        ("Tag", r.tag),
    ]


def _runs(shown: Callable[[float | None], str], seconds: float | None, runs: int) -> str:
    if not runs:
        return "— (declared not to start)"
    return f"{shown(seconds)}, over {runs} runs"
