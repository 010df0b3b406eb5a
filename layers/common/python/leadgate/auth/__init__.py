"""Client-credentials auth: the client registry, the token endpoint, access-token verification and the
API Gateway authorizer's policies."""
