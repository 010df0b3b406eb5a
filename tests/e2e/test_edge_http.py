"""Edge cases a probe found, over HTTP on the local stack: bad bodies are 4xx in our envelope, every answer is
`no-store` and `nosniff`, links come from the stack's URL whatever the `Host`, malformed credentials are
`invalid_client`. (A wrong secret from another address needs two source addresses: tests/integration.)"""

import json
import random

import pytest
import requests

pytestmark = pytest.mark.e2e


@pytest.fixture
def writer(local_stack):
    slug = str(random.randrange(10**6, 10**7))
    client = local_stack.admin_json("clients", "create", "--tenant", slug, "--scopes", "write:leads", "read:leads")
    return {"Authorization": f"Bearer {local_stack.token(client)}"}


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"[" * 10_000 + b"]" * 10_000, "application/json", 400, "INVALID_JSON"),
        (b'{"first_name": "\xff"}', "application/json", 400, "INVALID_JSON"),
        (b'{"first_name": "A"}', "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE"),
        (b'[{"first_name": "A"}, {"first_name": "B"}]', "application/json", 422, "VALIDATION_FAILED"),
        (b"first_name=zq-secret-form", "application/x-www-form-urlencoded", 415, "UNSUPPORTED_MEDIA_TYPE"),
    ],
)
def test_bad_bodies_are_4xx_in_the_envelope(local_stack, writer, body, content_type, status, code):
    response = requests.post(
        local_stack.url("/api/v1/leads"), data=body, headers={**writer, "Content-Type": content_type}, timeout=30
    )

    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert "zq-secret-form" not in response.text
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_upper_case_json_is_accepted_and_location_ignores_the_host(local_stack, writer):
    response = requests.post(
        local_stack.url("/api/v1/leads"),
        data=json.dumps({"first_name": "Host"}),
        headers={**writer, "Content-Type": "APPLICATION/JSON", "Host": "evil.example"},
        timeout=30,
    )

    assert response.status_code == 201, response.text
    assert response.headers["Location"] == local_stack.url(f"/api/v1/leads/{response.json()['data']['id']}")
    listed = requests.get(local_stack.url("/api/v1/leads"), headers={**writer, "Host": "evil.example"}, timeout=30)
    assert "evil.example" not in json.dumps(listed.json()["links"])
    assert listed.headers["Cache-Control"] == "no-store"


def test_a_5000_character_client_id_is_invalid_client(local_stack):
    response = requests.post(
        local_stack.token_url,
        data={"grant_type": "client_credentials", "client_id": "x" * 5000, "client_secret": "s"},
        timeout=30,
    )

    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")
    assert response.headers["Cache-Control"] == "no-store"
