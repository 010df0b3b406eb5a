"""Connections: the registry that binds one tenant to one external system (HubSpot, Intercom, Chat Dealer,
Standard Webhooks), and each connection's secrets.

- `models`: `Provider`, the per-provider settings, `Connection` and its public view;
- `registry`: the connections table (get with a short cache, list per tenant, put, disable, set fields);
- `secrets`: one Secrets Manager secret per connection, `ConnectionSecrets`, cached reads and safe rotation;
- `service`: the API's reads (`GET /api/v1/connections[/{id}]`), tenant-scoped and paginated.

See docs/integrations.md.
"""
