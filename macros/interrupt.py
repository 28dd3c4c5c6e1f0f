"""SIGTERM as Ctrl-C: so that `finally` blocks run and nothing of ours is left in the engine.

Python's default SIGTERM action ends the process at once, skipping cleanup. Turned into
KeyboardInterrupt, it unwinds: the build stream is closed (the engine then cancels the build and
removes its intermediate container), and a run container is removed by `engine.run`'s finally.
"""
from __future__ import annotations

import signal
import threading
from types import FrameType


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def install() -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
