"""`make bench`: what every request asks of DynamoDB, at several tenant sizes, and each function's import time.

    python -m leadgate_dev.bench [--sizes 1000,10000] [--local-size 100000] [--output docs/benchmarks.md]

Tiers: each size in `--sizes` on moto in-process (counts only: moto's latency means nothing), and
`--local-size` on an in-memory DynamoDB Local (counts and latency), each with a noisy neighbour tenant.
The DynamoDB Local tenants load in a separate process while the moto tiers run. The report goes to
`--output` (docs/benchmarks.md) and to stdout. The exit status is 1 when any request called Scan or answered
an unexpected status (the report is written either way).
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from leadgate.workspace.pipelines import service as pipelines
from leadgate_dev.bench import backends
from leadgate_dev.bench import layer as bench_layer
from leadgate_dev.bench.forms import form_operations
from leadgate_dev.bench.imports import measure_imports
from leadgate_dev.bench.ops import (
    LeadsApi,
    batch_intake,
    intake_operations,
    lead_operations,
    rate_limit_operations,
)
from leadgate_dev.bench.population import POPULATION, LoadedTenant, load_tenant
from leadgate_dev.bench.report import Report, Tier, render
from leadgate_dev.bench.users import user_operations
from leadgate_dev.harness.functions import ROOT

TENANT = "acme"
NEIGHBOUR = "neighbour"
BATCH_ITEMS = 100
MOTO_WALK_LIMIT = 1_000


@dataclass
class Options:
    sizes: list[int]
    local_size: int
    local_neighbour: int
    repeats: int
    threads: int
    imports: bool
    layer: bool
    output: Path | None


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m leadgate_dev.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="tenant sizes on moto, comma separated")
    parser.add_argument("--local-size", type=int, default=100_000, help="tenant size on DynamoDB Local (0: skip)")
    parser.add_argument(
        "--local-neighbour", type=int, default=None, help="the neighbour's size on DynamoDB Local (default: 10%%)"
    )
    parser.add_argument("--repeats", type=int, default=5, help="repeats per operation on DynamoDB Local")
    parser.add_argument("--threads", type=int, default=8, help="BatchWriteItem threads loading DynamoDB Local")
    parser.add_argument("--no-imports", dest="imports", action="store_false", help="skip the import timings")
    parser.add_argument("--no-layer", dest="layer", action="store_false", help="skip building the layers to size them")
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"), help="'-' for stdout only")
    args = parser.parse_args(argv)
    local_neighbour = args.local_neighbour if args.local_neighbour is not None else args.local_size // 10
    return Options(
        sizes=[int(size) for size in args.sizes.split(",") if size.strip() and int(size) > 0],
        local_size=args.local_size,
        local_neighbour=local_neighbour,
        repeats=max(args.repeats, 1),
        threads=max(args.threads, 1),
        imports=args.imports,
        layer=args.layer,
        output=None if args.output == "-" else Path(args.output),
    )


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class LocalLoad:
    """The DynamoDB Local tier: its tables created and its tenants loaded by another process while the moto
    tiers run."""

    endpoint: str
    future: Future[list[LoadedTenant]]
    started: float = field(default_factory=time.perf_counter)


def load_local_tenants(endpoint: str, tenants: list[tuple[str, int, int]], threads: int) -> list[LoadedTenant]:
    """In the loader process: the template's tables, then each (tenant, size, seed), into DynamoDB Local."""
    backends.prepare_environment()
    client = backends.loading_client(endpoint)
    tables = backends.create_tables(client)
    backends.point_handlers_at(tables, endpoint)
    return [
        load_tenant(client, tables["LEADS_TABLE"], tenant, size, seed=seed, threads=threads)
        for tenant, size, seed in tenants
    ]


def run_tier(
    name: str, backend: str, tenant: LoadedTenant, neighbour: LoadedTenant, *, repeats: int, batch: bool
) -> Tier:
    """Every measured operation against an already loaded tenant."""
    started = time.perf_counter()
    pipelines.ensure_default(tenant.tenant_id)  # a tenant in use has its default pipeline (docs/workspace.md)
    api = LeadsApi(tenant)
    tier = Tier(name=name, backend=backend, tenant=tenant, neighbour=neighbour, repeats=repeats)
    # moto sorts the whole table for every query (about a second per request at 10k): walking 50 pages
    # there would cost minutes and show nothing the DynamoDB Local tier does not.
    walk = backend != "moto" or tenant.size <= MOTO_WALK_LIMIT
    tier.users = user_operations(tenant, repeats=repeats)  # first: it creates the users the leads name
    tier.leads = lead_operations(api, neighbour, repeats=repeats, walk=walk)
    log(f"{name}: leads operations done ({time.perf_counter() - started:.0f} s)")
    tier.intake = intake_operations(tenant, repeats=repeats)
    if batch:
        tier.intake.append(batch_intake(tenant, items=BATCH_ITEMS))
    tier.forms = form_operations(tenant, repeats=repeats)
    tier.rate_limit = rate_limit_operations(tenant.tenant_id, repeats=max(repeats, 1) * (4 if batch else 1))
    tier.seconds = time.perf_counter() - started
    log(f"{name}: done in {tier.seconds:.0f} s")
    return tier


def run_moto_tier(size: int) -> Tier:
    with backends.moto_backend() as tables:
        started = time.perf_counter()
        client = backends.loading_client()
        tenant = load_tenant(client, tables["LEADS_TABLE"], TENANT, size, seed=1)
        neighbour = load_tenant(client, tables["LEADS_TABLE"], NEIGHBOUR, size, seed=2)
        log(f"moto {size}: loaded {tenant.items + neighbour.items} items in {time.perf_counter() - started:.0f} s")
        return run_tier(f"{size:,} leads (moto)", "moto", tenant, neighbour, repeats=1, batch=False)


def main(argv: list[str] | None = None) -> Report:
    options = parse_options(argv)
    backends.prepare_environment()
    report = Report(population=POPULATION)
    started = time.perf_counter()
    if options.imports:
        log("import times (median of 5 fresh processes each)")
        report.imports = measure_imports()
    if options.layer:
        log("layer sizes (built as sam build does, unzipped)")
        report.layers = [bench_layer.build_and_measure(layer) for layer in bench_layer.LAYERS]
    with ExitStack() as stack:
        local = _start_local_tier(options, stack, report) if options.local_size else None
        for size in options.sizes:
            log(f"moto tier: {size} leads + a neighbour of {size}")
            report.tiers.append(run_moto_tier(size))
        if local is not None:
            report.tiers.append(_finish_local_tier(local, options, report))
    report.seconds = time.perf_counter() - started
    text = render(report, existing=options.output)
    if options.output:
        options.output.write_text(text)
        log(f"wrote {options.output}")
    print(text)
    for scan in report.scans:
        log(f"SCAN DETECTED: {scan}")
    for failure in report.failures:
        log(f"UNEXPECTED STATUS: {failure}")
    return report


def _start_local_tier(options: Options, stack: ExitStack, report: Report) -> LocalLoad | None:
    reason = backends.dynamodb_local_unavailable()
    if reason:
        report.local_skipped = f"DynamoDB Local tier skipped: {reason}."
        log(report.local_skipped)
        return None
    log("starting DynamoDB Local (in memory)")
    server = stack.enter_context(backends.dynamodb_local())
    report.dynamodb_local = backends.dynamodb_local_version(server.jar)
    executor = stack.enter_context(ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")))
    tenants = [(TENANT, options.local_size, 1), (NEIGHBOUR, options.local_neighbour, 2)]
    log(
        f"creating the tables and loading {options.local_size} + {options.local_neighbour} leads into DynamoDB "
        "Local in the background"
    )
    return LocalLoad(server.endpoint, executor.submit(load_local_tenants, server.endpoint, tenants, options.threads))


def _finish_local_tier(local: LocalLoad, options: Options, report: Report) -> Tier:
    tenant, neighbour = local.future.result()
    report.local_load_seconds = time.perf_counter() - local.started
    log(f"DynamoDB Local loaded {tenant.items + neighbour.items} items in {report.local_load_seconds:.0f} s")
    backends.point_handlers_at(backends.table_names(), local.endpoint)
    name = f"{options.local_size:,} leads (DynamoDB Local)"
    return run_tier(name, "dynamodb-local", tenant, neighbour, repeats=options.repeats, batch=True)
