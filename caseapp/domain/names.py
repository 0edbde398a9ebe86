"""Names in two scripts: folding for search, and a consonant skeleton that lets "Muhammad Ali",
"Mohammed Aly" and "محمد علی" meet.

Urdu script writes consonants and long vowels but rarely short vowels; Latin transliterations
vary mostly in vowels ("Muhammad", "Mohammad", "Muhammed"). Reducing both to consonant classes
gives one key per name that survives both kinds of variation.
"""

from __future__ import annotations

import re
import unicodedata

# Arabic-keyboard and Persian letter forms folded to the Urdu letters users expect.
_ARABIC_FOLD = str.maketrans({
    "ي": "ی", "ى": "ی", "ئ": "ی", "ك": "ک", "ه": "ہ", "ة": "ہ", "ۃ": "ہ", "ۀ": "ہ",
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ؤ": "و", "ۓ": "ے", "ـ": None,
})
_HARAKAT = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed]")


def fold(text: str) -> str:
    """Lower-case, strip accents and Arabic diacritics, fold Arabic letter variants."""
    text = unicodedata.normalize("NFKC", text).translate(_ARABIC_FOLD)
    text = _HARAKAT.sub("", text)
    decomposed = unicodedata.normalize("NFD", text)
    # Drop combining marks of Latin letters only; Arabic marks were handled above.
    kept = "".join(ch for ch in decomposed
                   if not (unicodedata.combining(ch) and ord(ch) < 0x0600))
    return unicodedata.normalize("NFC", kept).lower()


# Consonant classes shared by both scripts.
_URDU = {
    "ب": "b", "پ": "p", "ت": "t", "ٹ": "t", "ث": "s", "ج": "j", "چ": "c", "ح": "h", "خ": "k",
    "د": "d", "ڈ": "d", "ذ": "z", "ر": "r", "ڑ": "r", "ز": "z", "ژ": "z", "س": "s", "ش": "s",
    "ص": "s", "ض": "z", "ط": "t", "ظ": "z", "غ": "g", "ف": "f", "ق": "k", "ک": "k", "گ": "g",
    "ل": "l", "م": "m", "ن": "n", "ں": "n", "ہ": "h", "ھ": "h", "ع": "", "ء": "", "ا": "",
    "ے": "", "ئ": "",
}
_LATIN_DIGRAPHS = (("kh", "k"), ("gh", "g"), ("sh", "s"), ("ch", "c"), ("th", "t"),
                   ("ph", "f"), ("dh", "d"), ("zh", "z"), ("ck", "k"))
_LATIN = {"q": "k", "x": "ks", "v": "w", "c": "k"}


def _finish(key: str) -> str:
    key = re.sub(r"(.)\1+", r"\1", key)  # doubled letters: Muhammad / Muhamad
    if len(key) > 1 and key.endswith("h"):  # Abdullah / عبداللہ / Abdulla
        key = key[:-1]
    return key


def _urdu_word(word: str) -> str:
    out = []
    for i, ch in enumerate(word):
        if ch in ("و", "ی"):
            # At the start of a word they are consonants (Waseem, Yasir); inside, vowels.
            out.append(("w" if ch == "و" else "y") if i == 0 else "")
        else:
            out.append(_URDU.get(ch, ""))
    return _finish("".join(out))


def _latin_word(word: str) -> str:
    for digraph, repl in _LATIN_DIGRAPHS:
        word = word.replace(digraph, repl.upper())  # upper: protected from the next steps
    out = []
    for i, ch in enumerate(word):
        if ch.isupper():
            out.append(ch.lower())
        elif ch in "aeiou":
            continue
        elif ch in "wy":
            out.append(ch if i == 0 else "")
        else:
            out.append(_LATIN.get(ch, ch))
    return _finish("".join(out))


def is_arabic_script(word: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in word)


def words(text: str) -> list[str]:
    return [w for w in re.split(r"[^\w]+", fold(text)) if w]


def skeleton(text: str) -> list[str]:
    """One consonant key per word of a name in either script ("" keys dropped)."""
    keys = []
    for word in words(text):
        if word.isdigit():
            continue
        key = _urdu_word(word) if is_arabic_script(word) else _latin_word(word)
        if key:
            keys.append(key)
    return keys
