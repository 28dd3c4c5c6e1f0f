"""The plan of one doc build: each declared variant's cache key, which keys the cache already
answers or another build is measuring, and which variant waits for which to share its first stage.

Variants with the same inputs have the same key: they make one job, measured once and shown
under each id, so a build never takes one key's lock twice (it would wait on itself).
"""
from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import docker

from ..engine import context, images
from ..errors import ConfigError, did_you_mean
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
        raise ConfigError(f"{REFRESH_ENV} names unknown variants: "
                          f"{', '.join(u + did_you_mean(u, ids) for u in sorted(unknown))}",
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


class Planner:
    """This build's claim on each key, made one variant at a time as its bases become ready.

    Variants with a key already planned join its job (measured once, shown under each id). A key
    the cache answers is reused. Otherwise the key is locked until its measurement is stored (the
    caller's ExitStack `held`): a second build at the same time waits for it, then reuses it.
    Keys are claimed in the order their bases come, which differs between builds, so a build
    never waits for a key while it holds others (`wait=False`): a key another build holds is left
    `deferred`, to be claimed, waiting, once this build has stored its own and let them go.
    """

    def __init__(self, client: docker.DockerClient, cache: ResultCache, *, refresh: set[str], held: ExitStack,
                 settings: Settings) -> None:
        self.client, self.cache, self.refresh, self.held, self.settings = client, cache, refresh, held, settings
        self.variants_of: dict[str, list[Variant]] = {}   # by key, in the order planned
        self.cached: dict[str, Measurement] = {}
        self.deferred: list[str] = []
        self._tagged: dict[str, str] | None = None        # tag -> image ID, listed at the first claim

    def claim(self, v: Variant, key: str, *, wait: bool) -> bool:
        """Whether this build is to build and measure `v` under `key`."""
        if key in self.variants_of:
            same = self.variants_of[key]
            same.append(v)
            log.info(f"{', '.join(o.id for o in same)}: the same inputs, measured once and shown under each id")
            if v.id not in self.refresh or key not in self.cached:
                return False
            # the cache answered for the first of them, and this one asks to be measured again
            del self.cached[key]
            same.insert(0, same.pop())  # the job's first variant is the one built
            return self._locked(v, key, wait=wait)
        self.variants_of[key] = [v]
        tag = self.settings.tag_of(v.id)
        fresh = v.id in self.refresh
        hit = None if fresh else self._usable(key, tag)
        if hit is None:
            if not self._locked(v, key, wait=wait):
                return False
            if not fresh:  # another build may have measured it while we waited for the lock
                hit = self._usable(key, tag)
        if hit is not None:
            log.info(f"{v.id}: reused the measurement of {hit.measured_at} ({hit.size_bytes:,} bytes)")
            self.cached[key] = hit
        return hit is None

    def _locked(self, v: Variant, key: str, *, wait: bool) -> bool:
        """The key's lock, held until the caller's block ends; without `wait`, a key another build
        holds is deferred instead."""
        if self.held.enter_context(self.cache.lock(key, wait=wait)):
            return True
        log.info(f"{v.id}: another build is measuring the same inputs; waiting for it at the end")
        self.deferred.append(key)
        return False

    def _usable(self, key: str, tag: str) -> Measurement | None:
        """A cached measurement whose image is still in the engine and carries the tag the pages
        name. The tags are listed once (`tagged`); a tag that names another image (or none) is
        put right, unless the cached image is gone."""
        hit = self.cache.get(key)
        if hit is None:
            return None
        if self._tagged is None:
            self._tagged = images.tagged(self.client, self.settings.namespace)
        if self._tagged.get(tag) == hit.image_id:
            return hit
        if images.inspect_image(self.client, hit.image_id) is None:
            log.info(f"{tag}: the cached image {hit.image_id[:19]} is gone; measuring again")
            return None
        images.tag(self.client, hit.image_id, tag)
        self._tagged[tag] = hit.image_id
        return hit

    def jobs(self, order: list[Variant]) -> list[Job]:
        """Every planned key but the deferred ones, as a job, in the order of `order`."""
        place = {v.id: n for n, v in enumerate(order)}
        jobs = [Job(tuple(same), key, self.cached.get(key)) for key, same in self.variants_of.items()
                if key not in self.deferred]
        return sorted(jobs, key=lambda job: place[job.variant.id])


def first_stages(declared: list[Variant], *, layer_cache: bool) -> dict[str, str]:
    """Which variant each waits for (by id). Variants that start from the same base and context
    share their first stage: the first of each such group is built before the others, so the
    engine's layer cache serves that stage to them instead of two builds making it at once.
    Without the layer cache nothing is shared, and nothing waits."""
    if not layer_cache:
        return {}
    first: dict[tuple[str, Path], str] = {}
    waits: dict[str, str] = {}
    for v in declared:
        pioneer = first.setdefault(((v.bases or ("scratch",))[0], v.context), v.id)
        if pioneer != v.id:
            waits[v.id] = pioneer
    return waits
