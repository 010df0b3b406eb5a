"""Outbound webhooks (issue 17 §3-§5, docs/webhooks-out.md): endpoints, deliveries of events to them, signed per
Standard Webhooks, retried on a schedule, logged, and sent again on request."""
