"""SIGTERM as Ctrl-C: so that `finally` blocks run and nothing of ours is left in the engine.

Python's default SIGTERM action ends the process at once, skipping cleanup. Turned into
KeyboardInterrupt, it unwinds: a build's CLI process is interrupted (BuildKit then cancels the
step), and a run container is removed by `runs.run`'s finally.
"""
from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from types import FrameType
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:  # the SDK is imported by whoever has a client
    import docker


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _children() -> set[int]:
    """This process's children that still run (an ended one waits, a zombie, for the thread that
    started it to collect its status: left to that thread, which reads how it ended). Asked of
    `ps`, which macOS has as well as Linux."""
    ps = subprocess.Popen(["ps", "-A", "-o", "pid=,ppid=,stat="], stdout=subprocess.PIPE, text=True)
    listed, _ = ps.communicate()
    me, running = str(os.getpid()), set()
    for line in listed.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] == me and not fields[2].startswith("Z") and int(fields[0]) != ps.pid:
            running.add(int(fields[0]))  # not `ps` itself, a child of ours while it lists
    return running


def _stop_children(wait_s: float = 15.0, quiet_s: float = 0.5) -> None:
    """Interrupt this process's own children (the builds' `docker buildx build`, as Ctrl-C would;
    a preparer's host step, debootstrap say, with all it started) and wait for them to end, so that
    no build goes on after the process. A worker may start a child after the first are signalled
    (a preparer's next step, a build about to begin): children are looked for until none has run
    for `quiet_s`."""
    signalled: set[int] = set()
    quiet = time.monotonic()  # when a child of ours was last seen running
    deadline = quiet + wait_s
    while time.monotonic() < deadline:
        running = _children()
        for pid in running - signalled:
            signalled.add(pid)
            with contextlib.suppress(OSError):
                if os.getpgid(pid) == pid:  # a host step in a session of its own (preparers.py): it and all
                    os.killpg(pid, signal.SIGTERM)  # it started; SIGTERM, which a shell in the background heeds
                else:
                    os.kill(pid, signal.SIGINT)
        if running:
            quiet = time.monotonic()
        elif time.monotonic() - quiet >= quiet_s:
            return
        time.sleep(0.1)


def install() -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)


def abandon(client: docker.DockerClient) -> NoReturn:
    """Interrupted while builds run in worker threads, which cannot be interrupted: interrupt the
    builds' CLI processes (BuildKit then cancels their steps) and the preparers' host steps, remove
    this run's containers, then end the process. Cache locks are released by the OS, and the run's
    folders (which the threads building would remove, were they not ended with the process) are
    removed here, so nothing stays behind."""
    from ..engine import buildkit, cleanup, labels
    from ..log import log
    from ..model import files

    log.error("interrupted: stopping the builds in flight")
    try:
        _stop_children()
        for folder in buildkit.folders_left().get(labels.RUN_ID, []):  # the builds have stopped: ours to remove
            files.remove_tree(folder)
        cleanup.remove_containers(client, run_id=labels.RUN_ID)  # this run's, no one else's
    finally:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
