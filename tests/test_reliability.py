"""Reliability under a real multi-process server: races, sustained mixed load, and SIGKILL.

gunicorn serves the app as `make serve` does (tests/servers.py: gevent workers, the settings in
webui/serving.py) with several worker processes, on one SQLite file or, in the PostgreSQL pass,
on a PostgreSQL database of the test's own. The figures each run reaches are written to
tests/reports/reliability.json, keyed by test and database.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from conftest import API, valid_body
from htmlquery import every
from servers import Server, counters_match, free_port, integrity, moment, report, rows
from sqlalchemy.engine import make_url

from webui import rules

pytestmark = pytest.mark.slow
ON_POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))
# The PostgreSQL pass runs the load for less time, to keep CI's total in check.
LOAD_SECONDS = float(os.environ.get("RELIABILITY_LOAD_SECONDS", "15" if ON_POSTGRES else "30"))
LOAD_CLIENTS = 16


@pytest.fixture
def server(tmp_path, server_database_url) -> Iterator[Server]:
    """gunicorn, 4 gevent workers, on a fresh SQLite file or PostgreSQL database."""
    running = Server(tmp_path, server_database_url).start()
    yield running
    running.stop()


def backend(url: str) -> str:
    """The database's kind: "sqlite" or "postgresql"."""
    return make_url(url).get_backend_name()








def test_twenty_clients_racing_for_one_name_get_one_201(server: Server):
    """20 clients create the same name at once: exactly one 201, the rest 409, never a 500."""
    barrier = threading.Barrier(20)
    answers: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def create() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            barrier.wait()
            response = http.post(f"{API}/default/adapters", json=valid_body(name="contended"))
            with lock:
                answers.append((response.status_code, response.json()))

    threads = [threading.Thread(target=create) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = Counter(status for status, _ in answers)
    assert statuses == {201: 1, 409: 19}
    conflict = next(body for status, body in answers if status == 409)
    assert conflict == {
        "detail": "Adapter with name 'contended' already exists in workspace 'default'"}
    assert list(rows(server.database_url)) == ["default/contended"]
    report(f"same_name_race ({backend(server.database_url)})", {
        "clients": 20, "created": statuses[201], "conflicts": statuses[409], "server_errors": 0})


class Client(threading.Thread):
    """One load client: creates, patches and deletes its own adapters, and lists."""

    def __init__(self, number: int, url: str, deadline: float):
        super().__init__()
        self.number, self.url, self.deadline = number, url, deadline
        self.random = random.Random(number)
        self.expected: dict[str, dict] = {}  # what the 2xx answers say is stored
        self.counts: Counter = Counter()
        self.problems: list[str] = []

    def check(self, response: httpx.Response, *wanted: int) -> bool:
        self.counts[response.status_code] += 1
        if "database is locked" in response.text:
            self.problems.append(f"locked: {response.request.method} {response.request.url}")
        if response.status_code not in wanted:
            self.problems.append(
                f"{response.request.method} {response.request.url}: {response.status_code} "
                f"{response.text[:200]}")
            return False
        return True

    def run(self) -> None:
        workspace = f"load{self.number % 4}"
        base = f"{API}/{workspace}/adapters"
        serial = 0
        with httpx.Client(base_url=self.url, timeout=60) as http:
            while time.monotonic() < self.deadline:
                roll = self.random.random()
                owned = sorted(self.expected)
                if roll < 0.4 or not owned:
                    serial += 1
                    name = f"c{self.number}-{serial}"
                    body = valid_body(name=name, description=f"client {self.number}",
                                      enabled=self.random.random() < 0.5)
                    response = http.post(base, json=body)
                    if self.check(response, 201):
                        self.expected[name] = response.json()
                elif roll < 0.6:
                    name = self.random.choice(owned)
                    change = {"description": f"patched {serial}",
                              "enabled": self.random.random() < 0.5}
                    response = http.patch(f"{base}/{name}", json=change)
                    if self.check(response, 200):
                        self.expected[name] = response.json()
                elif roll < 0.75:
                    name = self.random.choice(owned)
                    if self.check(http.delete(f"{base}/{name}"), 204):
                        del self.expected[name]
                else:
                    query = self.random.choice([
                        "", "?sort=-updated_at&page_size=20", "?page=2&page_size=5",
                        "?filter[enabled]=true", f"?filter[name][$like]=c{self.number}-",
                    ])
                    self.check(http.get(base + query), 200)


def test_sustained_mixed_load_loses_nothing(server: Server):
    """16 clients for 30 s (15 s on PostgreSQL) of creates, patches, deletes and lists on 4
    worker processes: no 5xx, no 'database is locked', and the database holds exactly what the
    2xx said."""
    deadline = time.monotonic() + LOAD_SECONDS
    clients = [Client(number, server.url, deadline) for number in range(LOAD_CLIENTS)]
    started = time.monotonic()
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    elapsed = time.monotonic() - started
    counts = sum((client.counts for client in clients), Counter())
    problems = [problem for client in clients for problem in client.problems]
    assert problems == []
    assert "database is locked" not in server.log.read_text()

    expected = {f"{client_workspace(c)}/{name}": body
                for c in clients for name, body in c.expected.items()}
    stored = rows(server.database_url)
    assert set(stored) == set(expected)
    for key, body in expected.items():
        row = stored[key]
        assert (row["description"], bool(row["enabled"]), row["fileset"]) == (
            body["description"], body["enabled"], body["fileset"])
        assert rules.format_timestamp(moment(row["updated_at"])) == body["updated_at"]
    # and the API agrees with the database, walking every page
    listed = {}
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for workspace in {client_workspace(c) for c in clients}:
            page = 1
            while True:
                body = http.get(f"{API}/{workspace}/adapters?page={page}&page_size=1000").json()
                listed.update({f"{workspace}/{a['name']}": a for a in body["data"]})
                if page >= body["pagination"]["total_pages"]:
                    break
                page += 1
    assert listed == expected
    assert integrity(server.database_url) == "ok"
    assert counters_match(server.database_url)
    requests = sum(counts.values())
    report(f"mixed_load ({backend(server.database_url)})", {
        "clients": LOAD_CLIENTS, "workers": server.workers, "seconds": round(elapsed, 1),
        "requests": requests, "requests_per_second": round(requests / elapsed),
        "by_status": dict(sorted(counts.items())),
        "server_errors": sum(n for status, n in counts.items() if status >= 500),
        "database_locked": 0, "adapters_expected": len(expected),
        "adapters_lost": len(set(expected) - set(stored)),
    })


def client_workspace(client: Client) -> str:
    return f"load{client.number % 4}"


def test_sigkill_mid_stream_keeps_every_acknowledged_adapter(tmp_path, server_database_url):
    """Kill the server (SIGKILL) during a stream of creates, restart it on the same database:
    every 201 is there and whole, nothing half-written is, the counters match the rows, and a
    SQLite file passes integrity_check."""
    server = Server(tmp_path, server_database_url, workers=2).start()
    acknowledged: dict[str, dict] = {}
    stop = threading.Event()
    lock = threading.Lock()

    def stream(number: int) -> None:
        serial = 0
        with httpx.Client(base_url=server.url, timeout=10) as http:
            while not stop.is_set():
                serial += 1
                name = f"s{number}-{serial}"
                try:
                    response = http.post(f"{API}/crash/adapters", json=valid_body(
                        name=name, description="x" * 500, lora_config={"rank": 8, "alpha": 16}))
                except httpx.TransportError:
                    return  # the server is gone: this one's fate is unknown, as it should be
                if response.status_code == 201:
                    with lock:
                        acknowledged[name] = response.json()

    threads = [threading.Thread(target=stream, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 150 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.stop(signal.SIGKILL)  # master and workers, mid-request
    stop.set()
    for thread in threads:
        thread.join()
    assert len(acknowledged) >= 150, server.log_tail()

    assert integrity(server.database_url) == "ok"
    server.port = free_port()
    server.start()  # the same database (a SQLite file recovered from its WAL)
    try:
        stored = rows(server.database_url)
        missing = [name for name in acknowledged if f"crash/{name}" not in stored]
        assert missing == []
        with httpx.Client(base_url=server.url, timeout=10) as http:
            for name, body in acknowledged.items():
                assert http.get(f"{API}/crash/adapters/{name}").json() == body
        for row in stored.values():  # nothing half-written: every stored row is whole
            assert row["description"] == "x" * 500
            assert (row["lora_rank"], row["lora_alpha"]) == (8, 16)
            assert rules.check_name(row["name"]) is None
            assert row["model"] == "crash/base-model" and row["created_at"]
        assert counters_match(server.database_url)
        assert integrity(server.database_url) == "ok"
    finally:
        server.stop()
    report(f"sigkill ({backend(server.database_url)})", {
        "acknowledged": len(acknowledged), "stored": len(stored), "adapters_lost": 0,
        "counters_match": True,
        "integrity_check": "ok" if server.database else "not applicable"})


def test_the_sign_in_throttle_holds_across_four_workers(tmp_path, server_database_url):
    """Under gunicorn with 4 workers: five wrong passwords, then the sixth try is a 429, and so
    is the right password, whichever worker answers (the failures are kept in the database)."""
    running = Server(tmp_path, server_database_url, settings={"WEBUI_AUTH": "on"})
    made = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "webui", "users", "create", "alice",
         "--password-stdin"], input="correct horse battery\n", text=True,
        env=running.environment, capture_output=True)
    assert made.returncode == 0, made.stderr
    running.start()
    try:
        statuses = []
        for password in ["wrong password!"] * 6 + ["correct horse battery"] * 3:
            with httpx.Client(base_url=running.url, timeout=30) as client:
                token = every(client.get("/login").text, "input[name=csrf_token]")[0]["value"]
                statuses.append(client.post("/login", data={
                    "csrf_token": token, "username": "alice", "password": password}).status_code)
    finally:
        running.stop()
    assert statuses == [422] * 5 + [429] * 4
