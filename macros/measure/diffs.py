"""The image diffs of one doc build: each pair of variants the pages compare (variants.compared),
from the two images' inventories (model/image_diff.py).

A variant's inventory is taken from the export its measurement already reads (variant.py) and
kept in the cache by image ID, so a diff costs no engine call once both images are known; an
image measured before its inventory was kept is exported once more.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import docker

from ..engine import images
from ..model import files
from ..model.image_diff import File, ImageDiff, Inventory, compare
from ..model.session import Shown
from ..model.settings import Settings
from ..model.variants import Variant, compared
from . import contents

# Inventories and diffs are kept by image ID alone, so a change to what an inventory holds (the
# package readers of contents.py) or to how a diff groups it (model/image_diff.py) must change this
# number, or an image measured before it would be read back as it was.
READER = 2


def _memo(settings: Settings, image_id: str) -> Path:
    return settings.cached(f"inventories-{READER}") / f"{image_id.removeprefix('sha256:')}.json"


def record(settings: Settings, image_id: str, inventory: Inventory) -> None:
    files.write_atomic(_memo(settings, image_id), json.dumps({path: list(f) for path, f in inventory.items()}))


def inventory_of(client: docker.DockerClient, image_id: str, settings: Settings) -> Inventory:
    known = files.read_json(_memo(settings, image_id))
    if isinstance(known, dict):
        return {path: File(*entry) for path, entry in known.items()}
    found = contents.inventory(images.exported(client, image_id, keep=contents.KEEP))
    record(settings, image_id, found)
    return found


def of_session(client: docker.DockerClient, declared: list[Variant], shown: Sequence[Shown],
               settings: Settings) -> list[ImageDiff]:
    """The diff of each compared pair whose two variants were both measured, in the variants
    file's order. A pair of images already compared is read back (a warm build reads no inventory)."""
    measured = {s.id: s.measured.image_id for s in shown}
    inventories: dict[str, Inventory] = {}

    def of(image_id: str) -> Inventory:
        if image_id not in inventories:
            inventories[image_id] = inventory_of(client, image_id, settings)
        return inventories[image_id]

    def diff(before: str, after: str) -> ImageDiff:
        ids = (measured[before], measured[after])
        memo = settings.cached(f"diffs-{READER}") / "-".join(i.removeprefix("sha256:")[:32] for i in ids)
        known = files.read_json(memo)
        if isinstance(known, dict):
            try:
                return ImageDiff.from_dict(known)._replace(before=before, after=after)
            except (KeyError, TypeError):
                pass  # from another version: compared again
        found = compare(of(ids[0]), of(ids[1]), before_id=before, after_id=after)
        files.write_atomic(memo, json.dumps(found.as_dict()))
        return found

    return [diff(before, after) for before, after in compared(declared) if before in measured and after in measured]
