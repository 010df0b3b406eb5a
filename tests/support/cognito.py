"""The Cognito token URL the handler tests' stand-in answers (the `cognito_token_endpoint` fixture)."""

TOKEN_URL = "https://leadgate-test-123456789012.auth.us-east-1.amazoncognito.com/oauth2/token"
