"""Import (cold start) cost of each function, beside a bare Powertools REST resolver with validation.

Each figure is the median of fresh interpreter processes, so nothing is cached in-process; the page cache
is warm (the first, discarded run warms it), and the runs alternate between the modules measured. Every
process also creates a DynamoDB client, as a first request does (the functions through `leadgate.aws`), so the
baseline is what any such function pays at least. The goal: no function above GOAL_RATIO times that baseline.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from dataclasses import dataclass

from leadgate_dev.harness.functions import FUNCTIONS_DIR, ROOT

RUNS = 5
GOAL_RATIO = 1.3
# Lambda's environment has credentials in variables; without them botocore would ask the instance metadata
# service while creating the client, and time that instead.
_ENVIRONMENT = {
    "PATH": "/usr/bin:/bin",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
}

_TIMER = """
import time
started = time.perf_counter()
{body}
print(time.perf_counter() - started)
"""

_LOAD_FUNCTION = """
import importlib.util
spec = importlib.util.spec_from_file_location("app", {path!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
from leadgate import aws
aws.dynamodb()
"""

_BARE_RESOLVER = """
from typing import Annotated
from pydantic import BaseModel
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Body
app = APIGatewayRestResolver(enable_validation=True)
logger = Logger()
class Thing(BaseModel):
    name: str
@app.post("/things")
def create(thing: Annotated[Thing, Body()]):
    return thing.model_dump()
import boto3
boto3.client("dynamodb")
"""


@dataclass(frozen=True)
class ImportTiming:
    name: str
    median_ms: float


@dataclass(frozen=True)
class ImportTimes:
    """The baseline and every function's timing, measured in the same run."""

    baseline: ImportTiming
    functions: tuple[ImportTiming, ...]

    def ratio(self, timing: ImportTiming) -> float:
        return timing.median_ms / self.baseline.median_ms

    def meets_goal(self, timing: ImportTiming) -> bool:
        return self.ratio(timing) <= GOAL_RATIO


def _time_once(body: str) -> float:
    code = _TIMER.format(body=body)
    result = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        env={**_ENVIRONMENT, "PYTHONPATH": str(ROOT / "layers/common/python")},
    )
    return float(result.stdout.strip().splitlines()[-1]) * 1000


def _medians(bodies: dict[str, str]) -> dict[str, float]:
    """Each body's median over RUNS processes, after one discarded run each. The runs go round by round through
    every body, so a change in the machine's load during the measurement touches the baseline and the functions
    alike, and their ratio holds."""
    for body in bodies.values():
        _time_once(body)
    runs: dict[str, list[float]] = {name: [] for name in bodies}
    for _ in range(RUNS):
        for name, body in bodies.items():
            runs[name].append(_time_once(body))
    return {name: statistics.median(times) for name, times in runs.items()}


def measure_imports() -> ImportTimes:
    baseline = "bare Powertools REST resolver + validation + DynamoDB client"
    folders = sorted(path for path in FUNCTIONS_DIR.iterdir() if (path / "app.py").exists())
    bodies = {baseline: _BARE_RESOLVER} | {
        folder.name: _LOAD_FUNCTION.format(path=str(folder / "app.py")) for folder in folders
    }
    medians = _medians(bodies)
    return ImportTimes(
        baseline=ImportTiming(baseline, medians[baseline]),
        functions=tuple(ImportTiming(folder.name, medians[folder.name]) for folder in folders),
    )
