"""GET /api/v1/health: liveness without auth, as LeadHub's health check."""

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel

from leadgate.api import create_resolver, json_response
from leadgate.envelopes import answer
from leadgate.observability import observed
from leadgate.settings import get_settings

app = create_resolver()


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    timestamp: str


@app.get("/api/v1/health", responses={200: answer(Health, "The API is up.")})
def health():
    return json_response(
        200,
        {"status": "ok", "version": get_settings().api_version, "timestamp": datetime.now(UTC).isoformat()},
    )


lambda_handler = observed(app)
