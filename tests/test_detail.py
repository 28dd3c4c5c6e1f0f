"""The per-variant detail page, the staircase order and the Dockerfile diff: pure rendering."""
from __future__ import annotations

import re

from macros.engine.runs import nanoseconds as _nanoseconds
from macros.model.records import BaseImage
from macros.pages import detail, render

from tests.factories import shown


def test_staircase_reads_by_part_then_largest_first() -> None:
    rows = [shown(id="floor", part="floor", size_bytes=159), shown(id="small", part="binary", size_bytes=10),
            shown(id="big", part="base", size_bytes=5), shown(id="bigger", part="base", size_bytes=50),
            shown(id="large", part="binary", size_bytes=99)]
    assert [r.id for r in render.staircase(rows)] == ["bigger", "big", "large", "small", "floor"]


def test_results_table_links_each_row_and_heads_each_part() -> None:
    table = render.results_table([shown(id="a", part="base"), shown(id="b", part="binary")],
                                 href=lambda vid: f"variants/{vid}/")
    assert '<a href="variants/a/">X &lt;b&gt;</a>' in table and '<a href="variants/b/">' in table
    assert table.count('class="part-row"') == 2 and "Part two: the binary" in table


def test_dockerfile_diff_shows_only_what_changed() -> None:
    before = shown(dockerfile="dockerfiles/Dockerfile.a", dockerfile_text="FROM x\nRUN a\nCMD y\n")
    after = shown(dockerfile="dockerfiles/Dockerfile.b", dockerfile_text="FROM x\nRUN b\nCMD y\n")
    block = render.dockerfile_diff(before, after)
    assert block.startswith("``` diff title=") and "-RUN a\n+RUN b\n" in block
    assert "dockerfiles/Dockerfile.a → dockerfiles/Dockerfile.b" in block


def test_detail_page_escapes_and_shows_every_number() -> None:
    r = shown(title="<script>t</script> *x*", description="[link](http://x) <i>", bases=["debian:bullseye"])
    page = detail.variant_page(r, [BaseImage("debian:bullseye", "sha256:" + "b" * 64, 124_256_437, "stand-in"),
                                   BaseImage("other:1", "sha256:c", 1, "stand-in")])
    assert page.startswith("# &lt;script&gt;t&lt;/script&gt; \\*x\\*\n")
    assert "\\[link\\]\\(http://x\\) &lt;i&gt;" in page and "<i>" not in page
    assert "3,368,770" in page and "3.37MB" in page and "1.41MB" in page and "100 ms, over 7 runs" in page
    assert "under 5 ms, over 7 runs" in page  # a 2 ms lifetime is below the engine's resolution
    assert "debian:bullseye" in page and "other:1" not in page  # only the bases this variant names
    assert "```` dockerfile" not in page and '``` dockerfile title="dockerfiles/Dockerfile.x"' in page
    assert not re.search(r"<table>\n\s*\n", page)


def test_detail_page_of_an_image_that_does_not_start() -> None:
    r = shown(start_error="unable to find user", exit_code=None, start_s=None, process_s=None, start_runs=0)
    assert "— (declared not to start)" in detail.variant_page(r, [])


def test_page_urls_follow_the_url_style() -> None:
    assert detail.page_url("a", directory_urls=True) == "variants/a/"
    assert detail.page_url("a", directory_urls=False) == "variants/a.html"


def test_engine_timestamps_keep_nanoseconds() -> None:
    assert _nanoseconds("2026-11-27T09:45:12.123456789Z") - _nanoseconds("2026-11-27T09:45:12Z") == 123_456_789
    assert _nanoseconds("2026-11-27T09:45:12.5Z") - _nanoseconds("2026-11-27T09:45:11.9Z") == 600_000_000
