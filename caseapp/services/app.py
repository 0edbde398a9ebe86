"""The application object: the one thing the desktop (and the command line) holds, like
Anki's ``Collection``. It owns the unlocked session, runs all database work on one thread,
builds the services, locks and unlocks, and publishes a ``Changes`` value on its event bus
after every commit — local edits and changes applied from other devices alike."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, TypeVar

from caseapp.errors import ProfileLocked
from caseapp.hardening import harden_process
from caseapp.services.events import EventBus
from caseapp.store.dbthread import DbThread

if TYPE_CHECKING:
    from caseapp.services.base import Service
    from caseapp.services.cases import CaseService
    from caseapp.services.consent import ConsentService
    from caseapp.services.directory import DirectoryService
    from caseapp.services.drafts import DraftService
    from caseapp.services.plans import PlanService
    from caseapp.services.referrals import ReferralService
    from caseapp.services.reintegration import ReintegrationService
    from caseapp.services.screenings import ScreeningService
    from caseapp.services.session import Notice, Session

T = TypeVar("T")
S = TypeVar("S", bound="Service")


class Services:
    """The services of one unlocked session, each built once, on the database thread. Each is
    imported when first asked for: the unlock window comes up before the casework rules load."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._built: dict[type[Service], Service] = {}
        self._drafts: DraftService | None = None

    def get(self, kind: type[S]) -> S:
        if kind not in self._built:
            self._built[kind] = kind(self.session)
        service = self._built[kind]
        assert isinstance(service, kind)
        return service

    @property
    def cases(self) -> CaseService:
        from caseapp.services.cases import CaseService

        return self.get(CaseService)

    @property
    def consent(self) -> ConsentService:
        from caseapp.services.consent import ConsentService

        return self.get(ConsentService)

    @property
    def screenings(self) -> ScreeningService:
        from caseapp.services.screenings import ScreeningService

        return self.get(ScreeningService)

    @property
    def referrals(self) -> ReferralService:
        from caseapp.services.referrals import ReferralService

        return self.get(ReferralService)

    @property
    def plans(self) -> PlanService:
        from caseapp.services.plans import PlanService

        return self.get(PlanService)

    @property
    def reintegration(self) -> ReintegrationService:
        from caseapp.services.reintegration import ReintegrationService

        return self.get(ReintegrationService)

    @property
    def directory(self) -> DirectoryService:
        from caseapp.services.directory import DirectoryService

        return self.get(DirectoryService)

    def unsynced(self) -> int:
        """How many local changes have not reached the server yet."""
        return self.session.store.pending_changes()

    @property
    def user_id(self) -> str:
        return self.session.user_id

    @property
    def role(self) -> str:
        return self.session.role

    @property
    def drafts(self) -> DraftService:
        if self._drafts is None:
            from caseapp.services.drafts import DraftService

            self._drafts = DraftService(self.session)
        return self._drafts


class CaseApp:
    """``threaded=True`` (the desktop): database work runs on a thread of its own, and
    ``submit`` returns futures. ``threaded=False`` (the command line, tests): work runs on the
    calling thread, which then owns the connection."""

    def __init__(self, *, threaded: bool = True) -> None:
        harden_process()
        self.events = EventBus()
        self._db = DbThread(idle=self._upkeep) if threaded else None
        self._session: Session | None = None
        self._services: Services | None = None

    # -- running work -------------------------------------------------------------------
    def _call(self, fn: Callable[[], T]) -> T:
        return self._db.call(fn) if self._db is not None else fn()

    def run(self, fn: Callable[[Services], T]) -> T:
        """Run ``fn(services)`` on the database thread and return its result; raises
        ``ProfileLocked`` when no profile is unlocked."""
        return self._call(lambda: fn(self._require()))

    def submit(self, fn: Callable[[Services], T]) -> Future[T]:
        """Queue ``fn(services)`` on the database thread (the desktop's way: never block)."""
        if self._db is None:
            future: Future[T] = Future()
            try:
                future.set_result(self.run(fn))
            except BaseException as exc:
                future.set_exception(exc)
            return future
        if not self._db.running:
            # the application is closing: a late call gets what a locked profile gives
            stopped: Future[T] = Future()
            stopped.set_exception(ProfileLocked())
            return stopped
        return self._db.submit(lambda: fn(self._require()))

    def _upkeep(self) -> bool:
        """The database thread's idle work, which no save should wait for: a step of the
        search index's merging, then the WAL checkpoint. Whether there is more to do."""
        from caseapp.store import database  # here: the unlock window opens before the vault code

        session = self._session
        if session is None or session.conn is None or session.conn.in_transaction:
            return False
        more = session.store.merge_search()
        database.idle_checkpoint(session.conn)
        return more

    def _require(self) -> Services:
        if self._services is None or self._session is None or self._session.locked:
            raise ProfileLocked()
        return self._services

    # -- unlock and lock ------------------------------------------------------------------
    @property
    def locked(self) -> bool:
        return self._session is None or self._session.locked

    @property
    def notices(self) -> list[Notice]:
        """What the last unlock found and the user must be told (an interrupted export and
        what became of its files): show each ``user_message()`` once after unlocking."""
        return [] if self._session is None else list(self._session.notices)

    @property
    def profile(self) -> str | None:
        return None if self._session is None else self._session.paths.name

    def unlock(self, profile: str, secret: str,
               upgrading: Callable[[float], None] | None = None) -> None:
        """Open ``profile`` with its passphrase or recovery code (on the database thread: the
        key derivation takes about a second and must not freeze a window). ``upgrading``
        hears how far the upgrade of a vault of an earlier version has come (0 to 1)."""
        from caseapp.services import profiles  # here: the unlock window opens before the vault code

        self._call(lambda: self._attach(profiles.unlock(profile, secret,
                                                        upgrading=upgrading)))

    def _attach(self, session: Session) -> None:
        if self._session is not None:
            self._session.close()
        session.on_commit = self.events.publish
        self._session = session
        self._services = Services(session)

    def _close_session(self) -> None:
        if self._session is not None:
            self._session.close()
        self._services = None

    def lock(self) -> None:
        """Record the audit head, close the database and drop the keys. Services built
        before keep failing with ``ProfileLocked`` until the next unlock."""
        self._call(self._close_session)

    def lock_soon(self) -> Future[None]:
        """``lock`` queued behind the work already submitted (a window saving its drafts
        first), without waiting: the desktop's lock, which must not freeze the screen."""
        if self._db is None:
            future: Future[None] = Future()
            self.lock()
            future.set_result(None)
            return future
        return self._db.submit(self._close_session)

    def close(self) -> None:
        """Lock, then end the database thread."""
        self.lock()
        if self._db is not None:
            self._db.stop()
