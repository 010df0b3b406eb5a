"""Users through the workspace handler with API Gateway events: LeadHub's routes, envelope and pagination,
integer ids, unique canonical emails, ETags, deactivation, RESOURCE_IN_USE and reassignment, tenant isolation;
and the leads' `assigned_user_id`, which must name an active user and moves the users' exact counts."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import boto3
import pytest

from leadgate import aws, clock, dependencies
from leadgate.leads import ids as lead_ids
from leadgate.leads import keys as lead_keys
from leadgate.leads import repository
from leadgate.leads.records import StoredLead, iso
from leadgate.leads.requests import LeadData
from leadgate.settings import get_settings
from leadgate.workspace import counts, jobs, keys
from leadgate.workspace.users import reassignment, service
from leadgate_dev.harness import authorizer_context
from leadgate_dev.harness.events import rest_event
from tests.support import inbound
from tests.support.leads import LeadsApi
from tests.support.workspace import run_jobs_queue

SCOPES = ("read:users", "write:users", "delete:users")
TARO = {"name": "山田 太郎", "email": "Taro.Yamada@Example.JP", "role": "admin"}


@pytest.fixture
def api(aws, invoke):
    def _call(method, path, body=None, *, tenant="acme", query=None, headers=None, scopes=SCOPES):
        event = rest_event(
            method,
            path,
            body=body,
            query=query,
            headers={"Host": "api.example.com", **(headers or {})},
            authorizer=authorizer_context(tenant=tenant, scopes=scopes),
        )
        return invoke("workspace", event)

    return _call


@pytest.fixture
def leads(aws, invoke):
    return LeadsApi()


def _user(api, name="User", email=None, *, tenant="acme", **fields):
    body = {"name": name, "email": email or f"{name.lower()}@example.jp", **fields}
    status, _, body = api("POST", "/api/v1/users", body, tenant=tenant)
    assert status == 201, body
    return body["data"]


def _lead(leads, **fields):
    reply = leads.call("POST", "/api/v1/leads", body={"first_name": "Sarah", **fields})
    assert reply.status == 201, reply.body
    return reply.data


def _open_leads(api, user_id, tenant="acme"):
    status, _, body = api("GET", f"/api/v1/users/{user_id}", tenant=tenant)
    assert status == 200, body
    return body["data"]["open_lead_count"]


# ------------------------------------------------------------------ the resource


def test_create_read_and_list_with_integer_ids_and_pages(api):
    status, headers, body = api("POST", "/api/v1/users", TARO)

    assert status == 201
    created = body["data"]
    assert created == {
        **created,
        "id": 1,
        "name": "山田 太郎",
        "email": "Taro.Yamada@Example.JP",
        "role": "admin",
        "active": True,
        "open_lead_count": 0,
    }
    assert created["created_at"] == created["updated_at"]
    assert headers["Location"] == "https://api.example.com/api/v1/users/1"
    assert headers["ETag"] == '"1"'
    assert api("GET", "/api/v1/users/1")[2]["data"] == created

    for n in range(2, 5):
        assert _user(api, f"User{n}")["id"] == n
    status, _, page = api("GET", "/api/v1/users", query={"per_page": "3"})
    assert status == 200
    assert [user["id"] for user in page["data"]] == [1, 2, 3]
    assert page["data"][1]["role"] == "member"  # the default
    assert page["meta"] == {**page["meta"], "total": 4, "current_page": 1, "last_page": 2, "per_page": 3}
    following = api("GET", "/api/v1/users", query={"per_page": "3", "page": "2"})[2]
    assert [user["id"] for user in following["data"]] == [4]
    assert following["links"]["next"] is None


def test_emails_are_unique_in_the_tenant_in_their_canonical_form(api):
    _user(api, **TARO)

    status, _, body = api("POST", "/api/v1/users", {"name": "Other", "email": " taro.yamada@example.jp "})
    assert (status, body["code"]) == (422, "VALIDATION_FAILED")
    assert list(body["errors"]) == ["email"]
    assert api("POST", "/api/v1/users", {**TARO, "name": "Taro"}, tenant="beta")[0] == 201  # another tenant

    second = _user(api, "Hanako")
    status, _, body = api("PATCH", f"/api/v1/users/{second['id']}", {"email": "TARO.YAMADA@example.jp"})
    assert (status, list(body["errors"])) == (422, ["email"])
    # A changed email frees the old one.
    assert api("PATCH", "/api/v1/users/1", {"email": "taro@example.jp"})[0] == 200
    assert api("PATCH", f"/api/v1/users/{second['id']}", {"email": "Taro.Yamada@example.jp"})[0] == 200


@pytest.mark.parametrize(
    "body, field",
    [
        ({"email": "a@example.jp"}, "name"),
        ({"name": "A"}, "email"),
        ({"name": "A", "email": "not an email"}, "email"),
        ({"name": "A", "email": "a@example.jp", "role": "owner"}, "role"),
        ({"name": "A", "email": "a@example.jp", "active": "yes"}, "active"),
        ({"name": "A\u0000", "email": "a@example.jp"}, "name"),
        ({"name": "A", "email": "a@example.jp", "password": "x"}, "password"),
    ],
)
def test_invalid_bodies_are_422_naming_the_field(api, body, field):
    status, _, answer = api("POST", "/api/v1/users", body)
    assert (status, answer["code"]) == (422, "VALIDATION_FAILED")
    assert field in answer["errors"]


def test_put_replaces_patch_changes_and_if_match_guards(api):
    _user(api, **TARO)

    status, headers, body = api("PUT", "/api/v1/users/1", {"name": "Taro", "email": "taro@example.jp"})
    assert status == 200
    assert (body["data"]["role"], headers["ETag"]) == ("member", '"2"')  # PUT: back to the default

    status, _, body = api("PATCH", "/api/v1/users/1", {"role": "viewer"}, headers={"If-Match": '"1"'})
    assert (status, body["code"]) == (412, "PRECONDITION_FAILED")
    status, headers, body = api("PATCH", "/api/v1/users/1", {"role": "viewer"}, headers={"If-Match": '"2"'})
    assert (status, body["data"]["role"], body["data"]["name"], headers["ETag"]) == (200, "viewer", "Taro", '"3"')
    assert api("PATCH", "/api/v1/users/1", {"role": "viewer"})[1]["ETag"] == '"3"'  # nothing changed, no write
    # A GET record sent back is a valid PUT.
    record = api("GET", "/api/v1/users/1")[2]["data"]
    assert api("PUT", "/api/v1/users/1", record)[0] == 200
    status, _, body = api("PATCH", "/api/v1/users/1", {"name": None})
    assert (status, list(body["errors"])) == (422, ["name"])


def test_another_tenants_user_and_non_ids_are_404(api):
    _user(api, **TARO)
    for method, body in (("GET", None), ("PATCH", {"role": "viewer"}), ("DELETE", None)):
        status, _, answer = api(method, "/api/v1/users/1", body, tenant="beta")
        assert (status, answer["code"]) == (404, "NOT_FOUND")
    for path in ("/api/v1/users/01", "/api/v1/users/x", "/api/v1/users/0", "/api/v1/users/99"):
        assert api("GET", path)[0] == 404


# ------------------------------------------------------------------ leads name real users


def test_a_lead_must_name_an_active_user_of_the_tenant(api, leads):
    _user(api, **TARO)
    _user(api, "Beta", tenant="beta")

    assert _lead(leads, assigned_user_id=1)["assigned_user_id"] == 1
    for value in (2, 99, "1", "u7", True):
        reply = leads.call("POST", "/api/v1/leads", body={"first_name": "X", "assigned_user_id": value})
        assert (reply.status, reply.body["code"], list(reply.body["errors"])) == (
            422,
            "VALIDATION_FAILED",
            ["assigned_user_id"],
        ), value
    assert _open_leads(api, 1) == 1


def test_assignment_moves_the_exact_counts_on_every_lead_write(api, leads):
    first, second = _user(api, "First")["id"], _user(api, "Second")["id"]
    lead = _lead(leads, assigned_user_id=first)
    other = _lead(leads, first_name="Ken", assigned_user_id=first)
    assert (_open_leads(api, first), _open_leads(api, second)) == (2, 0)

    assert leads.call("PATCH", f"/api/v1/leads/{lead['id']}", body={"assigned_user_id": second}).status == 200
    assert (_open_leads(api, first), _open_leads(api, second)) == (1, 1)
    assert leads.call("PUT", f"/api/v1/leads/{other['id']}", body={"first_name": "Ken"}).status == 200  # unassigned
    assert (_open_leads(api, first), _open_leads(api, second)) == (0, 1)
    assert leads.call("DELETE", f"/api/v1/leads/{lead['id']}").status == 204
    assert (_open_leads(api, first), _open_leads(api, second)) == (0, 0)


def test_upsert_batch_and_inbound_check_the_user_too(api):
    _user(api, **TARO)
    reply = inbound.call(inbound.upsert({"email": "a@example.jp", "assigned_user_id": 9}))
    assert (reply.status, list(reply.body["errors"])) == (422, ["assigned_user_id"])
    reply = inbound.call(inbound.inbound({"email": "b@example.jp", "assigned_user_id": 9}))
    assert (reply.status, list(reply.body["errors"])) == (422, ["assigned_user_id"])
    reply = inbound.call(inbound.upsert({"email": "a@example.jp", "assigned_user_id": 1}))
    assert reply.status == 201, reply.body
    reply = inbound.call(
        inbound.batch(
            {
                "leads": [
                    {"email": "c@example.jp", "assigned_user_id": 1},
                    {"email": "d@example.jp", "assigned_user_id": 7},
                ]
            }
        )
    )
    assert reply.status == 200, reply.body
    assert [item["status"] for item in reply.body["data"]] == ["created", "failed"]
    assert list(reply.body["data"][1]["errors"]) == ["assigned_user_id"]
    assert _open_leads(api, 1) == 2


def test_deactivating_keeps_the_leads_and_refuses_new_assignments(api, leads):
    _user(api, **TARO)
    lead = _lead(leads, assigned_user_id=1)
    status, _, body = api("PATCH", "/api/v1/users/1", {"active": False})
    assert (status, body["data"]["active"], body["data"]["id"], body["data"]["open_lead_count"]) == (200, False, 1, 1)

    # The lead keeps its assignment and stays writable; a new assignment to the user is refused.
    reply = leads.call("PATCH", f"/api/v1/leads/{lead['id']}", body={"notes": "called"})
    assert (reply.status, reply.data["assigned_user_id"]) == (200, 1)
    reply = leads.call("POST", "/api/v1/leads", body={"first_name": "New", "assigned_user_id": 1})
    assert (reply.status, list(reply.body["errors"])) == (422, ["assigned_user_id"])


def test_open_lead_count_counts_only_leads_in_open_stages(api, leads):
    first, second = _user(api, "First")["id"], _user(api, "Second")["id"]
    lead = _lead(leads, assigned_user_id=first)  # the default pipeline: stages 1-4 open, 5 won, 6 lost
    won = _lead(leads, first_name="Ken", assigned_user_id=first, pipeline_stage_id=5)
    assert _open_leads(api, first) == 1

    def patch(lead_id, **fields):
        assert leads.call("PATCH", f"/api/v1/leads/{lead_id}", body=fields).status == 200

    patch(lead["id"], pipeline_stage_id=6)  # open -> lost
    assert _open_leads(api, first) == 0
    patch(lead["id"], pipeline_stage_id=5)  # lost -> won: still closed
    assert _open_leads(api, first) == 0
    patch(won["id"], assigned_user_id=second)  # a closed lead reassigned
    assert (_open_leads(api, first), _open_leads(api, second)) == (0, 0)
    patch(won["id"], pipeline_stage_id=2, assigned_user_id=first)  # reopened and reassigned in one write
    assert (_open_leads(api, first), _open_leads(api, second)) == (1, 0)
    status, _, body = api("GET", "/api/v1/users")
    assert [user["open_lead_count"] for user in body["data"]] == [1, 0]
    # Leads in closed stages are still the user's: deleting them needs a reassignment.
    status, _, body = api("DELETE", f"/api/v1/users/{first}")
    assert (status, body["code"], body["lead_count"]) == (409, "RESOURCE_IN_USE", 2)
    assert leads.call("DELETE", f"/api/v1/leads/{lead['id']}").status == 204  # a closed lead deleted
    assert _open_leads(api, first) == 1


def test_a_lead_from_before_stage_types_counts_as_open_until_its_next_write(api, leads, aws):
    user = _user(api, "First")["id"]
    lead = _lead(leads, assigned_user_id=user, pipeline_stage_id=5)
    # A lead written before stage history holds no stage_type: counted as open, as every assigned lead was.
    boto3.client("dynamodb").update_item(
        TableName=aws.tables["LEADS_TABLE"],
        Key=lead_keys.key("acme", lead_keys.lead_sk(lead["id"])),
        UpdateExpression="REMOVE stage_type, stage_entered_at",
    )
    shard = counts.change("acme", keys.USER, user, 0, closed=-1)  # and its count from before: no closed part
    boto3.client("dynamodb").update_item(**shard["Update"])
    assert _open_leads(api, user) == 1

    assert leads.call("PATCH", f"/api/v1/leads/{lead['id']}", body={"notes": "x"}).status == 200
    assert _open_leads(api, user) == 0  # its write learnt its stage is won


def test_a_legacy_string_assignment_stays_readable_and_writable_back(api, leads, aws):
    lead = _lead(leads)
    # Leads written before users existed hold free strings, e.g. "u7".
    boto3.client("dynamodb").update_item(
        TableName=aws.tables["LEADS_TABLE"],
        Key=lead_keys.key("acme", lead_keys.lead_sk(lead["id"])),
        UpdateExpression="SET assigned_user_id = :legacy",
        ExpressionAttributeValues={":legacy": {"S": "u7"}},
    )

    reply = leads.call("GET", f"/api/v1/leads/{lead['id']}")
    assert (reply.status, reply.data["assigned_user_id"]) == (200, "u7")
    reply = leads.call("PUT", f"/api/v1/leads/{lead['id']}", body={**reply.data, "notes": "kept"})
    assert (reply.status, reply.data["assigned_user_id"]) == (200, "u7")
    reply = leads.call("PATCH", f"/api/v1/leads/{lead['id']}", body={"assigned_user_id": "u8"})
    assert (reply.status, list(reply.body["errors"])) == (422, ["assigned_user_id"])


# ------------------------------------------------------------------ deleting


def test_deleting_a_user_without_leads_frees_the_email_and_the_id_stays_gone(api):
    _user(api, **TARO)
    status, _, _ = api("DELETE", "/api/v1/users/1")
    assert status == 204
    assert api("GET", "/api/v1/users/1")[0] == 404
    assert _user(api, **TARO)["id"] == 2


def test_deleting_a_user_with_leads_is_409_unless_they_are_reassigned(api, leads):
    first, second, inactive = (_user(api, name)["id"] for name in ("First", "Second", "Inactive"))
    lead_ids = [_lead(leads, first_name=f"L{n}", assigned_user_id=first)["id"] for n in range(3)]
    api("PATCH", f"/api/v1/users/{inactive}", {"active": False})

    status, _, body = api("DELETE", f"/api/v1/users/{first}")
    assert (status, body["code"], body["lead_count"]) == (409, "RESOURCE_IN_USE", 3)
    for target in (inactive, first, 99):
        status, _, body = api("DELETE", f"/api/v1/users/{first}", query={"reassign_to": str(target)})
        assert (status, list(body["errors"])) == (422, ["reassign_to"]), target
    status, _, body = api("DELETE", f"/api/v1/users/{first}", query={"reassign_to": "x"})
    assert status == 422

    status, _, body = api("DELETE", f"/api/v1/users/{first}", query={"reassign_to": str(second)})
    assert (status, body["data"]) == (200, {"reassigned": 3})
    assert api("GET", f"/api/v1/users/{first}")[0] == 404
    assert _open_leads(api, second) == 3
    assert {leads.call("GET", f"/api/v1/leads/{lead_id}").data["assigned_user_id"] for lead_id in lead_ids} == {second}
    assert counts.counts("acme", keys.USER).get(first, 0) == 0


def _assigned_leads(tenant: str, user_id: int, count: int) -> list[str]:
    """`count` leads assigned to the user, as `repository.create` writes them (their count included), loaded in
    batches: a transaction each would take moto seconds."""
    now = clock.now()
    leads_written = [
        StoredLead(
            id=lead_ids.new_ulid(now + timedelta(milliseconds=n)),
            data=LeadData(first_name=f"L{n}", assigned_user_id=user_id),
            version=1,
            created_at=iso(now),
            updated_at=iso(now),
        )
        for n in range(count)
    ]
    items = [item for lead in leads_written for item in repository.new_lead_items(tenant, lead)]
    for first in range(0, len(items), 25):
        requests = [{"PutRequest": {"Item": item}} for item in items[first : first + 25]]
        dependencies.batch_write(aws.dynamodb(), {get_settings().leads_table: requests})
    counts.add(tenant, keys.USER, user_id, count)
    return [lead.id for lead in leads_written]


def _leads(tenant: str, ids: list[str]) -> list[StoredLead]:
    return [lead for first in range(0, len(ids), 100) for lead in repository.get_many(tenant, ids[first : first + 100])]


def test_reassigning_hundreds_of_leads_is_a_job_that_deletes_the_user_after_the_last_one(api, leads):
    first, second = _user(api, "First")["id"], _user(api, "Second")["id"]
    moved = _assigned_leads("acme", first, 205)

    status, headers, body = api("DELETE", f"/api/v1/users/{first}", query={"reassign_to": str(second)})
    assert status == 202, body
    job = body["data"]
    assert headers["Location"] == job["url"] == f"https://api.example.com/api/v1/jobs/{job['id']}"
    assert (job["kind"], job["status"], job["done"], job["total"]) == ("user_reassign", "queued", 0, 205)
    # Deactivated while the job runs: no lead is assigned to them meanwhile.
    assert api("GET", f"/api/v1/users/{first}")[2]["data"]["active"] is False
    assert leads.call("POST", "/api/v1/leads", body={"first_name": "X", "assigned_user_id": first}).status == 422

    assert run_jobs_queue() >= 3  # a page of 100 per message
    status, _, body = api("GET", f"/api/v1/jobs/{job['id']}")
    assert (status, body["data"]["status"], body["data"]["done"]) == (200, "succeeded", 205)
    assert api("GET", f"/api/v1/users/{first}")[0] == 404
    assert _open_leads(api, second) == 205
    assert {lead.data.assigned_user_id for lead in _leads("acme", moved)} == {second}


def test_a_reassignment_job_resumes_from_its_page_and_fails_cleanly_when_the_target_goes(api, leads, monkeypatch):
    monkeypatch.setattr(service, "INLINE_REASSIGNMENT", 2)
    monkeypatch.setattr(reassignment, "PAGE", 2)
    first, second = _user(api, "First")["id"], _user(api, "Second")["id"]
    _assigned_leads("acme", first, 7)
    status, _, body = api("DELETE", f"/api/v1/users/{first}", query={"reassign_to": str(second)})
    assert status == 202
    job = jobs.get("acme", body["data"]["id"])

    advanced = reassignment.process("acme", job)  # the first page
    assert (advanced.done, advanced.step) == (2, 1)
    # The same page again (its message redelivered before the record moved on): it moves the user's next
    # leads, but records nothing; the next page counts them.
    assert reassignment.process("acme", job) is None
    assert (_open_leads(api, first), _open_leads(api, second)) == (3, 4)
    advanced = reassignment.process("acme", advanced)
    assert (advanced.done, advanced.step) == (6, 2)

    api("PATCH", f"/api/v1/users/{second}", {"active": False})
    assert reassignment.process("acme", advanced) is None
    failed = api("GET", f"/api/v1/jobs/{job.id}")[2]["data"]
    assert (failed["status"], failed["done"], failed["error"]) == ("failed", 6, reassignment.TARGET_GONE)
    assert _open_leads(api, first) == 1  # the lead not moved stays with the (inactive) user


def test_a_lead_assigned_after_the_count_was_read_cancels_the_delete(api, leads, monkeypatch):
    from leadgate.workspace.users import service

    _user(api, **TARO)
    real = service._unchanged_zero_count

    def assign_meanwhile(tenant_id, user_id):
        entries = real(tenant_id, user_id)
        _lead(leads, assigned_user_id=user_id)
        return entries

    monkeypatch.setattr(service, "_unchanged_zero_count", assign_meanwhile)
    status, _, body = api("DELETE", "/api/v1/users/1")
    assert (status, body["code"]) == (409, "CONFLICT")
    assert _open_leads(api, 1) == 1


# ------------------------------------------------------------------ concurrency


def test_open_lead_count_stays_exact_under_32_concurrent_assignments(api, leads):
    first, second = _user(api, "First")["id"], _user(api, "Second")["id"]
    lead_ids = [_lead(leads, first_name=f"L{n}", assigned_user_id=first)["id"] for n in range(32)]

    def move(lead_id):
        # A lost race is a clean 409 CONFLICT that says "retry" (the transaction moved nothing): a client retries.
        for _ in range(5):
            reply = leads.call("PATCH", f"/api/v1/leads/{lead_id}", body={"assigned_user_id": second})
            if reply.status != 409:
                return reply.status
        return reply.status

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(move, lead_ids)) == {200}
    assert (_open_leads(api, first), _open_leads(api, second)) == (0, 32)
    assert {leads.call("GET", f"/api/v1/leads/{lead_id}").data["assigned_user_id"] for lead_id in lead_ids} == {second}
