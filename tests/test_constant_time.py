"""Issue 7 (crypto lint) and SECURITY.md ("keys are compared in constant time"): no secret, MAC,
hash, signature, fingerprint, pin or key is compared with ``==`` or ``!=``. Such comparisons
stop at the first differing byte, so how long a refusal takes tells a guesser how much of the
guess was right. The code uses ``caseapp.crypto.compare.same`` (``hmac.compare_digest``).

The rule, on the syntax tree of every module of ``caseapp`` and ``ui``:

- a comparison ``a == b`` or ``a != b`` (also inside a chain such as ``a == b == c``) is
  flagged when one operand *names secret material* and neither operand is a constant: a
  literal, an ALL_CAPS name, or an attribute of a class or of an ALL_CAPS constant
  (``Qt.Key.Key_Escape``, ``roles.ADMINISTRATOR``);
- an operand names secret material when its identifier — a variable, an attribute, a
  subscript or ``.get()`` with a text key, or a function called for its result — has a word
  (snake_case or camelCase parts) in ``SECRET_WORDS`` and none in ``NOT_SECRET_WORDS``;
  conversions (``.hex()``, ``.lower()``, ``bytes.fromhex(...)``, ``str(...)``) and other
  wrappers are looked through, except those whose result says nothing about the value
  (``len``, ``isinstance``, ...).

Not covered, on purpose: ``is``/``is not`` (identity, for None) and ``in`` (membership in a set
or a database lookup, which is no byte-by-byte comparison). Public keys are not secret
("public" in the name): comparing them in variable time reveals nothing.

Comparisons the rule flags but that compare no secret are listed in ``ALLOWED`` with the
reason; an entry that no longer matches anything fails the test too.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from caseapp.crypto.compare import same

REPO = Path(__file__).resolve().parents[1]
ROOTS = [REPO / "caseapp", REPO / "ui"]

SECRET_WORDS = {"mac", "hmac", "tag", "digest", "hexdigest", "hash", "key", "keys", "kek",
                "sig", "sigs", "signature", "token", "secret", "proof", "passphrase",
                "password", "fingerprint", "pin", "anchor"}
NOT_SECRET_WORDS = {"len", "length", "size", "count", "id", "ids", "kind", "type", "name",
                    "version", "format", "alg", "algorithm", "path", "file", "public", "pub"}
# Calls whose result says nothing about the bytes of their argument.
OPAQUE_CALLS = {"len", "isinstance", "type", "bool", "int", "float", "set", "frozenset",
                "sorted", "list", "tuple", "dict", "id", "any", "all", "callable", "hasattr",
                "count"}
GETTERS = {"get", "pop", "setdefault", "getattr"}
# Methods that return their receiver's value in another form: looked through to the
# receiver (``token.strip().lower()``). Other methods are named by themselves only: the
# receiver of ``keys.b64e(...)`` is a module, not a value.
CONVERSIONS = {"hex", "lower", "upper", "casefold", "strip", "lstrip", "rstrip", "encode",
               "decode", "removeprefix", "removesuffix", "replace", "hexdigest", "digest"}

# (file, the comparison as ``ast.unparse`` writes it) -> why it compares no secret.
ALLOWED: dict[tuple[str, str], str] = {
    ("caseapp/services/cases.py", "number == key"):
        "a case number's search key (the digits of a typed case number), not key material",
}


@dataclass(frozen=True, order=True)
class Hit:
    path: str
    line: int
    source: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.source}"


def words(identifier: str) -> set[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", identifier)
    return {w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w}


def is_secret_name(identifier: str) -> bool:
    found = words(identifier)
    return bool(found & SECRET_WORDS) and not found & NOT_SECRET_WORDS


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def names_of(node: ast.expr) -> list[str]:
    """The identifiers that say what value ``node`` holds (see the module docstring)."""
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return [node.attr]
    if isinstance(node, ast.Subscript):
        key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return [key.value]
        return names_of(node.value)
    if isinstance(node, ast.BinOp):
        return names_of(node.left) + names_of(node.right)
    if isinstance(node, ast.Call):
        name = _call_name(node.func)
        if name in OPAQUE_CALLS:
            return []
        found = [name] if name else []
        if name in GETTERS:
            found = [a.value for a in node.args
                     if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if isinstance(node.func, ast.Attribute) and name in CONVERSIONS:
            found += names_of(node.func.value)  # x.hex(), token.strip().lower()
        for arg in node.args:
            found += names_of(arg)  # _normal(fingerprint), bytes.fromhex(sig)
        return found
    return []


def _is_constant(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return all(_is_constant(e) for e in node.elts)
    if isinstance(node, ast.Name):
        return re.fullmatch(r"_?[A-Z][A-Z0-9_]*", node.id) is not None
    if isinstance(node, ast.Attribute):
        root: ast.expr = node
        while isinstance(root, ast.Attribute):
            root = root.value
        return re.fullmatch(r"_?[A-Z][A-Z0-9_]*", node.attr) is not None or (
            isinstance(root, ast.Name) and root.id[:1].isupper())
    return False


def flagged(node: ast.Compare) -> bool:
    operands = [node.left, *node.comparators]
    for op, left, right in zip(node.ops, operands[:-1], operands[1:], strict=True):
        if not isinstance(op, ast.Eq | ast.NotEq):
            continue
        if _is_constant(left) or _is_constant(right):
            continue
        if any(is_secret_name(n) for side in (left, right) for n in names_of(side)):
            return True
    return False


def scan_source(source: str, path: str = "<source>") -> list[Hit]:
    return sorted(Hit(path, node.lineno, ast.unparse(node))
                  for node in ast.walk(ast.parse(source, filename=path))
                  if isinstance(node, ast.Compare) and flagged(node))


def python_files() -> list[Path]:
    return sorted(p for root in ROOTS if root.is_dir() for p in root.rglob("*.py"))


def test_no_secret_is_compared_in_variable_time() -> None:
    files = python_files()
    must_cover = ["caseapp/crypto/keyslots.py", "caseapp/crypto/unlock_record.py",
                  "caseapp/services/unlock_guard.py", "caseapp/store/audit.py",
                  "caseapp/sync/envelope.py", "caseapp/sync/protocol.py",
                  "caseapp/sync/tls.py", "caseapp/server/auth.py",
                  "caseapp/services/referral_packages.py", "caseapp/services/package_signing.py"]
    assert {REPO / p for p in must_cover} <= set(files)
    hits = [hit for path in files
            for hit in scan_source(path.read_text(encoding="utf-8"),
                                   path.relative_to(REPO).as_posix())]
    unexplained = [h for h in hits if (h.path, h.source) not in ALLOWED]
    assert not unexplained, "compare these with caseapp.crypto.compare.same:\n" + "\n".join(
        map(str, unexplained))
    stale = set(ALLOWED) - {(h.path, h.source) for h in hits}
    assert not stale, f"allowances that match nothing any more: {sorted(stale)}"


# -- the rule finds what it must, and only that ----------------------------------------------

FLAGGED = [
    "ok = mac == expected\n",
    "if tag != stored_tag:\n    pass\n",
    "if hashlib.sha256(data).hexdigest() != manifest.get('pdf_sha256'):\n    pass\n",
    "same = bytes.fromhex(sig) == computed\n",
    "if _normal(keys.short_fingerprint(found)) != _normal(fingerprint):\n    pass\n",
    "if record.body.get('hfz_SigningKey') == other:\n    pass\n",
    "if request.headers['X-Signature'] == signature_of(body):\n    pass\n",
    "match = token.strip().lower() == given\n",
    "if spki_pin(pem) != pin.strip().lower():\n    pass\n",
    "if self.db_key == key:\n    pass\n",
    "if link == anchor:\n    pass\n",
    "if a == b == secret:\n    pass\n",
    "if passphrase == typed:\n    pass\n",
    "if prefix + digest == other:\n    pass\n",
    "if hmacValue != other:\n    pass\n",
    "if stored_mac.hex() == given:\n    pass\n",
]
ACCEPTED = [
    "if hmac.compare_digest(mac, expected):\n    pass\n",
    "if same(tag, stored):\n    pass\n",
    "if len(key) != 32:\n    pass\n",
    "if key == 'name':\n    pass\n",
    "if kind == PASSPHRASE:\n    pass\n",
    "if key == Qt.Key.Key_Escape:\n    pass\n",
    "if event.type() == QEvent.Type.KeyPress:\n    pass\n",
    "if role == roles.ADMINISTRATOR:\n    pass\n",
    "if signature is None:\n    pass\n",
    "if token in revoked:\n    pass\n",
    "if key_id == other_id:\n    pass\n",
    "if slot_kind != kind:\n    pass\n",
    "if team.public == public_key:\n    pass\n",
    "if isinstance(key, bytes) == flag:\n    pass\n",
    "if hash_alg != 'sha256':\n    pass\n",
    "if count == total:\n    pass\n",
    "if sig < other:\n    pass\n",
    "if monkey == donkey:\n    pass\n",
    "if keys.b64e(team.public) == other:\n    pass\n",
]


@pytest.mark.parametrize("source", FLAGGED)
def test_the_rule_flags_a_variable_time_comparison_of_a_secret(source: str) -> None:
    hits = scan_source("import os\n" + source, "sample.py")
    assert len(hits) == 1 and hits[0].line == 2, hits


@pytest.mark.parametrize("source", ACCEPTED)
def test_the_rule_accepts_constant_time_and_non_secret_comparisons(source: str) -> None:
    assert scan_source(source) == []


def test_same_compares_in_constant_time_and_never_matches_nothing() -> None:
    assert same(b"\x01\x02", b"\x01\x02") and same("abc", b"abc") and same("ظفر", "ظفر")
    assert not same(b"\x01\x02", b"\x01\x03") and not same("abc", "abcd")
    # A missing value (None) or one of the wrong type from untrusted JSON matches nothing.
    assert not same(None, None) and not same(None, b"") and not same(7, 7)
    assert not same(["a"], ["a"])
    assert same("\ud800", "\ud800") and not same("\ud800", "\ud801")  # lone surrogates
