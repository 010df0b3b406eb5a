"""The route table: every API route, the function that serves it, the scopes it needs and the body it takes.

The authorizer builds its policies from this table, and the template must declare the same routes with
the same `AuthorizationScopes` (checked by tests/template). A route needs any one of its scopes; a route
with `scopes=None` is public (no authorizer). A route with a `body` rule (`leadgate.bodies`) gets only bodies
that pass it; the token route reads its form itself, in OAuth's error format.
"""

from __future__ import annotations

from dataclasses import dataclass

from leadgate import bodies

# What a path parameter (`{id}`, `{tag}`) matches in a handler's route: any characters but `/`, control
# characters and lone surrogates. Powertools' own (`\w` and some punctuation) misses combining marks, so a
# stored tag such as `हिंदी` had no route to delete it by; the handler's type then decides what is valid.
PATH_PARAMETER = r"[^/\x00-\x1f\x7f-\x9f\ud800-\udfff]+"

READ_LEADS = "read:leads"
WRITE_LEADS = "write:leads"
DELETE_LEADS = "delete:leads"
READ_INTEGRATIONS = "read:integrations"
WRITE_INTEGRATIONS = "write:integrations"
READ_PIPELINES = "read:pipelines"  # pipelines and their stages
WRITE_PIPELINES = "write:pipelines"
READ_USERS = "read:users"
WRITE_USERS = "write:users"
DELETE_USERS = "delete:users"
READ_TAGS = "read:tags"
WRITE_TAGS = "write:tags"
READ_FORMS = "read:forms"
WRITE_FORMS = "write:forms"  # forms, and their submissions from servers
DELETE_FORMS = "delete:forms"
READ_AUTOMATIONS = "read:automations"
WRITE_AUTOMATIONS = "write:automations"
DELETE_AUTOMATIONS = "delete:automations"
ERASE_LEADS = "erase:leads"  # a lead's personal data removed for good (docs/privacy.md)
READ_WEBHOOKS = "read:webhooks"  # outbound webhook endpoints and their delivery log
WRITE_WEBHOOKS = "write:webhooks"
READ_EVENTS = "read:events"
ALL_SCOPES = (
    READ_LEADS,
    WRITE_LEADS,
    DELETE_LEADS,
    READ_INTEGRATIONS,
    WRITE_INTEGRATIONS,
    READ_PIPELINES,
    WRITE_PIPELINES,
    READ_USERS,
    WRITE_USERS,
    DELETE_USERS,
    READ_TAGS,
    WRITE_TAGS,
    READ_FORMS,
    WRITE_FORMS,
    DELETE_FORMS,
    READ_AUTOMATIONS,
    WRITE_AUTOMATIONS,
    DELETE_AUTOMATIONS,
    ERASE_LEADS,
    READ_WEBHOOKS,
    WRITE_WEBHOOKS,
    READ_EVENTS,
)

# Integrations are read with either of their scopes: a client that writes them reads what it wrote.
INTEGRATION_READERS = (READ_INTEGRATIONS, WRITE_INTEGRATIONS)
# A job is watched with any workspace scope: the ones that read what it changes, and the ones that start it.
JOB_SCOPES = (READ_PIPELINES, READ_USERS, READ_TAGS, WRITE_TAGS, WRITE_USERS, DELETE_USERS)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str
    scopes: tuple[str, ...] | None
    body: bodies.BodyRule | None = None

    @property
    def public(self) -> bool:
        return self.scopes is None


ROUTES: tuple[Route, ...] = (
    Route("GET", "/api/v1/health", "health", None),
    Route("POST", "/oauth2/token", "token", None),
    Route("GET", "/api/v1/leads", "leads", (READ_LEADS,)),
    Route("POST", "/api/v1/leads", "leads", (WRITE_LEADS,), bodies.SINGLE_LEAD),
    Route("GET", "/api/v1/leads/lookup", "leads", (READ_LEADS,)),
    Route("GET", "/api/v1/leads/{id}", "leads", (READ_LEADS,)),
    Route("PUT", "/api/v1/leads/{id}", "leads", (WRITE_LEADS,), bodies.SINGLE_LEAD),
    Route("PATCH", "/api/v1/leads/{id}", "leads", (WRITE_LEADS,), bodies.LEAD_PATCH),
    Route("DELETE", "/api/v1/leads/{id}", "leads", (DELETE_LEADS,)),
    Route("POST", "/api/v1/leads/{id}/tags", "leads", (WRITE_LEADS,), bodies.TAG),
    Route("DELETE", "/api/v1/leads/{id}/tags/{tag}", "leads", (WRITE_LEADS,)),
    Route("GET", "/api/v1/leads/{id}/inquiries", "leads", (READ_LEADS,)),
    Route("GET", "/api/v1/leads/{id}/stage-history", "leads", (READ_LEADS,)),
    # Privacy: consent records, erasure and the erasures' records (no personal data in them).
    Route("GET", "/api/v1/leads/{id}/consents", "leads", (READ_LEADS,)),
    Route("POST", "/api/v1/leads/{id}/erase", "leads", (ERASE_LEADS,)),
    Route("GET", "/api/v1/erasures", "leads", (READ_LEADS, ERASE_LEADS)),
    Route("POST", "/public/api/leads", "inbound", (WRITE_LEADS,), bodies.SINGLE_LEAD),
    Route("POST", "/api/inbound/leads", "inbound", (WRITE_LEADS,), bodies.SINGLE_LEAD),
    Route("POST", "/api/v1/leads/upsert", "inbound", (WRITE_LEADS,), bodies.SINGLE_LEAD),
    Route("POST", "/api/v1/leads/batch", "inbound", (WRITE_LEADS,), bodies.BATCH),
    Route("GET", "/api/v1/usage", "usage", ALL_SCOPES),
    Route("GET", "/api/v1/connections", "connections", (READ_INTEGRATIONS,)),
    Route("GET", "/api/v1/events", "events", (READ_EVENTS,)),
    Route("GET", "/api/v1/connections/{id}", "connections", (READ_INTEGRATIONS,)),
    # Users: the people leads are assigned to.
    Route("GET", "/api/v1/users", "workspace", (READ_USERS,)),
    Route("POST", "/api/v1/users", "workspace", (WRITE_USERS,), bodies.WORKSPACE),
    Route("GET", "/api/v1/users/{id}", "workspace", (READ_USERS,)),
    Route("PUT", "/api/v1/users/{id}", "workspace", (WRITE_USERS,), bodies.WORKSPACE),
    Route("PATCH", "/api/v1/users/{id}", "workspace", (WRITE_USERS,), bodies.WORKSPACE_PATCH),
    Route("DELETE", "/api/v1/users/{id}", "workspace", (DELETE_USERS,)),
    # The API description and its page (docs/openapi.json, Swagger UI): public.
    Route("GET", "/api/v1/openapi.json", "docs", None),
    Route("GET", "/api/v1/docs", "docs", None),
    Route("GET", "/api/v1/docs/swagger-ui-bundle.min.js", "docs", None),
    Route("GET", "/api/v1/docs/swagger-ui.min.css", "docs", None),
    Route("GET", "/api/v1/docs/swagger-initializer.js", "docs", None),
    # Authenticated by the provider's signature (checked on the raw bytes after the body rule).
    Route("POST", "/webhooks/{connection_id}", "webhooks", None, bodies.WEBHOOK),
    Route("GET", "/api/v1/connections/{id}/runs", "connections", (READ_INTEGRATIONS,)),
    # The workspace. API Gateway names a path level's parameter once: LeadHub's {pipeline_id} is {id}.
    Route("GET", "/api/v1/pipelines", "workspace", (READ_PIPELINES,)),
    Route("POST", "/api/v1/pipelines", "workspace", (WRITE_PIPELINES,), bodies.WORKSPACE),
    Route("GET", "/api/v1/pipelines/{id}", "workspace", (READ_PIPELINES,)),
    Route("PUT", "/api/v1/pipelines/{id}", "workspace", (WRITE_PIPELINES,), bodies.WORKSPACE),
    Route("PATCH", "/api/v1/pipelines/{id}", "workspace", (WRITE_PIPELINES,), bodies.WORKSPACE_PATCH),
    Route("DELETE", "/api/v1/pipelines/{id}", "workspace", (WRITE_PIPELINES,)),
    Route("GET", "/api/v1/pipelines/{id}/stats", "workspace", (READ_PIPELINES,)),
    Route("GET", "/api/v1/pipelines/{id}/stages", "workspace", (READ_PIPELINES,)),
    Route("POST", "/api/v1/pipelines/{id}/stages", "workspace", (WRITE_PIPELINES,), bodies.WORKSPACE),
    Route("GET", "/api/v1/pipelines/{id}/stages/{stage_id}", "workspace", (READ_PIPELINES,)),
    Route("PUT", "/api/v1/pipelines/{id}/stages/{stage_id}", "workspace", (WRITE_PIPELINES,), bodies.WORKSPACE),
    Route("PATCH", "/api/v1/pipelines/{id}/stages/{stage_id}", "workspace", (WRITE_PIPELINES,), bodies.WORKSPACE_PATCH),
    Route("DELETE", "/api/v1/pipelines/{id}/stages/{stage_id}", "workspace", (WRITE_PIPELINES,)),
    # The tags catalog and background jobs (docs/workspace.md).
    Route("GET", "/api/v1/tags", "workspace", (READ_TAGS, WRITE_TAGS)),
    Route("POST", "/api/v1/tags", "workspace", (WRITE_TAGS,), bodies.TAG),
    Route("GET", "/api/v1/tags/{id}", "workspace", (READ_TAGS, WRITE_TAGS)),
    Route("PUT", "/api/v1/tags/{id}", "workspace", (WRITE_TAGS,), bodies.TAG),
    Route("PATCH", "/api/v1/tags/{id}", "workspace", (WRITE_TAGS,), bodies.TAG_PATCH),
    Route("DELETE", "/api/v1/tags/{id}", "workspace", (WRITE_TAGS,)),
    Route("GET", "/api/v1/jobs/{id}", "workspace", JOB_SCOPES),
    # Integrations (LeadHub's name for connections; /api/v1/connections is their older, read-only alias).
    Route("GET", "/api/v1/integrations/types", "connections", INTEGRATION_READERS),
    Route("GET", "/api/v1/integrations", "connections", INTEGRATION_READERS),
    Route("POST", "/api/v1/integrations", "connections", (WRITE_INTEGRATIONS,), bodies.INTEGRATION),
    Route("GET", "/api/v1/integrations/{id}", "connections", INTEGRATION_READERS),
    Route("PUT", "/api/v1/integrations/{id}", "connections", (WRITE_INTEGRATIONS,), bodies.INTEGRATION),
    Route("PATCH", "/api/v1/integrations/{id}", "connections", (WRITE_INTEGRATIONS,), bodies.INTEGRATION_PATCH),
    Route("DELETE", "/api/v1/integrations/{id}", "connections", (WRITE_INTEGRATIONS,)),
    Route("POST", "/api/v1/integrations/{id}/test", "connections", (WRITE_INTEGRATIONS,)),
    Route("POST", "/api/v1/integrations/{id}/sync", "connections", (WRITE_INTEGRATIONS,)),
    Route("GET", "/api/v1/integrations/{id}/runs", "connections", INTEGRATION_READERS),
    # Forms (docs/forms.md); browsers post to the public route (its own function), which reads its body itself:
    # a plain <form> or JSON (bodies.FORM_SUBMISSION), and answers its CORS preflight.
    Route("GET", "/api/v1/forms", "forms", (READ_FORMS,)),
    Route("POST", "/api/v1/forms", "forms", (WRITE_FORMS,), bodies.WORKSPACE),
    Route("GET", "/api/v1/forms/{id}", "forms", (READ_FORMS,)),
    Route("PUT", "/api/v1/forms/{id}", "forms", (WRITE_FORMS,), bodies.WORKSPACE),
    Route("PATCH", "/api/v1/forms/{id}", "forms", (WRITE_FORMS,), bodies.WORKSPACE_PATCH),
    Route("DELETE", "/api/v1/forms/{id}", "forms", (DELETE_FORMS,)),
    Route("POST", "/api/v1/forms/{id}/rotate-public-id", "forms", (WRITE_FORMS,)),
    Route("GET", "/api/v1/forms/{id}/submissions", "forms", (READ_FORMS,)),
    Route("POST", "/api/v1/forms/{id}/submissions", "forms", (WRITE_FORMS,), bodies.WORKSPACE),
    Route("POST", "/public/forms/{public_id}/submissions", "form_submissions", None),
    Route("OPTIONS", "/public/forms/{public_id}/submissions", "form_submissions", None),
    # Outbound webhooks (docs/webhooks-out.md).
    # Automations (docs/automations.md): what runs on the events stream, and its runs.
    Route("GET", "/api/v1/automations", "automations", (READ_AUTOMATIONS,)),
    Route("POST", "/api/v1/automations", "automations", (WRITE_AUTOMATIONS,), bodies.WORKSPACE),
    Route("GET", "/api/v1/automations/{id}", "automations", (READ_AUTOMATIONS,)),
    Route("PUT", "/api/v1/automations/{id}", "automations", (WRITE_AUTOMATIONS,), bodies.WORKSPACE),
    Route("PATCH", "/api/v1/automations/{id}", "automations", (WRITE_AUTOMATIONS,), bodies.WORKSPACE_PATCH),
    Route("DELETE", "/api/v1/automations/{id}", "automations", (DELETE_AUTOMATIONS,)),
    Route("GET", "/api/v1/automations/{id}/runs", "automations", (READ_AUTOMATIONS,)),
    Route("GET", "/api/v1/webhook-endpoints", "webhook_endpoints", (READ_WEBHOOKS, WRITE_WEBHOOKS)),
    Route("POST", "/api/v1/webhook-endpoints", "webhook_endpoints", (WRITE_WEBHOOKS,), bodies.WORKSPACE),
    Route("GET", "/api/v1/webhook-endpoints/{id}", "webhook_endpoints", (READ_WEBHOOKS, WRITE_WEBHOOKS)),
    Route("PATCH", "/api/v1/webhook-endpoints/{id}", "webhook_endpoints", (WRITE_WEBHOOKS,), bodies.WORKSPACE_PATCH),
    Route("DELETE", "/api/v1/webhook-endpoints/{id}", "webhook_endpoints", (WRITE_WEBHOOKS,)),
    Route("POST", "/api/v1/webhook-endpoints/{id}/rotate-secret", "webhook_endpoints", (WRITE_WEBHOOKS,)),
    Route("GET", "/api/v1/webhook-endpoints/{id}/deliveries", "webhook_endpoints", (READ_WEBHOOKS, WRITE_WEBHOOKS)),
    Route(
        "POST",
        "/api/v1/webhook-endpoints/{id}/deliveries/{delivery_id}/retry",
        "webhook_endpoints",
        (WRITE_WEBHOOKS,),
    ),
    Route("POST", "/api/v1/webhook-endpoints/{id}/recover", "webhook_endpoints", (WRITE_WEBHOOKS,), bodies.WORKSPACE),
)


_BY_RESOURCE = {(route.method, route.path): route for route in ROUTES}


def route_of(method: str, resource: str) -> Route | None:
    """The route of a REST proxy event: API Gateway's `resource` is the route's path in the template."""
    return _BY_RESOURCE.get((method.upper(), resource))
