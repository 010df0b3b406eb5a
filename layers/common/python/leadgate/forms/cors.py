"""CORS for the public submission route: a browser page may post only from one of its form's
`allowed_origins`. Any other origin (or a form that is unknown) gets no CORS headers at all, so the browser
keeps the answer from the page. Preflight (`OPTIONS`) is answered by the function, since the answer depends on
the form. Pure: no I/O."""

from __future__ import annotations

from leadgate.forms.records import Form

ALLOWED_METHODS = "POST, OPTIONS"
ALLOWED_HEADERS = "Content-Type"
MAX_AGE_SECONDS = 600


def headers(form: Form | None, origin: str | None) -> dict[str, str]:
    """The CORS headers of an answer to `origin`: empty unless the form allows it."""
    if form is None or not origin or origin not in form.allowed_origins:
        return {"Vary": "Origin"}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def preflight(form: Form | None, origin: str | None) -> dict[str, str]:
    allowed = headers(form, origin)
    if "Access-Control-Allow-Origin" not in allowed:
        return allowed
    return {
        **allowed,
        "Access-Control-Allow-Methods": ALLOWED_METHODS,
        "Access-Control-Allow-Headers": ALLOWED_HEADERS,
        "Access-Control-Max-Age": str(MAX_AGE_SECONDS),
    }
