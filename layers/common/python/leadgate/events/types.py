"""The event types and what each means (docs/events.md): the OpenAPI document's `webhooks` and the docs say the
same from here."""

from __future__ import annotations

LEAD_EVENTS = {
    "lead.created": "A lead was created (by any route, the inbound webhooks or a sync). `data`: the lead.",
    "lead.updated": "A lead's fields changed: `changed_fields` names them, `previous` holds their values before.",
    "lead.stage_changed": "A lead moved stage or pipeline: `previous.pipeline_stage_id` (from), `data` (to).",
    "lead.assigned": "A lead's `assigned_user_id` changed: `previous.assigned_user_id` is the one before.",
    "lead.tagged": "A tag was added to a lead: `tag` names it (one event per tag).",
    "lead.untagged": "A tag was removed from a lead: `tag` names it (one event per tag).",
    "lead.inquiry_received": "A new inquiry (反響) arrived on a known lead. `data`: the inquiry.",
    "lead.deleted": "A lead was deleted. `data`: the lead as it was (`actor` is `system`).",
    "lead.erased": "A lead's personal data was erased. `data`: its id only.",
    "form.submitted": "A form sent an inquiry (new lead or known). `data`: the inquiry, with `form_id`.",
}
OTHER_EVENTS = {
    "sync.run_finished": "A sync run ended (succeeded, partial, failed or skipped). `data`: the run record.",
    "integration.disabled": "A connection was switched off or its sync stopped. `data`: the connection, `reason`.",
    "webhook_endpoint.disabled": "A webhook endpoint was disabled: it answered 410 Gone, or every attempt failed for "
    "5 days. `data`: the endpoint as the API shows it, with `disabled_reason` (`actor` is `system`).",
}
EVENT_TYPES = {**LEAD_EVENTS, **OTHER_EVENTS}
