"""The ``caseapp`` command: with a sub-command it is the command line; without one it opens
the desktop (the ``desktop`` extra), or says in one line how to install it."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path

from caseapp.cli import main as cli_main
from caseapp.cli.common import read_secret
from caseapp.errors import CaseAppError
from caseapp.i18n import LANGUAGES
from caseapp.services import machine_settings

DESKTOP_OPTIONS = {"--smoke", "--lang", "--profile", "--passphrase-file"}


def _desktop_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="caseapp", add_help=False)
    parser.add_argument("--lang", choices=sorted(LANGUAGES))
    parser.add_argument("--smoke", type=Path, metavar="OUT.png")
    parser.add_argument("--profile")
    parser.add_argument("--passphrase-file", type=Path)
    return parser


def _is_desktop(argv: Sequence[str]) -> bool:
    """Only desktop options (and their values): no sub-command, no --help or --version."""
    i = 0
    while i < len(argv):
        option = argv[i].split("=", 1)[0]
        if option not in DESKTOP_OPTIONS:
            return False
        i += 1 if "=" in argv[i] else 2
    return True


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not _is_desktop(args_list):
        return cli_main.main(args_list)
    args = _desktop_parser().parse_args(args_list)
    if importlib.util.find_spec("PySide6") is None:
        print("caseapp: the desktop needs PySide6; install it with: "
              "pip install 'hifazat[desktop]'", file=sys.stderr)
        return 3
    from ui import app

    if args.smoke is not None:
        passphrase = None
        if args.profile is not None:
            if args.passphrase_file is None:
                print("caseapp: --profile needs --passphrase-file", file=sys.stderr)
                return 2
            try:
                passphrase = read_secret(args.passphrase_file)
            except CaseAppError as exc:
                print(f"caseapp: {exc.user_message()}", file=sys.stderr)
                return 2
        return app.smoke(args.smoke, args.lang or "en", args.profile, passphrase)
    return app.run(args.lang or machine_settings.language() or "en")


if __name__ == "__main__":
    sys.exit(main())
