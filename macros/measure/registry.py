"""The local distribution registry: the transfer size of an image is what this registry stores.

The registry runs as a container of ours (`registry:2`, provisioned like the bases: present ->
pulled -> local stand-in), listening on 127.0.0.1 only. An image is pushed to it by the engine,
which compresses each layer and skips the layers the registry already holds; the image manifest
(schema 2 or OCI) then lists every layer's compressed size: exactly what `docker pull` downloads.
An engine on the containerd image store may push an index around that manifest: the entry of
the measured platform (`settings.platform`) is the one read (model/manifests.py), and an image
whose config names another platform is refused. The layers themselves are read back from here to
count their files (image_size.py).
"""
from __future__ import annotations

import json
import re
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NamedTuple

import docker
import requests

from ..engine import connection, images, service
from ..errors import RegistryError
from ..log import log
from ..model.cache import MEANING
from ..model.files import read_json_object, write_atomic
from ..model.layer_files import COUNT_VERSION
from ..model.manifests import INDEX_TYPES, MANIFEST_TYPES, OtherPlatform, of_platform, require_platform
from ..model.records import EngineFacts, RegistryFacts
from ..model.settings import Settings
from . import image_size

REFERENCE = "registry:2"
# What provisioning remembers in the cache folder, by image ID: the bases' sizes and the
# registry's version. A fresh cache that starts from these (the tests', the benchmark's)
# re-measures the variants without pushing the bases again. Each layer's files are remembered by
# the layer's digest in the machine-wide folder (Settings.shared_cache_dir), in a folder of their
# own. Both are kept under the count's version (model/layer_files.py).
BASE_SIZES, LAYER_FILES = f"base-sizes-{COUNT_VERSION}.json", f"layer-files-{COUNT_VERSION}"
VERSIONS = "registry-versions.json"
PROVISIONING_MEMOS = (BASE_SIZES, VERSIONS)
ROLE = "registry"
VOLUME = "smallest-go-registry"
_VERSION = re.compile(r'(?<![\w.])version="?([^"\s]+)')  # not go.version


class Blob(NamedTuple):
    """One layer as the manifest lists it."""
    digest: str
    media_type: str
    size: int  # compressed, as stored and downloaded


@dataclass(frozen=True)
class Pushed:
    reference: str          # where it is stored: <address>/<repository>@<manifest digest>
    transfer_bytes: int     # the compressed layers plus the config blob, as the manifest lists them
    layers: tuple[Blob, ...]
    config: dict[str, Any]  # the image's config: its history and its layers' uncompressed digests


class Registry:
    """A running registry of ours; pushes go through the engine, manifests come over HTTP."""

    def __init__(self, client: docker.DockerClient, facts: RegistryFacts, *, platform: str,
                 http_timeout_s: float) -> None:
        self.client = client
        self.facts = facts
        self.platform = platform  # the one whose manifest is read, and that every image must be
        self.http_timeout_s = http_timeout_s

    def push(self, image_id: str, repository: str, *, tag: str = "latest") -> Pushed:
        """Push the image under <registry>/<repository>:<tag>. That local name stays on the image
        (`clean` removes it with the image): two builds pushing the same image at once would
        otherwise take the name away from under each other's push."""
        name = f"{self.facts.address}/{repository}"
        images.tag(self.client, image_id, f"{name}:{tag}")
        digest = images.push(self.client, name, tag, log=lambda line: log.debug(f"push {repository}: {line}"))
        # Without a digest from the engine, the tag just pushed names the manifest (a concurrent
        # push of the same name could move it; the namespaces keep the tests' apart from the author's).
        return self.manifest(repository, digest or tag)

    def _get(self, url: str, *, accept: tuple[str, ...] = (), stream: bool = False) -> requests.Response:
        """A GET that asks again, twice, after a server error: with two builds pushing the same
        image at once, the registry has answered a manifest request with a 500 while the other
        push was writing that manifest (seen once in the test suite)."""
        def get() -> requests.Response:
            return requests.get(url, headers={"Accept": ", ".join(accept)} if accept else {}, stream=stream,
                                timeout=self.http_timeout_s)

        for delay in (0.5, 1.0):
            answer = get()
            if answer.status_code < 500:
                return answer
            answer.close()
            time.sleep(delay)
        return get()

    def manifest(self, repository: str, reference: str) -> Pushed:
        """The sizes and config the registry holds for repository@reference (a digest or a tag)."""
        url = f"http://{self.facts.address}/v2/{repository}"
        try:
            answer = self._get(f"{url}/manifests/{reference}", accept=MANIFEST_TYPES + INDEX_TYPES)
            answer.raise_for_status()
            manifest = answer.json()
            digest = answer.headers.get("Docker-Content-Digest", reference)
            if manifest.get("mediaType") in INDEX_TYPES or "manifests" in manifest:
                digest = of_platform(manifest["manifests"], self.platform)
                answer = self._get(f"{url}/manifests/{digest}", accept=MANIFEST_TYPES)
                answer.raise_for_status()
                manifest = answer.json()
            layers = tuple(Blob(str(layer["digest"]), str(layer["mediaType"]), int(layer["size"]))
                           for layer in manifest["layers"])
            config_size = int(manifest["config"]["size"])
            config_answer = self._get(f"{url}/blobs/{manifest['config']['digest']}")
            config_answer.raise_for_status()
            config = config_answer.json()
            if not isinstance(config, dict):
                raise ValueError("the image config is not a JSON object")
            require_platform(config, self.platform)
        except OtherPlatform as exc:
            raise RegistryError(f"{repository}@{reference}: {exc}",
                                hint=f"Pull the {self.platform} image of that name (`docker pull --platform "
                                     f"{self.platform} ...`), or build it for {self.platform}; then build "
                                     "again.") from None
        except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
            raise RegistryError(f"the registry at {self.facts.address} gave no usable manifest for "
                                f"{repository}@{reference}: {exc}") from None
        return Pushed(f"{self.facts.address}/{repository}@{digest}", sum(b.size for b in layers) + config_size,
                      layers, config)

    @contextmanager
    def blob(self, repository: str, digest: str) -> Iterator[IO[bytes]]:
        """One stored blob, as a stream of its bytes as stored (compressed)."""
        url = f"http://{self.facts.address}/v2/{repository}/blobs/{digest}"
        try:
            answer = self._get(url, stream=True)
            answer.raise_for_status()
        except requests.RequestException as exc:
            raise RegistryError(f"the registry at {self.facts.address} did not give the blob "
                                f"{repository}@{digest}: {exc}") from None
        try:
            answer.raw.decode_content = False  # the blob's own bytes: we decompress them ourselves
            yield answer.raw
        finally:
            answer.close()


def mirror_name(reference: str) -> str:
    """Where a base image is kept in our registry: its repository, Docker Hub's with library/."""
    repository, _tag = images.split_ref(reference)
    first = repository.split("/", 1)[0]
    hosted = "." in first or ":" in first or first == "localhost"
    return repository if hosted or "/" in repository else f"library/{repository}"


def address(settings: Settings) -> str:
    return f"127.0.0.1:{settings.registry_port}"


def ensure(client: docker.DockerClient, image_id: str, *, settings: Settings, memo: Path) -> Registry:
    """Our registry, running and answering: reused when it runs, started when it does not (from
    `image_id`, the provisioned registry:2), within the start time-out."""
    started = time.monotonic()
    where, port, limit_s = address(settings), settings.registry_port, settings.registry_start_timeout_s
    found = service.find(client, ROLE)
    # Made from another image, or published on another port (registry_port changed since): made again.
    if found is not None and (found.image_id != image_id or found.port not in (None, port)):
        why = "its image changed" if found.image_id != image_id else f"it listens on port {found.port}, not {port}"
        log.info(f"registry: {why}; replacing the container (the stored blobs stay)")
        service.remove(client, ROLE)
        found = None
    if found is None or not found.running:
        found = service.start(client, role=ROLE, image=image_id, port=port, volume=VOLUME,
                              data_path="/var/lib/registry", container_port=5000)
    while not answers(where):
        if time.monotonic() - started > limit_s:
            raise RegistryError(
                f"the registry did not answer at http://{where}/v2/ within {limit_s:.0f} s. "
                f"Its last log lines:\n{service.logs(client, found.container_id)}",
                hint=unanswered_hint(connection.endpoint(), port))
        time.sleep(0.2)
    facts = RegistryFacts(where, image_id, _version(client, found.container_id, image_id, memo))
    return Registry(client, facts, platform=settings.platform, http_timeout_s=settings.registry_http_timeout_s)


def unanswered_hint(engine: str, port: int) -> str:
    """What to try when the registry does not answer: its port is published on the engine's machine,
    and read on this one at 127.0.0.1, so an engine on another machine (tcp://) needs it forwarded."""
    host = urllib.parse.urlsplit(engine).hostname if engine.startswith("tcp://") else None
    if host and host not in ("127.0.0.1", "localhost", "::1"):
        return (f"The engine at {engine} publishes the registry's port on its own machine, and this one reads it at "
                f"127.0.0.1:{port}: forward it here (`ssh -nNT -L {port}:127.0.0.1:{port} user@{host}`), or build "
                "on that machine.")
    return f"Is port {port} on 127.0.0.1 taken by something else? `python -m macros clean` removes ours."


def answers(where: str) -> bool:
    """Whether a registry answers at `where` (host:port), as the Distribution API's base endpoint does."""
    try:
        return requests.get(f"http://{where}/v2/", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _version(client: docker.DockerClient, container_id: str, image_id: str, memo: Path) -> str:
    """The registry's own version, as it logs it on its lines (remembered per image once found)."""
    known = read_json_object(memo)
    if image_id not in known:
        found = service.first_line_matching(client, container_id, _VERSION)
        if found is None:
            return "unknown"  # not remembered: a later start may say it
        known[image_id] = found.group(1)
        write_atomic(memo, json.dumps(known))
    return str(known[image_id])


class OnDemand:
    """The registry, started the first time something must be pushed (a warm build never needs
    it), once, whichever build worker asks first; and every image's sizes, which a push gives."""

    def __init__(self, client: docker.DockerClient, image_id: str, *, settings: Settings, engine: EngineFacts) -> None:
        self.client, self.image_id, self.settings = client, image_id, settings
        self.engine = engine  # whether the engine's own figure must equal the count depends on it
        self.versions = settings.cache_dir / VERSIONS
        self.base_sizes_memo = settings.cache_dir / BASE_SIZES
        self.layer_counts = image_size.LayerCounts(settings.shared_cache_dir / LAYER_FILES)
        self._registry: Registry | None = None
        self._lock = threading.Lock()
        self.pushes = 0  # images this build pushed

    def get(self) -> Registry:
        with self._lock:
            if self._registry is None:
                self._registry = ensure(self.client, self.image_id, settings=self.settings, memo=self.versions)
            return self._registry

    def push(self, image_id: str, repository: str, *, tag: str = "latest") -> Pushed:
        """Push through the registry. One that stopped answering (killed, or its container gone)
        is started again, the same labelled container on the same volume, and the push tried once
        more; only a second failure fails, and it says both."""
        try:
            pushed = self.get().push(image_id, repository, tag=tag)
        except RegistryError as first:
            if answers(address(self.settings)):
                raise  # it answers: the failure is not its absence, and a second try would say the same
            log.info(f"registry: stopped answering during a push ({first.message}); starting it again")
            with self._lock:
                self._registry = None
            try:
                pushed = self.get().push(image_id, repository, tag=tag)
            except RegistryError as second:
                raise RegistryError(f"{second.message} (after starting the registry again; the first try said: "
                                    f"{first.message})", hint=second.hint) from None
        with self._lock:
            self.pushes += 1
        return pushed

    def sized(self, image_id: str, repository: str, *, store_bytes: int, tag: str = "latest",
              what: str) -> image_size.Sized:
        """Push the image, then count its layers' files; `store_bytes` is the engine's own figure
        for it (inspect's Size), which on overlay2 must be the same."""
        pushed = self.push(image_id, repository, tag=tag)
        counts = self.layer_counts.of(self.get(), repository, pushed, what=what)
        exact = self.engine.counts_like_overlay2
        return image_size.sized(counts, pushed, image_id=image_id, store_bytes=store_bytes, exact=exact, what=what)

    def facts(self) -> RegistryFacts:
        """Address, image and version, from the memo when this image was seen running before."""
        version = read_json_object(self.versions).get(self.image_id)
        if version is None:
            return self.get().facts
        return RegistryFacts(address(self.settings), self.image_id, str(version))

    def base_sizes(self, reference: str, image_id: str, *, store_bytes: int) -> image_size.Sized:
        """A base image's sizes: pushed once (at provisioning), then remembered by image ID."""
        with self._lock:
            known = read_json_object(self.base_sizes_memo).get(image_id)
        if known is not None and known.get("meaning") == MEANING:  # sized the way sizes are counted now
            try:
                return image_size.Sized(int(known["size_bytes"]), int(known["transfer_bytes"]),
                                        int(known["store_bytes"]), (), str(known["reference"]))
            except (KeyError, TypeError, ValueError):
                pass  # an older memo's shape: sized again
        found = self.sized(image_id, mirror_name(reference), store_bytes=store_bytes,
                           tag=images.split_ref(reference)[1], what=reference)
        log.info(f"registry: {reference} pushed: {found.size_bytes:,} bytes of files, "
                 f"{found.transfer_bytes:,} bytes stored")
        with self._lock:
            memo = read_json_object(self.base_sizes_memo)
            memo[image_id] = {"size_bytes": found.size_bytes, "transfer_bytes": found.transfer_bytes,
                              "store_bytes": found.store_bytes, "reference": found.reference, "meaning": MEANING}
            write_atomic(self.base_sizes_memo, json.dumps(memo, indent=0, sort_keys=True))
        return found
