"""The shape of the code, checked: layers import only downward, no module imports itself back through others,
no source file grows past 600 lines.

Every `import` statement of every source module is read from its syntax tree, wherever it stands (module top,
function body, `if TYPE_CHECKING:` block, `try:`), so a lazy import cannot hide a dependency.

Layers, top to bottom (a module may import its own layer and any layer below it):

    pages/, app.py, cli.py   entry points
    components/              UI pieces and bounded caches
    services/                use cases
    data/                    database, ledger store, import, exports, audit, demo, geodata
    scoring/                 pure pandas/numpy
    domain/                  the shared vocabulary; imports nothing of the project

A package's `__main__.py` that only hands over to the command-line module (imports and one call, no code of its
own) is the one place allowed to import upward.
"""
from __future__ import annotations

import ast
import functools
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# rank of each top-level name of the project; a module may import only ranks <= its own
LAYERS = {"domain": 0, "scoring": 1, "data": 2, "services": 3, "components": 4, "pages": 5, "app": 5, "cli": 5}
LAYER_LABEL = {0: "domain", 1: "scoring", 2: "data", 3: "services", 4: "components", 5: "pages/app.py/cli.py"}

# directories that are not product source (walked by nobody here)
NOT_SOURCE = {"tests", "bench", "artifacts", "var", "static", "docs", "node_modules", "__pycache__"}
MAX_LINES = 600
MIGRATIONS = ("data/migrations/",)   # Alembic scripts: long schema files, imports inside upgrade()

SQL_LIBS = {"sqlalchemy", "alembic", "psycopg", "psycopg2", "sqlite3"}
UI_LIBS = {"streamlit", "plotly", "pydeck"}
# third-party packages a layer must not import (the project's own layers are ruled by LAYERS)
FORBIDDEN_LIBS = {
    "domain": SQL_LIBS | UI_LIBS,
    "scoring": SQL_LIBS | UI_LIBS,
    "data": UI_LIBS,
    "services": UI_LIBS,
}


@dataclass(frozen=True)
class Import:
    importer: str       # dotted module name of the importing file
    target: str         # dotted name as written (resolved if relative), e.g. "data.models" or "sqlalchemy.orm"
    name: str | None    # for `from pkg import name` when name is not a submodule: the name taken from pkg
    module: str | None  # the project module it loads (longest existing prefix), None if not of the project
    line: int
    path: str           # importing file, relative to the repository root
    in_function: bool   # the import statement stands inside a function body

    def where(self) -> str:
        return f"{self.path}:{self.line}"


def _source_files() -> dict[str, Path]:
    """Dotted module name -> file, for every Python file of the product (tests, bench, hidden dirs excluded)."""
    found: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(ROOT):
        rel_dir = Path(dirpath).relative_to(ROOT)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                             and not (rel_dir == Path(".") and d in NOT_SOURCE) and d != "__pycache__")
        for name in filenames:
            if not name.endswith(".py"):
                continue
            rel = rel_dir / name
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if parts:
                found[".".join(parts)] = ROOT / rel
    return found


MODULES = _source_files()
PROJECT_TOPS = {name.split(".")[0] for name in MODULES}


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.as_posix()


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def _resolve(target: str) -> str | None:
    """The project module that `import target` loads: the longest prefix of it that is a module of ours."""
    parts = target.split(".")
    for n in range(len(parts), 0, -1):
        candidate = ".".join(parts[:n])
        if candidate in MODULES:
            return candidate
    return None


def _relative_base(module: str, level: int) -> str:
    package = module if _is_package(module) else module.rpartition(".")[0]
    for _ in range(level - 1):
        package = package.rpartition(".")[0]
    return package


def _imports_of(module: str) -> list[Import]:
    path = MODULES[module]
    rel = _rel(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
    out: list[Import] = []

    in_function: set[int] = set()
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            in_function.update(id(n) for n in ast.walk(fn) if isinstance(n, (ast.Import, ast.ImportFrom)))

    def add(target: str, line: int, name: str | None = None) -> None:
        project = target.split(".")[0] in PROJECT_TOPS
        out.append(Import(module, target, name, _resolve(target) if project else None, line, rel,
                          id(node) in in_function))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _relative_base(module, node.level)
                prefix = ".".join(part for part in (base, node.module) if part)
            else:
                prefix = node.module or ""
            for alias in node.names:
                # `from pkg import sub` loads pkg.sub when it is a module, otherwise a name of pkg
                sub = f"{prefix}.{alias.name}"
                if alias.name != "*" and sub in MODULES:
                    add(sub, node.lineno)
                else:
                    add(prefix, node.lineno, None if alias.name == "*" else alias.name)
    return out


IMPORTS = {module: _imports_of(module) for module in sorted(MODULES)}


def _is_handover(module: str) -> bool:
    """A `__main__.py` whose body is only a docstring, imports and the call that hands over (directly or under
    `if __name__ == "__main__":`)."""
    if not module.endswith("__main__"):
        return False
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))

    def plain(stmts) -> bool:
        for st in stmts:
            if isinstance(st, (ast.Import, ast.ImportFrom)):
                continue
            if isinstance(st, ast.Expr) and isinstance(st.value, (ast.Constant, ast.Call)):
                continue      # docstring or the hand-over call
            if isinstance(st, ast.Raise) and isinstance(st.exc, ast.Call):
                continue      # raise SystemExit(main())
            if isinstance(st, ast.If) and not st.orelse and plain(st.body):
                continue      # if __name__ == "__main__": ...
            return False
        return True

    return plain(tree.body)


def _layer(module: str) -> int:
    return LAYERS[module.split(".")[0]]


def _edges() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module, imports in IMPORTS.items():
        for imp in imports:
            if imp.module and imp.module != module:
                graph[module].add(imp.module)
    return graph


def test_every_source_module_belongs_to_a_layer():
    """A new top-level package or module must be placed in the layer order above before it can be used."""
    unplaced = sorted(m for m in MODULES if m.split(".")[0] not in LAYERS)
    assert not unplaced, f"modules outside every layer (add them to LAYERS): {unplaced}"


def test_layers_import_only_downward():
    violations = set()
    for module, imports in IMPORTS.items():
        if _is_handover(module):
            continue
        own = _layer(module)
        for imp in imports:
            if imp.module is not None and _layer(imp.module) > own:
                violations.add((imp.path, imp.line, f"{module} ({LAYER_LABEL[own]}) imports {imp.target} "
                                                    f"({LAYER_LABEL[_layer(imp.module)]})"))
    assert not violations, "imports reaching up a layer:\n" + "\n".join(
        f"{path}:{line}: {text}" for path, line, text in sorted(violations))


def test_lower_layers_keep_off_sql_and_ui_libraries():
    """domain/ and scoring/ touch neither SQL nor Streamlit; data/ and services/ do not draw UI."""
    violations = []
    for module, imports in IMPORTS.items():
        banned = FORBIDDEN_LIBS.get(module.split(".")[0], set())
        if not banned or _is_handover(module):
            continue
        for imp in imports:
            if imp.module is None and imp.target.split(".")[0] in banned:
                violations.append(f"{imp.where()}: {module} imports {imp.target}")
    assert not violations, "forbidden libraries:\n" + "\n".join(violations)


def test_project_imports_stand_at_module_top():
    """The dependency graph is read off the top of each module: no project import hides inside a function."""
    hidden = sorted({(imp.path, imp.line, imp.target) for module, imports in IMPORTS.items()
                     if not _is_handover(module) for imp in imports
                     if imp.in_function and imp.module is not None and not imp.path.startswith(MIGRATIONS)})
    assert not hidden, f"{len(hidden)} project imports inside functions:\n" + "\n".join(
        f"{path}:{line}: {target}" for path, line, target in hidden)


@functools.lru_cache(maxsize=None)
def _top_level_names(module: str) -> frozenset[str] | None:
    """Names a module binds at its top level (None when it star-imports, so anything may exist)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    return None
                names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return frozenset(names)


def test_project_imports_name_existing_modules():
    """An import of a project module or name that does not exist (dead code on a rare path) is an error."""
    missing = []
    for module, imports in IMPORTS.items():
        for imp in imports:
            if imp.target.split(".")[0] not in PROJECT_TOPS:
                continue
            if imp.module != imp.target:
                missing.append(f"{imp.where()}: {module} imports {imp.target}, which is not a module of the project")
            elif imp.name is not None:
                names = _top_level_names(imp.module)
                if names is not None and imp.name not in names:
                    missing.append(f"{imp.where()}: {module} imports {imp.name} from {imp.module}, "
                                   "which has no such module or name")
    assert not missing, "\n".join(missing)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def _one_circle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """A shortest concrete circle through the component's first module, for the failure message."""
    members = set(component)
    start = component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node] & members):
            if child == start:
                return paths[node] + [start]
            if child not in paths:
                paths[child] = paths[node] + [child]
                queue.append(child)
    return component


def _where(importer: str, target: str) -> str:
    lines = sorted({imp.line for imp in IMPORTS[importer] if imp.module == target})
    return f"{MODULES[importer].relative_to(ROOT).as_posix()}:{','.join(map(str, lines))}"


def test_no_import_circles():
    graph = _edges()
    problems = []
    for component in _cycles(graph):
        circle = _one_circle(graph, component)
        steps = [f"    {a} -> {b}  ({_where(a, b)})" for a, b in zip(circle, circle[1:])]
        problems.append(f"modules importing each other: {', '.join(component)}\n" + "\n".join(steps))
    assert not problems, "\n".join(problems)


def test_source_files_stay_under_600_lines():
    too_long = []
    for module, path in sorted(MODULES.items()):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(MIGRATIONS):
            continue
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > MAX_LINES:
            too_long.append(f"{rel}: {n} lines")
    assert not too_long, f"source files over {MAX_LINES} lines:\n" + "\n".join(too_long)


def test_dashboard_service_is_gone():
    """services/dashboard.py was split by noun (accounts, overview, ranking, maps, profiles, gaps, ...)."""
    assert not (ROOT / "services" / "dashboard.py").exists()
    assert "services.dashboard" not in MODULES


# --- the checker checks itself: each rule above must catch a planted violation --------------------------------

def _tarjan_on(edges: dict[str, list[str]]) -> list[list[str]]:
    return _cycles({k: set(v) for k, v in edges.items()})


def test_circle_finder_finds_direct_and_indirect_circles():
    assert _tarjan_on({"a": ["b"], "b": ["a"], "c": []}) == [["a", "b"]]
    assert _tarjan_on({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c"]]
    assert _tarjan_on({"a": ["b"], "b": ["c"], "c": []}) == []
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "b"}}
    assert _one_circle(graph, ["a", "b", "c"]) == ["a", "b", "c", "a"]


@pytest.mark.parametrize("body, handover", [
    ('"""Hands over."""\nfrom cli import main\n\nraise SystemExit(main(["data"]))\n', True),
    ('import sys\nfrom cli import main\n\nif __name__ == "__main__":\n    sys.exit(main())\n', True),
    ('from cli import main\n\ndef run():\n    return main()\n\nrun()\n', False),
    ('from cli import main\nX = 1\nmain()\n', False),
])
def test_handover_recognition(tmp_path, monkeypatch, body, handover):
    f = tmp_path / "__main__.py"
    f.write_text(body, encoding="utf-8")
    monkeypatch.setitem(MODULES, "data.__main__", f)
    assert _is_handover("data.__main__") is handover


def test_import_reader_sees_every_import(tmp_path, monkeypatch):
    """Imports inside functions, TYPE_CHECKING blocks, relative imports and `from pkg import submodule`."""
    f = tmp_path / "probe.py"
    f.write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import models\n"
        "from .workbook import import_workbook\n"
        "if TYPE_CHECKING:\n"
        "    from services import store\n"
        "def later():\n"
        "    import streamlit as st\n"
        "    from ..components.cache import x\n",
        encoding="utf-8")
    assert "data.models" in MODULES and "data.workbook" in MODULES
    monkeypatch.setitem(MODULES, "data.probe", f)
    found = {(i.target, i.module) for i in _imports_of("data.probe")}
    inside = {i.target for i in _imports_of("data.probe") if i.in_function}
    assert inside == {"streamlit", "components.cache"}
    expected = {("typing", None), ("data.models", "data.models"), ("data.workbook", "data.workbook"),
                ("streamlit", None), ("components.cache", _resolve("components.cache"))}
    assert expected <= found
    assert any(t.startswith("services") for t, _ in found)

