"""The workspace bench (`python -m leadgate_dev.bench.workspace`): every operation answers as expected, the costs it
reports are the design's, and the tag-rename job it times changes every lead."""

from leadgate_dev.bench import workspace


def test_workspace_operations_and_the_rename_job(aws, monkeypatch):
    monkeypatch.setattr("leadgate.workspace.tag_changes.GRACE_SECONDS", 0.0)
    measured = {m.name: m for m in workspace.operations()}
    assert [name for name, m in measured.items() if not m.ok] == []
    cost = measured["lead move (PATCH pipeline_stage_id)"].costs[0]
    # The lead and its new stage and pipeline read; ONE transaction (metered on each table) with the move's
    # history item and the pipeline's move item, the counters.
    assert (cost.total_calls, cost.items_read, cost.items_written) == (6, 3, 6)

    job = workspace.rename_job(120)
    assert (job["leads"], job["first_pass_seconds"] > 0) == (120, True)
    assert "120 leads holding one tag" in workspace.render(list(measured.values()), job)
