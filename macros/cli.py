"""`python -m macros <command>`: the project's command line. Errors become one message and exit 1."""
from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable
from pathlib import Path

from .engine import cleanup, connection, lock, service
from .errors import BuildError, ProjectError
from .log import log, to_terminal
from .measure import bases, interrupt, registry
from .measure.doc_build import measure_all, provision
from .model import variants
from .model.settings import Settings
from .model.sizes import human_size


def _bases(args: argparse.Namespace, settings: Settings) -> int:
    client = connection.connect(settings)
    started = time.monotonic()
    if args.dockerfiles is not None:
        wanted, shipped = bases.wanted_references(args.dockerfiles)
    else:
        wanted, shipped = variants.bases_named(variants.load(settings))
    # the bases a variant ships are pushed here, once: a variant's push then sends only its own layers
    with lock.held(settings.engine_lock, exclusive=False):  # stand-ins are builds too: see engine/lock.py
        _, sized, store = provision(client, settings, wanted, shipped=shipped)
    log.info(f"bases: {len(sized)} ready in {time.monotonic() - started:.1f}s")
    if store.pushes:
        log.info(f"bases: pushed {store.pushes} to the registry in {time.monotonic() - started:.1f}s (total)")
    rows = [("REFERENCE", "SOURCE", "IMAGE ID", "SIZE", "BYTES", "TRANSFER", "FROM")]
    for b in sized:
        detail = b.repo_digest or (f"recipe {b.recipe_hash[:12]}" if b.recipe_hash else "found in the engine")
        rows.append((b.reference, b.source, b.image_id.removeprefix("sha256:")[:12],
                     human_size(b.size_bytes), str(b.size_bytes),
                     human_size(b.compressed_bytes) if b.compressed_bytes is not None else "-", detail))
    _print_rows(rows)
    return 0


def _measure(args: argparse.Namespace, settings: Settings) -> int:
    """Build, run, verify and measure every variant (with the cache), print the results."""
    session = measure_all(settings)
    rows = [("VARIANT", "SIZE", "BYTES", "TRANSFER", "START-UP", "MEASURED")]
    for shown in session.results:
        m = shown.measured
        rows.append((shown.id, human_size(m.size_bytes), str(m.size_bytes), human_size(m.compressed_bytes),
                     f"{m.start_s * 1000:.0f}ms" if m.start_s is not None else "-",
                     "reused" if shown.reused else "now"))
    _print_rows(rows)
    if args.json:
        session.write_json(args.json)
        log.info(f"wrote {args.json}")
    return 0


def _print_rows(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())


def _clean(args: argparse.Namespace, settings: Settings) -> int:
    """Remove what the project made in this namespace: run containers and variant tags; our
    untagged images; and with --all the stand-ins, the registry and its stored blobs."""
    client = connection.connect(settings)
    removed = cleanup.remove_ours(client, namespace=settings.namespace, engine_lock=settings.engine_lock,
                                  include_bases=args.all)
    if args.all:
        service.remove(client, registry.ROLE, volume=registry.VOLUME)
    log.info(f"clean: removed {removed['containers']} containers and {removed['images']} images")
    return 0


COMMANDS: dict[str, tuple[str, Callable[[argparse.Namespace, Settings], int]]] = {
    "bases": ("make every base image the Dockerfiles name present, and print their provenance", _bases),
    "measure": ("build, run, verify and measure every variant (using the cache) and print the results", _measure),
    "clean": ("remove the containers and variant tags this project created in its namespace (and no others)",
              _clean),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m macros", description="Smallest Go image: the build's tools.")
    parser.add_argument("-v", "--verbose", action="store_true", help="also print every build log line")
    sub = parser.add_subparsers(dest="command", required=True)
    commands = {name: sub.add_parser(name, help=text, description=text) for name, (text, _) in COMMANDS.items()}
    commands["bases"].add_argument("--dockerfiles", type=Path, default=None, metavar="DIR",
                                   help="a folder whose Dockerfile* files name the bases "
                                   "(default: the bases of the variants file's variants)")
    commands["measure"].add_argument("--json", type=Path, metavar="FILE", help="also write results.json here")
    commands["clean"].add_argument("--all", action="store_true", help="also remove the base-image stand-ins")
    args = parser.parse_args(argv)
    to_terminal(logging.DEBUG if args.verbose else logging.INFO)
    interrupt.install()
    try:
        return COMMANDS[args.command][1](args, Settings.read())
    except ProjectError as exc:
        log.error(str(exc))
        if isinstance(exc, BuildError) and exc.log_tail:
            log.error(f"tail of the build log:\n{exc.log_tail}")
        return 1
    except KeyboardInterrupt:
        log.error("interrupted")
        return 130
