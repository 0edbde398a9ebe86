"""The dependency direction of ARCHITECTURE §2 is one way: ui and cli → services → domain /
store / crypto / sync / documents → i18n and the top-level modules. This walks the imports of every
module under ``caseapp/`` (ast, so nothing is executed) and fails on a wrong arrow or on an
import cycle."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

import caseapp

PACKAGE_ROOT = Path(caseapp.__file__).resolve().parent

# The bottom layer: every package may use these, so they use none of the packages.
BOTTOM = ("caseapp.services", "caseapp.store", "caseapp.cli", "caseapp.server",
          "caseapp.documents", "caseapp.domain", "caseapp.crypto")

# (modules the rule applies to, imports they must not make, why)
RULES: list[tuple[str, tuple[str, ...], str]] = [
    ("caseapp.domain", ("caseapp.services", "caseapp.store", "caseapp.cli", "caseapp.server",
                        "caseapp.documents", "caseapp.crypto", "caseapp.fsutil", "ui"),
     "domain is pure rules: no persistence, no files, no use cases, no UI"),
    # Translating a message is fine; finding and reading the catalogs is not the domain's.
    ("caseapp.domain", ("caseapp.i18n.translations_dir", "caseapp.i18n._load"),
     "domain does not read translation catalogs"),
    ("caseapp.store", ("caseapp.services", "caseapp.cli", "caseapp.server", "ui"),
     "store sits below the services"),
    ("caseapp.crypto", ("caseapp.services", "caseapp.cli", "caseapp.server", "ui"),
     "crypto sits below the services"),
    ("caseapp.documents", ("caseapp.services", "caseapp.cli", "caseapp.store",
                           "caseapp.crypto", "caseapp.server", "caseapp.fsutil", "ui"),
     "documents hold only pure formats: values in, bytes out; the services read the vault, "
     "check permissions, audit and write files"),
    ("caseapp.services", ("caseapp.cli", "caseapp.server", "ui"),
     "services are called by the command line and the UI, never the reverse"),
    ("caseapp.cli", ("caseapp.store", "caseapp.crypto"),
     "the command line goes through the services, as the desktop does"),
    ("caseapp.i18n", BOTTOM, "i18n is the bottom layer"),
    ("caseapp.errors", BOTTOM, "errors are the bottom layer"),
    ("caseapp.canonical", BOTTOM, "canonical JSON is the bottom layer"),
    ("caseapp.fsutil", BOTTOM, "file helpers are the bottom layer"),
    ("caseapp", ("ui", "PySide6.QtWidgets"), "the core never imports the desktop or widgets"),
    ("caseapp.server", ("caseapp.store", "caseapp.services", "caseapp.crypto", "ui"),
     "the server holds no client vault: it imports only the sync protocol and its own code"),
    ("caseapp.sync", ("caseapp.store", "caseapp.services", "caseapp.cli", "caseapp.server",
                      "ui"),
     "the sync protocol is shared with the server: it never touches a vault"),
    ("ui", ("caseapp.store", "caseapp.crypto", "caseapp.domain", "caseapp.server",
            "caseapp.sync", "sqlcipher3", "cryptography"),
     "the desktop holds only Qt code and calls the services: no SQL, crypto or rules"),
]
# Only the launcher, which hands sub-commands to the command line, may import it.
LAUNCHER = "ui.launcher"
# The command line starts the server (``caseapp server …``, ``caseapp serve``) from this one
# module; no other command module reaches into the server.
SERVER_COMMANDS = "caseapp.cli.server"
# FastAPI and its server belong to caseapp.server only (ARCHITECTURE §2).
SERVER_ONLY = ("fastapi", "starlette", "uvicorn")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _nodes(tree: ast.AST, runtime_only: bool) -> Iterator[ast.AST]:
    """Every node, or (runtime_only) every node not under ``if TYPE_CHECKING:``."""
    for child in ast.iter_child_nodes(tree):
        if runtime_only and isinstance(child, ast.If) and _is_type_checking(child):
            for branch in child.orelse:
                yield branch
                yield from _nodes(branch, runtime_only)
            continue
        yield child
        yield from _nodes(child, runtime_only)


def import_statements(module: str, source: str, is_package: bool = False,
                      runtime_only: bool = False) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(module imported, names taken from it) of every import, relative imports resolved:
    ``from a import b, c`` gives ("a", ("b", "c")), ``import a.b`` gives ("a.b", ())."""
    package = module if is_package else module.rpartition(".")[0]
    for node in _nodes(ast.parse(source), runtime_only):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[:len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts)
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            yield target, tuple(alias.name for alias in node.names if alias.name != "*")
        elif isinstance(node, ast.Call):
            # importlib.import_module("x") and __import__("x") with a literal name.
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else \
                func.id if isinstance(func, ast.Name) else ""
            if called in ("import_module", "__import__") and node.args and \
                    isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                yield node.args[0].value, ()


def imported_names(module: str, source: str, is_package: bool = False) -> set[str]:
    """Every module a source file imports, type-only imports included; ``from a import b``
    counts as importing ``a`` and ``a.b`` (b may be a module)."""
    names: set[str] = set()
    for target, taken in import_statements(module, source, is_package):
        names.add(target)
        names.update(f"{target}.{name}" for name in taken)
    return names


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(module: str, source: str, is_package: bool = False) -> list[str]:
    found = []
    imports = imported_names(module, source, is_package)
    for scope, forbidden, why in RULES:
        if not within(module, scope):
            continue
        for name in sorted(imports):
            for prefix in forbidden:
                if within(name, prefix):
                    found.append(f"{module} imports {name}: {why}")
    if within(module, "caseapp.cli") and module != SERVER_COMMANDS:
        found += [f"{module} imports {name}: only {SERVER_COMMANDS} starts the server"
                  for name in sorted(imports) if within(name, "caseapp.server")]
    if within(module, "ui") and module != LAUNCHER:
        found += [f"{module} imports {name}: the desktop goes through the services"
                  for name in sorted(imports) if within(name, "caseapp.cli")]
    if not within(module, "caseapp.server"):
        found += [f"{module} imports {name}: only caseapp.server may use the web server"
                  for name in sorted(imports) if any(within(name, p) for p in SERVER_ONLY)]
    return found


def all_modules() -> list[tuple[str, Path]]:
    roots = (PACKAGE_ROOT, PACKAGE_ROOT.parent / "ui")
    return sorted((module_name(p), p) for root in roots for p in root.rglob("*.py")
                  if "__pycache__" not in p.parts)


def test_the_walk_sees_the_whole_package() -> None:
    names = {name for name, _path in all_modules()}
    assert {"caseapp", "caseapp.domain.names", "caseapp.store.records",
            "caseapp.services.cases", "caseapp.cli.main", "caseapp.crypto.keyslots",
            "ui.bridge", "ui.case.workspace"} <= names
    assert len(names) >= 30


@pytest.mark.parametrize("module, path", all_modules(), ids=[m for m, _p in all_modules()])
def test_no_wrong_arrow(module: str, path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert violations(module, source, path.name == "__init__.py") == []


# -- the checker itself can fail -----------------------------------------------------------

@pytest.mark.parametrize("module, source, culprit", [
    ("caseapp.domain.names", "from caseapp.store import records", "caseapp.store"),
    ("caseapp.domain.names", "from ..services.cases import CaseService", "caseapp.services"),
    ("caseapp.domain.names", "from .. import store", "caseapp.store"),
    ("caseapp.domain.names", "def f():\n    import caseapp.cli.main\n", "caseapp.cli.main"),
    ("caseapp.store.records", "from caseapp.services.session import Session",
     "caseapp.services"),
    ("caseapp.store.records", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
     "    from caseapp.services.session import Session\n", "caseapp.services"),
    ("caseapp.crypto.kdf", "import caseapp.services.profiles", "caseapp.services"),
    ("caseapp.services.cases", "from caseapp.cli import common", "caseapp.cli"),
    ("caseapp.services.cases", "from ui.main_window import MainWindow", "ui"),
    ("caseapp.documents.pdf", "from PySide6.QtWidgets import QApplication",
     "PySide6.QtWidgets"),
    ("caseapp.documents.pdf", "from PySide6 import QtWidgets", "PySide6.QtWidgets"),
    ("caseapp.services.sync", "import importlib\nimportlib.import_module('ui.app')", "ui"),
    ("caseapp.server.app", "from caseapp.store.records import RecordStore", "caseapp.store"),
    ("caseapp.services.sync", "import fastapi", "fastapi"),
    ("caseapp.sync.envelope", "from caseapp.store import records", "caseapp.store"),
    ("caseapp.sync.client", "from caseapp.services.session import Session", "caseapp.services"),
    ("caseapp.server.routers.changes", "from caseapp.services import sync", "caseapp.services"),
    ("caseapp.cli.team", "from caseapp.server.app import create_app", "caseapp.server"),
    ("caseapp.server.app", "from caseapp.crypto import kdf", "caseapp.crypto"),
    ("caseapp.domain", "from . import _private\nfrom ..store import x", "caseapp.store"),
    ("caseapp.domain.screening", "from caseapp.documents import tables", "caseapp.documents"),
    ("caseapp.domain.htcds", "from caseapp.i18n import translations_dir", "translations_dir"),
    ("caseapp.domain.htcds", "from caseapp.fsutil import atomic_write", "caseapp.fsutil"),
    ("caseapp.documents.tables", "from caseapp.services.base import actor_of",
     "caseapp.services"),
    ("caseapp.documents.statistics", "from ..store import queries", "caseapp.store"),
    ("caseapp.documents.tables", "from caseapp.fsutil import atomic_write", "caseapp.fsutil"),
    ("caseapp.documents.tables", "from caseapp.cli import common", "caseapp.cli"),
    ("caseapp.cli.audit", "from caseapp.store.audit import VerifyReport", "caseapp.store"),
    ("caseapp.cli.profile", "from caseapp.crypto import kdf", "caseapp.crypto"),
    ("caseapp.errors", "from caseapp.services.session import Session", "caseapp.services"),
    ("caseapp.canonical", "from caseapp.store import records", "caseapp.store"),
    ("caseapp.fsutil", "from caseapp.domain import roles", "caseapp.domain"),
    ("caseapp.i18n", "from caseapp.store import database", "caseapp.store"),
    ("ui.case.notes_tab", "from caseapp.store.records import RecordStore", "caseapp.store"),
    ("ui.cases.list_model", "from caseapp.store.lists import CaseFilter", "caseapp.store"),
    ("ui.widgets.form", "from caseapp.domain import case_documents", "caseapp.domain"),
    ("ui.unlock.first_run", "from caseapp.crypto import recovery", "caseapp.crypto"),
    ("ui.shell.main_window", "from caseapp.cli.common import read_secret", "caseapp.cli"),
    ("ui.bridge", "import sqlcipher3", "sqlcipher3"),
])
def test_wrong_arrows_are_caught(module: str, source: str, culprit: str) -> None:
    is_package = module == "caseapp.domain"
    found = violations(module, source, is_package)
    assert found and any(culprit in v for v in found), found


@pytest.mark.parametrize("module, source", [
    ("caseapp.services.cases", "from caseapp.store.records import Record\n"
     "from caseapp.domain import names\nfrom caseapp.crypto import kdf"),
    ("caseapp.documents.pdf", "from PySide6.QtGui import QTextDocument"),  # allowed (§7)
    ("caseapp.cli.case", "from caseapp.services.cases import CaseService"),
    ("caseapp.domain.names", "from . import identity\nimport unicodedata"),
    ("caseapp.server.app", "import fastapi\nfrom caseapp.sync import protocol"),
    ("caseapp.cli.server", "from caseapp.server import setup"),
    ("caseapp.sync.envelope", "from caseapp.domain import roles\nfrom caseapp import canonical"),
    ("caseapp.store.records", "from uikit import x\nimport uireader"),  # not the ui package
    ("caseapp.documents.tables", "from caseapp.domain import htcds\nfrom caseapp.i18n import N_"
     "\nfrom caseapp.errors import ValidationError\nimport caseapp.canonical"),
    ("caseapp.cli.exchange", "from caseapp.services import exchange\n"
     "from caseapp.documents.statistics import MIN_K\nfrom caseapp.domain import stages"),
    ("caseapp.domain.screening", "from caseapp.i18n import N_, _, current_language"),
    ("caseapp.fsutil", "from caseapp.errors import StorageError\nfrom caseapp.i18n import N_"),
])
def test_right_arrows_pass(module: str, source: str) -> None:
    assert violations(module, source) == []


def test_relative_imports_are_resolved() -> None:
    assert "caseapp.store.database" in imported_names(
        "caseapp.store.records", "from .database import Connection")
    assert "caseapp.store" in imported_names("caseapp.domain.names", "from ..store import x")
    assert "caseapp.domain.identity" in imported_names(
        "caseapp.domain", "from .identity import x", is_package=True)


# -- no import cycle ------------------------------------------------------------------------

Sources = Mapping[str, tuple[str, bool]]  # module → (source, is it a package)


def import_graph(sources: Sources) -> dict[str, set[str]]:
    """module → the modules of ``sources`` it imports when it runs. Imports under
    ``if TYPE_CHECKING:`` are left out: they never run, so they cannot deadlock or half-load
    a module (the type checker resolves them lazily). Imports inside functions count: a
    cycle through them is still a tangle of two layers. ``from a import b`` is an edge to the
    module ``a.b`` when there is one, to ``a`` otherwise."""
    graph: dict[str, set[str]] = {name: set() for name in sources}
    for module, (source, is_package) in sources.items():
        for target, taken in import_statements(module, source, is_package, runtime_only=True):
            found = [f"{target}.{n}" for n in taken if f"{target}.{n}" in sources]
            if len(found) < len(taken) or not taken:
                found += [target] if target in sources else []
            graph[module].update(f for f in found if f != module)
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, round and round (Tarjan's strongly
    connected components of more than one module), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_no_import_cycle() -> None:
    sources = {name: (path.read_text(encoding="utf-8"), path.name == "__init__.py")
               for name, path in all_modules()}
    graph = import_graph(sources)
    assert "caseapp.services.cases" in graph["caseapp.services.exchange"]  # the walk sees edges
    assert cycles(graph) == []


@pytest.mark.parametrize("sources, expected", [
    ({"caseapp.a": ("from caseapp import b", False), "caseapp.b": ("import caseapp.c", False),
      "caseapp.c": ("from caseapp.a import thing", False)},
     [["caseapp.a", "caseapp.b", "caseapp.c"]]),
    ({"caseapp.store.x": ("from .y import f", False),
      "caseapp.store.y": ("from . import x", False)},
     [["caseapp.store.x", "caseapp.store.y"]]),
    ({"caseapp.a": ("def f():\n    from caseapp.b import g\n", False),
      "caseapp.b": ("import caseapp.a", False)}, [["caseapp.a", "caseapp.b"]]),
    ({"caseapp.a": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    pass\n"
                    "else:\n    from caseapp.b import g\n", False),
      "caseapp.b": ("import caseapp.a", False)}, [["caseapp.a", "caseapp.b"]]),
    # Type-only imports do not run: profiles ↔ session through TYPE_CHECKING is no cycle.
    ({"caseapp.a": ("import typing\nif typing.TYPE_CHECKING:\n    from caseapp.b import B\n",
                    False), "caseapp.b": ("from caseapp.a import A", False)}, []),
    # A module taking a sibling from its package does not import the package's other modules.
    ({"caseapp.pkg": ("", True), "caseapp.pkg.m": ("from caseapp.pkg import n", False),
      "caseapp.pkg.n": ("from caseapp.pkg import VERSION", False)}, []),
])
def test_planted_cycles_are_caught(sources: Sources, expected: list[list[str]]) -> None:
    assert cycles(import_graph(sources)) == expected
