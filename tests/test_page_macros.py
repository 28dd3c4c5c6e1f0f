"""Every macro the pages can call, over a session made of records: pure, no engine."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from macros.errors import PageError, ProjectError, VariantFailed
from macros.measure import own_files
from macros.model import history, upstream
from macros.model.fidelity import compare
from macros.model.records import Account, BaseImage, EngineFacts, RegistryFacts
from macros.model.session import Session
from macros.model.settings import Settings
from macros.pages import history_macros
from macros.pages import page_macros as m
from macros.pages.markup import moment

from tests.factories import NONROOT, ROOT, runs_as_nonroot, shown
from tests.helpers import scratch

BIG = shown(id="big", title="Big", size_bytes=800_000_000, transfer_bytes=280_000_000,
              binary_bytes=1_284_754, start_s=0.0904, process_s=0.0021)
SMALL = shown(id="small", title="Small", part="binary", size_bytes=309_376,
                transfer_bytes=308_304, binary_bytes=309_376, go_version="", start_s=0.113, process_s=0.0209,
                dockerfile="dockerfiles/Dockerfile.small", dockerfile_text="FROM scratch\nCOPY main /main\n")
SETTINGS = Settings(cache_dir=scratch("smallest-go-test-"))
FAILING = "variant 'broken': build failed at step 2"
SESSION = Session(engine=EngineFacts("unix:///x", "20.10.24", "1.41", "overlay2", "Debian", "x86_64", "6.1",
                                     image_store="classic"),
                  registry=RegistryFacts("127.0.0.1:5000", "sha256:" + "d" * 64, "2.7.1+ds2"),
                  bases=[BaseImage("golang:1.21-bullseye", "sha256:" + "b" * 64, 753_613_142, "stand-in",
                                   recipe_hash="c" * 64, transfer_bytes=280_000_000, store_bytes=753_613_142)],
                  declared=[BIG.variant, SMALL.variant], results=[BIG, SMALL], generated_at="2026-11-27T09:00:00+00:00", failures={"broken": FAILING})


def page(url: str = "", **kw: object) -> m.Page:
    return m.Page(session=SESSION, settings=SETTINGS, url=url, **kw)  # type: ignore[arg-type]


def test_numbers_come_from_the_results() -> None:
    p = page()
    assert (m.size(p, "big"), m.size_bytes(p, "big"), m.transfer(p, "big")) == ("800MB", "800,000,000", "280MB")
    assert (m.binary_size(p, "small"), m.go_version(p, "big"), m.go_version(p, "small")) == ("309kB", "go1.21.13", "")
    assert (m.start_time(p, "big"), m.start_time(p, "small"), m.start_runs(p, "big")) == ("90.4 ms", "113 ms", "7")
    assert (m.process_time(p, "big"), m.process_time(p, "small")) == ("under 5 ms", "20.9 ms")
    assert m.times_smaller(p, "big", "small") == "2,586" and m.percent_smaller(p, "big", "small") == "100%"
    assert m.difference(p, "big", "small") == "800MB" and m.binary_share(p, "small") == "1.000"
    assert m.base_size(p, "golang:1.21-bullseye") == "754MB" and m.measured_at(p) == moment(SESSION.generated_at)


def test_blocks_are_the_renderers() -> None:
    p = page()
    assert m.dockerfile(p, "small") == '``` dockerfile title="dockerfiles/Dockerfile.small"\nFROM scratch\nCOPY main /main\n```'
    assert "\n FROM scratch\n" in m.dockerfile_diff(p, "big", "small")  # unchanged: context, not a change
    assert "+COPY main /main\n" in m.dockerfile_diff(p, "big", "small")
    assert "Exit code: **0**" in m.run_output(p, "big") and "<details" in m.layers(p, "big")
    assert m.variant_detail(p, "small").startswith("# Small\n") and "golang:1.21-bullseye" in m.bases_table(p)
    assert "stand-in" in m.bases_summary(p) and "<td>2.7.1+ds2 at 127.0.0.1:5000</td>" in m.engine_macros.engine_table(p)


def test_the_engines_own_figure_is_shown_only_where_it_differs() -> None:
    """On overlay2 the engine's figure is the layers' files as overlay2 counts them (checked in the
    build): one sentence says so, and what a file copied up unchanged adds to it, and no table
    repeats it. On the containerd store it is another number, shown beside."""
    p = page()
    assert "overlay2" in m.engine_macros.store_sizes(p) and "for all 3 images." in m.engine_macros.store_sizes(p)
    assert "No layer held a file copied up unchanged" in m.engine_macros.store_sizes(p)
    assert "This engine's store" not in m.results_table(p)
    copied = SMALL._replace(measured=replace(SMALL.measured, store_bytes=SMALL.measured.size_bytes + 843_118))
    o = m.Page(session=replace(SESSION, results=[BIG, copied]), settings=SETTINGS, url="")
    assert "For one image it is larger than the size, by the files copied up unchanged (843,118 bytes)" \
        in m.engine_macros.store_sizes(o)
    assert "This engine's store" not in m.results_table(o)
    packed = SMALL._replace(measured=replace(SMALL.measured, store_bytes=150_000))
    engine = SESSION.engine._replace(image_store="containerd", storage_driver="overlayfs")
    q = m.Page(session=replace(SESSION, results=[BIG, packed], engine=engine), settings=SETTINGS, url="")
    assert "This engine's store" in m.results_table(q) and "<td style=\"text-align:right\">150kB</td>" in m.results_table(q)
    assert "differs for 1 of 3 images" in m.engine_macros.store_sizes(q)


def test_the_platform_is_said_and_an_engine_that_emulated_it_is_named() -> None:
    """Sizes are the declared platform's on every engine; an engine of another architecture
    (Docker Desktop on Apple silicon) emulated it, which its times show and the page says."""
    native = SESSION.engine._replace(arch="amd64", platform="linux/amd64")
    p = m.Page(session=replace(SESSION, engine=native), settings=SETTINGS, url="")
    assert "is built for `linux/amd64`" in m.engine_macros.built_for(p)
    assert m.engine_macros.built_for(p).endswith("This engine is `amd64` too, so nothing ran under emulation.")
    assert "<td>linux/amd64</td>" in m.engine_macros.engine_table(p)
    apple = SESSION.engine._replace(arch="arm64", platform="linux/amd64")
    q = m.Page(session=replace(SESSION, engine=apple), settings=SETTINGS, url="")
    assert m.engine_macros.built_for(q).endswith(
        "This engine is `arm64`: it ran the build steps and the programs under emulation, so the sizes are those "
        "of `linux/amd64`, and the times and peak memory are the emulator's.")
    assert "<td>linux/amd64 (under emulation)</td>" in m.engine_macros.engine_table(q)
    assert m.engine_macros.emulated(p) == ""  # nothing is said on a native engine
    assert "under emulation" not in m.variant_detail(p, "small") + m.results_table(p)
    assert m.results_table(q).endswith("</table>\n\n" + m.engine_macros.emulated(q))
    assert "\n\n" + m.engine_macros.emulated(q) + "\n\n## Layers" in m.variant_detail(q, "small")
    assert m.engine_macros.emulated(q).startswith("The engine that measured these figures runs on `arm64` and "
                                                  "ran the `linux/amd64` images under emulation")


def test_limits_are_the_settings() -> None:
    p = page()
    assert (SETTINGS.run_memory, SETTINGS.capture_bytes, SETTINGS.default_build_timeout_s) == ("256m", 65536, 300.0)
    assert (m.limit(p, "run_memory"), m.limit(p, "capture"), m.limit(p, "build_timeout")) == ("256 MiB", "64 KiB", "300 s")
    with pytest.raises(PageError, match="no limit 'memory'"):
        m.limit(p, "memory")


def test_links_work_from_any_page_depth() -> None:
    assert m.detail_link(page(), "big") == '<a href="variants/big/">Big</a>'
    assert m.detail_link(page("binary/"), "big", "the big one") == '<a href="../variants/big/">the big one</a>'
    assert m.detail_link(page("variants/small.html", directory_urls=False), "big") == \
        '<a href="../variants/big.html">Big</a>'
    assert m.results_link(page("a/b/")) == '<a href="../../results.json"><code>results.json</code></a>'


def test_tables_and_chart_take_a_part() -> None:
    p = page()
    assert "Big" in m.results_table(p) and "Small" in m.results_table(p)
    assert "Big" in m.results_table(p, "base") and "Small" not in m.results_table(p, "base")
    with pytest.raises(PageError, match="no part 'bianry' \\(did you mean 'binary'\\?\\)"):
        m.results_table(p, "bianry")
    chart = m.size_chart(p, "binary")
    assert chart.startswith('<div class="size-chart">\n<svg') and "Small" in chart and "Big" not in chart


def test_a_failed_or_unknown_variant() -> None:
    with pytest.raises(VariantFailed) as failed:
        m.size(page(), "broken")
    assert failed.value.message == FAILING
    with pytest.raises(PageError, match="no variant 'bgi' \\(did you mean 'big'\\?\\); known: big, small, broken"):
        m.size(page(), "bgi")
    with pytest.raises(PageError, match="no base image"):
        m.base_size(page(), "debian:sid")


def test_benchmark_table_reads_the_stored_figures(tmp_path: Path) -> None:
    assert "has not been run yet" in m.benchmark_table(page(docs_dir=tmp_path))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "benchmark.json").write_text(json.dumps(
        {"measured_at": "2026-11-27T10:00:00+00:00", "machine": "2 cores",
         "warm": {"runs": 3, "ours_s": 2.0, "frozen_s": 1.0, "frozen_plugin_s": 1.6, "ours_over_plugin": 1.25,
                  "ours_over_plugin_iqr": [1.2, 1.3], "goal_ratio": 1.05},
         "serve": {"seconds": [1.2, 1.31, 1.64], "goal_s": 1.5}}))
    table = m.benchmark_table(page(docs_dir=tmp_path))
    assert "1.250 (goal ≤ 1.05: missed)" in table and table.endswith('Measured <time datetime="2026-11-27T10:00:00+00:00">2026-11-27 10:00 UTC</time> on 2 cores.')
    assert "served again (median of 3)</td><td>1.31&nbsp;s</td><td>slowest 1.64&nbsp;s</td>" in table  # one line each
    assert "(goal ≤ 1.5 s: median met, slowest missed)" in table


def test_every_macro_is_registered_once() -> None:
    from macros.pages import (
        answer_macros,
        check_macros,
        diff_macros,
        edition_macros,
        engine_macros,
        fidelity_macros,
        history_macros,
        named_macros,
    )

    # used by macros, not macros themselves
    helpers = ("unknown", "dataclass", "editions", "rows", "short", "todays", "provenance", "go_images",
               "diff_of", "signed", "summary", "table", "on_variant_page", "system_words")
    names = [name for module in (m, answer_macros, edition_macros, check_macros, history_macros, fidelity_macros,
                                 engine_macros, diff_macros, named_macros)
             for name in dir(module)
             if callable(getattr(module, name)) and getattr(getattr(module, name), "__module__", "") == module.__name__
             and not name[0].isupper() and not name.startswith("_") and name not in helpers]
    assert sorted(m.MACROS) == sorted(names)


def test_bases_are_kept_in_the_registry_under_their_own_names() -> None:
    from macros.measure.registry import mirror_name

    assert mirror_name("debian:bullseye") == "library/debian"
    assert mirror_name("golang:1.21-bullseye") == "library/golang"
    assert mirror_name("gcr.io/distroless/static-debian11") == "gcr.io/distroless/static-debian11"
    assert mirror_name("someone/tool:1") == "someone/tool"
    assert mirror_name("localhost:5000/x/y:2") == "localhost:5000/x/y"


def test_the_engines_comparison_is_said_from_its_record(tmp_path: Path) -> None:
    """Methodology's comparison: a sentence that follows the record (agree or not), a row per
    engine, and the images that differ named with both figures."""
    def row(image: str, size: tuple[int, int], transfer: tuple[int, int], base: bool = False) -> dict[str, object]:
        return {"image": image, "base": base, "size": size[0], "other_size": size[1], "transfer": transfer[0],
                "other_transfer": transfer[1], "other_store": transfer[1]}
    classic = {"version": "20.10.24", "os": "Debian 12", "storage_driver": "overlay2", "image_store": "classic"}
    containerd = {"version": "26.1.5", "os": "Debian 13", "storage_driver": "overlayfs", "image_store": "containerd"}
    agreeing = [row("floor", (159, 159), (2_017, 1_082)), row("debian:trixie", (78_000_000, 78_000_000),
                                                               (30_000_000, 30_010_000), base=True)]
    record = tmp_path / "engines.json"
    record.write_text(json.dumps({"compared_at": "2026-12-05T23:00:00+00:00", "comparisons": [
        {"engine": classic, "other_engine": containerd, "only_one": [], "rows": agreeing}]}))
    p = m.Page(session=SESSION, settings=replace(SETTINGS, engines_file=record), url="")
    said = m.engine_macros.engines_compared(p)
    assert "On 2026-12-05, for one variant and one base image, they were:" in said
    assert "Docker 26.1.5 (Debian 13), containerd image store" in said and "2 of 2" in said
    assert "+10,000 bytes (+0.033%, debian:trixie)" in said and "The images that differ" not in said
    apart = [*agreeing, row("distroless", (3_788_036, 3_788_037), (1_660_542, 1_659_668))]
    record.write_text(json.dumps({"compared_at": "2026-12-05T23:00:00+00:00", "comparisons": [
        {"engine": classic, "other_engine": containerd, "only_one": [], "rows": apart}]}))
    said = m.engine_macros.engines_compared(p)
    assert "for 2 variants and one base image, they were not:" in said and "2 of 3" in said
    assert "distroless, 3,788,036 bytes of files and 1,660,542 of transfer here, 3,788,037 and 1,659,668 there" in said
    assert "floor," not in said.partition("The images that differ")[2]


def test_a_comparison_that_reads_the_wrong_way_or_across_editions_fails() -> None:
    """Each "smaller", "larger" and "below" is checked by the macro that prints it: the first variant
    named must be the larger, and two editions are compared only where the call says so."""
    from dataclasses import replace as replaced

    from macros.errors import PageError
    then = BIG._replace(variant=replaced(BIG.variant, edition="2022"))
    now = SMALL._replace(variant=replaced(SMALL.variant, edition="2026"))
    p = m.Page(session=replaced(SESSION, results=[then, now]), settings=SETTINGS)
    for macro in (m.times_smaller, m.percent_smaller, m.difference, m.percent_larger):
        with pytest.raises(PageError, match="different editions"):
            macro(p, "big", "small")
        assert macro(p, "big", "small", across=True)
        with pytest.raises(PageError, match="to be larger than"):
            macro(p, "small", "big", across=True)
    assert m.times_smaller(page(), "big", "small") == "2,586"


def test_a_comparison_of_another_quantity_reads_that_quantity_and_is_checked_the_same_way() -> None:
    """`of` names the measured bytes a sentence compares (the binaries, the transfers); a quantity
    that is not a count of bytes every variant has is refused, naming those that are."""
    from macros.errors import PageError
    p = page()
    assert m.times_smaller(p, "big", "small", of="binary_bytes") == "4.2"
    assert m.difference(p, "big", "small", of="transfer_bytes") == "280MB"
    with pytest.raises(PageError, match="binary_bytes"):
        m.times_smaller(p, "small", "big", of="binary_bytes")
    with pytest.raises(PageError, match=r"no quantity 'peak_memory_bytes'.*transfer_bytes"):
        m.times_smaller(p, "big", "small", of="peak_memory_bytes")


def test_the_sweeps_ends_are_found_by_release_not_named_by_hand() -> None:
    """The prose names "the newest release" through release_id, so a new release moves it."""
    from dataclasses import replace as replaced

    from macros.model.releases import PART
    sweep = [shown(id=f"{family}-{n}", title=f"{family} {n}", part=PART, family=family, go_version=f"go1.{n}.2",
                   size_bytes=size) for family, size in (("go", 2_000_000), ("go-stripped", 1_000_000))
             for n in (27, 19, 21)]
    built_with = shown(id="then", title="Then", go_version="go1.21.13")
    p = m.Page(session=replaced(SESSION, results=[*sweep, built_with]), settings=SETTINGS)
    release_id = m.MACROS["release_id"][0]
    assert release_id(p, "go", "newest") == "go-27" and release_id(p, "go-stripped", "oldest") == "go-stripped-19"
    assert release_id(p, "go", "then") == "go-21"
    with pytest.raises(PageError, match="way of building"):
        release_id(p, "nope", "newest")


def test_what_the_sweep_says_of_every_release_is_computed_from_it() -> None:
    """"Every release added to the binary" and "stripping pays at every release" are read from the
    sweep, so a release that breaks the pattern changes the sentence instead of falsifying it."""
    from dataclasses import replace as replaced

    from macros.model.releases import PART

    def sweep(binaries: dict[int, int], stripped: dict[int, int]) -> m.Page:
        made = [shown(id=f"{family}-{n}", title=f"{family} {n}", part=PART, family=family, go_version=f"go1.{n}.2",
                      size_bytes=size, binary_bytes=size)
                for family, sizes in (("go", binaries), ("go-stripped", stripped)) for n, size in sizes.items()]
        return m.Page(session=replaced(SESSION, results=made), settings=SETTINGS)

    growth, smaller = m.MACROS["binary_growth"][0], m.MACROS["smaller_at"][0]
    steady = sweep({27: 3_000, 19: 1_000, 21: 2_000}, {19: 500, 21: 900, 27: 1_500})
    assert growth(steady, "go") == "every release so far added to the binary"
    assert smaller(steady, "go-stripped", "go") == "at every release"
    mixed = sweep({19: 1_000, 21: 2_000, 22: 1_500, 27: 3_000}, {19: 500, 21: 2_100, 27: 1_500})
    assert growth(mixed, "go") == "2 of the 3 steps from one release to the next added to the binary"
    assert smaller(mixed, "go-stripped", "go") == "at 2 of the 3 releases (not with go1.21.2)"
    with pytest.raises(PageError, match="way of building"):
        growth(mixed, "nope")


def test_the_stand_ins_are_described_in_the_words_their_entries_declare() -> None:
    """One item per definition followed, naming every stand-in that follows it, sorted; a new recipe
    needs no prose of its own on Methodology, and a build without stand-ins says so."""
    def stand_in(ref: str, what: str, source: str) -> BaseImage:
        follows = {"what": what, "source": source, "date": "2026-01-02"}
        return BaseImage(ref, "sha256:" + "e" * 64, 1, "stand-in", fidelity=compare(
            None, packages=None, size_bytes=1, transfer_bytes=None, follows=follows, gaps=(), tolerance_percent=2.0))

    one = "the <one> recipe", "https://example.org/one"
    bases = [stand_in("z:1", *one), stand_in("other:1", "another recipe", "https://example.org/two"),
             stand_in("a:1", *one), stand_in("m:1", *one), BaseImage("pulled:1", "sha256:" + "f" * 64, 1, "pulled")]
    said = m.fidelity_macros.stand_ins_made(m.Page(session=replace(SESSION, bases=bases), settings=SETTINGS, url=""))
    assert said.splitlines() == [
        '- <code>a:1</code>, <code>m:1</code> and <code>z:1</code> follow the &lt;one&gt; recipe. '
        'See <a href="https://example.org/one">the definition</a> as of 2026-01-02.',
        '- <code>other:1</code> follows another recipe. See <a href="https://example.org/two">the definition</a> '
        'as of 2026-01-02.']
    assert "No base of this build is a stand-in" in m.fidelity_macros.stand_ins_made(
        m.Page(session=replace(SESSION, bases=bases[-1:]), settings=SETTINGS, url=""))


def test_the_fidelity_table_names_what_differs_in_packages_users_and_configuration(tmp_path: Path) -> None:
    source = "{repo: o/r, file: dir/def.yaml, commit: 0123456789abcdef, date: '2026-01-01'}"
    (tmp_path / "upstream.yml").write_text(
        f"img:1:\n  packages: {{names: [base-files, tzdata], source: {source}}}\n"
        f"{runs_as_nonroot(source)}"
        f"  config: {{cmd: [bash], env: {{PATH: /usr/bin}}, source: {source[:-1]}, note: 'HOME left out'}}}}\n")
    entry = upstream.load(tmp_path / "upstream.yml")["img:1"]

    def row(packages: frozenset[str], accounts: tuple[Account, ...], user: str, working_dir: str,
            env: tuple[str, ...]) -> str:
        f = compare(entry, packages=packages, size_bytes=1, transfer_bytes=None, follows={}, gaps=(),
                    tolerance_percent=2.0, accounts=accounts, user=user, working_dir=working_dir,
                    cmd=("bash",), env=env)
        base = BaseImage("img:1", "sha256:" + "e" * 64, 1, "stand-in", fidelity=f)
        return m.fidelity_macros.fidelity_table(m.Page(session=replace(SESSION, bases=[base]), settings=SETTINGS, url=""))

    same = row(frozenset({"base-files", "tzdata"}), (ROOT, NONROOT), "65532", "/home/nonroot", ("PATH=/usr/bin",))
    assert same.count('the same as <a href="https://github.com/o/r/blob/0123456789abcdef/dir/def.yaml">def.yaml</a>') == 3
    assert "runs as nonroot (UID 65532) in /home/nonroot, as <a" in same
    other = row(frozenset({"base-files", "bash"}), (ROOT, Account("app", 1000, "/")), "", "/", ("PATH=/bin",))
    assert "missing: tzdata<br>extra: bash<br>against <a" in other
    assert "missing: nonroot (UID 65532)<br>extra: app (UID 1000)<br>against <a" in other
    assert "runs as root (UID 0) in /; upstream as nonroot (UID 65532) in /home/nonroot (<a" in other
    assert "PATH=/bin against upstream's /usr/bin<br>against <a" in other
    assert "def.yaml</a> (2026-01-01)<br>HOME left out</td>" in other  # the record's note, under its cell


def test_what_changed_compares_this_build_with_the_last_record_or_the_one_before_it(tmp_path: Path) -> None:
    settings = replace(SETTINGS, history_file=tmp_path / "history.jsonl")

    def said(*records: dict[str, object]) -> str:
        settings.history_file.write_text("".join(json.dumps(r) + "\n" for r in records))
        return history_macros.what_changed(m.Page(session=SESSION, settings=settings, url=""))

    this = history.record_of(SESSION.document, recorded_at="2026-11-27T09:05:00+00:00")
    earlier = json.loads(json.dumps(this)) | {"recorded_at": "2026-11-26T08:00:00+00:00"}
    earlier["variants"]["small"]["size_bytes"] += 1
    assert said(earlier).startswith('Against the last record (<time datetime="2026-11-26T08:00:00+00:00">'
                                    '2026-11-26 08:00 UTC</time>), one variant differs (a size that moved')
    # nothing but the size moved: the table says "none recorded", and the text under it what that means
    assert "none recorded" in said(earlier) and said(earlier).endswith("fetched from the Debian mirror.")
    # once this build is recorded, it is compared with the record before it
    assert said(earlier, this).startswith("This build is the last record (<time") \
        and "Against the record before it (" in said(earlier, this) and "one variant differs" in said(earlier, this)
    assert said(this) == ('This build is the last record (<time datetime="2026-11-27T09:05:00+00:00">2026-11-27 09:05 '
                          "UTC</time>). No build was recorded before it, so there is nothing to compare it with.")
    earlier["variants"]["big"]["size_bytes"] += 1
    earlier["engine"] = earlier["engine"] | {"version": "20.10.23"}
    assert "), 2 variants differ (" in said(earlier)
    assert "Debian mirror" not in said(earlier)  # every size that moved has an input that moved with it


def test_a_bases_users_and_the_user_it_runs_as_are_read_from_its_own_files() -> None:
    passwd = (b"root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n"
              b"# not an account\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")
    assert own_files.pretty_name(b'NAME=x\nPRETTY_NAME="Debian GNU/Linux 13 (trixie)"\n') == "Debian GNU/Linux 13 (trixie)"
    assert own_files.pretty_name(b'PRETTY_NAME="Unclosed\n') == "Unclosed" and own_files.pretty_name(b"ID=x\n") == ""
    found = own_files.accounts(passwd)
    assert [(a.name, a.uid, a.home) for a in found] == [
        ("root", 0, "/root"), ("nobody", 65534, "/nonexistent"), ("nonroot", 65532, "/home/nonroot")]
    rooted = BaseImage("static:1", "sha256:" + "e" * 64, 1, "stand-in", accounts=found)
    by_name = rooted._replace(reference="static:nonroot", user="nonroot", working_dir="/home/nonroot")
    by_uid = rooted._replace(reference="static:uid", user="65532:65532", working_dir="/home/nonroot")
    p = m.Page(session=replace(SESSION, bases=[rooted, by_name, by_uid, rooted._replace(reference="bare:1", accounts=())]),
               settings=SETTINGS, url="")  # type: ignore[arg-type]
    assert m.named_macros.accounts(p, "static:1") == "`root`, `nobody` and `nonroot`"
    assert m.named_macros.runs_as(p, "static:1") == "`root` (UID 0) in `/`"
    assert m.named_macros.runs_as(p, "static:nonroot") == "`nonroot` (UID 65532) in `/home/nonroot`"
    assert m.named_macros.runs_as(p, "static:uid") == m.named_macros.runs_as(p, "static:nonroot")
    with pytest.raises(PageError, match="declares no users"):
        m.named_macros.accounts(p, "bare:1")
    with pytest.raises(PageError, match="does not declare"):
        m.named_macros.runs_as(p, "bare:1")
    assert BaseImage("x:1", "sha256:x", 1, "pulled", accounts=found[:1]).as_dict()["accounts"] == [
        {"name": "root", "uid": 0, "home": "/root"}]


def test_what_an_image_holds_is_said_from_its_contents() -> None:
    from macros.model.measurement import Contents

    bare = shown(id="bare", title="Bare")
    full = shown(id="full", title="Full", contents=Contents(files=9, shell=True, package_manager="apt", packages=209,
                                                             setuid_files=()))
    p = m.Page(session=replace(SESSION, results=[bare, full]), settings=SETTINGS, url="")  # type: ignore[arg-type]
    holds = m.MACROS["holds"][0]
    assert (holds(p, "bare"), holds(p, "full")) == ("no shell and no package manager", "a shell and `apt`")


def test_results_files_are_written_whole_or_refused_in_one_message(tmp_path: Path) -> None:
    SESSION.write_json(tmp_path / "out" / "results.json")
    SESSION.write_csv(tmp_path / "out" / "results.csv")
    assert json.loads((tmp_path / "out" / "results.json").read_text())["variants"][0]["id"] == "big"
    assert (tmp_path / "out" / "results.csv").read_bytes().startswith(b"id,")
    (tmp_path / "a-file").write_text("not a folder\n")
    for write in (SESSION.write_json, SESSION.write_csv):
        with pytest.raises(ProjectError, match=f"cannot write {tmp_path / 'a-file'}/results"):
            write(tmp_path / "a-file" / "results")
