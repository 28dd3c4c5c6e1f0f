"""Images: inspect, tag, pull, push, and reading their files (building is buildkit.py's)."""
from __future__ import annotations

import hashlib
import io
import re
import tarfile
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import docker
from docker.errors import ImageNotFound, NotFound

from ..errors import PullError, RegistryError
from . import labels
from .connection import TRANSPORT_ERRORS, full_disk_hint, new_client, short, translated, translating

Log = Callable[[str], None]


def inspect_image(client: docker.DockerClient, ref: str) -> dict[str, Any] | None:
    """The engine's inspect record for an image reference or ID, or None when it is absent."""
    with translated(f"inspect the image {ref}"):
        try:
            return client.api.inspect_image(ref)
        except (ImageNotFound, NotFound):
            return None


def platform_of(record: dict[str, Any]) -> str:
    """The platform an inspect record says its image is for, as `--platform` names it."""
    return f"{record.get('Os') or '?'}/{record.get('Architecture') or '?'}"


def tagged(client: docker.DockerClient, namespace: str) -> dict[str, str]:
    """Every tag under `namespace` and the image ID it names, in one call (not an inspect each)."""
    with translated(f"list the images of {namespace}"):
        listed = client.api.images(filters={"reference": f"{namespace}/*"})
    return {tag: str(record["Id"]) for record in listed for tag in record.get("RepoTags") or []}


def pull(ref: str, *, platform: str | None, timeout_s: float) -> None:
    """Pull `ref`'s image for `platform` (None: the engine's own) within `timeout_s` seconds, or
    raise PullError with the registry's reason (errors inside the stream, which the SDK does not
    raise, included)."""
    repository, tag_name = split_ref(ref)
    short_lived = new_client(timeout=int(timeout_s))
    try:
        for chunk in short_lived.api.pull(repository, tag=tag_name, platform=platform, stream=True, decode=True):
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
            api.remove_container(container, v=True, force=True)  # v: and its anonymous volumes (runs.py)


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
            api.remove_container(container, v=True, force=True)  # v: and its anonymous volumes (runs.py)
    return out
