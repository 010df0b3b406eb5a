"""`python -m leadgate_dev.local` (`make run`): the local stack until Ctrl-C or SIGTERM."""

from __future__ import annotations

import errno
import logging
import signal
import sys
import threading
import warnings

from leadgate_dev.local.stack import LocalStack, StackConfig


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    logging.getLogger("botocore").setLevel(logging.WARNING)
    # Handlers that record no metric on a path (health, errors) say so on every request; Lambda would too.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
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
        while not stopping.wait(0.5):
            pass
        print("Stopping the local stack ...", flush=True)
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
