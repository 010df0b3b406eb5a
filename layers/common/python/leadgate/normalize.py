"""Canonical forms of the values leads are matched and searched on.

Every function is idempotent (`f(f(x)) == f(x)`) and answers None for a value that cannot be a key,
so an invalid email or phone never becomes an identity. Raw values are kept by the callers; these
functions only derive keys from them.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

import idna

if TYPE_CHECKING:
    # Imported where a phone is parsed: its metadata costs about 20 ms, which most imports of this module never need.
    import phonenumbers

DEFAULT_REGION = "JP"
MAX_EMAIL_LENGTH = 254
MAX_LOCAL_PART_LENGTH = 64
MAX_PHONE_LENGTH = 64
MAX_TOKEN_LENGTH = 100

# RFC 5322 dot-atom local part (ASCII; NFKC has already turned full-width letters into ASCII).
_LOCAL_PART = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
# Japanese long-vowel marks and the dash family people type between digit groups.
_PHONE_SEPARATORS = str.maketrans(dict.fromkeys("ー\uff70\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"))
_PHONE_CHARACTERS = re.compile(r"^[0-9+()\-./\s]+$")
_PHONE_QUERY = re.compile(r"^\+?[0-9()\-./\s]*[0-9][0-9()\-./\s]*$")
_HIRAGANA_TO_KATAKANA = {code: code + 0x60 for code in (*range(0x3041, 0x3097), 0x309D, 0x309E)}


def _nfkc(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw)


def canonical_email(raw: str | None) -> str | None:
    """The matching key of an email: trimmed, NFKC, lower-cased, the domain as IDNA A-labels.

    None when empty or not a valid address. Sub-addresses (`+tag`) and dots are kept: they may be
    different people's mailboxes.
    """
    if not raw:
        return None
    text = _nfkc(raw).strip().lower()
    local, at, domain = text.rpartition("@")
    if not at or len(local) > MAX_LOCAL_PART_LENGTH or not _LOCAL_PART.match(local):
        return None
    ascii_domain = _ascii_domain(domain)
    if ascii_domain is None:
        return None
    email = f"{local}@{ascii_domain}"
    return email if len(email) <= MAX_EMAIL_LENGTH else None


def _ascii_domain(domain: str) -> str | None:
    """The domain as lower-case A-labels (UTS #46), or None unless it is a dotted host name."""
    try:
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii").lower()
    except idna.IDNAError:
        return None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or labels[-1].isdigit() or any(not label for label in labels):
        return None
    return ascii_domain


def email_is_valid(raw: str | None) -> bool:
    return canonical_email(raw) is not None


def parse_phone(raw: str | None, region: str = DEFAULT_REGION) -> phonenumbers.PhoneNumber | None:
    """The phone number if `raw` spells a valid one (NFKC, Japanese dashes as separators)."""
    if not raw:
        return None
    text = _nfkc(raw).translate(_PHONE_SEPARATORS).strip()
    if len(text) > MAX_PHONE_LENGTH or not _PHONE_CHARACTERS.match(text):
        return None
    import phonenumbers

    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def canonical_phone(raw: str | None, region: str = DEFAULT_REGION) -> str | None:
    """The matching key of a phone number: E.164 if it is a valid number, else None."""
    number = parse_phone(raw, region)
    if number is None:
        return None
    import phonenumbers

    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_is_valid(raw: str | None, region: str = DEFAULT_REGION) -> bool:
    return parse_phone(raw, region) is not None


def national_digits(raw: str | None, region: str = DEFAULT_REGION) -> str | None:
    """The digits as dialled inside the number's country (`09012345678`), for search."""
    number = parse_phone(raw, region)
    if number is None:
        return None
    import phonenumbers

    return re.sub(r"\D", "", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))


def to_katakana(raw: str | None) -> str | None:
    """Kana as full-width katakana: NFKC (half-width → full-width), hiragana → katakana, spaces collapsed."""
    if raw is None:
        return None
    text = " ".join(_nfkc(raw).translate(_HIRAGANA_TO_KATAKANA).split())
    return text or None


def split_name(name: str | None) -> tuple[str | None, str | None]:
    """(family, given) from a single name field, split at the first (full- or half-width) space.

    Japanese order: the family name comes first. Without a space the whole name is the family name.
    """
    parts = (name or "").split(maxsplit=1)
    if not parts:
        return None, None
    family = parts[0]
    given = " ".join(parts[1].split()) if len(parts) > 1 else None
    return family, given


def search_text(raw: str | None) -> str:
    """Text as search tokens store it: NFKC, katakana for kana, lower-case, no spaces."""
    return "".join(_nfkc(raw or "").translate(_HIRAGANA_TO_KATAKANA).lower().split())


def search_prefix(query: str | None) -> str | None:
    """The token prefix a search query looks for; phone-like queries become bare digits."""
    text = _nfkc(query or "").translate(_PHONE_SEPARATORS).strip()
    if _PHONE_QUERY.match(text):
        return re.sub(r"\D", "", text) or None
    return search_text(text)[:MAX_TOKEN_LENGTH] or None


def search_tokens(
    *,
    first_name: str | None = None,
    last_name: str | None = None,
    first_name_kana: str | None = None,
    last_name_kana: str | None = None,
    display_name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
) -> set[str]:
    """Normalised tokens a lead is found by with a prefix search.

    Each name part, family+given and given+family (so "山田太郎", "taro yamada" and "ヤマダ" all find
    the lead), the canonical email, and the phone as E.164 digits and as national digits.
    """
    names = [(last_name, first_name), (last_name_kana, first_name_kana)]
    candidates = [display_name, email if canonical_email(email) is None else canonical_email(email)]
    for family, given in names:
        candidates += [family, given, f"{family or ''}{given or ''}", f"{given or ''}{family or ''}"]
    tokens = {search_text(candidate)[:MAX_TOKEN_LENGTH] for candidate in candidates}
    e164 = canonical_phone(phone)
    if e164:
        tokens |= {e164.lstrip("+"), national_digits(phone) or ""}
    tokens.discard("")
    return tokens
