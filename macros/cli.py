"""`python -m macros <command>`: the project's command line. Errors become one message and exit 1."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .engine import cleanup, connection, service
from .errors import BuildError, ConfigError, ProjectError
from .log import log, to_terminal
from .measure import bases, interrupt, registry
from .measure.doc_build import measure_all, provision
from .model import engines, history, results_schema, upstream, upstream_refresh, variants
from .model.files import write_atomic
from .model.results_schema import RESULTS_SCHEMA
from .model.settings import REPO, Settings
from .model.sizes import human_size


def _bases(args: argparse.Namespace, settings: Settings) -> int:
    started = time.monotonic()
    if args.dockerfiles is not None:
        wanted = bases.wanted_references(args.dockerfiles)
    else:
        wanted = variants.bases_named(variants.load(settings))
    # every base is pushed here, once, to be sized: a variant's push then sends only its own layers
    sized, store = provision(settings, wanted)
    log.info(f"bases: {len(sized)} ready in {time.monotonic() - started:.1f}s")
    if store.pushes:
        log.info(f"bases: pushed {store.pushes} to the registry in {time.monotonic() - started:.1f}s (total)")
    rows = [("REFERENCE", "SOURCE", "IMAGE ID", "SIZE", "BYTES", "TRANSFER", "FROM", "AGAINST UPSTREAM")]
    for b in sized:
        detail = b.repo_digest or (f"recipe {b.recipe_hash[:12]}" if b.recipe_hash else "found in the engine")
        rows.append((b.reference, b.source, b.image_id.removeprefix("sha256:")[:12],
                     human_size(b.size_bytes), str(b.size_bytes),
                     human_size(b.transfer_bytes) if b.transfer_bytes is not None else "-", detail,
                     b.fidelity.summary() if b.fidelity else "-"))
    _print_rows(rows)
    return 0


def _measure(args: argparse.Namespace, settings: Settings) -> int:
    """Build, run, verify and measure every variant (with the cache), print the results."""
    session = measure_all(settings)
    rows = [("VARIANT", "SIZE", "BYTES", "TRANSFER", "START-UP", "MEASURED")]
    for shown in session.results:
        m = shown.measured
        rows.append((shown.id, human_size(m.size_bytes), str(m.size_bytes), human_size(m.transfer_bytes),
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


def _results(where: str) -> dict[str, Any]:
    """A results.json document, from a file or an http(s) address."""
    try:
        if where.startswith(("http://", "https://")):
            with urllib.request.urlopen(where, timeout=30) as answer:
                text = answer.read().decode("utf-8")
        else:
            text = Path(where).read_text(encoding="utf-8")
        document = json.loads(text)
    except FileNotFoundError:
        raise ConfigError(f"no results file at {where}",
                          hint="Build the site first (`make site` writes site/results.json).") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read results from {where}: {exc}") from None
    if not isinstance(document, dict) or not {"variants", "bases", "engine", "registry"} <= set(document):
        raise ConfigError(f"{where} is not a results.json of this project (no variants, bases, engine, registry)")
    if document.get("schema") != RESULTS_SCHEMA:
        raise ConfigError(f"{where} is a results.json of schema {document.get('schema')}; this checkout reads "
                          f"schema {RESULTS_SCHEMA}", hint="Measure again with this checkout (`make site`).")
    return document


def _said(found: list[history.Change], since: str) -> None:
    if not found:
        print(f"no variant's size moved since {since}")
    for change in found:
        print(change.describe())


def _record(args: argparse.Namespace, settings: Settings) -> int:
    """Append the last complete build to the history, saying what moved since the last record."""
    results = _results(args.results or str(settings.results_file))
    if results["build"]["failed"]:
        raise ConfigError(f"the build failed for {', '.join(results['build']['failed'])}: only a complete build "
                          "is recorded", hint="Fix those variants and build again.")
    recorded = history.read(settings.history_file)
    if recorded and recorded[-1]["generated_at"] == results["generated_at"]:
        log.info(f"this build ({results['generated_at']}) is the last record already: nothing to add")
        return 0
    record = history.record_of(results)
    if recorded:
        _said(history.changes(recorded[-1], record), f"the last record ({recorded[-1]['recorded_at']})")
    history.append(settings.history_file, record)
    log.info(f"recorded {len(record['variants'])} variants as record {len(recorded) + 1} of {settings.history_file}")
    return 0


def _guard(args: argparse.Namespace, settings: Settings) -> int:
    """What moved since the last record; exit 1 when a variant grew past its declared tolerance."""
    results = _results(args.results or str(settings.results_file))
    recorded = history.read(settings.history_file)
    if not recorded:
        log.info(f"nothing recorded yet in {settings.history_file}: nothing to check against")
        return 0
    now = history.record_of(results)
    _said(history.changes(recorded[-1], now), f"the last record ({recorded[-1]['recorded_at']})")
    tolerances = {v["id"]: v["tolerance"] for v in results["variants"] if v.get("tolerance")}
    crossed = history.crossed(recorded[-1], now, tolerances)
    for message in crossed:
        log.error(message)
    if crossed:
        log.error("if the growth is meant, record this build (`make record`): the next check starts from it")
        return 1
    log.info(f"size guard: {len(tolerances)} variants declare a tolerance; none crossed it")
    return 0


def _compare(args: argparse.Namespace, settings: Settings) -> int:
    """Two results.json side by side: what moved from the first to the second, and where they ran."""
    first, second = (_results(where) for where in (args.first, args.second))
    a, b = history.record_of(first), history.record_of(second)
    for key in ("version", "storage_driver", "image_store", "kernel", "arch"):
        if a["engine"].get(key) != b["engine"].get(key):
            print(f"engine {key}: {a['engine'][key]} -> {b['engine'][key]}")
    _said(history.changes(a, b), f"{args.first}")
    return 0


def _engines(args: argparse.Namespace, settings: Settings) -> int:
    """The same images measured on other engines against the first: sizes equal, transfers close.
    With --write, the comparison is kept for Methodology (docs/data/engines.json)."""
    reference = _results(args.reference)
    compared = [engines.compare(reference, _results(other)) for other in args.others]
    failed = False
    for where, c in zip(args.others, compared, strict=True):
        rows = [("IMAGE", "SIZE", "THERE", "TRANSFER", "THERE", "DIFFERENCE", "ITS OWN FIGURE")]
        for r in c.rows:
            p = r.transfer_percent
            rows.append((r.image, f"{r.size:,}", f"{r.other_size:,}", f"{r.transfer or 0:,}",
                         f"{r.other_transfer or 0:,}", f"{p:+.3f}%" if p is not None else "-",
                         f"{r.other_store:,}" if r.other_store is not None else "-"))
        print(f"{where}: Docker {c.other_engine.get('version')}, {c.other_engine.get('image_store')} store "
              f"({c.other_engine.get('storage_driver')}), against Docker {c.engine.get('version')}")
        _print_rows(rows)
        print(f"sizes equal: {c.sizes_equal} of {len(c.rows)}; largest transfer difference "
              f"{c.farthest_transfer_said()} (allowed: {engines.ALLOWED})"
              + (f"; measured on one side only: {', '.join(c.only_one)}" if c.only_one else ""))
        for problem in c.problems():
            log.error(f"{where}: {problem}")
            failed = True
    if args.write:
        document = {"compared_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "comparisons": [c.as_dict() for c in compared]}
        write_atomic(args.write, json.dumps(document, indent=1) + "\n")
        log.info(f"wrote {args.write}")
    return 1 if failed else 0


def _upstream(args: argparse.Namespace, settings: Settings) -> int:
    """Read every repo-info fact of upstream.yml (sizes, command and environment) again from a
    checkout; print what moved, and the entries to paste when anything did."""
    checkout: Path = args.checkout
    if not (checkout / "repos").is_dir():
        raise ConfigError(f"{checkout}: not a checkout of docker-library/repo-info (it has no repos/ folder)",
                          hint="git clone https://github.com/docker-library/repo-info and name that folder.")
    said = upstream_refresh.moved(upstream.load(settings.upstream_file), checkout)
    for line in said.lines:
        print(line)
    print(f"{said.count} {'fact' if said.count == 1 else 'facts'} of repo-info's moved in {settings.upstream_file}")
    return 0


def _schema(args: argparse.Namespace, settings: Settings) -> int:
    """Write each measured field, as measurement.py declares it, into docs/results.schema.json."""
    path = REPO / "docs" / results_schema.FILE_NAME
    print(f"{path}: {'written' if results_schema.rewrite(path) else 'already as declared'}")
    return 0


COMMANDS: dict[str, tuple[str, Callable[[argparse.Namespace, Settings], int]]] = {
    "bases": ("make every base image the Dockerfiles name present, and print their provenance", _bases),
    "measure": ("build, run, verify and measure every variant (using the cache) and print the results", _measure),
    "record": ("append the last complete build (site/results.json) to the history, docs/data/history.jsonl",
               _record),
    "guard": ("say what moved since the last record; fail when a variant grew past its tolerance", _guard),
    "compare": ("what moved between two results.json files or addresses (yours and the published one)", _compare),
    "engines": ("compare the sizes in results.json files measured on other engines with the first's", _engines),
    "upstream": ("read upstream.yml's repo-info facts again from a checkout of docker-library/repo-info",
                 _upstream),
    "schema": ("write the measured fields, as measurement.py declares them, into docs/results.schema.json",
               _schema),
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
    for name in ("record", "guard"):
        commands[name].add_argument("--results", metavar="FILE", default=None,
                                    help="the build's results.json (default: site/results.json)")
    commands["compare"].add_argument("first", help="a results.json file or http(s) address (the earlier, or theirs)")
    commands["compare"].add_argument("second", help="another (the later, or yours)")
    commands["engines"].add_argument("reference", help="results.json measured on the reference engine")
    commands["engines"].add_argument("others", nargs="+", help="results.json of the same variants on other engines")
    commands["engines"].add_argument("--write", type=Path, metavar="FILE", help="keep the comparison there (JSON)")
    commands["upstream"].add_argument("checkout", type=Path, help="a clone of docker-library/repo-info")
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
