"""Names in two scripts: folding for search, and a consonant skeleton that lets "Muhammad Ali",
"Mohammed Aly" and "محمد علی" meet.

Urdu script writes consonants and long vowels but rarely short vowels; Latin transliterations
vary mostly in vowels ("Muhammad", "Mohammad", "Muhammed"). Reducing both to consonant classes
gives one key per name that survives both kinds of variation.

Two features of Urdu names need more than letter classes:

- Aspiration. Urdu writes an aspirated consonant with do-chashmi he (ھ) after it: پھول, چودھری,
  ڈھلوں; Latin writes an h after the letter: Phool, Chaudhry, Dhillon. Latin folds the pairs
  kh, gh, ch, th, dh and ph into one letter, so ھ after the Urdu letters of those pairs is
  dropped too (and ph is p, as in پھ, not f). After other letters (بھولا, Bhola) both scripts
  keep the h, which keeps Bhola apart from Bilal.
- "Abd al-" compounds. Urdu writes عبدالرحمان as one word; Latin writes "Abdul Rehman",
  "Abdur Rahman", "Abd al-Rahman" or "Abdurrehman". The article assimilates (ur, us, ud…) and
  is dropped: every form becomes one key, "bd" + the key of the name after it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Arabic-keyboard and Persian letter forms folded to the Urdu letters users expect.
_ARABIC_FOLD = str.maketrans({
    "ي": "ی", "ى": "ی", "ئ": "ی", "ك": "ک", "ه": "ہ", "ة": "ہ", "ۃ": "ہ", "ۀ": "ہ",
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ؤ": "و", "ۓ": "ے", "ـ": None,
})
_HARAKAT = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed]")


def fold(text: str) -> str:
    """Lower-case, strip accents and Arabic diacritics, fold Arabic letter variants."""
    if text.isascii():
        # Nothing below changes ASCII but its case; most names and numbers are ASCII.
        return text.lower()
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
# The letters whose aspirated form Latin writes as one of the digraphs below: ھ after them is
# dropped, as the digraph's h is.
_ASPIRATED_AS_DIGRAPH = frozenset("کگچتٹدڈپ")
_LATIN_DIGRAPHS = (("kh", "k"), ("gh", "g"), ("sh", "s"), ("ch", "c"), ("th", "t"),
                   ("ph", "p"), ("dh", "d"), ("zh", "z"), ("ck", "k"))
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
        elif ch == "ھ" and i > 0 and word[i - 1] in _ASPIRATED_AS_DIGRAPH:
            out.append("")
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


# "Abd" with its article in Latin: Abdul, Abdur, Abdus, Abdel, Abd-ul, ... (one word), and the
# article written on its own ("Abd al-Rahman").
_ABD_LATIN = re.compile(r"abd(?:[uae](?:l|r|s|sh|z|d|t|n))?")
_ARTICLES_LATIN = frozenset({"al", "el", "ul", "ur", "us", "ush", "uz", "ud", "ut", "un",
                             "ar", "as", "ad", "at", "an", "az"})
# The same run written as one Latin word: "abdurrehman", "abdulkarim", "abdullah".
_ABD_LATIN_JOINED = re.compile(r"abd[uae](?:l|r|s|sh|z|d|t|n)(\w{2,})")
_ABD = "bd"
# "Abdul", "Abdur", "عبد" written alone: one key whatever the assimilated article.
_ABD_ALONE = "bdl"


@lru_cache(maxsize=32768)
def _word_key(word: str) -> str:
    # Cached: names repeat (a caseload has a few thousand distinct words), and every case
    # written or searched keys each of its words.
    return _urdu_word(word) if is_arabic_script(word) else _latin_word(word)


def _abd_rest(word: str) -> str | None:
    """The name after "Abd al-" when ``word`` is the whole compound in one word (Urdu
    عبدالرحمان, Latin "abdurrehman"), else None."""
    if word.startswith("عبدال") and len(word) > 5:
        return word[5:]
    match = _ABD_LATIN_JOINED.fullmatch(word)
    return match.group(1) if match else None


@lru_cache(maxsize=32768)
def _keys(text: str, with_parts: bool) -> tuple[str, ...]:
    # Cached as whole names too: a case written keys its names for the search index and for
    # the duplicate filing, and full names repeat in a caseload as words do.
    tokens = [w for w in words(text) if not w.isdigit()]
    keys: list[str] = []
    i = 0
    while i < len(tokens):
        word = tokens[i]
        rest: str | None = None
        if word == "عبد" or _ABD_LATIN.fullmatch(word):
            # "Abdul Rehman", "عبد الرحمن": the article (if written apart) and the next word
            # make one compound with this one.
            j = i + 1
            if j < len(tokens) and tokens[j] in _ARTICLES_LATIN:
                j += 1
            if j < len(tokens):
                nxt = tokens[j]
                rest = nxt[2:] if nxt.startswith("ال") and len(nxt) > 2 else nxt
                i = j
            else:
                keys.append(_ABD_ALONE)
                i += 1
                continue
        else:
            rest = _abd_rest(word)
        if rest is not None:
            rest_key = _word_key(rest)
            keys.append(_ABD + rest_key)
            # For the search index: "Abdul" or "Rehman" alone still finds "Abdul Rehman";
            # not Allah's one letter of Abdullah, which would make every "Ali" a hit.
            if with_parts and len(rest_key) >= 2:
                keys += [p for p in (_ABD_ALONE, rest_key) if p not in keys]
        else:
            key = _word_key(word)
            if key:
                keys.append(key)
        i += 1
    return tuple(keys)


def skeleton(text: str) -> list[str]:
    """One consonant key per word of a name in either script ("" keys dropped); an "Abd al-"
    compound is one key however it is written."""
    return list(_keys(text, with_parts=False))


def index_keys(text: str) -> list[str]:
    """The skeleton plus the keys of each part of an "Abd al-" compound, for the search
    index: a search for the compound, for "Abdul" or for "Rehman" all find the name."""
    return list(_keys(text, with_parts=True))
