"""`GET /api/v1/pipelines/{id}/stats`: per stage, its exact lead count and HubSpot's "time in stage" (the median
time between entering a stage and leaving it, over the moves out of it in the last 90 days), docs/workspace.md
"Stage history and stats".

Cost follows the work, never the tenant's size: the pipeline (GetItem), its stages (BatchGetItem), their counts
(ONE Query) and the window's moves (ONE Query range of the pipeline's move items, leadgate.workspace.pipelines.moves,
in 1 MB pages), at most `MAX_MOVES` of them: a busier window is answered from its newest moves, `sampled: true`.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from leadgate import clock
from leadgate.leads.records import iso
from leadgate.workspace import counts, keys
from leadgate.workspace.pipelines import moves, service, store

MAX_MOVES = 10_000  # about 1.3 MB of move items: two Query pages, about 160 read units


def pipeline_stats(tenant_id: str, pipeline_id: int) -> dict[str, Any]:
    """The pipeline's stats (NotFound for a pipeline that is not the tenant's)."""
    owner = service.pipeline(tenant_id, pipeline_id)
    stages = store.stages(tenant_id, owner.stage_ids)
    lead_counts = counts.counts(tenant_id, keys.STAGE, owner.stage_ids)
    start = clock.now() - moves.WINDOW
    recent, sampled = moves.since(tenant_id, owner.id, start, limit=MAX_MOVES)
    durations: dict[int, list[float]] = defaultdict(list)
    for move in recent:
        durations[move.stage_id].append(move.seconds)
    return {
        "pipeline_id": owner.id,
        "window_days": moves.WINDOW.days,
        "since": iso(start),
        "sampled": sampled,
        "stages": [
            {
                "stage_id": stage_id,
                "name": stages[stage_id].name,
                "type": stages[stage_id].type,
                "lead_count": lead_counts.get(stage_id, 0),
                "median_seconds_in_stage": statistics.median(durations[stage_id]) if durations[stage_id] else None,
                "sample_size": len(durations[stage_id]),
            }
            for stage_id in owner.stage_ids
            if stage_id in stages
        ],
    }
