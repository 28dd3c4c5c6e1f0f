"""Removing what the project created, found by its labels and tags, and nothing else.

Variant images are removed by tag, one namespace at a time (`Settings.namespace`): an image two
namespaces share (the same inputs give the same image) loses only the tag being cleaned, and the
engine deletes it once no tag is left. So `make test`, whose namespace is its own, never takes an
image away from the author's pages.
"""
from __future__ import annotations

from pathlib import Path

import docker
from docker.errors import APIError, NotFound

from . import labels, lock
from .connection import translated


def remove_containers(client: docker.DockerClient, *, run_id: str | None = None, namespace: str | None = None) -> int:
    """Remove our run containers: those of one run (an interrupt) or of one namespace (`clean`)."""
    wanted = labels.filter_run(run_id) if run_id else labels.filter_namespace(namespace or "")
    with translated("list and remove our containers"):
        found = client.api.containers(all=True, filters=wanted)
        for c in found:
            try:
                client.api.remove_container(c["Id"], force=True)
            except NotFound:
                pass  # removed by its own run meanwhile
    return len(found)


def _in_namespace(tag: str, namespace: str) -> bool:
    """<namespace>/<id>:latest, or the same pushed: <registry>/<namespace>/<id>:latest."""
    repository = tag.rsplit(":", 1)[0]
    return repository.startswith(f"{namespace}/") or f"/{namespace}/" in repository


def remove_ours(client: docker.DockerClient, *, namespace: str, engine_lock: Path,
                include_bases: bool = False) -> dict[str, int]:
    """Remove one namespace's run containers and variant tags, and our untagged images.

    The untagged ones are the first stages of multi-stage variants (the engine's layer cache for
    them): the classic builder labels only the final stage, but a stage built on one of our
    stand-ins inherits the stand-in's labels, so it is known as ours. With `include_bases`, the
    stand-ins too. All of it waits until no build of ours runs (lock.py): between two steps a
    running build's newest image is untagged too, and its run containers are in use."""
    with lock.held(engine_lock, exclusive=True):
        return _remove_ours(client, namespace=namespace, include_bases=include_bases)


def _remove_ours(client: docker.DockerClient, *, namespace: str, include_bases: bool) -> dict[str, int]:
    containers = remove_containers(client, namespace=namespace)
    api = client.api
    removed = 0
    with translated("list and remove our images"):
        for image in api.images(filters=labels.filter_variant_images()):
            for tag in image.get("RepoTags") or []:
                if _in_namespace(tag, namespace):
                    removed += _remove(api, tag)
        doomed = [image["Id"] for image in api.images(filters={**labels.filter_ours(), "dangling": True})]
        if include_bases:
            doomed += [image["Id"] for image in api.images(filters=labels.filter_ours("base-stand-in"))]
        for image_id in dict.fromkeys(doomed):
            removed += _remove(api, image_id, force=True)
    return {"containers": containers, "images": removed}


def _remove(api: docker.APIClient, name: str, *, force: bool = False) -> int:
    try:
        api.remove_image(name, force=force)
        return 1
    except NotFound:
        return 0  # already gone with an image it shared a tag with
    except APIError as exc:
        if exc.status_code != 409:
            raise
        return 0  # a container of another namespace or build uses it: left for it


def prune_untagged_variants(client: docker.DockerClient, *, engine_lock: Path) -> int:
    """Remove our variant images that a newer build has untagged; they only hold stale layers.
    While another build of ours runs, none: they are left for a later build (lock.py)."""
    removed = 0
    with lock.held(engine_lock, exclusive=True, wait=False) as free, translated("remove untagged variant images"):
        if not free:
            return 0
        for image in client.api.images(filters={**labels.filter_variant_images(), "dangling": True}):
            try:
                client.api.remove_image(image["Id"])
                removed += 1
            except APIError:
                pass  # in use by another build's container right now: leave it for next time
    return removed
