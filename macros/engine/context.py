"""Build contexts: which files the engine receives, packed as the docker CLI packs them."""
from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from docker.utils.build import exclude_paths, tar

# The Dockerfile travels inside the context under this name when it lives outside the context
# folder (dockerfiles/Dockerfile.x with context go-app/), and .dockerignore names it so that
# `COPY . .` does not copy it, exactly as the docker CLI does with a random name.
EMBEDDED_DOCKERFILE = ".dockerfile.smallest-go"


@dataclass(frozen=True)
class Context:
    root: Path
    dockerfile: Path
    dockerfile_text: str       # read once, by whoever made the Context
    patterns: tuple[str, ...]  # from the context's .dockerignore

    @property
    def dockerfile_name(self) -> str:
        """The Dockerfile's name inside the context tar."""
        if self.dockerfile.parent.resolve() == self.root.resolve():
            return self.dockerfile.name
        return EMBEDDED_DOCKERFILE

    def files(self) -> list[str]:
        """Paths (relative, sorted) that the engine will receive, after .dockerignore."""
        return sorted(exclude_paths(str(self.root), list(self.patterns), dockerfile=self.dockerfile_name))

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

    def open_tar(self) -> IO[bytes]:
        """The context as an uncompressed tar in an anonymous temporary file (nothing is left on
        disk even if the process is killed), positioned at its start."""
        target = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, who closes it
        if self.dockerfile_name == EMBEDDED_DOCKERFILE:
            embedded = (EMBEDDED_DOCKERFILE, self.dockerfile_text)
            return tar(str(self.root), exclude=list(self.patterns), dockerfile=embedded, fileobj=target)
        return tar(str(self.root), exclude=list(self.patterns), fileobj=target)


def for_folder(root: Path, dockerfile: Path, *, text: str | None = None) -> Context:
    """A context rooted at `root`, honouring its .dockerignore the way docker-py reads it."""
    ignore = root / ".dockerignore"
    patterns: list[str] = []
    if ignore.is_file():
        lines = (line.strip() for line in ignore.read_text(encoding="utf-8").splitlines())
        patterns = [line for line in lines if line and not line.startswith("#")]
    if text is None:
        text = dockerfile.read_text(encoding="utf-8")
    return Context(root=root, dockerfile=dockerfile, dockerfile_text=text, patterns=tuple(patterns))
