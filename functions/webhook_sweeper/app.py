"""The webhook sweeper, every minute (EventBridge schedule): queues the deliveries whose retry wait was longer
than SQS can hold (15 minutes) and is now over (`leadgate.outbound.sender.sweep`)."""

from leadgate.observability import observed
from leadgate.outbound.sender import sweep


def handle(event: dict, context) -> dict:
    return {"queued": sweep()}


lambda_handler = observed(handle)
