"""The facts around one doc build's measurements, as plain records: the engine, the registry,
and where each base image came from. No Docker SDK here: the pages use these without importing it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from .fidelity import Fidelity


# The small records are NamedTuples: see Layer in model/measurement.py.
class EngineFacts(NamedTuple):
    """The engine that measured, as its API describes itself."""
    endpoint: str
    version: str
    api_version: str
    storage_driver: str
    os: str
    arch: str
    kernel: str
    cgroup_driver: str = ""   # "cgroupfs" or "systemd": whether a container's peak memory can be read here
    cgroup_version: str = ""  # "1" or "2"
    # "containerd" (the containerd image store: storage_driver is then its snapshotter) or
    # "classic" (a graph driver keeps the layers): what `docker images` reports differs between them
    image_store: str = ""
    # The builder that built the images shown, as their measurements record it (Measurement.buildx
    # and .buildkit): several versions, comma-separated, when the cached results were built by several.
    buildx: str = ""
    buildkit: str = ""
    # The platform every image was built, pulled and run for (Settings.platform): when its
    # architecture is not `arch`, the engine ran the RUN steps and the programs under emulation.
    platform: str = ""

    @property
    def emulated(self) -> bool:
        return bool(self.platform) and self.platform.split("/")[1] != self.arch  # "linux/amd64", "amd64"

    @property
    def counts_like_overlay2(self) -> bool:
        """Whether the engine's own figure (inspect's Size) is the layers' files as overlay2 counts
        them: the size, plus any file copied up unchanged (model/layer_files.py)."""
        return self.image_store == "classic" and self.storage_driver == "overlay2"


class Builder(NamedTuple):
    """The builder's own words on itself ("" for what it would not say)."""
    buildx: str    # the docker CLI plugin that asks for the builds: `docker buildx version`
    buildkit: str  # the BuildKit version the engine's builder reports: `docker buildx inspect`


class RegistryFacts(NamedTuple):
    address: str
    image_id: str
    version: str


class Support(NamedTuple):
    """One upstream support window of what a base image carries, as bases.yml declares it."""
    what: str        # e.g. "Debian 11 LTS"
    ends: str        # ISO date, "2026-08-31"
    source: str      # the page that states it


class Gap(NamedTuple):
    """Something of the upstream image a stand-in's recipe cannot match here, as bases.yml declares it."""
    what: str
    why: str


class Tolerance(NamedTuple):
    """How far a stand-in's size may be from upstream's published size, and why that far."""
    percent: float
    why: str


class Account(NamedTuple):
    """A user an image's /etc/passwd declares."""
    name: str
    uid: int
    home: str

    def __str__(self) -> str:
        return f"{self.name} (UID {self.uid})"


def runs_as(user: str, accounts: tuple[Account, ...]) -> Account | None:
    """The account a configuration's user names ("65532", "nonroot", "65532:65532"; "" is root),
    looked up by name or by number; None where none matches."""
    named = (user or "root").split(":", 1)[0]
    return next((a for a in accounts if named in (a.name, str(a.uid))), None)


class BaseImage(NamedTuple):
    """Provenance of one base image, as shown on the site and written to results.json."""
    reference: str
    image_id: str
    size_bytes: int
    source: str  # "pulled" | "stand-in" | "present"
    repo_digest: str = ""
    recipe_hash: str = ""
    created: str = ""
    transfer_bytes: int | None = None  # its transfer size, as our registry stores it
    store_bytes: int | None = None       # what the engine's image store reports (inspect's Size)
    support: tuple[Support, ...] = ()    # declared in bases.yml; () when nothing is declared
    # How far a stand-in is from the upstream image it is named after (None: not a stand-in, or
    # upstream publishes nothing to hold it against)
    fidelity: Fidelity | None = None
    system: str = ""  # the PRETTY_NAME of its os-release file ("Debian GNU/Linux 13 (trixie)"); "" if none
    accounts: tuple[Account, ...] = ()  # the users its /etc/passwd declares, in its order
    user: str = ""         # the user its configuration runs a container as ("" for root)
    working_dir: str = ""  # the folder its configuration starts a container in ("" for /)
    cmd: tuple[str, ...] = ()  # the command its configuration starts a container with
    env: tuple[str, ...] = ()  # the environment its configuration sets, "NAME=value" as the engine lists it

    @property
    def runs_as(self) -> Account | None:
        """The account its configuration runs a container as, from its own /etc/passwd."""
        return runs_as(self.user, self.accounts)

    def as_dict(self) -> dict[str, Any]:
        return {**self._asdict(), "support": [s._asdict() for s in self.support],
                "cmd": list(self.cmd), "env": list(self.env),
                "fidelity": self.fidelity.as_dict() if self.fidelity else None,
                "accounts": [a._asdict() for a in self.accounts]}
