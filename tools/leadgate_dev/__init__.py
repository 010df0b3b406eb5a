"""Developer tooling for leadgate: the local stack, provisioning, the admin CLI and benchmarks. Never deployed."""
