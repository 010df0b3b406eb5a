"""Parsing of token requests (RFC 6749 §2.3.1, §3.2, §4.4) independent of Cognito."""

from __future__ import annotations

import base64

import pytest

from leadgate.auth.token import OAuthError, TokenRequest, parse_token_request

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def basic(credentials: str) -> dict:
    return {**FORM, "Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}


def refused(headers: dict, body: str) -> OAuthError:
    with pytest.raises(OAuthError) as raised:
        parse_token_request(headers, body, "leadgate")
    return raised.value


def test_basic_credentials_and_short_scopes():
    request = parse_token_request(
        basic("abc:s3cret"), "grant_type=client_credentials&scope=read%3Aleads+write%3Aleads", "leadgate"
    )

    assert request == TokenRequest("abc", "s3cret", ("leadgate/read:leads", "leadgate/write:leads"))


def test_basic_parts_are_form_decoded_and_the_secret_may_hold_colons():
    request = parse_token_request(basic("a%2Bb:x:y%3D"), "grant_type=client_credentials", "leadgate")

    assert (request.client_id, request.client_secret) == ("a+b", "x:y=")


def test_client_secret_post():
    request = parse_token_request(
        {"content-type": "application/x-www-form-urlencoded; charset=UTF-8"},
        "grant_type=client_credentials&client_id=abc&client_secret=s3cret",
        "leadgate",
    )

    assert (request.client_id, request.client_secret, request.scopes) == ("abc", "s3cret", None)


def test_the_secret_is_not_in_the_repr():
    request = parse_token_request(basic("abc:s3cret"), "grant_type=client_credentials", "leadgate")

    assert "s3cret" not in repr(request)


def test_empty_parameters_count_as_absent():
    request = parse_token_request(basic("abc:s3cret"), "grant_type=client_credentials&scope=&client_id=", "leadgate")

    assert request.scopes is None
    assert refused(basic("abc:s3cret"), "grant_type=").error == "invalid_request"


def test_duplicate_scopes_are_asked_once():
    request = parse_token_request(
        basic("a:b"), "grant_type=client_credentials&scope=read:leads leadgate/read:leads read:leads", "leadgate"
    )

    assert request.scopes == ("leadgate/read:leads",)


@pytest.mark.parametrize(
    ("headers", "body", "error", "status"),
    [
        ({}, "grant_type=client_credentials&client_id=a&client_secret=b", "invalid_request", 400),
        ({"Content-Type": "application/json"}, '{"grant_type":"client_credentials"}', "invalid_request", 400),
        (FORM, "client_id=a&client_secret=b", "invalid_request", 400),
        (
            FORM,
            "grant_type=client_credentials&grant_type=client_credentials&client_id=a&client_secret=b",
            "invalid_request",
            400,
        ),
        (basic("a:b"), "grant_type=client_credentials&client_secret=b", "invalid_request", 400),
        (basic("a:b"), "grant_type=client_credentials&client_id=other", "invalid_request", 400),
        (FORM, "grant_type=client_credentials&client_id=a", "invalid_client", 401),
        (FORM, "grant_type=client_credentials", "invalid_client", 401),
        (basic("a"), "grant_type=client_credentials", "invalid_client", 401),
        (basic(":b"), "grant_type=client_credentials", "invalid_client", 401),
        (basic("a:"), "grant_type=client_credentials", "invalid_client", 401),
        ({**FORM, "Authorization": "Basic ***"}, "grant_type=client_credentials", "invalid_client", 401),
        ({**FORM, "Authorization": "Digest abc"}, "grant_type=client_credentials", "invalid_client", 401),
        (basic("a:b"), "grant_type=password", "unsupported_grant_type", 400),
        (basic("a:b"), "grant_type=client_credentials&scope=other/read:leads", "invalid_scope", 400),
        (basic("a:b"), "grant_type=client_credentials&scope=%22quoted%22", "invalid_scope", 400),
    ],
)
def test_refusals(headers, body, error, status):
    refusal = refused(headers, body)

    assert (refusal.error, refusal.status) == (error, status)
    assert refusal.description


def test_error_answer_shape():
    error = OAuthError("invalid_client")

    assert error.status == 401
    assert error.headers()["WWW-Authenticate"] == 'Basic realm="leadgate"'
    assert error.headers()["Cache-Control"] == "no-store"
    assert error.body() == {"error": "invalid_client", "error_description": "Client authentication failed."}
