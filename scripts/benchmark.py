"""Benchmark of the doc build, as ratios measured in one run on one machine (not a timed test).

  cold         the project builds and measures every variant from an empty start (no result cache,
               no variant images, none of their stages in the engine's layer cache; bases present)
               vs a plain shell loop of `docker build` + `docker run` over the same files, same start;
               once with the layer cache working during the run, once with --no-cache on both sides
  warm         `mkdocs build` with every result cached vs the same pages frozen (each page's Markdown
               as the macros rendered it, built without the macros plugin: what a hand-kept copy of
               the article costs), and vs the frozen pages with the plugin on and an empty module
               (the plugin's own cost, which no code of ours removes)
  serve        `mkdocs serve` running, one page edited: seconds until the edited page is served
  incremental  one Dockerfile edited, then `mkdocs build`: which variants were measured again
  memory       peak RSS of the cold `mkdocs build`

Counters come from what each doc build wrote into results.json ("build"), not from its log.
Run with the project's environment, bases present: `.venv/bin/python scripts/benchmark.py`.
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
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from macros.engine import cleanup, connection, images  # noqa: E402
from macros.measure.registry import BASE_SIZES, PROVISIONING_MEMOS  # noqa: E402
from macros.model import variants  # noqa: E402
from macros.model.files import copy_memos  # noqa: E402
from macros.model.settings import CACHE_ENV, NO_BUILD_CACHE_ENV, Settings  # noqa: E402
from macros.pages import benchmark_figures  # noqa: E402
from macros.pages.page_macros import MACROS  # noqa: E402

SETTINGS = Settings.read()  # the author's namespace and cache, unless the environment says otherwise

MKDOCS = [sys.executable, "-m", "mkdocs", "build", "--strict"]
# Runs a command, then prints the peak RSS (KiB) of the largest process it waited for, last.
_PEAK_RSS = [sys.executable, "-c", "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(r.returncode)"]
# A hook for one build: each page's Markdown after the macros (lowest priority), and the final nav.
_FREEZE_HOOK = '''
import json, pathlib, yaml
from mkdocs.plugins import event_priority
OUT = pathlib.Path({out!r})

@event_priority(-100)
def on_config(config):
    (OUT / "nav.json").write_text(json.dumps(config.nav))

@event_priority(-100)
def on_page_markdown(markdown, page, **_):
    target = OUT / "docs" / page.file.src_uri
    target.parent.mkdir(parents=True, exist_ok=True)
    meta = "---\\n" + yaml.safe_dump(page.meta) + "---\\n\\n" if page.meta else ""
    target.write_text(meta + markdown)
'''


def _timed(cmd: list[str], *, env: dict[str, str] | None = None) -> tuple[float, str]:
    started = time.monotonic()
    done = subprocess.run(cmd, cwd=REPO, env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **(env or {})},
                          capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        sys.exit(f"benchmark: {' '.join(cmd)} failed:\n{(done.stdout + done.stderr)[-3000:]}")
    return elapsed, done.stdout + done.stderr


def _built(site: Path) -> dict[str, Any]:
    """What the doc build says it did (results.json, "build")."""
    return json.loads((site / "results.json").read_text())["build"]


def _empty_start(declared: list[variants.Variant]) -> None:
    """No variant images (ours, or the shell loop's under our tags) and none of their stages."""
    client = connection.connect(SETTINGS)
    cleanup.remove_ours(client, namespace=SETTINGS.namespace, engine_lock=SETTINGS.engine_lock)
    for v in declared:
        if images.inspect_image(client, SETTINGS.tag_of(v.id)) is not None:
            client.api.remove_image(SETTINGS.tag_of(v.id), force=True)
    client.close()


def _as_provisioned(cache: Path) -> int:
    """A fresh cache that knows only what provisioning (`python -m macros bases`) recorded: the
    bases' sizes (they are in the registry already), their layers' files and the registry's
    version. Nothing about the variants is carried over. Returns how many bases it knows."""
    copy_memos(PROVISIONING_MEMOS, SETTINGS.cache_dir, cache)
    known = cache / BASE_SIZES
    return len(json.loads(known.read_text())) if known.is_file() else 0


def _shell_loop(declared: list[variants.Variant], *, layer_cache: bool) -> float:
    flag = "" if layer_cache else "--no-cache "

    def args(v: variants.Variant) -> str:  # a matrix variant differs from its siblings only by these
        return "".join(f"--build-arg {shlex.quote(f'{k}={val}')} " for k, val in v.build_args.items())

    script = "set -e\n" + "".join(
        f"docker build {flag}{args(v)}-q -t {SETTINGS.tag_of(v.id)} -f {v.dockerfile} {v.context} >/dev/null\n"
        f"docker run --rm {SETTINGS.tag_of(v.id)} >/dev/null 2>&1 || true\n" for v in declared)
    return _timed(["bash", "-c", script], env={"DOCKER_BUILDKIT": "0"})[0]


def _cold(declared: list[variants.Variant], tmp: Path, rounds: int, *, layer_cache: bool) -> dict[str, Any]:
    """Rounds of one shell loop and one project build, each from the same empty start, the order
    alternating round by round. The goal is judged on the ratio within each round (the two ran
    back to back, so a shared machine's slow spells hit both), the median over the rounds."""
    shell: list[float] = []
    project: list[float] = []
    peaks: list[int] = []
    seeded = 0
    for n in range(rounds):
        for side in ("shell", "project") if n % 2 == 0 else ("project", "shell"):
            _empty_start(declared)
            if side == "shell":
                shell.append(_shell_loop(declared, layer_cache=layer_cache))
                continue
            cache = tmp / "cache"
            shutil.rmtree(cache, ignore_errors=True)
            seeded = _as_provisioned(cache)
            env = {CACHE_ENV: str(cache)} | ({} if layer_cache else {NO_BUILD_CACHE_ENV: "1"})
            seconds, log = _timed(_PEAK_RSS + MKDOCS + ["-d", str(tmp / "site")], env=env)
            built = _built(tmp / "site")
            if built["reused"]:
                sys.exit(f"benchmark: the cold build reused {built['reused']}; it must measure everything")
            project.append(seconds)
            peaks.append(int(re.findall(r"^(\d+)$", log, re.MULTILINE)[-1]))
    ratios = sorted(p / s for p, s in zip(project, shell, strict=True))
    return {"layer_cache": layer_cache, "runs": rounds, "bases_pushed": seeded,
            "project_s": statistics.median(project), "shell_s": statistics.median(shell),
            "ratio": statistics.median(ratios), "ratio_range": [ratios[0], ratios[-1]],
            "rounds_s": {"project": [round(t, 2) for t in project], "shell": [round(t, 2) for t in shell]},
            "peak_rss_mib": max(peaks) / 1024, "goal_ratio": 1.0}


def _config(tmp: Path, name: str, *, docs: Path, nav: list[Any], module: str | None) -> Path:
    """mkdocs.yml for the frozen pages: our plugin gone, the nav as the real build had it, and
    the macros plugin gone (module None) or loading `module`. Kept beside mkdocs.yml, so that
    paths relative to it (snippets) hold."""
    text = (REPO / "mkdocs.yml").read_text()
    text = re.sub(r"^  - smallest-go\b.*\n", "", text, flags=re.MULTILINE)
    text = re.sub(r"^nav:\n(?:  .*\n?)+", "", text, flags=re.MULTILINE)
    text = (text.replace("module_name: macros", f"module_name: {module}") if module
            else re.sub(r"  - macros:\n(?:      .*\n)+", "", text))
    path = REPO / f".benchmark-{name}-{os.getpid()}.yml"
    path.write_text(f"{text}\ndocs_dir: {docs}\nnav: {json.dumps(nav)}\n")
    return path


def _warm(tmp: Path, cache: Path, runs: int) -> dict[str, Any]:
    """Ours vs the frozen pages, with and without the plugin, taken in turn round after round
    (the order rotating), so that a machine slowing down hits all three alike."""
    frozen = tmp / "frozen-pages"
    hook = tmp / "freeze_hook.py"
    hook.write_text(_FREEZE_HOOK.format(out=str(frozen)))
    shutil.copytree(REPO / "docs", frozen / "docs")  # assets and data; the pages are overwritten
    freeze_config = REPO / f".benchmark-freeze-{os.getpid()}.yml"
    freeze_config.write_text((REPO / "mkdocs.yml").read_text() + f"\nhooks:\n  - {hook}\n")
    stub = REPO / f"benchmark_stub_{os.getpid()}"
    stub.mkdir()
    (stub / "__init__.py").write_text("def define_env(env):\n"
                                      f"    for name in {sorted(MACROS)!r}:\n"
                                      "        env.macro(lambda *args, **kwargs: '', name)\n")
    configs = [freeze_config]
    try:
        _timed([*MKDOCS[:-1], "-f", str(freeze_config), "-d", str(tmp / "site")], env={CACHE_ENV: str(cache)})
        nav = json.loads((frozen / "nav.json").read_text())
        sides = {"ours": [*MKDOCS, "-d", str(tmp / "site")]}
        for name, module in (("frozen", None), ("frozen_plugin", stub.name)):
            configs.append(_config(tmp, name, docs=frozen / "docs", nav=nav, module=module))
            sides[name] = [*MKDOCS[:-1], "-f", str(configs[-1]), "-d", str(tmp / name)]
        times: dict[str, list[float]] = {name: [] for name in sides}
        order = list(sides)
        for _ in range(runs):
            for name in order:
                seconds, _log = _timed(sides[name], env={CACHE_ENV: str(cache)})
                if name == "ours" and _built(tmp / "site")["measured"]:
                    sys.exit("benchmark: a warm build measured something; the cache should hold every result")
                times[name].append(seconds)
            order = order[1:] + order[:1]
    finally:
        for config in configs:
            config.unlink(missing_ok=True)
        shutil.rmtree(stub)
    # The goal is judged within each round: ours and the plugin alone ran back to back there, so a
    # machine that slows down for a while moves both. The middle half of the rounds shows the spread.
    paired = sorted(o / p for o, p in zip(times["ours"], times["frozen_plugin"], strict=True))
    quartiles = statistics.quantiles(paired, n=4)
    return {"runs": runs, **{f"{name}_s": statistics.median(t) for name, t in times.items()},
            "ours_over_plugin": statistics.median(paired), "ours_over_plugin_iqr": [quartiles[0], quartiles[2]],
            "rounds_s": {name: [round(t, 4) for t in ts] for name, ts in times.items()},
            "goal_ratio": 1.20}


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
        seconds, _log = _timed([*MKDOCS, "-d", str(tmp / "site")], env={CACHE_ENV: str(cache)})
    finally:
        target.write_bytes(original)
    return {"edited": target.name, "seconds": seconds, "measured": _built(tmp / "site")["measured"]}


def _serve(cache: Path, runs: int) -> dict[str, Any]:
    """`mkdocs serve` running: a page's source edited, then the time until the server sends the
    edited page (mkdocs sees the change, builds again in-process, the macros check the cache)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/contributing/"
    server = subprocess.Popen([*MKDOCS[:-2], "serve", "-a", f"127.0.0.1:{port}"], cwd=REPO, text=True,
                              env={**os.environ, "NO_MKDOCS_2_WARNING": "1", CACHE_ENV: str(cache)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    page = REPO / "docs" / "contributing.md"
    original = page.read_bytes()
    seconds: list[float] = []

    def served(marker: str, limit_s: float) -> bool:
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            try:
                if marker in urllib.request.urlopen(url, timeout=5).read().decode():
                    return True
            except OSError:
                pass
            time.sleep(0.02)
        return False

    try:
        if not served("</html>", 300):
            sys.exit("benchmark: mkdocs serve never answered")
        for n in range(runs):
            marker = f"benchmark-edit-{os.getpid()}-{n}"
            started = time.monotonic()
            page.write_bytes(original + f"\n<!-- {marker} -->\n".encode())
            if not served(marker, 60):
                sys.exit("benchmark: mkdocs serve did not serve the edited page within 60 s")
            seconds.append(round(time.monotonic() - started, 3))
            time.sleep(1)  # let the server settle before the next edit
    finally:
        page.write_bytes(original)
        server.terminate()
        server.wait(timeout=30)
    return {"seconds": seconds, "goal_s": 1.5}


def _machine() -> str:
    client = connection.connect(SETTINGS)
    facts = connection.facts(client)
    client.close()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores, {memory:.0f} GiB, {platform.machine()}, "
            f"Docker Engine {facts.version} ({facts.storage_driver})")


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
    declared = variants.load(SETTINGS)
    tmp = Path(tempfile.mkdtemp(prefix="smallest-go-bench-"))
    data: dict[str, Any] = {"measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                            "machine": _machine(), "variants": len(declared)}
    try:
        if args.warm_only:
            data["warm"] = _warm(tmp, SETTINGS.cache_dir, args.warm_runs)
            data["serve"] = _serve(SETTINGS.cache_dir, args.serve_runs)
        elif args.incremental_only:
            data = json.loads((REPO / "docs" / "data" / "benchmark.json").read_text())
            data["incremental"] = _incremental(declared, tmp, SETTINGS.cache_dir) | {
                "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        else:
            data["cold"] = [_cold(declared, tmp, args.cold_runs, layer_cache=True),
                            _cold(declared, tmp, args.cold_runs, layer_cache=False)]
            data["warm"] = _warm(tmp, tmp / "cache", args.warm_runs)
            data["serve"] = _serve(tmp / "cache", args.serve_runs)
            data["incremental"] = _incremental(declared, tmp, tmp / "cache")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
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
