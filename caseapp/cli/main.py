"""Entry point of the ``caseapp`` command. Each module of this package that defines
``register(subparsers)`` adds its commands, so a new command group is one new file."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence

import caseapp.cli as cli_package
from caseapp import __version__
from caseapp.errors import CaseAppError
from caseapp.hardening import harden_process
from caseapp.i18n import LANGUAGES, _, set_language


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad usage as one line, not a usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="caseapp", description=(
        "Hifazat case files (encrypted, offline-first). Without a command, caseapp opens the "
        "desktop; caseapp --smoke OUT.png [--lang L] [--profile NAME --passphrase-file F] "
        "starts it offscreen, opens a case and saves a screenshot."))
    parser.add_argument("--version", action="version", version=f"caseapp {__version__}")
    parser.add_argument("--lang", choices=sorted(LANGUAGES), default="en",
                        help="language of messages")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for info in sorted(pkgutil.iter_modules(cli_package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"caseapp.cli.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    harden_process()
    parser = build_parser()
    args = parser.parse_args(argv)
    set_language(args.lang)
    try:
        code = int(args.handler(args) or 0)
        sys.stdout.flush()  # here, where a closed pipe is caught, not at interpreter exit
        return code
    except CaseAppError as exc:
        print(f"caseapp: {exc.user_message()}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `caseapp case list | head`: the reader has what it wanted. Point stdout at devnull
        # so Python's own flush at exit does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        # A traceback could carry values from a record; say what kind of failure it was.
        if os.environ.get("CASEAPP_DEBUG"):
            raise
        print(_("caseapp: unexpected error (%(kind)s). Set CASEAPP_DEBUG=1 to see details.",
                kind=type(exc).__name__), file=sys.stderr)
        return 70


if __name__ == "__main__":
    sys.exit(main())
