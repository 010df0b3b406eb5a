import io
import json

from leadgate import observability


def test_emails_and_phone_numbers_never_reach_the_log():
    stream = io.StringIO()
    handler = observability.logger.registered_handler
    previous = handler.setStream(stream)
    try:
        try:
            raise ValueError("taro.yamada@example.jp is taken by 090-1234-5678 (+81 90 1234 5678)")
        except ValueError:
            observability.logger.exception("Intake failed", extra={"contact": "hanako@example.com"})
    finally:
        handler.setStream(previous)

    line = stream.getvalue()
    record = json.loads(line)
    assert record["message"] == "Intake failed"
    assert record["contact"] == "[email]"
    for secret in ("taro.yamada@example.jp", "hanako@example.com", "090-1234-5678", "+81 90 1234 5678"):
        assert secret not in line
    assert "[email] is taken by [phone] ([phone])" in record["exception"]


def test_dates_times_and_ids_stay_readable():
    stream = io.StringIO()
    handler = observability.logger.registered_handler
    previous = handler.setStream(stream)
    try:
        observability.logger.info(
            "Window reset", extra={"at": "2026-03-28T09:15:00+00:00", "epoch": 1711580400, "lead": "01JQ8ZK3M4"}
        )
    finally:
        handler.setStream(previous)

    record = json.loads(stream.getvalue())
    assert (record["at"], record["epoch"], record["lead"]) == ("2026-03-28T09:15:00+00:00", 1711580400, "01JQ8ZK3M4")
    assert "[phone]" not in record["timestamp"]


def test_request_ids_and_other_identifiers_survive_masking():
    """A correlation id was once logged as `521214fe-[phone]-dbf255ec74fd` and could not be joined on."""
    kept = [
        "521214fe-1234-5678-9012-dbf255ec74fd",  # a UUID whose middle groups are all digits
        "12345678-1234-1234-1234-123456789012",
        "C73BCDAB-0907-4E29-9A2A-14B2E8C9F5A1",
        "01HZX3K4M5N6P7Q8R9S0T1V2W3",  # a ULID (lead id)
        "1-5759e988-bd862e3fe1be46a994272793",  # an X-Ray trace id
        "5759098812345678abcdef0123456789",  # a hex id
    ]
    for identifier in kept:
        assert observability.mask_pii(f"request {identifier} done") == f"request {identifier} done"


def test_masking_still_finds_pii_next_to_identifiers():
    line = observability.mask_pii(
        "id=521214fe-1234-5678-9012-dbf255ec74fd 090-1234-5678 01HZX3K4M5N6P7Q8R9S0T1V2W3@example.com "
        "+819012345678 deadbeefdeadbeef1@example.jp"
    )
    assert line == "id=521214fe-1234-5678-9012-dbf255ec74fd [phone] [email] [phone] [email]"
