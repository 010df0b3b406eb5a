"""The sample events of each function, events/<function>/<case>.json."""

from __future__ import annotations

import json
from pathlib import Path

EVENTS = Path(__file__).resolve().parents[2] / "events"


def sample_event(function: str, case: str) -> dict:
    """A sample event from events/<function>/<case>.json."""
    return json.loads((EVENTS / function / f"{case}.json").read_text())
