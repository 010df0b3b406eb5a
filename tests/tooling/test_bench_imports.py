"""The import-time table of `make bench`: each function against the baseline measured in the same run."""

from __future__ import annotations

from leadgate_dev.bench.imports import GOAL_RATIO, ImportTimes, ImportTiming
from leadgate_dev.bench.population import POPULATION
from leadgate_dev.bench.report import Report, render

TIMES = ImportTimes(
    baseline=ImportTiming("bare resolver", 200.0),
    functions=(ImportTiming("health", 180.0), ImportTiming("leads", 260.0), ImportTiming("sync", 261.0)),
)


def test_a_function_meets_the_goal_up_to_the_ratio_and_misses_it_above():
    health, leads, sync = TIMES.functions

    assert GOAL_RATIO == 1.3
    assert TIMES.ratio(health) == 0.9
    assert TIMES.meets_goal(leads)
    assert not TIMES.meets_goal(sync)


def test_the_report_shows_each_ratio_and_verdict_and_counts_the_functions_that_met_it():
    text = render(Report(population=POPULATION, imports=TIMES))

    assert "(**2 of 3** met)" in text
    assert "| bare resolver | 200 |  |  |  |" in text
    assert "| health | 180 | -20.0 | 0.90 | met |" in text
    assert "| leads | 260 | +60.0 | 1.30 | met |" in text
    assert "| sync | 261 | +61.0 | 1.30 | **missed** |" in text
    assert "Not measured in this run (`--no-imports`)" in render(Report(population=POPULATION))
