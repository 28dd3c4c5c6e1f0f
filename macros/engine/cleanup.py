"""Removing what the project created, found by its labels, and nothing else."""
from __future__ import annotations

import docker
from docker.errors import APIError, NotFound

from .. import labels
from .connection import translated


def remove_containers(client: docker.DockerClient, *, run_id: str | None = None) -> int:
    """Remove our containers: those of one run (an interrupt), or all of ours (`clean`)."""
    with translated("list and remove our containers"):
        found = client.api.containers(all=True, filters=labels.filter_run(run_id) if run_id else labels.filter_ours())
        for c in found:
            try:
                client.api.remove_container(c["Id"], force=True)
            except NotFound:
                pass  # removed by its own run meanwhile
    return len(found)


def remove_ours(client: docker.DockerClient, *, include_bases: bool = False) -> dict[str, int]:
    """Remove containers and images that carry our label; nothing else is touched.

    That includes the untagged first stages of multi-stage variants (the engine's layer cache for
    them): the classic builder labels only the final stage, but a stage built on one of our
    stand-ins inherits the stand-in's labels, so it is known as ours and removed too."""
    containers = remove_containers(client)
    api = client.api
    with translated("list and remove our images"):
        images = api.images(filters=labels.filter_variant_images())
        images += api.images(filters={**labels.filter_ours(), "dangling": True})
        if include_bases:
            images += api.images(filters=labels.filter_ours("base-stand-in"))
        removed = 0
        for image_id in dict.fromkeys(image["Id"] for image in images):
            try:
                api.remove_image(image_id, force=True)
                removed += 1
            except NotFound:
                pass  # already gone with an image it shared a tag with
    return {"containers": containers, "images": removed}


def prune_untagged_variants(client: docker.DockerClient) -> int:
    """Remove our variant images that a newer build has untagged; they only hold stale layers."""
    removed = 0
    with translated("remove untagged variant images"):
        for image in client.api.images(filters={**labels.filter_variant_images(), "dangling": True}):
            try:
                client.api.remove_image(image["Id"])
                removed += 1
            except APIError:
                pass  # in use by another build's container right now: leave it for next time
    return removed
