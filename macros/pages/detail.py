"""The detail page every variant gets, made from its Shown alone: no variant needs prose to be shown.

Pure, like render.py: records in, Markdown out, everything inserted escaped. The pages themselves
are added to the site by the smallest-go plugin (plugin.py); their text is one macro call.
"""
from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..model.measurement import Measurement
from ..model.parts import title_of
from ..model.session import Shown
from ..model.sizes import human_size
from . import fidelity_macros, render

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
                 support_words: Callable[[BaseImage], str] = lambda _b: "—") -> str:
    """Heading, description, Dockerfile, verified run, sizes, layers and where the bases came from
    (with `support_words`: where each stands in its support windows)."""
    v = result.variant
    edition = f" Edition {v.edition} (the year of its bases)." if v.edition else ""
    if v.redoes:
        edition += f" It builds `{v.redoes}` again on newer bases."
    used = [b for b in bases if b.reference in v.bases]
    sections = [
        f"# {markdown_text(v.title)}",
        f"{markdown_text(v.description)}",
        f"*{markdown_text(title_of(v.part))}.* Built from `{v.dockerfile_rel}`; measured "
        f"{result.measured.measured_at} (UTC)"
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
        "## Layers",
        render.layers_table(result),
        "## Base images",
        render.bases_table(used, support_words=support_words, upstream_words=fidelity_macros.short) if used else
        "None: every stage that is shipped starts from `scratch`, and the build stages name no image.",
    ]
    return "\n\n".join(sections) + "\n"


def facts(r: Shown) -> list[tuple[str, str]]:
    """The numbers of one variant, in words a reader can check against `docker` itself."""
    m = r.measured
    return [
        ("Image size (the files its layers add or change)", human_size(m.size_bytes)),
        ("Image size in bytes", f"{m.size_bytes:,}"),
        ("Transfer size (compressed, as the registry stores it)", human_size(m.compressed_bytes)),
        *((("What this engine's image store reports (docker image inspect)", f"{m.store_bytes:,} bytes"),)
          if m.store_bytes != m.size_bytes else ()),
        ("Stored in the registry as", m.registry_ref or "—"),
        ("Filesystem layers", str(m.layer_count)),
        ("Binary", f"{m.binary_bytes:,} bytes" if m.binary_bytes else "— (none declared)"),
        ("Share of the image that is the binary",
         f"{m.binary_bytes / m.size_bytes:.1%}" if m.binary_bytes and m.size_bytes else "—"),
        ("Go version (from the binary's build info)", m.go_version or "— (none readable: not Go, or packed)"),
        ("Start-up, start call to exit (median)", _runs(render.milliseconds, m.start_s, m.start_runs)),
        ("The process alone, as the engine recorded it (median)", _runs(render.lifetime, m.process_s, m.start_runs)),
        ("Peak memory of the container (its cgroup, over the start-up runs)", _peak(m)),
        ("A run with a large environment", f"{m.large_environment_vars:,} extra variables of 8 bytes: "
         "did as declared" if m.large_environment_vars else "— (declared not to start)"),
        ("Build time", f"{m.build_s:.1f} s"),
        ("Regular files in the image", f"{m.contents.files:,}"),
        ("A shell (/bin/sh)", "yes" if m.contents.shell else "no"),
        ("A package manager", m.contents.package_manager or "none"),
        ("Installed packages (dpkg's records)", f"{m.contents.packages:,}"),
        ("Set-uid or set-gid files", ", ".join(m.contents.setuid_files) or "none"),
        ("Final base", r.variant.final_base),
        ("Image ID", m.image_id),
        ("Tag", r.tag),
    ]


def _peak(m: Measurement) -> str:
    if not m.start_runs:
        return "— (declared not to start)"
    if m.peak_memory_bytes is None:
        return "— (the engine's cgroups could not be read where this was measured)"
    return f"{human_size(m.peak_memory_bytes)} ({m.peak_memory_bytes:,} bytes)"


def _runs(shown: Callable[[float | None], str], seconds: float | None, runs: int) -> str:
    if not runs:
        return "— (declared not to start)"
    return f"{shown(seconds)}, over {runs} runs"
