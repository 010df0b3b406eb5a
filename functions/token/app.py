"""POST /oauth2/token: client-credentials tokens, HOTLEAD style, issued by the user pool."""

from leadgate.api import create_resolver
from leadgate.auth.token import token_response
from leadgate.observability import lambda_handler as observed

app = create_resolver()


@app.post("/oauth2/token")
def token():
    return token_response(app.current_event)


lambda_handler = observed(app, capture_response=False)  # the response carries a credential
