"""An unlocked profile: the open database, the signed-in user, the device keys.

Writes happen in ``Session.write()`` transactions; when the outermost one commits, what it
changed is handed, as one ``Changes`` value, to ``on_commit`` (the application object
publishes it on its event bus). Closing a session writes the signed audit head beside the
database and drops the keys; every store call after that raises ``ProfileLocked``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from caseapp.crypto import role_grant
from caseapp.errors import CaseAppError, ProfileLocked, StorageError
from caseapp.i18n import N_, _
from caseapp.services.profile_paths import ProfilePaths
from caseapp.store import audit, database, savepoints
from caseapp.store import meta as vault_meta
from caseapp.store.changes import ChangeCollector, Changes
from caseapp.store.hlc import HybridClock
from caseapp.store.records import RecordStore


@dataclass(frozen=True)
class Notice:
    """Something found while unlocking that the user must be told (an export a kill cut
    off, say): a message id and its parameters, translated when shown."""

    msgid: str
    params: dict[str, object] = field(default_factory=dict)

    def user_message(self) -> str:
        return _(self.msgid, **self.params)


# A machine clock this far behind the last server time seen refuses edits (SYNC.md §4): its
# clocks would sort before what other devices already wrote.
CLOCK_BEHIND_LIMIT_MS = 24 * 3600 * 1000


class ClockBehind(CaseAppError):
    msgid = N_("This computer's clock is more than 24 hours behind the time the sync server "
               "last reported. Correct the date and time, then try again; nothing was saved.")


class Transaction:
    """What ``Session.write()`` yields: the connection, and — once the block has committed —
    the ``Changes`` it made."""

    def __init__(self, conn: database.Connection) -> None:
        self.conn = conn
        self.changes = Changes()


# How long a head may lag behind events that only record a view (never an edit).
VIEW_ANCHOR_SECONDS = 2.0


class Session:
    def __init__(self, conn: database.Connection, paths: ProfilePaths,
                 db_key: bytes | None) -> None:
        self.conn: database.Connection | None = conn
        self.paths = paths
        self.db_key = db_key or b""
        self.rotation_interrupted = False
        # What the unlock found and the user must be told (the desktop shows these once).
        self.notices: list[Notice] = []
        self.on_commit: Callable[[Changes], None] = lambda changes: None
        self._anchored: tuple[int, str] | None = None  # the audit head last written here
        self._anchored_at = 0.0  # monotonic time of that write
        meta = vault_meta.read_all(conn)
        self.device_id: str = meta["device_id"]
        self.user_id: str = meta["user_id"]
        self.team_id: str = meta["team_id"]
        self.sign_key = Ed25519PrivateKey.from_private_bytes(
            bytes.fromhex(meta["device_sign_key"]))
        # The role comes from the grant signed by the organisation key, never from the user
        # record, which a passphrase holder can edit (issue 7, item 5). A grant for another
        # user or team grants nothing; a vault without any (written before grants) is given
        # one when it is unlocked (``role_grants.upgrade``).
        grant = role_grant.verified(meta.get("role_grant"), meta.get("org_public_key"))
        if grant is not None and (grant.user_id, grant.team_id) != (self.user_id, self.team_id):
            grant = None
        self.grant = grant
        self.ungranted = "role_grant" not in meta and "org_public_key" not in meta
        self.clock = HybridClock(self.device_id, meta.get("hlc"))
        self.store = RecordStore(conn, self.clock, self.device_id)
        self.audit = audit.AuditLog(conn, self.device_id, self.sign_key)
        # The newest server time a sync saw (ms; 0: never synced), kept current by sync.
        self.server_time_ms = int(meta.get("sync.server_time", "0"))
        self.now_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000
        self.store.edit_guard = self._check_clock

    def _check_clock(self) -> None:
        if self.server_time_ms and self.now_ms() < self.server_time_ms - CLOCK_BEHIND_LIMIT_MS:
            raise ClockBehind()

    @property
    def locked(self) -> bool:
        return self.conn is None

    @property
    def user(self) -> dict[str, object]:
        record = self.store.get(self.user_id)
        return record.body if record else {}

    @property
    def role(self) -> str:
        """The signed role; none at all when the grant is missing or does not verify."""
        return self.grant.role if self.grant is not None else ""

    @property
    def law_enforcement(self) -> bool:
        return self.grant is not None and self.grant.law_enforcement

    def _conn(self) -> database.Connection:
        if self.conn is None:
            raise ProfileLocked()
        return self.conn

    @property
    def in_transaction(self) -> bool:
        return self.store.collector is not None

    @contextlib.contextmanager
    def write(self, *, view: bool = False) -> Iterator[Transaction]:
        """One transaction; nested blocks join the outermost (a batch commits once).
        ``view``: it only records that something was viewed (its audit head may lag by
        ``VIEW_ANCHOR_SECONDS``)."""
        conn = self._conn()
        outermost = self.store.collector is None
        if outermost:
            self.store.collector = ChangeCollector()
        tx = Transaction(conn)
        try:
            with database.transaction(conn):
                yield tx
        except BaseException:
            if outermost:
                self.store.collector = None
                self.audit.end_run()
            raise
        if outermost:
            collector, self.store.collector = self.store.collector, None
            assert collector is not None
            tx.changes = collector.freeze()
            self._anchor(data_changed=bool(tx.changes) or not view)
            if tx.changes:
                self.on_commit(tx.changes)

    @contextlib.contextmanager
    def savepoint(self, name: str) -> Iterator[None]:
        """Part of the open transaction that an error undoes alone, and with it what the
        part would have reported in ``Changes``."""
        collector = self.store.collector
        mark = collector.mark() if collector is not None else None
        # What a bulk write holds from before the savepoint is written first: a rollback to
        # it then forgets just what the records it undoes would have written.
        self.store.flush_held()
        try:
            with savepoints.savepoint(self._conn(), name):
                yield
        except BaseException:
            self.store.undo_held()
            if collector is not None and mark is not None:
                collector.reset(mark)
            raise

    def _anchor(self, *, data_changed: bool) -> None:
        """Move the signed head beside the database to the newest event after each commit,
        so a crash right after an edit still leaves a head that exposes a rolled-back copy.
        Never past a chain that does not verify since the last head (that would hide the
        tampering), and a failure to write it does not undo the commit: the next one retries."""
        head = self.audit.head()
        run = self.audit.own_run()
        self.audit.end_run()
        if head == self._anchored:
            return
        if not data_changed and time.monotonic() - self._anchored_at < VIEW_ANCHOR_SECONDS:
            # Only view events since the last head (a search typed letter by letter): the
            # head follows within seconds, at the next edit, or at lock. A head behind the
            # chain is never an alarm; only a chain shorter than its head is.
            return
        # Every event since the last head hashed and signed by this session in the
        # transaction just committed (one writer at a time) needs no second check: a batch of
        # thousands of edits (``caseapp demo``) is not verified event by event again.
        if run == (self._anchored, head) or self.verify_audit(since_anchor=True).ok:
            self._write_anchor(head)

    def _write_anchor(self, head: tuple[int, str]) -> None:
        with contextlib.suppress(StorageError):
            audit.write_anchor(self.paths.audit_head, head, self.sign_key)
            self._anchored = head
            self._anchored_at = time.monotonic()

    def anchor_new_vault(self) -> None:
        """The first head of a vault just created here (there is no earlier one to check)."""
        head = self.audit.head()
        audit.write_anchor(self.paths.audit_head, head, self.sign_key)
        self._anchored = head

    def verify_audit(self, *, since_anchor: bool = False) -> audit.VerifyReport:
        conn = self._conn()
        public = self.sign_key.public_key()
        try:
            anchor = audit.read_anchor(self.paths.audit_head, public)
        except audit.ForgedAnchor:
            return audit.VerifyReport(False, 0, 1, audit.MSG_HEAD_FORGED)
        if anchor is None and self.audit.head()[0] > 0:
            # Every vault gets its head when it is created: a missing one was removed, which
            # is what hiding a restored older copy takes.
            return audit.VerifyReport(False, 0, 1, audit.MSG_HEAD_MISSING)
        return audit.verify(conn, public, anchor, since_anchor=since_anchor)

    def reconnect(self, conn: database.Connection) -> None:
        """Go on with ``conn``, a new connection to this vault, in place of the current one,
        closed by the caller (``services.compaction`` replaces the vault's file). Every
        service holding this session goes on working; the keys stay."""
        self.conn = conn
        self.store.rebind(conn)
        self.audit.rebind(conn)

    def close(self) -> None:
        """Lock: record the audit head, close the database, forget the keys."""
        if self.conn is None:
            return
        try:
            # Never move the recorded head past a broken chain: that would hide tampering.
            # Only the events since the last head are checked, so locking stays fast.
            report = self.verify_audit(since_anchor=True)
            if report.ok:
                audit.write_anchor(self.paths.audit_head, self.audit.head(), self.sign_key)
        finally:
            self.conn.close()
            self.conn = None
            self.store.close()
            self.audit.close()
            # Best effort (Python cannot wipe memory): drop every reference to the keys, so
            # a locked session can neither read nor sign audit events.
            self.db_key = b""
            self.sign_key = None  # type: ignore[assignment]

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_session(conn: database.Connection, paths: ProfilePaths,
                 db_key: bytes | None = None) -> Session:
    return Session(conn, paths, db_key)
