"""Benchmark of the doc build, as ratios measured in one run on one machine (not a timed test).

  cold         the project builds and measures every variant from an empty start (no result cache,
               no variant images, none of their stages in the engine's layer cache; bases present)
               vs a plain shell loop of `docker buildx build` + `docker run` over the same files, same start;
               once with the layer cache working during the run, once with --no-cache on both sides
  warm         `mkdocs build` with every result cached vs the same pages frozen (each page's Markdown
               as the macros rendered it, built without the macros plugin: what a hand-kept copy of
               the article costs), and vs the frozen pages with the plugin on and an empty module
               (the plugin's own cost, which no code of ours removes)
  serve        `mkdocs serve` running, one page edited: seconds until the edited page is served
  incremental  one Dockerfile edited, then `mkdocs build`: which variants were measured again
  memory       peak RSS of the cold `mkdocs build`

Counters come from what each doc build wrote into results.json ("build"), not from its log.
Run with the project's environment, bases present: `.venv/bin/python scripts/benchmark.py`. The
cold scenarios build under a namespace of their own (smallest-go-benchmark, unless
SMALLEST_GO_NAMESPACE names one), whose images they remove at each start and at the end, so the
author's images and results stay as they were; BuildKit's build cache is emptied for everyone.
It prints a table and writes docs/data/benchmark.json (numbers; the Methodology page formats them).
"""
from __future__ import annotations

import argparse
import compileall
import datetime as dt
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from macros.engine import buildkit, cleanup, connection, images
from macros.measure.registry import BASE_SIZES, LAYER_FILES, PROVISIONING_MEMOS
from macros.model import variants
from macros.model.files import copy_memos
from macros.model.settings import CACHE_ENV, NAMESPACE_ENV, NO_BUILD_CACHE_ENV, REPO, SHARED_CACHE_ENV, Settings
from macros.pages import benchmark_figures

from doc_builds import MKDOCS, Failed, built, serve, timed, warm

# Runs a command, then prints the peak RSS (KiB) of the largest process it waited for, last.
PEAK_RSS = (sys.executable, "-c", "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(r.returncode)")


NAMESPACE = "smallest-go-benchmark"  # the cold scenarios' tag prefix, unless the environment names one


def _empty_start(settings: Settings, declared: list[variants.Variant]) -> None:
    """No variant images (ours, or the shell loop's under our tags) and none of their stages:
    BuildKit keeps those in its own build cache, not as images, so that is emptied too (the base
    images stay, as provisioning leaves them)."""
    client = connection.connect(settings)
    cleanup.remove_ours(client, namespace=settings.namespace, engine_lock=settings.engine_lock)
    for v in declared:
        if images.inspect_image(client, settings.tag_of(v.id)) is not None:
            client.api.remove_image(settings.tag_of(v.id), force=True)
    client.api.prune_builds(all=True)
    client.close()


def _as_provisioned(settings: Settings, cache: Path, shared: Path) -> int:
    """A fresh cache that knows only what provisioning (`python -m macros bases`) recorded: the
    bases' sizes (they are in the registry already) and the registry's version; and a fresh
    machine-wide memo with the bases' layers' files only (the machine's own knows the variants'
    layers too). Nothing about the variants is carried over. Returns how many bases it knows."""
    copy_memos(PROVISIONING_MEMOS, settings.cache_dir, cache)
    known = cache / BASE_SIZES
    bases = json.loads(known.read_text()) if known.is_file() else {}
    client = connection.connect(settings)
    diff_ids = {layer for image_id in bases
                for layer in ((images.inspect_image(client, image_id) or {}).get("RootFS") or {}).get("Layers", [])}
    client.close()
    copy_memos([f"{d.removeprefix('sha256:')}.json" for d in sorted(diff_ids)],
               settings.shared_cache_dir / LAYER_FILES, shared / LAYER_FILES)
    return len(bases)


def _shell_loop(settings: Settings, declared: list[variants.Variant], *, layer_cache: bool) -> float:
    flag = "" if layer_cache else "--no-cache "

    def args(v: variants.Variant) -> str:  # a matrix variant differs from its siblings only by these
        return "".join(f"--build-arg {shlex.quote(f'{k}={val}')} " for k, val in v.build_args.items())

    script = "set -e\n" + "".join(
        f"docker buildx build {flag}{args(v)}--platform {settings.platform} -q -t {settings.tag_of(v.id)} "
        f"-f {v.dockerfile} {v.context} >/dev/null\n"
        f"docker run --rm {settings.tag_of(v.id)} >/dev/null 2>&1 || true\n" for v in declared)
    # on the engine and the builder the project builds with, whichever the author's CLI has selected
    return timed(["bash", "-c", script], env=buildkit.cli_env())[0]


def _cold(settings: Settings, declared: list[variants.Variant], tmp: Path, rounds: int, *,
          layer_cache: bool) -> dict[str, Any]:
    """Rounds of one shell loop and one project build, each from the same empty start, the order
    alternating round by round. The goal is judged on the ratio within each round (the two ran
    back to back, so a shared machine's slow spells hit both), the median over the rounds."""
    shell: list[float] = []
    project: list[float] = []
    startups: list[float] = []  # of each project build, the seconds its start-up runs took
    peaks: list[int] = []
    seeded = 0
    for n in range(rounds):
        for side in ("shell", "project") if n % 2 == 0 else ("project", "shell"):
            _empty_start(settings, declared)
            if side == "shell":
                shell.append(_shell_loop(settings, declared, layer_cache=layer_cache))
                continue
            cache, shared = tmp / "cache", tmp / "shared"
            for folder in (cache, shared):
                shutil.rmtree(folder, ignore_errors=True)
            seeded = _as_provisioned(settings, cache, shared)
            env = {CACHE_ENV: str(cache), SHARED_CACHE_ENV: str(shared)} | \
                ({} if layer_cache else {NO_BUILD_CACHE_ENV: "1"})
            seconds, log = timed([*PEAK_RSS, *MKDOCS, "-d", str(tmp / "site")], env=env)
            record = built(tmp / "site")
            if record["reused"]:
                raise Failed(f"the cold build reused {record['reused']}; it must measure everything")
            project.append(seconds)
            startups.append(record["startup_s"])
            peaks.append(int(re.findall(r"^(\d+)$", log, re.MULTILINE)[-1]))
    ratios = sorted(p / s for p, s in zip(project, shell, strict=True))
    return {"layer_cache": layer_cache, "runs": rounds, "bases_pushed": seeded,
            "project_s": statistics.median(project), "shell_s": statistics.median(shell),
            "project_startup_s": statistics.median(startups),
            "ratio": statistics.median(ratios), "ratio_range": [ratios[0], ratios[-1]],
            "rounds_s": {"project": [round(t, 2) for t in project], "shell": [round(t, 2) for t in shell]},
            "peak_rss_mib": max(peaks) / 1024, "goal_ratio": 1.0}


def _incremental(declared: list[variants.Variant], tmp: Path, cache: Path) -> dict[str, Any]:
    """Edit the Dockerfile of one variant (one no other variant shares: a matrix entry's serves
    all its values), build, restore: which variants were measured again?"""
    users: dict[Path, int] = {}
    for v in declared:
        users[v.dockerfile] = users.get(v.dockerfile, 0) + 1
    target = next(v.dockerfile for v in reversed(declared) if users[v.dockerfile] == 1)
    original = target.read_bytes()
    try:
        target.write_bytes(original + b"\n# benchmark edit\n")
        seconds, _log = timed([*MKDOCS, "-d", str(tmp / "site")], env={CACHE_ENV: str(cache)})
    finally:
        target.write_bytes(original)
    return {"edited": target.name, "seconds": seconds, "measured": built(tmp / "site")["measured"]}


def _machine(settings: Settings) -> str:
    client = connection.connect(settings)
    facts = connection.facts(client)
    client.close()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores, {memory:.0f} GiB, {platform.machine()}, "
            f"Docker Engine {facts.version} ({facts.storage_driver})")


def _measure(args: argparse.Namespace, settings: Settings, tmp: Path) -> dict[str, Any]:
    declared = variants.load(settings)
    data: dict[str, Any] = {"measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                            "machine": _machine(settings), "variants": len(declared)}
    if args.warm_only:
        return data | {"warm": warm(tmp, settings.cache_dir, args.warm_runs),
                       "serve": serve(settings.cache_dir, args.serve_runs)}
    if args.incremental_only:
        kept = json.loads((REPO / "docs" / "data" / "benchmark.json").read_text())
        return kept | {"incremental": _incremental(declared, tmp, settings.cache_dir) | {
            "measured_at": data["measured_at"]}}
    return data | {"cold": [_cold(settings, declared, tmp, args.cold_runs, layer_cache=True),
                            _cold(settings, declared, tmp, args.cold_runs, layer_cache=False)],
                   "warm": warm(tmp, tmp / "cache", args.warm_runs),
                   "serve": serve(tmp / "cache", args.serve_runs),
                   "incremental": _incremental(declared, tmp, tmp / "cache")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warm-runs", type=int, default=31)  # a round is three builds, about 3 s here
    parser.add_argument("--serve-runs", type=int, default=10)
    parser.add_argument("--cold-runs", type=int, default=3,
                        help="rounds of one shell loop and one project build, per cold scenario (default 3)")
    parser.add_argument("--warm-only", action="store_true",
                        help="only the warm and serve scenarios, on the project's own cache; prints, writes nothing")
    parser.add_argument("--incremental-only", action="store_true",
                        help="only the incremental scenario, on the project's own cache; its figures replace "
                             "those in docs/data/benchmark.json")
    args = parser.parse_args()
    if args.warm_runs < 2 or args.cold_runs < 1:  # the warm spread needs two rounds, a ratio one
        parser.error("--warm-runs must be at least 2 and --cold-runs at least 1")
    compileall.compile_dir(REPO / "macros", quiet=1)  # as `make` does before a build
    cold = not (args.warm_only or args.incremental_only)
    if cold:
        # Every cold start removes the variant images of its namespace: a namespace of its own (the
        # doc builds it runs inherit it) leaves the author's images, and so their cached results, alone.
        os.environ.setdefault(NAMESPACE_ENV, NAMESPACE)
    settings = Settings.read()  # the warm-only and incremental scenarios: the author's namespace and cache
    tmp = Path(tempfile.mkdtemp(prefix="smallest-go-bench-"))
    try:
        data = _measure(args, settings, tmp)
    except Failed as exc:
        print(f"benchmark: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if cold:
            client = connection.connect(settings)
            cleanup.remove_ours(client, namespace=settings.namespace, engine_lock=settings.engine_lock)
            client.close()
    rows = [(("  ↳ " if r.detail else "") + r.scenario, r.ours, r.compared_with, r.result)
            for r in benchmark_figures.benchmark_rows(data)]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    if not args.warm_only:
        out = REPO / "docs" / "data" / "benchmark.json"
        out.write_text(json.dumps(data, indent=2) + "\n")
        print(f"machine: {data['machine']}\nwrote {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
