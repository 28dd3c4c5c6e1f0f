from __future__ import annotations

import re

import yaml
from macros.engine import runs
from macros.engine.records import RunOutcome, Stream
from macros.measure import verify
from macros.model import words
from macros.model.parts import PARTS
from macros.model.variants import Expectation
from macros.pages import benchmark_figures, markup, render

from tests import prose
from tests.factories import shown


def _stream(text: str | Stream) -> Stream:
    return text if isinstance(text, Stream) else Stream(text, 0, False)


def _outcome(**kw) -> RunOutcome:
    streams = {name: _stream(kw.pop(name, default)) for name, default in
               (("stdout", ""), ("stderr", "Hello, World!\n"))}
    base = dict(exit_code=0, start_error="", timed_out=False, duration_s=0.1)
    return RunOutcome(**{**base, **streams, **kw})


def test_verify_accepts_the_declared_run() -> None:
    assert verify.mismatch(Expectation(exit_code=0, stdout="", stderr="Hello, World!\n"), _outcome()) == ""


def test_verify_tells_what_differed() -> None:
    problem = verify.mismatch(Expectation(exit_code=0, stdout="Hello, World!\n"), _outcome(exit_code=2))
    assert "exited with code 2, where the variants file declares 0" in problem
    assert "stdout differs at line 1: the run printed nothing, where the variants file declares 'Hello, World!\\n'" in problem


def test_a_differing_stream_names_its_first_differing_line_and_the_entry_that_declares_it() -> None:
    declared = "trust: ok\nzones: ok\n"
    added = verify.mismatch(Expectation(exit_code=0, stdout=declared), _outcome(stdout=declared + "home: ok (/)\n"))
    assert "stdout differs at line 3: the run printed 'home: ok (/)\\n', where the variants file declares no more lines" \
        in added
    changed = verify.mismatch(Expectation(exit_code=0, stdout=declared), _outcome(stdout="trust: ok\nzones: no\n"))
    assert "line 2: the run printed 'zones: no\\n', where the variants file declares 'zones: ok\\n'" in changed
    # The entry it offers reads back, through the variants file's YAML, as exactly what was printed.
    printed = 'a "quoted" \\ line\twith a tab, \x1b[1mescapes\x1b[0m and ünïcode\n'
    problem = verify.mismatch(Expectation(exit_code=0, stdout=""), _outcome(stdout=printed))
    entry = problem.split("as the variants file declares it: ", 1)[1]
    assert yaml.safe_load(entry) == {"stdout": printed}
    kept = Stream(printed[:10], 5000, True)  # more than was kept: no entry, since it would be wrong
    cut = verify.mismatch(Expectation(exit_code=0, stdout=""), _outcome(stdout=kept))
    assert "5,000 bytes there, more than is kept" in cut and "declares it:" not in cut


def test_output_that_is_not_text_cannot_pass_for_its_stand_in_characters() -> None:
    """A byte that is not UTF-8 reads as U+FFFD, which stands for every such byte alike: a declared
    U+FFFD matches none of them, and the message says why, rather than offering an entry."""
    capture = runs._Capture([(b"\xff\xfeok\n", None), (None, "é".encode() * 3)], limit=5)
    capture._thread.join()
    out, err = capture.finish(1, ended=True)
    assert (out.text, out.not_text_at, err.text, err.not_text_at) == ("\ufffd\ufffdok\n", 0, "éé\ufffd", None)
    problem = verify.mismatch(Expectation(exit_code=0, stdout=out.text), _outcome(stdout=out))
    assert problem.startswith("stdout is not UTF-8 text (its byte 0 is not), and the variants file can only "
                              "declare text: it printed '\ufffd\ufffdok\\n'"), problem
    assert "declares it:" not in problem


def test_verify_expected_failure_must_fail_with_the_text() -> None:
    expect = Expectation(fails_with="unable to find user")
    assert verify.mismatch(expect, _outcome(exit_code=None, start_error="unable to find user x")) == ""
    assert "ran and exited 0" in verify.mismatch(expect, _outcome())
    assert "got 'boom'" in verify.mismatch(expect, _outcome(exit_code=None, start_error="boom", stderr=""))


def test_a_shell_form_command_on_an_image_without_a_shell_says_to_write_it_in_exec_form() -> None:
    # the engine's words for `CMD /main` on scratch, as a contributor trial's variant got them
    said = ('failed to create task for container: failed to create shim task: OCI runtime create failed: runc create '
            'failed: unable to start container process: exec: "/bin/sh": stat /bin/sh: no such file or directory: '
            'unknown')
    problem = verify.mismatch(Expectation(exit_code=0), _outcome(exit_code=None, start_error=said))
    assert problem.startswith(f"expected exit code 0, but it could not start: {said}") and 'CMD ["/main"]' in problem
    other = verify.mismatch(Expectation(exit_code=0), _outcome(exit_code=None, start_error="no such image"))
    assert "exec form" not in other


def _said(stdout: str = "", stderr: str = "", **kw) -> RunOutcome:
    """A run with its streams' totals as read (the helper above leaves them at 0)."""
    base = dict(exit_code=0, start_error="", timed_out=False, duration_s=0.1)
    return RunOutcome(**{**base, "stdout": Stream(stdout, len(stdout), False),
                         "stderr": Stream(stderr, len(stderr), False), **kw})


def test_a_run_that_said_nothing_where_it_should_is_run_once_more_and_only_then() -> None:
    expect = Expectation(exit_code=0, stdout="", stderr="Hello, World!\n")
    silent, spoke = _said(), _said(stderr="Hello, World!\n")
    assert verify.unheard(expect, silent) and not verify.unheard(expect, spoke)
    assert not verify.unheard(expect, _said(exit_code=3))               # exited otherwise: a real failure
    assert not verify.unheard(Expectation(exit_code=0, stdout=""), silent)  # nothing to say was declared
    assert not verify.unheard(Expectation(fails_with="no user"), _said(exit_code=None, start_error="no user"))
    assert verify.unheard(Expectation(fails_with="panic"), _said(exit_code=2))
    runs = iter([silent, spoke, silent])
    assert verify.heard(expect, lambda: next(runs), what="v") == spoke   # once more, and it spoke
    runs = iter([silent, silent, spoke])
    assert verify.heard(expect, lambda: next(runs), what="v") == silent  # only once more: then it is the outcome
    assert "stderr differs at line 1: the run printed nothing" in verify.mismatch(expect, silent)


def test_verify_reports_a_timeout() -> None:
    assert "timeout" in verify.mismatch(Expectation(exit_code=0), _outcome(timed_out=True, exit_code=None))
    declared = verify.mismatch(Expectation(fails_with="timeout"), _outcome(timed_out=True, exit_code=None))
    assert "a timeout cannot be declared" in declared  # it is always a failure, whatever was declared


def test_expectations_read_as_english() -> None:
    assert Expectation(exit_code=0, stdout="", stderr="Hello, World!\n").describe() == \
        "exit with code 0, printing nothing on stdout and 'Hello, World!\\n' on stderr"
    assert Expectation(exit_code=3).describe() == "exit with code 3"
    assert Expectation(fails_with="no user").describe() == \
        "fail (not start, or exit non-zero) with a message containing 'no user'"


def test_code_block_fence_outgrows_backticks_inside() -> None:
    block = render.code_block("RUN echo ````\n", lang="dockerfile", title='a"b')
    assert block.startswith("````` dockerfile title=\"a_b\"\n") and block.endswith("\n`````")


def test_results_table_escapes_everything_it_inserts() -> None:
    table = render.results_table([shown(title="<script>x</script> | {{ a }}")])
    assert "<script>" not in table and "&lt;script&gt;" in table
    assert "3.37MB" in table and "3,368,770" in table and "1.41MB" in table
    assert not re.search(r"\n\s*\n", table)  # no blank line: Markdown must keep the block raw


def test_run_block_keeps_streams_apart() -> None:
    block = render.run_block(shown())
    assert "stdout" in block and "(nothing)" in block and "<script>alert(1)</script>" in block
    assert "Exit code: **0**" in block


def test_layers_details_shows_instruction() -> None:
    assert "COPY file:abc in /" in render.layers_details(shown())


def test_history_entries_read_as_the_instructions_that_made_them() -> None:
    assert render._instruction("/bin/sh -c #(nop)  CMD [\"/app\"]") == 'CMD ["/app"]'
    assert render._instruction("COPY /main /main # buildkit") == "COPY /main /main"  # BuildKit's
    assert render._instruction("RUN |2 SUITE=bullseye CURL_EXTRA= /bin/sh -c set -eux; apt-get update # buildkit") \
        == "RUN set -eux; apt-get update"
    assert render._instruction(" /bin/sh -c apt-get update \t&&\n  apt-get install -y upx ") == \
        "RUN apt-get update && apt-get install -y upx"
    assert render._instruction("RUN " + "x" * 200) == "RUN " + "x" * 135 + "…"


def test_table_cells_are_escaped_unless_they_are_our_markup() -> None:
    """Text is escaped once, by the table; what the helpers made (Html) is kept; text joined with
    markup is escaped where it is joined."""
    cells = [("<x> & 'y'", markup.html_of(markup.strong("ours"), " & <theirs>")),
             ("1,234", render.link("/a?b=1&c=2", "x<y", title='say "hi"'))]
    html_table = render.table(("a", "it's"), cells, numeric={0})
    assert "<th>it's</th>" in html_table
    assert "<td style=\"text-align:right\">&lt;x&gt; &amp; 'y'</td><td><strong>ours</strong> &amp; &lt;theirs&gt;</td>" \
        in html_table
    assert '<td style="text-align:right">1,234</td><td><a href="/a?b=1&amp;c=2" title="say &quot;hi&quot;">x&lt;y</a></td>' \
        in html_table
    assert render.table(("a",), [("<b>plain text</b>",)]).count("&lt;b&gt;") == 1  # a str is never markup


def test_bases_summary_follows_the_provenance() -> None:
    from macros.model.records import BaseImage

    stand_ins = [BaseImage("debian:bullseye", "sha256:a", 1, "stand-in"), BaseImage("x<y>", "sha256:b", 1, "stand-in")]
    assert "are local stand-ins" in render.bases_summary(stand_ins) and "x&lt;y&gt;" in render.bases_summary(stand_ins)
    mixed = [BaseImage("a:1", "sha256:a", 1, "pulled"), BaseImage("b:1", "sha256:b", 1, "stand-in")]
    assert "pulled from its registry" in render.bases_summary(mixed) and "stand-ins:" not in render.bases_summary(mixed)


BENCHMARK = {
    "measured_at": "2026-11-27T10:00:00+00:00", "machine": "2 cores <x>", "variants": 8,
    "cold": [{"layer_cache": True, "runs": 3, "bases_pushed": 3, "project_s": 20.0, "shell_s": 16.0,
              "ratio": 1.2504, "ratio_range": [1.2, 1.31], "peak_rss_mib": 101.6, "goal_ratio": 1.0}],
    # The sides' medians give 2.1 / 2.0 = 1.050; the rounds, paired, 1.032: the pairs decide.
    "warm": {"runs": 11, "ours_s": 2.1, "frozen_s": 1.5, "frozen_plugin_s": 2.0, "ours_over_plugin": 1.0321,
             "ours_over_plugin_iqr": [1.01, 1.0549], "goal_ratio": 1.05},
    "incremental": {"edited": "Dockerfile.floor", "seconds": 3.25, "measured": ["floor"]},
}


def test_benchmark_numbers_become_rows_with_the_ratios() -> None:
    rows = benchmark_figures.benchmark_rows(BENCHMARK)
    assert [(r.ours, r.compared_with, r.result, r.detail) for r in rows] == [
        ("20.0 s", "shell loop 16.0 s", "1.250 (goal ≤ 1.0: missed); rounds 1.200–1.310", False),
        ("2.10 s", "frozen pages 1.50 s", "1.40", False),
        ("2.00 s", "frozen pages 1.50 s", "1.33", True),
        ("+0.10 s", "plugin alone 2.00 s", "1.032 (goal ≤ 1.05: met); middle half of the rounds 1.010–1.055", True),
        ("3.2 s", "measured again: floor", "one variant (goal: exactly one: met)", False),
        ("102 MiB", "", "(goal < 250 MiB: met)", False),
    ]
    assert rows[0].scenario == ("cold build, layer cache empty, as on a new machine (median of 3 rounds, the ratio "
                                "taken within each; bases already in the registry)")
    assert rows[3].scenario == "ours on top of the plugin (median of the ratios within each round)"
    just_over = BENCHMARK | {"warm": BENCHMARK["warm"] | {"ours_over_plugin": 1.0504}}  # 1.05 at two decimals
    assert benchmark_figures.benchmark_rows(just_over)[3].result.startswith("1.050 (goal ≤ 1.05: missed)")
    met = BENCHMARK | {"cold": [BENCHMARK["cold"][0] | {"ratio": 0.9712, "ratio_range": [0.95, 1.021]}]}
    assert benchmark_figures.benchmark_rows(met)[0].result == "0.971 (goal ≤ 1.0: met); rounds 0.950–1.021"
    once = BENCHMARK | {"cold": [BENCHMARK["cold"][0] | {"runs": 1, "ratio_range": [1.2504, 1.2504]}]}
    row = benchmark_figures.benchmark_rows(once)[0]  # one round: no median, no range
    assert row.result == "1.250 (goal ≤ 1.0: missed)" and "(one round; bases already in the registry)" in row.scenario
    # Since results.json schema 16 the cold build says how long its start-up runs took: a row under
    # it splits them off (figures measured before then have none, and get no such row).
    split = BENCHMARK | {"cold": [BENCHMARK["cold"][0] | {"project_startup_s": 5.0}]}
    rows = benchmark_figures.benchmark_rows(split)
    assert (rows[1].ours, rows[1].compared_with, rows[1].result, rows[1].detail) == (
        "5.0 s", "the rest 15.0 s", "the rest over the shell loop: 0.938", True)
    assert rows[1].scenario.startswith("of which the start-up runs") and rows[2].scenario.startswith("warm build")


def test_benchmark_table_marks_detail_rows_and_escapes() -> None:
    table = benchmark_figures.benchmark(BENCHMARK)
    assert table.count('<span class="detail-row">↳ ') == 2 and "goal ≤ 1.05" in table
    assert table.endswith('Measured <time datetime="2026-11-27T10:00:00+00:00">2026-11-27 10:00 UTC</time> '
                          'on 2 cores &lt;x&gt;.')
    assert "<td>shell loop 16.0&nbsp;s</td>" in table and "<td>102&nbsp;MiB</td>" in table


def test_awkward_prose_is_found_and_plain_prose_is_not() -> None:
    """The generated-prose check finds each kind it names in an injected sentence, and nothing in
    the sentences the pages now write."""
    for bad in ("1 variant(s) measured again", "2 of the 2 bases are past", "all 1 images agree",
                "1 variants failed", "(1,895,687 and 1,895,687 bytes)", "4 history entries, 1 filesystem layers",
                "comes from go1.19.8 without flags and from go1.19.8 stripped"):
        assert prose.awkward(bad), bad
    for good in ("one variant measured again", "both bases are past", "all 61 images", "2 of the 18 bases",
                 "(both 1,895,687 bytes)", "1,203,281 and 1,284,754 bytes", "Go 1.21 and 1.27",
                 "go1.19.8 in both ways of building", "go1.21.13 and go1.27.3"):
        assert prose.awkward(good) == [], good
    assert prose.text_of("<p>a <code>x(s)</code> b</p><pre>1 variants</pre>") == " a b "
    assert words.share(2, 2, "base") == "both bases" and words.share(0, 3, "base") == "none of the 3 bases"
    assert words.share(1, 18, "base") == "one of the 18 bases" and words.share(18, 18, "base") == "all 18 bases"
    assert words.both(5, 5, "bytes") == "both 5 bytes" and words.both(5, 6, "bytes") == "5 and 6 bytes"
    # a moment to the minute, in UTC whatever offset it was written with
    assert words.utc_minute("2026-12-07T08:21:07+00:00") == "2026-12-07 08:21 UTC"
    assert words.utc_minute("2026-12-07T01:05:59-08:00") == "2026-12-07 09:05 UTC"


def test_a_part_told_by_release_is_listed_oldest_release_first() -> None:
    """The staircase falls by size; the sweep's part (by_release in model/parts.py) goes by Go
    release, the larger build of one release first, so default and stripped builds stay together."""
    sweep = next(p for p, part in PARTS.items() if part.by_release)
    rows = [shown(id=f"{kind}-{minor}", part=sweep, go_version=f"go1.{minor}.1", size_bytes=size)
            for kind, minor, size in (("big", 27, 1_900_000), ("small", 19, 780_000), ("big", 19, 1_200_000),
                                      ("small", 27, 1_210_000))]
    staircase = [shown(id="a", size_bytes=5), shown(id="b", size_bytes=50)]
    assert [r.id for r in render.staircase(rows + staircase)] == ["b", "a", "big-19", "small-19", "big-27",
                                                                   "small-27"]
