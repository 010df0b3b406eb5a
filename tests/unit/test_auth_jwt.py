"""Small pieces of token handling: scope prefixes and the bearer header."""

from __future__ import annotations

import pytest

from leadgate.auth.authorizer import bearer_token
from leadgate.auth.jwt import short_scopes


def test_short_scopes_keep_only_our_resource_server():
    claim = "leadgate/read:leads leadgate/write:leads other/read:leads aws.cognito.signin.user.admin"

    assert short_scopes(claim, "leadgate") == {"read:leads", "write:leads"}
    assert short_scopes("", "leadgate") == frozenset()
    assert short_scopes("leadgateX/read:leads", "leadgate") == frozenset()


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc.def.ghi", "abc.def.ghi"),
        ("bearer abc.def.ghi", "abc.def.ghi"),
        ("  Bearer   abc.def.ghi  ", "abc.def.ghi"),
        ("Bearer", None),
        ("Bearer ", None),
        ("Basic abc", None),
        ("Bearer a b", None),
        ("abc.def.ghi", None),
        ("", None),
        (None, None),
    ],
)
def test_bearer_token(header, token):
    assert bearer_token(header) == token
