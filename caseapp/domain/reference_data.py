"""What every kind of reference data (screening instruments, the reintegration survey) shares
once it has been read from its file: the evidence marks, labels in every UI language, and a
strict reader that turns a parsed document into value types or raises one translated error
naming the field. Reading the files is not done here (``caseapp.reference.loader``)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final

from caseapp.errors import ValidationError
from caseapp.i18n import LANGUAGES, N_, _, current_language

# The evidence marks of RESEARCH.md; [M] is a fact still to be confirmed by an administrator.
EVIDENCE_MARKS: Final = ("[V]", "[V2]", "[M]")
ID_RE: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
VERSION_RE: Final = re.compile(r"[0-9]+(\.[0-9]+){0,3}")

Labels = Mapping[str, str]


def pick_label(labels: Labels, lang: str | None = None) -> str:
    """The text in ``lang`` (default: the current language), English when it is missing."""
    return labels.get(lang or current_language()) or labels["en"]


def join_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class ReferenceDataError(ValidationError):
    """A problem in a reference document's content, tied to the field where it was found.
    Subclasses give the whole-sentence msgid with %(source)s and %(problem)s."""

    def __init__(self, source: str, field_path: str, problem: str, **params: object) -> None:
        # ``problem`` is one whole sentence with a %(field)s placeholder, translated on show.
        super().__init__(source=source, field=field_path)
        self.problem = problem
        self.problem_params = params

    def user_message(self) -> str:
        problem = _(self.problem, field=self.params["field"], **self.problem_params)
        return _(self.msgid, source=self.params["source"], problem=problem)


class DocumentReader:
    """Reads one parsed reference document strictly, raising ``error`` (a subclass of
    ReferenceDataError naming the kind of document) at the first problem."""

    def __init__(self, source: str, error: type[ReferenceDataError]) -> None:
        self.source = source
        self.error = error

    def fail(self, path: str, problem: str, **params: object) -> ReferenceDataError:
        return self.error(self.source, path or "document", problem, **params)

    def obj(self, value: object, path: str, allowed: Iterable[str]) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, N_("%(field)s must be a JSON object."))
        for key in value:
            if key not in allowed:
                raise self.fail(join_path(path, str(key)), N_("%(field)s is not a known field."))
        return value

    def required(self, data: Mapping[str, Any], key: str, path: str) -> Any:
        if key not in data:
            raise self.fail(join_path(path, key), N_("%(field)s is required."))
        return data[key]

    def text(self, data: Mapping[str, Any], key: str, path: str) -> str:
        value = self.required(data, key, path)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(join_path(path, key), N_("%(field)s must be non-empty text."))
        return value

    def optional_text(self, data: Mapping[str, Any], key: str, path: str) -> str | None:
        return self.text(data, key, path) if key in data else None

    def choice(self, data: Mapping[str, Any], key: str, path: str,
               choices: tuple[str, ...]) -> str:
        value = self.required(data, key, path)
        if value not in choices:
            raise self.fail(join_path(path, key), N_("%(field)s must be one of: %(choices)s."),
                            choices=", ".join(choices))
        return str(value)

    def ident(self, data: Mapping[str, Any], key: str, path: str) -> str:
        value = self.required(data, key, path)
        if not isinstance(value, str) or not ID_RE.fullmatch(value):
            raise self.fail(join_path(path, key), N_(
                "%(field)s must be an id of at most 64 lower-case letters, digits, '-' or '_'."))
        return value

    def labels(self, value: object, path: str) -> Labels:
        ok = (isinstance(value, dict) and set(value) == set(LANGUAGES)
              and all(isinstance(t, str) and t.strip() for t in value.values()))
        if not ok:
            raise self.fail(path, N_("%(field)s must give a non-empty text for exactly these "
                                     "languages: %(languages)s."),
                            languages=", ".join(LANGUAGES))
        assert isinstance(value, dict)
        return MappingProxyType({lang: value[lang] for lang in LANGUAGES})

    def label_table(self, value: object, path: str, keys: tuple[str, ...]) -> Mapping[str, Labels]:
        table = self.obj(value, path, keys)
        for key in keys:
            if key not in table:
                raise self.fail(join_path(path, key), N_("%(field)s is required."))
        return MappingProxyType({k: self.labels(table[k], join_path(path, k)) for k in keys})

    def number(self, data: Mapping[str, Any], key: str, path: str, *,
               unit: bool = False) -> float:
        """A finite non-negative number; with ``unit`` also at most 1."""
        value = self.required(data, key, path)
        ok = (not isinstance(value, bool) and isinstance(value, int | float)
              and math.isfinite(value) and value >= 0 and (not unit or value <= 1))
        if not ok:
            if unit:
                raise self.fail(join_path(path, key),
                                N_("%(field)s must be a number from 0 to 1."))
            raise self.fail(join_path(path, key),
                            N_("%(field)s must be a number of at least 0."))
        return float(value)

    def flag(self, data: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(join_path(path, key), N_("%(field)s must be true or false."))
        return value

    def items(self, value: object, path: str) -> list[Any]:
        if not isinstance(value, list) or not value:
            raise self.fail(path, N_("%(field)s must be a non-empty list."))
        return value

    def version(self, data: Mapping[str, Any]) -> str:
        """The document's version: one syntax for every kind of reference data."""
        value = self.text(data, "version", "")
        if not VERSION_RE.fullmatch(value):
            raise self.fail("version", N_("%(field)s must be a version such as 1.0.0."))
        return value
