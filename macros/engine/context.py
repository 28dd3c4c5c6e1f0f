"""Build contexts: the folder the builder receives, which of its files it sends, and their digest."""
from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from e2b_dockerfile_utils import PatternMatcher

from ..errors import ConfigError


@dataclass(frozen=True)
class Context:
    root: Path
    dockerfile: Path
    dockerfile_text: str       # read once, by whoever made the Context
    ignore_file: Path | None   # the ignore file the builder reads (see `ignore_file_of`), if any
    matcher: PatternMatcher    # its patterns, as BuildKit applies them (none without one)

    def keeps_out(self) -> str:
        """The ignore file, as a message names it."""
        if self.ignore_file is None or self.ignore_file.parent == self.root:
            return "its .dockerignore"
        return f"{self.ignore_file.parent.name}/{self.ignore_file.name}"

    def files(self) -> list[str]:
        """Paths (relative, sorted) that the builder will receive, decided as BuildKit decides them
        (moby/patternmatcher's rules, in a port of it): a path is left out when the last pattern
        that matches it or a folder above it excludes it, and a folder left out is still walked
        when a `!` pattern could bring back something in it."""
        matcher, sent = self.matcher, list[str]()
        for folder, dirs, names in os.walk(self.root):
            here = Path(folder).relative_to(self.root)
            walked = []
            for name in dirs:
                rel = (here / name).as_posix()
                if not matcher.matches(rel):
                    sent.append(rel)
                    walked.append(name)
                elif matcher.may_match_under(rel):
                    walked.append(name)
            dirs[:] = walked
            sent.extend(rel for name in names if not matcher.matches(rel := (here / name).as_posix()))
        return sorted(sent)

    def digest(self) -> str:
        """sha256 over every path sent (name, permission bits, and a file's bytes or a link's target)
        and the Dockerfile bytes. A COPY keeps the permission bits, so they are in the image's
        layers (and the diffs that list its files) as much as the bytes are."""
        h = hashlib.sha256()
        h.update(b"dockerfile\0" + self.dockerfile_text.encode("utf-8") + b"\0")
        for rel in self.files():
            path = self.root / rel
            if path.is_symlink():
                h.update(f"link\0{rel}\0{path.readlink()}\0".encode())
            elif path.is_file():
                h.update(f"file\0{rel}\0{_mode(path)}\0".encode())
                with path.open("rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        h.update(block)
            else:
                h.update(f"dir\0{rel}\0{_mode(path)}\0".encode())
        return h.hexdigest()


def _mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


def ignore_file_of(root: Path, dockerfile: Path) -> Path | None:
    """The ignore file BuildKit reads for a build: the Dockerfile's own (`<its name>.dockerignore`,
    beside it) if it has one, else the context's `.dockerignore`."""
    return next((f for f in (dockerfile.with_name(f"{dockerfile.name}.dockerignore"), root / ".dockerignore")
                 if f.is_file()), None)


def for_folder(root: Path, dockerfile: Path, *, text: str | None = None) -> Context:
    """A context rooted at `root`, with the patterns of the ignore file BuildKit reads (its lines
    as written: the matcher drops comments and blank lines, as BuildKit's reader does)."""
    ignore = ignore_file_of(root, dockerfile)
    lines = ignore.read_text(encoding="utf-8-sig").splitlines() if ignore is not None else []
    try:
        matcher = PatternMatcher(lines)
    except ValueError as exc:
        raise ConfigError(f"{ignore}: {exc}", hint="Correct the pattern: .dockerignore patterns are Go's "
                          "filepath.Match patterns, with ** for any number of folders.") from None
    if text is None:
        text = dockerfile.read_text(encoding="utf-8")
    return Context(root=root, dockerfile=dockerfile, dockerfile_text=text, ignore_file=ignore, matcher=matcher)
