"""SECURITY.md item 18: the code holds no banned cryptographic or unsafe-parsing constructs.

Banned: ECB/CBC modes, MD5/SHA-1, the ``random`` module (secrets come from ``secrets``),
``verify=False``, pickle/shelve, ``yaml.load``, ``marshal.loads``, ``eval``/``exec``, and
hard-coded keys (a bytes or hex/base64 literal of 32+ bytes given to a name containing "key" or
"secret"), ``CERT_NONE``, ``check_hostname = False``, ``mktemp``, ``shell=True``, and XML
parsers other than defusedxml. Comments and string literals are not code and are not
matched.

A line may opt out with ``# crypto-lint: allow (reason)``; the reason is required, and an
allowance that suppresses nothing is itself reported.
"""

from __future__ import annotations

import ast
import base64
import binascii
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ROOTS = [REPO / "caseapp", REPO / "ui"]
ALLOW = re.compile(r"#\s*crypto-lint:\s*allow\s*\((?P<reason>[^)]*\w[^)]*)\)")

# Matched against code with comments and string literals blanked out.
TEXT_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("ECB mode", re.compile(r"\bmodes\s*\.\s*ECB\b")),
    ("CBC mode", re.compile(r"\bmodes\s*\.\s*CBC\b")),
    ("hashlib.md5", re.compile(r"\bhashlib\s*\.\s*md5\b")),
    ("hashlib.sha1", re.compile(r"\bhashlib\s*\.\s*sha1\b")),
    ("hashes.MD5", re.compile(r"\bhashes\s*\.\s*MD5\b")),
    ("hashes.SHA1", re.compile(r"\bhashes\s*\.\s*SHA1\b")),
    ("verify=False", re.compile(r"\bverify\s*=\s*False\b")),
    ("pickle", re.compile(r"\b(?:_?c?pickle|cPickle|shelve)\b")),
    ("yaml.load", re.compile(
        r"\byaml\s*\.\s*(?:load|load_all|unsafe_load|unsafe_load_all|full_load)\s*\(")),
    ("marshal.loads", re.compile(r"\bmarshal\s*\.\s*loads?\b")),
    ("eval(", re.compile(r"(?<![\w.])eval\s*\(")),
    ("exec(", re.compile(r"(?<![\w.])exec\s*\(")),
    # Issue 7: no certificate checks switched off, no racy temp names, no shell.
    ("CERT_NONE", re.compile(r"\bCERT_NONE\b")),
    ("check_hostname = False", re.compile(r"\bcheck_hostname\s*=\s*False\b")),
    ("mktemp(", re.compile(r"\bmktemp\s*\(")),
    ("shell=True", re.compile(r"\bshell\s*=\s*True\b")),
]
# XML is parsed only through defusedxml (issue 7, item 10); writing helpers and the parse
# error class are no parsers.
XML_PARSERS = ("xml.etree", "xml.dom", "xml.sax", "xml.parsers", "lxml", "pyexpat")
XML_ALLOWED = {"xml.sax.saxutils", "xml.etree.ElementTree.ParseError"}
BANNED_FROM_IMPORTS: dict[str, set[str]] = {
    "modes": {"ECB", "CBC"}, "hashes": {"MD5", "SHA1"}, "hashlib": {"md5", "sha1"},
    "yaml": {"load", "load_all", "unsafe_load", "unsafe_load_all", "full_load"},
    "marshal": {"load", "loads"},
}
BANNED_MODULES = {"random", "pickle", "cPickle", "_pickle", "shelve"}
WEAK_HASH_NAMES = {"md5", "sha1", "sha-1"}
KEY_NAME = re.compile(r"key|secret", re.IGNORECASE)
HEX_KEY = re.compile(r"(?:0x)?[0-9a-fA-F]{64,}")
B64_KEY = re.compile(r"[A-Za-z0-9+/_-]{43,}={0,2}")


@dataclass(frozen=True, order=True)
class Hit:
    path: str
    line: int
    rule: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule}"


def _code_only(source: str) -> list[str]:
    """The source lines with every comment and string literal replaced by spaces."""
    lines = [list(line) for line in source.splitlines()]
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type not in (tokenize.STRING, tokenize.COMMENT):
            continue
        (srow, scol), (erow, ecol) = tok.start, tok.end
        for row in range(srow, erow + 1):
            chars = lines[row - 1]
            start = scol if row == srow else 0
            end = ecol if row == erow else len(chars)
            chars[start:end] = " " * (end - start)
    return ["".join(chars) for chars in lines]


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _literal_key_bytes(node: ast.expr | None) -> int:
    """How many key bytes a literal (or a decode of one) holds; 0 when it is not one."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bytes):
            return len(node.value)
        if isinstance(node.value, str):
            text = node.value.strip()
            if HEX_KEY.fullmatch(text):
                return len(text.removeprefix("0x")) // 2
            if B64_KEY.fullmatch(text):
                try:
                    return len(base64.urlsafe_b64decode(text.replace("+", "-").replace(
                        "/", "_") + "=" * (-len(text) % 4)))
                except (binascii.Error, ValueError):
                    return 0
    if isinstance(node, ast.Call) and node.args and _dotted(node.func).split(".")[-1] in {
            "fromhex", "unhexlify", "a2b_hex", "b64decode", "urlsafe_b64decode", "b16decode",
            "decode", "encode"}:
        return _literal_key_bytes(node.args[0])
    return 0


def _target_names(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return [node.attr]
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return [str(node.slice.value)]
    if isinstance(node, ast.Tuple | ast.List):
        return [n for elt in node.elts for n in _target_names(elt)]
    return []


def _ast_hits(tree: ast.AST) -> list[tuple[int, str]]:
    hits: list[tuple[int, str]] = []

    def key_literal(names: list[str], value: ast.expr | None, line: int) -> None:
        if any(KEY_NAME.search(n) for n in names) and _literal_key_bytes(value) >= 32:
            hits.append((line, "hard-coded key"))

    def xml_parser(name: str) -> bool:
        return name.startswith(XML_PARSERS) and not any(
            name == allowed or name.startswith(allowed + ".") for allowed in XML_ALLOWED)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in BANNED_MODULES:
                    hits.append((node.lineno, f"import {alias.name.split('.')[0]}"))
                if xml_parser(alias.name):
                    hits.append((node.lineno, "XML parser outside defusedxml"))
        elif isinstance(node, ast.ImportFrom) and node.module:
            if any(xml_parser(f"{node.module}.{alias.name}") for alias in node.names):
                hits.append((node.lineno, "XML parser outside defusedxml"))
            module = node.module.split(".")
            if module[0] in BANNED_MODULES:
                hits.append((node.lineno, f"import {module[0]}"))
            banned = BANNED_FROM_IMPORTS.get(module[-1], set())
            for alias in node.names:
                if alias.name in banned:
                    hits.append((node.lineno, f"from {module[-1]} import {alias.name}"))
        elif isinstance(node, ast.Call):
            if _dotted(node.func).endswith("hashlib.new") and node.args and isinstance(
                    node.args[0], ast.Constant) and str(node.args[0].value).lower() in \
                    WEAK_HASH_NAMES:
                hits.append((node.lineno, "hashlib.new(weak hash)"))
            for kw in node.keywords:
                if kw.arg:
                    key_literal([kw.arg], kw.value, kw.value.lineno)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Tuple | ast.List) and isinstance(
                        node.value, ast.Tuple | ast.List) and len(target.elts) == len(
                        node.value.elts):
                    for sub_target, sub_value in zip(target.elts, node.value.elts,
                                                     strict=True):
                        key_literal(_target_names(sub_target), sub_value, node.lineno)
                else:
                    key_literal(_target_names(target), node.value, node.lineno)
        elif isinstance(node, ast.AnnAssign):
            key_literal(_target_names(node.target), node.value, node.lineno)
        elif isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values, strict=True):
                if isinstance(k, ast.Constant) and isinstance(k.value, str):
                    key_literal([k.value], v, v.lineno)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            args = node.args
            positional = [*args.posonlyargs, *args.args]
            for arg, default in zip(positional[len(positional) - len(args.defaults):],
                                    args.defaults, strict=True):
                key_literal([arg.arg], default, default.lineno)
            for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
                if kw_default is not None:
                    key_literal([arg.arg], kw_default, kw_default.lineno)
    return hits


def scan_source(source: str, path: str = "<source>") -> list[Hit]:
    """Every banned construct in ``source``, one Hit per (line, rule)."""
    raw_lines = source.splitlines()
    found: set[tuple[int, str]] = set()
    for number, line in enumerate(_code_only(source), start=1):
        for rule, pattern in TEXT_RULES:
            if pattern.search(line):
                found.add((number, rule))
    found.update(_ast_hits(ast.parse(source, filename=path)))

    allowed_lines = {n for n, line in enumerate(raw_lines, start=1) if ALLOW.search(line)}
    hits = {Hit(path, n, rule) for n, rule in found if n not in allowed_lines}
    used = {n for n, _ in found}
    hits |= {Hit(path, n, "crypto-lint allowance that suppresses nothing")
             for n in allowed_lines - used}
    return sorted(hits)


def python_files() -> list[Path]:
    return sorted(p for root in ROOTS if root.is_dir() for p in root.rglob("*.py"))


def test_no_banned_constructs_in_the_code() -> None:
    files = python_files()
    assert len(files) >= 10 and REPO / "caseapp" / "crypto" / "keyslots.py" in files
    hits = [hit for path in files
            for hit in scan_source(path.read_text(encoding="utf-8"),
                                   str(path.relative_to(REPO)))]
    assert not hits, "banned constructs found:\n" + "\n".join(map(str, hits))


# -- the scanner detects what it must (so the test above can fail) --------------------------

KEY_HEX = "a1" * 32
KEY_B64 = base64.b64encode(bytes(range(32))).decode()
BANNED_SAMPLES: list[tuple[str, str]] = [
    ("ECB mode", "from cryptography.hazmat.primitives.ciphers import modes\n"
                 "mode = modes.ECB()\n"),
    ("ECB mode", "c = Cipher(algorithms.AES(k), modes . ECB())\n"),
    ("CBC mode", "c = Cipher(algorithms.AES(k), modes.CBC(iv))\n"),
    ("from modes import ECB",
     "from cryptography.hazmat.primitives.ciphers.modes import ECB\n"),
    ("from modes import CBC",
     "from cryptography.hazmat.primitives.ciphers.modes import GCM, CBC\n"),
    ("hashlib.md5", "digest = hashlib.md5(data).hexdigest()\n"),
    ("hashlib.sha1", "digest = hashlib.sha1(data).digest()\n"),
    ("hashlib.new(weak hash)", "h = hashlib.new('MD5', data)\n"),
    ("hashlib.new(weak hash)", "h = hashlib.new('sha1')\n"),
    ("from hashlib import md5", "from hashlib import sha256, md5\n"),
    ("hashes.MD5", "h = hashes.Hash(hashes.MD5())\n"),
    ("hashes.SHA1", "h = hmac.HMAC(k, hashes.SHA1())\n"),
    ("from hashes import SHA1", "from cryptography.hazmat.primitives.hashes import SHA1\n"),
    ("import random", "import random\n"),
    ("import random", "import os, random as rnd\n"),
    ("import random", "from random import randint\n"),
    ("import random", "def f():\n    import random\n"),
    ("verify=False", "requests.get(url, verify=False)\n"),
    ("verify=False", "httpx.Client(verify = False)\n"),
    ("pickle", "import pickle\n"),
    ("pickle", "data = pickle.loads(blob)\n"),
    ("pickle", "import _pickle as fast\n"),
    ("pickle", "import shelve\n"),
    ("import pickle", "from pickle import loads\n"),
    ("yaml.load", "config = yaml.load(text)\n"),
    ("yaml.load", "config = yaml.unsafe_load(text)\n"),
    ("from yaml import load", "from yaml import load\n"),
    ("marshal.loads", "code = marshal.loads(blob)\n"),
    ("from marshal import loads", "from marshal import loads\n"),
    ("eval(", "value = eval(text)\n"),
    ("eval(", "value = eval (text)\n"),
    ("exec(", "exec(code, {})\n"),
    ("hard-coded key", f"KEY = bytes.fromhex('{KEY_HEX}')\n"),
    ("hard-coded key", f"api_key = '{KEY_HEX}'\n"),
    ("hard-coded key", f"self.signing_key = b'{'k' * 32}'\n"),
    ("hard-coded key", f"SECRET: bytes = b'{'s' * 40}'\n"),
    ("hard-coded key", f"master_secret = base64.b64decode('{KEY_B64}')\n"),
    ("hard-coded key", f"DB_KEY = '0x{KEY_HEX}'\n"),
    ("hard-coded key", f"open_database(path, key=bytes.fromhex('{KEY_HEX}'))\n"),
    ("hard-coded key", f"config = {{'device_key': '{KEY_HEX}'}}\n"),
    ("hard-coded key", f"def connect(secret=b'{'z' * 32}'):\n    pass\n"),
    ("hard-coded key", f"key, other = b'{'q' * 32}', 1\n"),
    ("CERT_NONE", "ctx.verify_mode = ssl.CERT_NONE\n"),
    ("check_hostname = False", "ctx.check_hostname = False\n"),
    ("mktemp(", "name = tempfile.mktemp()\n"),
    ("shell=True", "subprocess.run(cmd, shell=True)\n"),
    ("XML parser outside defusedxml", "import xml.etree.ElementTree as ET\n"),
    ("XML parser outside defusedxml", "from xml.dom import minidom\n"),
    ("XML parser outside defusedxml", "from lxml import etree\n"),
    ("XML parser outside defusedxml", "from xml.etree.ElementTree import fromstring\n"),
]


@pytest.mark.parametrize(("rule", "source"), BANNED_SAMPLES,
                         ids=[f"{i}-{rule}" for i, (rule, _) in enumerate(BANNED_SAMPLES)])
def test_scanner_detects_each_banned_construct(rule: str, source: str) -> None:
    hits = scan_source("import os\n\n" + source, "sample.py")
    assert hits, f"not detected: {source!r}"
    last_line = 2 + len(source.splitlines())
    assert all(3 <= h.line <= last_line for h in hits)
    assert rule in {h.rule for h in hits}, [str(h) for h in hits]
    assert str(hits[0]).startswith(f"sample.py:{hits[0].line}: ")


SAFE_SAMPLES = [
    "digest = hashlib.sha256(data).hexdigest()\n",
    "h = hashes.Hash(hashes.SHA256())\n",
    "mode = modes.GCM(nonce)\n",
    "import secrets\nkey = secrets.token_bytes(32)\n",
    "config = yaml.safe_load(text)\n",
    "value = ast.literal_eval(text)\n",
    "conn.execute('SELECT 1')\nconn.executescript(script)\n",
    "model.eval()\n",
    "requests.get(url, verify=True)\n",
    "# pickle, eval( and modes.ECB in a comment are not code\n",
    "HELP = 'never use pickle or yaml.load( or verify=False'\n",
    "'''Docstring: hashlib.md5 and import random are banned.'''\n",
    f"GENESIS = '{'0' * 64}'\n",  # a 64-hex literal, but not a key name
    "KEY_LENGTH = 32\n",
    f"key = b'{'k' * 31}'\n",  # shorter than a key
    "key_help = 'Type the recovery key you printed when the profile was made'\n",
    "import random  # crypto-lint: allow (seeded synthetic demo data, never a secret)\n",
    "self.unpickled = False\n",
    "from xml.sax.saxutils import escape\n",
    "from xml.etree.ElementTree import ParseError\n",
    "from defusedxml.ElementTree import DefusedXMLParser\n",
    "subprocess.run(cmd, shell=False)\n",
]


@pytest.mark.parametrize("source", SAFE_SAMPLES)
def test_scanner_accepts_safe_code(source: str) -> None:
    assert scan_source(source) == []


def test_allowance_needs_a_reason_and_must_be_used() -> None:
    hits = scan_source("import random  # crypto-lint: allow\n")
    assert [h.rule for h in hits] == ["import random"]
    hits = scan_source("import random  # crypto-lint: allow ( )\n")
    assert [h.rule for h in hits] == ["import random"]
    hits = scan_source("import secrets  # crypto-lint: allow (no longer needed)\n")
    assert [h.rule for h in hits] == ["crypto-lint allowance that suppresses nothing"]


def test_every_hit_is_reported_with_its_line() -> None:
    source = "import os\nimport pickle\nx = 1\ny = eval('1')\nz = hashlib.md5(b'')\n"
    hits = scan_source(source, "pkg/mod.py")
    assert [str(h) for h in hits] == ["pkg/mod.py:2: import pickle", "pkg/mod.py:2: pickle",
                                      "pkg/mod.py:4: eval(", "pkg/mod.py:5: hashlib.md5"]
