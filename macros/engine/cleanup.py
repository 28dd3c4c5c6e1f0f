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

from . import labels, lock, memory
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
    """Remove one namespace's run containers and tags (a variant's, or what its runs pushed under
    the namespace), and our untagged images.

    The untagged ones are images of ours that lost their tag (a variant built again under the
    same id). With `include_bases`, the stand-ins too. All of it waits until no build of ours runs
    (lock.py): a build's image is untagged from the moment BuildKit hands it over until the build
    names it, and its run containers are in use."""
    with lock.held(engine_lock, exclusive=True):
        return _remove_ours(client, namespace=namespace, include_bases=include_bases)


def _remove_ours(client: docker.DockerClient, *, namespace: str, include_bases: bool) -> dict[str, int]:
    containers = remove_containers(client, namespace=namespace)
    api = client.api
    removed = 0
    with translated("list and remove our images"):
        # a variant image (labelled by its variant alone), or one of ours that a run pushed under the
        # namespace's name (a base the tests push)
        tagged = api.images(filters=labels.filter_variant_images()) + api.images(filters=labels.filter_ours())
        for image in tagged:
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


def remove_leftovers(client: docker.DockerClient, *, runs: Path, engine_lock: Path,
                     cgroup_root: Path = memory.CGROUP_ROOT) -> dict[str, int]:
    """What earlier runs of ours on this machine left when they did not finish (a crash, SIGKILL,
    an engine that stopped mid-call): their containers and their meter cgroups. A run that is
    still going (lock.alive) keeps everything; so does another machine's run on a shared engine,
    which this machine cannot ask.

    A build step's container is the engine's, labelled only with the labels of the image the step
    runs on: ours when that is a stand-in or built on one. One that is not running is a leftover
    of a build the engine lost, but only while no build of ours runs (the engine lock is free);
    else it is left for a later build. Images are not swept: what a build killed mid-way
    committed is the engine's layer cache, indistinguishable from the cache the next build reuses
    (`clean` removes it)."""
    removed = {"containers": 0, "cgroups": 0}
    api = client.api
    with lock.held(engine_lock, exclusive=True, wait=False) as no_build, translated("remove what earlier runs left"):
        for c in api.containers(all=True, filters=labels.filter_ours()):
            found = c.get("Labels") or {}
            if found.get(labels.ROLE) == "probe":
                run, host = found.get(labels.RUN, ""), found.get(labels.HOST, "")
                if run == labels.RUN_ID or (host and host != labels.HOST_NAME) or (run and lock.alive(runs, run)):
                    continue
                if not run and c.get("State") == "running":
                    continue  # made before runs were labelled, and in use: not ours to judge
            elif found.get(labels.ROLE) == "registry" or not no_build or c.get("State") == "running" \
                    or not str(c.get("Image", "")).startswith("sha256:"):
                # a build step's container names its image by ID; one someone ran by hand from one of
                # our images names it by its tag, and is not ours to remove
                continue
            removed["containers"] += _remove_container(api, c["Id"])
    for run, folders in memory.leftover_meters(cgroup_root).items():
        if run != labels.RUN_ID and not lock.alive(runs, run):
            for folder in folders:
                try:
                    folder.rmdir()
                    removed["cgroups"] += 1
                except OSError:
                    pass  # a process still in it: left for next time
    lock.forget_dead(runs)
    return removed


def _remove_container(api: docker.APIClient, container_id: str) -> int:
    try:
        api.remove_container(container_id, force=True)
        return 1
    except NotFound:
        return 0  # gone meanwhile
