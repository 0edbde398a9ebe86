"""What one committed transaction changed, as one value (like Anki's ``OpChanges``): the
desktop refreshes only the views that show one of these, and the same value comes from a
local edit and from changes applied from another device."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Changes:
    # record type -> ids of the records of that type that changed (created, edited,
    # deleted or re-projected because a record they show changed)
    records: dict[str, frozenset[str]] = field(default_factory=dict)
    # cases whose workspace shows something new: the case itself or a record under it
    cases: frozenset[str] = frozenset()
    remote: bool = False
    # names of the fields whose value changed, over all records
    fields: frozenset[str] = frozenset()
    # the record the operation created or acted on, when it has one
    id: str | None = None

    def __bool__(self) -> bool:
        return bool(self.records)

    def touches(self, *record_types: str) -> bool:
        return any(t in self.records for t in record_types)

    def ids(self, record_type: str) -> frozenset[str]:
        return self.records.get(record_type, frozenset())

    def with_id(self, record_id: str | None) -> Changes:
        return replace(self, id=record_id)


class ChangeCollector:
    """Gathers what a transaction touched until it commits (or is thrown away)."""

    def __init__(self) -> None:
        self._records: dict[str, set[str]] = {}
        self._cases: set[str] = set()
        self.fields: set[str] = set()
        self.remote = False

    def touched(self, record_type: str, record_id: str, cases: Iterable[str] = ()) -> None:
        self._records.setdefault(record_type, set()).add(record_id)
        self._cases.update(cases)

    def mark(self) -> Changes:
        """What was collected so far, to go back to when a savepoint is undone."""
        return self.freeze()

    def reset(self, mark: Changes) -> None:
        self._records = {t: set(ids) for t, ids in mark.records.items()}
        self._cases = set(mark.cases)
        self.fields = set(mark.fields)

    def freeze(self) -> Changes:
        return Changes({t: frozenset(ids) for t, ids in self._records.items()},
                       frozenset(self._cases), self.remote, frozenset(self.fields))
