"""Faithful bases, pure logic: upstream's published facts, the comparison, and the readers of
repo-info's pages and of an image's package records. No engine."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from macros.errors import ConfigError
from macros.measure import contents
from macros.measure.recipes import load_recipes
from macros.model import repo_info, upstream
from macros.model.fidelity import Fidelity, compare
from macros.model.records import Account, Gap
from macros.model.settings import BASES_ENV, Settings

from tests.factories import NONROOT, ROOT, runs_as_nonroot

SETTINGS = Settings()
PUBLISHED = upstream.load(SETTINGS.upstream_file)
RECIPES = load_recipes(SETTINGS)


def test_every_upstream_entry_is_the_image_of_a_recipe_and_cites_a_pinned_source() -> None:
    compared = {recipe.upstream or ref for ref, recipe in RECIPES.items()}
    assert PUBLISHED and set(PUBLISHED) <= compared, set(PUBLISHED) - compared
    for entry in PUBLISHED.values():
        for part in (entry.size, entry.transfer, entry.packages, entry.accounts, entry.user):
            if part is not None:
                assert part.source.url.startswith(f"https://github.com/{part.source.repo}/blob/{part.source.commit}/")


def test_every_stand_in_recipe_names_the_definition_it_follows() -> None:
    shipped_or_built = [ref for ref, recipe in RECIPES.items() if recipe.folder.name != "registry-2"]
    for ref in shipped_or_built:
        follows = RECIPES[ref].follows
        assert follows.get("source", "").startswith("https://") and follows.get("date"), ref


def _entry(**parts: object) -> upstream.Upstream:
    source = upstream.Source("owner/repo", "file.md", "0123456789abcdef", "2026-01-01")
    return upstream.Upstream(
        "img:tag",
        upstream.Figure(parts["size"], source) if "size" in parts else None,  # type: ignore[arg-type]
        None,
        upstream.PackageSet(tuple(parts["packages"]), source) if "packages" in parts else None,  # type: ignore[arg-type]
    )


def test_a_missing_and_an_extra_package_are_named_with_their_source() -> None:
    f = compare(_entry(packages=["base-files", "tzdata", "tzdata-legacy"]),
                packages=frozenset({"base-files", "tzdata", "bash"}), size_bytes=100, transfer_bytes=None,
                follows={}, gaps=(), tolerance_percent=2)
    assert not f.ok and f.packages_missing == ("tzdata-legacy",) and f.packages_extra == ("bash",)
    said = "\n".join(f.problems(reference="img:tag", size_bytes=100))
    assert "img:tag: one package missing against upstream (owner/repo file.md at 01234567, 2026-01-01): tzdata-legacy" in said
    assert "that upstream does not have" in said and "bash" in said


def test_a_size_past_its_tolerance_fails_with_both_figures_and_one_within_passes() -> None:
    far = compare(_entry(size=1_000_000), packages=None, size_bytes=1_030_000, transfer_bytes=None,
                  follows={}, gaps=(), tolerance_percent=2)
    assert not far.ok and far.size_deviation_percent == 3.0
    assert far.problems(reference="img:tag", size_bytes=1_030_000) == [
        "img:tag: 1,030,000 bytes against upstream's 1,000,000 (owner/repo file.md at 01234567, 2026-01-01): "
        "+3.00%, past its tolerance of 2%"]
    near = compare(_entry(size=1_000_000), packages=None, size_bytes=980_000, transfer_bytes=None,
                   follows={}, gaps=(Gap("a", "b"),), tolerance_percent=2)
    assert near.ok and near.problems(reference="img:tag", size_bytes=980_000) == []


def test_accounts_and_the_user_a_stand_in_runs_as_are_held_against_upstreams(tmp_path: Path) -> None:
    source = "{repo: owner/repo, file: def.yaml, commit: 0123456789abcdef, date: '2026-01-01'}"
    (tmp_path / "upstream.yml").write_text(
        f"img:tag:\n{runs_as_nonroot(source)}"
        f"img:any-folder:\n  accounts: {{users: [{{name: root, uid: 0}}], source: {source}}}\n"
        f"  user: {{runs_as: '0', source: {source}}}\n")
    published = upstream.load(tmp_path / "upstream.yml")

    def held(ref: str, accounts: tuple[Account, ...], user: str, working_dir: str) -> object:
        return compare(published[ref], packages=None, size_bytes=1, transfer_bytes=None, follows={}, gaps=(),
                       tolerance_percent=2, accounts=accounts, user=user, working_dir=working_dir)

    same = held("img:tag", (ROOT, NONROOT), "65532:65532", "/home/nonroot")  # by UID, as distroless names it
    assert same.ok and same.summary() == "same users" and same.runs_as_ours == "nonroot (UID 65532) in /home/nonroot"
    other = held("img:tag", (ROOT, Account("nobody", 65534, "/"), Account("nonroot", 1000, "/")), "", "")
    assert not other.ok and other.summary() == "other users"
    assert other.accounts_missing == ("nonroot (UID 65532)",)
    assert other.accounts_extra == ("nobody (UID 65534)", "nonroot (UID 1000)")
    said = other.problems(reference="img:tag", size_bytes=1)
    where = "owner/repo def.yaml at 01234567, 2026-01-01"
    assert said == [f"img:tag: one account missing against upstream ({where}): nonroot (UID 65532)",
                    f"img:tag: 2 accounts that upstream does not declare ({where}): nobody (UID 65534), nonroot (UID 1000)",
                    f"img:tag: runs as root (UID 0) in / against upstream's nonroot (UID 65532) in /home/nonroot ({where})"]
    elsewhere = held("img:tag", (ROOT, NONROOT), "nonroot", "/")
    assert elsewhere.problems(reference="img:tag", size_bytes=1) == [
        f"img:tag: runs as nonroot (UID 65532) in / against upstream's nonroot (UID 65532) in /home/nonroot ({where})"]
    undeclared = held("img:tag", (ROOT, NONROOT), "app", "/home/nonroot")
    assert undeclared.runs_as_ours == "'app', which no account declares in /home/nonroot" and not undeclared.ok
    # upstream names no folder: the stand-in's is not compared; a stand-in of an image that
    # publishes no accounts is not held to any
    assert held("img:any-folder", (ROOT,), "", "/srv").ok
    assert compare(None, packages=None, size_bytes=1, transfer_bytes=None, follows={}, gaps=(), tolerance_percent=2,
                   accounts=(), user="app").users_match


def test_a_user_without_the_accounts_that_resolve_it_is_refused(tmp_path: Path) -> None:
    (tmp_path / "upstream.yml").write_text(
        "img:tag:\n  user: {runs_as: nonroot, source: {repo: o/r, file: f, commit: 0123456, date: '2026-01-01'}}\n")
    with pytest.raises(ConfigError, match=r"img:tag.*accounts"):
        upstream.load(tmp_path / "upstream.yml")


def test_the_command_and_each_variable_upstream_lists_are_held_against_upstreams(tmp_path: Path) -> None:
    """The configuration as repo-info lists it: the same command, and every variable it lists set to
    the same value; a variable the record does not list (it says why in its note) is not compared."""
    (tmp_path / "upstream.yml").write_text(
        "img:tag:\n  config:\n    cmd: [bash]\n    env: {PATH: /go/bin:/usr/bin, GOPATH: /go}\n"
        "    source: {repo: o/r, file: local/tag.md, commit: abc1234, date: '2026-01-01', note: one left out}\n")
    said = upstream.load(tmp_path / "upstream.yml")["img:tag"]

    def held(cmd: tuple[str, ...], env: tuple[str, ...]) -> Fidelity:
        return compare(said, packages=None, size_bytes=5, transfer_bytes=None, follows={}, gaps=(),
                       tolerance_percent=2, cmd=cmd, env=env)

    same = held(("bash",), ("PATH=/go/bin:/usr/bin", "GOPATH=/go", "GOLANG_VERSION=1.27.3"))
    assert same.ok and same.config_match and same.summary() == "same command and environment"
    other = held(("sh", "-c"), ("PATH=/usr/bin", "GOPATH"))
    assert not other.ok and other.summary() == "other command or environment"
    assert other.config_differences == ('command ["sh", "-c"] against upstream\'s ["bash"]',
                                        "PATH=/usr/bin against upstream's /go/bin:/usr/bin",
                                        "GOPATH= against upstream's /go")
    missing = held(("bash",), ("PATH=/go/bin:/usr/bin",))
    assert missing.problems(reference="img:tag", size_bytes=5) == [
        "img:tag: GOPATH not set, where upstream sets it to /go (o/r local/tag.md at abc1234, 2026-01-01)"]
    assert missing.as_dict()["config_differences"] == ["GOPATH not set, where upstream sets it to /go"]
    assert missing.as_dict()["config_source"]["url"] == "https://github.com/o/r/blob/abc1234/local/tag.md"
    (tmp_path / "upstream.yml").write_text(
        "img:tag:\n  config: {cmd: [bash], source: {repo: o/r, file: f, commit: abc1234, date: '2026-01-01'}}\n")
    with pytest.raises(ConfigError, match=r"img:tag.*env"):
        upstream.load(tmp_path / "upstream.yml")


def test_nothing_published_compares_nothing_and_passes() -> None:
    f = compare(None, packages=frozenset({"x"}), size_bytes=5, transfer_bytes=5, follows={}, gaps=(), tolerance_percent=2)
    assert f.ok and f.upstream == "" and f.size_deviation_percent is None and f.packages_source is None


def test_a_malformed_upstream_file_names_the_entry(tmp_path: Path) -> None:
    bad = tmp_path / "upstream.yml"
    bad.write_text(yaml.safe_dump({"debian:trixie": {"size": {"bytes": "big"}}}))
    with pytest.raises(ConfigError) as caught:
        upstream.load(bad)
    assert "debian:trixie" in caught.value.message


def test_repo_info_pages_are_read_for_the_size_the_date_and_the_amd64_transfer() -> None:
    local = ("# `debian:x`\n\n## Docker Metadata\n\n- Image ID: `sha256:ab`\n- Created: `2026-08-24T00:00:00Z`\n"
             "- Virtual Size: ~ 119.92 Mb  \n  (total size of all layers on-disk)\n")
    assert repo_info.on_disk(local) == repo_info.Read(119_920_000, "2026-08-24")
    remote = ("## `debian:x`\n\n### `debian:x` - linux; arm64 variant v8\n\n-\tTotal Size: **9 MB (9000000 bytes)**  \n"
              "### `debian:x` - linux; amd64\n\n-\tTotal Size: **49.3 MB (49312314 bytes)**  \n\n```dockerfile\n"
              "# Mon, 03 Aug 2026 00:00:00 GMT\nRUN # debian.sh\n```\n\n### `debian:x` - unknown; unknown\n")
    assert repo_info.transfer(remote) == repo_info.Read(49_312_314, "2026-08-03")
    assert repo_info.transfer("## `debian:x`\n\n-\tPlatforms: 0\n") is None and repo_info.on_disk("") is None


def test_repo_info_pages_are_read_for_the_command_and_the_environment() -> None:
    local = ("# `golang:x`\n\n## Docker Metadata\n\n- Arch: `linux`/`amd64`\n- Command: `[\"bash\"]`\n"
             "- Environment:\n  - `PATH=/go/bin:/usr/bin`\n  - `GOLANG_VERSION=1.27.0`\n\n## `dpkg`\n\n- `x`\n")
    assert repo_info.config(local) == (("bash",), (("PATH", "/go/bin:/usr/bin"), ("GOLANG_VERSION", "1.27.0")))
    assert repo_info.config("# `x`\n\n## Docker Metadata\n\n- Arch: `linux`\n") is None


def test_the_upstream_command_says_which_configuration_moved_and_keeps_what_an_entry_leaves_out(
        tmp_path: Path) -> None:
    """`python -m macros upstream CHECKOUT` against a checkout whose record changed the size and the
    PATH and carries a variable the entry leaves out: both are printed to paste, the other stays out."""
    from tests.helpers import cli
    record = tmp_path / "checkout" / "repos" / "img" / "local" / "tag.md"
    record.parent.mkdir(parents=True)
    record.write_text("# `img:tag`\n\n## Docker Metadata\n\n- Created: `2026-10-01T00:00:00Z`\n"
                      "- Virtual Size: ~ 1.00 Mb  \n- Command: `[\"bash\"]`\n- Environment:\n"
                      "  - `PATH=/new:/usr/bin`\n  - `LEFT_OUT=2`\n")
    (tmp_path / "bases.yml").write_text("{}\n")
    (tmp_path / "upstream.yml").write_text(
        "img:tag:\n  size: {bytes: 2000000, source: {repo: docker-library/repo-info, file: repos/img/local/tag.md,"
        " commit: abc1234, date: '2026-09-01'}}\n  config:\n    cmd: [bash]\n    env: {PATH: /usr/bin}\n"
        "    source: {repo: docker-library/repo-info, file: repos/img/local/tag.md, commit: abc1234,"
        " date: '2026-09-01', note: LEFT_OUT is left out}\n")
    done = cli("upstream", str(tmp_path / "checkout"), env={BASES_ENV: str(tmp_path / "bases.yml")})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "img:tag config: ['bash'] {'PATH': '/usr/bin'} -> ['bash'] {'PATH': '/new:/usr/bin'}; paste:" in done.stdout
    assert 'env: {"PATH": "/new:/usr/bin"}' in done.stdout and "LEFT_OUT=2" not in done.stdout
    assert 'date: "2026-10-01", note: "LEFT_OUT is left out"}' in done.stdout
    assert "img:tag size: 2,000,000 (2026-09-01) -> 1,000,000 (2026-10-01); paste:" in done.stdout
    assert "2 facts of repo-info's moved in" in done.stdout


def test_package_names_come_from_dpkg_status_or_from_status_d_records() -> None:
    status = (b"Package: libc6\nStatus: install ok installed\nVersion: 2.41\n\n"
              b"Package: gone\nStatus: deinstall ok config-files\n\nPackage: bash\nStatus: install ok installed\n")
    assert contents.installed_names({"var/lib/dpkg/status": status}) == frozenset({"libc6", "bash"})
    records = {"var/lib/dpkg/status.d/tzdata": b"Package: tzdata\nVersion: 2026a\n",
               "var/lib/dpkg/status.d/tzdata.md5sums": b"00 file\n",
               "var/lib/dpkg/status.d/libdb5.3t64": b"Package: libdb5.3t64\n"}
    assert contents.installed_names(records) == frozenset({"tzdata", "libdb5.3t64"})
    assert contents.installed_names({"etc/os-release": b"ID=debian\n"}) is None
    # a database read from the image by itself (engine/images.read_files) is named as the archive names it
    assert contents.PACKAGE_DATABASES[1].names({"status.d/tzdata": b"Package: tzdata\n"}) == frozenset({"tzdata"})
