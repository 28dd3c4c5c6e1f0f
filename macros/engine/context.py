"""Build contexts: the folder the builder receives, which of its files it sends, and their digest."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from docker.utils.build import exclude_paths

# The Dockerfile goes to the builder on its own (buildkit.py), never as a file of the context; the
# file list is asked for with this name, which no context holds, so that no file is kept back
# from .dockerignore on the Dockerfile's account (docker-py's exclude_paths always keeps the one
# it is told is the Dockerfile).
_NOT_IN_ANY_CONTEXT = ".dockerfile.smallest-go"


@dataclass(frozen=True)
class Context:
    root: Path
    dockerfile: Path
    dockerfile_text: str       # read once, by whoever made the Context
    patterns: tuple[str, ...]  # from `ignore_file`
    ignore_file: Path | None   # the ignore file the builder reads (see `ignore_file_of`), if any

    def keeps_out(self) -> str:
        """The ignore file, as a message names it."""
        if self.ignore_file is None or self.ignore_file.parent == self.root:
            return "its .dockerignore"
        return f"{self.ignore_file.parent.name}/{self.ignore_file.name}"

    def files(self) -> list[str]:
        """Paths (relative, sorted) that the builder will receive, after .dockerignore."""
        return sorted(exclude_paths(str(self.root), list(self.patterns), dockerfile=_NOT_IN_ANY_CONTEXT))

    def digest(self) -> str:
        """sha256 over every file sent (name, executable bit, bytes) and the Dockerfile bytes."""
        h = hashlib.sha256()
        h.update(b"dockerfile\0" + self.dockerfile_text.encode("utf-8") + b"\0")
        for rel in self.files():
            path = self.root / rel
            if path.is_symlink():
                h.update(f"link\0{rel}\0{path.readlink()}\0".encode())
            elif path.is_file():
                h.update(f"file\0{rel}\0{os.access(path, os.X_OK)}\0".encode())
                with path.open("rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        h.update(block)
            else:
                h.update(f"dir\0{rel}\0".encode())
        return h.hexdigest()


def ignore_file_of(root: Path, dockerfile: Path) -> Path | None:
    """The ignore file BuildKit reads for a build: the Dockerfile's own (`<its name>.dockerignore`,
    beside it) if it has one, else the context's `.dockerignore`."""
    return next((f for f in (dockerfile.with_name(f"{dockerfile.name}.dockerignore"), root / ".dockerignore")
                 if f.is_file()), None)


def for_folder(root: Path, dockerfile: Path, *, text: str | None = None) -> Context:
    """A context rooted at `root`, honouring the ignore file BuildKit reads, the way docker-py
    reads patterns."""
    ignore = ignore_file_of(root, dockerfile)
    patterns: list[str] = []
    if ignore is not None:
        lines = (line.strip() for line in ignore.read_text(encoding="utf-8").splitlines())
        patterns = [line for line in lines if line and not line.startswith("#")]
    if text is None:
        text = dockerfile.read_text(encoding="utf-8")
    return Context(root=root, dockerfile=dockerfile, dockerfile_text=text, patterns=tuple(patterns),
                   ignore_file=ignore)
