"""Loopback fakes of the providers' APIs (127.0.0.1, an ephemeral port each), for the tests and the local stack."""
