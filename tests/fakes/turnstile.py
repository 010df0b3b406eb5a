"""A fake Cloudflare Turnstile verifier (`POST /turnstile/v0/siteverify`, form-encoded `secret`, `response`,
`remoteip`): the token `pass` with the secret `turnstile-secret` succeeds, anything else fails, as Cloudflare's
test keys do."""

from __future__ import annotations

from urllib.parse import parse_qs

from tests.fakes.loopback import LoopbackServer, Received, Reply

SECRET = "turnstile-secret"
GOOD_TOKEN = "pass"
PATH = "/turnstile/v0/siteverify"


def answer(request: Received) -> Reply:
    form = {name: values[0] for name, values in parse_qs(request.raw.decode()).items()}
    if request.path != PATH:
        return Reply(404, {"success": False})
    if form.get("secret") == SECRET and form.get("response") == GOOD_TOKEN:
        return Reply(200, {"success": True, "error-codes": []})
    return Reply(200, {"success": False, "error-codes": ["invalid-input-response"]})


def verifier() -> LoopbackServer:
    return LoopbackServer(answer)
