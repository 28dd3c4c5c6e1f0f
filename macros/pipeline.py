"""One variant, end to end: build, then finish (run sandboxed -> verify -> measure -> Result).

The two halves are apart so that the session's build workers can go on to the next build while
another thread finishes the last one; the start-up timing comes later (startup.py), once no
build competes with it."""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

import docker

from . import context, labels, measure, verify
from .engine import images, records, runs
from .errors import BuildError, ConfigError
from .log import log
from .registry import OnDemand
from .results import Layer, Result
from .variants import Variant

TAG_REPOSITORY = "smallest-go"
_ENGINE_LOST_PARENT = "unknown parent image ID"


def image_tag(variant: Variant) -> str:
    return f"{TAG_REPOSITORY}/{variant.id}:latest"


def _binary(client: docker.DockerClient, image_id: str, variant: Variant, what: str) -> bytes:
    if not variant.binary:
        return b""
    found = images.read_file(client, image_id, variant.binary)
    if found is None:
        raise ConfigError(f"{what}: the image has no file {variant.binary} to measure as the program",
                          hint="Set 'binary' in the variants file to the program's path, or to \"\" for none.")
    return found


@dataclass(frozen=True)
class Built:
    """A variant's image, built and tagged, not yet run."""
    image_id: str
    record: dict[str, Any]  # the engine's inspect record of the image
    build_s: float

    @property
    def size_bytes(self) -> int:
        return int(self.record.get("Size", 0))


def measure_variant(client: docker.DockerClient, variant: Variant, *, store: OnDemand,
                    cache_key: str = "", layer_cache: bool = True) -> Result:
    """Build, run, verify and size one variant; raises a ProjectError naming it on any fault."""
    built = build_variant(client, variant, layer_cache=layer_cache)
    return finish_variant(client, variant, built, store=store, cache_key=cache_key)


def build_variant(client: docker.DockerClient, variant: Variant, *, layer_cache: bool = True) -> Built:
    """The variant's image, built and tagged; a ProjectError naming the variant on any fault."""
    what = variant.what
    log.info(f"{variant.id}: building {variant.dockerfile_rel}")
    ctx = context.for_folder(variant.context, variant.dockerfile, text=variant.parsed.text)
    started = time.monotonic()
    for attempt in (1, 2):
        try:
            with ctx.open_tar() as tar:
                record = images.build(
                    client, context=tar, dockerfile=ctx.dockerfile_name, what=what,
                    image_labels=labels.variant_image(variant.id), buildargs=variant.build_args,
                    nocache=not layer_cache, log=lambda line: log.debug(f"{variant.id}: {line}"),
                )
            break
        except BuildError as exc:
            # Seen once here with two classic builds at once: the engine lost the image a step had
            # just committed ("failed to set parent ...: unknown parent image ID"). Not the
            # Dockerfile's fault; the same build again goes through, mostly from the layer cache.
            if attempt == 2 or _ENGINE_LOST_PARENT not in exc.message:
                raise
            log.info(f"{variant.id}: the engine lost an intermediate image mid-build; building again")
    build_s = time.monotonic() - started
    image_id = str(record["Id"])
    images.tag(client, image_id, image_tag(variant))
    built = Built(image_id, record, build_s)
    size = built.size_bytes
    log.info(f"{variant.id}: built in {build_s:.1f}s, {measure.human_size(size)} ({size:,} bytes)")
    return built


def finish_variant(client: docker.DockerClient, variant: Variant, built: Built, *, store: OnDemand,
                   cache_key: str = "") -> Result:
    """Run the built image sandboxed, verify what it did, read its binary and history, push it
    and size it: the variant's Result, start-up not yet timed."""
    what = variant.what
    image_id, record, build_s, size = built.image_id, built.record, built.build_s, built.size_bytes
    outcome = runs.run(client, image_id, variant=variant.id, sandbox=records.Sandbox(timeout_s=variant.timeout_s))
    verify.require(variant.expect, outcome, what=what)
    note = (f"failed as declared: {outcome.start_error or outcome.stderr.text.strip()}" if variant.expect.fails_with
            else f"exit code {outcome.exit_code} and output as declared")
    log.info(f"{variant.id}: ran in {outcome.duration_s:.2f}s, verified ({note[:80]})")

    binary = _binary(client, image_id, variant, what)
    history = images.history(client, image_id)
    layers = record["RootFS"]["Layers"]
    pushing = time.monotonic()
    pushed = store.get().push(image_id, f"{TAG_REPOSITORY}/{variant.id}")
    log.info(f"{variant.id}: pushed in {time.monotonic() - pushing:.2f}s, "
             f"{pushed.transfer_bytes:,} bytes stored by the registry")
    return Result(
        id=variant.id, title=variant.title, description=variant.description,
        dockerfile=variant.dockerfile_rel, dockerfile_text=variant.parsed.text,
        final_base=variant.final_base, image_id=image_id, tag=image_tag(variant),
        size_bytes=size, size_human=measure.human_size(size),
        compressed_bytes=pushed.transfer_bytes, registry_ref=pushed.reference,
        layer_count=len(layers),
        layers=[Layer(str(h.get("CreatedBy", "")), int(h.get("Size", 0))) for h in history],
        binary_bytes=len(binary), go_version=measure.go_version(binary),
        exit_code=outcome.exit_code, stdout=outcome.stdout.text, stderr=outcome.stderr.text,
        stdout_truncated=outcome.stdout.truncated, stderr_truncated=outcome.stderr.truncated,
        stdout_bytes=outcome.stdout.total_bytes, stderr_bytes=outcome.stderr.total_bytes,
        start_error=outcome.start_error, expected=variant.expect.describe(), verify_note=note,
        build_s=round(build_s, 2), run_s=round(outcome.duration_s, 3),
        start_s=None, process_s=None, start_runs=0,  # timed once every build is done: see startup.py
        part=variant.part, bases=list(variant.bases), family=variant.family,
        measured_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        article_2022=variant.article_2022, cache_key=cache_key,
    )
