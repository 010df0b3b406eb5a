"""leadgate's operator CLI, the `leadgate` command: API clients, connections, webhooks, sync and usage plans of
the local stack or of a deployed stack by name. Installable without the checkout (tools/admin/pyproject.toml):
it imports the `leadgate` layer package and nothing of the developer tooling."""
