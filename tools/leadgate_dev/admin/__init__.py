"""Admin-side code of the `leadgate` CLI (never deployed, never in the Lambda layer)."""
