"""SIGTERM as Ctrl-C: so that `finally` blocks run and nothing of ours is left in the engine.

Python's default SIGTERM action ends the process at once, skipping cleanup. Turned into
KeyboardInterrupt, it unwinds: the build stream is closed (the engine then cancels the build and
removes its intermediate container), and a run container is removed by `runs.run`'s finally.
"""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:  # the SDK is imported by whoever has a client
    import docker


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def install() -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)


def abandon(client: docker.DockerClient) -> NoReturn:
    """Interrupted while builds run in worker threads, which cannot be interrupted: remove this
    run's containers, then end the process. Its connections close with it, so the engine cancels
    the builds and removes their intermediate containers; cache locks are released by the OS,
    and build contexts live in anonymous temporary files, so nothing stays behind."""
    from ..engine import cleanup, labels
    from ..log import log

    log.error("interrupted: stopping the builds in flight")
    try:
        cleanup.remove_containers(client, run_id=labels.RUN_ID)  # this run's, no one else's
    finally:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
