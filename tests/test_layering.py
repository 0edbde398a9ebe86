"""The dependency direction of ARCHITECTURE §2 is one way: ui → services → domain / store /
crypto / sync / documents. This walks the imports of every module under ``caseapp/`` (ast, so
nothing is executed) and fails on a wrong arrow."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import caseapp

PACKAGE_ROOT = Path(caseapp.__file__).resolve().parent

# (modules the rule applies to, imports they must not make, why)
RULES: list[tuple[str, tuple[str, ...], str]] = [
    ("caseapp.domain", ("caseapp.services", "caseapp.store", "caseapp.cli", "caseapp.server",
                        "ui"), "domain is pure rules: no persistence, no use cases, no UI"),
    ("caseapp.store", ("caseapp.services", "caseapp.cli", "caseapp.server", "ui"),
     "store sits below the services"),
    ("caseapp.crypto", ("caseapp.services", "caseapp.cli", "caseapp.server", "ui"),
     "crypto sits below the services"),
    ("caseapp.services", ("caseapp.cli", "caseapp.server", "ui"),
     "services are called by the command line and the UI, never the reverse"),
    ("caseapp", ("ui", "PySide6.QtWidgets"), "the core never imports the desktop or widgets"),
    ("caseapp.server", ("caseapp.store",), "the server holds no client vault"),
]
# FastAPI and its server belong to caseapp.server only (ARCHITECTURE §2).
SERVER_ONLY = ("fastapi", "starlette", "uvicorn")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(module: str, source: str, is_package: bool = False) -> set[str]:
    """Every module a source file imports, relative imports resolved; ``from a import b``
    counts as importing ``a`` and ``a.b`` (b may be a module)."""
    tree = ast.parse(source)
    package = module if is_package else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[:len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts)
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names if alias.name != "*")
        elif isinstance(node, ast.Call):
            # importlib.import_module("x") and __import__("x") with a literal name.
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else \
                func.id if isinstance(func, ast.Name) else ""
            if called in ("import_module", "__import__") and node.args and \
                    isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                names.add(node.args[0].value)
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
    if not within(module, "caseapp.server"):
        found += [f"{module} imports {name}: only caseapp.server may use the web server"
                  for name in sorted(imports) if any(within(name, p) for p in SERVER_ONLY)]
    return found


def all_modules() -> list[tuple[str, Path]]:
    return sorted((module_name(p), p) for p in PACKAGE_ROOT.rglob("*.py")
                  if "__pycache__" not in p.parts)


def test_the_walk_sees_the_whole_package() -> None:
    names = {name for name, _path in all_modules()}
    assert {"caseapp", "caseapp.domain.names", "caseapp.store.records",
            "caseapp.services.cases", "caseapp.cli.main", "caseapp.crypto.keyslots"} <= names
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
    ("caseapp.domain", "from . import _private\nfrom ..store import x", "caseapp.store"),
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
    ("caseapp.store.records", "from uikit import x\nimport uireader"),  # not the ui package
])
def test_right_arrows_pass(module: str, source: str) -> None:
    assert violations(module, source) == []


def test_relative_imports_are_resolved() -> None:
    assert "caseapp.store.database" in imported_names(
        "caseapp.store.records", "from .database import Connection")
    assert "caseapp.store" in imported_names("caseapp.domain.names", "from ..store import x")
    assert "caseapp.domain.identity" in imported_names(
        "caseapp.domain", "from .identity import x", is_package=True)
