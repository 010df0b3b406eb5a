"""POST /oauth2/token through the token function, with the user pool's token endpoint served by the local
Cognito stand-in (moto has none): RFC 6749 answers, HOTLEAD's request shapes, the registry check."""

from __future__ import annotations

import base64
import io
import json
from urllib.parse import urlencode

import jwt
import pytest
import requests
import responses

from leadgate import observability
from leadgate.aws import reset_clients
from leadgate.settings import get_settings
from leadgate_admin.clients import create_client, disable_client
from tests.support.cognito import TOKEN_URL
from tests.support.samples import sample_event

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def acme(cognito_token_endpoint):
    return create_client("acme", ["read:leads", "write:leads"], "Acme CRM")


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def token_event(case: str, *, authorization: str | None = None, body: str | None = None, **headers: str) -> dict:
    """A sample event from events/token with this request's credentials, body and headers."""
    event = sample_event("token", case)
    wanted = dict(event["headers"])
    if authorization is not None:
        wanted["Authorization"] = authorization
    wanted.update({name.replace("_", "-"): value for name, value in headers.items()})
    wanted = {name: value for name, value in wanted.items() if value}
    event["headers"] = wanted
    event["multiValueHeaders"] = {name: [value] for name, value in wanted.items()}
    if body is not None:
        event["body"] = body
    return event


def hotlead_request(client: dict, **form: str) -> dict:
    """HOTLEAD's documented call: Basic credentials, plus `client_id` in the form."""
    fields = {"grant_type": "client_credentials", "client_id": client["client_id"], **form}
    return token_event(
        "basic", authorization=basic(client["client_id"], client["client_secret"]), body=urlencode(fields)
    )


def post_request(client_id: str, secret: str, **form: str) -> dict:
    fields = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret, **form}
    return token_event("client_secret_post", body=urlencode(fields))


def claims(access_token: str) -> dict:
    return jwt.decode(access_token, options={"verify_signature": False})


def assert_oauth_error(response, status: int, error: str):
    code, headers, body = response
    assert (code, body["error"]) == (status, error)
    assert set(body) == {"error", "error_description"}
    assert body["error_description"]
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Request-Id"]
    if status == 401:
        assert headers["WWW-Authenticate"] == 'Basic realm="leadgate"'
    return body


def test_hotlead_style_basic_request_gets_a_bearer_token(invoke, acme):
    status, headers, body = invoke("token", hotlead_request(acme))

    assert status == 200
    assert set(body) == {"access_token", "expires_in", "token_type"}
    assert (body["expires_in"], body["token_type"]) == (3600, "Bearer")
    assert headers["Cache-Control"] == "no-store"
    assert headers["Pragma"] == "no-cache"
    assert headers["X-Request-Id"] == "3f1c2a4e-7b61-11e6-9a41-93e8deadbeef"
    token = claims(body["access_token"])
    assert token["client_id"] == acme["client_id"]
    assert token["token_use"] == "access"
    assert set(token["scope"].split()) == {"leadgate/read:leads", "leadgate/write:leads"}
    assert token["iss"] == get_settings().cognito_issuer


def test_client_secret_post_with_a_short_scope_name(invoke, acme, cognito_token_endpoint):
    status, _, body = invoke("token", post_request(acme["client_id"], acme["client_secret"], scope="read:leads"))

    assert status == 200
    assert claims(body["access_token"])["scope"] == "leadgate/read:leads"
    assert cognito_token_endpoint[-1] == {"grant_type": "client_credentials", "scope": "leadgate/read:leads"}


def test_prefixed_scope_names_are_accepted_too(invoke, acme):
    status, _, body = invoke("token", hotlead_request(acme, scope="leadgate/write:leads read:leads"))

    assert status == 200
    assert claims(body["access_token"])["scope"] == "leadgate/write:leads leadgate/read:leads"


def test_base64_encoded_body(invoke, acme):
    event = hotlead_request(acme)
    event["body"] = base64.b64encode(event["body"].encode()).decode()
    event["isBase64Encoded"] = True

    assert invoke("token", event)[0] == 200


def test_wrong_secret_is_invalid_client(invoke, acme):
    assert_oauth_error(invoke("token", post_request(acme["client_id"], "not-the-secret")), 401, "invalid_client")
    wrong_basic = token_event(
        "basic", authorization=basic(acme["client_id"], "nope"), body="grant_type=client_credentials"
    )
    assert_oauth_error(invoke("token", wrong_basic), 401, "invalid_client")


def test_unknown_client_is_refused_without_asking_cognito(invoke, cognito_token_endpoint):
    assert_oauth_error(invoke("token", post_request("no-such-client", "secret")), 401, "invalid_client")
    assert cognito_token_endpoint == []


def test_disabled_client_is_refused_without_asking_cognito(invoke, acme, cognito_token_endpoint):
    disable_client(acme["client_id"])

    assert_oauth_error(invoke("token", hotlead_request(acme)), 401, "invalid_client")
    assert cognito_token_endpoint == []


def test_no_client_authentication_is_invalid_client(invoke, acme):
    event = token_event("basic", authorization="", body=f"grant_type=client_credentials&client_id={acme['client_id']}")
    assert_oauth_error(invoke("token", event), 401, "invalid_client")


@pytest.mark.parametrize(
    "authorization",
    ["Basic !!!not-base64!!!", "Basic " + base64.b64encode(b"no-colon").decode(), "Bearer abc.def.ghi"],
)
def test_malformed_authorization_is_invalid_client(invoke, acme, authorization):
    event = token_event("basic", authorization=authorization, body="grant_type=client_credentials")
    assert_oauth_error(invoke("token", event), 401, "invalid_client")


@pytest.mark.parametrize("grant_type", ["password", "authorization_code", "refresh_token"])
def test_other_grants_are_unsupported(invoke, acme, grant_type):
    assert_oauth_error(invoke("token", hotlead_request(acme, grant_type=grant_type)), 400, "unsupported_grant_type")


def test_missing_grant_type_is_invalid_request(invoke, acme):
    event = token_event(
        "basic", authorization=basic(acme["client_id"], acme["client_secret"]), body="scope=read%3Aleads"
    )
    body = assert_oauth_error(invoke("token", event), 400, "invalid_request")
    assert "grant_type" in body["error_description"]


def test_two_authentication_methods_are_invalid_request(invoke, acme):
    event = post_request(acme["client_id"], acme["client_secret"])
    event["headers"]["Authorization"] = basic(acme["client_id"], acme["client_secret"])

    assert_oauth_error(invoke("token", event), 400, "invalid_request")


def test_form_client_id_must_match_basic_credentials(invoke, acme):
    event = hotlead_request(acme)
    event["body"] = "grant_type=client_credentials&client_id=someone-else"

    assert_oauth_error(invoke("token", event), 400, "invalid_request")


def test_repeated_parameter_is_invalid_request(invoke, acme):
    event = hotlead_request(acme)
    event["body"] = "grant_type=client_credentials&scope=read%3Aleads&scope=write%3Aleads"

    body = assert_oauth_error(invoke("token", event), 400, "invalid_request")
    assert "scope" in body["error_description"]


def test_json_body_is_invalid_request(invoke, acme):
    event = token_event(
        "basic",
        authorization=basic(acme["client_id"], acme["client_secret"]),
        body=json.dumps({"grant_type": "client_credentials"}),
        Content_Type="application/json",
    )
    body = assert_oauth_error(invoke("token", event), 400, "invalid_request")
    assert FORM in body["error_description"]


@pytest.mark.parametrize("scope", ["read:everything", "delete:leads", "other/read:leads", "read:leads\tx"])
def test_unknown_or_ungranted_scope_is_invalid_scope(invoke, acme, scope):
    assert_oauth_error(invoke("token", hotlead_request(acme, scope=scope)), 400, "invalid_scope")


def test_cognito_outage_is_temporarily_unavailable(invoke, aws, monkeypatch):
    monkeypatch.setenv("COGNITO_TOKEN_URL", TOKEN_URL)
    reset_clients()
    client = create_client("acme", ["read:leads"])
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, TOKEN_URL, body=requests.ConnectionError("connection refused"))
        status, headers, body = invoke("token", hotlead_request(client))
        mock.replace(responses.POST, TOKEN_URL, status=502, body="<html>Bad gateway</html>")
        second = invoke("token", hotlead_request(client))

    assert (status, body["error"]) == (503, "temporarily_unavailable")
    assert headers["Cache-Control"] == "no-store"
    assert int(headers["Retry-After"]) > 0
    assert (second[0], second[2]["error"]) == (503, "temporarily_unavailable")


def test_secrets_and_tokens_never_reach_the_log(invoke, acme):
    log = io.StringIO()
    handler = observability.logger.registered_handler
    previous = handler.setStream(log)
    try:
        _, _, issued = invoke("token", hotlead_request(acme))
        invoke("token", post_request(acme["client_id"], acme["client_secret"] + "x"))
    finally:
        handler.setStream(previous)

    logged = log.getvalue()
    assert "Token issued" in logged
    assert "Token refused" in logged
    assert acme["client_secret"] not in logged
    assert issued["access_token"] not in logged


@pytest.mark.parametrize(
    ("client_id", "secret"),
    [
        ("x" * 5000, "secret"),  # was a 500 (DynamoDB key size)
        ("クライアント", "secret"),
        ("client id", "secret"),
        ("client\x00id", "secret"),
        ("client", "s" * 5000),
        ("client", "秘密"),
    ],
)
def test_credentials_no_client_can_have_are_invalid_client(invoke, aws, client_id, secret, cognito_token_endpoint):
    basic_event = token_event(
        "basic",
        authorization="Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode(),
        body="grant_type=client_credentials",
    )
    assert_oauth_error(invoke("token", basic_event), 401, "invalid_client")
    assert_oauth_error(invoke("token", post_request(client_id, secret)), 401, "invalid_client")
    assert cognito_token_endpoint == []


def test_a_body_that_is_not_utf8_or_too_large_is_invalid_request(invoke, acme):
    event = hotlead_request(acme)
    event["body"] = base64.b64encode(b"grant_type=\xff\xfe").decode()
    event["isBase64Encoded"] = True
    assert_oauth_error(invoke("token", event), 400, "invalid_request")

    event = hotlead_request(acme, padding="x" * 10_000)
    assert_oauth_error(invoke("token", event), 413, "invalid_request")


def test_registry_unreachable_is_temporarily_unavailable_with_retry_after(invoke, acme, monkeypatch, closed_port):
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", f"http://127.0.0.1:{closed_port}")
    monkeypatch.setenv("DEPENDENCY_MAX_ATTEMPTS", "1")
    reset_clients()

    status, headers, body = invoke("token", hotlead_request(acme))

    assert (status, body["error"]) == (503, "temporarily_unavailable")
    assert int(headers["Retry-After"]) > 0
    assert headers["Cache-Control"] == "no-store"
