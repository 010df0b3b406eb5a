"""The property suite uses the integration tests' stand-in for Cognito's token endpoint."""

from tests.integration.conftest import cognito_token_endpoint  # noqa: F401
