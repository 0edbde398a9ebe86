"""Every command and every option of the command line says what it does (issue 8), in each
language: the argparse tree is walked, so an option added without a help text fails here."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from caseapp.cli import argparse_i18n
from caseapp.cli.main import build_parser
from caseapp.i18n import LANGUAGES, gettext_for, set_language

Path = tuple[str, ...]


def parsers(parser: argparse.ArgumentParser, path: Path = ("caseapp",)
            ) -> Iterator[tuple[Path, argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from parsers(child, (*path, name))


def options(parser: argparse.ArgumentParser) -> Iterator[argparse.Action]:
    for action in parser._actions:
        if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            yield action


def commands(parser: argparse.ArgumentParser) -> Iterator[tuple[str, str | None]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name in action.choices:
                yield name, helps.get(name)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    yield
    set_language("en")


def test_every_option_and_command_has_help() -> None:
    # Before: 121 options (--json, --limit, --case, --profile of `demo`, ...) had none.
    missing = []
    for path, parser in parsers(build_parser()):
        for action in options(parser):
            if not (action.help and action.help.strip()) or action.help == argparse.SUPPRESS:
                missing.append(f"{' '.join(path)} {'/'.join(action.option_strings) or action.dest}")
        for name, text in commands(parser):
            if not (text and text.strip()):
                missing.append(f"{' '.join(path)} {name} (command)")
    assert missing == []


def all_help() -> set[str]:
    texts: set[str] = set()
    for _path, parser in parsers(build_parser()):
        texts |= {a.help for a in options(parser) if a.help}
        texts |= {text for _name, text in commands(parser) if text}
    return texts


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_help_text_is_translated(lang: str) -> None:
    # A help text not marked for translation stays English in an Urdu help.
    untranslated = sorted(text for text in all_help() if gettext_for(lang, text) == text)
    assert untranslated == []


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_help_page_renders(lang: str) -> None:
    # A help's placeholders (%(default)s, %(valid)s) are filled by argparse: a translation
    # that dropped or misspelt one would break `--help` of that command.
    set_language(lang)
    argparse_i18n.install()
    for path, parser in parsers(build_parser()):
        text = parser.format_help()
        assert path[-1] in text and "%(" not in text, path


def test_help_states_the_defaults_the_command_uses() -> None:
    # The help and the behaviour agree: a default shown is the default applied.
    parser = build_parser()
    found = dict(parsers(parser))
    listing = found[("caseapp", "case", "list")]
    limit = next(a for a in listing._actions if a.dest == "limit")
    assert "50" in listing.format_help() and limit.default == 50
    assert listing.parse_args(["--profile", "p"]).limit == 50
    demo = found[("caseapp", "demo")]
    assert "200" in demo.format_help() and demo.parse_args(
        ["--profile", "p", "--passphrase-file", "f"]).cases == 200
