"""Estimated transfer size of an image, with the gzip-6 size memoised per layer digest.

A layer shared by several images (or by successive builds of one) is compressed once. When every
layer of an image is known, nothing is exported; otherwise the export is streamed and the layers
already known are passed over unread (recognised by their byte size; should a new layer have such
a size, it shows up missing, and everything is compressed), so only new layers are compressed.
It is called from the session's build workers, so compressing one image overlaps with building
the next; two workers that need the same new layers export them once (the other waits).
"""
from __future__ import annotations

import json
import tarfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import docker

from .cache import write_atomic
from .engine import images
from .errors import EngineError, ProjectError
from .log import log
from .measure import LayerSize, layer_sizes

MEMO_FILE = "layers-v2.json"  # diff_id -> {"size": tar bytes, "gzip": gzip -6 bytes}


class TransferSizer:
    def __init__(self, client: docker.DockerClient, cache_root: Path) -> None:
        self.client = client
        self.memo_path = cache_root / MEMO_FILE
        self._lock = threading.Lock()
        self._memo: dict[str, dict[str, int]] = self._load()
        self._inflight: dict[str, threading.Event] = {}  # layer digest -> set when its export ends
        self.exports = 0      # images that had to be exported (the benchmark and tests read these)
        self.compressed = 0   # layers that had to be compressed

    def _load(self) -> dict[str, dict[str, int]]:
        try:
            data = json.loads(self.memo_path.read_text(encoding="utf-8"))
            return {str(k): {"size": int(v["size"]), "gzip": int(v["gzip"])} for k, v in data.items()}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning(f"cache: {self.memo_path} is unreadable ({type(exc).__name__}); starting it afresh")
            return {}

    def size(self, image_id: str, layers: Sequence[str] | None = None) -> int:
        """Sum of gzip-6 sizes over the image's distinct layers (its RootFS digests, when the
        caller has them already; otherwise asked of the engine)."""
        if layers is None:
            layers = ((images.inspect_image(self.client, image_id) or {}).get("RootFS") or {}).get("Layers") or []
        wanted = set(layers)
        while True:
            with self._lock:
                known = {d: self._memo[d] for d in wanted if d in self._memo}
                missing = wanted - set(known)
                # another worker already exporting an image with these layers: wait, then look again
                busy = {self._inflight[d] for d in missing if d in self._inflight}
                if not busy:
                    mine = threading.Event()
                    self._inflight.update(dict.fromkeys(missing, mine))
                    break
            for event in busy:
                event.wait()
        if missing:
            try:
                known = self._measure(image_id, wanted, known)
            finally:
                with self._lock:
                    for d in missing:
                        self._inflight.pop(d, None)
                mine.set()
        return sum(entry["gzip"] for entry in known.values())

    def _measure(self, image_id: str, wanted: set[str], known: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
        """Export the image, compress its unknown layers, and remember them."""
        sizes = {entry["size"] for entry in known.values()}
        found = self._export(image_id, skip=lambda size: size in sizes)
        # Layers of a known byte size were passed over unread. Harmless when they were the known
        # ones; but if a new layer had such a size, it is missing now: compress everything.
        if not wanted - set(known) <= {layer.diff_id for layer in found}:
            found = self._export(image_id, skip=lambda size: False)
        with self._lock:
            self._memo.update(self._load())  # keep what other builds wrote meanwhile
            self._memo.update({layer.diff_id: {"size": layer.size_bytes, "gzip": layer.gzip_bytes}
                               for layer in found if layer.gzip_bytes is not None})
            write_atomic(self.memo_path, json.dumps(self._memo, indent=0, sort_keys=True))
            known = {d: self._memo[d] for d in wanted if d in self._memo}
        if len(known) < len(wanted):
            raise ProjectError(f"the export of {image_id} lacked layers {sorted(wanted - set(known))}",
                               hint="The image changed while it was measured; build again.")
        return known

    def _export(self, image_id: str, *, skip: Callable[[int], bool]) -> list[LayerSize]:
        with self._lock:
            self.exports += 1
        try:
            found = layer_sizes(images.export(self.client, image_id), skip=skip)
        except (EngineError, tarfile.TarError, OSError) as exc:
            raise EngineError(f"exporting {image_id[:19]} to measure its layers failed: {exc}",
                              hint="Check that the engine is running and its disk has room (`docker system df`), "
                              "then build again.") from None
        with self._lock:
            self.compressed += sum(layer.gzip_bytes is not None for layer in found)
        return found
