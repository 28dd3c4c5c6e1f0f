"""Measure the same variants on this machine's engine and on Debian 13's Docker, on both of its
image stores (overlay2 and containerd), and compare: the sizes must be equal, the transfers
within 0.1%. The second engine runs beside the first (scripts/second-engine.sh).

    .venv/bin/python scripts/try_engines.py                  one variant per final base
    .venv/bin/python scripts/try_engines.py ID [ID ...]      these variants (matrix entries by their entry id)
    .venv/bin/python scripts/try_engines.py --write docs/data/engines.json   keep it for Methodology

Each engine measures with its own throwaway cache and the namespace `smallest-go-engines`, so
the author's images and .cache are left alone; the second engine's images stay in its own data
root (`scripts/second-engine.sh remove` deletes it all). Exit 1 when a size differs.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from macros.model import variants
from macros.model.settings import REPO, Settings

NAMESPACE = "smallest-go-engines"
STORES = {"overlay2": 5001, "containerd": 5002}  # each engine's registry port, beside the first's 5000


def picked(declared: list[variants.Variant], wanted: list[str]) -> list[str]:
    """The variants file's entry ids to measure: those asked for, or one per final base."""
    entries = {v.family: v for v in declared}  # a matrix entry once, by its entry id
    if wanted:
        unknown = [w for w in wanted if w not in entries]
        if unknown:
            sys.exit(f"try_engines: no variant entry {', '.join(unknown)} in {Settings().variants_file}")
        return wanted
    first_of: dict[str, str] = {}
    for entry, v in entries.items():
        first_of.setdefault(v.final_base, entry)
    return list(first_of.values())


def subset(ids: list[str], where: Path) -> Path:
    """The variants file with only these entries, written elsewhere: each Dockerfile named by its
    full path (a variants file's Dockerfiles are found beside it), and `redoes` kept only where
    the variant it names is measured too."""
    variants_file = Settings().variants_file
    document = yaml.safe_load(variants_file.read_text(encoding="utf-8"))
    kept = []
    for entry in document["variants"]:
        if entry["id"] not in ids:
            continue
        entry["dockerfile"] = str(variants_file.parent / entry.get("dockerfile", f"Dockerfile.{entry['id']}"))
        if entry.get("redoes") not in ids:
            entry.pop("redoes", None)
        kept.append(entry)
    document["variants"] = kept
    path = where / "variants.yml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def measure(label: str, env: dict[str, str], out: Path) -> Path:
    started = time.monotonic()
    print(f"try_engines: measuring on {label}", flush=True)
    if subprocess.run([sys.executable, "-m", "macros", "measure", "--json", str(out)], cwd=REPO, env=env).returncode:
        raise SystemExit(f"try_engines: measuring on {label} failed (its messages are above)")
    print(f"try_engines: {label} measured in {time.monotonic() - started:.0f} s", flush=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ids", nargs="*", help="variant entry ids (default: one per final base)")
    parser.add_argument("--stores", default=",".join(STORES), help="the second engine's stores to try")
    parser.add_argument("--write", type=Path, help="keep the comparison there, for Methodology")
    args = parser.parse_args()
    stores = [s for s in args.stores.split(",") if s]
    if bad := [s for s in stores if s not in STORES]:
        sys.exit(f"try_engines: unknown store {', '.join(bad)} (known: {', '.join(STORES)})")
    ids = picked(variants.load(Settings()), args.ids)
    print(f"try_engines: {len(ids)} variant entries: {' '.join(ids)}", flush=True)
    engine_script = str(REPO / "scripts" / "second-engine.sh")
    with tempfile.TemporaryDirectory(prefix="try-engines-") as tmp:
        work = Path(tmp)
        base = {k: v for k, v in os.environ.items() if not k.startswith("SMALLEST_GO_") and k != "DOCKER_HOST"}
        base |= {"SMALLEST_GO_VARIANTS": str(subset(ids, work)), "SMALLEST_GO_NAMESPACE": NAMESPACE}
        results = [measure("this machine's engine", base | {"SMALLEST_GO_CACHE": str(work / "cache-main")},
                           work / "main.json")]
        try:
            for store in stores:
                host = subprocess.run(["bash", engine_script, "start", store], check=True, text=True,
                                      stdout=subprocess.PIPE).stdout.strip().splitlines()[-1]
                env = base | {"DOCKER_HOST": host, "SMALLEST_GO_CACHE": str(work / f"cache-{store}"),
                              "SMALLEST_GO_REGISTRY_PORT": str(STORES[store])}
                try:
                    results.append(measure(f"Debian 13's engine, {store} store", env, work / f"{store}.json"))
                    subprocess.run([sys.executable, "-m", "macros", "clean"], cwd=REPO, env=env, check=True)
                finally:
                    subprocess.run(["bash", engine_script, "stop", store], check=False)
        finally:
            subprocess.run([sys.executable, "-m", "macros", "clean"], cwd=REPO, env=base, check=False)
        command = [sys.executable, "-m", "macros", "engines", *map(str, results)]
        if args.write:
            command += ["--write", str(args.write)]
        return subprocess.run(command, cwd=REPO, env=base).returncode


if __name__ == "__main__":
    sys.exit(main())
