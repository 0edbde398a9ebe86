"""SECURITY.md item 3 with a disk that really fails: no injected exception, no PRAGMA trick.
A child process lowers its own file size limit (``RLIMIT_FSIZE``, which binds root too) just
above what the profile's files hold now, and ignores SIGXFSZ: from then on the kernel answers
a write past the limit with EFBIG, as a full or failing drive would answer with ENOSPC or EIO.
SQLite meets it while writing its WAL; the key file's atomic write meets it in its temp file.

After each failure the parent, without the limit, finds the vault whole (SQLite's and
SQLCipher's integrity checks, the audit chain), the failed change absent and nowhere on the
disk in plain text, no temp file left, and the user told what failed, in words."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import PASSPHRASE, NewProfile
from forkserver import Zygote

from caseapp.crypto.keyslots import KeyslotFile
from caseapp.errors import WrongPassphrase
from caseapp.services import profiles
from caseapp.services.cases import CaseService
from caseapp.store import database

REPO = Path(__file__).resolve().parents[1]
CANARY = "CANARY-efbig-قاسم-4d1f"
NEW_PASSPHRASE = "copper kettle winter meadow"

CHILD = r"""
import json, os, resource, signal, sys

from caseapp.crypto import kdf
from caseapp.errors import CaseAppError
from caseapp.services import profiles
from caseapp.services.cases import CaseService

args = json.loads(sys.argv[1])
kdf.RECALIBRATE_BELOW = 0.0  # a stronger keyslot is not what this child is about
folder = os.path.join(os.environ["CASEAPP_HOME"], "profiles", args["name"])


def limit_files(extra):
    # Just above the largest file of the profile now: any write that grows a file further
    # fails with EFBIG (SIGXFSZ ignored, or the kernel would kill us instead).
    largest = max(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder)
                  if os.path.isfile(os.path.join(folder, f)))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    _soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (largest + extra, hard))
    return largest + extra


def failure(exc):
    cause = exc.__cause__
    return {"error": type(exc).__name__, "message": exc.user_message(),
            "cause": type(cause).__name__ if cause else None,
            "errno": getattr(cause, "errno", None),
            "sqlite": getattr(cause, "sqlite_errorname", None)}


result = {}
if args["op"] == "case":
    session = profiles.unlock(args["name"], args["passphrase"])
    service = CaseService(session)
    case_id = service.create({"prs_FirstName": "Nargis", "prs_Birthdate": "1991-04-02"}).id
    result["limit"] = limit_files(16 * 1024)
    try:
        blob = args["canary"].encode() + os.urandom(3_000_000)
        service.add_attachment(case_id, "statement.jpg", blob, "image/jpeg")
    except CaseAppError as exc:
        result.update(failure(exc))
    # The session goes on: what is in the vault is still readable, a small edit still fits.
    result["cases_after"] = service.list(limit=100).total
    session.close()
elif args["op"] == "add-passphrase":
    session = profiles.unlock(args["name"], args["passphrase"])
    # The new key file (one slot more) is larger than the old: its temp file meets the limit.
    keyslots = os.path.getsize(os.path.join(folder, "keyslots.json"))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    _soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (keyslots + 64, hard))
    try:
        profiles.add_passphrase(session, args["new"], params=kdf.FLOOR)
    except CaseAppError as exc:
        result.update(failure(exc))
elif args["op"] == "unlock":
    # A drive that takes almost nothing more: even opening the case file needs its
    # shared-memory file (32 KiB) and its log.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    _soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))
    try:
        profiles.unlock(args["name"], args["passphrase"]).close()
        result["opened"] = True
    except CaseAppError as exc:
        result.update(failure(exc))
print(json.dumps(result), flush=True)
"""


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    forks = Zygote(["caseapp.services.profiles", "caseapp.services.cases"], env=env, cwd=REPO)
    yield forks
    forks.close()


def run_child(zygote: Zygote, tmp_path: Path, **args: Any) -> dict[str, Any]:
    stderr = (tmp_path / "child.stderr").open("w+b")
    child = zygote.spawn(CHILD, [json.dumps(args)], stderr,
                         env={"CASEAPP_HOME": os.environ["CASEAPP_HOME"]})
    code, out = child.communicate(timeout=120)
    stderr.seek(0)
    errors = stderr.read().decode(errors="replace")
    stderr.close()
    assert code == 0, (code, errors)
    assert code != -signal.SIGXFSZ
    result: dict[str, Any] = json.loads(out)
    return result


def no_plaintext_or_leftovers(folder: Path) -> None:
    needles = [CANARY.encode(), CANARY.encode("utf-16-le"), "قاسم".encode()]
    for path in folder.rglob("*"):
        assert not path.name.endswith(".tmp"), f"temp file left: {path.name}"
        if path.is_file():
            data = path.read_bytes()
            assert not any(n in data for n in needles), f"plain text in {path.name}"


def test_an_attachment_that_meets_a_real_file_size_limit(
        new_profile: NewProfile, zygote: Zygote, tmp_path: Path) -> None:
    created = new_profile("caseworker")
    with profiles.unlock(created.name, PASSPHRASE) as session:
        notes_before = session.store.count("note")
    result = run_child(zygote, tmp_path, op="case", name=created.name, passphrase=PASSPHRASE,
                       canary=CANARY)

    # The kernel refused the write (not an exception of ours), SQLite reported it, and the
    # user read what happened and what to do, without SQLite's words.
    assert result["error"] == "StorageError", result
    assert result["sqlite"].startswith(("SQLITE_IOERR", "SQLITE_FULL")), result
    message = result["message"]
    assert "could not be saved" in message and "Nothing was changed" in message
    assert "drive" in message and "I/O" not in message and CANARY not in message
    assert result["cases_after"] == 1  # the case made before the limit is still there

    with profiles.unlock(created.name, PASSPHRASE) as session:
        assert session.conn is not None
        assert database.check_integrity(session.conn) == []
        assert session.conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert session.verify_audit().ok
        assert session.store.count("attachment") == 0  # no half of the attachment
        assert session.store.count("note") == notes_before
        [case] = CaseService(session).list(limit=10).cases
        CaseService(session).add_note(case.id, "written once the limit is gone")
        assert session.store.count("note") == notes_before + 1
    no_plaintext_or_leftovers(created.folder)


def test_a_key_file_write_that_meets_a_real_file_size_limit(
        new_profile: NewProfile, zygote: Zygote, tmp_path: Path) -> None:
    created = new_profile()
    keyslots = created.folder / "keyslots.json"
    before = keyslots.read_bytes()
    result = run_child(zygote, tmp_path, op="add-passphrase", name=created.name,
                       passphrase=PASSPHRASE, new=NEW_PASSPHRASE)

    assert result["error"] == "StorageError" and result["errno"] == 27, result  # EFBIG
    message = result["message"]
    assert "largest size allowed" in message and "Nothing was changed" in message
    assert "File too large" not in message  # our words, not the system's

    assert keyslots.read_bytes() == before  # the old key file, whole
    KeyslotFile.load(keyslots)
    no_plaintext_or_leftovers(created.folder)
    with profiles.unlock(created.name, PASSPHRASE) as session:
        assert session.verify_audit().ok
        assert "keyslot_added" not in [e["action"] for e in session.audit.events()]
    with pytest.raises(WrongPassphrase):
        profiles.unlock(created.name, NEW_PASSPHRASE)


def test_an_unlock_on_a_drive_that_takes_no_more_data_says_so(
        new_profile: NewProfile, zygote: Zygote, tmp_path: Path) -> None:
    """Before: SQLite's I/O error while opening the case file read as a wrong key, and the
    user was told "The key file does not match the case file" — a reason to restore keys
    from a backup, when the drive was the problem."""
    created = new_profile()
    keyslots = (created.folder / "keyslots.json").read_bytes()
    result = run_child(zygote, tmp_path, op="unlock", name=created.name, passphrase=PASSPHRASE)
    assert "opened" not in result, result
    assert result["error"] == "StorageError", result
    message = result["message"]
    assert "case file could not be opened" in message and "drive" in message
    assert "key file" not in message
    assert (created.folder / "keyslots.json").read_bytes() == keyslots
    with profiles.unlock(created.name, PASSPHRASE) as session:
        assert session.conn is not None
        assert database.check_integrity(session.conn) == []
        assert session.verify_audit().ok
