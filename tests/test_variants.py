from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from macros.errors import ConfigError
from macros.model import variants
from macros.model.checks import names
from macros.model.parts import CHECKED, PARTS
from macros.model.settings import Settings
from macros.model.variants_schema import VARIANTS_SCHEMA

REPO = Path(__file__).resolve().parent.parent

GOOD = """
variants:
  - id: hello
    title: Hello
    description: one line
    expect: {exit_code: 0, stderr: "Hello, World!\\n"}
"""


def _repo(tmp_path: Path, text: str) -> Path:
    (tmp_path / "go-app").mkdir()
    (tmp_path / "dockerfiles").mkdir()
    (tmp_path / "dockerfiles" / "Dockerfile.hello").write_text("FROM scratch\n")
    path = tmp_path / "dockerfiles" / "variants.yml"
    path.write_text(text)
    return path


def _error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        variants.load(Settings.read(), path=_repo(tmp_path, text), repo=tmp_path)
    return str(caught.value)


def _ids(entry: dict) -> list[str]:
    """An entry's variant ids: its own, or one per value of its matrix."""
    if "matrix" not in entry:
        return [entry["id"]]
    [values] = entry["matrix"].values()
    return [f"{entry['id']}-{value if isinstance(value, str) else value['value']}" for value in values]


def test_the_projects_variants_file_loads() -> None:
    loaded = variants.load(Settings.read())
    data = yaml.safe_load((REPO / "dockerfiles" / "variants.yml").read_text())
    entries = [(vid, e) for e in data["variants"] for vid in _ids(e)]
    assert [v.id for v in loaded] == [vid for vid, _ in entries]
    for v, (_, entry) in zip(loaded, entries, strict=True):
        assert v.dockerfile.is_file() and v.context == REPO / entry.get("context", "go-app")
        assert v.part == entry.get("part", "base") and v.part in PARTS
        assert (v.expect.fails_with is None) == ("exit_code" in entry["expect"])


def test_defaults(tmp_path: Path) -> None:
    [v] = variants.load(Settings.read(), path=_repo(tmp_path, GOOD), repo=tmp_path)
    assert v.dockerfile.name == "Dockerfile.hello" and v.context == tmp_path / "go-app"
    assert (v.binary, v.timeout_s, v.expect.stdout) == ("/main", 30.0, None)


def test_unknown_key_names_file_entry_and_key(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD + "    colour: blue\n")
    assert "variants.yml" in message and "'hello'" in message and "'colour'" in message


def test_unknown_key_inside_expect(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.replace("exit_code: 0", "exit_code: 0, exitcode: 1"))
    assert "'hello'" in message and "'exitcode'" in message and "expect" in message


def test_a_tolerance_is_a_share_or_a_size(tmp_path: Path) -> None:
    for n, good in enumerate(("2%", "0.5%", "0B", "50kB", "1.5MB")):
        repo = tmp_path / str(n)
        repo.mkdir()
        [v] = variants.load(Settings.read(), path=_repo(repo, GOOD + f'    tolerance: "{good}"\n'), repo=repo)
        assert v.tolerance == good
    (tmp_path / "bad").mkdir()
    message = _error(tmp_path / "bad", GOOD + '    tolerance: "5 percent"\n')
    assert "'hello'" in message and "key 'tolerance': '5 percent' is not a share of the size" in message and "kB" in message


def test_a_value_that_breaks_a_pattern_is_told_what_it_must_be(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.replace("id: hello", "id: My Variant"))
    assert "key 'id': 'My Variant' is not an id: lower-case letters, digits, dots and hyphens" in message, message
    assert "^[" not in message  # the words, not the regular expression


def test_every_pattern_of_the_variants_file_says_in_words_what_it_wants() -> None:
    def patterns(node: object) -> list[dict]:
        if isinstance(node, dict):
            return ([node] if "pattern" in node else []) + [p for v in node.values() for p in patterns(v)]
        return [p for v in node for p in patterns(v)] if isinstance(node, list) else []
    found = patterns(VARIANTS_SCHEMA)
    assert found and all(isinstance(p.get("description"), str) for p in found), found


def test_a_build_argument_no_arg_line_declares_is_refused(tmp_path: Path) -> None:
    # BuildKit only warns of it ("were not consumed"), and builds with the default: a typo goes unseen
    entry = GOOD + '    build_args: {GO_VERSON: "1.27", HTTPS_PROXY: "http://proxy:3128"}\n'
    path = _repo(tmp_path, entry)
    (tmp_path / "dockerfiles" / "Dockerfile.hello").write_text("ARG GO_VERSION=1.26\nFROM scratch\n")
    with pytest.raises(ConfigError) as caught:
        variants.load(Settings.read(), path=path, repo=tmp_path)
    message = str(caught.value)
    assert "variant 'hello': key 'build_args': GO_VERSON is declared by no ARG line of Dockerfile.hello" in message
    assert "(did you mean 'GO_VERSION'?)" in message and "HTTPS_PROXY" not in message, message
    path.write_text(entry.replace("GO_VERSON", "GO_VERSION"))  # declared, and a proxy every build takes
    [loaded] = variants.load(Settings.read(), path=path, repo=tmp_path)
    assert loaded.build_args == {"GO_VERSION": "1.27", "HTTPS_PROXY": "http://proxy:3128"}


def test_a_variant_of_the_checks_part_declares_the_checks_programs_answers(tmp_path: Path) -> None:
    part = sorted(CHECKED)[0]
    wrong = GOOD.replace("    expect:", f"    part: {part}\n    expect:").replace(
        'stderr: "Hello, World!\\n"', 'stdout: "Hello, World!\\n"')
    (tmp_path / "wrong").mkdir()
    message = _error(tmp_path / "wrong", wrong)
    assert "key 'part'" in message and "checks program's answers" in message and "checks-app" in message, message
    (tmp_path / "right").mkdir()
    right = wrong.replace('stdout: "Hello, World!\\n"', 'stdout: "trust: ok (ISRG Root X1)\\nnot root: x\\n"')
    [loaded] = variants.load(Settings.read(), path=_repo(tmp_path / "right", right), repo=tmp_path / "right")
    assert loaded.part == part


def test_missing_key(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.replace("    title: Hello\n", ""))
    assert "'hello'" in message and "'title'" in message


def test_duplicate_ids(tmp_path: Path) -> None:
    entry = GOOD.split("variants:\n")[1]
    assert "used twice" in _error(tmp_path, GOOD + entry)


def test_duplicate_titles(tmp_path: Path) -> None:
    """The pages and the navigation list variants by title: two with one title cannot be told apart."""
    other = GOOD.split("variants:\n")[1].replace("id: hello", "id: hello-again")
    message = _error(tmp_path, GOOD + other)
    assert "variant 'hello-again'" in message and "the title 'Hello' is also variant 'hello''s" in message


@pytest.mark.parametrize(("entry", "key"), [
    ("    build_args: {GO_VERSION: 1.20}\n", "build_args/GO_VERSION"),
    ("    matrix: {GO_VERSION: [1.20, \"1.21\"]}\n", "matrix/GO_VERSION/0"),
], ids=["build-arg", "matrix-value"])
def test_an_unquoted_version_is_told_to_be_quoted(tmp_path: Path, entry: str, key: str) -> None:
    """YAML reads an unquoted 1.20 as the number 1.2: the message shows the number it read."""
    with pytest.raises(ConfigError) as caught:
        variants.load(Settings.read(), path=_repo(tmp_path, GOOD + entry), repo=tmp_path)
    assert caught.value.message.endswith(f"variant 'hello': key {key!r}: 1.2 is a number to YAML, and this key "
                                         "takes text"), caught.value.message
    assert caught.value.hint.startswith('Quote the value as you meant it ("1.20", not 1.20')


def test_a_dockerfile_that_is_a_folder_is_named_so(tmp_path: Path) -> None:
    path = _repo(tmp_path, GOOD.replace("title: Hello", "title: Hello\n    dockerfile: sub"))
    (path.parent / "sub").mkdir()
    with pytest.raises(ConfigError) as caught:
        variants.load(Settings.read(), path=path, repo=tmp_path)
    assert caught.value.message.endswith(f"key 'dockerfile': {path.parent / 'sub'} is a folder, not a file")


def test_missing_dockerfile(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.replace("title: Hello", "title: Hello\n    dockerfile: Dockerfile.nope"))
    assert "'dockerfile'" in message and "Dockerfile.nope" in message and "does not exist" in message


def test_context_outside_the_repository(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.replace("title: Hello", "title: Hello\n    context: ../.."))
    assert "'context'" in message and "outside the repository" in message


def test_expect_needs_exactly_one_kind(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.replace("exit_code: 0,", "exit_code: 0, fails_with: x,"))
    assert "'expect'" in message


def test_not_yaml(tmp_path: Path) -> None:
    assert "not valid YAML" in _error(tmp_path, "variants: [\n")


def test_an_unknown_part_names_the_choices(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.replace("    description: one line", "    description: one line\n    part: three"))
    assert "'hello'" in message and "part" in message and "'binary'" in message


MATRIX = """
variants:
  - id: go
    title: "Go {GO_VERSION}"
    description: built with {GO_VERSION}
    build_args: {CGO_ENABLED: "0"}
    matrix:
      GO_VERSION: ["1.21", "1.27"]
    expect: {exit_code: 0}
"""


def test_a_matrix_entry_expands_to_one_variant_per_value(tmp_path: Path) -> None:
    (tmp_path / "go-app").mkdir()
    (tmp_path / "dockerfiles").mkdir()
    (tmp_path / "dockerfiles" / "Dockerfile.go").write_text(
        "ARG GO_VERSION=1.21\nFROM golang:${GO_VERSION}-bullseye\nARG CGO_ENABLED\n")
    path = tmp_path / "dockerfiles" / "variants.yml"
    path.write_text(MATRIX)
    loaded = variants.load(Settings.read(), path=path, repo=tmp_path)
    assert [(v.id, v.title, v.description) for v in loaded] == [
        ("go-1.21", "Go 1.21", "built with 1.21"), ("go-1.27", "Go 1.27", "built with 1.27")]
    assert [v.bases for v in loaded] == [("golang:1.21-bullseye",), ("golang:1.27-bullseye",)]
    assert loaded[1].build_args == {"CGO_ENABLED": "0", "GO_VERSION": "1.27"}
    assert {v.family for v in loaded} == {"go"} and loaded[0].build_args["GO_VERSION"] == "1.21"


def test_a_matrix_value_that_collides_is_named(tmp_path: Path) -> None:
    text = MATRIX + """  - id: go-1.27
    title: t
    description: d
    expect: {exit_code: 0}
"""
    path = _repo(tmp_path, text)
    (path.parent / "Dockerfile.go-1.27").write_text("FROM scratch\n")
    (path.parent / "Dockerfile.go").write_text("ARG GO_VERSION\nFROM golang:${GO_VERSION}\nARG CGO_ENABLED\n")
    with pytest.raises(ConfigError, match=r"the id 'go-1\.27' is used twice"):
        variants.load(Settings.read(), path=path, repo=tmp_path)


def test_a_matrix_must_name_one_argument_with_values(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.replace("    expect:", "    matrix: {GO_VERSION: []}\n    expect:"))
    assert "'hello'" in message and "matrix" in message


def test_a_matrix_value_may_bring_its_own_build_arguments(tmp_path: Path) -> None:
    (tmp_path / "go-app").mkdir()
    (tmp_path / "dockerfiles").mkdir()
    (tmp_path / "dockerfiles" / "Dockerfile.go").write_text(
        "ARG GO_VERSION=1.21\nARG SUITE=bullseye\nFROM golang:${GO_VERSION}-${SUITE}\nARG CGO_ENABLED\n")
    path = tmp_path / "dockerfiles" / "variants.yml"
    path.write_text(MATRIX.replace('GO_VERSION: ["1.21", "1.27"]',
                                   'GO_VERSION: [{value: "1.19", build_args: {SUITE: bookworm}}, "1.27"]'))
    loaded = variants.load(Settings.read(), path=path, repo=tmp_path)
    assert [v.id for v in loaded] == ["go-1.19", "go-1.27"]
    assert [v.bases for v in loaded] == [("golang:1.19-bookworm",), ("golang:1.27-bullseye",)]
    assert loaded[0].build_args == {"CGO_ENABLED": "0", "SUITE": "bookworm", "GO_VERSION": "1.19"}


EDITIONS = GOOD + """    edition: "2022"
  - id: hello-2026
    title: Hello, today
    description: one line
    dockerfile: Dockerfile.hello
    edition: "2026"
    redoes: hello
    expect: {exit_code: 0}
"""


def test_an_edition_redoes_an_earlier_one(tmp_path: Path) -> None:
    loaded = variants.load(Settings.read(), path=_repo(tmp_path, EDITIONS), repo=tmp_path)
    assert [(v.id, v.edition, v.redoes) for v in loaded] == [("hello", "2022", ""), ("hello-2026", "2026", "hello")]


@pytest.mark.parametrize(("change", "words"), [
    (("redoes: hello", "redoes: helo"), "no variant 'helo' (did you mean 'hello'?)"),
    (('edition: "2022"', 'edition: "2026"'), "must be of an earlier edition than this one (they are 2026 and 2026)"),
    (('    edition: "2022"\n', ""), "must be of an earlier edition than this one (they are none and 2026)"),
    (('edition: "2026"', "edition: today"), "key 'edition': 'today' is not a year, such as \"2026\""),
])
def test_a_wrong_redoes_or_edition_is_named(tmp_path: Path, change: tuple[str, str], words: str) -> None:
    message = _error(tmp_path, EDITIONS.replace(*change, 1) if change[0] != 'edition: "2026"' else
                     EDITIONS.replace(*change))
    assert "variant 'hello-2026'" in message and words in message, message


def test_the_variants_file_pairs_every_redo_with_an_earlier_edition() -> None:
    loaded = variants.load(Settings.read())
    by_id = {v.id: v for v in loaded}
    redone = [v for v in loaded if v.redoes]
    assert redone, "the variants file has no variant of a later edition"
    for v in redone:
        assert by_id[v.redoes].edition < v.edition


def test_the_page_of_the_checks_program_explains_each_check_it_prints() -> None:
    """A check added to checks-app/ is a new column on the next build (model/checks.py), but what it
    asks is the page's prose: each check the declared outputs print has its own bullet under "The
    program" on its part's page, and no bullet names a check the program no longer prints."""
    loaded = variants.load(Settings.read())
    for part in CHECKED:
        printed = names(v.expect.stdout or "" for v in loaded if v.part == part)
        page = (REPO / "docs" / PARTS[part].chapter).read_text()
        program = page.split("\n## The program\n", 1)[1].split("\n## ", 1)[0]
        explained = re.findall(r"^- \*\*([^*]+)\*\*:", program, re.MULTILINE)
        assert printed, f"no variant of part {part!r} declares the checks program's output"
        assert [n.lower() for n in explained] == [n.lower() for n in printed], \
            f"docs/{PARTS[part].chapter}, under 'The program': one '- **Check**:' bullet per check the program " \
            f"prints, in its order ({', '.join(printed)})"
