"""Loopback fake provider APIs for the tests (127.0.0.1, an ephemeral port each)."""
