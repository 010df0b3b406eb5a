"""Lead intake: the HOTLEAD and LeadHub inbound contracts, upsert and batch (each item sized, validated and
taken in on its own), race-free dedup and merge (docs/intake.md)."""
