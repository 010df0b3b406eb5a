# ruff: noqa: RUF001  (full-width and dash look-alikes are the inputs under test)
"""Examples of the canonical forms leads are matched and searched on (platform-facts.md)."""

import pytest

from leadgate.normalize import (
    canonical_email,
    canonical_phone,
    email_is_valid,
    national_digits,
    phone_is_valid,
    search_prefix,
    search_tokens,
    split_name,
    to_katakana,
)


@pytest.mark.parametrize(
    "raw",
    [
        "090-1234-5678",
        "０９０ー１２３４ー５６７８",
        "０９０ｰ１２３４ｰ５６７８",
        "090‐1234‐5678",
        "090–1234—5678",
        "090−1234−5678",
        "(090) 1234-5678",
        "+81 90 1234 5678",
        "81-90-1234-5678",
        "+81-90-1234-5678",
        "09012345678",
        " 090.1234.5678 ",
    ],
)
def test_spellings_of_one_mobile_number_share_one_key(raw):
    assert canonical_phone(raw) == "+819012345678"
    assert phone_is_valid(raw)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0120-123-456", "+81120123456"),
        ("050-1234-5678", "+815012345678"),
        ("03-1234-5678", "+81312345678"),
        ("+1 415 555 1234", "+14155551234"),
    ],
)
def test_other_valid_numbers_become_e164(raw, e164):
    assert canonical_phone(raw) == e164


@pytest.mark.parametrize(
    "raw", ["090 1234 567", "", None, "12", "not a phone", "090-CALL-ME", "090-1234-5678 内線12", "+81 90 1234 5678 9"]
)
def test_invalid_numbers_never_become_keys(raw):
    assert canonical_phone(raw) is None
    assert not phone_is_valid(raw)


def test_region_decides_numbers_without_country_code():
    assert canonical_phone("(415) 555-1234", region="US") == "+14155551234"
    assert canonical_phone("(415) 555-1234") is None


def test_national_digits_are_the_number_as_dialled_at_home():
    assert national_digits("+81 90 1234 5678") == "09012345678"
    assert national_digits("+1 415 555 1234") == "4155551234"
    assert national_digits("090 1234 567") is None


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("  Sarah@Example.COM ", "sarah@example.com"),
        ("ｓａｒａｈ＠ｅｘａｍｐｌｅ．ｃｏｍ", "sarah@example.com"),
        ("taro+inquiry@Example.co.jp", "taro+inquiry@example.co.jp"),
        ("taro@例え.テスト", "taro@xn--r8jz45g.xn--zckzah"),
        ("TARO@XN--R8JZ45G.XN--ZCKZAH", "taro@xn--r8jz45g.xn--zckzah"),
        ("taro@ＥＸＡＭＰＬＥ。ｊｐ", "taro@example.jp"),
    ],
)
def test_emails_are_trimmed_folded_and_punycoded(raw, key):
    assert canonical_email(raw) == key
    assert email_is_valid(raw)


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "   ",
        "sarah",
        "sarah@",
        "@example.com",
        "a..b@example.com",
        ".a@example.com",
        "a b@example.com",
        "a@localhost",
        "a@example.123",
        "a@[127.0.0.1]",
        "a@exa_mple.com",
        "a@-example.com",
        "a@example..com",
        "山田@example.com",
        "a" * 65 + "@example.com",
        "a@" + "b" * 250 + ".com",
        "a@xn--zz.com",
    ],
)
def test_invalid_emails_never_become_keys(raw):
    assert canonical_email(raw) is None
    assert not email_is_valid(raw)


def test_kana_becomes_full_width_katakana():
    assert to_katakana("やまだ　たろう") == "ヤマダ タロウ"
    assert to_katakana("ﾔﾏﾀﾞ ﾀﾛｳ") == "ヤマダ タロウ"
    assert to_katakana("ゔぁいおりん") == "ヴァイオリン"
    assert to_katakana("  ") is None
    assert to_katakana(None) is None


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("山田 太郎", ("山田", "太郎")),
        ("山田　太郎", ("山田", "太郎")),
        ("  山田   太郎  ", ("山田", "太郎")),
        ("山田太郎", ("山田太郎", None)),
        ("山田 太郎 次郎", ("山田", "太郎 次郎")),
        ("", (None, None)),
        (None, (None, None)),
    ],
)
def test_a_single_name_splits_family_first(name, parts):
    assert split_name(name) == parts


def test_search_tokens_cover_names_kana_email_and_phone_digits():
    tokens = search_tokens(
        last_name="山田",
        first_name="太郎",
        last_name_kana="やまだ",
        first_name_kana="ﾀﾛｳ",
        display_name="山田 太郎",
        email=" Taro@Example.com",
        phone="090-1234-5678",
    )

    assert {"山田", "太郎", "山田太郎", "ヤマダ", "タロウ", "ヤマダタロウ", "taro@example.com"} <= tokens
    assert {"819012345678", "09012345678"} <= tokens


def test_search_tokens_skip_what_is_missing_or_invalid():
    assert search_tokens(first_name="Sarah", phone="090 1234 567") == {"sarah"}
    assert search_tokens() == set()


@pytest.mark.parametrize(
    ("query", "token"),
    [
        ("やまだ", "ヤマダタロウ"),
        ("ﾔﾏﾀﾞ", "ヤマダ"),
        ("山田 太", "山田太郎"),
        ("Taro@EXAMPLE", "taro@example.com"),
        ("090-1234", "09012345678"),
        ("０９０ー１２３４", "09012345678"),
        ("+81 90", "819012345678"),
        ("sarah j", "sarahjohnson"),
    ],
)
def test_a_query_is_a_prefix_of_the_token_it_should_find(query, token):
    tokens = search_tokens(
        last_name="山田",
        first_name="太郎",
        last_name_kana="ヤマダ",
        first_name_kana="タロウ",
        email="taro@example.com",
        phone="090-1234-5678",
    ) | search_tokens(first_name="Sarah", last_name="Johnson")

    assert token in tokens
    assert token.startswith(search_prefix(query))


def test_an_empty_query_has_no_prefix():
    assert search_prefix("   ") is None
    assert search_prefix(None) is None
