"""Which text the desktop draws in Nastaliq itself (``nastaliq_text``), and small text rules
around it — kept apart so that a label can ask without loading the shaping code (the
English start does not need it)."""

from __future__ import annotations

import re
import unicodedata

from PySide6.QtGui import QFont

from caseapp.i18n import fonts

# Arabic, Arabic Supplement, Extended-A, Presentation Forms A and B.
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_MNEMONIC = re.compile("&(.)", re.DOTALL)

def wants_nastaliq(font: QFont, text: str) -> bool:
    """Whether ``text`` in ``font`` is drawn here: the font is the Nastaliq one and the text
    holds Arabic letters (a case number alone is left to Qt, in the fallback Latin font)."""
    families = font.families() or [font.family()]
    return families[0] == fonts.NASTALIQ and _ARABIC.search(text) is not None


def base_rtl(text: str, layout_rtl: bool) -> bool:
    """The direction a text is set in: right to left in a right-to-left layout (as Qt sets a
    label's text), and elsewhere when its first strong letter is (an Urdu name in the English
    interface)."""
    return layout_rtl or first_strong_rtl(text) is True


def first_strong_rtl(text: str) -> bool | None:
    """Whether the first strong letter of ``text`` is right to left; None without one."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return False
        if kind in ("R", "AL"):
            return True
    return None


def strip_mnemonic(text: str) -> str:
    """The text as shown: "&Save" → "Save", "&&" → "&". The shortcut still works (Qt reads it
    from the widget's real text); ``mnemonic`` says which letter to underline."""
    return _MNEMONIC.sub(lambda m: m.group(1), text)


def mnemonic(text: str) -> tuple[str, int]:
    """The text as shown (as ``strip_mnemonic``) and the index in it of the mnemonic letter,
    -1 if none: the letter after the first single "&", whose Alt+letter is the shortcut."""
    shown: list[str] = []
    index, pos = -1, 0
    while pos < len(text):
        if text[pos] == "&" and pos + 1 < len(text):
            if text[pos + 1] != "&" and index < 0:
                index = len(shown)
            pos += 1
        shown.append(text[pos])
        pos += 1
    return "".join(shown), index
