"""Reading reference-data files (screening instruments, the reintegration survey) that an
administrator may replace: every way a file can be unusable becomes one clear, translated
error naming the file, raised as the caller's own error type."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from caseapp.errors import CaseAppError, ValidationError
from caseapp.i18n import _


@dataclass(frozen=True)
class FileMessages:
    """Whole-sentence msgids (never assembled from fragments), each with %(path)s."""

    not_json: str      # also %(line)s and %(column)s
    not_utf8: str
    unreadable: str    # also %(reason)s


def parse_json(text: str, source: str, error: type[CaseAppError],
               messages: FileMessages) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(messages.not_json, path=source, line=exc.lineno,
                    column=exc.colno) from exc


def read_json_file(path: str | Path, error: type[CaseAppError],
                   messages: FileMessages) -> object:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise error(messages.not_utf8, path=str(path)) from exc
    except OSError as exc:
        raise error(messages.unreadable, path=str(path),
                    reason=exc.strerror or type(exc).__name__) from exc
    return parse_json(text, str(path), error, messages)


class ReferenceDataError(ValidationError):
    """A problem in a reference file's content, tied to the field where it was found.
    Subclasses give the whole-sentence msgid with %(source)s and %(problem)s."""

    def __init__(self, source: str, field_path: str, problem: str, **params: object) -> None:
        # ``problem`` is one whole sentence with a %(field)s placeholder, translated on show.
        super().__init__(source=source, field=field_path)
        self.problem = problem
        self.problem_params = params

    def user_message(self) -> str:
        problem = _(self.problem, field=self.params["field"], **self.problem_params)
        return _(self.msgid, source=self.params["source"], problem=problem)
