"""An image's sizes, each defined the same way on every engine.

- size: the bytes of files in its layers (model/layer_files.py), counted from the layers the
  registry holds once the image is pushed. A layer is counted once, ever, and remembered by its
  uncompressed digest, which is the same on every engine.
- transfer: the compressed layers and the config, as the registry's manifest lists them (what
  `docker pull` downloads). Each engine compresses with its own gzip and writes its own config,
  so this moves from one engine to another: Docker 20.10's config carries the build container's
  too, about 930 bytes more than Docker 26.1's (measured on `floor`).
- store: what the engine's own image store reports (`docker image inspect`'s Size). On overlay2 it
  is the size, and the build checks that it is; the containerd image store reports what it keeps
  (the compressed content; since moby/moby#53426 the unpacked snapshots too), another number.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ..errors import SizeError
from ..log import log
from ..model.files import read_json_object, write_atomic
from ..model.layer_files import UnreadableLayer, count, history_layers
from ..model.measurement import Layer
from ..model.records import EngineFacts

if TYPE_CHECKING:  # registry.py sizes what it pushes with this module
    from .registry import Pushed, Registry


class Sized(NamedTuple):
    size_bytes: int
    transfer_bytes: int
    store_bytes: int
    layers: tuple[Layer, ...]  # the image's history, oldest first, with each layer's files
    reference: str             # where the registry keeps it


def counted_like_overlay2(facts: EngineFacts) -> bool:
    """Whether the engine's own Size must equal the size counted from the layers."""
    return facts.image_store == "classic" and facts.storage_driver == "overlay2"


class LayerCounts:
    """Each layer's files, counted once and remembered by its uncompressed digest (a JSON memo)."""

    def __init__(self, memo: Path) -> None:
        self.memo = memo
        self._lock = threading.Lock()

    def of(self, registry: Registry, repository: str, pushed: Pushed, *, what: str) -> list[int]:
        diff_ids = [str(d) for d in (pushed.config.get("rootfs") or {}).get("diff_ids", [])]
        if len(diff_ids) != len(pushed.layers):
            raise SizeError(f"{what}: the registry's manifest lists {len(pushed.layers)} layers and its config "
                            f"{len(diff_ids)} ({pushed.reference})")
        with self._lock:
            known = read_json_object(self.memo)
        for diff_id, blob in zip(diff_ids, pushed.layers, strict=True):
            if diff_id in known:
                continue
            with registry.blob(repository, blob.digest) as stream:
                try:
                    found = count(stream, blob.media_type)
                except UnreadableLayer as exc:
                    raise SizeError(f"{what}: cannot count the files of layer {blob.digest}: {exc}",
                                    hint="Push the image with gzip or uncompressed layers.") from None
            if found.diff_id != diff_id:
                raise SizeError(f"{what}: layer {blob.digest} unpacks to {found.diff_id}, but the image's config "
                                f"says {diff_id}", hint="The registry's copy is damaged: `python -m macros clean "
                                "--all` removes its volume, and the next build pushes again.")
            log.debug(f"{what}: layer {diff_id[:19]} holds {found.file_bytes:,} bytes of files")
            with self._lock:
                known = read_json_object(self.memo)
                known[diff_id] = found.file_bytes
                write_atomic(self.memo, json.dumps(known, indent=0, sort_keys=True))
        return [int(known[d]) for d in diff_ids]


def sized(counts: Sequence[int], pushed: Pushed, *, image_id: str, store_bytes: int, exact: bool,
          what: str) -> Sized:
    """The image's sizes from its counted layers; where the engine counts the same way (`exact`),
    its own figure (`store_bytes`) must agree, or the build stops naming the image."""
    size = sum(counts)
    if exact and size != store_bytes:
        raise SizeError(f"{what}: its layers hold {size:,} bytes of files, but the engine (overlay2) reports "
                        f"{store_bytes:,} for image {image_id}",
                        hint="The count of a layer's files (macros/model/layer_files.py) no longer matches "
                             "overlay2's: compare the two on this image's layers, one by one.")
    return Sized(size, pushed.transfer_bytes, store_bytes, history_layers(pushed.config.get("history") or [], counts),
                 pushed.reference)
