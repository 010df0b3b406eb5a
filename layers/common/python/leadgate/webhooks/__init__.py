"""Webhooks from other systems: deliveries split into queued events, applied once each through intake."""
