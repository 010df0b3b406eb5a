"""Hypothesis profiles and the inputs the property suite sends.

`make test` runs the `property` profile (few examples); `make fuzz` sets HYPOTHESIS_PROFILE=fuzz. The
handlers run on moto, whose state lives for one test: later examples meet what earlier ones stored.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

_SHARED = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
}
settings.register_profile("property", max_examples=25, **_SHARED)
settings.register_profile("fuzz", max_examples=1000, **_SHARED)
suite = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "property"))

# ------------------------------------------------------------------ text

surrogates = st.integers(0xD800, 0xDFFF).map(chr)
controls = st.sampled_from([chr(code) for code in [*range(0x20), 0x7F, *range(0x80, 0xA0)]])
awkward = st.sampled_from(["\u3000", "\u200b", "\ufeff", "\u202e", "\ufffd", "\uffff", "ﷺ", "İ", "\u0301", "#", "/"])
characters = st.one_of(st.characters(), surrogates, controls, awkward)
# Any text, lone surrogates and control characters included; mostly short, as fields are.
texts = st.one_of(st.text(characters, max_size=30), st.text(characters, min_size=60, max_size=300))
# Text that would pass, now and then broken by one bad character.
plain = st.text(st.characters(categories=("L", "Nd")), min_size=1, max_size=12)
mostly_plain = st.one_of(plain, plain, texts)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**64), 2**64),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.one_of(texts, plain), children, max_size=4)
    ),
    max_leaves=25,
)
json_objects = st.dictionaries(st.one_of(texts, plain), json_values, max_size=6)

# ------------------------------------------------------------------ request parts

tags = st.lists(st.one_of(plain, texts, st.sampled_from([".", "..", "a.b", "vip:gold", "x/y", "50%", "a#b", " "])))
emails = st.builds(lambda local, domain: f"{local}@{domain}.jp", st.from_regex(r"[a-z]{1,8}", fullmatch=True), plain)
phones = st.integers(0, 99_999_999).map(lambda rest: f"090{rest:08d}")
identifiers = st.one_of(st.integers(0, 2**53), mostly_plain)
# The property suite's tenant has users 1-3 (tests/property/test_routes.py): a lead may name one, or anything else.
assigned_users = st.one_of(st.sampled_from([1, 2, 3]), st.none(), identifiers)

lead_fields = {
    "last_name": mostly_plain,
    "first_name_kana": mostly_plain,
    "display_name": mostly_plain,
    "email": st.one_of(emails, texts),
    "phone": st.one_of(phones, texts),
    "company": mostly_plain,
    "address": mostly_plain,
    "source": mostly_plain,
    "status": mostly_plain,
    "pipeline_id": identifiers,
    "pipeline_stage_id": identifiers,
    "assigned_user_id": assigned_users,
    "notes": texts,
    "custom_fields": st.dictionaries(st.one_of(plain, texts), st.one_of(scalars, json_values), max_size=5),
    "tags": tags,
    "starred": st.one_of(st.booleans(), texts),
    "lead_score": st.one_of(st.integers(-(10**10), 10**10), scalars),
}
lead_bodies = st.fixed_dictionaries({"first_name": mostly_plain}, optional=lead_fields)
identified_bodies = st.fixed_dictionaries(
    {"email": emails, "first_name": mostly_plain},
    optional={name: values for name, values in lead_fields.items() if name != "email"},
)
hotlead_bodies = st.fixed_dictionaries(
    {
        "created_at": st.just(datetime(2026, 11, 30, 9, tzinfo=UTC).isoformat()),
        "media_domain": mostly_plain,
        "unit_id": st.just("acme"),
        "profile": st.fixed_dictionaries(
            {"name": mostly_plain, "email": emails},
            optional={"name_kana": mostly_plain, "phone": phones, "address": mostly_plain},
        ),
    },
    optional={"inquiry": json_objects},
)

media_types = st.one_of(
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "APPLICATION/JSON",
            "application/merge-patch+json",
            "application/vnd.api+json",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "",
        ]
    ),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40),
)
# JSON nested deeper than any parser's recursion limit, as arrays or objects.
deep_documents = st.builds(
    lambda depth, array: "[" * depth + "]" * depth if array else '{"a":' * depth + "1" + "}" * depth,
    st.integers(1, 20_000),
    st.booleans(),
)
raw_bodies = st.one_of(st.binary(max_size=300), texts, json_values.map(repr), deep_documents)
queries = st.dictionaries(st.one_of(plain, texts), st.one_of(plain, texts), max_size=4)
