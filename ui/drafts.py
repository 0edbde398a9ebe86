"""Forms that hold typed text a lock must not lose (ARCHITECTURE §9): before the keys go,
the window asks every open form for its draft and stores them in the vault; after the next
unlock each form is rebuilt and given its draft back."""

from __future__ import annotations

from typing import Any, Protocol


class Draftable(Protocol):
    """A form whose workspace names its key (``case:<id>:notes``, ``new-case``)."""

    def draft(self) -> dict[str, Any] | None:
        """What was typed and not saved; None when nothing is unsaved."""
        ...

    def restore(self, draft: dict[str, Any]) -> None:
        ...
