"""Forms (docs/forms.md): a website's way in for leads. `requests` (the bodies), `records` (a form as stored and
shown), `store` (the workspace table: the form's item and its lookup by public id), `service` (the API's
operations), `values` (a submission's body shapes -> field values), `submissions` (a submission as an intake, and
the list of a form's submissions), `consents` (the consent records a submission gives), `cors`, `spam` (honeypot,
rate limits) and `turnstile` (Cloudflare's check)."""
