"""The cache key, corruption and concurrency: pure logic and the file system, no engine."""
from __future__ import annotations

import dataclasses
import json
import logging
import multiprocessing
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from macros.engine import context
from macros.errors import ConfigError
from macros.measure import recipes
from macros.model import cache, files
from macros.model.cache import ResultCache, cache_key
from macros.model.measurement import SHAPE, Measurement, shape_of
from macros.model.settings import Settings
from macros.model.variants import Expectation

from tests.factories import measurement
from tests.helpers import REPO, cli

BASE = dict(context_digest="c" * 64, bases={"golang:1.21-bullseye": "sha256:aa", "scratch-ish": "sha256:bb"},
            build_args={"A": "1"}, expectation=Expectation(exit_code=0, stderr="Hello, World!\n"),
            binary="/main", timeout_s=30.0, engine_version="20.10.24", storage_driver="overlay2", image_store="classic",
            registry_image="sha256:" + "e" * 64)


@pytest.mark.parametrize(("name", "other"), [
    ("context_digest", "d" * 64),
    ("bases", {"golang:1.21-bullseye": "sha256:ff", "scratch-ish": "sha256:bb"}),
    ("build_args", {"A": "2"}),
    ("expectation", Expectation(exit_code=0, stderr="Hello\n")),
    ("binary", "/app"),
    ("timeout_s", 10.0),
    ("engine_version", "28.2.2"),
    ("storage_driver", "vfs"),
    ("registry_image", "sha256:" + "f" * 64),
])
def test_each_input_on_its_own_changes_the_key(name: str, other: object) -> None:
    assert cache_key(**{**BASE, name: other}) != cache_key(**BASE)


def test_nothing_else_changes_the_key() -> None:
    reordered = {**BASE, "bases": dict(reversed(list(BASE["bases"].items()))),
                 "build_args": dict(BASE["build_args"])}
    assert cache_key(**reordered) == cache_key(**BASE)


def test_a_new_measured_field_changes_the_shape_and_so_every_key(monkeypatch: pytest.MonkeyPatch) -> None:
    @dataclasses.dataclass(frozen=True)
    class Wider(Measurement):
        files: int = 0

    assert shape_of(Wider) != SHAPE == shape_of(Measurement)
    before = cache_key(**BASE)
    monkeypatch.setattr(cache, "SHAPE", shape_of(Wider))
    assert cache_key(**BASE) != before


def _context(tmp_path: Path) -> context.Context:
    app = tmp_path / "app"
    app.mkdir(exist_ok=True)
    (app / "main.go").write_text("package main\n")
    (app / ".dockerignore").write_text("# notes\nnotes.txt\n")
    (app / "notes.txt").write_text("ignored\n")
    (tmp_path / "Dockerfile.x").write_text("FROM scratch\nCOPY . .\n")
    return context.for_folder(app, tmp_path / "Dockerfile.x")


def test_context_digest_follows_sent_files_and_dockerfile_only(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    first = ctx.digest()
    assert ctx.files() == [".dockerignore", "main.go"]
    (tmp_path / "app" / "notes.txt").write_text("changed, but .dockerignore keeps it out\n")
    (tmp_path / "unrelated.txt").write_text("outside the context\n")
    assert ctx.digest() == first
    (tmp_path / "app" / "main.go").write_text("package main // edited\n")
    second = ctx.digest()
    assert second != first
    (tmp_path / "Dockerfile.x").write_text("FROM scratch\nCOPY . /\n")  # read again, as the next load does
    assert context.for_folder(tmp_path / "app", tmp_path / "Dockerfile.x").digest() != second


def test_context_digest_follows_the_permission_bits_a_copy_keeps(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    first, mode = ctx.digest(), (tmp_path / "app" / "main.go").stat().st_mode
    (tmp_path / "app" / "main.go").chmod(0o600 if mode & 0o777 != 0o600 else 0o644)
    assert ctx.digest() != first
    (tmp_path / "app" / "main.go").chmod(mode)
    assert ctx.digest() == first
    (tmp_path / "app").chmod(0o700)
    assert ctx.digest() == first  # the context's own folder is not sent: the Dockerfile's COPY names the target
    (tmp_path / "app" / "sub").mkdir(mode=0o755)
    with_folder = ctx.digest()
    (tmp_path / "app" / "sub").chmod(0o700)
    assert ctx.digest() != with_folder


def test_a_dockerfiles_own_ignore_file_is_read_before_the_contexts(tmp_path: Path) -> None:
    """BuildKit reads `<Dockerfile>.dockerignore` beside the Dockerfile, when there is one, instead
    of the context's `.dockerignore`: the files the key hashes are the ones that builder is sent."""
    ctx = _context(tmp_path)
    assert ctx.ignore_file == tmp_path / "app" / ".dockerignore"
    (tmp_path / "Dockerfile.x.dockerignore").write_text("main.go\n")
    own = context.for_folder(tmp_path / "app", tmp_path / "Dockerfile.x")
    assert own.ignore_file == tmp_path / "Dockerfile.x.dockerignore"
    assert own.files() == [".dockerignore", "notes.txt"]
    assert own.keeps_out() == f"{tmp_path.name}/Dockerfile.x.dockerignore" and ctx.keeps_out() == "its .dockerignore"
    first = own.digest()
    (tmp_path / "app" / "main.go").write_text("package main // kept out now\n")
    assert own.digest() == first
    (tmp_path / "app" / "notes.txt").write_text("sent now\n")
    assert own.digest() != first


def test_a_cache_folder_that_cannot_be_written_is_named_once_before_anything_is_built(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder\n")
    done = cli("measure", cache=tmp_path / "a-file" / "cache")
    said = done.stdout + done.stderr
    assert done.returncode == 1 and "Traceback" not in said, said
    assert said.count(f"cannot write in {tmp_path / 'a-file' / 'cache'}: Not a directory") == 1, said
    assert "Make that folder one this user can create and write" in said and "building" not in said, said


def test_a_folder_with_a_filesystem_mounted_in_it_is_removed_without_reaching_into_it(tmp_path: Path) -> None:
    """As a bootstrap stopped half-way leaves /proc mounted in its root: the mount goes first, so the
    removal never walks the mounted filesystem (whose files it would try to delete)."""
    kept = tmp_path / "mounted-elsewhere"
    kept.mkdir()
    (kept / "precious").write_text("must survive\n")
    inner = tmp_path / "a rün" / "context" / "rootfs" / "proc"  # mountinfo writes the space as \\040
    inner.mkdir(parents=True)
    subprocess.run(["mount", "--bind", str(kept), str(inner)], check=True)
    try:
        (inner / "sub").mkdir()  # a folder inside the mount, mounted on in turn
        subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(inner / "sub")], check=True)
        files.remove_tree(tmp_path / "a rün")
        assert not (tmp_path / "a rün").exists() and (kept / "precious").read_text() == "must survive\n"
        assert str(tmp_path / "a\\040rün") not in Path("/proc/self/mountinfo").read_text()
    finally:  # a failure leaves no mount behind
        for point in (inner / "sub", inner):
            subprocess.run(["umount", "--lazy", str(point)], capture_output=True, check=False)


def test_a_pattern_buildkit_would_refuse_is_named_with_its_file(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / ".dockerignore").write_text("*.md\nnotes[\n")
    with pytest.raises(ConfigError) as refused:
        context.for_folder(tmp_path / "app", tmp_path / "Dockerfile.x", text="FROM scratch\n")
    assert refused.value.message == f"{tmp_path / 'app' / '.dockerignore'}: Invalid ignore pattern 'notes[': syntax " \
                                    "error in pattern", refused.value.message


def test_a_dockerfiles_own_ignore_file_is_not_taken_for_a_dockerfile(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile.a").write_text("FROM debian:bookworm\nCOPY . /\n")
    (tmp_path / "Dockerfile.a.dockerignore").write_text("*.md\n")
    assert recipes.wanted_references(tmp_path) == ["debian:bookworm"]


def test_the_repository_as_a_context_sends_nothing_git_or_a_build_writes(tmp_path: Path) -> None:
    """A variant may name the repository itself as its context: its .dockerignore keeps out what
    git keeps and what building and testing write (some of it on every build, which would make
    such a variant's key change every time), and nothing else."""
    root = tmp_path / "checkout"
    root.mkdir()
    shutil.copy(REPO / ".dockerignore", root / ".dockerignore")
    written = [".git/HEAD", ".venv/bin/python", f"{Settings().cache_dir.name}/results/k.json", "site/index.html",
               ".pytest_cache/v", ".ruff_cache/v", "macros/__pycache__/x.cpython-311.pyc", "x.egg-info/PKG-INFO"]
    kept = ["go-app/main.go", "docs/index.md", "macros/x.py"]
    for rel in (*written, *kept):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel)
    (root / "Dockerfile.x").write_text("FROM scratch\nCOPY . .\n")
    sent = context.for_folder(root, root / "Dockerfile.x").files()
    assert [f for f in sent if Path(root / f).is_file()] == sorted([".dockerignore", "Dockerfile.x", *kept])


def test_round_trip_and_corrupt_entries_are_misses(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    store = ResultCache(tmp_path)
    result = measurement()
    store.put("k", result)
    assert store.get("k") == result
    text = (tmp_path / "k.json").read_text()
    (tmp_path / "k.json").write_text(text[: len(text) // 2])  # truncated
    assert store.get("k") is None
    # said, at info level: a torn cache file is no fault of the pages, and --strict fails on warnings
    assert [r.levelname for r in caplog.records if "unreadable" in r.getMessage()] == ["INFO"]
    store.put("k", result)  # rewritten
    assert store.get("k") == result
    (tmp_path / "k.json").write_text(json.dumps({"id": "x"}))  # readable JSON, wrong shape
    assert store.get("k") is None


def _writer(root: str, n: int) -> None:
    store = ResultCache(Path(root))
    for i in range(n):
        store.put("same", measurement(size_bytes=i + 1))


def test_concurrent_writers_never_leave_a_torn_entry(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    store = ResultCache(tmp_path)
    store.put("same", measurement(size_bytes=1))  # from here on, every read must find a whole entry
    writers = [ctx.Process(target=_writer, args=(str(tmp_path), 200)) for _ in range(2)]
    for w in writers:
        w.start()
    reads = 0
    while any(w.is_alive() for w in writers):
        got = store.get("same")  # a torn or missing file would read as None
        assert got is not None and got.size_bytes >= 1
        reads += 1
    assert reads > 0
    for w in writers:
        w.join()
        assert w.exitcode == 0
    assert store.get("same") is not None
    assert not list(tmp_path.glob("*.tmp"))


def _hold(root: str, seconds: float, started: multiprocessing.synchronize.Event) -> None:
    with ResultCache(Path(root)).lock("k"):
        started.set()
        time.sleep(seconds)


def test_lock_makes_a_second_build_wait(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    started = ctx.Event()
    holder = ctx.Process(target=_hold, args=(str(tmp_path), 0.5, started))
    holder.start()
    assert started.wait(10)
    began = time.monotonic()
    with ResultCache(tmp_path).lock("k"):
        waited = time.monotonic() - began
    holder.join()
    assert waited > 0.2


def test_a_key_lock_s_file_goes_with_it_and_a_waiter_locks_the_new_one(tmp_path: Path) -> None:
    """The file is removed while still held; the build that waited on it then holds a file no
    longer named, and must lock the file that now is: two builds never measure one key at once."""
    locks = ResultCache(tmp_path / "results", locks=tmp_path / "locks")
    inside: list[str] = []
    overlap: list[str] = []
    first_in = threading.Event()

    def build(name: str) -> None:
        with locks.lock("k"):
            if inside:
                overlap.append(name)
            inside.append(name)
            first_in.set()
            time.sleep(0.3)
            inside.remove(name)

    waiter = threading.Thread(target=build, args=("waiter",))
    holder = threading.Thread(target=build, args=("holder",))
    holder.start()
    assert first_in.wait(5)
    waiter.start()           # blocks on the holder's file, which the holder then removes
    time.sleep(0.1)
    third = threading.Thread(target=build, args=("third",))
    holder.join()
    third.start()            # opens the path anew, as the waiter gets the removed file's lock
    for thread in (waiter, third):
        thread.join()
    assert overlap == []
    assert list((tmp_path / "locks").glob("*.lock")) == []


def test_lock_files_no_one_holds_are_removed_and_a_held_one_kept(tmp_path: Path) -> None:
    locks = ResultCache(tmp_path / "results", locks=tmp_path / "locks")
    (tmp_path / "locks").mkdir()
    for key in ("old1", "old2"):
        (tmp_path / "locks" / f"{key}.lock").touch()  # as an earlier version left them
    with locks.lock("busy"):
        assert locks.remove_unheld_locks() == 2
        assert [p.name for p in (tmp_path / "locks").glob("*.lock")] == ["busy.lock"]
    assert list((tmp_path / "locks").glob("*.lock")) == []


def test_what_earlier_versions_kept_goes_from_the_own_cache_only(tmp_path: Path) -> None:
    """The names earlier versions kept are removed from the checkout's own cache folder; a folder
    SMALLEST_GO_CACHE names may hold what is not ours, so from there nothing is."""
    from macros.model import files
    from macros.model.settings import REPO, Settings

    own = Settings(cache_dir=REPO / ".cache")
    assert own.retired() == [REPO / ".cache" / name for name in own.retired_cache] and own.retired()
    elsewhere = Settings(cache_dir=tmp_path)
    for name in elsewhere.retired_cache:
        (tmp_path / name).mkdir()
    assert elsewhere.retired() == []
    # what a build does with the list: each retired file or folder goes, and nothing beside it
    (tmp_path / "results").mkdir()
    (tmp_path / "base-sizes-2.json").write_text("{}")
    (tmp_path / "diffs" / "a.json").write_text("{}")
    gone = files.remove_all(tmp_path / name for name in own.retired_cache)
    assert sorted(p.name for p in gone) == sorted(own.retired_cache)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base-sizes-2.json", "results"]
    assert files.remove_all([tmp_path / "diffs"]) == []
