"""Facts the prose names in words, each read from the build rather than typed beside it: the system
a base image says it is (its os-release), the users it declares and runs as, the Debian a variant
was built on, the Go release a binary records, and the packer a packed binary names."""
from __future__ import annotations

import re
from collections.abc import Callable
from itertools import pairwise

from ..errors import PageError
from ..model import releases
from ..model.records import BaseImage
from ..model.session import Shown
from ..model.words import listed, share
from . import render
from .page import Page, unknown

_DEBIAN = re.compile(r"Debian GNU/Linux (\d+) \((\w+)\)$")


def _base(page: Page, reference: str) -> BaseImage:
    for b in page.session.bases:
        if b.reference == reference:
            return b
    raise unknown("base image", reference, [b.reference for b in page.session.bases])


def system_words(pretty_name: str) -> str:
    """'Debian GNU/Linux 13 (trixie)' as the pages say it, 'Debian 13 "trixie"' (also at the end of a longer
    name, as Docker Hardened Images' 'Docker Hardened Images/Debian GNU/Linux 13 (trixie)')."""
    found = _DEBIAN.search(pretty_name)
    return f'Debian {found[1]} "{found[2]}"' if found else pretty_name or "no named system"


def system(page: Page, reference: str) -> str:
    """What a base image's os-release calls it."""
    return system_words(_base(page, reference).system)


def accounts(page: Page, reference: str) -> str:
    """The users a base image's /etc/passwd declares, in its order: "`root`, `nobody` and `nonroot`"."""
    found = _base(page, reference).accounts
    if not found:
        raise PageError(f"{reference}: its image declares no users (no /etc/passwd)")
    return listed([f"`{a.name}`" for a in found])


def runs_as(page: Page, reference: str) -> str:
    """The user a base image's configuration runs a container as, with its UID from the image's
    /etc/passwd, and the folder it starts in: "`nonroot` (UID 65532) in `/home/nonroot`"."""
    base = _base(page, reference)
    account = base.runs_as
    if account is None:
        raise PageError(f"{reference}: it runs as {base.user or 'root'!r}, which its /etc/passwd does not declare")
    return f"`{account.name}` (UID {account.uid}) in `{base.working_dir or '/'}`"


def first_base(page: Page, variant_id: str) -> str:
    """The image a variant's first stage starts from, as its Dockerfile names it (in code)."""
    v = page.result(variant_id).variant
    if not v.bases:
        raise PageError(f"{variant_id}: its Dockerfile starts from no base image")
    return f"`{v.bases[0]}`"


def built_on(page: Page, variant_id: str) -> str:
    """The system of the image a variant's first stage starts from: the Debian its binary was built on."""
    v = page.result(variant_id).variant
    if not v.bases:
        raise PageError(f"{variant_id}: its Dockerfile starts from no base image")
    return system(page, v.bases[0])


def go_release(page: Page, variant_id: str) -> str:
    """The Go release a variant's binary records, as people name it: 'Go 1.27' for go1.27.1."""
    recorded = page.result(variant_id).measured.go_version
    found = re.match(r"go(\d+)\.(\d+)", recorded)
    if not found:
        raise PageError(f"{variant_id}: its binary records no Go version ({recorded!r})")
    return f"Go {found[1]}.{found[2]}"


def go_versions(page: Page) -> str:
    """Every Go version found in this build's binaries, oldest first ("go1.19.8, go1.21.13")."""
    found = {r.measured.go_version for r in page.session.results if r.measured.go_version}
    ordered = sorted(found, key=lambda v: [int(n) if n.isdigit() else 0 for n in v.removeprefix("go").split(".")])
    return ", ".join(ordered) or "none readable"


def smallest_releases(page: Page, *families: str) -> str:
    """Which Go release gave the smallest image in each way of building, said once when it is
    the same release: "**go1.19.8** in both ways of building (default build, stripped)"."""
    try:
        found = {family: releases.smallest(page.session.results, family) for family in families}
    except KeyError:
        raise unknown("way of building in the sweep", ", ".join(families), releases.sweep(page.session.results)[0]) \
            from None
    versions = {r.measured.go_version for r in found.values()}
    names = [render.family_name(r) for r in found.values()]
    if len(versions) == 1:
        ways = "both ways" if len(found) == 2 else f"all {len(found)} ways"
        return f"**{versions.pop()}** in {ways} of building ({', '.join(names)})"
    return "; ".join(f"**{r.measured.go_version}** for the {name}" for r, name in zip(found.values(), names,
                                                                                       strict=True))


def _builds(page: Page, family: str) -> list[Shown]:
    """The sweep's builds of one way of building, oldest release first."""
    families, ordered = releases.sweep(page.session.results)
    if family not in families:
        raise unknown("way of building in the sweep", family, families)
    return [r.builds[family] for r in ordered if family in r.builds]


def binary_growth(page: Page, family: str) -> str:
    """How the sweep's binaries grew from one release to the next: "every release so far added to
    the binary", or how many of those steps did."""
    found = _builds(page, family)
    steps = list(pairwise(found))
    grew = sum(b.measured.binary_bytes > a.measured.binary_bytes for a, b in steps)
    if steps and grew == len(steps):
        return "every release so far added to the binary"
    return f"{share(grew, len(steps), 'step')} from one release to the next added to the binary"


def smaller_at(page: Page, family: str, than: str) -> str:
    """At which releases one way of building gave a smaller image than another: "at every
    release", or at how many of those the sweep built both ways, naming where it did not."""
    against = {r.measured.go_version: r for r in _builds(page, than)}
    pairs = [(r, against[r.measured.go_version]) for r in _builds(page, family) if r.measured.go_version in against]
    if not pairs:
        raise PageError(f"the sweep builds no release both as {family!r} and as {than!r}")
    missed = [r.measured.go_version for r, other in pairs if r.measured.size_bytes >= other.measured.size_bytes]
    if not missed:
        return "at every release"
    return f"at {share(len(pairs) - len(missed), len(pairs), 'release')} (not with {listed(missed)})"


def release_id(page: Page, family: str, which: str) -> str:
    """The id of the sweep's build of `family` at one release, for other macros to read: "oldest",
    "newest", or a variant's id for the release that variant's binary was built with."""
    found = _builds(page, family)
    if which in ("oldest", "newest"):
        return found[0 if which == "oldest" else -1].id
    wanted = releases.minor(page.result(which).measured.go_version)
    same = [r for r in found if releases.minor(r.measured.go_version) == wanted]
    if not same:
        raise PageError(f"the sweep's {family!r} builds no Go {wanted}, the release {which} was built with")
    return same[0].id


def packer(page: Page, variant_id: str) -> str:
    """The packer and version a variant's binary names itself packed by ('UPX 4.24')."""
    named = page.result(variant_id).measured.packer
    if not named:
        raise PageError(f"{variant_id}: its binary names no packer")
    return named


MACROS: dict[str, tuple[Callable[..., str], bool]] = {
    fn.__name__: (fn, False)
    for fn in (system, accounts, runs_as, first_base, built_on, go_release, go_versions, smallest_releases,
               binary_growth, smaller_at, release_id, packer)}
