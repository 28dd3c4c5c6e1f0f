"""A long-running service container of ours (the local registry): find, start, describe, remove.

It listens on the engine host's loopback only, keeps its data in a named volume that carries our
labels, and is found again by its role label, so a second build reuses it.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass

import docker
from docker.errors import APIError, NotFound

from . import labels
from .connection import translated


@dataclass(frozen=True)
class Service:
    container_id: str
    image_id: str
    running: bool
    port: int | None = None  # the loopback port it is published on, as the engine lists it (running only)


def find(client: docker.DockerClient, role: str) -> Service | None:
    with translated(f"look for our {role} container"):
        for c in client.api.containers(all=True, filters=labels.filter_ours(role)):
            port = next((int(p["PublicPort"]) for p in c.get("Ports") or [] if p.get("PublicPort")), None)
            return Service(c["Id"], str(c.get("ImageID", "")), c.get("State") == "running", port)
    return None


def start(client: docker.DockerClient, *, role: str, image: str, port: int, volume: str, data_path: str,
          container_port: int) -> Service:
    """Create (if needed) and start the service: `container_port` published on 127.0.0.1:`port`."""
    api = client.api
    with translated(f"start our {role} container"):
        found = find(client, role)
        if found is None:
            api.create_volume(name=volume, labels=labels.ours(role))  # returns the existing one if there
            host_config = api.create_host_config(
                port_bindings={container_port: ("127.0.0.1", port)},
                binds={volume: {"bind": data_path, "mode": "rw"}},
                restart_policy={"Name": "unless-stopped"},
            )
            try:
                created = api.create_container(image, host_config=host_config, ports=[container_port],
                                               labels=labels.ours(role), name=f"smallest-go-{role}")
                found = Service(created["Id"], image, False)
            except APIError as exc:
                if exc.status_code != 409:  # 409: another build is creating it right now; use that one
                    raise
                found = _created_elsewhere(client, role)
                if found is None:
                    raise
        if not found.running:
            api.start(found.container_id)  # already started by another build: the engine says 304, fine
    return Service(found.container_id, found.image_id, True, found.port)


def _created_elsewhere(client: docker.DockerClient, role: str, *, wait_s: float = 10.0) -> Service | None:
    """The container another process is creating: the engine reserves the name before the
    container shows in its list, so look again for a little while."""
    deadline = time.monotonic() + wait_s
    while (found := find(client, role)) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def logs(client: docker.DockerClient, container_id: str, *, tail: int = 20) -> str:
    with translated("read our service's log"):
        return client.api.logs(container_id, tail=tail).decode("utf-8", "replace")


def first_line_matching(client: docker.DockerClient, container_id: str,
                        pattern: re.Pattern[str]) -> re.Match[str] | None:
    """The first match of `pattern` in our service's log, read from its start and no further."""
    with translated("read our service's log"):
        for line in client.api.logs(container_id, stream=True, follow=False):
            found = pattern.search(line.decode("utf-8", "replace"))
            if found:
                return found
    return None


def remove(client: docker.DockerClient, role: str, *, volume: str | None = None) -> int:
    """Remove our service container (and, given, its volume). Returns how many containers went."""
    removed = 0
    with translated(f"remove our {role} container"):
        for c in client.api.containers(all=True, filters=labels.filter_ours(role)):
            client.api.remove_container(c["Id"], force=True)
            removed += 1
        if volume:
            try:
                client.api.remove_volume(volume)
            except NotFound:
                pass
    return removed
