"""The answer box: the smallest of today's images for each need, from measurements and the checks
program's output alone. Pure: records in, HTML out."""
from __future__ import annotations

import pytest
from macros.errors import PageError
from macros.model import checks, words
from macros.model.measurement import Contents
from macros.model.records import BaseImage, EngineFacts, RegistryFacts, Support
from macros.model.session import Session
from macros.model.settings import Settings
from macros.pages import answer_macros, check_macros
from macros.pages.page import Page

from tests.factories import shown
from tests.helpers import scratch

ALL_OK = "trust: ok (x)\ntime zones: ok (x)\nidentity: ok (x)\nnot root: ok (x)\n"
NO_ROOTS = ALL_OK.replace("trust: ok (x)", "trust: x509: certificate signed by unknown authority")
SHELL = Contents(files=9, shell=True, package_manager="apt", packages=90, setuid_files=())
TRIXIE = BaseImage("debian:trixie-slim", "sha256:" + "a" * 64, 80_000_000, "stand-in",
                   support=(Support("Debian 13 security support", "2028-08-09", "https://www.debian.org/security/faq"),))


def page(*results: object) -> Page:
    session = Session(engine=EngineFacts("unix:///x", "26.1.5", "1.45", "overlayfs", "Debian", "x86_64", "6.1",
                                         image_store="containerd"),
                      registry=RegistryFacts("127.0.0.1:5000", "sha256:" + "e" * 64, "2.7.1"), bases=[TRIXIE],
                      declared=[r.variant for r in results], results=list(results),  # type: ignore[attr-defined]
                      generated_at="2026-12-06T00:00:00+00:00")
    return Page(session=session, settings=Settings(cache_dir=scratch("smallest-go-test-")))


def row(table: str, need: str) -> str:
    return table.split(f"<td>{need}</td>", 1)[1].split("</tr>", 1)[0]


def test_each_need_gets_the_smallest_image_that_passes_what_it_asks() -> None:
    tiny = shown(id="tiny", title="Tiny", edition="2026", size_bytes=400_000, stdout="")
    no_roots = shown(id="no-roots", title="No roots", part="checks", edition="2026", size_bytes=2_000_000,
                     stdout=NO_ROOTS)
    checked = shown(id="checked", title="Checked", part="checks", edition="2026", size_bytes=5_000_000, stdout=ALL_OK)
    slim = shown(id="slim", title="Slim", part="checks", edition="2026", size_bytes=80_000_000, stdout=ALL_OK,
                 contents=SHELL, bases=["debian:trixie-slim"])
    older = shown(id="older", title="Older", part="checks", edition="2022", size_bytes=100, stdout=ALL_OK,
                  contents=SHELL)
    # a variant of another part that prints lines of the same shape is not the checks program
    lookalike = shown(id="lookalike", title="Lookalike", edition="2026", size_bytes=3_000_000, stdout="status: ok (x)\n")
    table = answer_macros.answer_table(page(tiny, no_roots, checked, slim, older, lookalike))
    assert ">Tiny</a>" in row(table, "Nothing but to run")  # the 2022 edition's smaller image is not today's
    assert ">Checked</a>" in row(table, "TLS roots and time zones")  # the smaller one fails trust
    assert ">No roots</a>" in row(table, "A named user that is not root")  # it fails only trust
    assert ">Slim</a>" in row(table, "A shell to look inside") and "until 2028-08-09" in row(table, "A shell to look inside")
    assert "no base image (scratch)" in row(table, "Nothing but to run")


def test_a_need_no_image_meets_says_so_and_the_provenance_counts_its_bases() -> None:
    p = page(shown(id="tiny", title="Tiny", edition="2026", size_bytes=400_000, stdout=""))
    assert "none of today's images" in row(answer_macros.answer_table(p), "A shell to look inside")
    said = answer_macros.provenance(p)
    assert "by Docker 26.1.5 (overlayfs, containerd image store)" in said
    assert "The one base was built here as a stand-in for the image it is named after" in said


def test_a_check_added_to_the_program_is_a_column_and_a_count_from_its_output() -> None:
    # The checks program declares its checks: a fifth one printed is a fifth column, and "five".
    fifth = ALL_OK + "temp files: ok (/tmp)\n"
    checked = shown(id="checked", title="Checked", part="checks", size_bytes=5_000_000, stdout=fifth)
    failing = shown(id="failing", title="Failing", part="checks", size_bytes=900_000,
                    stdout=fifth.replace("temp files: ok (/tmp)", "temp files: open /tmp/x: read-only file system"))
    p = page(checked, failing)
    assert check_macros.check_count(p) == "five"
    matrix = check_macros.capability_matrix(p)
    assert ">Temp files</th>" in matrix and matrix.count("<strong>fails</strong>") == 1
    assert ">Checked</a>" in check_macros.smallest_passing(p)  # the smaller one fails the fifth
    assert checks.names([fifth, "Hello, World!\n", ""]) == ["trust", "time zones", "identity", "not root", "temp files"]
    assert checks.parsed("Hello, World!\n") is None and checks.parsed("") is None
    assert checks.parsed("TLS 1.3: ok (x)\ntrust: x509: certificate signed by unknown authority\n") == \
        {"TLS 1.3": True, "trust": False}  # a name as main.go writes it; an error's own colons stay in it


def test_a_need_naming_a_check_the_program_no_longer_prints_fails_the_page() -> None:
    renamed = ALL_OK.replace("trust: ok", "roots: ok")
    p = page(shown(id="checked", title="Checked", part="checks", edition="2026", size_bytes=5_000_000, stdout=renamed))
    with pytest.raises(PageError, match="asks for the check 'trust', which the checks program does not print"):
        answer_macros.answer_table(p)


def test_what_a_variant_passes_is_said_from_its_output() -> None:
    no_roots = shown(id="no-roots", title="No roots", part="checks", stdout=NO_ROOTS)
    p = page(shown(id="checked", title="Checked", part="checks", stdout=ALL_OK), no_roots,
             shown(id="also", title="Also", part="checks", stdout=ALL_OK),
             shown(id="hello", title="Hello", part="base", stdout=""),
             shown(id="none", title="None", part="checks",
                   stdout="trust: x\ntime zones: x\nidentity: x\nnot root: x\n"))
    assert check_macros.passes(p, "checked") == "passes all four checks"
    assert check_macros.passes(p, "no-roots") == "passes three of the four checks (it fails trust)"
    assert check_macros.passes(p, "none") == "fails all four checks"
    assert check_macros.passes(p, "checked", "also") == "both pass all four checks"
    differ = check_macros.passes(p, "checked", "no-roots")
    assert differ.startswith("differ: <a ") and ">Checked</a> passes all four checks, and <a " in differ
    assert differ.endswith(">No roots</a> passes three of the four checks (it fails trust)")
    with pytest.raises(PageError, match="'hello' does not run the checks program"):
        check_macros.passes(p, "hello")
    assert words.listed(["trust", "time zones", "identity"]) == "trust, time zones and identity"


def test_what_a_change_turned_is_said_from_both_runs() -> None:
    nothing = "trust: x\ntime zones: x\nidentity: x\nnot root: ok (uid 1)\n"
    p = page(shown(id="bare", title="Bare", part="checks", stdout=nothing),
             shown(id="zones", title="Zones", part="checks", stdout=nothing.replace("time zones: x", "time zones: ok (UTC)")),
             shown(id="all", title="All", part="checks", stdout=ALL_OK),
             shown(id="root", title="Root", part="checks", stdout=ALL_OK.replace("not root: ok", "not root: x")))
    assert check_macros.turned(p, "bare", "zones") == "time zones"
    assert check_macros.turned(p, "bare", "all") == "trust, time zones and identity"
    assert check_macros.turned(p, "all", "all") == "none"
    assert check_macros.turned(p, "bare", "root") == "trust, time zones and identity; it breaks not root"
