"""Scheduled sync runs: connectors pull changes from a provider page by page; the engine applies
them through the intake domain under a lease, within a time budget, saving a checkpoint after each page.
See docs/integrations-sync.md."""
