"""GET /api/v1/usage: the caller's own rate-limit usage (the request asking is counted like any other)."""

from leadgate.api import create_resolver, record_response
from leadgate.observability import lambda_handler as observed
from leadgate.ratelimit.usage import usage_report

app = create_resolver()


@app.get("/api/v1/usage")
def usage():
    return record_response(usage_report(app.caller).model_dump())


lambda_handler = observed(app)
