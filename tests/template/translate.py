"""Offline SAM transform of template.yaml and the checks that read its output.

The checks read what aws-sam-translator *emits*, not what the template says, because the translator
silently drops Auth keys it does not know (`AuthorisationScopes` leaves a method open to any valid token).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

import pytest
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform

from leadgate.routes import Route
from leadgate_dev.template import function_folder

AUTHORIZER = "LeadgateAuthorizer"
REGION = "us-east-1"

# The only managed policies the stack uses; a stub instead of IAM keeps the transform offline.
MANAGED_POLICIES = {
    "AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "AWSXrayWriteOnlyAccess": "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
}


class _ManagedPolicyStub:
    def load(self) -> dict[str, str]:
        return MANAGED_POLICIES


def transform_offline(template: dict[str, Any]) -> dict[str, Any]:
    """The CloudFormation template SAM would deploy; local code paths become s3:// stand-ins."""
    document = copy.deepcopy(template)
    for resource in document["Resources"].values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function":
            properties["CodeUri"] = f"s3://leadgate-artifacts/{function_folder(resource)}.zip"
        elif resource["Type"] == "AWS::Serverless::LayerVersion":
            properties["ContentUri"] = "s3://leadgate-artifacts/layer.zip"
    try:
        with pytest.MonkeyPatch.context() as patch:  # the translator asks boto3 for the region (and caches it)
            patch.setenv("AWS_DEFAULT_REGION", REGION)
            patch.setenv("AWS_REGION", REGION)
            return transform(document, {}, _ManagedPolicyStub())
    except InvalidDocumentException as error:
        causes = "; ".join(cause.message for cause in error.causes)
        raise AssertionError(f"SAM transform failed: {causes}") from error


@dataclass(frozen=True)
class DeployedMethod:
    method: str
    path: str
    function: str
    scopes: tuple[str, ...] | None  # None: no authorizer on the method
    api_key_required: bool


_INTEGRATION_FUNCTION = re.compile(r"\$\{(\w+)\.Arn\}")
ANY_METHOD = "x-amazon-apigateway-any-method"


def deployed_methods(source: dict[str, Any], transformed: dict[str, Any]) -> set[DeployedMethod]:
    """Every method of the deployed OpenAPI body, with the function it invokes and its security; not the MOCK
    `ANY` methods that answer 405 (`mock_methods`)."""
    folders = {
        logical_id: function_folder(resource)
        for logical_id, resource in source["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    body = transformed["Resources"]["LeadgateApi"]["Properties"]["Body"]
    methods = set()
    for path, operations in body["paths"].items():
        for method, operation in operations.items():
            if method == ANY_METHOD:
                continue
            uri = operation["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
            match = _INTEGRATION_FUNCTION.search(uri if isinstance(uri, str) else uri[0])
            assert match, f"{method} {path}: no Lambda integration"
            security = operation.get("security", [])
            authorizers = [entry[AUTHORIZER] for entry in security if AUTHORIZER in entry]
            methods.add(
                DeployedMethod(
                    method=method.upper(),
                    path=path,
                    function=folders[match.group(1)],
                    scopes=tuple(authorizers[0]) if authorizers else None,
                    api_key_required=any("api_key" in entry for entry in security),
                )
            )
    return methods


def mock_methods(transformed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The deployed `ANY` methods, by resource path."""
    body = transformed["Resources"]["LeadgateApi"]["Properties"]["Body"]
    return {path: operations[ANY_METHOD] for path, operations in body["paths"].items() if ANY_METHOD in operations}


def expected_methods(routes: tuple[Route, ...]) -> set[DeployedMethod]:
    """What the route table demands: scopes on every authorised route, an API key on every non-public one."""
    return {
        DeployedMethod(route.method, route.path, route.function, route.scopes, not route.public) for route in routes
    }


def security_problems(source: dict[str, Any], transformed: dict[str, Any], routes: tuple[Route, ...]) -> list[str]:
    """Differences between the deployed methods and the route table, one readable line each."""
    deployed = deployed_methods(source, transformed)
    expected = expected_methods(routes)
    problems = [f"deployed but not in leadgate.routes (or different): {method}" for method in deployed - expected]
    problems += [f"in leadgate.routes but not deployed so: {method}" for method in expected - deployed]
    problems += [
        f"authorised without scopes: {method.method} {method.path}" for method in deployed if method.scopes == ()
    ]
    return sorted(problems)
