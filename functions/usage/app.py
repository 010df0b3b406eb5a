"""GET /api/v1/usage: the caller's own rate-limit usage (the request asking is counted like any other)."""

from pydantic import BaseModel

from leadgate.api import create_resolver, record_response
from leadgate.envelopes import answer
from leadgate.observability import lambda_handler as observed
from leadgate.ratelimit.usage import UsageReport, usage_report

app = create_resolver()


class UsageEnvelope(BaseModel):
    data: UsageReport


@app.get("/api/v1/usage", responses={200: answer(UsageEnvelope, "The caller's windows: limit, used, remaining.")})
def usage():
    return record_response(usage_report(app.caller).model_dump())


lambda_handler = observed(app)
