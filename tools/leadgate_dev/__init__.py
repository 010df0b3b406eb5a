"""Developer tooling for leadgate, never deployed: the local stack (`local`), the handler harness of the tests
and benchmarks (`harness`), benchmarks (`bench`), contract runs (`contract`), OpenAPI generation (`openapi`)
and the template reader (`template`). It may import the operator CLI (`leadgate_admin`), never the reverse."""
