"""Fixtures for the template checks: the parsed template.yaml and its offline SAM transform."""

from __future__ import annotations

import copy

import pytest

from leadgate_dev.template import load_template
from tests.template.translate import transform_offline


@pytest.fixture
def source() -> dict:
    """template.yaml as CloudFormation reads it (a copy: tests may change it)."""
    return copy.deepcopy(load_template())


@pytest.fixture(scope="session")
def transformed() -> dict:
    """template.yaml after the SAM transform, as CloudFormation would deploy it."""
    return transform_offline(load_template())
