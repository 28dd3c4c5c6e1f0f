"""Limits on a build's steps: a time limit and a memory limit, and what a step past either says.

The classic builder runs each RUN step in a container it names in its log ("Running in <id>").
Memory is bounded through the build API's own container limits (memory and swap alike, so a step
cannot page its way past the limit). Time is bounded here: once the limit passes, the step's
container is killed (and any RUN step that starts later, at once); the step fails, the engine
removes its container (forcerm), and the build's error says which step ran and which limit it
passed. Whether a failed step was killed for memory is asked of the engine's own events (an
"oom" event for that step's container), not guessed from an exit code of 137.
"""
from __future__ import annotations

import re
import threading
import time
from typing import NamedTuple

import docker
import requests
from docker.errors import APIError

_RUNNING = re.compile(r"^ ---> Running in ([0-9a-f]{12,64})$")
_COMMITTED = re.compile(r"^ ---> ([0-9a-f]{12,64})$")


class BuildLimits(NamedTuple):
    timeout_s: float | None = None
    memory_bytes: int | None = None

    def container_limits(self) -> dict[str, int]:
        return {"memory": self.memory_bytes, "memswap": self.memory_bytes} if self.memory_bytes else {}


class StepGuard:
    """Watches one build's log: kills its running step once the time limit has passed, and
    remembers the step containers and the images the build committed."""

    def __init__(self, client: docker.DockerClient, limits: BuildLimits) -> None:
        self.api, self.limits = client.api, limits
        self.started = time.time()
        self.expired = False
        self.containers: list[str] = []
        self.committed: list[str] = []  # images this build made, oldest first (cache hits excluded)
        self._cached_next = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(limits.timeout_s, self._expire) if limits.timeout_s else None
        if self._timer is not None:
            self._timer.daemon = True
            self._timer.start()

    def saw(self, line: str) -> None:
        """One line of the build log."""
        if line.strip() == "---> Using cache":
            self._cached_next = True
        elif m := _COMMITTED.match(line):
            if not self._cached_next:
                self.committed.append(m.group(1))
            self._cached_next = False
        elif m := _RUNNING.match(line):
            with self._lock:
                self.containers.append(m.group(1))
                late = self.expired
            if late:
                self._kill(m.group(1))

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            running = self.containers[-1] if self.containers else ""
        if running:
            self._kill(running)

    def _kill(self, container: str) -> None:
        try:
            self.api.kill(container)
        except (APIError, requests.RequestException):
            pass  # the step ended by itself meanwhile

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def out_of_memory(self) -> bool:
        """Whether the engine reported an OOM kill of one of this build's step containers."""
        if not self.limits.memory_bytes or not self.containers:
            return False
        try:
            events = self.api.events(since=int(self.started) - 1, until=int(time.time()) + 1,
                                     filters={"event": "oom"}, decode=True)
            return any(str(e.get("id", e.get("Actor", {}).get("ID", ""))).startswith(tuple(self.containers))
                       for e in events)
        except (APIError, requests.RequestException):
            return False

    def remove_leftovers(self) -> None:
        """After a failed build: the images it committed that nothing uses now (newest first; an
        image another build or tag uses is refused by the engine, and left)."""
        for image_id in reversed(self.committed):
            try:
                self.api.remove_image(image_id)
            except (APIError, requests.RequestException):
                pass
