"""One variant, end to end: build, then finish (run sandboxed -> verify -> measure -> push).

The two halves are apart so that the build workers can go on to the next build while another
thread finishes the last one; the start-up timing comes later (startup.py), once no build
competes with it."""
from __future__ import annotations

import datetime as dt
import posixpath
import time
from dataclasses import dataclass, replace
from typing import Any

import docker

from ..engine import buildkit, context, images, labels, records, runs
from ..engine.build_limits import BuildLimits
from ..errors import ConfigError
from ..log import log
from ..model.measurement import Measurement
from ..model.records import Builder
from ..model.settings import Settings
from ..model.sizes import human_size
from ..model.variants import Variant
from . import diffs, verify
from .binary import go_version, packer, sections
from .registry import OnDemand


def sandbox(settings: Settings, variant: Variant) -> records.Sandbox:
    return records.Sandbox(timeout_s=variant.timeout_s, memory=settings.run_memory, pids=settings.run_pids,
                           capture_bytes=settings.capture_bytes)


@dataclass(frozen=True)
class Built:
    """A variant's image, built and tagged, not yet run."""
    image_id: str
    record: dict[str, Any]  # the engine's inspect record of the image
    build_s: float
    log: str                # the build's progress, as BuildKit printed it (its first lines, if huge)



def build_variant(client: docker.DockerClient, variant: Variant, *, settings: Settings) -> Built:
    """The variant's image, built and tagged; a ProjectError naming the variant on any fault."""
    log.info(f"{variant.id}: building {variant.dockerfile_rel}")
    ctx = context.for_folder(variant.context, variant.dockerfile, text=variant.parsed.text)
    started = time.monotonic()
    lines: list[str] = []

    def logged(line: str) -> None:
        log.debug(f"{variant.id}: {line}")
        if len(lines) < settings.build_log_lines:
            lines.append(line)

    record = buildkit.build(
        client, context=ctx, what=variant.what, image_labels=labels.variant_image(variant.id),
        platform=settings.platform, buildargs=variant.build_args, nocache=not settings.layer_cache,
        tail_lines=settings.log_tail_lines, log=logged,
        limits=BuildLimits(variant.build_timeout_s, variant.build_memory_mib * 2**20),
    )
    build_s = time.monotonic() - started
    kept = "\n".join(lines) + "\n" + (f"[the log continues past {len(lines):,} lines]\n"
                                       if len(lines) >= settings.build_log_lines else "")
    built = Built(str(record["Id"]), record, build_s, kept)
    images.tag(client, built.image_id, settings.tag_of(variant.id))
    log.info(f"{variant.id}: built in {build_s:.1f}s")
    return built


def _binary(client: docker.DockerClient, built: Built, variant: Variant) -> bytes:
    if not variant.binary:
        return b""
    found = images.read_file(client, built.image_id, variant.binary)
    if found is None:
        there = next((path for path in _started(built.record)
                      if images.read_file(client, built.image_id, path) is not None), "")
        raise ConfigError(f"{variant.what}: the image has no file {variant.binary} to measure as the program"
                          + (f"; it starts {there}" if there else ""),
                          hint=(f"Set `binary: {there}`" if there else "Set 'binary' to the program's path") +
                          " for this variant in the variants file, or \"\" for none.")
    return found


def _started(record: dict[str, Any]) -> list[str]:
    """Where the file the image's command starts may be, as absolute paths, in the order the
    kernel and a shell would look: a path as it is (from the working directory), a bare name in
    each folder of the image's PATH. A shell's command line counts by its first word."""
    config = record.get("Config") or {}
    words = [*(config.get("Entrypoint") or []), *(config.get("Cmd") or [])]
    if words[:2] in (["/bin/sh", "-c"], ["sh", "-c"]):
        words = (words[2:3] or [""])[0].split()
    command = words[0] if words else ""
    if not command:
        return []
    if "/" in command:
        return [posixpath.normpath(posixpath.join(config.get("WorkingDir") or "/", command))]
    path = next((e.split("=", 1)[1] for e in config.get("Env") or [] if e.startswith("PATH=")), "")
    return [posixpath.join(folder, command) for folder in path.split(":") if folder.startswith("/")]


def finish_variant(client: docker.DockerClient, variant: Variant, built: Built, *, store: OnDemand,
                   builder: Builder, settings: Settings) -> Measurement:
    """Run the built image sandboxed, verify what it did, read its binary and history, push it
    and size it: the variant's measurement (with the `builder` that built it), start-up not yet
    timed."""
    outcome = verify.heard(variant.expect, lambda: runs.run(client, built.image_id, variant=variant.id,
                                                           namespace=settings.namespace,
                                                           sandbox=sandbox(settings, variant)), what=variant.id)
    verify.require(variant.expect, outcome, what=variant.what)
    note = (f"failed as declared: {outcome.start_error or outcome.stderr.text.strip()}" if variant.expect.fails_with
            else f"exit code {outcome.exit_code} and output as declared")
    log.info(f"{variant.id}: ran in {outcome.duration_s:.2f}s, verified ({note[:80]})")
    crowded = 0 if variant.expect.fails_with else large_environment_run(client, built.image_id, variant,
                                                                        settings=settings)

    binary = _binary(client, built, variant)
    inside = diffs.image_files(client, built.image_id, settings)[0]  # its inventory kept for the diffs
    pushing = time.monotonic()
    sized = store.sized(built.image_id, f"{settings.namespace}/{variant.id}",
                        store_bytes=int(built.record.get("Size", 0)), what=variant.what)
    log.info(f"{variant.id}: pushed and counted in {time.monotonic() - pushing:.2f}s: "
             f"{human_size(sized.size_bytes)} ({sized.size_bytes:,} bytes of files), "
             f"{sized.transfer_bytes:,} bytes stored by the registry")
    return Measurement(
        image_id=built.image_id, size_bytes=sized.size_bytes, transfer_bytes=sized.transfer_bytes,
        store_bytes=sized.store_bytes,
        registry_ref=sized.reference, layer_count=len(built.record["RootFS"]["Layers"]), layers=sized.layers,
        binary_bytes=len(binary), go_version=go_version(binary), packer=packer(binary),
        sections=sections(binary),
        exit_code=outcome.exit_code, stdout=outcome.stdout.text, stderr=outcome.stderr.text,
        stdout_bytes=outcome.stdout.total_bytes, stderr_bytes=outcome.stderr.total_bytes,
        stdout_truncated=outcome.stdout.truncated, stderr_truncated=outcome.stderr.truncated,
        start_error=outcome.start_error, build_s=round(built.build_s, 2), run_s=round(outcome.duration_s, 3),
        buildx=builder.buildx, buildkit=builder.buildkit,
        # timed and metered once every build is done: see startup.py
        start_s=None, process_s=None, start_runs=0, peak_memory_bytes=None, large_environment_vars=crowded,
        measured_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), contents=inside, build_log=built.log,
    )


def large_environment(count: int) -> tuple[str, ...]:
    """`count` distinct variables, "E000=abc" onwards: 8 bytes each up to a thousand."""
    return tuple(f"E{i:03d}=abc" for i in range(count))


def large_environment_run(client: docker.DockerClient, image_id: str, variant: Variant, *,
                          settings: Settings) -> int:
    """Run the image once more with `settings.large_environment_vars` extra variables and verify it
    like any run: the number of variables it coped with. (A check, not a timing: it runs here,
    beside the builds, not in the quiet start-up phase.)"""
    count = settings.large_environment_vars
    crowded = replace(sandbox(settings, variant), environment=large_environment(count))
    outcome = verify.heard(variant.expect, lambda: runs.run(client, image_id, variant=variant.id,
                                                           namespace=settings.namespace, sandbox=crowded),
                           what=variant.id)
    verify.require(variant.expect, outcome, what=variant.what,
                   detail=f" (in a run with {count:,} extra environment variables of 8 bytes each)")
    return count
