"""Faults under a real server run as `make serve` runs it (gunicorn, gevent workers): the
database down, restarted, locked by another program, read-only, on a full disk, or deleted;
and clients that send their requests slowly. Every fault is a clean answer (503 with
Retry-After, never a 500 or a dropped connection), nothing acknowledged is lost, and the
server recovers by itself once the cause is gone.

The figures each run reaches go to tests/reports/reliability.json.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import API, valid_body
from servers import PostgresCluster, Server, counters_match, integrity, report, rows

pytestmark = pytest.mark.slow
ADAPTERS = f"{API}/default/adapters"
# How long each fault lasts; the figures are for 30 s.
HOLD_SECONDS = float(os.environ.get("FAULT_HOLD_SECONDS", "30"))



def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) > 1 else samples[0]


def create(http: httpx.Client, name: str) -> httpx.Response:
    return http.post(ADAPTERS, json=valid_body(name=name))


def assert_unavailable(response: httpx.Response) -> None:
    """The contract's 503: JSON detail, a Retry-After to honour."""
    assert response.status_code == 503, response.text
    assert response.json() == {"detail": "Service Unavailable"}
    assert int(response.headers["Retry-After"]) >= 1


def stored(url: str) -> Counter:
    """Each stored adapter's name; the counters equal the rows and the file is sound
    (asserted)."""
    assert counters_match(url) and integrity(url) == "ok"
    return Counter(row["name"] for row in rows(url).values())


class Writers:
    """Threads creating adapters until told to stop, keeping every answer."""

    def __init__(self, url: str, clients: int, prefix: str) -> None:
        self.url, self.prefix = url, prefix
        self.answers: list[tuple[float, int, str, str | None]] = []  # when, status, name, R-A
        self.unavailable: list[httpx.Response] = []
        self.failures: list[str] = []  # 5xx other than 503, dropped connections
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(n,)) for n in range(clients)]

    def __enter__(self) -> Writers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join()

    def run(self, number: int) -> None:
        serial = 0
        with httpx.Client(base_url=self.url, timeout=30) as http:
            while not self.stopping.is_set():
                serial += 1
                name = f"{self.prefix}-{number}-{serial}"
                try:
                    response = create(http, name)
                except httpx.TransportError as error:
                    with self.lock:
                        self.failures.append(f"{name}: {error!r}")
                    continue
                with self.lock:
                    self.answers.append((time.monotonic(), response.status_code, name,
                                         response.headers.get("Retry-After")))
                    if response.status_code == 503:
                        self.unavailable.append(response)
                    elif response.status_code != 201:
                        self.failures.append(f"{name}: {response.status_code} {response.text}")
                if response.status_code == 503:
                    time.sleep(0.05)

    @property
    def acknowledged(self) -> set[str]:
        return {name for _, status, name, _ in self.answers if status == 201}


class Probe:
    """A thread timing GETs of one path, every ``pause`` seconds, until stopped."""

    def __init__(self, url: str, path: str, pause: float = 0.1) -> None:
        self.url, self.path, self.pause = url, path, pause
        self.timings: list[float] = []
        self.statuses: Counter = Counter()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run)

    def __enter__(self) -> Probe:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopping.set()
        self.thread.join()

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as http:
            while not self.stopping.is_set():
                started = time.monotonic()
                try:
                    self.statuses[http.get(self.path).status_code] += 1
                except httpx.TransportError:
                    self.statuses["dropped"] += 1
                self.timings.append(time.monotonic() - started)
                time.sleep(self.pause)


@pytest.fixture
def server(tmp_path) -> Iterator[Server]:
    """The app as `make serve` runs it, 4 workers, on a SQLite file it makes at its start."""
    running = Server(tmp_path, f"sqlite:///{tmp_path / 'registry.sqlite3'}").start()
    yield running
    running.stop()


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    """A 16 MiB tmpfs file system, mounted for the test (the tests run as root)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def test_a_write_lock_held_by_another_program_gives_503s_while_reads_go_on(server):
    """BEGIN EXCLUSIVE held by another program for 30 s: waiting creates get 503 with
    Retry-After (never a 500, a dropped connection or a page), reads and /healthz answer
    within 1 s throughout, no worker is killed, and creates succeed once it is released."""
    workers = set(server.workers_now())
    with httpx.Client(base_url=server.url) as http:
        assert create(http, "before").status_code == 201
    holder = sqlite3.connect(server.database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with Writers(server.url, 4, "held") as writers, \
                Probe(server.url, ADAPTERS) as reads, Probe(server.url, "/healthz") as health:
            time.sleep(HOLD_SECONDS)
        during = Counter(status for _, status, _, _ in writers.answers)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert writers.failures == []
    assert during == {503: len(writers.answers)} and len(writers.answers) >= 4
    for response in writers.unavailable:
        assert_unavailable(response)
    assert max(reads.timings) < 1 and set(reads.statuses) == {200}
    assert max(health.timings) < 1 and set(health.statuses) == {200}
    with httpx.Client(base_url=server.url) as http:
        assert create(http, "after").status_code == 201
    assert set(server.workers_now()) == workers
    assert "WORKER TIMEOUT" not in server.log_tail(100_000)
    report("write_lock_held", {
        "seconds": HOLD_SECONDS, "creates_503": during[503], "creates_5xx_other": 0,
        "read_max_ms": round(max(reads.timings) * 1000), "reads": len(reads.timings),
        "healthz_max_ms": round(max(health.timings) * 1000), "workers_killed": 0})


def fault_then_recover(server: Server, start_fault, end_fault, prefix: str) -> dict:
    """Creates from 4 clients across a fault: 503s while it lasts, 201s again after."""
    with Writers(server.url, 4, prefix) as writers:
        time.sleep(1)
        start_fault()
        wait_until(lambda: writers.unavailable, 20)
        health = httpx.get(f"{server.url}/healthz")
        time.sleep(2)
        end_fault()
        ended = time.monotonic()
        wait_until(lambda: writers.answers[-1][0] > ended and writers.answers[-1][1] == 201, 20)
        time.sleep(1)
    assert writers.failures == []
    for response in writers.unavailable:
        assert_unavailable(response)
    assert health.status_code == 503
    assert health.json() == {"status": "unavailable", "database": "not writable"}
    server.stop()
    kept = stored(server.database_url)
    assert writers.acknowledged <= set(kept)
    assert all(count == 1 for count in kept.values())
    recovered = min(when for when, status, _, _ in writers.answers
                    if when > ended and status == 201) - ended
    statuses = Counter(status for _, status, _, _ in writers.answers)
    return {"created": statuses[201], "unavailable_503": statuses[503], "other_5xx": 0,
            "lost": 0, "recovered_after_s": round(recovered, 2)}


def wait_until(condition, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_read_only_database_answers_503_then_heals(small_disk):
    """The database file made read-only (immutable) under the server, whose workers then
    restart: creates answer 503 with Retry-After, /healthz says not writable; once it is
    writable again, creates succeed with no restart, and nothing acknowledged is lost."""
    server = Server(small_disk.parent, f"sqlite:///{small_disk / 'registry.sqlite3'}").start()
    files = [str(small_disk / f"registry.sqlite3{end}") for end in ("", "-wal", "-shm")]

    def read_only() -> None:
        subprocess.run(["chattr", "+i", *files], check=True)
        os.kill(server.process.pid, signal.SIGHUP)  # new workers open new connections

    try:
        figures = fault_then_recover(
            server, read_only, lambda: subprocess.run(["chattr", "-i", *files], check=True),
            "readonly")
    finally:
        subprocess.run(["chattr", "-i", *files], check=False)
        server.stop()
    assert "readonly database" in server.log_tail(1_000_000)
    report("read_only_then_writable", figures)


def test_a_full_disk_answers_503_then_heals(small_disk):
    """The file system fills up under the server: creates answer 503 with Retry-After (the
    cause in the log), /healthz says not writable; once room is made, creates succeed with
    no restart, nothing acknowledged is lost and the file passes its integrity check."""
    server = Server(small_disk.parent, f"sqlite:///{small_disk / 'registry.sqlite3'}").start()
    filler = small_disk / "filler"

    def fill() -> None:
        with sqlite3.connect(server.database) as connection:  # the WAL must grow to write
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)  # unbuffered: no
        try:                                                            # flush fails at close
            while os.write(descriptor, b"\0" * 65536):
                pass
        except OSError:  # the file system is full
            pass
        finally:
            os.close(descriptor)

    try:
        figures = fault_then_recover(server, fill, filler.unlink, "full")
    finally:
        server.stop()
    assert "database or disk is full" in server.log_tail(1_000_000)
    report("disk_full_then_freed", figures)


def test_a_deleted_database_file_is_never_written_or_recreated(server):
    """The database file deleted under the server: no create is acknowledged afterwards,
    /healthz is 503, and a worker started later does not make a new, empty database."""
    with httpx.Client(base_url=server.url) as http:
        assert create(http, "kept").status_code == 201
        server.database.unlink()
        answers = [create(http, f"after-{n}") for n in range(12)]
        lists = [http.get(ADAPTERS) for _ in range(12)]
        health = http.get("/healthz")
    os.kill(server.workers_now()[0], signal.SIGKILL)  # its replacement starts afresh
    time.sleep(3)
    with httpx.Client(base_url=server.url) as http:
        later = [create(http, f"later-{n}") for n in range(12)]
        later_lists = [http.get(ADAPTERS) for _ in range(12)]
    for response in answers + lists + later + later_lists:
        assert_unavailable(response)
    assert health.status_code == 503
    assert health.json() == {"status": "unavailable", "database": "missing"}
    assert not server.database.exists()
    assert "was deleted while in use" in server.log_tail(1_000_000)
    report("database_file_deleted", {"creates_after": len(answers) + len(later),
                                     "acknowledged_after": 0, "healthz": 503})


class SlowClients:
    """Connections that send a request's headers one line every few seconds, reconnecting
    whenever the server closes one: the classic slow-headers attack."""

    def __init__(self, port: int, count: int, pause: float = 5) -> None:
        self.port, self.count, self.pause = port, count, pause
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run)
        self.reconnects = 0

    def __enter__(self) -> SlowClients:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopping.set()
        self.thread.join()

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port))
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        return sock

    def run(self) -> None:
        sockets = [self.connect() for _ in range(self.count)]
        line = 0
        while not self.stopping.wait(self.pause):
            line += 1
            for index, sock in enumerate(sockets):
                try:
                    sock.sendall(f"X-Slow-{line}: a\r\n".encode())
                except OSError:
                    sock.close()
                    sockets[index] = self.connect()
                    self.reconnects += 1
        for sock in sockets:
            sock.close()


def list_throughput(url: str, seconds: float, clients: int = 4) -> float:
    """Listing requests answered per second by ``clients`` threads over ``seconds``."""
    done = Counter()
    deadline = time.monotonic() + seconds

    def run() -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            while time.monotonic() < deadline:
                assert http.get(ADAPTERS).status_code == 200
                done["ok"] += 1

    threads = [threading.Thread(target=run) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done["ok"] / seconds


def test_two_hundred_slow_clients_do_not_starve_the_server(server):
    """200 connections trickling headers for 30 s: /healthz p95 stays under 1 s and the
    listing keeps at least 70% of the throughput it had before the attack."""
    with httpx.Client(base_url=server.url) as http:
        for n in range(20):
            assert create(http, f"listed-{n}").status_code == 201
    unattacked = list_throughput(server.url, 5)
    with SlowClients(server.port, 200) as attack, Probe(server.url, "/healthz") as health:
        time.sleep(2)
        attacked = list_throughput(server.url, max(HOLD_SECONDS - 2, 5))
    assert set(health.statuses) == {200}
    assert p95(health.timings) < 1
    assert attacked >= 0.7 * unattacked, (attacked, unattacked)
    report("slow_clients", {
        "connections": 200, "seconds": HOLD_SECONDS, "healthz_p95_ms":
        round(p95(health.timings) * 1000), "list_per_s_before": round(unattacked),
        "list_per_s_during": round(attacked), "reconnects": attack.reconnects})


# PostgreSQL down, restarted, and a server started without it: a private PostgreSQL server
# of the test's own, which it stops and starts.


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    made = PostgresCluster()
    yield made
    made.remove()


@pytest.mark.postgres
def test_workers_restarted_while_postgresql_is_down_keep_the_server_up(tmp_path, cluster):
    """PostgreSQL stopped, a worker killed: the server stays up and answers 503 with
    Retry-After (pages too); within 5 s of PostgreSQL's return it serves again."""
    server = Server(tmp_path, cluster.url).start()
    try:
        with httpx.Client(base_url=server.url) as http:
            assert create(http, "before").status_code == 201
            cluster.stop()
            for pid in server.workers_now():
                os.kill(pid, signal.SIGKILL)
            server.wait_for("/healthz", {503})
            time.sleep(1)
            assert server.alive()
            assert_unavailable(create(http, "while-down"))
            assert_unavailable(http.get(ADAPTERS))
            page = http.get("/workspaces/default/adapters")
            assert page.status_code == 503 and "text/html" in page.headers["Content-Type"]
            assert int(page.headers["Retry-After"]) >= 1
            assert http.get("/healthz").json()["database"] == "unreachable"
            cluster.start()
            back = server.wait_for(f"{ADAPTERS}/before", {200}, seconds=5)
            assert create(http, "after").status_code == 201
    finally:
        server.stop()
    report("postgresql_down_workers_restarted", {"served_again_after_s": round(back, 2)})


@pytest.mark.postgres
def test_a_server_started_while_postgresql_is_down_serves_once_it_is_up(tmp_path, cluster):
    """Started with PostgreSQL down: the server starts, answers 503; once PostgreSQL is up it
    prepares the schema and serves, with no restart."""
    cluster.stop()
    server = Server(tmp_path, cluster.url).start(ready=None)
    try:
        server.wait_for("/healthz", {503})
        assert_unavailable(httpx.post(f"{server.url}{ADAPTERS}", json=valid_body()))
        cluster.start()
        back = server.wait_for(ADAPTERS, {200}, seconds=5)
        assert httpx.post(f"{server.url}{ADAPTERS}", json=valid_body()).status_code == 201
    finally:
        server.stop()
    report("postgresql_down_at_start", {"served_after_s": round(back, 2)})


@pytest.mark.postgres
def test_a_postgresql_restart_under_load_gives_only_503s(tmp_path, cluster):
    """PostgreSQL restarted under a stream of creates: while it is down every failure is a 503
    with Retry-After, then 201s again; every 201 is stored and the counters match the rows."""
    server = Server(tmp_path, cluster.url).start()
    try:
        with Writers(server.url, 6, "restart") as writers:
            time.sleep(2)
            cluster.stop()
            time.sleep(3)
            cluster.start()
            back = time.monotonic()
            wait_until(lambda: writers.answers[-1][0] > back and writers.answers[-1][1] == 201,
                       10)
            time.sleep(1)
    finally:
        server.stop()
    assert writers.failures == []
    assert writers.unavailable
    for response in writers.unavailable:
        assert_unavailable(response)
    kept = stored(cluster.url)
    assert writers.acknowledged <= set(kept)
    statuses = Counter(status for _, status, _, _ in writers.answers)
    report("postgresql_restart_under_load", {"created": statuses[201],
                                             "unavailable_503": statuses[503], "other_5xx": 0,
                                             "lost": 0})
