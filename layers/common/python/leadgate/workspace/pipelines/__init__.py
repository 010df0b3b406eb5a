"""Pipelines and their ordered stages (docs/workspace.md, "Pipelines and stages"): `requests` (bodies),
`records` (what is stored and shown), `store` (the workspace table), `defaults` (the tenant's default pipeline),
`service` (the API's operations)."""
