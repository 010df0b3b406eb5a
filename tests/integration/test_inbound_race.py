# ruff: noqa: RUF001  (full-width spellings are the inputs under test)
"""32 concurrent intakes of one person in different spellings: one lead, 31 matches, 32 inquiries (moto).

Each thread drives its own copy of the inbound handler module (`load_instance`), as Lambda runs one request
per instance: Powertools' resolver keeps per-request state (the current event, the routing context) that
two requests must not share. The `leadgate` package, boto3's client and moto are shared, as in the local
stack. moto's DynamoDB requests are serialised by the `aws` fixture (platform-facts.md): its transactions
are not thread-safe, and serialising requests does not serialise intakes, which each take several calls.
"""

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

from leadgate_dev.local.instances import load_instance
from tests.support.inbound import call, get_lead, hotlead, inbound, kinds, lead_ids, upsert

THREADS = 32
ROUNDS = 3

EMAILS = [
    "{n}.yamada@example.jp",
    " {n}.YAMADA@EXAMPLE.JP",
    "{n}.Yamada@Example.jp ",
    "{n}．yamada＠ｅｘａｍｐｌｅ．ｊｐ",
]
PHONES = [
    "090-{d}-5678",
    "０９０ー{w}ー５６７８",
    "+81 90 {d} 5678",
    "81-90-{d}-5678",
    "090{d}5678",
    "(090) {d}-5678",
    None,
]
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def spellings(person: int) -> list[dict]:
    """THREADS bodies for one person: every email and phone spelling, some without a phone."""
    name, digits = f"taro{person}", f"{1000 + person:04d}"
    combinations = itertools.cycle(itertools.product(EMAILS, PHONES))
    bodies = []
    for _, (email, phone) in zip(range(THREADS), combinations, strict=False):
        body = {"email": email.format(n=name), "first_name": "太郎", "last_name": "山田"}
        if phone:
            body["phone"] = phone.format(d=digits, w=digits.translate(FULL_WIDTH))
        bodies.append(body)
    return bodies


def race(events: list[dict], instances: list) -> list:
    """Every event at once, each through its own handler instance."""
    start = threading.Barrier(len(events))

    def send(index: int):
        start.wait()
        return call(events[index], instances[index])

    with ThreadPoolExecutor(len(events)) as pool:
        return list(pool.map(send, range(len(events))))


def test_concurrent_intakes_of_one_person_make_one_lead_and_keep_every_inquiry(aws):
    instances = [load_instance("inbound", index) for index in range(THREADS)]
    for person in range(ROUNDS):
        replies = race([inbound(body) for body in spellings(person)], instances)

        created = [reply for reply in replies if reply.status == 201]
        matched = [reply for reply in replies if reply.status == 200]
        assert len(created) == 1, [reply.body for reply in replies if reply.status not in (200, 201)]
        lead_id = created[0].body["lead_id"]
        assert len(matched) == THREADS - 1
        assert {reply.body["lead_id"] for reply in matched} == {lead_id}
        assert all(reply.body["is_duplicate"] for reply in matched)
        lead = get_lead(lead_id).body["data"]
        assert lead["inquiry_count"] == THREADS
        assert lead["phone_e164"] == f"+8190{1000 + person:04d}5678"
    assert len(lead_ids("acme")) == ROUNDS
    counts = kinds("acme")
    assert (counts["EMAIL"], counts["PHONE"], counts["INQ"]) == (ROUNDS, ROUNDS, ROUNDS * THREADS)


def test_concurrent_intakes_through_every_endpoint_make_one_lead(aws):
    instances = [load_instance("inbound", 100 + index) for index in range(THREADS)]
    events = []
    for index, body in enumerate(spellings(7)):
        kind = index % 3
        if kind == 0:
            events.append(inbound(body, tenant="1024"))
        elif kind == 1:
            events.append(upsert(body, tenant="1024"))
        else:
            profile = {"name": "山田 太郎", "email": body["email"], "phone": body.get("phone")}
            registration = {"created_at": "2024-04-22T10:00:01+09:00", "media_domain": "suumo.jp", "unit_id": 1024}
            events.append(hotlead({**registration, "profile": profile}))

    replies = race(events, instances)

    assert sorted({reply.status for reply in replies}) in ([200, 201, 204], [200, 204])
    (lead_id,) = lead_ids("1024")
    named = [reply.body.get("lead_id") or reply.body["meta"]["lead_id"] for reply in replies if reply.body]
    assert set(named) == {lead_id}
    assert get_lead(lead_id, tenant="1024").body["data"]["inquiry_count"] == THREADS
