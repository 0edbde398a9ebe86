"""The one bridge between the core and Qt (as Electrum's): work goes to the database thread
(or, for a blocking call such as an unlock, to a worker thread) and its result or error comes
back as a call on the GUI thread; the core's change events are re-emitted as a Qt signal, so
views refresh only what changed. Nothing else in ``ui`` touches a thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, Signal

from caseapp.errors import CaseAppError
from caseapp.services.app import CaseApp, Services

T = TypeVar("T")
Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


class Bridge(QObject):
    # A Changes value, after every commit (local or remote).
    changed = Signal(object)
    # (callback, value): delivered on the GUI thread
    _deliver = Signal(object, object)
    # (callback, value): a report on the way (progress), not the end of a call
    _relay = Signal(object, object)

    def __init__(self, app: CaseApp) -> None:
        super().__init__()
        self.app = app
        self.busy = 0  # calls in flight (tests wait for zero)
        self._deliver.connect(self._on_deliver, Qt.ConnectionType.QueuedConnection)
        self._relay.connect(lambda callback, value: callback(value),
                            Qt.ConnectionType.QueuedConnection)
        self._unsubscribe = app.events.subscribe(self._publish)
        self.on_unexpected: Failed = lambda exc: None

    def _publish(self, changes: object) -> None:
        # Called on the database thread; the signal crosses to the GUI thread queued.
        self.changed.emit(changes)

    def _on_deliver(self, callback: Callable[[Any], None], value: object) -> None:
        self.busy -= 1
        callback(value)

    def _settle(self, future: Future[Any], done: Done | None, failed: Failed | None) -> None:
        exc = future.exception()
        if exc is None:
            self._deliver.emit(done or (lambda value: None), future.result())
        elif failed is not None and isinstance(exc, CaseAppError):
            self._deliver.emit(failed, exc)
        else:
            self._deliver.emit(failed or self.on_unexpected, exc)

    def relay(self, callback: Callable[[T], None]) -> Callable[[T], None]:
        """``callback`` made safe to call from any thread: it then runs on the GUI thread
        (progress reported by work running elsewhere)."""
        return lambda value: self._relay.emit(callback, value)

    def call(self, fn: Callable[[Services], T], done: Done | None = None,
             failed: Failed | None = None) -> None:
        """Run ``fn(services)`` on the database thread; ``done(result)`` or
        ``failed(error)`` then runs on the GUI thread."""
        self.busy += 1
        self.app.submit(fn).add_done_callback(lambda f: self._settle(f, done, failed))

    def settle(self, future: Future[T], done: Done | None = None,
               failed: Failed | None = None) -> None:
        """Deliver the outcome of a future the core handed out, on the GUI thread."""
        self.busy += 1
        future.add_done_callback(lambda f: self._settle(f, done, failed))

    def background(self, fn: Callable[[], T], done: Done | None = None,
                   failed: Failed | None = None) -> None:
        """Run a call that blocks (an unlock, creating a profile) on a worker thread."""
        self.busy += 1
        future: Future[T] = Future()

        def work() -> None:
            try:
                future.set_result(fn())
            except BaseException as exc:
                future.set_exception(exc)
        future.add_done_callback(lambda f: self._settle(f, done, failed))
        threading.Thread(target=work, name="hifazat-worker", daemon=True).start()

    def close(self) -> None:
        self._unsubscribe()
