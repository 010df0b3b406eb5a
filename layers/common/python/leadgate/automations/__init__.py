"""Automations (docs/automations.md): definitions, their store and API service, and the runner that applies them
to the events journal's stream."""
