"""Tags: their grammar, their stored form, and the grammar as JSON Schema for the description (docs/text.md).

A tag as sent (trimmed) and as stored is 1-64 characters: letters and digits of the scripts below, their
combining marks after them, and `-` `_` `:` `.` (or their full-width forms) only between them. It is stored
lower-cased, each character in its compatibility form (NFKC) unless that form holds a character a tag cannot
(`Ŀ` is not `L` and a dot).

The alphabet is an explicit set of code points, so that the description's pattern (ranges of `\\uXXXX`, read the
same by ECMA 262, Python and Rust regex engines; `\\p{L}` is not) and the validator agree on every one. It keeps
only the letters whose stored form stays in the alphabet, so a stored tag is its own normal form: it is validated
again on every write. It is computed on first use (about 0.1 s), not at import.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import cache
from typing import Any

from pydantic_core import PydanticCustomError

from leadgate.text import REFUSED, ZERO_WIDTH, clean, trim

MAX_TAG_LENGTH = 64
# Between letters and digits: `-` `_` `:` `.` and their full-width forms (NFKC makes them the same).
PUNCTUATION = frozenset("-_:.\uff0d\uff3f\uff1a\uff0e")
# The blocks a tag's letters and digits come from (Basic Multilingual Plane): Latin, Greek, Cyrillic, Armenian,
# Hebrew, Arabic, Devanagari, Thai, Georgian, Hangul, kana, CJK and the full-width forms.
SCRIPTS = (
    (0x0000, 0x024F),
    (0x0370, 0x03FF),
    (0x0400, 0x052F),
    (0x0530, 0x058F),
    (0x0590, 0x05FF),
    (0x0600, 0x06FF),
    (0x0900, 0x097F),
    (0x0E00, 0x0E7F),
    (0x10A0, 0x10FF),
    (0x1100, 0x11FF),
    (0x1E00, 0x1FFF),
    (0x3040, 0x30FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF),
    (0xFF00, 0xFFEF),
)
# Combining marks: those of the scripts' blocks, and of the combining-mark blocks.
COMBINING = ((0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF), (0xFE20, 0xFE2F))
# Trimmed around a tag: whitespace and zero-width characters, none the text rule refuses.
_SPACE = rf"(?:[^\S{REFUSED}]|[{ZERO_WIDTH}])*"
DESCRIPTION = (
    "Letters and digits (Latin, Greek, Cyrillic, Armenian, Hebrew, Arabic, Devanagari, Thai, Georgian, Hangul, kana, "
    "CJK, with their combining marks), with `-` `_` `:` `.` only between them; trimmed. Stored in compatibility form "
    "(NFKC) and lower-cased, so full-width `VIP` is `vip`; at most 64 characters once stored, where a ligature "
    "such as `Ĳ` counts as its letters."
)


def normalize_tag(raw: str) -> str:
    """The tag as stored and matched, or PydanticCustomError (422) when `raw` breaks the grammar."""
    letters, marks = alphabet()
    text = clean(raw, max_length=MAX_TAG_LENGTH)
    tag = _stored(text, letters | marks | PUNCTUATION)
    # The grammar holds for the tag as sent and as stored (NFC may compose a letter and a mark into another).
    if not (_in_grammar(trim(raw), letters, marks) and _in_grammar(tag, letters, marks)):
        raise PydanticCustomError(
            "tag_characters",
            "A tag is letters and digits, with '-', '_', ':' or '.' only between them (vip, lead:hot, v1.2).",
        )
    # The stored form may be longer ('Ĳ' is 'ij', 'İ' lower-cased is 'i' and a dot): it must be sendable again.
    if len(tag) > MAX_TAG_LENGTH:
        raise PydanticCustomError(
            "tag_too_long", "A tag is at most {max_length} characters once stored.", {"max_length": MAX_TAG_LENGTH}
        )
    return tag


def json_schema(schema: dict[str, Any]) -> None:
    """The grammar as the tag's JSON Schema (a `json_schema_extra`: built when a description is generated)."""
    letters, marks = alphabet()
    first, last = _character_class(letters), _character_class(letters | marks)
    inside = _character_class(letters | marks | PUNCTUATION)
    pattern = f"^{_SPACE}[{first}](?:[{inside}]{{0,{MAX_TAG_LENGTH - 2}}}[{last}])?{_SPACE}$"
    schema.update({"type": "string", "pattern": pattern, "description": DESCRIPTION})


@cache
def alphabet() -> tuple[frozenset[str], frozenset[str]]:
    """(letters and digits, combining marks): the scripts' letters whose stored form stays in the alphabet."""
    marks = _characters(SCRIPTS + COMBINING, lambda category: category[0] == "M")
    letters = _characters(SCRIPTS, lambda category: category[0] == "L" or category == "Nd")
    while True:
        allowed = letters | marks | PUNCTUATION
        kept = frozenset(
            letter
            for letter in letters
            if set(unicodedata.normalize("NFC", letter)) <= letters and set(_stored(letter, allowed)) <= allowed
        )
        if kept == letters:
            return letters, marks
        letters = kept


def _stored(text: str, allowed: frozenset[str]) -> str:
    return unicodedata.normalize("NFC", "".join(_compatible(character, allowed) for character in text)).lower()


def _compatible(character: str, allowed: frozenset[str]) -> str:
    """A character's compatibility form (a full-width letter is its ASCII one), unless that form holds a character
    a tag cannot: `Ŀ` stays a letter rather than becoming `L` and a middle dot."""
    decomposed = unicodedata.normalize("NFKD", character)
    return decomposed if set(decomposed) <= allowed else character


def _in_grammar(text: str, letters: frozenset[str], marks: frozenset[str]) -> bool:
    """Starts with a letter or digit, ends with one or its mark; punctuation only between."""
    if not text or text[0] not in letters or text[-1] not in letters | marks:
        return False
    return all(character in letters or character in marks or character in PUNCTUATION for character in text)


def _characters(blocks: tuple[tuple[int, int], ...], wanted: Callable[[str], bool]) -> frozenset[str]:
    return frozenset(
        chr(code) for low, high in blocks for code in range(low, high + 1) if wanted(unicodedata.category(chr(code)))
    )


def _character_class(characters: frozenset[str]) -> str:
    """`characters` as the inside of a regex class, in ranges of `\\uXXXX` escapes."""
    ranges: list[list[int]] = []
    for code in sorted(map(ord, characters)):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(f"\\u{low:04x}" + (f"-\\u{high:04x}" if high > low else "") for low, high in ranges)
