"""Properties of the canonical forms: idempotent, spelling-insensitive, and never a key for junk."""

import unicodedata

import phonenumbers
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from leadgate.normalize import canonical_email, canonical_phone, search_prefix, search_tokens, to_katakana

# No per-example deadline: phonenumbers loads a region's metadata on first use, and a loaded machine is
# slow; neither says anything about the property.
unhurried = settings(deadline=None)

FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})
DASHES = "-ー\uff70\u2010\u2011\u2012\u2013\u2014\u2015\u2212"

local_parts = st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,20}[a-z0-9]", fullmatch=True).filter(lambda s: ".." not in s)
# Host-name labels; "ab--" labels are reserved for IDNA A-labels (RFC 5891), so UTS #46 refuses them.
labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True).filter(lambda label: label[2:4] != "--")
domains = st.lists(labels, min_size=1, max_size=3).map(lambda parts: ".".join([*parts, "jp"]))
emails = st.builds(lambda local, domain: f"{local}@{domain}", local_parts, domains)

# Japanese mobile numbers (070/080/090 + 8 digits) in the ranges phonenumbers knows as assigned.
mobile_numbers = st.builds(
    lambda prefix, rest: f"0{prefix}{rest:08d}", st.sampled_from(["70", "80", "90"]), st.integers(0, 99_999_999)
).filter(lambda national: phonenumbers.is_valid_number(phonenumbers.parse(national, "JP")))


def spell_email(email: str, data) -> str:
    """A spelling a person or form might send: case, full-width forms, padding."""
    if data.draw(st.booleans()):
        email = email.upper()
    if data.draw(st.booleans()):
        email = email.translate(FULL_WIDTH)
    return data.draw(st.sampled_from(["", " ", "\u3000", "\t"])) + email + data.draw(st.sampled_from(["", " ", "\n"]))


def spell_phone(national: str, data) -> str:
    """A spelling of a JP number: national or international, any separator, half- or full-width."""
    digits = national if data.draw(st.booleans()) else "+81" + national[1:]
    groups = [digits[:-8], digits[-8:-4], digits[-4:]]
    separator = data.draw(st.sampled_from([*DASHES, " ", "", "\u3000", "."]))
    text = separator.join(groups)
    if data.draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    return text


@unhurried
@given(st.text())
def test_canonical_email_is_idempotent(raw):
    key = canonical_email(raw)
    assert key is None or canonical_email(key) == key


@unhurried
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=30))
@example("０９０ー１２３４ー５６７８")
def test_canonical_phone_is_idempotent(raw):
    key = canonical_phone(raw)
    assert key is None or canonical_phone(key) == key


@unhurried
@given(st.text())
def test_to_katakana_is_idempotent(raw):
    kana = to_katakana(raw)
    assert kana is None or to_katakana(kana) == kana


@unhurried
@given(emails, st.data())
def test_spellings_of_one_email_share_one_key(email, data):
    assert canonical_email(spell_email(email, data)) == canonical_email(email) == email


@unhurried
@given(mobile_numbers, st.data())
def test_spellings_of_one_phone_share_one_key(national, data):
    assert canonical_phone(spell_phone(national, data)) == "+81" + national[1:]


@unhurried
@given(st.text(alphabet="0123456789-+ ()ー", max_size=20))
def test_a_phone_key_is_always_a_valid_e164_number(raw):
    key = canonical_phone(raw)
    if key is not None:
        number = phonenumbers.parse(key)
        assert phonenumbers.is_valid_number(number)
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == key


def _valid_in_jp(raw: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(raw, "JP"))
    except phonenumbers.NumberParseException:
        return False


@unhurried
@given(st.integers(0, 10**12))
def test_numbers_phonenumbers_rejects_never_become_keys(digits):
    raw = str(digits)
    assume(not _valid_in_jp(raw))
    assert canonical_phone(raw) is None


@unhurried
@given(st.text(min_size=1, max_size=20).filter(lambda s: "@" not in unicodedata.normalize("NFKC", s)))
def test_text_without_an_at_sign_is_never_an_email_key(raw):
    assert canonical_email(raw) is None


@unhurried
@given(
    st.text(alphabet=st.characters(categories=["Lo", "Ll", "Lu"]), min_size=1, max_size=8),
    st.text(alphabet=st.characters(categories=["Lo", "Ll", "Lu"]), min_size=1, max_size=8),
)
def test_a_name_is_found_by_a_prefix_of_its_search_text(family, given_name):
    tokens = search_tokens(last_name=family, first_name=given_name)
    prefix = search_prefix(family)
    assume(prefix)
    assert any(token.startswith(prefix) for token in tokens)
