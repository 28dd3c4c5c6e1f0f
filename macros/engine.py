"""The only module that talks to Docker, through the Engine API (the `docker` package).

It never reads the engine's disk (the engine may be remote, `DOCKER_HOST`) and never produces
Markdown. Every object it creates carries the labels from `labels.py`.
"""
from __future__ import annotations

import datetime
import functools
import io
import os
import re
import tarfile
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any, TypeVar

import docker
import requests
import urllib3
from docker.constants import MINIMUM_DOCKER_API_VERSION
from docker.errors import APIError, DockerException, ImageNotFound, NotFound

from . import labels
from .errors import BuildError, EngineError

PING_TIMEOUT_S = 5  # a hung engine fails the build well within 10 s
# Builds can stay silent for minutes (apt, go build); the API client waits that long for a line.
STREAM_TIMEOUT_S = 900
LOG_TAIL_LINES = 30

Log = Callable[[str], None]
F = TypeVar("F", bound=Callable[..., Any])
# What a lost connection looks like, depending on where in a request or a stream it happens.
TRANSPORT_ERRORS = (DockerException, requests.RequestException, urllib3.exceptions.HTTPError)


def endpoint() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


_REASONS = (  # what the transport's long message means, in a few words
    ("Connection refused", "connection refused"),
    ("No such file or directory", "no socket there"),
    ("Read timed out", f"no answer within {PING_TIMEOUT_S} s"),
    ("timed out", f"no answer within {PING_TIMEOUT_S} s"),
    ("Name or service not known", "unknown host"),
    ("Permission denied", "permission denied on the socket"),
)


def _unreachable(detail: str) -> EngineError:
    detail = next((short for pattern, short in _REASONS if pattern in detail), detail)
    return EngineError(
        f"No Docker engine answers at {endpoint()} ({detail}).",
        hint="Start one with `bash scripts/ensure-engine.sh` (as root on Debian/Ubuntu), "
        "start Docker Desktop, or point DOCKER_HOST at a running engine.",
    )


# The engine's /version record per client: connecting asks for it anyway, so facts() need not.
_VERSIONS: weakref.WeakKeyDictionary[docker.DockerClient, dict[str, Any]] = weakref.WeakKeyDictionary()


def connect() -> docker.DockerClient:
    """A client whose engine has answered within PING_TIMEOUT_S seconds.

    docker-py's own negotiation ("auto") asks /version and keeps only the API version; asking it
    once ourselves (unversioned, as docker-py does) gives the whole record for facts() too."""
    try:
        probe = docker.from_env(version=MINIMUM_DOCKER_API_VERSION, timeout=PING_TIMEOUT_S)
        try:
            record = probe.version(api_version=False)
        finally:
            probe.close()
        # past the handshake, calls may wait long for a silent build step
        client = docker.from_env(version=str(record["ApiVersion"]), timeout=STREAM_TIMEOUT_S)
    except TRANSPORT_ERRORS as exc:
        raise _unreachable(_short(exc)) from None
    _VERSIONS[client] = record
    return client


def _translated(action: str) -> Callable[[F], F]:
    """Turn the transport's exceptions into one EngineError naming the action (NotFound passes:
    callers decide what an absent object means)."""
    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except NotFound:
                raise
            except TRANSPORT_ERRORS as exc:
                raise EngineError(f"the engine at {endpoint()} failed to {action}: {_short(exc)}",
                                  hint="Check the engine's log; if it stopped, start it and build again.") from None
        return call  # type: ignore[return-value]
    return wrap


def _short(exc: BaseException) -> str:
    if isinstance(exc, APIError) and exc.explanation:
        return str(exc.explanation).strip()[:300]
    text = str(exc).strip().splitlines()
    return text[-1][:300] if text else type(exc).__name__


@dataclass(frozen=True)
class EngineFacts:
    endpoint: str
    version: str
    api_version: str
    storage_driver: str
    os: str
    arch: str
    kernel: str


def facts(client: docker.DockerClient) -> EngineFacts:
    try:
        version = _VERSIONS.get(client) or client.version()
        info = client.info()
    except TRANSPORT_ERRORS as exc:
        raise _unreachable(_short(exc)) from None
    return EngineFacts(
        endpoint=endpoint(),
        version=str(version.get("Version", "")),
        api_version=str(version.get("ApiVersion", "")),
        storage_driver=str(info.get("Driver", "")),
        os=str(info.get("OperatingSystem", "")),
        arch=str(version.get("Arch", "")),
        kernel=str(info.get("KernelVersion", "")),
    )


def inspect_image(client: docker.DockerClient, ref: str) -> dict[str, Any] | None:
    """The engine's inspect record for an image reference or ID, or None when it is absent."""
    try:
        return client.api.inspect_image(ref)
    except (ImageNotFound, NotFound):
        return None
    except TRANSPORT_ERRORS as exc:
        raise _unreachable(_short(exc)) from None


def pull(client: docker.DockerClient, ref: str, *, timeout_s: float) -> str:
    """Pull `ref` and return the error text, or "" on success. Bounded by timeout_s."""
    repository, tag = _split_ref(ref)
    short = docker.from_env(timeout=int(timeout_s))
    try:
        for chunk in short.api.pull(repository, tag=tag, stream=True, decode=True):
            if "error" in chunk:
                return str(chunk["error"])
        return ""
    except (DockerException, requests.RequestException) as exc:
        return _short(exc)
    finally:
        short.close()


@_translated("tag an image")
def tag(client: docker.DockerClient, image_id: str, ref: str) -> None:
    repository, tag_name = _split_ref(ref)
    client.api.tag(image_id, repository, tag_name, force=True)


def _split_ref(ref: str) -> tuple[str, str]:
    """"gcr.io/a/b:tag" -> ("gcr.io/a/b", "tag"); no tag means "latest" (a registry port is not one)."""
    repository, _, tag_name = ref.rpartition(":")
    return (repository, tag_name) if ":" in ref.rsplit("/", 1)[-1] else (ref, "latest")


_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # the engine colours a RUN step's stderr
_STEP = re.compile(r"^Step (\d+/\d+) : (.*)$")
_BUILT = re.compile(r"Successfully built ([0-9a-f]{12,64})")


def build(
    client: docker.DockerClient,
    *,
    context: IO[bytes],
    dockerfile: str,
    what: str,
    image_labels: dict[str, str],
    buildargs: dict[str, str] | None = None,
    nocache: bool = False,
    log: Log,
) -> dict[str, Any]:
    """Build with the classic builder from a tar context; stream each log line to `log`.

    Returns the built image's inspect record. The image is left untagged: callers tag it only once
    everything they need has succeeded, so a failure leaves no half-tagged image behind.
    """
    tail: deque[str] = deque(maxlen=LOG_TAIL_LINES)
    step = ""
    image_id = ""
    try:
        stream = client.api.build(
            fileobj=context, custom_context=True, dockerfile=dockerfile, rm=True, forcerm=True,
            pull=False, nocache=nocache, labels=image_labels, buildargs=buildargs or {}, decode=True,
        )
        for chunk in stream:
            if "error" in chunk:
                raise BuildError(
                    f"{what}: build failed at {step or 'the start'}: {str(chunk['error']).strip()}",
                    hint="Fix the step above; the tail of the build log follows.",
                    log_tail="\n".join(tail),
                )
            image_id = chunk.get("aux", {}).get("ID", image_id)
            for line in _ANSI.sub("", str(chunk.get("stream", ""))).splitlines():
                if not line.strip():
                    continue
                tail.append(line)
                log(line)
                if m := _STEP.match(line):
                    # the total counts the LABEL steps the API adds, so give the number alone
                    step = f"step {m.group(1).split('/')[0]} ({m.group(2)[:120]})"
                elif m := _BUILT.search(line):
                    image_id = image_id or m.group(1)
    except APIError as exc:
        raise BuildError(f"{what}: the engine refused the build: {exc.explanation or exc}",
                         log_tail="\n".join(tail)) from None
    except TRANSPORT_ERRORS as exc:
        raise EngineError(
            f"{what}: the engine at {endpoint()} stopped answering during the build ({_short(exc)}).",
            hint="Check that dockerd is still running (its log says why it stopped), then build again.",
        ) from None
    if not image_id:
        raise BuildError(f"{what}: the engine reported no image ID", log_tail="\n".join(tail))
    record = inspect_image(client, image_id)
    if record is None:
        raise BuildError(f"{what}: the built image {image_id} vanished", log_tail="\n".join(tail))
    return record


@dataclass(frozen=True)
class RunOutcome:
    exit_code: int | None
    stdout: str
    stderr: str
    stdout_truncated: bool
    stderr_truncated: bool
    start_error: str  # the engine's message when the container could not start; "" otherwise
    timed_out: bool
    duration_s: float            # from the start call until the engine reported the exit
    process_s: float | None = None  # the engine's record of the process: StartedAt to FinishedAt


@dataclass(frozen=True)
class Sandbox:
    """Limits for a verification run: no network, read-only, no privileges, bounded resources."""
    timeout_s: float = 30.0
    memory: str = "256m"
    pids: int = 64
    capture_bytes: int = 64 * 1024


@_translated("run a container")
def run(client: docker.DockerClient, image_id: str, *, variant: str, sandbox: Sandbox) -> RunOutcome:
    """create / start / wait / logs, stdout and stderr apart; the container is always removed."""
    api = client.api
    host_config = api.create_host_config(
        network_mode="none", read_only=True, cap_drop=["ALL"], security_opt=["no-new-privileges"],
        mem_limit=sandbox.memory, memswap_limit=sandbox.memory, pids_limit=sandbox.pids,
    )
    container = api.create_container(
        image_id, host_config=host_config, network_disabled=True,
        labels=labels.ours("probe", **{labels.VARIANT: variant}),
    )["Id"]
    started = time.monotonic()
    start_error = ""
    exit_code: int | None = None
    timed_out = False
    try:
        try:
            api.start(container)
        except APIError as exc:
            start_error = str(exc.explanation or exc).strip()
        if not start_error:
            try:
                exit_code = int(api.wait(container, timeout=sandbox.timeout_s)["StatusCode"])
            except (requests.exceptions.Timeout, requests.exceptions.ConnectionError):
                # the wait's read timeout; docker-py surfaces it as either, by version
                timed_out = True
                api.kill(container)
        duration = time.monotonic() - started
        out, out_cut = _capture(api, container, stdout=True, limit=sandbox.capture_bytes)
        err, err_cut = _capture(api, container, stdout=False, limit=sandbox.capture_bytes)
        state = api.inspect_container(container)["State"]
        if start_error:
            exit_code = int(state.get("ExitCode", 0)) or None
        return RunOutcome(exit_code, out, err, out_cut, err_cut, start_error, timed_out, duration,
                          process_s=None if start_error or timed_out else _lifetime(state))
    finally:
        try:
            api.remove_container(container, force=True)
        except (DockerException, requests.RequestException):
            pass


def _lifetime(state: dict[str, Any]) -> float | None:
    """Seconds from the container's StartedAt to its FinishedAt, as the engine recorded them."""
    try:
        return (_nanoseconds(state["FinishedAt"]) - _nanoseconds(state["StartedAt"])) / 1e9
    except (KeyError, ValueError):
        return None


def _nanoseconds(stamp: str) -> int:
    """RFC 3339 with up to nine fractional digits (the engine's format) -> ns since the epoch.
    Python's datetime keeps microseconds only, so the fraction is read apart."""
    whole, _, rest = stamp.rstrip("Z").partition(".")
    moment = datetime.datetime.fromisoformat(whole).replace(tzinfo=datetime.timezone.utc)
    fraction = (rest.split("+")[0].split("-")[0] + "000000000")[:9]
    return int(moment.timestamp()) * 1_000_000_000 + int(fraction)


def _capture(api: docker.APIClient, container: str, *, stdout: bool, limit: int) -> tuple[str, bool]:
    """Read one of the two streams up to `limit` bytes; say whether it was cut."""
    buf = bytearray()
    for chunk in api.logs(container, stdout=stdout, stderr=not stdout, stream=True, follow=False):
        buf += chunk
        if len(buf) > limit:
            return buf[:limit].decode("utf-8", "replace"), True
    return buf.decode("utf-8", "replace"), False


@_translated("read a file from an image")
def read_file(client: docker.DockerClient, image_id: str, path: str, *, limit: int = 256 << 20) -> bytes:
    """The bytes of one file of an image, through a container that is created but never started."""
    api = client.api
    container = api.create_container(image_id, command=["/nonexistent"],
                                     labels=labels.ours("probe"))["Id"]
    try:
        stream, _stat = api.get_archive(container, path)
        with tarfile.open(fileobj=io.BufferedReader(_ChunkReader(stream)), mode="r|") as tar:
            for member in tar:
                if member.isfile() and member.size <= limit:
                    extracted = tar.extractfile(member)
                    return extracted.read() if extracted else b""
        raise FileNotFoundError(path)
    finally:
        api.remove_container(container, force=True)


@_translated("read an image's history")
def history(client: docker.DockerClient, image_id: str) -> list[dict[str, Any]]:
    """The image's history, oldest step first."""
    return list(reversed(client.api.history(image_id)))


def export(client: docker.DockerClient, image_id: str) -> IO[bytes]:
    """The image as a `docker save` tar stream, read chunk by chunk, never whole."""
    return io.BufferedReader(_ChunkReader(client.api.get_image(image_id, chunk_size=1 << 20)), 1 << 20)


class _ChunkReader(io.RawIOBase):
    """A file-like view of an iterator of byte chunks, so `tarfile` can stream it."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = memoryview(next(self._chunks))
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]  # a view: no copy of the rest
        return size


def remove_our_containers(client: docker.DockerClient) -> int:
    containers = client.api.containers(all=True, filters=labels.filter_ours())
    for c in containers:
        try:
            client.api.remove_container(c["Id"], force=True)
        except NotFound:
            pass  # removed by its own run meanwhile
    return len(containers)


def remove_ours(client: docker.DockerClient, *, include_bases: bool = False) -> dict[str, int]:
    """Remove containers and images that carry our label; nothing else is touched.

    That includes the untagged first stages of multi-stage variants (the engine's layer cache for
    them): the classic builder labels only the final stage, but a stage built on one of our
    stand-ins inherits the stand-in's labels, so it is known as ours and removed too."""
    api = client.api
    containers = remove_our_containers(client)
    images = api.images(filters=labels.filter_variant_images())
    images += api.images(filters={**labels.filter_ours(), "dangling": True})
    if include_bases:
        images += api.images(filters=labels.filter_ours("base-stand-in"))
    removed = 0
    for image_id in dict.fromkeys(image["Id"] for image in images):
        try:
            api.remove_image(image_id, force=True)
            removed += 1
        except NotFound:
            pass  # already gone with an image it shared a tag with
    return {"containers": containers, "images": removed}


def prune_untagged_variants(client: docker.DockerClient) -> int:
    """Remove our variant images that a newer build has untagged; they only hold stale layers."""
    removed = 0
    for image in client.api.images(filters={**labels.filter_variant_images(), "dangling": True}):
        try:
            client.api.remove_image(image["Id"])
            removed += 1
        except APIError:
            pass  # in use by another build's container right now: leave it for next time
    return removed
