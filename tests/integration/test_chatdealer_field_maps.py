"""Chat Dealer field maps end to end: what `leadgate connections create --field-map` accepts, `leadgate sync run`
applies against the fake Chat Dealer, and the docs list the same mappable names as the model."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import boto3
import pytest

from leadgate.connections.models import ChatDealerFieldMap
from leadgate.connections.registry import clear_cache
from leadgate.sync.chatdealer import JST
from leadgate_admin.cli import main
from tests.fakes.chatdealer import chatdealer_fake_fixture  # noqa: F401 - the fixture
from tests.support.sync import by_email, inquiries_of, text

DOCS = Path(__file__).resolve().parents[2] / "docs"
# The reference's own sample keys (chatdealer-api-spec.ja.txt), and an environment that splits its names.
REFERENCE_MAP = {"name": "name", "name_kana": "furigana", "email": "mail", "phone": "tell", "notes": "memo"}
PARTS_MAP = {"last_name": "姓", "first_name": "名", "last_name_kana": "セイ", "first_name_kana": "メイ"}
SYNC = {
    "schedule_group": "local-sync",
    "function_arn": "arn:aws:lambda:us-east-1:123456789012:function:local-sync",
    "role_arn": "arn:aws:iam::123456789012:role/local-sync-scheduler",
    "dead_letter_arn": "arn:aws:sqs:us-east-1:123456789012:local-SyncSchedulesDeadLetterQueue",
}


@pytest.fixture
def local_dir(aws, tmp_path, monkeypatch):
    boto3.client("scheduler").create_schedule_group(Name=SYNC["schedule_group"])
    stack = {**aws.to_json(), "api_url": "http://127.0.0.1:3999", "stage": "local", "sync": SYNC}
    (tmp_path / "stack.json").write_text(json.dumps(stack))
    monkeypatch.delenv("LEADGATE_LOCAL_DIR", raising=False)
    clear_cache()
    return tmp_path


def leadgate(capsys, local_dir, *argv: str) -> tuple[int, dict | None, str]:
    code = main([*argv, "--local-dir", str(local_dir)])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else None, err


def create(capsys, local_dir, url: str, field_map: dict[str, str]) -> tuple[int, dict | None, str]:
    return leadgate(
        capsys, local_dir, "connections", "create", "--tenant", "acme", "--provider", "chatdealer",
        "--domain", "acme.chatdealer.example", "--api-token", "cd-token", "--base-url", url,
        "--field-map", json.dumps(field_map, ensure_ascii=False),
    )  # fmt: skip


def sync_run(capsys, local_dir, connection_id: str) -> dict:
    code, record, err = leadgate(capsys, local_dir, "sync", "run", connection_id)
    assert code == 0 and record["status"] == "succeeded", (record, err)
    return record


def today() -> datetime:
    return datetime.now(JST)


@pytest.mark.parametrize(
    ("field_map", "item"),
    [
        (
            REFERENCE_MAP,
            {"訪問者ID": "v1", "name": "山田 太郎", "furigana": "やまだ たろう", "mail": "p1@example.com ",
             "tell": "090-1000-1001", "memo": "資料請求"},
        ),
        (
            {**PARTS_MAP, "email": "メールアドレス"},
            {"訪問者ID": "v1", "姓": "山田", "名": "太郎", "セイ": "ヤマダ", "メイ": "タロウ",
             "メールアドレス": "p1@example.com"},
        ),
    ],
    ids=["full-names", "name-parts"],
)  # fmt: skip
def test_a_documented_field_map_is_accepted_by_create_and_applied_by_the_sync(
    capsys, local_dir, chatdealer_fake, field_map, item
):
    code, created, err = create(capsys, local_dir, chatdealer_fake.url, field_map)
    assert code == 0, err
    assert created["settings"]["field_map"] == field_map
    chatdealer_fake.put("v1", today().date(), item)

    record = sync_run(capsys, local_dir, created["connection_id"])

    assert record["counts"]["created"] == 1
    lead = by_email("acme")["p1@example.com"]
    assert (text(lead, "last_name"), text(lead, "first_name")) == ("山田", "太郎")
    assert (text(lead, "last_name_kana"), text(lead, "first_name_kana")) == ("ヤマダ", "タロウ")


def test_every_mappable_name_can_point_at_another_item(capsys, local_dir, chatdealer_fake):
    every = {name: f"項目_{name}" for name in ChatDealerFieldMap.model_fields} | {"custom_fields.budget": "予算"}
    item = {
        "項目_external_id": "visitor-7",
        "項目_updated_at": "2026/11/29 10:10:30",
        "項目_name": "山田 太郎",
        "項目_name_kana": "やまだ たろう",
        "項目_last_name": "山本",
        "項目_first_name_kana": "タイチ",
        "項目_display_name": "山田様",
        "項目_email": "p7@example.com",
        "項目_phone": "090-1000-1007",
        "項目_company": "株式会社ラクス",
        "項目_address": "東京都新宿区",
        "項目_notes": "資料請求",
        "項目_status": "商談中",
        "予算": "100万円",
        "訪問者ID": "not-this-one",
    }
    code, created, err = create(capsys, local_dir, chatdealer_fake.url, every)
    assert code == 0, err
    chatdealer_fake.put("v7", today().date(), item)

    sync_run(capsys, local_dir, created["connection_id"])

    lead = by_email("acme")["p7@example.com"]
    # A part mapped on its own (here the family name and the given name's reading) wins over the split name.
    assert (text(lead, "last_name"), text(lead, "first_name")) == ("山本", "太郎")
    assert (text(lead, "last_name_kana"), text(lead, "first_name_kana")) == ("ヤマダ", "タイチ")
    assert text(lead, "display_name") == "山田様" and text(lead, "status") == "商談中"
    assert (text(lead, "company"), text(lead, "address"), text(lead, "notes")) == (
        "株式会社ラクス",
        "東京都新宿区",
        "資料請求",
    )
    assert json.loads(text(lead, "custom_fields")) == {"budget": "100万円"}
    (inquiry,) = inquiries_of("acme", text(lead, "id"))
    assert text(inquiry, "occurred_at") == "2026-11-29T01:10:30+00:00"

    # The visitor id is the mapped item: a new email on the same visitor updates the same lead.
    chatdealer_fake.put("v7", today().date(), item | {"項目_email": "p7-new@example.com"})
    again = sync_run(capsys, local_dir, created["connection_id"])
    assert (again["counts"]["updated"], again["counts"]["created"]) == (1, 0)
    assert text(by_email("acme")["p7-new@example.com"], "id") == text(lead, "id")


def test_an_unknown_field_is_refused_at_create_naming_what_can_be_mapped(capsys, local_dir, chatdealer_fake):
    code, created, err = create(capsys, local_dir, chatdealer_fake.url, {"email": "メール", "favourite_colour": "色"})

    assert code != 0 and created is None
    assert "unknown lead field(s) favourite_colour" in err
    assert all(name in err for name in ChatDealerFieldMap.model_fields) and "custom_fields.<key>" in err


def test_the_docs_list_exactly_the_mappable_names():
    """docs/integrations-sync.md holds the one list; docs/integrations.md refers to it."""
    section = (DOCS / "integrations-sync.md").read_text().split("#### Chat Dealer field map", 1)[1].split("\n#", 1)[0]
    listed = re.findall(r"^\| `([a-z_.<>]+)` \|", section, flags=re.MULTILINE)

    assert listed == [*ChatDealerFieldMap.model_fields, "custom_fields.<key>"]
    assert "integrations-sync.md#chat-dealer-field-map" in (DOCS / "integrations.md").read_text()
