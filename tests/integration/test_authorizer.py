"""The REQUEST authorizer with tokens from the local Cognito stand-in, verified against moto's JWKS."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from leadgate.aws import reset_clients
from leadgate.routes import ROUTES
from leadgate.settings import get_settings
from leadgate_admin.clients import create_client, disable_client
from leadgate_dev.harness import handle
from leadgate_dev.local import cognito as local_cognito
from leadgate_dev.local.authorizer import is_allowed
from tests.support.samples import sample_event

API = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/dev"


@pytest.fixture
def jwks(aws, monkeypatch):
    """moto's JWKS for the pool, served over HTTP as Cognito serves it. PyJWKClient fetches with urllib,
    which `responses` cannot intercept, so the key set moto publishes is served from 127.0.0.1."""
    published = requests.get(
        f"https://cognito-idp.us-east-1.amazonaws.com/{aws.user_pool_id}/.well-known/jwks.json", timeout=5
    ).json()
    fetches: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            fetches.append(self.path)
            body = json.dumps(published).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    monkeypatch.setenv("COGNITO_JWKS_URL", f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json")
    reset_clients()
    yield fetches
    server.shutdown()
    server.server_close()


@pytest.fixture
def authorize(jwks):
    def _authorize(token: str | None, method: str = "GET", path: str = "/api/v1/leads", scheme: str = "Bearer"):
        event = sample_event("authorizer", "list_leads")
        event["methodArn"] = f"{API}/{method}{path}"
        event["httpMethod"] = method
        headers = {name: value for name, value in event["headers"].items() if name != "Authorization"}
        if token is not None:
            headers["Authorization"] = f"{scheme} {token}"
        event["headers"] = headers
        event["multiValueHeaders"] = {name: [value] for name, value in headers.items()}
        return handle("authorizer", event)

    return _authorize


def access_token(client: dict, scope: str | None = None) -> str:
    """A token as the pool's token endpoint issues it (through the stand-in)."""
    credentials = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode()).decode()
    form = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    status, body = local_cognito.issue_token(
        boto3.client("cognito-idp"),
        get_settings().user_pool_id,
        form,
        f"Basic {credentials}",
        get_settings().cognito_issuer,
    )
    assert status == 200, body
    return body["access_token"]


def allowed(response: dict, method: str, path: str) -> bool:
    return is_allowed(response, f"{API}/{method}{path}")


def test_read_only_client_may_read_but_not_write(authorize):
    reader = create_client("acme", ["read:leads"], "Acme reader")

    response = authorize(access_token(reader))

    assert response["principalId"] == reader["client_id"]
    assert response["context"] == {
        "tenant_id": "acme",
        "client_id": reader["client_id"],
        "scopes": "read:leads",
        "tier": "standard",
        "rate_policies": "",
    }
    assert "usageIdentifierKey" not in response
    assert allowed(response, "GET", "/api/v1/leads")
    assert allowed(response, "GET", "/api/v1/leads/01JD8X5Q9R0000000000000000")
    assert allowed(response, "GET", "/api/v1/leads/01JD8X5Q9R0000000000000000/inquiries")
    assert not allowed(response, "POST", "/api/v1/leads")
    assert not allowed(response, "PATCH", "/api/v1/leads/01JD8X5Q9R0000000000000000")
    assert not allowed(response, "DELETE", "/api/v1/leads/01JD8X5Q9R0000000000000000")
    assert not allowed(response, "POST", "/public/api/leads")


def test_policy_is_right_for_every_route_whatever_method_was_called(authorize):
    """API Gateway caches the policy per token and reuses it for other methods, so it covers all routes."""
    deleter = create_client("acme", ["delete:leads"])
    token = access_token(deleter)

    for called in (("GET", "/api/v1/leads"), ("DELETE", "/api/v1/leads/01JD8X5Q9R0000000000000000")):
        response = authorize(token, *called)
        for route in ROUTES:
            if route.public:
                continue
            path = route.path.replace("{id}", "01JD8X5Q9R0000000000000000").replace("{tag}", "vip-client")
            assert allowed(response, route.method, path) == ("delete:leads" in route.scopes), route


def test_token_scope_narrower_than_the_client(authorize):
    writer = create_client("beta", ["read:leads", "write:leads"])

    response = authorize(access_token(writer, scope="leadgate/write:leads"), "POST", "/api/v1/leads")

    assert response["context"]["tenant_id"] == "beta"
    assert response["context"]["scopes"] == "write:leads"
    assert allowed(response, "POST", "/api/v1/leads")
    assert not allowed(response, "GET", "/api/v1/leads")


def test_api_key_and_rate_policies_from_the_registry(authorize, aws):
    client = create_client("acme", ["read:leads"])
    boto3.client("dynamodb").update_item(
        TableName=aws.tables["CLIENTS_TABLE"],
        Key={"client_id": {"S": client["client_id"]}},
        UpdateExpression="SET api_key_value = :key, rate_policies = :policies, tier = :tier",
        ExpressionAttributeValues={
            ":key": {"S": "apikey-value-0123456789"},
            ":policies": {"S": '[{"limit":60,"window":60}]'},
            ":tier": {"S": "partner"},
        },
    )

    response = authorize(access_token(client))

    assert response["usageIdentifierKey"] == "apikey-value-0123456789"
    assert response["context"]["rate_policies"] == '[{"limit":60,"window":60}]'
    assert response["context"]["tier"] == "partner"


def test_keys_are_fetched_once_and_cached_across_invocations(authorize, jwks):
    client = create_client("acme", ["read:leads"])
    token = access_token(client)

    for _ in range(3):
        authorize(token)

    assert jwks == ["/.well-known/jwks.json"]


def test_header_name_and_scheme_are_case_insensitive(authorize):
    token = access_token(create_client("acme", ["read:leads"]))
    event = sample_event("authorizer", "list_leads")
    event["headers"] = {"authorization": f"bearer {token}"}

    response = handle("authorizer", event)

    assert response["context"]["tenant_id"] == "acme"


def b64url(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def unauthorized(call) -> bool:
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        call()
    return True


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Basic dXNlcjpwYXNz", "Bearer a b", "Bearer not-a-jwt"],
)
def test_missing_or_malformed_authorization_is_unauthorized(authorize, header):
    event = sample_event("authorizer", "list_leads")
    event["headers"] = {} if header is None else {"Authorization": header}

    assert unauthorized(lambda: handle("authorizer", event))


def test_expired_token_is_unauthorized(authorize):
    client = create_client("acme", ["read:leads"])
    two_hours_ago = int(time.time()) - 7200
    token = local_cognito.sign_access_token(
        client["client_id"], ["leadgate/read:leads"], get_settings().cognito_issuer, now=two_hours_ago
    )

    assert unauthorized(lambda: authorize(token))


def test_token_of_another_pool_is_unauthorized(authorize):
    client = create_client("acme", ["read:leads"])
    token = local_cognito.sign_access_token(
        client["client_id"],
        ["leadgate/read:leads"],
        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_SomeoneElse",
    )

    assert unauthorized(lambda: authorize(token))


def test_id_token_is_unauthorized(authorize):
    client = create_client("acme", ["read:leads"])
    token = local_cognito.sign_access_token(
        client["client_id"], ["leadgate/read:leads"], get_settings().cognito_issuer, overrides={"token_use": "id"}
    )

    assert unauthorized(lambda: authorize(token))


def test_token_without_client_id_is_unauthorized(authorize):
    client = create_client("acme", ["read:leads"])
    token = local_cognito.sign_access_token(
        client["client_id"], ["leadgate/read:leads"], get_settings().cognito_issuer, overrides={"client_id": ""}
    )

    assert unauthorized(lambda: authorize(token))


def test_token_signed_with_another_key_is_unauthorized(authorize):
    client = create_client("acme", ["read:leads"])
    genuine = local_cognito.sign_access_token(
        client["client_id"], ["leadgate/read:leads"], get_settings().cognito_issuer
    )
    claims = jwt.decode(genuine, options={"verify_signature": False})
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    forged_same_kid = jwt.encode(claims, forger, algorithm="RS256", headers={"kid": "dummy"})
    forged_other_kid = jwt.encode(claims, forger, algorithm="RS256", headers={"kid": "forger"})
    public_pem = (
        local_cognito.signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    # The classic confusion attack: HMAC keyed with the published public key.
    signing_input = f"{b64url({'alg': 'HS256', 'typ': 'JWT', 'kid': 'dummy'})}.{b64url(claims)}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    hmac_with_public_key = f"{signing_input}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"
    header, _, signature = genuine.split(".")
    tampered = f"{header}.{b64url({**claims, 'scope': 'leadgate/delete:leads'})}.{signature}"

    for token in (forged_same_kid, forged_other_kid, hmac_with_public_key, tampered):
        assert unauthorized(lambda token=token: authorize(token))


def test_unknown_client_is_unauthorized(authorize):
    token = local_cognito.sign_access_token("not-registered", ["leadgate/read:leads"], get_settings().cognito_issuer)

    assert unauthorized(lambda: authorize(token))


def test_disabled_client_is_unauthorized(authorize):
    client = create_client("acme", ["read:leads"])
    token = access_token(client)
    assert authorize(token)["context"]["tenant_id"] == "acme"

    disable_client(client["client_id"])

    assert unauthorized(lambda: authorize(token))


def test_token_with_no_route_scope_gets_an_explicit_deny(authorize):
    client = create_client("acme", ["read:leads"])
    token = local_cognito.sign_access_token(client["client_id"], ["other/scope"], get_settings().cognito_issuer)

    response = authorize(token)

    assert response["context"]["scopes"] == ""
    assert not any(allowed(response, route.method, route.path) for route in ROUTES)


def test_read_integrations_scope_opens_the_connections_routes_only(authorize):
    integrations = create_client("acme", ["read:integrations"])
    reader = create_client("acme", ["read:leads"])

    allowed_routes = authorize(access_token(integrations))
    leads_only = authorize(access_token(reader))

    connection = "/api/v1/connections/con_01JD8X5Q9R0000000000000000"
    assert allowed(allowed_routes, "GET", "/api/v1/connections")
    assert allowed(allowed_routes, "GET", connection)
    assert allowed(allowed_routes, "GET", "/api/v1/usage")
    assert not allowed(allowed_routes, "GET", "/api/v1/leads")
    assert not allowed(leads_only, "GET", "/api/v1/connections")
    assert not allowed(leads_only, "GET", connection)
