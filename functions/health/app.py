"""GET /api/v1/health: liveness without auth, as LeadHub's health check."""

from datetime import UTC, datetime

from leadgate.api import create_resolver, json_response
from leadgate.observability import lambda_handler as observed
from leadgate.settings import get_settings

app = create_resolver()


@app.get("/api/v1/health")
def health():
    return json_response(
        200,
        {"status": "ok", "version": get_settings().api_version, "timestamp": datetime.now(UTC).isoformat()},
    )


lambda_handler = observed(app)
