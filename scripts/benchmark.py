"""Benchmark of the doc build, as ratios measured in one run on one machine (not a timed test).

  cold         the project builds and measures every variant from an empty start (no result cache,
               no variant images, none of their stages in the engine's layer cache; bases present)
               vs a plain shell loop of `docker build` + `docker run` over the same files, same start;
               once with the layer cache working during the run, once with --no-cache on both sides
  warm         `mkdocs build` with a full cache vs the same docs with the macros plugin switched off
  incremental  one Dockerfile edited, then `mkdocs build`: which variants were rebuilt
  memory       peak RSS of the cold `mkdocs build`

Run with the project's environment, bases present: `.venv/bin/python scripts/benchmark.py`.
It prints a table and writes docs/data/benchmark.json, which the Methodology page shows.
"""
from __future__ import annotations

import argparse
import compileall
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from macros import engine, variants  # noqa: E402
from macros.dockerfile import base_references  # noqa: E402
from macros.pipeline import image_tag  # noqa: E402
from macros.transfer import MEMO_FILE  # noqa: E402

MKDOCS = [sys.executable, "-m", "mkdocs", "build", "--strict"]


def _timed(cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path = REPO) -> tuple[float, str]:
    started = time.monotonic()
    done = subprocess.run(cmd, cwd=cwd, env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **(env or {})},
                          capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        sys.exit(f"benchmark: {' '.join(cmd)} failed:\n{(done.stdout + done.stderr)[-3000:]}")
    return elapsed, done.stdout + done.stderr


def _drop_variant_images() -> None:
    """An empty start: no variant images and none of their stages in the engine's layer cache."""
    client = engine.connect()
    engine.remove_ours(client)
    client.close()


def _seed_base_layers(cache: Path) -> int:
    """Give the cold run what provisioning already knows: the gzip sizes of the bases' layers
    (`python -m macros bases` measures them). Nothing about the variants is carried over."""
    memo_path = REPO / ".cache" / MEMO_FILE
    memo = json.loads(memo_path.read_text()) if memo_path.is_file() else {}
    client = engine.connect()
    refs = {r for v in variants.load() for r in base_references(v.dockerfile)}
    base_layers = set()
    for ref in refs:
        record = engine.inspect_image(client, ref) or {}
        base_layers |= set((record.get("RootFS") or {}).get("Layers") or [])
    client.close()
    seeded = {d: memo[d] for d in base_layers if d in memo}
    cache.mkdir(parents=True, exist_ok=True)
    (cache / MEMO_FILE).write_text(json.dumps(seeded))
    return len(seeded)


def _drop_shell_loop_images(declared: list[variants.Variant]) -> None:
    """The shell loop tagged its (unlabelled) images with our tags; remove exactly those tags."""
    client = engine.connect()
    for v in declared:
        try:
            client.api.remove_image(image_tag(v), force=True)
        except Exception:  # noqa: BLE001 - not there is fine
            pass
    client.close()


# Runs a command and prints the peak RSS (KiB) of its process tree's largest process, last.
_PEAK_RSS = [sys.executable, "-c", "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(r.returncode)"]


def _shell_loop(declared: list[variants.Variant], *, nocache: bool) -> float:
    flag = "--no-cache " if nocache else ""
    script = "set -e\n" + "".join(
        f"docker build {flag}-q -t {image_tag(v)} -f {v.dockerfile} {v.context} >/dev/null\n"
        f"docker run --rm {image_tag(v)} >/dev/null 2>&1 || true\n" for v in declared)
    elapsed, _ = _timed(["bash", "-c", script], env={"DOCKER_BUILDKIT": "0"})
    return elapsed


def _no_macros_config() -> Path:
    text = (REPO / "mkdocs.yml").read_text()
    text = re.sub(r"  - macros:\n(?:      .*\n)+", "", text)
    path = REPO / f".benchmark-{os.getpid()}.yml"  # beside mkdocs.yml so relative paths hold
    path.write_text(text)
    return path


def _stub_macros_config() -> tuple[Path, Path]:
    """The same site with mkdocs-macros on but a module whose macros all return "": the cost of
    the plugin itself, which no work of ours can remove."""
    names = re.findall(r"@macro\(block=\w+\)\n    def (\w+)\(", (REPO / "macros" / "__init__.py").read_text())
    stub = REPO / f"benchmark_stub_{os.getpid()}"
    stub.mkdir()
    (stub / "__init__.py").write_text(
        "def define_env(env):\n"
        f"    for name in {names!r}:\n"
        "        env.macro(lambda *args, **kwargs: '', name)\n")
    text = (REPO / "mkdocs.yml").read_text().replace("module_name: macros", f"module_name: {stub.name}")
    config = REPO / f".benchmark-stub-{os.getpid()}.yml"
    config.write_text(text)
    return config, stub


Row = tuple[str, str, str, str]


def _cold(declared: list[variants.Variant], tmp: Path, cache: Path, runs: int, *, nocache: bool) -> tuple[Row, int]:
    """Both sides start without variant images and without their stages in the layer cache,
    alternated (shell, project, project, shell) so that drift on a shared machine hits both alike.

    With the layer cache on (a first build on a new machine), the stage the variants share is built
    once, by the shell loop as by the project. With `nocache`, both sides pass --no-cache and every
    variant builds every stage of its own: the case where the builds are long."""
    shell_runs: list[float] = []
    cold_runs: list[float] = []
    peaks: list[int] = []
    seeded = 0
    for side in ("shell", "project", "project", "shell")[: 4 if runs > 1 else 2]:
        _drop_variant_images()
        if side == "shell":
            shell_runs.append(_shell_loop(declared, nocache=nocache))
            _drop_shell_loop_images(declared)
            continue
        shutil.rmtree(cache, ignore_errors=True)
        seeded = _seed_base_layers(cache)
        env = {"SMALLEST_GO_CACHE": str(cache)} | ({"SMALLEST_GO_NO_BUILD_CACHE": "1"} if nocache else {})
        cold_s, log = _timed(_PEAK_RSS + MKDOCS + ["-d", str(tmp / "site")], env=env)
        cold_runs.append(cold_s)
        peaks.append(int(re.findall(r"^(\d+)$", log, re.M)[-1]))
    cold_m, shell_m = statistics.median(cold_runs), statistics.median(shell_runs)
    what = "no layer cache, both sides --no-cache" if nocache else "layer cache empty, as on a new machine"
    return ((f"cold build, {what} (median of {len(cold_runs)}; {seeded} base layers known)",
             f"{cold_m:.1f}s", f"shell loop {shell_m:.1f}s", f"{cold_m / shell_m:.2f} (goal <= 1.0)"), max(peaks))


def _warm(tmp: Path, cache: Path, runs: int) -> list[Row]:
    """Full cache vs no macros at all, and vs the plugin with empty macros, taken in turn round
    after round (the order rotating), so that a machine slowing down hits all three alike."""
    config = _no_macros_config()
    stub_config, stub = _stub_macros_config()
    sides = {
        "warm": (MKDOCS + ["-d", str(tmp / "site")], {"SMALLEST_GO_CACHE": str(cache)}),
        "plain": (MKDOCS[:-1] + ["-f", str(config), "-d", str(tmp / "plain")], {}),
        "floor": (MKDOCS[:-1] + ["-f", str(stub_config), "-d", str(tmp / "stub")], {}),
    }
    times: dict[str, list[float]] = {name: [] for name in sides}
    order = list(sides)
    try:
        _timed(sides["warm"][0], env=sides["warm"][1])  # untimed: the images the cold runs removed come back
        for _ in range(runs):
            for name in order:
                cmd, env = sides[name]
                times[name].append(_timed(cmd, env=env)[0])
            order = order[1:] + order[:1]
    finally:
        config.unlink()
        stub_config.unlink()
        shutil.rmtree(stub)
    warm_m, plain_m, floor_m = (statistics.median(times[n]) for n in ("warm", "plain", "floor"))
    return [(f"warm build (median of {runs})", f"{warm_m:.2f}s", f"no macros {plain_m:.2f}s",
             f"{warm_m / plain_m:.2f} (goal <= 1.25)"),
            ("  the plugin alone (empty macros)", f"{floor_m:.2f}s", f"no macros {plain_m:.2f}s",
             f"{floor_m / plain_m:.2f}"),
            ("  ours on top of the plugin", f"+{warm_m - floor_m:.2f}s", f"empty macros {floor_m:.2f}s",
             f"{warm_m / floor_m:.2f}")]


def _incremental(declared: list[variants.Variant], tmp: Path, cache: Path) -> Row:
    """Edit one Dockerfile's bytes, build, restore: which variants were rebuilt?"""
    target = next(v for v in declared if v.id == "scratch").dockerfile
    original = target.read_bytes()
    try:
        target.write_bytes(original + b"\n# benchmark edit\n")
        inc_s, log = _timed(MKDOCS + ["-d", str(tmp / "site")], env={"SMALLEST_GO_CACHE": str(cache)})
    finally:
        target.write_bytes(original)
    rebuilt = re.findall(r"smallest-go: (\S+): building dockerfiles/", log)
    return ("incremental: Dockerfile.scratch edited", f"{inc_s:.1f}s", f"rebuilt: {', '.join(rebuilt)}",
            f"{len(rebuilt)} variant(s) (goal: exactly 1)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warm-runs", type=int, default=11)
    parser.add_argument("--cold-runs", type=int, default=2, help="1 or 2 per side (default 2)")
    parser.add_argument("--warm-only", action="store_true",
                        help="only the warm scenario, on the project's own cache; prints, writes nothing")
    args = parser.parse_args()
    compileall.compile_dir(REPO / "macros", quiet=1)  # as `make` does before a build
    declared = variants.load()
    tmp = Path(tempfile.mkdtemp(prefix="smallest-go-bench-"))
    rows: list[Row] = []
    try:
        if args.warm_only:
            rows += _warm(tmp, REPO / ".cache", args.warm_runs)
        else:
            cache = tmp / "cache"
            cold, peak_kib = _cold(declared, tmp, cache, args.cold_runs, nocache=False)
            cold_nocache, peak_nocache_kib = _cold(declared, tmp, cache, args.cold_runs, nocache=True)
            peak_kib = max(peak_kib, peak_nocache_kib)
            rows += [cold, cold_nocache, *_warm(tmp, cache, args.warm_runs), _incremental(declared, tmp, cache),
                     ("peak memory of the cold mkdocs builds", f"{peak_kib / 1024:.0f} MiB", "", "(goal < 250 MiB)")]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths)))
    if args.warm_only:
        return 0
    client = engine.connect()
    facts = engine.facts(client)
    client.close()
    machine = (f"{os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
               f"{platform.machine()}, Docker Engine {facts.version} ({facts.storage_driver})")
    out = REPO / "docs" / "data" / "benchmark.json"
    out.write_text(json.dumps({"measured_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                               "machine": machine, "rows": rows}, indent=2) + "\n")
    print(f"machine: {machine}\nwrote {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
