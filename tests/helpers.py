"""Throwaway variants for tests: a variants file and Dockerfiles in a temporary folder."""
from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import docker
import yaml
from macros.engine import buildkit
from macros.measure import registry
from macros.measure.registry import OnDemand
from macros.measure.variant import build_variant, finish_variant
from macros.model import files
from macros.model.measurement import Measurement
from macros.model.settings import Settings
from macros.model.variants import Variant

REPO = Path(__file__).resolve().parent.parent
NAMESPACE = "smallest-go-pytest"  # the tests' tag namespace (conftest.py sets it for everything they run)


def scratch(prefix: str) -> Path:
    """A temporary folder for what outlives one test (a module's settings, the run's cache),
    removed when the test process ends, so a test run leaves nothing in /tmp."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def write_variants(folder: Path, entries: dict[str, tuple[str, str]]) -> Path:
    """entries: id -> (Dockerfile text, YAML text of the rest of the entry, indented by 4)."""
    lines = ["variants:"]
    for vid, (dockerfile, rest) in entries.items():
        (folder / f"Dockerfile.{vid}").write_text(dockerfile)
        lines += [f"  - id: {vid}", f"    title: {vid}", "    description: a throwaway test variant", rest.rstrip()]
    path = folder / "variants.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def cli(*args: str, variants: Path | None = None, cache: Path | None = None, env: dict[str, str] | None = None,
        timeout: float = 600) -> subprocess.CompletedProcess[str]:
    extra = {"SMALLEST_GO_VARIANTS": str(variants)} if variants else {}
    extra |= {"SMALLEST_GO_CACHE": str(cache)} if cache else {}
    return subprocess.run([sys.executable, "-m", "macros", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **extra, **(env or {})})


def measure_one(client: docker.DockerClient, variant: Variant, *, store: OnDemand,
                settings: Settings | None = None) -> Measurement:
    """One variant through the doc build's own two halves: build, then run, verify, size, push."""
    settings = settings or Settings.read()
    built = build_variant(client, variant, settings=settings)
    return finish_variant(client, variant, built, store=store, builder=buildkit.describe(), settings=settings)


def container_ids(client: docker.DockerClient) -> set[str]:
    """Every container but our registry, which a build starts when it first needs it."""
    return {c["Id"] for c in client.api.containers(all=True)
            if (c.get("Labels") or {}).get("io.smallest-go.role") != "registry"}


def volume_names(client: docker.DockerClient) -> set[str]:
    """Every volume but our registry's, which a build makes when it first starts the registry."""
    return {v["Name"] for v in client.api.volumes().get("Volumes") or [] if v["Name"] != "smallest-go-registry"}


def build_site(out: Path, cache: Path, *, variants_file: Path | None = None, env: dict[str, str] | None = None) -> str:
    """`mkdocs build --strict` of this checkout into `out`, with that cache (and `env` on top of
    ours); what it printed."""
    extra = {"SMALLEST_GO_VARIANTS": str(variants_file)} if variants_file else {}
    extra |= env or {}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)], cwd=REPO,
                          capture_output=True, text=True, timeout=1800,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "SMALLEST_GO_CACHE": str(cache), **extra})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout + done.stderr


def seeded_cache(folder: Path) -> Path:
    """A fresh cache folder that knows only what `python -m macros bases` recorded at provisioning
    (the bases' sizes, their layers' files and the registry's version), as after `make`'s
    provisioning step."""
    files.copy_memos(registry.PROVISIONING_MEMOS, REPO / ".cache", folder)
    return folder


def go_version_of(reference: str) -> str:
    """The Go version a toolchain base carries, as its recipe in bases.yml pins it ("go1.21.13")."""
    recipe = yaml.safe_load((REPO / "dockerfiles" / "bases" / "bases.yml").read_text())[reference]
    return f"go{recipe['prepare']['go-wheel']['version']}"
