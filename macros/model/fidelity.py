"""How far a stand-in base is from the upstream image it is named after. Pure: the stand-in's
measured facts and upstream's published ones in, a verdict out (measure/fidelity.py measures).

A stand-in that is not the image it is named after is a wrong number (or a wrong word) on every
page built on it, so a different package set, other accounts or another user to run as, another
command or an environment variable upstream sets missing or set otherwise, or a size further from
upstream's than the recipe's tolerance, fails the build. Transfer sizes are shown,
never failed on: each engine compresses with its own gzip.
"""
from __future__ import annotations

import json
from typing import Any, NamedTuple

from .records import Account, Gap, runs_as
from .upstream import Config, Source, Upstream


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
    accounts_missing: tuple[str, ...]   # "nonroot (UID 65532)": upstream declares them, the stand-in does not
    accounts_extra: tuple[str, ...]     # the other way round
    accounts_source: Source | None      # None: upstream publishes no accounts here
    runs_as_upstream: str | None        # "nonroot (UID 65532) in /home/nonroot"; None: not published
    runs_as_ours: str | None            # the stand-in's, said the same way (None where upstream says nothing)
    runs_as_source: Source | None
    config_differences: tuple[str, ...]  # "PATH=/bin against upstream's /usr/bin": command, then variables
    config_source: Source | None         # None: upstream publishes no configuration here

    @property
    def packages_match(self) -> bool:
        return not self.packages_missing and not self.packages_extra

    @property
    def size_within(self) -> bool:
        return self.size_deviation_percent is None or abs(self.size_deviation_percent) <= self.tolerance_percent

    @property
    def users_match(self) -> bool:
        return not self.accounts_missing and not self.accounts_extra and self.runs_as_ours == self.runs_as_upstream

    @property
    def config_match(self) -> bool:
        return not self.config_differences

    @property
    def ok(self) -> bool:
        return self.packages_match and self.users_match and self.config_match and self.size_within

    def summary(self) -> str:
        """How far from upstream, in a few words ("same packages, size +0.16%")."""
        said = []
        if self.packages_source is not None:
            said.append("same packages" if self.packages_match else "other packages")
        if self.accounts_source is not None:
            said.append("same users" if self.users_match else "other users")
        if self.config_source is not None:
            said.append("same command and environment" if self.config_match else "other command or environment")
        if self.size_deviation_percent is not None:
            said.append(f"size {percent(self.size_deviation_percent)}")
        return ", ".join(said) or "nothing published to compare"

    def problems(self, *, reference: str, size_bytes: int) -> list[str]:
        """What fails, in words that name the packages, the users or both figures."""
        found = [*_differences(self.packages_missing, self.packages_extra, self.packages_source, "package", "have"),
                 *_differences(self.accounts_missing, self.accounts_extra, self.accounts_source, "account", "declare")]
        if self.runs_as_ours != self.runs_as_upstream:
            found.append(f"runs as {self.runs_as_ours} against upstream's {self.runs_as_upstream} "
                         f"({_cited(self.runs_as_source)})")
        found += [f"{line} ({_cited(self.config_source)})" for line in self.config_differences]
        if not self.size_within:
            assert self.size_bytes is not None and self.size_deviation_percent is not None
            found.append(f"{size_bytes:,} bytes against upstream's {self.size_bytes:,} ({_cited(self.size_source)}): "
                         f"{self.size_deviation_percent:+.2f}%, past its tolerance of {self.tolerance_percent:g}%")
        return [f"{reference}: {line}" for line in found]

    def as_dict(self) -> dict[str, Any]:
        data = self._asdict()
        for key in ("packages_source", "size_source", "transfer_source", "accounts_source", "runs_as_source",
                    "config_source"):
            source = data[key]
            data[key] = None if source is None else {**source._asdict(), "url": source.url}
        data["gaps"] = [gap._asdict() for gap in self.gaps]
        for key in ("packages_missing", "packages_extra", "accounts_missing", "accounts_extra", "config_differences"):
            data[key] = list(data[key])
        return data


def compare(upstream: Upstream | None, *, packages: frozenset[str] | None, size_bytes: int, transfer_bytes: int | None,
            follows: dict[str, str], gaps: tuple[Gap, ...], tolerance_percent: float,
            tolerance_why: str = "", accounts: tuple[Account, ...] = (), user: str = "",
            working_dir: str = "", cmd: tuple[str, ...] = (), env: tuple[str, ...] = ()) -> Fidelity:
    """The stand-in's packages (names; None where it records none), size, transfer size, accounts
    (its /etc/passwd), the user and folder its configuration runs a container as, and its command
    and environment ("NAME=value", as the engine lists them), against upstream's (None: upstream
    publishes nothing to compare with)."""
    upstream = upstream or Upstream("")
    missing: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    if upstream.packages is not None:
        wanted = set(upstream.packages.names)
        have = set(packages or ())
        missing, extra = tuple(sorted(wanted - have)), tuple(sorted(have - wanted))
    accounts_missing: tuple[str, ...] = ()
    accounts_extra: tuple[str, ...] = ()
    if upstream.accounts is not None:  # a user is the same account if its name and UID are
        declared = {(a.name, a.uid): str(a) for a in upstream.accounts.users}
        held = {(a.name, a.uid): str(a) for a in accounts}
        accounts_missing = tuple(declared[k] for k in sorted(declared.keys() - held.keys()))
        accounts_extra = tuple(held[k] for k in sorted(held.keys() - declared.keys()))
    theirs = ours = None
    if (said := upstream.user) is not None:
        theirs = _running(said.account, said.named, said.working_dir)
        ours = _running(runs_as(user, accounts), user or "root", (working_dir or "/") if said.working_dir else None)
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
        accounts_missing=accounts_missing, accounts_extra=accounts_extra,
        accounts_source=upstream.accounts.source if upstream.accounts else None,
        runs_as_upstream=theirs, runs_as_ours=ours, runs_as_source=upstream.user.source if upstream.user else None,
        config_differences=_config_differences(upstream.config, cmd, env) if upstream.config else (),
        config_source=upstream.config.source if upstream.config else None,
    )


def _config_differences(said: Config, cmd: tuple[str, ...], env: tuple[str, ...]) -> tuple[str, ...]:
    """The command, then each variable upstream sets, where the stand-in's differ (a variable
    upstream does not list is not compared: a record may leave one out, and says why)."""
    found = [] if cmd == said.cmd else [f"command {json.dumps(cmd)} against upstream's {json.dumps(said.cmd)}"]
    ours = dict(v.partition("=")[::2] for v in env)
    for name, value in said.env:
        if name not in ours:
            found.append(f"{name} not set, where upstream sets it to {value}")
        elif ours[name] != value:
            found.append(f"{name}={ours[name]} against upstream's {value}")
    return tuple(found)


def _running(account: Account | None, named: str, working_dir: str | None) -> str:
    """"nonroot (UID 65532) in /home/nonroot"; a user no account matches as its configuration names it."""
    who = str(account) if account else f"{named!r}, which no account declares"
    return who if working_dir is None else f"{who} in {working_dir}"


def percent(deviation: float) -> str:
    """A signed deviation as a reader reads it: "+0.16%", "-1.79%", "within 0.01%"."""
    return "within 0.01%" if abs(deviation) < 0.005 else f"{deviation:+.2f}%"


def _deviation(ours: int, theirs: int) -> float:
    return round((ours - theirs) / theirs * 100, 3)


def _differences(missing: tuple[str, ...], extra: tuple[str, ...], source: Source | None, what: str,
                 verb: str) -> list[str]:
    """One line for what upstream has and the stand-in lacks, one for the other way round."""
    where = _cited(source)
    said = [f"{_count(missing, what)} missing against upstream ({where}): {', '.join(missing)}"] if missing else []
    return said + ([f"{_count(extra, what)} that upstream does not {verb} ({where}): {', '.join(extra)}"]
                   if extra else [])


def _count(names: tuple[str, ...], what: str) -> str:
    return f"one {what}" if len(names) == 1 else f"{len(names)} {what}s"


def _cited(source: Source | None) -> str:
    if source is None:
        return "no source"
    return f"{source.repo} {source.file} at {source.commit[:8]}, {source.date}"
