"""Estimated transfer size of an image, with the gzip-6 size memoised per layer digest.

A layer shared by several images (or by successive builds of one) is compressed once: when every
layer of an image is already known, no export happens at all. Work runs in a background thread so
compressing one image overlaps with building the next.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import docker

from . import engine
from .cache import write_atomic
from .errors import ProjectError
from .log import log
from .measure import layer_sizes

T = TypeVar("T")


class TransferSizer:
    def __init__(self, client: docker.DockerClient, memo_path: Path, *, workers: int = 1) -> None:
        self.client = client
        self.memo_path = memo_path
        self._lock = threading.Lock()
        self._memo: dict[str, int] = self._load()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gzip")
        self.exports = 0  # how many images had to be exported (the benchmark reports it)

    def _load(self) -> dict[str, int]:
        try:
            data = json.loads(self.memo_path.read_text(encoding="utf-8"))
            return {str(k): int(v) for k, v in data.items()}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            log.warning(f"cache: {self.memo_path} is unreadable ({type(exc).__name__}); starting it afresh")
            return {}

    def submit(self, image_id: str, then: Callable[[int], T]) -> Future[T]:
        """Size the image in the background, then hand the size to `then`."""
        return self._pool.submit(lambda: then(self.size(image_id)))

    def size(self, image_id: str) -> int:
        """Sum of gzip-6 sizes over the image's distinct layers."""
        record = engine.inspect_image(self.client, image_id) or {}
        diff_ids = set((record.get("RootFS") or {}).get("Layers") or [])
        with self._lock:
            known = {d: self._memo[d] for d in diff_ids if d in self._memo}
        if len(known) < len(diff_ids):
            self.exports += 1
            found = {layer.diff_id: layer.gzip_bytes for layer in layer_sizes(engine.export(self.client, image_id))}
            with self._lock:
                # merge with what other builds may have written meanwhile
                self._memo.update(self._load())
                self._memo.update(found)
                write_atomic(self.memo_path, json.dumps(self._memo, indent=0, sort_keys=True))
                known = {d: self._memo[d] for d in diff_ids if d in self._memo}
            missing = diff_ids - set(known)
            if missing:
                raise ProjectError(f"the export of {image_id} lacked layers {sorted(missing)}",
                                   hint="The image changed while it was measured; build again.")
        return sum(known.values())

    def close(self) -> None:
        self._pool.shutdown(wait=True)
