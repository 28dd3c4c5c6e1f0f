"""How far a stand-in base is from the upstream image it is named after. Pure: the stand-in's
measured facts and upstream's published ones in, a verdict out (measure/fidelity.py measures).

A stand-in that is not the image it is named after is a wrong number on every page built on it,
so a different package set, or a size further from upstream's than the recipe's tolerance, fails
the build. Transfer sizes are shown, never failed on: each engine compresses with its own gzip.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from .records import Gap
from .upstream import Source, Upstream


class Fidelity(NamedTuple):
    upstream: str                       # the upstream.yml entry compared with ("": none publishes anything)
    follows: dict[str, str]             # the definition the recipe follows: what, source, date
    gaps: tuple[Gap, ...]               # what the recipe cannot match here, and why
    tolerance_percent: float
    tolerance_why: str                  # "" for the default
    packages_missing: tuple[str, ...]   # upstream has them, the stand-in does not
    packages_extra: tuple[str, ...]     # the other way round
    packages_source: Source | None      # None: upstream publishes no package set here
    size_bytes: int | None              # upstream's on-disk size
    size_source: Source | None
    size_deviation_percent: float | None  # (ours - upstream's) / upstream's
    transfer_bytes: int | None
    transfer_source: Source | None
    transfer_deviation_percent: float | None

    @property
    def packages_match(self) -> bool:
        return not self.packages_missing and not self.packages_extra

    @property
    def size_within(self) -> bool:
        return self.size_deviation_percent is None or abs(self.size_deviation_percent) <= self.tolerance_percent

    @property
    def ok(self) -> bool:
        return self.packages_match and self.size_within

    def summary(self) -> str:
        """How far from upstream, in a few words ("same packages, size +0.16%")."""
        said = []
        if self.packages_source is not None:
            said.append("same packages" if self.packages_match else "other packages")
        if self.size_deviation_percent is not None:
            said.append(f"size {percent(self.size_deviation_percent)}")
        return ", ".join(said) or "nothing published to compare"

    def problems(self, *, reference: str, size_bytes: int) -> list[str]:
        """What fails, in words that name the packages and both figures."""
        found = []
        if self.packages_missing or self.packages_extra:
            where = _cited(self.packages_source)
            if self.packages_missing:
                found.append(f"{_count(self.packages_missing)} missing against upstream ({where}): "
                             f"{', '.join(self.packages_missing)}")
            if self.packages_extra:
                found.append(f"{_count(self.packages_extra)} that upstream does not have ({where}): "
                             f"{', '.join(self.packages_extra)}")
        if not self.size_within:
            assert self.size_bytes is not None and self.size_deviation_percent is not None
            found.append(f"{size_bytes:,} bytes against upstream's {self.size_bytes:,} ({_cited(self.size_source)}): "
                         f"{self.size_deviation_percent:+.2f}%, past its tolerance of {self.tolerance_percent:g}%")
        return [f"{reference}: {line}" for line in found]

    def as_dict(self) -> dict[str, Any]:
        data = self._asdict()
        for key in ("packages_source", "size_source", "transfer_source"):
            source = data[key]
            data[key] = None if source is None else {**source._asdict(), "url": source.url}
        data["gaps"] = [gap._asdict() for gap in self.gaps]
        for key in ("packages_missing", "packages_extra"):
            data[key] = list(data[key])
        return data


def compare(upstream: Upstream | None, *, packages: frozenset[str] | None, size_bytes: int, transfer_bytes: int | None,
            follows: dict[str, str], gaps: tuple[Gap, ...], tolerance_percent: float,
            tolerance_why: str = "") -> Fidelity:
    """The stand-in's packages (names; None where it records none), size and transfer size against
    upstream's (None: upstream publishes nothing to compare with)."""
    upstream = upstream or Upstream("", None, None, None)
    missing: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    if upstream.packages is not None:
        wanted = set(upstream.packages.names)
        have = set(packages or ())
        missing, extra = tuple(sorted(wanted - have)), tuple(sorted(have - wanted))
    size, transfer = upstream.size, upstream.transfer
    return Fidelity(
        upstream=upstream.reference, follows=follows, gaps=gaps, tolerance_percent=tolerance_percent,
        tolerance_why=tolerance_why, packages_missing=missing, packages_extra=extra,
        packages_source=upstream.packages.source if upstream.packages else None,
        size_bytes=size.bytes if size else None, size_source=size.source if size else None,
        size_deviation_percent=_deviation(size_bytes, size.bytes) if size else None,
        transfer_bytes=transfer.bytes if transfer else None, transfer_source=transfer.source if transfer else None,
        transfer_deviation_percent=(_deviation(transfer_bytes, transfer.bytes)
                                    if transfer and transfer_bytes is not None else None),
    )


def percent(deviation: float) -> str:
    """A signed deviation as a reader reads it: "+0.16%", "-1.79%", "within 0.01%"."""
    return "within 0.01%" if abs(deviation) < 0.005 else f"{deviation:+.2f}%"


def _deviation(ours: int, theirs: int) -> float:
    return round((ours - theirs) / theirs * 100, 3)


def _count(names: tuple[str, ...]) -> str:
    return "one package" if len(names) == 1 else f"{len(names)} packages"


def _cited(source: Source | None) -> str:
    if source is None:
        return "no source"
    return f"{source.repo} {source.file} at {source.commit[:8]}, {source.date}"
