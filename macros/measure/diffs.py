"""The image diffs of one doc build: each pair of variants the pages compare (variants.compared),
from the two images' inventories (model/image_diff.py).

An image's files are read from one export of it (`image_files`): what it holds, for its
measurement (variant.py), and its inventory, for the diffs. Both are kept on this machine by image
ID, which names the image's layers and so their files: an image that another checkout, or the
tests' build, already read is not exported again, and a diff costs no engine call once both
images are known.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import docker

from ..engine import images
from ..model import files
from ..model.image_diff import File, ImageDiff, Inventory, compare
from ..model.measurement import Contents
from ..model.session import Shown
from ..model.settings import Settings
from ..model.variants import Variant, compared
from . import contents

# An image's files and its diffs are kept by image ID alone, so a change to what they hold (the
# readers of contents.py) or to how a diff groups them (model/image_diff.py) must change this
# number, or an image read before it would be read back as it was.
READER = 3


def _memo(settings: Settings, image_id: str) -> Path:
    return settings.shared_cache_dir / f"image-files-{READER}" / f"{image_id.removeprefix('sha256:')}.json"


def image_files(client: docker.DockerClient, image_id: str, settings: Settings) -> tuple[Contents, Inventory]:
    """What the image holds, and its inventory: from the memo, else from one export of it."""
    known = files.read_json(_memo(settings, image_id))
    if isinstance(known, dict):
        try:
            return (Contents.from_dict(known["contents"]),
                    {path: File(*entry) for path, entry in known["inventory"].items()})
        except (KeyError, TypeError, ValueError):
            pass  # another shape: read again
    found = images.exported(client, image_id, keep=contents.KEEP)
    inside, inventory = contents.contents(found.entries, found.kept), contents.inventory(found)
    files.write_atomic(_memo(settings, image_id), json.dumps(
        {"contents": inside.as_dict(), "inventory": {path: list(f) for path, f in inventory.items()}}))
    return inside, inventory


def of_session(client: docker.DockerClient, declared: list[Variant], shown: Sequence[Shown],
               settings: Settings) -> list[ImageDiff]:
    """The diff of each compared pair whose two variants were both measured, in the variants
    file's order. A pair of images already compared is read back (a warm build reads no inventory)."""
    measured = {s.id: s.measured.image_id for s in shown}
    inventories: dict[str, Inventory] = {}

    def of(image_id: str) -> Inventory:
        if image_id not in inventories:
            inventories[image_id] = image_files(client, image_id, settings)[1]
        return inventories[image_id]

    def diff(before: str, after: str) -> ImageDiff:
        ids = (measured[before], measured[after])
        memo = settings.shared_cache_dir / f"diffs-{READER}" / "-".join(i.removeprefix("sha256:")[:32] for i in ids)
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
