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

from ..model import files
from . import buildkit, labels, lock, memory
from .connection import translated


def remove_containers(client: docker.DockerClient, *, run_id: str | None = None, namespace: str | None = None) -> int:
    """Remove our run containers: those of one run (an interrupt) or of one namespace (`clean`)."""
    wanted = labels.filter_run(run_id) if run_id else labels.filter_namespace(namespace or "")
    with translated("list and remove our containers"):
        found = client.api.containers(all=True, filters=wanted)
        for c in found:
            try:
                client.api.remove_container(c["Id"], v=True, force=True)
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


def prune_after_build(client: docker.DockerClient, *, stand_ins: list[str], variants: bool,
                      engine_lock: Path) -> int:
    """Remove what a build made stale: when it built variants, our variant images that lost their
    tag to a newer one; and the stand-ins it replaced, by ID (an image someone built on a stand-in
    carries its labels, so the labels cannot tell a stand-in from it). Nothing is forced: an image
    a container uses, or that has another tag, stays. Called once the build has let go of its own
    shared hold on the engine lock; while another build of ours runs, nothing goes (lock.py): the
    untagged variant images are left to a later build's prune, the replaced stand-ins to `clean`."""
    if not (variants or stand_ins):  # a warm build: nothing made stale, no lock to take
        return 0
    removed = 0
    with lock.held(engine_lock, exclusive=True, wait=False) as free, translated("remove stale images"):
        if not free:
            return 0
        doomed = [image["Id"] for image in client.api.images(
            filters={**labels.filter_variant_images(), "dangling": True})] if variants else []
        for image_id in [*doomed, *stand_ins]:
            removed += _remove(client.api, image_id)
    return removed


def remove_leftovers(client: docker.DockerClient, *, runs: Path,
                     cgroup_root: Path = memory.CGROUP_ROOT) -> dict[str, int]:
    """What earlier runs of ours on this machine left when they did not finish (a crash, SIGKILL,
    an engine that stopped mid-call): their run containers, their cgroup folders (meters; and
    builds' memory caps, once no build of ours is running) and their folders (builds', stand-ins'
    contexts). A run that is still going (lock.alive) keeps everything; so does another machine's
    run on a shared engine, which this machine cannot ask. (BuildKit runs a build's steps in no
    container of the engine's, so a build killed mid-way leaves none.)"""
    removed = {"containers": 0, "cgroups": 0, "folders": 0}
    api = client.api
    with translated("remove what earlier runs left"):
        for c in api.containers(all=True, filters=labels.filter_ours("probe")):
            found = c.get("Labels") or {}
            run, host = found.get(labels.RUN, ""), found.get(labels.HOST, "")
            if run == labels.RUN_ID or (host and host != labels.HOST_NAME) or (run and lock.alive(runs, run)):
                continue
            if not run and c.get("State") == "running":
                continue  # made before runs were labelled, and in use: not ours to judge
            removed["containers"] += _remove_container(api, c["Id"])
    for run, folders in memory.leftover_meters(cgroup_root).items():
        if run != labels.RUN_ID and not lock.alive(runs, run):
            removed["cgroups"] += sum(memory.remove_tree(folder) for folder in folders)
    # a cap found while no build of ours runs under one was left by a build that died
    removed["cgroups"] += memory.remove_unused_caps(memory.leftover_caps(cgroup_root))
    for run, folders in buildkit.folders_left().items():
        if run != labels.RUN_ID and not lock.alive(runs, run):
            for folder in folders:
                files.remove_tree(folder)
                removed["folders"] += 1
    lock.forget_dead(runs)
    return removed


def _remove_container(api: docker.APIClient, container_id: str) -> int:
    try:
        api.remove_container(container_id, v=True, force=True)
        return 1
    except NotFound:
        return 0  # gone meanwhile
