"""The workspace (docs/workspace.md): pipelines and stages, users, the tags catalog and the jobs that
change many leads, in the workspace table (`WORKSPACE_TABLE`). `keys` is its key layout, `ids` the per-tenant
integer ids, `counts` the exact lead counts per stage, user and tag."""
