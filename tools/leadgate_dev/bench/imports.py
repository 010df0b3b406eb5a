"""Import (cold start) cost of each function, beside a bare Powertools REST resolver with validation.

Each figure is the median of fresh interpreter processes, so nothing is cached in-process; the page cache
is warm (the first, discarded run warms it).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from dataclasses import dataclass

from leadgate_dev.harness.functions import FUNCTIONS_DIR, ROOT

RUNS = 5

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
"""


@dataclass(frozen=True)
class ImportTiming:
    name: str
    median_ms: float


def _time_once(body: str) -> float:
    code = _TIMER.format(body=body)
    env_path = f"{ROOT / 'layers/common/python'}"
    result = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"},
    )
    return float(result.stdout.strip().splitlines()[-1]) * 1000


def _median(body: str) -> float:
    _time_once(body)
    return statistics.median(_time_once(body) for _ in range(RUNS))


def measure_imports() -> list[ImportTiming]:
    timings = [ImportTiming("bare Powertools REST resolver + validation", _median(_BARE_RESOLVER))]
    for folder in sorted(path for path in FUNCTIONS_DIR.iterdir() if (path / "app.py").exists()):
        timings.append(ImportTiming(folder.name, _median(_LOAD_FUNCTION.format(path=str(folder / "app.py")))))
    return timings
