"""`python -m leadgate_dev.local` (`make run`): the local stack until Ctrl-C or SIGTERM.

Both signals raise KeyboardInterrupt in the main thread, which sleeps while the stack serves, so a stop never
waits on a lock a signal handler could also want (an `Event.set()` in the handler, with the main thread inside
`Event.wait()` on the same event, deadlocks). It sleeps in short slices: the kernel may hand the signal to any
thread of the process, and Python then runs the handler only once the main thread wakes. Requests still in
flight do not delay the stop: their threads are daemons, and a watchdog ends the process if stopping takes
longer than STOP_GRACE_SECONDS all the same.
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import sys
import threading
import time
import warnings
from types import FrameType

from leadgate.masking import mask_pii
from leadgate_dev.local.stack import LocalStack, StackConfig

STOP_GRACE_SECONDS = 15
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
WAKE_SECONDS = 0.5  # the longest a signal received by another thread waits for its handler


class MaskingFormatter(logging.Formatter):
    """The stack's own log lines (the access log's query strings, tracebacks) masked as the functions' are.

    The rule comes from leadgate.masking, not leadgate.observability: importing that builds the functions'
    Powertools Logger, which must wait until the stack has set the functions' environment (its service).
    """

    def format(self, record: logging.LogRecord) -> str:
        return mask_pii(super().format(record))


def configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(MaskingFormatter("%(asctime)s %(name)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    logging.getLogger("botocore").setLevel(logging.WARNING)


def interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def ignore_further_signals() -> None:
    """A second Ctrl-C must not break the stop half-way; the watchdog ends a stop that hangs."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    watchdog = threading.Timer(STOP_GRACE_SECONDS, _give_up)
    watchdog.daemon = True
    watchdog.start()


def _give_up() -> None:
    print(f"The local stack did not stop within {STOP_GRACE_SECONDS} s; exiting.", file=sys.stderr, flush=True)
    os._exit(1)


def main() -> int:
    configure_logging()
    # Handlers that record no metric on a path (health, errors) say so on every request; Lambda would too.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    for signum in STOP_SIGNALS:
        signal.signal(signum, interrupt)
    config = StackConfig.from_environment()
    stack = LocalStack(config)
    try:
        try:
            stack.start()
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            print(f"Port {config.port} on {config.host} is in use: set PORT to another one.", file=sys.stderr)
            return 1
        print(stack.banner(), flush=True)
        while True:
            time.sleep(WAKE_SECONDS)  # until a signal's handler raises KeyboardInterrupt
    except KeyboardInterrupt:
        print("Stopping the local stack ...", flush=True)
    finally:
        ignore_further_signals()
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
