"""Every message of the code is translated into Urdu, Pashto and Dari (ARCHITECTURE §8).

The messages are extracted afresh from the working tree, so a new string in the code fails here
until ``scripts/update_translations.py`` has been run and the string translated.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

from caseapp import errors, i18n

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "caseapp" / "i18n" / "locale"  # inside the package, so wheels carry it
LANGS = ("ur", "ps", "fa_AF")
PLURAL_FORMS = {"ur": (2, "(n != 1)"), "ps": (2, "(n != 1)"), "fa_AF": (2, "(n > 1)")}
# Names of apps and platforms, kept in Latin script as people see them on their phones.
SAME_AS_ENGLISH = frozenset({
    "Facebook", "Facebook Messenger", "Instagram", "WhatsApp", "Telegram", "Viber", "SnapChat",
    "Line", "4Sale", "WeChat", "QQ", "QZone", "TikTok", "Twitter",
})
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")
ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF]")


def _load_script() -> ModuleType:
    path = ROOT / "scripts" / "update_translations.py"
    spec = importlib.util.spec_from_file_location("update_translations", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fresh_template(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The template extracted now from the working tree, written to a temporary .pot."""
    script = _load_script()
    pot = tmp_path_factory.mktemp("i18n") / "caseapp.pot"
    with pot.open("wb") as f:
        write_po(f, script.build_template(ROOT), include_lineno=False)
    with pot.open("rb") as f:
        return read_po(f)


def _po(lang: str) -> Catalog:
    with (LOCALE / lang / "LC_MESSAGES" / "caseapp.po").open("rb") as f:
        return read_po(f, locale=lang)


def _messages(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


def _forms(message: Message) -> tuple[str, ...]:
    if isinstance(message.string, tuple | list):
        return tuple(message.string)
    return (message.string,)


def _placeholders(text: str) -> set[str]:
    return {p for p in PLACEHOLDER.findall(text) if p != "%%"}


def _show(message: Message) -> str:
    return repr(message.id if isinstance(message.id, str) else message.id[0])


def test_template_has_code_and_htcds_messages(fresh_template: Catalog) -> None:
    ids = {m.id for m in _messages(fresh_template)}
    assert errors.WrongPassphrase.msgid in ids
    assert "Intake" in ids  # a stage label
    assert "Debt bondage" in ids  # an HTCDS picklist value label


@pytest.mark.parametrize("lang", LANGS)
def test_catalog_is_complete(lang: str, fresh_template: Catalog) -> None:
    have = {m.id if isinstance(m.id, str) else tuple(m.id) for m in _messages(_po(lang))}
    missing = [_show(m) for m in _messages(fresh_template)
               if (m.id if isinstance(m.id, str) else tuple(m.id)) not in have]
    assert not missing, (f"{lang}: not in the catalog (run scripts/update_translations.py and "
                         f"translate): {missing}")


@pytest.mark.parametrize("lang", LANGS)
def test_plural_forms_header(lang: str) -> None:
    catalog = _po(lang)
    assert (catalog.num_plurals, catalog.plural_expr) == PLURAL_FORMS[lang]


@pytest.mark.parametrize("lang", LANGS)
def test_no_fuzzy_or_empty_translations(lang: str) -> None:
    catalog = _po(lang)
    fuzzy = [_show(m) for m in _messages(catalog) if m.fuzzy]
    empty = [_show(m) for m in _messages(catalog)
             if not all(f.strip() for f in _forms(m))
             or (m.pluralizable and len(_forms(m)) != catalog.num_plurals)]
    assert not fuzzy, f"{lang}: fuzzy entries: {fuzzy}"
    assert not empty, f"{lang}: untranslated entries: {empty}"


@pytest.mark.parametrize("lang", LANGS)
def test_placeholders_match(lang: str) -> None:
    bad = []
    for m in _messages(_po(lang)):
        if m.pluralizable:
            singular, plural = (_placeholders(t) for t in m.id)
            # Form 0 may use the singular's placeholders (or the plural's, where it also
            # covers 0, as in Dari); every other form uses the plural's.
            ok = all(_placeholders(f) == plural or (i == 0 and _placeholders(f) == singular)
                     for i, f in enumerate(_forms(m)))
        else:
            ok = _placeholders(m.string) == _placeholders(m.id)
        if not ok:
            bad.append(_show(m))
    assert not bad, f"{lang}: placeholders differ from the English: {bad}"


@pytest.mark.parametrize("lang", LANGS)
def test_translations_are_not_english_copies(lang: str) -> None:
    copies = []
    for m in _messages(_po(lang)):
        english = (m.id,) if isinstance(m.id, str) else tuple(m.id)
        if english[0] in SAME_AS_ENGLISH or not re.sub(PLACEHOLDER, "", english[0]).strip(
                " :;,.()"):
            continue  # an app name, or placeholders and punctuation only
        forms = _forms(m)
        # A copy of the English, or no Perso-Arabic letter at all.
        if (any(form.strip() in english for form in forms)
                or not any(ARABIC_SCRIPT.search(form) for form in forms)):
            copies.append(_show(m))
    assert not copies, f"{lang}: left in English: {copies}"


# Letters of Arabic proper that look alike but are different code points in these languages:
# Urdu writes ی ک ہ/ھ, Dari ی ک ه, Pashto ی/ي ک ه (ي is a real Pashto letter). The wrong one
# breaks searching and, in Nastaliq, shaping.
WRONG_LETTERS = {"ur": "\u064a\u0643\u0647", "ps": "\u0643\u06c1\u06be",
                 "fa_AF": "\u064a\u0643\u06c1\u06be"}


@pytest.mark.parametrize("lang", LANGS)
def test_letters_of_the_language(lang: str) -> None:
    bad = [_show(m) for m in _messages(_po(lang))
           if any(c in form for form in _forms(m) for c in WRONG_LETTERS[lang])]
    assert not bad, f"{lang}: Arabic letter forms that this language does not use: {bad}"


@pytest.fixture
def restore_language(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("CASEAPP_TRANSLATIONS", raising=False)
    monkeypatch.setattr(i18n, "_cache", {})
    yield
    i18n.set_language("en")


@pytest.mark.usefixtures("restore_language")
def test_urdu_is_shown_at_run_time() -> None:
    expected = _po("ur")[errors.WrongPassphrase.msgid].string
    assert ARABIC_SCRIPT.search(expected)
    i18n.set_language("ur")
    assert i18n._(errors.WrongPassphrase.msgid) == expected
    assert errors.WrongPassphrase().user_message() == expected
    assert "37" in errors.UnlockBackoff(seconds=37).user_message()
    i18n.set_language("en")
    assert errors.WrongPassphrase().user_message() == errors.WrongPassphrase.msgid
