"""The run lock that tells a live run's containers from a dead run's: pure file locks, no engine. And
the turn that lets one run of the engine's tests at a time."""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from macros.engine import lock
from macros.engine.labels import RUN_ID

REPO = Path(__file__).resolve().parent.parent


def test_a_run_may_say_it_is_alive_twice_and_is_dead_once_it_stops(tmp_path: Path) -> None:
    with lock.running(tmp_path), lock.running(tmp_path):  # nested: the tests' session, then a build
        assert lock.alive(tmp_path, RUN_ID)
    assert not lock.alive(tmp_path, RUN_ID) and not (tmp_path / f"{RUN_ID}.lock").exists()


def test_the_lock_files_of_ended_runs_are_forgotten_and_a_live_one_kept(tmp_path: Path) -> None:
    (tmp_path / "0123456789abcdef.lock").touch()  # a run that ended
    with lock.held(tmp_path / "fedcba9876543210.lock", exclusive=True):  # one still going
        lock.forget_dead(tmp_path)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["fedcba9876543210.lock"]
    assert not lock.alive(tmp_path, "0123456789abcdef")


@pytest.mark.docker  # so that this run holds the engine tests' turn (conftest.py)
def test_a_second_run_of_the_engine_tests_waits_for_this_one_saying_so(tmp_path: Path) -> None:
    before = _scratch()
    (tmp_path / "test_wait.py").write_text("import pytest\n\n@pytest.mark.docker\ndef test_x():\n    pass\n")
    said = tmp_path / "second.log"
    with said.open("w") as out:
        second = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir",
                                   str(REPO), "-c", str(REPO / "pyproject.toml"), "--confcutdir", str(REPO / "tests"),
                                   "-p", "tests.conftest", str(tmp_path / "test_wait.py")],
                                  cwd=REPO, stdout=out, stderr=subprocess.STDOUT, text=True)
    try:
        # Until it says it waits (its start-up is slow on a busy machine), then a moment more: it
        # must still be waiting, not have run its test.
        deadline = time.monotonic() + 120
        while "waiting for it to end" not in said.read_text() and second.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)
        still = second.poll() is None
    finally:
        # Killed: a Ctrl-C may be ignored here (a CI runner may start the tests with SIGINT ignored),
        # so the scratch folders its configuration made are removed for it.
        second.kill()
        second.wait()
        for folder in _scratch() - before:
            shutil.rmtree(folder)
    text = said.read_text()
    assert "another run of the engine's tests holds" in text and "waiting for it to end" in text, text
    assert still and "passed" not in text, text


def _scratch() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("smallest-go-test-*"))


STOPS_LATE_CHILDREN = """
import subprocess, threading, time
from macros.measure import interrupt
first = subprocess.Popen(["sleep", "30"], start_new_session=True)
later = []
threading.Timer(0.3, lambda: later.append(subprocess.Popen(["sleep", "30"], start_new_session=True))).start()
interrupt._stop_children(wait_s=10, quiet_s=1.0)
print(first.wait(timeout=2), later[0].wait(timeout=2))
"""


def test_an_interrupt_stops_a_child_started_after_it_signalled_the_first() -> None:
    """A worker may start a preparer's next step just after the interrupt signalled the running
    ones: it is looked for again, and stopped too. In a process of its own, whose only children
    are the two it makes."""
    done = subprocess.run([sys.executable, "-c", STOPS_LATE_CHILDREN], cwd=REPO, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and done.stdout.split() == ["-15", "-15"], done.stdout + done.stderr
