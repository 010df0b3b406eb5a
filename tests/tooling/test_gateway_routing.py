"""Route matching of the local API Gateway, on the template's routes."""

import pytest

from leadgate_dev import template
from leadgate_dev.local.gateway import match_route
from leadgate_dev.template import TemplateRoute

ROUTES = [
    TemplateRoute("GET", "/api/v1/leads", "leads", ("read:leads",)),
    TemplateRoute("GET", "/api/v1/leads/lookup", "leads", ("read:leads",)),
    TemplateRoute("GET", "/api/v1/leads/{id}", "leads", ("read:leads",)),
    TemplateRoute("POST", "/api/v1/leads/{id}/tags", "leads", ("write:leads",)),
    TemplateRoute("DELETE", "/api/v1/leads/{id}/tags/{tag}", "leads", ("write:leads",)),
    TemplateRoute("GET", "/api/v1/{kind}/lookup", "other", None),
    TemplateRoute("GET", "/api/v1/health", "health", None),
]


def test_literal_segment_beats_a_parameter():
    match = match_route(ROUTES, "GET", "/api/v1/leads/lookup")

    assert match.route.path == "/api/v1/leads/lookup"
    assert match.path_parameters == {}


def test_earlier_literal_segment_decides_before_later_ones():
    # /api/v1/leads/{id} (literal "leads" second-last) beats /api/v1/{kind}/lookup for .../leads/lookup,
    # but .../things/lookup only fits the {kind} route.
    assert match_route(ROUTES, "GET", "/api/v1/things/lookup").route.path == "/api/v1/{kind}/lookup"
    assert match_route(ROUTES, "GET", "/api/v1/things/lookup").path_parameters == {"kind": "things"}


def test_parameters_are_extracted_and_url_decoded():
    match = match_route(ROUTES, "DELETE", "/api/v1/leads/01J/tags/vip%20client")

    assert match.route.path == "/api/v1/leads/{id}/tags/{tag}"
    assert match.path_parameters == {"id": "01J", "tag": "vip client"}


def test_an_encoded_slash_stays_inside_its_segment():
    match = match_route(ROUTES, "DELETE", "/api/v1/leads/01J/tags/a%2Fb")

    assert match.path_parameters == {"id": "01J", "tag": "a/b"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/health"),  # known path, unknown method
        ("GET", "/api/v1/nope"),
        ("GET", "/api/v1/leads/01J/extra/deep"),
        ("GET", "/api/v1/leads//"),  # an empty parameter is no parameter
        ("GET", "/"),
    ],
)
def test_no_route(method, path):
    assert match_route(ROUTES, method, path) is None


def test_the_resource_is_chosen_before_the_method():
    # As API Gateway does: `lookup` is the resource of DELETE .../lookup, and it has no DELETE; {id}'s is not used.
    routes = [*ROUTES, TemplateRoute("DELETE", "/api/v1/leads/{id}", "leads", ("delete:leads",))]

    assert match_route(routes, "DELETE", "/api/v1/leads/lookup") is None
    assert match_route(routes, "DELETE", "/api/v1/leads/01J").route.path == "/api/v1/leads/{id}"


def test_method_is_case_insensitive():
    assert match_route(ROUTES, "get", "/api/v1/health").route.function == "health"


def test_every_template_route_matches_itself():
    routes = template.api_routes()
    for route in routes:
        concrete = route.path.replace("{id}", "01JTESTID").replace("{tag}", "vip")
        match = match_route(routes, route.method, concrete)
        assert match is not None and match.route == route, route
