"""The API's Lambda REQUEST authorizer (identity source: the Authorization header)."""

from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerRequestEvent,
)

from leadgate.auth.authorizer import authorize
from leadgate.observability import observed


@event_source(data_class=APIGatewayAuthorizerRequestEvent)
def _authorize(event: APIGatewayAuthorizerRequestEvent, context):
    return authorize(event)


lambda_handler = observed(_authorize, capture_response=False)  # the response carries a credential
