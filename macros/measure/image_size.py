"""An image's sizes, each defined the same way on every engine.

- size: the bytes of the files its layers add or change (model/layer_files.py), counted from the
  layers the registry holds once the image is pushed. A layer is read once, ever, and its files
  remembered by its uncompressed digest, which is the same on every engine.
- transfer: the compressed layers and the config, as the registry's manifest lists them (what
  `docker pull` downloads). Each engine compresses with its own gzip and writes its own config,
  so this moves from one engine to another: Docker 20.10's config carries the build container's
  too, about 930 bytes more than Docker 26.1's (measured on `floor`).
- store: what the engine's own image store reports (`docker image inspect`'s Size). On overlay2 it
  is the layers' files as overlay2 counts them (the size, plus any file copied up unchanged), and
  the build checks that it is; the containerd image store reports what it keeps (the compressed
  content; since moby/moby#53426 the unpacked snapshots too), another number.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ..errors import SizeError
from ..log import log
from ..model.files import read_json_object, write_atomic
from ..model.layer_files import LayerFiles, UnreadableLayer, changed_bytes, count, history_layers
from ..model.measurement import Layer

if TYPE_CHECKING:  # registry.py sizes what it pushes with this module
    from .registry import Pushed, Registry


class Sized(NamedTuple):
    size_bytes: int
    transfer_bytes: int
    store_bytes: int
    layers: tuple[Layer, ...]  # the image's history, oldest first, with each layer's files
    reference: str             # where the registry keeps it


class Counts(NamedTuple):
    changed: list[int]  # per layer, the bytes of files it adds or changes: the size
    overlay2: int       # all the layers' files, as overlay2 counts them


class LayerCounts:
    """Each layer's files, read once and remembered by its uncompressed digest: a folder of JSON
    files, one a layer (a layer of a toolchain holds tens of thousands of files)."""

    def __init__(self, memo: Path) -> None:
        self.memo = memo

    def _read(self, diff_id: str) -> LayerFiles | None:
        data = read_json_object(self.memo / f"{diff_id.removeprefix('sha256:')}.json")
        try:
            return LayerFiles.from_dict(data) if data.get("diff_id") == diff_id else None
        except (KeyError, TypeError, ValueError):
            return None  # an older memo's shape: read again

    def of(self, registry: Registry, repository: str, pushed: Pushed, *, what: str) -> Counts:
        diff_ids = [str(d) for d in (pushed.config.get("rootfs") or {}).get("diff_ids", [])]
        if len(diff_ids) != len(pushed.layers):
            raise SizeError(f"{what}: the registry's manifest lists {len(pushed.layers)} layers and its config "
                            f"{len(diff_ids)} ({pushed.reference})")
        layers = []
        for diff_id, blob in zip(diff_ids, pushed.layers, strict=True):
            known = self._read(diff_id)
            if known is None:
                known = self._count(registry, repository, blob.digest, blob.media_type, diff_id, what=what)
            layers.append(known)
        return Counts(changed_bytes(layers), sum(layer.file_bytes for layer in layers))

    def _count(self, registry: Registry, repository: str, digest: str, media_type: str, diff_id: str, *,
               what: str) -> LayerFiles:
        with registry.blob(repository, digest) as stream:
            try:
                found = count(stream, media_type)
            except UnreadableLayer as exc:
                raise SizeError(f"{what}: cannot count the files of layer {digest}: {exc}",
                                hint="Push the image with gzip or uncompressed layers.") from None
        if found.diff_id != diff_id:
            raise SizeError(f"{what}: layer {digest} unpacks to {found.diff_id}, but the image's config "
                            f"says {diff_id}", hint="The registry's copy is damaged: `python -m macros clean "
                            "--all` removes its volume, and the next build pushes again.")
        log.debug(f"{what}: layer {diff_id[:19]} holds {found.file_bytes:,} bytes of files")
        self.memo.mkdir(parents=True, exist_ok=True)
        write_atomic(self.memo / f"{diff_id.removeprefix('sha256:')}.json", json.dumps(found.as_dict()))
        return found


def sized(counts: Counts, pushed: Pushed, *, image_id: str, store_bytes: int, exact: bool, what: str) -> Sized:
    """The image's sizes from its counted layers; where the engine counts as overlay2 does
    (`exact`), its own figure (`store_bytes`) must agree with that count, or the build stops
    naming the image."""
    if exact and counts.overlay2 != store_bytes:
        raise SizeError(f"{what}: its layers hold {counts.overlay2:,} bytes of files, but the engine (overlay2) "
                        f"reports {store_bytes:,} for image {image_id}",
                        hint="The count of a layer's files (macros/model/layer_files.py) no longer matches "
                             "overlay2's: compare the two on this image's layers, one by one.")
    return Sized(sum(counts.changed), pushed.transfer_bytes, store_bytes,
                 history_layers(pushed.config.get("history") or [], counts.changed), pushed.reference)
