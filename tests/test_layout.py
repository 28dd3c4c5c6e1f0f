"""The shape of macros/ and scripts/, checked from their source: the folders show the pipeline, the
measuring core never imports mkdocs, the pages never talk to the engine, and no module keeps
mutable state, edits the import path or reaches for another module's private names."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MACROS = REPO / "macros"
MODULES = sorted(MACROS.rglob("*.py")) + sorted((REPO / "scripts").glob("*.py"))
CORE = ("model", "engine", "measure")


def _imports(path: Path) -> set[str]:
    """Every module a file imports, anywhere in it, with relative imports made absolute."""
    package = ".".join(path.relative_to(REPO).parent.parts)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package if node.level else ""
            module = ".".join(filter(None, (base, node.module)))
            found |= {module} | {f"{module}.{alias.name}" for alias in node.names}
    return found


def _uses(imports: set[str], top: str) -> bool:
    return any(name == top or name.startswith(f"{top}.") for name in imports)


def _id(path: Path) -> str:
    return str(path.relative_to(REPO))


@pytest.mark.parametrize("path", MODULES, ids=_id)
def test_each_module_is_readable_in_one_sitting(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= 300


@pytest.mark.parametrize("path", MODULES, ids=_id)
def test_no_module_imports_both_docker_and_mkdocs(path: Path) -> None:
    imports = _imports(path)
    assert not (_uses(imports, "docker") and _uses(imports, "mkdocs")), sorted(imports)


@pytest.mark.parametrize("path", [p for p in MODULES if p.relative_to(REPO).parts[:2] in {("macros", c) for c in CORE}], ids=_id)
def test_the_measuring_core_imports_nothing_from_mkdocs_or_the_pages(path: Path) -> None:
    imports = _imports(path)
    assert not _uses(imports, "mkdocs") and not _uses(imports, "macros.pages"), sorted(imports)


@pytest.mark.parametrize("path", sorted((MACROS / "pages").glob("*.py")), ids=_id)
def test_the_pages_never_talk_to_the_engine(path: Path) -> None:
    imports = _imports(path)
    assert not any(_uses(imports, top) for top in ("docker", "macros.engine", "macros.measure")), sorted(imports)


@pytest.mark.parametrize("path", MODULES, ids=_id)
def test_no_private_mkdocs_api_and_no_module_level_mutable_state(path: Path) -> None:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mkdocs"):
            assert not [a.name for a in node.names if a.name.startswith("_")], ast.unparse(node)
        assert not isinstance(node, ast.Global | ast.Nonlocal), ast.unparse(node)
    mutable = (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            names = [t.id for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
                     if isinstance(t, ast.Name)]
            made = node.value.func.id if isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name) else ""
            if isinstance(node.value, mutable) or made in ("list", "dict", "set", "deque"):
                # a table that is never changed is written in capitals; anything else is state
                assert all(name.isupper() for name in names), ast.unparse(node)


@pytest.mark.parametrize("path", MODULES, ids=_id)
def test_no_private_name_of_another_module_and_no_import_path_edits(path: Path) -> None:
    """A name with a leading underscore stays in its module; the package is installed (`pip
    install -e .`), so nothing puts itself on sys.path."""
    tree = ast.parse(path.read_text())
    imported: set[str] = set()  # names bound to our own modules
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith(("macros", "doc_builds"))):
            assert not [a.name for a in node.names if a.name.startswith("_")], ast.unparse(node)
            imported |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.Import):
            imported |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name.startswith("macros")}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in imported:
            assert not (node.attr.startswith("_") and not node.attr.startswith("__")), ast.unparse(node)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute):
            assert ast.unparse(node.value) != "sys.path", ast.unparse(node)


def test_the_engine_package_lists_each_of_its_modules() -> None:
    """engine/__init__.py's docstring is the map of the only code that talks to Docker: it stays whole."""
    listed = ast.get_docstring(ast.parse((MACROS / "engine" / "__init__.py").read_text())) or ""
    modules = {p.stem for p in (MACROS / "engine").glob("*.py")} - {"__init__"}
    assert {m for m in modules if f"`{m}`" not in listed} == set()
