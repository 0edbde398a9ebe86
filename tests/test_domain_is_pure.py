"""The domain is pure rules and value types (ARCHITECTURE §2): it reads no file. Reference data
(screening instruments, the reintegration survey) is read by ``caseapp.reference.loader`` and
handed to the domain already parsed."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import caseapp

DOMAIN = Path(caseapp.__file__).resolve().parent / "domain"
# Modules that reach files, the operating system or the packaged data.
FILE_ACCESS = ("importlib.resources", "pathlib", "os", "io", "shutil", "tempfile",
               "caseapp.reference")
# Still reads its packaged TSV itself; moving it changes the services the lead is rewriting.
NOT_YET_PURE = {"htcds.py"}


def file_access(source: str) -> list[str]:
    """What in ``source`` can reach a file: imports of FILE_ACCESS modules and open()."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id == "open":
            found.append("open()")
            continue
        else:
            continue
        found += [n for n in names
                  if any(n == m or n.startswith(m + ".") for m in FILE_ACCESS)]
    return found


def domain_modules() -> list[Path]:
    return sorted(p for p in DOMAIN.rglob("*.py") if p.name not in NOT_YET_PURE)


@pytest.mark.parametrize("path", domain_modules(),
                         ids=[str(p.relative_to(DOMAIN)) for p in domain_modules()])
def test_domain_module_reads_no_file(path: Path) -> None:
    assert file_access(path.read_text(encoding="utf-8")) == []


def test_the_packages_split_from_large_modules_are_walked() -> None:
    walked = {str(p.relative_to(DOMAIN)) for p in domain_modules()}
    assert {"screening/__init__.py", "screening/instrument_reader.py",
            "reintegration/survey_reader.py", "reference_data.py"} <= walked


@pytest.mark.parametrize("source", [
    "from importlib import resources",
    "import importlib.resources",
    "from pathlib import Path",
    "import os",
    "from caseapp.reference import loader",
    "def f(p):\n    with open(p) as fh:\n        return fh.read()\n",
])
def test_file_access_is_caught(source: str) -> None:
    assert file_access(source)


def test_pure_imports_pass() -> None:
    assert file_access("import json\nfrom caseapp.domain import reference_data\n"
                       "from caseapp.i18n import N_\n") == []
