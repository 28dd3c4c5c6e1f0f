"""What moved between upstream.yml's docker-library/repo-info facts and a checkout of repo-info:
each size, transfer size, command and listed environment variable read again from the file its
entry cites (model/repo_info.py reads the Markdown), with the entry to paste for each that moved.
A variable an entry leaves out (its note says why) stays out."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import NamedTuple

from . import repo_info
from .upstream import Config, Figure, Upstream

REPO_INFO = "docker-library/repo-info"


class Moved(NamedTuple):
    lines: list[str]  # what to print: each fact that moved, with its entry to paste, and what could not be read
    count: int        # how many facts moved


class _Said(NamedTuple):
    line: str
    moved: bool  # False: the checkout could not say (the entry is kept)


def moved(published: dict[str, Upstream], checkout: Path) -> Moved:
    said = [s for ref, entry in published.items()
            for s in (_figure(ref, "size", entry.size, checkout), _figure(ref, "transfer", entry.transfer, checkout),
                      _config(ref, entry.config, checkout)) if s is not None]
    return Moved([s.line for s in said], sum(s.moved for s in said))


def _figure(ref: str, kind: str, figure: Figure | None, checkout: Path) -> _Said | None:
    if figure is None or figure.source.repo != REPO_INFO:
        return None
    read = repo_info.on_disk if kind == "size" else repo_info.transfer
    text = _text(checkout, figure.source.file)
    found = read(text) if text else None
    if found is None:
        return _Said(f"{ref} {kind}: {figure.source.file} prints no figure in this checkout (kept: {figure.bytes:,})",
                     False)
    if (found.bytes, found.date) == (figure.bytes, figure.source.date):
        return None
    commit = _last_commit(checkout, figure.source.file)
    return _Said(f"{ref} {kind}: {figure.bytes:,} ({figure.source.date}) -> {found.bytes:,} ({found.date}); paste:\n"
                 f"  {kind}:\n    bytes: {found.bytes}\n    source: {{repo: {REPO_INFO}, "
                 f"file: {figure.source.file},\n             commit: {commit}, date: \"{found.date}\"}}", True)


def _config(ref: str, said: Config | None, checkout: Path) -> _Said | None:
    """The command, and each variable the entry lists, against what the record prints now."""
    if said is None or said.source.repo != REPO_INFO:
        return None
    text = _text(checkout, said.source.file)
    found, created = repo_info.config(text), repo_info.on_disk(text)
    if found is None:
        return _Said(f"{ref} config: {said.source.file} prints no command in this checkout (kept)", False)
    cmd, printed = found[0], dict(found[1])
    env = {name: printed[name] for name, _ in said.env if name in printed}
    if (cmd, env) == (said.cmd, dict(said.env)):
        return None
    commit = _last_commit(checkout, said.source.file)
    note = f", note: {json.dumps(said.source.note)}" if said.source.note else ""
    return _Said(f"{ref} config: {list(said.cmd)} {dict(said.env)} -> {list(cmd)} {env}; paste:\n"
                 f"  config:\n    cmd: {json.dumps(list(cmd))}\n    env: {json.dumps(env)}\n"
                 f"    source: {{repo: {REPO_INFO}, file: {said.source.file},\n"
                 f"             commit: {commit}, date: \"{created.date if created else said.source.date}\"{note}}}",
                 True)


def _text(checkout: Path, file: str) -> str:
    path = checkout / file
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _last_commit(checkout: Path, file: str) -> str:
    done = subprocess.run(["git", "-C", str(checkout), "log", "-1", "--format=%H", "--", file],
                          capture_output=True, text=True)
    return done.stdout.strip() or "unknown"
