"""The image diff against the real engine: a variant compared with another shows, on the page,
the files its Dockerfile adds, with their bytes; the same Dockerfile shows nothing moved."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from macros.measure.doc_build import measure_all
from macros.model.settings import CACHE_ENV, VARIANTS_ENV, Settings
from macros.pages import diff_macros
from macros.pages.page import Page

from tests.helpers import seeded_cache, write_variants

pytestmark = pytest.mark.docker
BLOB_BYTES = 123_457  # an odd size, so its figure cannot be anyone else's


def _dockerfile(extra: str = "") -> str:
    return f'FROM debian:bookworm\n{extra}CMD ["echo", "fine"]\n'


def test_a_file_one_more_dockerfile_adds_appears_in_the_pair_s_explanation(tmp_path: Path) -> None:
    rest = '    binary: ""\n    expect: {exit_code: 0, stdout: "fine\\n"}'
    path = write_variants(tmp_path, {"pytest-before": (_dockerfile(), rest),
                                     "pytest-after": (_dockerfile(), rest + "\n    against: pytest-before")})
    settings = Settings.read({**os.environ, VARIANTS_ENV: str(path),
                              CACHE_ENV: str(seeded_cache(tmp_path / "cache"))})

    def explained() -> str:
        session = measure_all(settings)
        return diff_macros.what_moved(Page(session, settings), "pytest-before", "pytest-after")

    same = explained()
    assert "byte for byte" in same, same
    (tmp_path / "Dockerfile.pytest-after").write_text(
        _dockerfile(f"RUN mkdir -p /opt/pytest-extra && head -c {BLOB_BYTES} /dev/zero > /opt/pytest-extra/blob\n"))
    moved = explained()
    assert "<code>/opt/pytest-extra</code>" in moved and "one file added" in moved, moved
    assert diff_macros.signed(BLOB_BYTES) in moved, moved  # "+123kB", as the table prints it
    [group] = [m for d in measure_all(settings).diffs for m in d.moved]
    assert (group.where, group.added_bytes, group.package) == ("/opt/pytest-extra", BLOB_BYTES, "")
