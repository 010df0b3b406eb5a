"""Lead intake: the HOTLEAD and LeadHub inbound contracts, upsert and batch, race-free dedup and merge,
and `Idempotency-Key` handling (docs/intake.md)."""
