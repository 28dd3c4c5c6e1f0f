"""Base images: make every FROM reference present in the engine, and record where each came from.

For each reference: present in the engine -> use it (a registry image is never replaced); else pull
(bounded); else build the local stand-in from its recipe in dockerfiles/bases/; else fail, saying
what was tried. A stand-in carries a hash of its recipe and of its parents' image IDs, so a changed
recipe rebuilds it and everything built on it, and an unchanged one costs one inspect call.
Independent bases are provisioned `settings.base_workers` at a time, each once its parents are
ready (a bootstrap on the host, a download and an engine build overlap): as steps of a schedule,
which a doc build shares with its variants.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import docker

from ..engine import buildkit, connection, context, images, labels
from ..errors import BaseImageError, BuildError, ConfigError, PullError, did_you_mean
from ..log import log
from ..model.records import BaseImage
from ..model.settings import Settings
from . import preparers, schedule
from .recipes import RECIPE_SCHEMA, Recipe, load_recipes, wanted_references
from .registry import REFERENCE as REGISTRY

__all__ = ("RECIPE_SCHEMA", "Provisioner", "Recipe", "load_recipes", "step_of", "wanted_references")


def step_of(ref: str) -> str:
    """The name of the step that provisions `ref`, in a schedule (schedule.py)."""
    return f"base {ref}"

@dataclass
class Provisioner:
    client: docker.DockerClient
    recipes: dict[str, Recipe]
    settings: Settings  # where the bases file and the downloads are, and the pull's time limit
    _done: dict[str, BaseImage] = field(default_factory=dict)
    _folders: dict[Path, bytes] = field(default_factory=dict)  # recipe folder -> its files, as hashed
    replaced: list[str] = field(default_factory=list)  # IDs of the stand-ins a changed recipe rebuilt
    _store: str = ""  # the engine's image store, once asked

    def ensure_all(self, refs: list[str]) -> list[BaseImage]:
        """Every ref and every parent it was built on, on one schedule (`steps`). A failure stops
        only what is built on it; the first one is raised once the others are done."""
        outcomes = schedule.run(self.steps(refs), {"base": self.settings.base_workers})
        failure = next((o for o in outcomes.values() if schedule.failed(o)), None)
        if failure is not None:
            raise failure
        return [self.ensure(ref) for ref in self.with_parents(refs)]

    def steps(self, refs: list[str]) -> dict[str, schedule.Step]:
        """A step for each ref and each parent it was built on that is not yet provisioned, on the
        pool "base" (`settings.base_workers` at a time), each started once its parents are ready,
        the longest chains first, then in the order asked (step names: `step_of`)."""
        needed = self.with_parents(refs)
        todo = [ref for ref in needed if ref not in self._done]
        # Stand-ins of one recipe on one parent (the Go releases of a suite) share their first
        # layers: the first is built alone, then the others reuse its layers instead of building
        # them side by side. Its failure does not hold them back. (Bases built on nothing, the
        # bootstraps, share no layers: they all start at once.)
        first: dict[tuple[Path, tuple[str, ...]], str] = {}
        steps: dict[str, schedule.Step] = {}
        for n, ref in enumerate(todo):
            parents = self._parents(ref)
            pioneer = ref
            if ref in self.recipes and parents:
                pioneer = first.setdefault((self.recipes[ref].folder, parents), ref)
            steps[step_of(ref)] = schedule.Step(
                partial(self.ensure, ref), pool="base",
                needs=tuple(step_of(p) for p in parents if p not in self._done),
                after=(step_of(pioneer),) if pioneer != ref else (),
                rank=(-self._chain_length(ref, needed), n))
        return steps

    def ensure(self, ref: str) -> BaseImage:
        if ref not in self._done:
            self._done[ref] = self._ensure(ref)
        return self._done[ref]

    def provisioned(self, ref: str) -> bool:
        return ref in self._done

    def _parents(self, ref: str) -> tuple[str, ...]:
        return self.recipes[ref].parents if ref in self.recipes else ()

    def with_parents(self, refs: list[str]) -> list[str]:
        """`refs` and every base they are built on, each after its parents, in a stable order."""
        out: dict[str, None] = {}

        def visit(ref: str, path: tuple[str, ...]) -> None:
            if ref in path:
                raise ConfigError(f"{self.settings.bases_file}: the recipes of {' -> '.join((*path, ref))} "
                                  "are built on each other in a circle")
            for parent in self._parents(ref):
                visit(parent, (*path, ref))
            out.setdefault(ref)

        for ref in refs:
            visit(ref, ())
        return list(out)

    def _chain_length(self, ref: str, needed: list[str]) -> int:
        """How many of the needed bases are built on `ref`, directly or not: start those first."""
        return sum(ref in self.with_parents([other]) for other in needed if other != ref)

    def _ensure(self, ref: str) -> BaseImage:
        found = self._obtain(ref)
        return found._replace(support=self.recipes[ref].support) if ref in self.recipes else found

    def _obtain(self, ref: str) -> BaseImage:
        record = images.inspect_image(self.client, ref)
        if record is not None:
            found, platform = _labels(record), images.platform_of(record)
            # The registry's image is obtained like a base but never measured: any platform serves,
            # and a pull takes the engine's own.
            wrong = platform != self.settings.platform and ref != REGISTRY
            if found.get(labels.ROLE) != "base-stand-in" or ref not in self.recipes:
                # Never replace an image we did not make. The containerd image store keeps several
                # platforms under one tag and inspects as the engine's own while that is there
                # (26.1.5: a tag holding linux/386 and linux/amd64 inspects as linux/amd64 on
                # amd64): there BuildKit fetches the platform it lacks, and the registry reads that
                # platform's manifest and refuses an image without one (registry.py).
                if wrong and self._image_store() == "classic":
                    raise BaseImageError(
                        f"{ref}: the engine's image is for {platform}; every image here is built and measured "
                        f"for {self.settings.platform}, whose sizes differ",
                        hint=f"Pull that platform's image, which replaces the tag: `docker pull --platform "
                             f"{self.settings.platform} {ref}`; then build again.")
                return _provenance(ref, record)
            if wrong:
                log.info(f"bases: {ref}: the stand-in was built for {platform}; rebuilding")
            elif found.get(labels.RECIPE_HASH) != self.recipe_hash(ref):
                log.info(f"bases: {ref}: its recipe changed since the stand-in was built; rebuilding")
            else:
                return _provenance(ref, record)
            rebuilt = self._build(ref)
            if rebuilt.image_id != record["Id"]:
                self.replaced.append(str(record["Id"]))
            return rebuilt
        started = time.monotonic()
        try:
            images.pull(ref, platform=None if ref == REGISTRY else self.settings.platform,
                        timeout_s=self.settings.pull_timeout_s)
            error = ""
        except PullError as exc:
            error = exc.message
        if not error and (record := images.inspect_image(self.client, ref)) is not None:
            log.info(f"bases: {ref}: pulled in {time.monotonic() - started:.1f}s")
            return _provenance(ref, record)
        named, _, digest = ref.partition("@")
        if digest and named in self.recipes:  # a pin to upstream's exact image, which no stand-in can be
            raise BaseImageError(
                f"{ref}: not in the engine and the pull failed ({error}); {self.settings.bases_file.name} has a "
                f"recipe for {named}, but the digest names upstream's own image, which a stand-in built here "
                "is not (its digest differs)",
                hint=f"Name it {named}, without the digest: the stand-in is held against upstream's published "
                     "packages and sizes instead (Methodology).")
        if ref not in self.recipes:
            bases_file = self.settings.bases_file
            raise BaseImageError(
                f"{ref}: not in the engine, the pull failed ({error}), and {bases_file.name} has no recipe for it"
                f"{did_you_mean(ref, self.recipes)}.",
                hint=f"Add a recipe for {ref} to {bases_file}, "
                "or load the image into the engine (`docker load`).",
            )
        reason = error.strip().splitlines()[0].rsplit(": ", 1)[-1][:120] if error.strip() else "no answer"
        log.info(f"bases: {ref}: no registry answered ({reason}); building the local stand-in")
        return self._build(ref)

    def _image_store(self) -> str:
        """"classic" or "containerd" (connection.py), asked of the engine once, when first needed."""
        if not self._store:
            with connection.translated("describe itself"):
                self._store = connection.image_store(self.client.info())
        return self._store

    def recipe_hash(self, ref: str) -> str:
        """Digest of the recipe folder, its preparer settings and its parents' image IDs."""
        recipe = self.recipes[ref]
        # the builder too: a stand-in the classic builder made is made again with BuildKit
        h = hashlib.sha256(f"schema {RECIPE_SCHEMA}\0{ref}\0built with BuildKit\0".encode())
        versions = [preparers.PREPARERS[kind].version for kind in recipe.prepare]
        h.update(json.dumps([recipe.prepare, recipe.build_args, versions], sort_keys=True, default=str).encode())
        h.update(self._folder_bytes(recipe.folder))
        for parent in recipe.parents:
            h.update(f"\0parent {parent} {self.ensure(parent).image_id}".encode())
        return h.hexdigest()

    def _folder_bytes(self, folder: Path) -> bytes:
        """What a recipe folder adds to its hash (each file's name, mode and bytes), read once per
        folder: the Go releases of a suite share one."""
        if folder not in self._folders:
            self._folders[folder] = b"".join(
                f"\0{path.relative_to(folder)}\0{path.stat().st_mode & 0o111}\0".encode() + path.read_bytes()
                for path in sorted(p for p in folder.rglob("*") if p.is_file()))
        return self._folders[folder]

    def _build(self, ref: str) -> BaseImage:
        recipe = self.recipes[ref]
        recipe_hash = self.recipe_hash(ref)  # ensures the parents first
        started = time.monotonic()
        with buildkit.run_folder() as tmp:
            staging = Path(tmp) / "context"
            shutil.copytree(recipe.folder, staging, ignore=shutil.ignore_patterns("overlay"))
            for kind, spec in recipe.prepare.items():
                preparers.PREPARERS[kind].run(preparers.Job(spec, ref, recipe.folder, staging, self.settings,
                                                            log=lambda line: log.info(f"bases: {line}")))
            record = self._engine_build(ref, staging, recipe_hash)
        images.tag(self.client, str(record["Id"]), ref)
        log.info(f"bases: {ref}: stand-in built in {time.monotonic() - started:.1f}s")
        return _provenance(ref, record)

    def _engine_build(self, ref: str, staging: Path, recipe_hash: str) -> dict[str, Any]:
        """The stand-in's image from its prepared context. A RUN step that fails is run again
        (`settings.stand_in_tries` in all): recipes install from the Debian mirror, which drops a
        connection now and then, and a first build on a bare machine should not end there."""
        tries, attempt = self.settings.stand_in_tries, 1
        while True:
            try:
                return buildkit.build(
                    self.client, context=context.for_folder(staging, staging / "Dockerfile"), what=f"stand-in {ref}",
                    platform=self.settings.platform,
                    buildargs=self.recipes[ref].build_args, image_labels=labels.ours(
                        "base-stand-in", **{labels.REFERENCE: ref, labels.RECIPE_HASH: recipe_hash}),
                    tail_lines=self.settings.log_tail_lines, log=lambda line: log.debug(f"bases: {ref}: {line}"),
                    on_step=lambda step, how: log.info(f"bases: {ref}: {step[:110]} ({how})"))
            except BuildError as exc:
                if attempt >= tries or " RUN " not in exc.failed_step:
                    raise
                attempt += 1
                log.info(f"bases: {exc.message}; building it again (try {attempt} of {tries})")


def _labels(record: dict[str, Any]) -> dict[str, str]:
    return (record.get("Config") or {}).get("Labels") or {}


def _provenance(ref: str, record: dict[str, Any]) -> BaseImage:
    found, config = _labels(record), record.get("Config") or {}
    # Only a digest of the reference's own repository says it was pulled from there: bases are
    # also pushed to our registry to be sized, which adds digests of another repository.
    repository = images.split_ref(ref)[0]
    digests = [d for d in record.get("RepoDigests") or [] if d.split("@", 1)[0] == repository]
    if found.get(labels.ROLE) == "base-stand-in" and found.get(labels.REFERENCE) == ref:
        source = "stand-in"
    elif digests:
        source = "pulled"
    else:
        source = "present"
    return BaseImage(
        # its size is counted from its layers once it is pushed (doc_build.provision)
        reference=ref, image_id=str(record["Id"]), size_bytes=0, source=source, store_bytes=int(record.get("Size", 0)),
        repo_digest=str(digests[0]) if digests else "", recipe_hash=found.get(labels.RECIPE_HASH, ""),
        created=str(record.get("Created", "")), user=str(config.get("User") or ""),
        working_dir=str(config.get("WorkingDir") or ""), cmd=tuple(config.get("Cmd") or ()),
        env=tuple(config.get("Env") or ()),
    )
