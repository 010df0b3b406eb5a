"""Users (docs/workspace.md "Users"): the people leads are assigned to. `records` (a user as stored
and shown), `requests` (the bodies), `store` (the workspace table), `service` (the API's operations),
`assignments` (what a lead write checks and counts when it names a user)."""
