"""Leads: models, DynamoDB keys and transactions, list planning and the service the handlers call.

`MAX_LEAD_BYTES` is here, free of imports, because the edge's body rule (`leadgate.bodies`, in every function)
states it too."""

MAX_LEAD_BYTES = 64 * 1024  # one lead as JSON: a single-lead request's body, a batch item
