"""Where the project keeps things, relative to the repository root."""
from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCKERFILES = REPO / "dockerfiles"
# SMALLEST_GO_VARIANTS points the build at another variants file (the tests' throwaway variants).
VARIANTS_FILE = Path(os.environ.get("SMALLEST_GO_VARIANTS", DOCKERFILES / "variants.yml"))
BASES_FILE = DOCKERFILES / "bases" / "bases.yml"
# Git-ignored; SMALLEST_GO_CACHE moves it (tests use a temporary folder).
CACHE = Path(os.environ.get("SMALLEST_GO_CACHE", REPO / ".cache"))
DOWNLOADS = CACHE / "downloads"
