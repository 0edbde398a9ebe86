"""Entry point of the ``caseapp`` command. Each module of this package that defines
``register(subparsers)`` adds its commands, so a new command group is one new file."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence
from typing import Any

import caseapp.cli as cli_package
from caseapp import __version__
from caseapp.cli import argparse_i18n
from caseapp.errors import CaseAppError
from caseapp.hardening import harden_process
from caseapp.i18n import (
    LANGUAGES,
    N_,
    _,
    isolate_embedded_text,
    language_from_environment,
    set_language,
)


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad usage as one line, not a usage dump, and shows its help
    in the user's language (sub-command parsers are of this class too)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse_i18n.TranslatedHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        # Filled here: _()'s own first parameter is called "message".
        text = _("%(prog)s: error: %(message)s") % {"prog": self.prog, "message": message}
        self.exit(2, text + "\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="caseapp", description=_(
        "Hifazat case files (encrypted, offline-first). Without a command, caseapp opens the "
        "desktop; caseapp --smoke OUT.png [--lang L] [--profile NAME --passphrase-file F] "
        "starts it offscreen, opens a case and saves a screenshot."))
    parser.add_argument("--version", action="version", version=f"caseapp {__version__}")
    parser.add_argument("--lang", choices=sorted(LANGUAGES), default=None,
                        help=N_("language of messages, also after the command (default: "
                                "from LANG, such as ur_PK.UTF-8; else English)"))
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for info in sorted(pkgutil.iter_modules(cli_package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"caseapp.cli.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


# Commands with a --lang of their own (the language of the document they write): after
# their name, --lang is theirs, and the messages' language goes before the command.
OWN_LANG: frozenset[tuple[str, str]] = frozenset({("export", "rights-sheet"),
                                                  ("export", "report")})


def split_language(argv: Sequence[str]) -> tuple[str | None, list[str]]:
    """Take ``--lang CODE`` (or ``--lang=CODE``) out of the arguments wherever it stands,
    so ``caseapp case list --lang ur`` works as ``caseapp --lang ur case list``. An unknown
    code is left in place for argparse to refuse; nothing after ``--`` is looked at, nor
    anything after the name of a command with a ``--lang`` of its own (``OWN_LANG``)."""
    lang: str | None = None
    rest: list[str] = []
    items = list(argv)
    i = 0
    while i < len(items):
        arg = items[i]
        if arg == "--" or tuple(rest[:2]) in OWN_LANG:
            rest += items[i:]
            break
        if arg == "--lang" and i + 1 < len(items) and items[i + 1] in LANGUAGES:
            lang, i = items[i + 1], i + 2
            continue
        if arg.startswith("--lang=") and arg[len("--lang="):] in LANGUAGES:
            lang, i = arg[len("--lang="):], i + 1
            continue
        rest.append(arg)
        i += 1
    return lang, rest


def main(argv: Sequence[str] | None = None) -> int:
    harden_process()
    lang, rest = split_language(sys.argv[1:] if argv is None else argv)
    # Before the parser is built: its help and argparse's own messages are translated too.
    set_language(lang or language_from_environment(os.environ) or "en")
    isolate_embedded_text(True)
    try:
        return _run(rest)
    finally:
        isolate_embedded_text(False)  # main() may be called in-process (the tests do)


def _run(argv: list[str]) -> int:
    argparse_i18n.install()
    parser = build_parser()
    args = parser.parse_args(argv)
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
