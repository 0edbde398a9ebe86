"""Helpers shared by the command modules: profile options, secrets from files, JSON output."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from caseapp.domain import case_search
from caseapp.errors import FieldErrors, ValidationError, WrongPassphrase
from caseapp.i18n import N_, _, formatting
from caseapp.services import profiles
from caseapp.services.cases import CaseService
from caseapp.services.session import Session


def add_profile_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", required=True, help=N_("profile name"))
    parser.add_argument("--passphrase-file", type=Path,
                        help=N_("file whose first line is the passphrase or recovery code "
                                "('-' reads standard input); without it the passphrase is "
                                "asked for on the terminal, not shown as it is typed"))


# Help texts many commands share, each one whole sentence to translate.
JSON_HELP = N_("print the result as JSON instead of lines of text")
FORCE_HELP = N_("replace FILE if it exists (never a file of a profile)")
CASE_ID_HELP = N_("the case: its id, or its case number such as 2026-3FA9C01B-00012")

MAX_OPTION_TEXT = 64 * 1024


def free_text(value: str) -> str:
    """An option's text, or for '-' the text on standard input, or for '@FILE' the text of
    that file: what is typed as an option (a name, a reason, a note) is visible to every
    user of the machine in the process list and stays in the shell's history. Only one
    option of a command can read standard input; any number can read files."""
    if value.startswith("@") and len(value) > 1:
        try:
            with open(value[1:], encoding="utf-8") as file:
                text = file.read(MAX_OPTION_TEXT).strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise argparse.ArgumentTypeError(
                _("the file cannot be read: %(path)s", path=value[1:])) from exc
        if not text:
            raise argparse.ArgumentTypeError(_("the file is empty: %(path)s", path=value[1:]))
        return text
    if value != "-":
        return value
    text = sys.stdin.read(MAX_OPTION_TEXT).strip()
    if not text:
        raise argparse.ArgumentTypeError(_("nothing was given on standard input"))
    return text


MAX_SECRET_CHARS = 1024  # far beyond any passphrase; a recovery code is 47


def read_secret(path: Path) -> str:
    """First line of the file, without its line ending. Secrets never come from argv, where
    every user of the machine can read them."""
    try:
        if str(path) == "-":
            text = sys.stdin.readline(MAX_SECRET_CHARS + 2)
        else:
            # Bounded: a wrong path to a huge file must not fill the memory (issue 7, item 8).
            with path.open(encoding="utf-8") as handle:
                text = handle.readline(MAX_SECRET_CHARS + 2)
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(N_("The passphrase file cannot be read: %(path)s"),
                              path=str(path)) from exc
    lines = text.splitlines()
    if not lines or not lines[0]:
        raise ValidationError(N_("The passphrase file is empty: %(path)s"), path=str(path))
    if len(lines[0]) > MAX_SECRET_CHARS:
        raise ValidationError(N_("The first line of the passphrase file is longer than "
                                 "%(limit)s characters: %(path)s"),
                              limit=MAX_SECRET_CHARS, path=str(path))
    return lines[0]


class WrongPassphraseBeforeErase(WrongPassphrase):
    msgid = N_("The passphrase or recovery code is wrong. After %(left)s more wrong attempts "
               "this profile is erased, as its erase policy requires.")


def person_at_terminal() -> bool:
    """Whether a person reads the messages (standard error is a terminal), not a script."""
    return sys.stderr.isatty()


def unlock_secret(args: argparse.Namespace) -> str:
    """The passphrase: from ``--passphrase-file``, else asked for on the terminal without
    echo. With no terminal (a script, a pipe) a file is required: a prompt would hang."""
    path = getattr(args, "passphrase_file", None)
    if path is not None:
        return read_secret(path)
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        raise ValidationError(N_("--passphrase-file is required when no terminal is "
                                 "attached: give a file, or '-' to read standard input."))
    secret = getpass.getpass(_("Passphrase for %(profile)s: ", profile=args.profile))
    if not secret:
        raise ValidationError(N_("No passphrase was typed."))
    return secret


# Options that name a case: each takes the case's id or its number (2026-3FA9C01B-00012,
# dashes and padding optional), as read off a form or over the phone.
CASE_OPTIONS = ("case_id", "case", "keep_id", "merged_id")


class UpgradeReport:
    """Tells on stderr how far the upgrade of a vault from an earlier version has come, at
    most every ten percent: at a national caseload it takes minutes."""

    def __init__(self) -> None:
        self.shown = -1

    def __call__(self, share: float) -> None:
        step = int(share * 10)
        if step > self.shown:
            self.shown = step
            print(_("Upgrading the profile's case file for this version: %(done)s done.",
                    done=formatting.percent(step / 10)), file=sys.stderr)


def open_profile(args: argparse.Namespace,
                 before_audit: Callable[[Session], None] = lambda session: None) -> Session:
    try:
        session = profiles.unlock(args.profile, unlock_secret(args), before_audit=before_audit,
                                  upgrading=UpgradeReport())
    except WrongPassphrase as exc:
        left = profiles.attempts_before_erase(args.profile)
        if left is None:
            raise
        # The user must know how close the erase policy is before trying again.
        raise WrongPassphraseBeforeErase(left=left) from exc
    if session.rotation_interrupted:
        print(_("Warning: a change of the database key was interrupted, so no valid recovery "
                "code was shown. Run 'caseapp profile rotate-key' again to get a new one."),
              file=sys.stderr)
    for notice in session.notices:
        print(notice.user_message(), file=sys.stderr)
    try:
        for option in CASE_OPTIONS:
            value = getattr(args, option, None)
            if isinstance(value, str) and case_search.number_key(value) is not None:
                setattr(args, option, CaseService(session).resolve(value))
    except BaseException:
        session.close()
        raise
    return session


@contextlib.contextmanager
def naming_options(options: Mapping[str, str]) -> Iterator[None]:
    """Field problems raised in the block name the options the user typed (``--language``),
    not the service's field names (``language``), which the user never saw (issue 8)."""
    try:
        yield
    except FieldErrors as exc:
        exc.problems = [(options.get(name, name), problem, params)
                        for name, problem, params in exc.problems]
        raise


MAX_JSON_BYTES = 2 * 1024 * 1024  # a case document with every field filled is a few KB


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)  # JSON keeps the last silently: which one was meant?
        seen[key] = value
    return seen


def read_json(path: Path) -> Any:
    """A JSON document from a file, or from standard input for '-' (what a person wrote
    never needs to touch the disk in plaintext). Too large a file and a field given twice
    are refused."""
    try:
        if str(path) == "-":
            text = sys.stdin.read(MAX_JSON_BYTES + 1)
        else:
            with path.open(encoding="utf-8") as file:
                text = file.read(MAX_JSON_BYTES + 1)
        if len(text) > MAX_JSON_BYTES:
            raise ValidationError(N_("The file is larger than %(limit)s MB: %(path)s"),
                                  limit=MAX_JSON_BYTES // (1024 * 1024), path=str(path))
        return json.loads(text, object_pairs_hook=_refuse_duplicates)
    except _DuplicateKey as exc:
        raise ValidationError(N_("The file names the field %(field)s twice: %(path)s"),
                              field=exc.key[:80], path=str(path)) from exc
    except OSError as exc:
        raise ValidationError(N_("The file cannot be read: %(path)s"), path=str(path)) from exc
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # nested too deeply
        raise ValidationError(N_("The file is not valid JSON: %(path)s"),
                              path=str(path)) from exc


def print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))
