"""The one-command local stack: `python -m leadgate_dev.local` (see docs/local-stack.md).

Modules: `emulation` (DynamoDB Local and moto processes), `gateway` (API Gateway's routing, authorizer and
gateway responses), `authorizer` (the policy cache and IAM policy evaluation), `instances` (isolated handler
module instances), `server` (the HTTP server), `stack` (provisioning glue and the start-up sequence).
"""
