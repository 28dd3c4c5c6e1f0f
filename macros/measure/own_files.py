"""What a base image's own files say of it, read through the engine once per image ID and kept in
the cache: the system its os-release file names (PRETTY_NAME), and the accounts its /etc/passwd
declares. The pages name a base's Debian release and its users from these, never from words typed
beside them."""
from __future__ import annotations

import json
import shlex
from typing import NamedTuple

import docker

from ..engine import images
from ..model import files
from ..model.records import Account
from ..model.settings import Settings

PLACES = ("/etc/os-release", "/usr/lib/os-release")  # the first is often a link to the second


class OwnFiles(NamedTuple):
    system: str                      # "Debian GNU/Linux 13 (trixie)", or "" with no os-release file
    accounts: tuple[Account, ...]    # in the order /etc/passwd lists them; () without one


def read(client: docker.DockerClient, image_id: str, settings: Settings) -> OwnFiles:
    memo = settings.cached("own-files") / f"{image_id.removeprefix('sha256:')}.json"
    known = files.read_json(memo)
    try:
        return OwnFiles(str(known["system"]), tuple(Account(**a) for a in known["accounts"]))
    except (KeyError, TypeError):
        pass  # no memo, or not one this version wrote: read the image again
    release = next((found for place in PLACES if (found := images.read_file(client, image_id, place))), b"")
    found = OwnFiles(pretty_name(release), accounts(images.read_file(client, image_id, "/etc/passwd") or b""))
    files.write_atomic(memo, json.dumps({"system": found.system, "accounts": [a._asdict() for a in found.accounts]}))
    return found


def pretty_name(os_release: bytes) -> str:
    """Its PRETTY_NAME, unquoted as a shell would ("" without one; as written if its quotes do not
    close, which a shell would refuse)."""
    fields = dict(line.split("=", 1) for line in os_release.decode("utf-8", "replace").splitlines() if "=" in line)
    written = fields.get("PRETTY_NAME", "")
    try:
        return " ".join(shlex.split(written))
    except ValueError:
        return written.strip().strip("\"'")


def accounts(passwd: bytes) -> tuple[Account, ...]:
    """Each well-formed line (name:password:UID:GID:comment:home:shell) as an account; others skipped."""
    found = []
    for line in passwd.decode("utf-8", "replace").splitlines():
        fields = line.split(":")
        if len(fields) == 7 and fields[0] and fields[2].isdigit():
            found.append(Account(name=fields[0], uid=int(fields[2]), home=fields[5]))
    return tuple(found)
