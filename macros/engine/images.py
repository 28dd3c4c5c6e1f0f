"""Images: build (classic builder), inspect, tag, pull, push, and reading one file."""
from __future__ import annotations

import hashlib
import io
import re
import tarfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import IO, Any, NamedTuple

import docker
from docker.errors import ImageNotFound, NotFound

from ..errors import BuildError, EngineRefused, PullError, RegistryError
from . import labels
from .build_limits import BuildLimits, StepGuard
from .connection import LOST_HINT, TRANSPORT_ERRORS, full_disk_hint, short, translated, translating

Log = Callable[[str], None]
# How the classic builder refuses a flag only BuildKit reads ("Unknown flag: link"). (A heredoc's
# body reads as "unknown instruction", which a typo gives too: that one keeps the general hint.)
_BUILDKIT_ONLY = re.compile(r"Unknown flag: (?:link|mount|chmod|parents|exclude|network|security)\b")


def inspect_image(client: docker.DockerClient, ref: str) -> dict[str, Any] | None:
    """The engine's inspect record for an image reference or ID, or None when it is absent."""
    with translated(f"inspect the image {ref}"):
        try:
            return client.api.inspect_image(ref)
        except (ImageNotFound, NotFound):
            return None


def pull(ref: str, *, timeout_s: float) -> None:
    """Pull `ref` within `timeout_s` seconds, or raise PullError with the registry's reason
    (errors inside the stream, which the SDK does not raise, included)."""
    repository, tag_name = split_ref(ref)
    short_lived = docker.from_env(timeout=int(timeout_s))
    try:
        for chunk in short_lived.api.pull(repository, tag=tag_name, stream=True, decode=True):
            if "error" in chunk:
                raise PullError(str(chunk["error"]).strip())
    except TRANSPORT_ERRORS as exc:  # an API error included: for a pull, every failure is a reason
        raise PullError(short(exc)) from None
    finally:
        short_lived.close()


_PUSHED_DIGEST = re.compile(r"digest: (sha256:[0-9a-f]{64})")


def push(client: docker.DockerClient, repository: str, tag_name: str, *, log: Log) -> str:
    """Push repository:tag (the engine compresses each layer and skips those the registry holds);
    return the manifest digest the engine reports, or "" when it reports none (the containerd
    image store's stream may not). Errors inside the stream, which the SDK does not raise, are ours."""
    digest = ""
    with translated(f"push {repository}:{tag_name}"):
        for chunk in client.api.push(repository, tag=tag_name, stream=True, decode=True):
            if "error" in chunk:
                error = str(chunk["error"]).strip()
                raise RegistryError(f"pushing {repository}:{tag_name} failed: {error}",
                                    hint=full_disk_hint(error, "Check that the registry runs (`docker ps`) and its "
                                                               "disk has room."))
            digest = (chunk.get("aux") or {}).get("Digest", digest)
            if not digest and (m := _PUSHED_DIGEST.search(str(chunk.get("status", "")))):
                digest = m.group(1)
            if chunk.get("status") and chunk.get("id"):
                log(f"{chunk['id']}: {chunk['status']}")
    return str(digest)


@translating("tag an image")
def tag(client: docker.DockerClient, image_id: str, ref: str) -> None:
    repository, tag_name = split_ref(ref)
    client.api.tag(image_id, repository, tag_name, force=True)


def split_ref(ref: str) -> tuple[str, str]:
    """"gcr.io/a/b:tag" -> ("gcr.io/a/b", "tag"); no tag means "latest" (a registry port is not one)."""
    repository, _, tag_name = ref.rpartition(":")
    return (repository, tag_name) if ":" in ref.rsplit("/", 1)[-1] else (ref, "latest")


_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # the engine colours a RUN step's stderr
_STEP = re.compile(r"^Step (\d+/\d+) : (.*)$")
_BUILT = re.compile(r"Successfully built ([0-9a-f]{12,64})")


def build(client: docker.DockerClient, *, context: IO[bytes], dockerfile: str, what: str,
          image_labels: dict[str, str], buildargs: dict[str, str] | None = None, nocache: bool = False,
          tail_lines: int, log: Log, limits: BuildLimits | None = None) -> dict[str, Any]:
    """Build with the classic builder from a tar context; stream each log line to `log`; stop a
    step past the time limit, bound its memory (build_limits.py).

    Returns the built image's inspect record. The image is left untagged, for the caller to name
    once the build has succeeded (before it is run or verified), so a failed build tags nothing.
    """
    tail: deque[str] = deque(maxlen=tail_lines)
    step = ""
    image_id = ""
    limits = limits or BuildLimits()
    guard = StepGuard(client, limits)
    try:
        with translated(f"build {what}"):
            stream = client.api.build(
                fileobj=context, custom_context=True, dockerfile=dockerfile, rm=True, forcerm=True,
                pull=False, nocache=nocache, labels=image_labels, buildargs=buildargs or {}, decode=True,
                container_limits=limits.container_limits(),
            )
            for chunk in stream:
                if "error" in chunk:
                    message, hint = _failed(client, what, step, str(chunk["error"]).strip(), guard)
                    raise BuildError(message, hint=hint, log_tail="\n".join(tail))
                image_id = chunk.get("aux", {}).get("ID", image_id)
                for line in _ANSI.sub("", str(chunk.get("stream", ""))).splitlines():
                    if not line.strip():
                        continue
                    tail.append(line)
                    log(line)
                    guard.saw(line)
                    if m := _STEP.match(line):
                        # the total counts the LABEL steps the API adds, so give the number alone
                        step = f"step {m.group(1).split('/')[0]} ({m.group(2)[:120]})"
                    elif m := _BUILT.search(line):
                        image_id = image_id or m.group(1)
    except EngineRefused as exc:  # the Dockerfile itself refused, before any step ran
        buildkit = _BUILDKIT_ONLY.search(exc.detail)
        hint = ("That flag is BuildKit syntax, which the classic builder this project builds with refuses; "
                "write the line without it (docs/contributing.md says what is supported)." if buildkit
                else "Fix the Dockerfile; the engine's words say where.")
        raise BuildError(f"{what}: the engine refused the Dockerfile (HTTP {exc.status}): {exc.detail}",
                         hint=hint, log_tail="\n".join(tail)) from None
    except BuildError:
        guard.remove_leftovers()
        raise
    finally:
        guard.stop()
    record = inspect_image(client, image_id) if image_id else None
    if record is None:
        raise BuildError(f"{what}: the engine reported no image" + (f" ({image_id} vanished)" if image_id else ""),
                         log_tail="\n".join(tail))
    return record


def _failed(client: docker.DockerClient, what: str, step: str, error: str, guard: StepGuard) -> tuple[str, str]:
    """Why a build failed, and what to do: the time limit, the memory limit, the engine stopping,
    or the engine's words."""
    at = step or "the start"
    if guard.expired:
        return (f"{what}: build stopped at {at}: it ran past its time limit of {guard.limits.timeout_s:g} s "
                "(build_timeout_s) and was killed",
                "Make the step finish (a build step cannot wait for input), or raise build_timeout_s for this "
                "variant in the variants file.")
    if guard.out_of_memory():
        limit_mib = (guard.limits.memory_bytes or 0) / 2**20
        return (f"{what}: build failed at {at}: the step hit its memory limit of {limit_mib:g} MiB "
                f"(build_memory_mib), and the kernel killed it ({error})",
                "Make the step use less memory, or raise build_memory_mib for this variant in the variants file.")
    if error.endswith("non-zero code: 137") and _stopping(client):
        return (f"{what}: build stopped at {at}: the engine stopped during the build and killed the step ({error})",
                LOST_HINT)
    return (f"{what}: build failed at {at}: {error}",
            full_disk_hint(error, "Fix the step above; the tail of the build log follows."))


def _stopping(client: docker.DockerClient, *, wait_s: float = 5.0) -> bool:
    """Whether the engine stops answering within a few seconds: a step killed (exit 137) by
    neither of its limits is what an engine that is shutting down does to it, and the stream
    still reports that before the engine closes its socket."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            client.api.ping()
        except TRANSPORT_ERRORS:
            return True
        time.sleep(0.25)
    return False


def read_file(client: docker.DockerClient, image_id: str, path: str, *, limit: int = 256 << 20) -> bytes | None:
    """The bytes of one file of an image (None when there is no such file)."""
    found = read_files(client, image_id, path, limit=limit)
    return next(iter(found.values())) if found else None


def read_files(client: docker.DockerClient, image_id: str, path: str, *, limit: int = 256 << 20) -> dict[str, bytes]:
    """The regular files at `path` in an image (the file itself, or everything under a folder), by
    their names in the archive, each up to `limit` bytes; {} when there is no such path. Through
    a container that is created but never started."""
    api = client.api
    found: dict[str, bytes] = {}
    with translated(f"read {path} from an image"):
        container = api.create_container(image_id, command=["/nonexistent"], labels=labels.reader())["Id"]
        try:
            try:
                stream, _stat = api.get_archive(container, path)
            except NotFound:
                return found
            with tarfile.open(fileobj=io.BufferedReader(ChunkReader(stream)), mode="r|") as tar:
                for member in tar:
                    if member.isfile() and member.size <= limit:
                        extracted = tar.extractfile(member)
                        found[member.name] = extracted.read() if extracted else b""
            return found
        finally:
            api.remove_container(container, force=True)


class ChunkReader(io.RawIOBase):
    """A file-like view of an iterator of byte chunks, so `tarfile` can stream it."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            with translated("stream an image's files"):
                try:
                    self._pending = memoryview(next(self._chunks))
                except StopIteration:
                    return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]  # a view: no copy of the rest
        return size


class Exported(NamedTuple):
    """An image's filesystem as `docker export` of a created (never started) container gives it."""
    entries: list[tarfile.TarInfo]   # every entry, names without a leading "./" or "/"
    kept: dict[str, bytes]           # the bytes of the regular files asked for
    digests: dict[str, str]          # each regular file's sha256, by name


def exported(client: docker.DockerClient, image_id: str, *, keep: tuple[str, ...],
             limit: int = 16 << 20) -> Exported:
    """The image's filesystem: its entries, the digest of each regular file, and the bytes of the
    regular files that `keep` names, or that are under a folder it names ("var/lib/dpkg/status.d/"),
    up to `limit` each. Streamed: the image is never held in memory."""
    api = client.api
    out = Exported([], {}, {})
    with translated("export an image's filesystem"):
        container = api.create_container(image_id, command=["/nonexistent"], labels=labels.reader())["Id"]
        try:
            stream = api.export(container)
            with tarfile.open(fileobj=io.BufferedReader(ChunkReader(stream)), mode="r|") as tar:
                for member in tar:
                    member.name = member.name.removeprefix("./").lstrip("/")
                    out.entries.append(member)
                    if not member.isfile():
                        continue
                    wanted = member.name in keep or any(k.endswith("/") and member.name.startswith(k) for k in keep)
                    extracted = tar.extractfile(member)
                    digest, head = hashlib.sha256(), bytearray()
                    while extracted and (chunk := extracted.read(1 << 20)):
                        digest.update(chunk)
                        if wanted and member.size <= limit:
                            head += chunk
                    out.digests[member.name] = digest.hexdigest()
                    if wanted and member.size <= limit:
                        out.kept[member.name] = bytes(head)
        finally:
            api.remove_container(container, force=True)
    return out
