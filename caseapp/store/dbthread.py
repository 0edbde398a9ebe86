"""One thread that owns the database connection (as Anki's collection does).

Every piece of database work is submitted to it and runs there, one after another, so a
transaction is never shared between threads and a slow query never freezes the window. The
desktop submits work and gets the result back through a ``Future``; the connection, opened on
this thread, refuses every other thread (``database.WrongThread``).

Upkeep that can wait for a pause (``idle``: merging the search index, the WAL checkpoint)
runs once the queue has been empty for ``idle_after`` seconds after a job, so no job that
someone waits on pays for it; in short steps, one per pause, while it says there is more."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)
_STOP = object()


class DbThread:
    def __init__(self, name: str = "hifazat-db", idle: Callable[[], bool] | None = None,
                 idle_after: float = 0.5) -> None:
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._idle, self._idle_after = idle, idle_after
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        worked = False  # a job ran since the last idle step, or that step left more to do
        while True:
            try:
                job = self._jobs.get(timeout=self._idle_after if worked and self._idle else None)
            except queue.Empty:
                worked = False
                assert self._idle is not None
                try:
                    worked = self._idle()
                except Exception as exc:
                    # Idle work can be done at the next pause; the thread must live on. Only the
                    # type is logged: a message could hold what a record says.
                    log.error("idle database work failed: %s", type(exc).__name__)
                continue
            if job is _STOP:
                return
            worked = True
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
