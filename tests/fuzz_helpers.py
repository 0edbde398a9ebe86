"""Shared pieces of the fuzz tests (SECURITY.md item 16): JSON values of every shape, mutations
of a genuine document at a random place, a guard that turns a hang into a failure, and the
Hypothesis settings that keep all fuzz tests together under about a minute."""

from __future__ import annotations

import contextlib
import copy
import json
import signal
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Each fuzz test: a few dozen to a few hundred inputs. Failing inputs are shrunk and replayed
# from Hypothesis's example database like any other. No deadline: on a loaded CI machine a
# slow example is no failure; a hang is, and ``no_hang`` inside each test catches it.
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])

# Values that break naive parsers: huge and negative numbers, non-finite floats (Python's
# json reads "Infinity" and "NaN"), empty and odd text (NUL, a lone surrogate, RTL marks).
AWKWARD_SCALARS = st.sampled_from([
    0, -1, 1, 2**31, 2**63, 2**64 + 1, -(2**63), 10**30, 1e308, float("inf"), float("nan"),
    -0.0, True, False, None, "", "\0", "\ud800", "\u202e", "٣", "0" * 5000, "A" * 300,
    "../../etc/passwd", "null", "[]", "{}", "true"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                    st.text(max_size=24), AWKWARD_SCALARS)
JSON: st.SearchStrategy[Any] = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=5),
                            st.dictionaries(st.text(max_size=12), inner, max_size=5)),
    max_leaves=24)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document, the document itself first."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


@st.composite
def mutated(draw: st.DrawFn, genuine: Any) -> Any:
    """``genuine`` changed at one to three random places: a value replaced by any JSON, a
    key removed or added, a text shortened or grown, a number moved to a neighbour."""
    doc = copy.deepcopy(genuine)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths(doc)))
        target = _at(doc, path)
        op = draw(st.sampled_from(["replace", "drop", "add", "edit"]))
        if not path:
            if op == "replace":
                doc = draw(JSON)
            continue
        parent, last = _at(doc, path[:-1]), path[-1]
        if op == "replace":
            parent[last] = draw(JSON)
        elif op == "drop":
            del parent[last]
            if isinstance(parent, list):
                continue
        elif op == "add" and isinstance(target, dict):
            target[draw(st.text(max_size=12))] = draw(JSON)
        elif op == "add" and isinstance(target, list):
            target.append(draw(JSON))
        elif isinstance(target, str):
            parent[last] = draw(st.sampled_from([target[:-1], target + "x", target.upper(),
                                                 target[::-1], target * 2]))
        elif isinstance(target, bool) or target is None:
            parent[last] = draw(SCALARS)
        elif isinstance(target, int):
            parent[last] = target + draw(st.sampled_from([-1, 1, -target, 2**64]))
        else:
            parent[last] = draw(JSON)
        # A document whose paths were changed above is walked afresh next round.
    return doc


def encoded(draw: st.DrawFn, value: Any) -> bytes:
    """A JSON document as bytes the way a file could hold it (or not quite)."""
    text = json.dumps(value, ensure_ascii=draw(st.booleans()))
    data = text.encode("utf-8", "surrogatepass")
    cut = draw(st.sampled_from([None, None, None, len(data) // 2, len(data) - 1]))
    return data if cut is None else data[:cut]


@st.composite
def json_files(draw: st.DrawFn, genuine: Any) -> bytes:
    """The bytes of a file where a parser expects ``genuine``: mostly mutations of it, some
    other JSON, some arbitrary bytes, and nesting deeper than any parser should follow."""
    kind = draw(st.sampled_from(["mutated"] * 6 + ["json", "bytes", "deep", "bom"]))
    if kind == "mutated":
        return encoded(draw, draw(mutated(genuine)))
    if kind == "json":
        return encoded(draw, draw(JSON))
    if kind == "bytes":
        return draw(st.binary(max_size=600))
    if kind == "deep":
        depth = draw(st.sampled_from([1000, 100_000]))
        return b"[" * depth + b"]" * draw(st.sampled_from([0, depth]))
    return b"\xef\xbb\xbf" + json.dumps(genuine).encode()


class Hang(AssertionError):
    pass


@contextlib.contextmanager
def no_hang(seconds: float = 10.0) -> Iterator[None]:
    """Fail with Hang if the block runs longer than ``seconds`` (SIGALRM: main thread)."""

    def expired(_signum: int, _frame: object) -> None:
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
