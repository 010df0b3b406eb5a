"""GET /api/v1/health: liveness without auth, as LeadHub's health check."""

from datetime import UTC, datetime

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.logging import correlation_paths

from leadgate.api import create_resolver, json_response
from leadgate.settings import get_settings

logger = Logger()
tracer = Tracer()
app = create_resolver()


@app.get("/api/v1/health")
def health():
    return json_response(
        200,
        {"status": "ok", "version": get_settings().api_version, "timestamp": datetime.now(UTC).isoformat()},
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
def lambda_handler(event, context):
    return app.resolve(event, context)
