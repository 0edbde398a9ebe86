"""Merging a change into a record (SYNC.md §4), the same way for a local edit and for a
change from another device, so every replica that applied the same changes — in any order,
in any batches — holds the same records and the same conflicts.

- Ordinary fields: last writer wins by hybrid logical clock, field by field.
- Set fields (``merge_rules.SET_FIELDS``): a change carries the elements it adds or changes
  and the keys it removes (``{"+": [[key, element], …], "-": [key, …]}``); last writer wins
  per element, and the list is kept in one order on every replica (the clock of the change
  that wrote each element, then its place in that change).
- Guarded fields: two changes conflict when neither saw the other — each was written over a
  value older than the other (``seen`` below the other's clock) — and their values differ.
  That test looks at the two changes only, so it comes out the same in any order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from caseapp.domain import merge_rules
from caseapp.store import changelog
from caseapp.store.changelog import LoggedChange
from caseapp.store.database import Connection

ADD = "+"
REMOVE = "-"


def _element(name: str, key: str, clocks: dict[str, str],
             legacy: dict[str, int]) -> tuple[str, int]:
    """(clock, position in its change) of a set element. Records written before set fields
    merged per element have one clock for the field; their elements keep their order."""
    stored = clocks.get(f"{name}/{key}")
    if stored is None:
        return clocks.get(name, ""), legacy.get(key, 0)
    hlc, _sep, position = stored.partition(" ")
    return hlc, int(position or 0)


def set_delta(key: Callable[[Any], str], old: list[Any] | None,
              new: list[Any] | None) -> dict[str, Any] | None:
    """What turns list ``old`` into list ``new``, element by element; None when nothing.
    Added elements are a list of [key, element] pairs: their order is the user's, and a
    JSON object's key order does not survive canonical JSON."""
    before = {key(v): v for v in old or []}
    after = {key(v): v for v in new or []}
    added = [[k, v] for k, v in after.items() if before.get(k) != v]
    removed = sorted(k for k in before if k not in after)
    if not added and not removed:
        return None
    return {ADD: added, REMOVE: removed}


def _merge_set(name: str, key: Callable[[Any], str], body: dict[str, Any],
               clocks: dict[str, str], delta: dict[str, Any], hlc: str) -> bool:
    old = list(body.get(name) or [])
    current = {key(v): v for v in old}
    legacy = {k: i for i, k in enumerate(current)}
    for position, (k, value) in enumerate(delta.get(ADD) or []):
        if hlc > _element(name, k, clocks, legacy)[0]:
            current[k] = value
            clocks[f"{name}/{k}"] = f"{hlc} {position}"
    for k in delta.get(REMOVE) or []:
        if hlc > _element(name, k, clocks, legacy)[0]:
            current.pop(k, None)
            clocks[f"{name}/{k}"] = hlc
    # One order on every replica: by the change that wrote the element, then its place there.
    order = sorted(current, key=lambda k: (*_element(name, k, clocks, legacy), k))
    body[name] = [current[k] for k in order]
    return body[name] != old


def merge_fields(record_type: str, body: dict[str, Any], clocks: dict[str, str],
                 fields: dict[str, Any], hlc: str) -> list[str]:
    """Apply ``fields`` written at ``hlc`` to ``body`` and ``clocks`` (in place); returns the
    names of the fields whose value changed."""
    changed = []
    for name, value in fields.items():
        key = merge_rules.set_key(record_type, name)
        if key is not None and isinstance(value, dict):
            if _merge_set(name, key, body, clocks, value, hlc):
                changed.append(name)
        elif hlc > clocks.get(name, ""):
            clocks[name] = hlc
            if name not in body or body[name] != value:
                body[name] = value
                changed.append(name)
    return changed


def conflict_id(record_id: str, name: str, clock_a: str, clock_b: str) -> str:
    low, high = sorted((clock_a, clock_b))
    return hashlib.sha256(f"{record_id}|{name}|{low}|{high}".encode()).hexdigest()[:32]


def record_conflicts(conn: Connection, change: LoggedChange) -> int:
    """Record the conflicts ``change`` has with the changes already logged for its record
    (call before logging it); returns how many were new."""
    names = [n for n in change.fields if merge_rules.guarded(change.record_type, n)
             and merge_rules.set_key(change.record_type, n) is None]
    if not names:
        return 0
    found = 0
    logged = changelog.of_record(conn, change.record_id)
    for other in logged:
        for name in names:
            if name not in other.fields or other.fields[name] == change.fields[name]:
                continue
            if other.hlc > (change.seen.get(name) or "") and \
                    change.hlc > (other.seen.get(name) or ""):
                first, second = sorted((other, change), key=lambda c: c.hlc)
                # Resolved already when its resolution arrived first (the lowest id: the
                # same choice on every replica).
                by = min((c.change_id for c in logged
                          if _resolution_of(c, name, first.hlc, second.hlc)), default=None)
                cur = conn.execute(
                    "INSERT OR IGNORE INTO conflicts (id, record_id, field, clock_a, value_a, "
                    "clock_b, value_b, resolved_by) VALUES (?,?,?,?,?,?,?,?)",
                    (conflict_id(change.record_id, name, first.hlc, second.hlc),
                     change.record_id, name, first.hlc, changelog.dumps(first.fields[name]),
                     second.hlc, changelog.dumps(second.fields[name]), by))
                found += cur.rowcount
    return found


def conflicts(conn: Connection, record_id: str | None = None) -> list[dict[str, Any]]:
    sql = ("SELECT id, record_id, field, clock_a, value_a, clock_b, value_b, resolved_by "
           "FROM conflicts")
    args: tuple[str, ...] = ()
    if record_id is not None:
        sql += " WHERE record_id = ?"
        args = (record_id,)
    rows = conn.execute(sql + " ORDER BY id", args)
    return [{"id": r[0], "record_id": r[1], "field": r[2], "clock_a": r[3],
             "value_a": json.loads(r[4]), "clock_b": r[5], "value_b": json.loads(r[6]),
             "resolved_by": r[7]} for r in rows]


# A resolution (SYNC.md §4) is a change of a guarded field that carries this key in its
# ``seen`` map, with the newer of the conflict's two clocks: it resolves every conflict on
# that field whose two clocks it saw. Whether a conflict is resolved is thereby a function
# of the set of changes, whatever order they arrive in.
RESOLUTION = "~resolution"


def _resolution_of(change: LoggedChange, name: str, clock_a: str, clock_b: str) -> bool:
    seen = change.seen.get(name)
    return RESOLUTION in change.seen and name in change.fields and seen is not None and \
        clock_a <= seen and clock_b <= seen


def resolve_seen(conn: Connection, change: LoggedChange) -> int:
    """Mark resolved by ``change`` the conflicts it resolves (keeping an earlier-sorting
    resolution's id where there is one); returns how many it marked."""
    if RESOLUTION not in change.seen:
        return 0
    done = 0
    for name in change.fields:
        seen = change.seen.get(name)
        if seen is None or not merge_rules.guarded(change.record_type, name):
            continue
        # The lowest id of the resolutions that cover it, whichever arrived first.
        cur = conn.execute("UPDATE conflicts SET resolved_by = ? WHERE record_id = ? AND "
                           "field = ? AND (resolved_by IS NULL OR resolved_by > ?) AND "
                           "clock_a <= ? AND clock_b <= ?",
                           (change.change_id, change.record_id, name, change.change_id, seen,
                            seen))
        done += cur.rowcount
    return done
