"""The macros the pages call: plain functions of one doc build's measurements and the page being
rendered. Each returns Markdown or HTML made by render.py, detail.py or chart.py; none talks to
Docker. `macros/__init__.py` registers every function in MACROS with mkdocs-macros.
"""
from __future__ import annotations

import json
from collections.abc import Callable

from ..errors import PageError
from ..model import releases, results_schema, sizes, support
from ..model.sizes import human_size
from ..model.words import both, counted
from . import (
    answer_macros,
    benchmark_figures,
    check_macros,
    detail,
    diff_macros,
    edition_macros,
    engine_macros,
    fidelity_macros,
    formats,
    history_macros,
    named_macros,
    render,
)
from .markup import moment
from .page import Page, unknown

__all__ = ("MACROS", "Page")

RESULTS_JSON = "results.json"
RESULTS_CSV = "results.csv"


def dockerfile(page: Page, variant_id: str) -> str:
    """The exact Dockerfile that was built, in a titled code block."""
    r = page.result(variant_id)
    return render.code_block(r.variant.parsed.text, lang="dockerfile", title=r.variant.dockerfile_rel)


def dockerfile_diff(page: Page, before: str, after: str) -> str:
    """What changed from one variant's Dockerfile to the next."""
    return render.dockerfile_diff(page.result(before), page.result(after))


def run_output(page: Page, variant_id: str) -> str:
    return render.run_block(page.result(variant_id))


def layers(page: Page, variant_id: str) -> str:
    return render.layers_details(page.result(variant_id))


def variant_detail(page: Page, variant_id: str) -> str:
    today = support.build_date(page.session.generated_at)
    return detail.variant_page(page.result(variant_id), page.session.bases,
                               support_words=lambda b: support.short(b, today),
                               times_note=engine_macros.emulated(page)) \
        + diff_macros.on_variant_page(page, variant_id)


def size(page: Page, variant_id: str) -> str:
    return human_size(page.result(variant_id).measured.size_bytes)


def size_bytes(page: Page, variant_id: str) -> str:
    return f"{page.result(variant_id).measured.size_bytes:,}"


def transfer(page: Page, variant_id: str) -> str:
    return human_size(page.result(variant_id).measured.transfer_bytes)


def binary_size(page: Page, variant_id: str) -> str:
    return human_size(page.result(variant_id).measured.binary_bytes)


def go_version(page: Page, variant_id: str) -> str:
    return page.result(variant_id).measured.go_version


def start_time(page: Page, variant_id: str) -> str:
    """Median start-up, from the start call to the exit, over the sandboxed runs."""
    return formats.milliseconds(page.result(variant_id).measured.start_s)


def process_time(page: Page, variant_id: str) -> str:
    """Median lifetime of the process itself, as the engine recorded it."""
    return formats.lifetime(page.result(variant_id).measured.process_s)


def peak_memory(page: Page, variant_id: str) -> str:
    """The container's peak memory from its cgroup, over the start-up runs."""
    peak = page.result(variant_id).measured.peak_memory_bytes
    return human_size(peak) if peak is not None else "not measured"


def large_environment(page: Page, variant_id: str) -> str:
    """How many extra environment variables the variant's further run had and survived."""
    return f"{page.result(variant_id).measured.large_environment_vars:,}"


def start_runs(page: Page, variant_id: str) -> str:
    return str(page.result(variant_id).measured.start_runs)


def start_runs_planned(page: Page) -> str:
    """How many start-up runs each image gets (a cached result says how many it had)."""
    return str(page.settings.start_runs)


_LIMITS = {  # a setting's name -> how the pages say its value
    "run_memory": lambda s: f"{s.run_memory.rstrip('m')} MiB",
    "run_pids": lambda s: f"{s.run_pids}",
    "capture": lambda s: f"{s.capture_bytes // 1024} KiB",
    "run_timeout": lambda s: f"{s.default_timeout_s:g} s",
    "build_timeout": lambda s: f"{s.default_build_timeout_s:g} s",
    "build_memory": lambda s: f"{s.default_build_memory_mib} MiB",
    "lifetime_resolution": lambda _s: f"{formats.LIFETIME_RESOLUTION_S * 1000:.0f} ms",
    "platform": lambda s: f"`{s.platform}`",  # the one platform every image is built for
    "architecture": lambda s: f"`{s.architecture}`",
    "builds_at_once": lambda s: counted(s.build_workers, "build") + " at a time",
}


def limit(page: Page, name: str) -> str:
    """A limit the build applies, as settings.py sets it (the pages never restate a number)."""
    if name not in _LIMITS:
        raise unknown("limit", name, list(_LIMITS))
    return _LIMITS[name](page.settings)


def times_smaller(page: Page, big: str, small: str, across: bool = False, of: str = "size_bytes") -> str:
    larger, smaller = page.larger_smaller(big, small, across=across, of=of)
    return render.ratio(larger / smaller)


def percent_smaller(page: Page, big: str, small: str, across: bool = False, of: str = "size_bytes") -> str:
    larger, smaller = page.larger_smaller(big, small, across=across, of=of)
    return f"{1 - smaller / larger:.0%}"


def difference(page: Page, big: str, small: str, across: bool = False, of: str = "size_bytes") -> str:
    larger, smaller = page.larger_smaller(big, small, across=across, of=of)
    return human_size(larger - smaller)


def size_relation(page: Page, first: str, second: str) -> str:
    """How the first image's size stands to the second's, for "...is {{ }} part two's": "byte for
    byte the size of", "1.2kB larger than", "310B smaller than"."""
    apart = page.result(first).measured.size_bytes - page.result(second).measured.size_bytes
    if not apart:
        return "byte for byte the size of"
    return f"{human_size(abs(apart))} {'larger' if apart > 0 else 'smaller'} than"


def both_sizes(page: Page, first: str, second: str) -> str:
    """The two images' sizes in bytes, said once when they are the same: "both 1,895,687 bytes"."""
    return both(page.result(first).measured.size_bytes, page.result(second).measured.size_bytes, "bytes")


def binary_share(page: Page, variant_id: str) -> str:
    """The image's size as a multiple of the binary's bytes."""
    r = page.result(variant_id)
    return f"{r.measured.size_bytes / r.measured.binary_bytes:.3f}" if r.measured.binary_bytes else "—"


def base_size(page: Page, reference: str) -> str:
    for b in page.session.bases:
        if b.reference == reference:
            return human_size(b.size_bytes)
    raise unknown("base image", reference, [b.reference for b in page.session.bases])


def results_table(page: Page, part: str = "", edition: str = "") -> str:
    """All variants (or one part's, or one edition's and those of none), each linked to its page."""
    table = render.results_table(page.in_part(part, edition), href=page.detail_href,
                                 store_column=not page.session.engine.counts_like_overlay2)
    return "\n\n".join(filter(None, (table, engine_macros.emulated(page))))


def size_chart(page: Page, part: str = "", edition: str = "") -> str:
    """The staircase chart of all variants (or one part's, or one edition's and those of none)."""
    from .chart import size_chart_svg  # matplotlib only when a chart is drawn

    return render.chart_block(size_chart_svg(page.in_part(part, edition), cache_dir=page.settings.cached("charts")))


def release_table(page: Page) -> str:
    """The Go-release sweep: one row per release, each way of building side by side."""
    families, found = releases.sweep(page.session.results)
    return render.release_table(families, found, href=page.detail_href)


def release_chart(page: Page, then_variant: str = "", then_release: str = "") -> str:
    """Image size by Go release; with `then_variant`, its 2022 figure drawn at `then_release` and
    its size measured now beside it."""
    from .chart import release_chart_svg

    families, found = releases.sweep(page.session.results)
    names = {f: render.family_name(next(rel.builds[f] for rel in found if f in rel.builds)) for f in families}
    then, now = None, None
    if then_variant:
        now = page.result(then_variant)
        if not now.variant.article_2022:
            raise PageError(f"variant {then_variant!r} has no article_2022 figure to draw")
        then = (then_release, sizes.parse_size(now.variant.article_2022), f"2022 article: {now.variant.title}")
    return render.chart_block(release_chart_svg(families, found, names=names, then=then, now=now,
                                                cache_dir=page.settings.cached("charts")))


def gap_2022(page: Page, variant_id: str) -> str:
    """How much larger the variant measures now than the figure the 2022 article printed for it."""
    r = page.result(variant_id)
    if not r.variant.article_2022:
        raise PageError(f"variant {variant_id!r} has no article_2022 figure")
    return human_size(r.measured.size_bytes - sizes.parse_size(r.variant.article_2022))


def percent_larger(page: Page, big: str, small: str, across: bool = False, of: str = "size_bytes") -> str:
    larger, smaller = page.larger_smaller(big, small, across=across, of=of)
    return f"{larger / smaller - 1:.0%}"


def detail_link(page: Page, variant_id: str, text: str = "") -> str:
    return render.link(page.detail_href(variant_id), text or page.result(variant_id).variant.title)


def results_link(page: Page, text: str = RESULTS_JSON, file: str = RESULTS_JSON) -> str:
    """A link to results.json or results.csv, written after the pages (so mkdocs does not know them)."""
    if file not in (RESULTS_JSON, RESULTS_CSV):
        raise unknown("file", file, [RESULTS_JSON, RESULTS_CSV])
    return render.link(page.from_here(file), text, code=True)


def results_fields(page: Page) -> str:
    """Each field of a variant in results.json, with its type and meaning, from the JSON Schema."""
    schema = json.loads((page.docs_dir / results_schema.FILE_NAME).read_text(encoding="utf-8"))
    fields = schema["properties"]["variants"]["items"]["properties"]
    rows = [(name, _type_of(spec), spec.get("description", "")) for name, spec in fields.items()]
    return render.table(("Field", "Type", "What it holds"), rows)


def _type_of(spec: dict[str, object]) -> str:
    kind = spec.get("type") or ("one of " + ", ".join(map(str, spec["enum"])) if "enum" in spec else "")
    return " or ".join(map(str, kind)) if isinstance(kind, list) else str(kind)


def bases_table(page: Page) -> str:
    today = support.build_date(page.session.generated_at)
    return render.bases_table(page.session.bases, support_words=lambda b: support.short(b, today),
                              upstream_words=fidelity_macros.short)


def bases_summary(page: Page) -> str:
    return render.bases_summary(page.session.bases)


def measured_at(page: Page) -> str:
    return moment(page.session.generated_at)


def benchmark_table(page: Page) -> str:
    """The latest figures of scripts/benchmark.py, with the machine they came from."""
    path = page.docs_dir / "data" / "benchmark.json"
    if not path.is_file():
        return benchmark_figures.not_yet_benchmarked()
    return benchmark_figures.benchmark(json.loads(path.read_text(encoding="utf-8")))


# name -> (function, block): a block macro that names a failed variant renders an error box, an
# inline one a marker.
MACROS: dict[str, tuple[Callable[..., str], bool]] = {
    fn.__name__: (fn, block) for fn, block in (
        (dockerfile, True), (dockerfile_diff, True), (run_output, True), (layers, True), (variant_detail, True),
        (size, False), (size_bytes, False), (transfer, False), (binary_size, False), (go_version, False),
        (start_time, False), (process_time, False), (start_runs, False), (start_runs_planned, False),
        (peak_memory, False), (large_environment, False),
        (times_smaller, False), (limit, False),
        (percent_smaller, False), (difference, False), (size_relation, False), (both_sizes, False),
        (binary_share, False), (base_size, False),
        (results_table, False), (size_chart, False), (detail_link, False), (results_link, False),
        (results_fields, False),
        (bases_table, False), (bases_summary, False), (measured_at, False),
        (benchmark_table, False), (release_table, False), (release_chart, False),
        (percent_larger, False), (gap_2022, False),
    )
} | answer_macros.MACROS | edition_macros.MACROS | check_macros.MACROS | history_macros.MACROS \
  | fidelity_macros.MACROS | engine_macros.MACROS | diff_macros.MACROS | named_macros.MACROS
