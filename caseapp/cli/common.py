"""Helpers shared by the command modules: profile options, secrets from files, JSON output."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from caseapp.errors import ValidationError
from caseapp.i18n import N_, _
from caseapp.services import profiles
from caseapp.services.session import Session


def add_profile_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", required=True, help="profile name")
    parser.add_argument("--passphrase-file", required=True, type=Path,
                        help="file whose first line is the passphrase or recovery code "
                             "('-' reads standard input)")


def read_secret(path: Path) -> str:
    """First line of the file, without its line ending. Secrets never come from argv, where
    every user of the machine can read them."""
    try:
        text = sys.stdin.readline() if str(path) == "-" else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(N_("The passphrase file cannot be read: %(path)s"),
                              path=str(path)) from exc
    lines = text.splitlines()
    if not lines or not lines[0]:
        raise ValidationError(N_("The passphrase file is empty: %(path)s"), path=str(path))
    return lines[0]


def open_profile(args: argparse.Namespace,
                 before_audit: Callable[[Session], None] = lambda session: None) -> Session:
    session = profiles.unlock(args.profile, read_secret(args.passphrase_file),
                              before_audit=before_audit)
    if session.rotation_interrupted:
        print(_("Warning: a change of the database key was interrupted, so no valid recovery "
                "code was shown. Run 'caseapp profile rotate-key' again to get a new one."),
              file=sys.stderr)
    for notice in session.notices:
        print(notice.user_message(), file=sys.stderr)
    return session


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValidationError(N_("The file cannot be read: %(path)s"), path=str(path)) from exc
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # nested too deeply
        raise ValidationError(N_("The file is not valid JSON: %(path)s"),
                              path=str(path)) from exc


def print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))
