"""cfn-lint passes on template.yaml, and the SAM transform runs offline."""

from __future__ import annotations

from pathlib import Path

from cfnlint.api import lint_file

from leadgate_dev.template import TEMPLATE_PATH


def test_cfn_lint_finds_nothing():
    matches = lint_file(Path(TEMPLATE_PATH))
    assert [f"{match.rule.id} {match.message} (line {match.linenumber})" for match in matches] == []


def test_the_sam_transform_gives_plain_cloudformation(transformed):
    types = {resource["Type"] for resource in transformed["Resources"].values()}
    assert not {type_ for type_ in types if type_.startswith("AWS::Serverless::")}
    assert {"AWS::ApiGateway::RestApi", "AWS::ApiGateway::Stage", "AWS::Lambda::LayerVersion"} <= types
