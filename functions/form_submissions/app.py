"""POST /public/forms/{public_id}/submissions: a website's form posts here from people's browsers, with no
token (docs/forms.md). Its own small function, so this public path's cold start loads only what it uses.

The HTTP edge: the form is found by its public id (ONE GetItem), the body read in the shape it came in (a plain
`<form>`, JSON key/value pairs, HubSpot's submission), and answered as the sender expects: 303 to the form's
`redirect_url` for a plain form, 201 with the success message for JSON, HubSpot's `inlineMessage` /
`redirectUri` for HubSpot's shape. CORS headers only for the form's `allowed_origins` (errors included, so the
page can read a 422); OPTIONS answers the preflight. A filled honeypot is answered exactly as a success.
"""

import html
import re
from typing import Any

from aws_lambda_powertools.event_handler import Response

from leadgate import bodies, errors
from leadgate.api import create_resolver, error_response, json_response
from leadgate.envelopes import answer, errors_of
from leadgate.forms import cors, spam, store, submissions, values
from leadgate.forms.envelopes import HubspotSubmissionResult, PublicSubmissionResult
from leadgate.forms.records import Form
from leadgate.observability import observed

app = create_resolver()

PUBLIC_ID = re.compile(r"pf_[A-Za-z0-9_\-]{24}")
TOO_MANY = "Too many submissions from this address or to this form (`RATE_LIMITED`), with `Retry-After`."
NO_FORM = "No such form, or it takes no submissions (`NOT_FOUND`)."
SUCCESS_HTML = '<!doctype html><meta charset="utf-8"><title>Thank you</title><p>{message}</p>'
DEFAULT_MESSAGE = "Thank you: your submission was received."
# The docs page shows this on the route (Swagger UI renders the description's Markdown): a working embed, once
# `{public_id}` is the form's and the origin is the API's. Field names are the form's own.
EMBED = """A website's form posts here, with no token: address it by the form's `public_id`
(`GET /api/v1/forms/{id}`). The page's origin must be one of the form's `allowed_origins`.

A plain HTML form (answered 303 to the form's `redirect_url`):

```html
<form method="post" action="https://api.example.com/public/forms/{public_id}/submissions">
  <input name="your_name" required>
  <input name="email" type="email" required>
  <label><input type="checkbox" name="consent_marketing"> News by email</label>
  <!-- the honeypot: hidden from people, left empty by them -->
  <input name="website" tabindex="-1" autocomplete="off" style="position:absolute;left:-9999px">
  <button>Send</button>
</form>
```

JavaScript (answered 201 with the form's `success_message`; a 422 names the field):

```js
const answer = await fetch("https://api.example.com/public/forms/{public_id}/submissions", {
  method: "POST",
  headers: {"Content-Type": "application/json"},
  body: JSON.stringify({your_name: "山田 太郎", email: "taro@example.jp", page_url: location.href}),
});
const result = await answer.json();  // {"status": "success", "message": "..."}
```

HubSpot's submission shape (`fields: [{name, value}]`, `context.pageUri`, `legalConsentOptions`) is taken as
HubSpot takes it, and answered `{"inlineMessage": ...}` or `{"redirectUri": ...}`."""


def _form(public_id: str) -> Form | None:
    return store.get_public(public_id) if PUBLIC_ID.fullmatch(public_id) else None


@app.route(
    "/public/forms/<public_id>/submissions",
    method="OPTIONS",
    responses={204: answer(None, "The CORS preflight: allowed only for the form's `allowed_origins`.")},
)
def preflight(public_id: str):
    origin = app.current_event.headers.get("origin") or app.current_event.headers.get("Origin")
    return Response(status_code=204, headers=cors.preflight(_form(public_id), origin), body="")


@app.post(
    "/public/forms/<public_id>/submissions",
    summary="Submit a form from a browser (no token)",
    description=EMBED,
    responses={
        201: answer(PublicSubmissionResult, "Received (JSON): the form's success message."),
        200: answer(HubspotSubmissionResult, "Received (HubSpot's shape): `inlineMessage` or `redirectUri`."),
        303: answer(None, "Received (a plain form): `Location` is the form's `redirect_url`."),
        **errors_of(404, 413, 415, 422, 429, 503, _404=NO_FORM, _429=TOO_MANY),
    },
)
def submit(public_id: str):
    event = app.current_event
    origin = event.headers.get("origin") or event.headers.get("Origin")
    form = _form(public_id)
    allowed = cors.headers(form, origin)
    try:
        if form is None or not form.active:
            raise errors.NotFound("No such form.")
        address = event.request_context.identity.source_ip or ""
        media_type = bodies.check_media_type(
            bodies.header(event.raw_event.get("headers"), "content-type"), bodies.FORM_SUBMISSION.media_types
        )
        text = bodies.decode(event.body, event.is_base64_encoded, bodies.FORM_SUBMISSION.max_bytes)
        spam.admit(form, address)
        if media_type == bodies.FORM_URLENCODED:
            submitted = values.from_form_encoded(text, bodies.header(event.raw_event.get("headers"), "referer"))
        else:
            submitted = values.from_json(bodies.parse_json(text) if text.strip() else {})
        if not spam.is_robot(form, submitted.values):
            if form.turnstile:
                from leadgate.forms import turnstile  # only forms that use it pay for its imports

                turnstile.verify(form.tenant_id, submitted.turnstile_token, address)
            submissions.submit(form.tenant_id, form, submitted, address=address)
    except errors.DomainError as refused:
        response = error_response(refused)
        response.headers.update(allowed)
        return response
    return _success(form, media_type, submitted.hubspot, allowed)


def _success(form: Form, media_type: str, hubspot: bool, headers: dict[str, Any]) -> Response:
    message = form.success_message or DEFAULT_MESSAGE
    if hubspot:
        body = {"redirectUri": form.redirect_url} if form.redirect_url else {"inlineMessage": message}
        return json_response(200, body, headers)
    if media_type == bodies.FORM_URLENCODED:
        if form.redirect_url:
            return Response(status_code=303, headers={**headers, "Location": form.redirect_url}, body="")
        page = SUCCESS_HTML.format(message=html.escape(message))
        return Response(status_code=200, content_type="text/html; charset=utf-8", headers=headers, body=page)
    return json_response(201, {"status": "success", "message": message}, headers)


lambda_handler = observed(app)
