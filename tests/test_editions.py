"""Editions and support windows on the pages: pure, over records; the build date moves the words."""
from __future__ import annotations

import datetime as dt

import pytest
from macros.errors import PageError
from macros.model import support
from macros.model.records import BaseImage, EngineFacts, RegistryFacts, Support
from macros.model.session import Session
from macros.model.settings import Settings
from macros.pages import check_macros
from macros.pages import edition_macros as e
from macros.pages.page import Page

from tests.factories import shown
from tests.helpers import scratch

LTS_11 = Support("Debian 11 LTS", "2026-08-31", "https://wiki.debian.org/LTS")
SECURITY_13 = Support("Debian 13 security support", "2028-08-09", "https://www.debian.org/releases/trixie/")
OLD = BaseImage("golang:1.21-bullseye", "sha256:" + "b" * 64, 753_613_142, "stand-in", support=(LTS_11,))
NEW = BaseImage("golang:1.27-trixie", "sha256:" + "c" * 64, 869_283_537, "stand-in", support=(SECURITY_13,))
BARE = BaseImage("gcr.io/distroless/static-debian13", "sha256:" + "d" * 64, 1_479_566, "stand-in")
THEN = shown(id="debian", title="Debian", edition="2022", size_bytes=788_733_210, article_2022="986MB",
             bases=["golang:1.21-bullseye"])
NOW = shown(id="debian-2026", title="Debian today", edition="2026", redoes="debian", size_bytes=887_716_771,
            bases=["golang:1.27-trixie"])
ONLY_NOW = shown(id="distroless-2026", title="Distroless today", edition="2026", size_bytes=1_895_687,
                 bases=["golang:1.27-trixie", "gcr.io/distroless/static-debian13"])
FLOOR = shown(id="floor", title="Floor", part="floor", size_bytes=159)


def page(built: str) -> Page:
    session = Session(engine=EngineFacts("unix:///x", "20.10.24", "1.41", "overlay2", "Debian", "x86_64", "6.1"),
                      registry=RegistryFacts("127.0.0.1:5000", "sha256:" + "e" * 64, "2.7.1"),
                      bases=[OLD, NEW, BARE], declared=[r.variant for r in (THEN, NOW, ONLY_NOW, FLOOR)],
                      results=[THEN, NOW, ONLY_NOW, FLOOR], generated_at=built)
    return Page(session=session, settings=Settings(cache_dir=scratch("smallest-go-test-")))


@pytest.mark.parametrize(("today", "words"), [
    ("2026-11-28", "ended 2026-08-31, 89 days before this build"),
    ("2026-09-01", "ended 2026-08-31, 1 day before this build"),
    ("2026-08-31", "ends 2026-08-31, the day of this build"),
    ("2026-06-01", "ends 2026-08-31, in 91 days"),
])
def test_the_wording_follows_the_build_date(today: str, words: str) -> None:
    assert support.status(LTS_11, dt.date.fromisoformat(today)) == words


def test_a_base_says_whether_it_is_supported() -> None:
    today = dt.date(2026, 11, 28)
    assert support.verdict(OLD, today) == "out of support: Debian 11 LTS ended 2026-08-31, 89 days before this build"
    assert support.verdict(NEW, today) == "supported: Debian 13 security support ends 2028-08-09, in 620 days"
    assert support.verdict(BARE, today) == "no support end date declared"
    both = OLD._replace(support=(LTS_11, SECURITY_13))
    assert support.verdict(both, today).startswith("partly: Debian 11 LTS ended")


def test_the_support_table_and_summary_move_with_the_build_date() -> None:
    before, after = page("2026-06-01T10:00:00+00:00"), page("2026-11-28T10:00:00+00:00")
    assert "ends 2026-08-31, in 91 days" in e.support_table(before, "2022")
    assert "the one base of the 2022 edition is not past" in e.support_summary(before, "2022")
    table = e.support_table(after, "2022")
    assert "<strong>ended 2026-08-31, 89 days before this build</strong>" in table and "On 2026-11-28" in table
    assert "the one base of the 2022 edition is past" in e.support_summary(after, "2022")
    today = e.support_table(after)  # the newest edition by default: its bases, each once
    assert today.count("golang:1.27-trixie") == 1 and "no end date declared" in today


def test_editions_pair_each_variant_with_the_one_it_redoes() -> None:
    p = page("2026-11-28T10:00:00+00:00")
    assert e.newest_edition(p) == "2026"
    assert [(row.shape, row.then.id if row.then else None, row.now.id) for row in e.rows(p, "base")] == [
        ("Debian", "debian", "debian-2026"), ("Distroless today", None, "distroless-2026")]
    table = e.editions_table(p)
    assert "2022 edition" in table and "2026 edition" in table and "986MB" in table
    assert "+99MB (+13%)" in table and ">new<" in table
    assert e.size_change(p, "debian-2026", "debian") == "−99MB (−11%)"
    assert [r.id for r in p.in_part("", "2022")] == ["debian", "floor"]  # a variant of no edition is in every one
    with pytest.raises(PageError, match="no edition '2030'"):
        e.editions_table(p, "base", "2030")


def test_a_table_cell_says_it_short() -> None:
    today = dt.date(2026, 11, 28)
    assert support.short(OLD, today) == "ended 2026-08-31 (Debian 11 LTS)"
    assert support.short(NEW, today) == "until 2028-08-09 (Debian 13 security support)"
    assert support.short(BARE, today) == "none declared"
    assert support.short(OLD._replace(support=(LTS_11, SECURITY_13)), today) == (
        "ended 2026-08-31 (Debian 11 LTS); until 2028-08-09 (Debian 13 security support)")


def test_the_smallest_go_image_is_one_editions() -> None:
    """One definition wherever a page names it: today's edition unless the call names another, and
    never the floor (not Go), however small."""
    p = page("2026-11-28T00:00:00+00:00")
    assert check_macros.smallest_go_image(p).startswith('<a href="variants/distroless-2026/">Distroless today</a>')
    assert "(1.9MB, 1,895,687 bytes)" in check_macros.smallest_go_image(p)
    assert "788,733,210 bytes" in check_macros.smallest_go_image(p, "2022")
    with pytest.raises(PageError, match="edition"):
        check_macros.smallest_go_image(p, "1999")
