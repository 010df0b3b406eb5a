"""POST /oauth2/token: client-credentials tokens, HOTLEAD style, issued by the user pool."""

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.logging import correlation_paths

from leadgate.api import create_resolver
from leadgate.auth.token import token_response

logger = Logger()
tracer = Tracer()
app = create_resolver()


@app.post("/oauth2/token")
def token():
    return token_response(app.current_event)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)  # the response carries a credential
def lambda_handler(event, context):
    return app.resolve(event, context)
