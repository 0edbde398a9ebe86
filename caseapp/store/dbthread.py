"""One thread that owns the database connection (as Anki's collection does).

Every piece of database work is submitted to it and runs there, one after another, so a
transaction is never shared between threads and a slow query never freezes the window. The
desktop submits work and gets the result back through a ``Future``; the connection, opened on
this thread, refuses every other thread (``database.WrongThread``)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")
_STOP = object()


class DbThread:
    def __init__(self, name: str = "hifazat-db") -> None:
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is _STOP:
                return
            future, fn = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn())
            except BaseException as exc:  # handed to the caller, never lost on this thread
                future.set_exception(exc)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def on_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        """Queue ``fn`` to run on the database thread; its result or error is in the future."""
        if not self._thread.is_alive():
            raise RuntimeError("the database thread has stopped")
        future: Future[T] = Future()
        self._jobs.put((future, fn))
        return future

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the database thread and wait for it (directly when already there)."""
        if self.on_thread:
            return fn()
        return self.submit(fn).result()

    def stop(self) -> None:
        """Finish the queued work, then end the thread."""
        if self._thread.is_alive() and not self.on_thread:
            self._jobs.put(_STOP)
            self._thread.join()
