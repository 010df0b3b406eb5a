"""GET /api/v1/usage: the caller's own rate-limit usage (the request asking is counted like any other)."""

from pydantic import BaseModel

from leadgate.api import create_resolver, record_response
from leadgate.envelopes import answer
from leadgate.observability import observed
from leadgate.ratelimit.usage import UsageReport, usage_report

app = create_resolver()


class UsageEnvelope(BaseModel):
    data: UsageReport


@app.get("/api/v1/usage", responses={200: answer(UsageEnvelope, "The caller's windows: limit, used, remaining.")})
def usage():
    caller = app.caller
    report = usage_report(caller.client_id, caller.tenant_id, caller.tier, caller.rate_policies)
    return record_response(report.model_dump())


lambda_handler = observed(app)
