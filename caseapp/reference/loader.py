"""Reading reference data from its files into the domain's value types: the packaged screening
instruments and reintegration survey, or a file an administrator installs in their place.

The domain stays pure: it validates documents already parsed (``instrument_from_dict``,
``survey_from_dict``). Here every way a file can be unusable (unreadable, not UTF-8, not JSON)
becomes one clear, translated error naming the file.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from caseapp.domain.reintegration import Survey, survey_from_dict
from caseapp.domain.screening import Instrument, InvalidInstrument, instrument_from_dict
from caseapp.errors import CaseAppError, ValidationError
from caseapp.i18n import N_


class InstrumentNotFound(CaseAppError):
    msgid = N_("No screening instrument with the id %(instrument)s exists.")


class InstrumentFileError(ValidationError):
    msgid = N_("The screening instrument file cannot be read.")


class SurveyFileError(ValidationError):
    msgid = N_("The reintegration survey file cannot be read.")


@dataclass(frozen=True)
class FileMessages:
    """Whole-sentence msgids (never assembled from fragments), each with %(path)s."""

    not_json: str      # also %(line)s and %(column)s
    not_utf8: str
    unreadable: str    # also %(reason)s


_INSTRUMENT_MESSAGES = FileMessages(
    not_json=N_("The screening instrument file %(path)s is not valid JSON (line %(line)s, "
                "column %(column)s)."),
    not_utf8=N_("The screening instrument file %(path)s is not UTF-8 text."),
    unreadable=N_("The screening instrument file %(path)s cannot be read (%(reason)s)."))
_SURVEY_MESSAGES = FileMessages(
    not_json=N_("The reintegration survey file %(path)s is not valid JSON (line %(line)s, "
                "column %(column)s)."),
    not_utf8=N_("The reintegration survey file %(path)s is not UTF-8 text."),
    unreadable=N_("The reintegration survey file %(path)s cannot be read (%(reason)s)."))


def _parse_json(text: str, source: str, error: type[CaseAppError],
                messages: FileMessages) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(messages.not_json, path=source, line=exc.lineno,
                    column=exc.colno) from exc


def _read_json_file(path: str | Path, error: type[CaseAppError],
                    messages: FileMessages) -> object:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise error(messages.not_utf8, path=str(path)) from exc
    except OSError as exc:
        raise error(messages.unreadable, path=str(path),
                    reason=exc.strerror or type(exc).__name__) from exc
    return _parse_json(text, str(path), error, messages)


# --- screening instruments -------------------------------------------------------------------

def load_instrument_file(path: str | Path) -> Instrument:
    """Load an administrator-updated instrument file; any problem raises a ValidationError."""
    data = _read_json_file(path, InstrumentFileError, _INSTRUMENT_MESSAGES)
    return instrument_from_dict(data, str(path))


def _packaged_dir() -> Traversable:
    return resources.files("caseapp.reference").joinpath("screening")


def _packaged_ids() -> list[str]:
    names = (entry.name for entry in _packaged_dir().iterdir() if entry.is_file())
    return sorted(name[:-5] for name in names if name.endswith(".json"))


@functools.cache
def load_instrument(instrument_id: str) -> Instrument:
    """A packaged instrument by id. Raises InstrumentNotFound for an unknown id."""
    # The id becomes a file name: only exact ids of shipped files are accepted.
    if instrument_id not in _packaged_ids():
        raise InstrumentNotFound(instrument=instrument_id[:80])
    name = f"{instrument_id}.json"
    text = _packaged_dir().joinpath(name).read_text(encoding="utf-8")
    instrument = instrument_from_dict(
        _parse_json(text, name, InstrumentFileError, _INSTRUMENT_MESSAGES), name)
    if instrument.id != instrument_id:
        raise InvalidInstrument(name, "id",
                                N_("%(field)s must match the file name (%(expected)s)."),
                                expected=instrument_id)
    return instrument


def list_instruments() -> list[Instrument]:
    """Every packaged instrument, sorted by id."""
    return [load_instrument(instrument_id) for instrument_id in _packaged_ids()]


# --- the reintegration survey ----------------------------------------------------------------

def load_survey_file(path: str | Path) -> Survey:
    """Load an administrator-updated survey file; any problem raises a ValidationError."""
    data = _read_json_file(path, SurveyFileError, _SURVEY_MESSAGES)
    return survey_from_dict(data, str(path))


@functools.cache
def load_survey() -> Survey:
    """The packaged survey (``caseapp/reference/reintegration/rss.json``)."""
    entry = resources.files("caseapp.reference").joinpath("reintegration", "rss.json")
    text = entry.read_text(encoding="utf-8")
    return survey_from_dict(_parse_json(text, "rss.json", SurveyFileError, _SURVEY_MESSAGES),
                            "rss.json")
