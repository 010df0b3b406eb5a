"""Helpers the tests share (fixtures stay in the conftest files): `samples` (the events/ sample events), `clock`
(a clock moved by hand), `cognito` (the token URL of the Cognito stand-in), `leads` (a client of the leads
handler), `inbound`, `sync` and `webhooks` (drivers of those functions on moto), `gateway` (requests through
every handler with the answers' invariants checked) and `stack` (the local stack in a subprocess).
Handlers are called through `leadgate_dev.harness` (`call`, `handle`)."""
