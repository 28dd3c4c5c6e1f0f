"""The plan of one doc build: each declared variant's cache key, which keys the cache already
answers, and the build order of the rest.

Variants with the same inputs have the same key: they make one job, measured once and shown
under each id, so a build never takes one key's lock twice (it would wait on itself).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import docker

from ..engine import context, images
from ..errors import ConfigError, ProjectError
from ..log import log
from ..model.cache import ResultCache, cache_key
from ..model.measurement import Measurement
from ..model.records import EngineFacts
from ..model.settings import REFRESH_ALL, REFRESH_ENV, Settings
from ..model.variants import Variant
from .bases import Provisioner


@dataclass(frozen=True)
class Job:
    variants: tuple[Variant, ...]      # every declared variant with this key, in file order
    key: str
    cached: Measurement | None = None  # a usable measurement from the cache: nothing to build

    @property
    def variant(self) -> Variant:
        """The one that is built; the others are shown with its measurement."""
        return self.variants[0]


def refresh_wanted(declared: list[Variant], wanted: frozenset[str]) -> set[str]:
    """Which variants the author asked to re-measure (SMALLEST_GO_REFRESH)."""
    ids = {v.id for v in declared}
    if REFRESH_ALL in wanted:
        return ids
    unknown = wanted - ids
    if unknown:
        raise ConfigError(f"{REFRESH_ENV} names unknown variants: {', '.join(sorted(unknown))}",
                          hint=f"Use '{REFRESH_ALL}' or some of: {', '.join(sorted(ids))}.")
    return set(wanted)


def key_of(v: Variant, provisioner: Provisioner, facts: EngineFacts, registry_image: str) -> str:
    return cache_key(
        context_digest=context.for_folder(v.context, v.dockerfile, text=v.parsed.text).digest(),
        bases={r: provisioner.ensure(r).image_id for r in v.bases},
        build_args=v.build_args, expectation=v.expect, binary=v.binary, timeout_s=v.timeout_s,
        engine_version=facts.version, storage_driver=facts.storage_driver, image_store=facts.image_store,
        registry_image=registry_image,
    )


def grouped(keyed: list[tuple[Variant, str]]) -> list[tuple[tuple[Variant, ...], str]]:
    """One entry per key, in the order each key first appears, with every variant that has it."""
    by_key: dict[str, list[Variant]] = {}
    for v, key in keyed:
        by_key.setdefault(key, []).append(v)
    for same in by_key.values():
        if len(same) > 1:
            log.info(f"{', '.join(v.id for v in same)}: the same inputs, measured once and shown under each id")
    return [(tuple(same), key) for key, same in by_key.items()]


@contextmanager
def planned(client: docker.DockerClient, declared: list[Variant], *, provisioner: Provisioner,
            facts: EngineFacts, registry_image: str, cache: ResultCache, refresh: set[str],
            settings: Settings) -> Iterator[tuple[list[Job], dict[str, ProjectError]]]:
    """The jobs (and the variants that failed before one could be made), each miss holding its
    key's lock until the block ends, after its measurement is stored: a second build at the same
    time waits for it, then reuses it."""
    failures: dict[str, ProjectError] = {}
    keyed: list[tuple[Variant, str]] = []
    for v in declared:
        try:
            keyed.append((v, key_of(v, provisioner, facts, registry_image)))
        except ProjectError as exc:
            failures[v.id] = exc
    jobs: list[Job] = []
    with ExitStack() as held_locks:
        # Keys are locked in one order (sorted), whatever the variants file's order: two builds,
        # from checkouts whose files list variants differently, never each hold what the other waits for.
        for same, key in sorted(grouped(keyed), key=lambda group: group[1]):
            tags = [settings.tag_of(v.id) for v in same]
            fresh = any(v.id in refresh for v in same)
            hit = None if fresh else _usable(client, cache, key, tags)
            if hit is None:
                held_locks.enter_context(cache.lock(key))
                if not fresh:  # another build may have measured it while we waited for the lock
                    hit = _usable(client, cache, key, tags)
            if hit is not None:
                log.info(f"{same[0].id}: reused the measurement of {hit.measured_at} ({hit.size_bytes:,} bytes)")
            jobs.append(Job(same, key, hit))
        order = {v.id: n for n, v in enumerate(declared)}
        yield sorted(jobs, key=lambda job: order[job.variant.id]), failures


def _usable(client: docker.DockerClient, cache: ResultCache, key: str, tags: list[str]) -> Measurement | None:
    """A cached measurement whose image is still in the engine, carrying every tag the pages name
    (one inspect per tag when they already point at it)."""
    hit = cache.get(key)
    if hit is None:
        return None
    for tag in tags:
        tagged = images.inspect_image(client, tag)
        if tagged is not None and tagged["Id"] == hit.image_id:
            continue
        if images.inspect_image(client, hit.image_id) is None:
            log.info(f"{tag}: the cached image {hit.image_id[:19]} is gone; measuring again")
            return None
        images.tag(client, hit.image_id, tag)
    return hit


def waves(misses: list[Job], *, layer_cache: bool) -> list[list[Job]]:
    """Build order. Variants that start from the same base and context share their first stage:
    one of each such group is built first, alone in its group, so the engine's layer cache then
    serves that stage to the others instead of two builds making it at once. Without the layer
    cache nothing is shared, and everything is one wave."""
    if not layer_cache:
        return [misses]
    first: list[Job] = []
    later: list[Job] = []
    groups: set[tuple[str, Path]] = set()
    for job in misses:
        group = ((job.variant.bases or ("scratch",))[0], job.variant.context)
        (later if group in groups else first).append(job)
        groups.add(group)
    return [wave for wave in (first, later) if wave]
