"""Domain events: what changed, derived from the tables' streams, journaled and delivered (docs/events.md)."""
