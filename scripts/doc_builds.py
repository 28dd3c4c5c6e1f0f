"""The doc build run as a command, for the benchmark: timed, its counters read back, and the pages
frozen (the warm and serve scenarios of scripts/benchmark.py).

A frozen build's configuration inherits mkdocs.yml (mkdocs' `INHERIT`) and replaces what differs:
the pages, the navigation and the plugins. It is written beside mkdocs.yml for the length of one
benchmark, because the snippets' base path is relative to the configuration file.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml
from macros.model.settings import CACHE_ENV, REPO
from macros.pages.page_macros import MACROS

MKDOCS = (sys.executable, "-m", "mkdocs", "build", "--strict")
# A hook for one build: each page's Markdown after the macros (lowest priority), and the final nav.
FREEZE_HOOK = '''
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


class Failed(Exception):
    """A command of the benchmark failed, or a build did what the scenario rules out."""


def timed(cmd: list[str], *, env: dict[str, str] | None = None) -> tuple[float, str]:
    """Seconds the command took, and what it printed; Failed when it fails."""
    started = time.monotonic()
    done = subprocess.run(cmd, cwd=REPO, env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **(env or {})},
                          capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise Failed(f"{' '.join(cmd)} failed:\n{(done.stdout + done.stderr)[-3000:]}")
    return elapsed, done.stdout + done.stderr


def built(site: Path) -> dict[str, Any]:
    """What the doc build says it did (results.json, "build")."""
    return json.loads((site / "results.json").read_text())["build"]


def _plugins(module: str | None) -> list[Any]:
    """mkdocs.yml's plugins without ours, and macros loading `module` (None: without macros)."""
    class Reading(yaml.SafeLoader):
        pass  # mkdocs.yml's own tags (!relative, !ENV) are read as plain values: only the plugins matter here

    def untagged(loader: yaml.SafeLoader, _tag: str, node: yaml.Node) -> Any:
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node)
        return loader.construct_mapping(node) if isinstance(node, yaml.MappingNode) else loader.construct_scalar(node)

    Reading.add_multi_constructor("!", untagged)
    plugins = yaml.load((REPO / "mkdocs.yml").read_text(), Loader=Reading)["plugins"]
    kept: list[Any] = []
    for plugin in plugins:
        name = plugin if isinstance(plugin, str) else next(iter(plugin))
        if name == "smallest-go" or (name == "macros" and module is None):
            continue
        kept.append({"macros": {**plugin["macros"], "module_name": module}} if name == "macros" else plugin)
    return kept


def config(name: str, **overrides: Any) -> Path:
    """A configuration beside mkdocs.yml that inherits it and replaces `overrides`."""
    path = REPO / f".benchmark-{name}-{os.getpid()}.yml"
    path.write_text(json.dumps({"INHERIT": "mkdocs.yml", **overrides}, indent=1) + "\n")  # JSON is YAML
    return path


def warm(tmp: Path, cache: Path, runs: int) -> dict[str, Any]:
    """Ours vs the frozen pages, with and without the plugin, taken in turn round after round
    (the order rotating), so that a machine slowing down hits all three alike."""
    frozen = tmp / "frozen-pages"
    hook = tmp / "freeze_hook.py"
    hook.write_text(FREEZE_HOOK.format(out=str(frozen)))
    shutil.copytree(REPO / "docs", frozen / "docs")  # assets and data; the pages are overwritten
    stub = REPO / f"benchmark_stub_{os.getpid()}"
    stub.mkdir()
    (stub / "__init__.py").write_text("def define_env(env):\n"
                                      f"    for name in {sorted(MACROS)!r}:\n"
                                      "        env.macro(lambda *args, **kwargs: '', name)\n")
    configs = [config("freeze", hooks=[str(hook)])]
    try:
        timed([*MKDOCS[:-1], "-f", str(configs[0]), "-d", str(tmp / "site")], env={CACHE_ENV: str(cache)})
        nav = json.loads((frozen / "nav.json").read_text())
        sides = {"ours": [*MKDOCS, "-d", str(tmp / "site")]}
        for name, module in (("frozen", None), ("frozen_plugin", stub.name)):
            configs.append(config(name, docs_dir=str(frozen / "docs"), nav=nav, plugins=_plugins(module)))
            sides[name] = [*MKDOCS[:-1], "-f", str(configs[-1]), "-d", str(tmp / name)]
        times: dict[str, list[float]] = {name: [] for name in sides}
        order = list(sides)
        for _ in range(runs):
            for name in order:
                seconds, _log = timed(sides[name], env={CACHE_ENV: str(cache)})
                if name == "ours" and built(tmp / "site")["measured"]:
                    raise Failed("a warm build measured something; the cache should hold every result")
                times[name].append(seconds)
            order = order[1:] + order[:1]
    finally:
        for path in configs:
            path.unlink(missing_ok=True)
        shutil.rmtree(stub)
    # The goal is judged within each round: ours and the plugin alone ran back to back there, so a
    # machine that slows down for a while moves both. The middle half of the rounds shows the spread.
    paired = sorted(o / p for o, p in zip(times["ours"], times["frozen_plugin"], strict=True))
    quartiles = statistics.quantiles(paired, n=4)
    return {"runs": runs, **{f"{name}_s": statistics.median(t) for name, t in times.items()},
            "ours_over_plugin": statistics.median(paired), "ours_over_plugin_iqr": [quartiles[0], quartiles[2]],
            "rounds_s": {name: [round(t, 4) for t in ts] for name, ts in times.items()},
            "goal_ratio": 1.20}


def _served(url: str, marker: str, limit_s: float) -> bool:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            if marker in urllib.request.urlopen(url, timeout=5).read().decode():
                return True
        except OSError:
            pass
        time.sleep(0.02)
    return False


def serve(cache: Path, runs: int) -> dict[str, Any]:
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
    try:
        if not _served(url, "</html>", 300):
            raise Failed("mkdocs serve never answered")
        for n in range(runs):
            marker = f"benchmark-edit-{os.getpid()}-{n}"
            started = time.monotonic()
            page.write_bytes(original + f"\n<!-- {marker} -->\n".encode())
            if not _served(url, marker, 60):
                raise Failed("mkdocs serve did not serve the edited page within 60 s")
            seconds.append(round(time.monotonic() - started, 3))
            time.sleep(1)  # let the server settle before the next edit
    finally:
        page.write_bytes(original)
        server.terminate()
        server.wait(timeout=30)
    return {"seconds": seconds, "goal_s": 1.5}
