"""Sandboxed runs. The streams are read live from an attach made before the start, with the
engine's logging off, so the engine keeps no copy: a flood costs neither the engine's disk nor its
pace, and each stream is kept to its first bytes and counted to the end."""
from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import docker
import requests
from docker.errors import APIError, NotFound
from docker.types import LogConfig

from ..errors import EngineError
from . import labels
from .connection import translated
from .records import RunOutcome, Sandbox, Stream


class _Capture:
    """Both streams of one attach: the first `limit` bytes of each, and the total of each."""

    def __init__(self, frames: Any, limit: int) -> None:
        self.limit = limit
        self.kept = {1: bytearray(), 2: bytearray()}
        self.total = {1: 0, 2: 0}
        self.failure: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, args=(frames,), name="run-streams", daemon=True)
        self._thread.start()

    def _drain(self, frames: Any) -> None:
        try:
            for out, err in frames:  # demuxed: one of the two is None
                for fd, chunk in ((1, out), (2, err)):
                    if chunk:
                        self.total[fd] += len(chunk)
                        room = self.limit - len(self.kept[fd])
                        if room > 0:
                            self.kept[fd] += chunk[:room]
        except Exception as exc:
            self.failure = exc

    def finish(self, timeout_s: float, *, ended: bool) -> tuple[Stream, Stream]:
        """The two streams, once the attach has ended; `ended`: the container ran and exited, so
        the engine ends the attach, and what was read before it has may not be all of it."""
        self._thread.join(timeout_s)
        if self.failure is not None:
            with translated("stream a container's output"):
                raise self.failure
        if ended and self._thread.is_alive():
            raise EngineError(f"the engine did not end a container's output streams within {timeout_s:g} s of its "
                              "exit", hint="Build again; if it happens again, restart the engine.")
        return self._stream(1), self._stream(2)

    def _stream(self, fd: int) -> Stream:
        kept, truncated = self.kept[fd], self.total[fd] > self.limit
        try:
            kept.decode("utf-8")
            not_text_at = None
        except UnicodeDecodeError as exc:
            # a character cut by the limit, at the very end, is still text
            cut = truncated and exc.reason == "unexpected end of data"
            not_text_at = None if cut else exc.start
        return Stream(kept.decode("utf-8", "replace"), self.total[fd], truncated, not_text_at)


def run(client: docker.DockerClient, image_id: str, *, variant: str, namespace: str, sandbox: Sandbox) -> RunOutcome:
    """create / attach / start / wait, streams apart; the container is always removed."""
    with sandboxed(client, image_id, variant=variant, namespace=namespace, sandbox=sandbox) as start:
        return start()


@contextmanager
def sandboxed(client: docker.DockerClient, image_id: str, *, variant: str, namespace: str,
              sandbox: Sandbox) -> Iterator[Callable[[], RunOutcome]]:
    """A sandboxed container of the image, and a function that starts it (attach / start / wait)
    and returns the outcome; it may be started again once it has exited, as the start-up runs
    do. The container is removed at the end of the block, whatever happened."""
    api = client.api
    host_config = api.create_host_config(
        network_mode="none", read_only=True, cap_drop=["ALL"], security_opt=["no-new-privileges"],
        mem_limit=sandbox.memory, memswap_limit=sandbox.memory, pids_limit=sandbox.pids,
        log_config=LogConfig(type=LogConfig.types.NONE), cgroup_parent=sandbox.cgroup_parent,
    )
    with translated(f"create a container for variant {variant!r}"):
        container = api.create_container(
            image_id, host_config=host_config, network_disabled=True, environment=list(sandbox.environment) or None,
            labels=labels.probe(variant, namespace),
        )["Id"]

    def start() -> RunOutcome:
        with translated(f"run variant {variant!r}"):
            return _attached_run(api, container, sandbox)

    try:
        yield start
    finally:
        try:
            # v: its anonymous volumes too, which a VOLUME line in the image makes when the
            # container is created, and which would outlive it
            api.remove_container(container, v=True, force=True)
        except (APIError, requests.RequestException):
            pass  # gone already, or the engine is gone: the error that brought us here says so


def _attached_run(api: docker.APIClient, container: str, sandbox: Sandbox) -> RunOutcome:
    capture = _Capture(api.attach(container, stdout=True, stderr=True, stream=True, demux=True, logs=False),
                       sandbox.capture_bytes)
    started = time.monotonic()
    start_error = ""
    exit_code: int | None = None
    timed_out = False
    try:
        api.start(container)
    except APIError as exc:  # the image's own fault (no such user, no such file): the outcome, not an error
        start_error = str(exc.explanation or exc).strip()
    if not start_error:
        try:
            exit_code = int(api.wait(container, timeout=sandbox.timeout_s)["StatusCode"])
        except (requests.exceptions.Timeout, requests.exceptions.ConnectionError):
            timed_out = True  # the wait's read timeout; docker-py surfaces it as either, by version
            try:
                api.kill(container)
            except (APIError, NotFound):
                pass  # it ended by itself meanwhile
    duration = time.monotonic() - started
    # After an exit the engine closes the attach at once; after a failed start, the streams are
    # empty and the container's removal ends the attach, so there is nothing to wait for.
    stdout, stderr = capture.finish(timeout_s=0.5 if start_error else 10, ended=not (start_error or timed_out))
    state = api.inspect_container(container)["State"]
    if start_error:
        exit_code = int(state.get("ExitCode", 0)) or None
    return RunOutcome(exit_code, stdout, stderr, start_error, timed_out, duration,
                      process_s=None if start_error or timed_out else lifetime(state))


def lifetime(state: dict[str, Any]) -> float | None:
    """Seconds from the container's StartedAt to its FinishedAt, as the engine recorded them."""
    try:
        return (nanoseconds(state["FinishedAt"]) - nanoseconds(state["StartedAt"])) / 1e9
    except (KeyError, ValueError):
        return None


def nanoseconds(stamp: str) -> int:
    """RFC 3339 with up to nine fractional digits (the engine's format) -> ns since the epoch.
    Python's datetime keeps microseconds only, so the fraction is read apart."""
    whole, _, rest = stamp.rstrip("Z").partition(".")
    moment = datetime.datetime.fromisoformat(whole).replace(tzinfo=datetime.UTC)
    fraction = (rest.split("+")[0].split("-")[0] + "000000000")[:9]
    return int(moment.timestamp()) * 1_000_000_000 + int(fraction)
