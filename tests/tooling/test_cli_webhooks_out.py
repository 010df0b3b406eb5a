"""`leadgate webhooks endpoints|deliveries|retry` against moto: what the API shows, without secrets; a retry
queues the delivery again for the sender, which sends it with the same `webhook-id`."""

from __future__ import annotations

import json

import pytest

from leadgate.aws import reset_clients
from leadgate.outbound import service
from leadgate.outbound.endpoints import EndpointCreate
from leadgate_admin.cli import main
from leadgate_dev.harness import handle
from tests.support.outbound import Receiver, lead_event, queued, stream_event


@pytest.fixture
def local_dir(aws, tmp_path, monkeypatch):
    (tmp_path / "stack.json").write_text(json.dumps({**aws.to_json(), "stage": "local"}))
    monkeypatch.delenv("LEADGATE_LOCAL_DIR", raising=False)
    monkeypatch.setenv("ALLOW_LOOPBACK_URLS", "true")
    reset_clients()
    return tmp_path


def _run(capsys, *argv):
    code = main([*argv])
    return code, capsys.readouterr()


def test_endpoints_deliveries_and_retry(local_dir, capsys):
    event = lead_event()
    with Receiver(statuses=[400]) as receiver:
        created = service.create("acme", EndpointCreate(url=receiver.url))
        handle("webhook_dispatcher", stream_event([event]))
        handle("webhook_sender", queued())
        where = ["--local-dir", str(local_dir)]

        code, out = _run(capsys, "webhooks", "endpoints", "--tenant", "acme", *where)
        listed = json.loads(out.out)
        assert code == 0 and [endpoint["id"] for endpoint in listed] == [created.endpoint.id]
        assert created.secret not in out.out and "secret" not in out.out

        code, out = _run(
            capsys, "webhooks", "deliveries", "--tenant", "acme", "--endpoint", "1", "--status", "failed", *where
        )
        (failed,) = json.loads(out.out)
        assert code == 0 and failed["id"] == event.id and failed["attempts"][0]["status_code"] == 400

        code, out = _run(capsys, "webhooks", "retry", "--tenant", "acme", "--endpoint", "1", event.id, *where)
        assert code == 0 and json.loads(out.out)["status"] == "pending"
        code, out = _run(capsys, "webhooks", "retry", "--tenant", "acme", "--endpoint", "1", event.id, *where)
        assert code == 1 and "already pending" in out.err
        handle("webhook_sender", queued())
        assert [got.headers["webhook-id"] for got in receiver.received] == [event.id, event.id]

    code, out = _run(capsys, "webhooks", "retry", "--tenant", "acme", "--endpoint", "1", "evt_nope", *where)
    assert code == 1
