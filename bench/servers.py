"""The servers under test: gunicorn in its own process group, and plain requests to 127.0.0.1."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench import ROOT


def free_port() -> int:
    """A TCP port nothing listens on at the moment, on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Never a proxy: every request of the benchmark goes to 127.0.0.1.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http(method: str, url: str, body: bytes | None = None, headers: dict | None = None,
         timeout: float = 60) -> tuple[int, dict, bytes, float]:
    """One request: status, headers, body and the time it took in ms."""
    assert urllib.parse.urlsplit(url).hostname == "127.0.0.1", url
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    started = time.perf_counter()
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status, got, content = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, got, content = error.code, error.headers, error.read()
    return status, got, content, (time.perf_counter() - started) * 1000


@dataclass(eq=False)
class Server:
    """gunicorn in its own process group, stopped (the whole group) on exit."""

    name: str
    app: str
    env: dict[str, str]
    ready_path: str
    workers: int
    log: Path
    extra: list[str] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        self._start()
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _start(self) -> None:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [str(gunicorn)] if gunicorn.exists() else [sys.executable, "-m", "gunicorn"]
        # make serve's settings (gevent workers), for the app and the baseline alike
        command += ["-c", "python:webui.serving", "-w", str(self.workers),
                    "-b", f"127.0.0.1:{self.port}", "--timeout", "120", *self.extra, self.app]
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("a") as log:
            log.write(f"\n=== {datetime.now(UTC).isoformat()} {' '.join(command)}\n")
            log.flush()
            self.process = subprocess.Popen(
                command, env={**os.environ, **self.env}, cwd=ROOT, stdout=log, stderr=log,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        _RUNNING.add(self)

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: see {self.log}")
            try:
                if http("GET", self.url + self.ready_path, timeout=30)[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start: see {self.log}")

    def stop(self) -> None:
        """Stop the server and every process of its group, whatever state they are in."""
        process = self.process
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        # workers left behind by a dead arbiter are still in the group
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if process is not None:
                os.killpg(process.pid, signal.SIGKILL)
        _RUNNING.discard(self)


_RUNNING: set[Server] = set()


def stop_all() -> None:
    """Stop every server still running."""
    for server in list(_RUNNING):
        server.stop()


def stop_on_signal(signum: int, _frame: object) -> None:
    """Ctrl-C, kill or hangup: stop every server, then leave through the ``finally`` blocks."""
    print(f"\nstopped by signal {signum}", file=sys.stderr)
    stop_all()
    raise SystemExit(128 + signum)
