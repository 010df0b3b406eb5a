"""What importing the functions (a cold start's import phase) leaves for the first use: the tag alphabet is not
built and phonenumbers' metadata is not loaded until a tag or a phone is validated."""

from __future__ import annotations

import json
import subprocess
import sys

from leadgate_dev.harness.functions import FUNCTIONS_DIR, ROOT

_IMPORT_EVERY_FUNCTION = """
import importlib.util, json, sys
for path in sys.argv[1:]:
    spec = importlib.util.spec_from_file_location(path.split("/")[-2] + "_app", path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
tags = sys.modules.get("leadgate.leads.tags")
print(json.dumps({
    "tag_alphabet_built": bool(tags and tags.alphabet.cache_info().currsize),
    "phonenumbers_loaded": "phonenumbers" in sys.modules,
    "lead_model_built": sys.modules["leadgate.leads.requests"].LeadData.__pydantic_complete__,
}))
"""


def test_importing_every_function_builds_no_tag_alphabet_phone_metadata_or_lead_validator():
    apps = sorted(str(path) for path in FUNCTIONS_DIR.glob("*/app.py"))
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_EVERY_FUNCTION, *apps],
        check=True,
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "AWS_DEFAULT_REGION": "us-east-1",
            "PYTHONPATH": str(ROOT / "layers/common/python"),
        },
        timeout=120,
    )

    assert json.loads(result.stdout.splitlines()[-1]) == {
        "tag_alphabet_built": False,
        "phonenumbers_loaded": False,
        "lead_model_built": False,
    }
