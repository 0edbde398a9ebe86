"""A small event bus: the application object publishes one ``Changes`` value after each
commit, local or remote. Subscribers run on the thread that committed (the database
thread); the desktop's bridge re-emits them as a Qt signal on the GUI thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from caseapp.store.changes import Changes

Subscriber = Callable[[Changes], None]
log = logging.getLogger(__name__)


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber`` with every published ``Changes``; returns an unsubscribe."""
        with self._lock:
            self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            with self._lock:
                if subscriber in self._subscribers:
                    self._subscribers.remove(subscriber)
        return unsubscribe

    def publish(self, changes: Changes) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            try:
                subscriber(changes)
            except Exception:
                # The commit has happened; one failing view must not hide it from the others.
                # Only the type is logged: a message could hold what a record says.
                log.error("a change subscriber failed", exc_info=False)
