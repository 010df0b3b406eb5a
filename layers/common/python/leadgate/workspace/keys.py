"""Keys of the workspace table (docs/access-patterns.md, "Workspace table"): every key starts with the tenant.

Pure functions, no I/O. A tenant's objects (pipelines, stages, users, tags, jobs) share its partition, sorted by
kind and zero-padded id, so a Query on a kind's prefix lists them in id order; each kind's id sequence and each
unique value (a user's email, a tag's name) is one item there too. Lead counts live apart, in one partition per
tenant and kind, one item per counted id and shard (leadgate.workspace.counts): a count's writes never touch
the objects' items.
"""

from __future__ import annotations

from typing import Any

PIPELINE = "pipeline"
STAGE = "stage"
USER = "user"
TAG = "tag"
JOB = "job"
KINDS = (PIPELINE, STAGE, USER, TAG, JOB)
COUNTED_KINDS = (STAGE, USER, TAG)  # the kinds whose lead counts leadgate.workspace.counts keeps

MAX_ID = 2**53  # ids stay exact in every JSON client (JavaScript's safe integers)
ID_DIGITS = 16  # zero-padded in sort keys, so that they sort as numbers: len(str(MAX_ID)) == 16


def partition(tenant_id: str) -> str:
    return f"T#{tenant_id}"


def counts_partition(tenant_id: str, kind: str) -> str:
    return f"T#{tenant_id}#COUNT#{kind}"


def moves_partition(tenant_id: str, pipeline_id: int) -> str:
    """A pipeline's stage moves of the last days, by time (leadgate.leads.stage_history): what its stats read."""
    return f"T#{tenant_id}#MOVES#{pipeline_id}"


def padded(object_id: int) -> str:
    return f"{object_id:0{ID_DIGITS}d}"


def object_prefix(kind: str) -> str:
    return f"{kind.upper()}#"


def object_sk(kind: str, object_id: int) -> str:
    return f"{object_prefix(kind)}{padded(object_id)}"


def sequence_sk(kind: str) -> str:
    return f"SEQ#{kind}"


def default_sk(kind: str) -> str:
    """The tenant's default object of a kind (`DEFAULT#pipeline`): which one it is, and what intake needs of it."""
    return f"DEFAULT#{kind}"


def unique_sk(kind: str, value: str) -> str:
    """The claim of a value that is unique among a kind's objects (`UNIQUE#user#a@example.jp`), holding the id."""
    return f"UNIQUE#{kind}#{value}"


def count_prefix(object_id: int) -> str:
    return f"{padded(object_id)}#"


def count_sk(object_id: int, shard: int) -> str:
    return f"{count_prefix(object_id)}{shard:02d}"


def id_of(sk: str) -> int:
    """The id in an object's or a count's sort key (`STAGE#0000000000000003`, `0000000000000003#07`)."""
    parts = sk.split("#", maxsplit=2)
    return int(parts[1] if sk[0].isalpha() else parts[0])


def key(pk: str, sk: str) -> dict[str, dict[str, Any]]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def object_key(tenant_id: str, kind: str, object_id: int) -> dict[str, dict[str, Any]]:
    return key(partition(tenant_id), object_sk(kind, object_id))
