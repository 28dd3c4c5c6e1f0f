"""Limits on a build: a time limit and a memory limit, and what a build stopped by either says.

Time: once the limit passes, the build is cancelled the way a person cancels it (an interrupt to
the CLI, which tells BuildKit to stop the running step), and killed if it has not ended soon
after. Memory: the RUN steps run under a cgroup parent that carries the limit, memory and swap
alike, shared by the builds running at once with that limit (memory.py says why it cannot be one
per build); whether a step killed (exit code 137) was killed for memory is asked of the kernel
(its count of OOM kills in that parent, or the parent's peak against its limit).
"""
from __future__ import annotations

import signal
import subprocess
import threading
import time
from contextlib import ExitStack
from typing import NamedTuple

import docker

from . import lock
from .connection import LOST_HINT, TRANSPORT_ERRORS, facts, full_disk_hint
from .memory import CAPS_LOCK, Meter, cap, remove_unused_caps

_GRACE_S = 15.0  # after the interrupt, how long BuildKit is given to stop the step


class BuildLimits(NamedTuple):
    timeout_s: float | None = None
    memory_bytes: int | None = None


class Guard:
    """One build's limits while it runs: the cgroup parent its RUN steps go under, and the timer."""

    def __init__(self, client: docker.DockerClient, limits: BuildLimits) -> None:
        self.client, self.limits = client, limits
        self.expired = False
        self._using = ExitStack()  # CAPS_LOCK, shared, while the build may run a step under its cap
        self.cap: Meter | None = None
        if limits.memory_bytes:
            self._using.enter_context(lock.held(CAPS_LOCK, exclusive=False))
            self.cap = cap(facts(client), limits.memory_bytes)
        self._timers: list[threading.Timer] = []

    @property
    def unenforced(self) -> str:
        """A note for the build log when the memory limit cannot be set on this engine."""
        if self.limits.memory_bytes and self.cap is None:
            return (f"note: the memory limit ({self.limits.memory_bytes / 2**20:g} MiB) is not enforced: its cgroup "
                    "can be made only for an engine on this machine, with the cgroupfs driver")
        return ""

    def watch(self, process: subprocess.Popen[str]) -> None:
        """Interrupt `process` once the time limit has passed, and kill it if it is still there later."""
        if self.limits.timeout_s is None:
            return

        def expire() -> None:
            self.expired = True
            process.send_signal(signal.SIGINT)

        for delay, act in ((self.limits.timeout_s, expire), (self.limits.timeout_s + _GRACE_S, process.kill)):
            timer = threading.Timer(delay, act)
            timer.daemon = True
            timer.start()
            self._timers.append(timer)

    def close(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._using.close()
        if self.cap is not None:
            remove_unused_caps(self.cap.folders)

    def failure(self, what: str, step: str, error: str, *, failed: bool) -> tuple[str, str]:
        """Why a build failed or stopped at `step` (`failed`: the step itself failed), and what to
        do: the time limit, the memory limit, the engine stopping, or the builder's words."""
        at = step or "the start"
        if self.expired:
            return (f"{what}: build stopped at {at}: it ran past its time limit of {self.limits.timeout_s:g} s "
                    "(build_timeout_s) and was cancelled",
                    "Make the step finish (a build step cannot wait for input), or raise build_timeout_s for this "
                    "variant in the variants file.")
        killed = error.endswith("exit code: 137")
        if self.cap is not None and killed and self.cap.reached(self.limits.memory_bytes or 0):
            limit_mib = (self.limits.memory_bytes or 0) / 2**20
            return (f"{what}: build failed at {at}: the step hit its memory limit of {limit_mib:g} MiB "
                    f"(build_memory_mib), and the kernel killed it ({error})",
                    "Make the step use less memory, or raise build_memory_mib for this variant in the variants file.")
        if failed and killed and _stopping(self.client):
            return (f"{what}: build stopped at {at}: the engine stopped during the build and killed the step ({error})",
                    LOST_HINT)
        if not failed and _stopping(self.client):
            return f"{what}: build stopped at {at}: the engine stopped answering during the build ({error})", LOST_HINT
        return (f"{what}: build failed at {at}: {error}",
                full_disk_hint(error, "Fix the step above; the tail of the build log follows."))


def _stopping(client: docker.DockerClient, *, wait_s: float = 5.0) -> bool:
    """Whether the engine stops answering within a few seconds: a step killed (exit 137) by
    neither of its limits is what an engine that is shutting down does to it."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            client.api.ping()
        except TRANSPORT_ERRORS:
            return True
        time.sleep(0.25)
    return False
