"""argparse's own messages ("the following arguments are required", "invalid choice", the
help's headings) in the user's language (issue 8). argparse looks its messages up through the
module-level name ``_`` at the moment it needs them, so pointing that name at our catalog
translates them; the message ids below are argparse's own (Python 3.11), listed so that they
are extracted into the catalogs and translated like every other message."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from caseapp.i18n import N_, _

MESSAGES = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("show program's version number and exit"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("unrecognized arguments: %s"),
    N_("not allowed with argument %s"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("ignored explicit argument %r"),
    N_("%(prog)s: error: %(message)s"),
)


class TranslatedHelpFormatter(argparse.HelpFormatter):
    """Help texts are written in English and marked with ``N_`` where they are declared;
    they are translated here, when the help is shown in the user's language."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        return _(action.help) if action.help else action.help


def _translate(message: str) -> str:
    # No parameters here: argparse fills its placeholders itself.
    return _(message)


def install() -> None:
    argparse._ = _translate  # type: ignore[attr-defined]


VALID = "valid"  # the attribute an option's help reads as %(valid)s


def valid_values(action: argparse.Action, values: Iterable[str],
                 **more: str) -> argparse.Action:
    """Let the option's help name its valid values as ``%(valid)s`` (and any ``more`` by
    their names): argparse fills a help's placeholders from the action's attributes, so the
    message id stays one whole sentence and the list is always the one the command checks
    against."""
    setattr(action, VALID, ", ".join(values))
    for name, value in more.items():
        setattr(action, name, value)
    return action
