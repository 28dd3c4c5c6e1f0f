"""Which system a base image says it is: the PRETTY_NAME of its os-release file, read through the
engine once per image ID and kept in the cache. The pages name a base's Debian release from it,
never from a number typed beside it."""
from __future__ import annotations

import json
import shlex

import docker

from ..engine import images
from ..model import files
from ..model.settings import Settings

PLACES = ("/etc/os-release", "/usr/lib/os-release")  # the first is often a link to the second


def pretty_name(client: docker.DockerClient, image_id: str, settings: Settings) -> str:
    """"Debian GNU/Linux 13 (trixie)", or "" for an image with no os-release file."""
    memo = settings.cached("os-release") / f"{image_id.removeprefix('sha256:')}.json"
    known = files.read_json(memo)
    if isinstance(known, str):
        return known
    text = next((found for place in PLACES if (found := images.read_file(client, image_id, place))), b"")
    fields = dict(line.split("=", 1) for line in text.decode("utf-8", "replace").splitlines() if "=" in line)
    name = " ".join(shlex.split(fields.get("PRETTY_NAME", ""))) if fields.get("PRETTY_NAME") else ""
    files.write_atomic(memo, json.dumps(name))
    return name
