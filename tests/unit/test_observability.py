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
