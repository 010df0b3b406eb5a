"""Loopback fakes of the providers' APIs, for tests and the local stack."""
