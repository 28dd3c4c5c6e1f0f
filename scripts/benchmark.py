"""Benchmark of the doc build, as ratios measured in one run on one machine (not a timed test).

  cold         the project builds and measures every variant (empty result cache, no layer cache)
               vs a plain shell loop of `docker build --no-cache` + `docker run` over the same files
  warm         `mkdocs build` with a full cache vs the same docs with the macros plugin switched off
  incremental  one Dockerfile edited, then `mkdocs build`: which variants were rebuilt
  memory       peak RSS of the cold `mkdocs build`

Run with the project's environment, bases present: `.venv/bin/python scripts/benchmark.py`.
It prints a table and writes docs/data/benchmark.json, which the Methodology page shows.
"""
from __future__ import annotations

import argparse
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


def _shell_loop(declared: list[variants.Variant]) -> float:
    script = "set -e\n" + "".join(
        f"docker build --no-cache -q -t {image_tag(v)} -f {v.dockerfile} {v.context} >/dev/null\n"
        f"docker run --rm {image_tag(v)} >/dev/null 2>&1 || true\n" for v in declared)
    elapsed, _ = _timed(["bash", "-c", script], env={"DOCKER_BUILDKIT": "0"})
    return elapsed


def _no_macros_config(tmp: Path) -> Path:
    text = (REPO / "mkdocs.yml").read_text()
    text = re.sub(r"  - macros:\n(?:      .*\n)+", "", text)
    path = REPO / f".benchmark-{os.getpid()}.yml"  # beside mkdocs.yml so relative paths hold
    path.write_text(text)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warm-runs", type=int, default=5)
    parser.add_argument("--cold-runs", type=int, default=2, help="1 or 2 per side (default 2)")
    args = parser.parse_args()
    declared = variants.load()
    tmp = Path(tempfile.mkdtemp(prefix="smallest-go-bench-"))
    cache = tmp / "cache"
    rows: list[tuple[str, str, str, str]] = []
    try:
        # cold: both sides start without variant images and without layer cache; alternated
        # (shell, project, project, shell) so drift on a shared machine hits both alike
        shell_runs: list[float] = []
        cold_runs: list[float] = []
        peaks: list[int] = []
        for side in ("shell", "project", "project", "shell")[: 4 if args.cold_runs > 1 else 2]:
            _drop_variant_images()
            if side == "shell":
                shell_runs.append(_shell_loop(declared))
                _drop_shell_loop_images(declared)
                continue
            shutil.rmtree(cache, ignore_errors=True)
            seeded = _seed_base_layers(cache)
            cold_s, log = _timed(_PEAK_RSS + MKDOCS + ["-d", str(tmp / "site")],
                                 env={"SMALLEST_GO_CACHE": str(cache), "SMALLEST_GO_NO_BUILD_CACHE": "1"})
            cold_runs.append(cold_s)
            peaks.append(int(re.findall(r"^(\d+)$", log, re.M)[-1]))
        cold_m, shell_m, peak_kib = statistics.median(cold_runs), statistics.median(shell_runs), max(peaks)
        rows.append((f"cold build, all variants (median of {len(cold_runs)}; {seeded} base layers known)",
                     f"{cold_m:.1f}s", f"shell loop {shell_m:.1f}s", f"{cold_m / shell_m:.2f} (goal <= 1.0)"))

        # warm: full cache vs no macros at all
        warm = [_timed(MKDOCS + ["-d", str(tmp / "site")], env={"SMALLEST_GO_CACHE": str(cache)})[0]
                for _ in range(args.warm_runs)]
        config = _no_macros_config(tmp)
        try:
            plain = [_timed(MKDOCS[:-1] + ["-f", str(config), "-d", str(tmp / "plain")])[0]
                     for _ in range(args.warm_runs)]
        finally:
            config.unlink()
        warm_m, plain_m = statistics.median(warm), statistics.median(plain)
        rows.append((f"warm build (median of {args.warm_runs})", f"{warm_m:.2f}s", f"no macros {plain_m:.2f}s",
                     f"{warm_m / plain_m:.2f} (goal <= 1.25)"))

        # incremental: edit one Dockerfile's bytes, build, restore
        target = next(v for v in declared if v.id == "scratch").dockerfile
        original = target.read_bytes()
        try:
            target.write_bytes(original + b"\n# benchmark edit\n")
            inc_s, log = _timed(MKDOCS + ["-d", str(tmp / "site")], env={"SMALLEST_GO_CACHE": str(cache)})
        finally:
            target.write_bytes(original)
        rebuilt = re.findall(r"smallest-go: (\S+): building dockerfiles/", log)
        rows.append(("incremental: Dockerfile.scratch edited", f"{inc_s:.1f}s", f"rebuilt: {', '.join(rebuilt)}",
                     f"{len(rebuilt)} variant(s) (goal: exactly 1)"))
        rows.append(("peak memory of the cold mkdocs build", f"{peak_kib / 1024:.0f} MiB", "", "(goal < 250 MiB)"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths)))
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
