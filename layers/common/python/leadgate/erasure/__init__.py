"""Erasure of a lead's personal data for good (GDPR art. 17, APPI): erasers per store, the tombstone records,
the HubSpot delete. docs/privacy.md."""
