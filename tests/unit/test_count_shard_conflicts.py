"""A lead write cancelled only because a concurrent transaction was writing the count shard it picked is tried
again on another shard; any other cancellation is the caller's to handle (leadgate.leads.repository._commit)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from leadgate.leads import repository
from leadgate.workspace import counts, keys


def _cancelled(*codes: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
            "CancellationReasons": [{"Code": code} for code in codes],
        },
        "TransactWriteItems",
    )


class FakeClient:
    def __init__(self, failures):
        self.failures = list(failures)
        self.calls = []

    def transact_write_items(self, **kwargs):
        self.calls.append(kwargs["TransactItems"])
        if self.failures:
            raise self.failures.pop(0)


def _writes():
    lead = repository._Write({"Put": {"TableName": "leads", "Item": {}}}, "lead")
    return [lead, repository._Write(counts.change("acme", keys.STAGE, 3, 1), "count")]


def test_a_conflict_on_the_count_shard_alone_is_retried_on_a_shard_picked_again(monkeypatch):
    client = FakeClient([_cancelled("None", "TransactionConflict")] * 2)
    monkeypatch.setattr(repository, "_client", lambda: client)

    repository._commit("acme", _writes())

    assert len(client.calls) == 3
    for call in client.calls:
        sk = call[1]["Update"]["Key"]["sk"]["S"]
        assert keys.id_of(sk) == 3 and sk.startswith(keys.count_prefix(3))


def test_a_conflict_on_the_lead_is_a_concurrent_modification(monkeypatch):
    client = FakeClient([_cancelled("TransactionConflict", "None")])
    monkeypatch.setattr(repository, "_client", lambda: client)

    with pytest.raises(repository.ConcurrentModification):
        repository._commit("acme", _writes())
    assert len(client.calls) == 1


def test_count_conflicts_that_persist_give_up(monkeypatch):
    client = FakeClient([_cancelled("None", "TransactionConflict")] * 10)
    monkeypatch.setattr(repository, "_client", lambda: client)

    with pytest.raises(repository.ConcurrentModification):
        repository._commit("acme", _writes())
    assert len(client.calls) == repository.COUNT_SHARD_ATTEMPTS
