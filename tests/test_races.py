"""Races end in contract answers, and time moves forward: an adapter's `updated_at` strictly
increases with each committed change, a workspace's last change never goes backwards, each
answer is the adapter its URL named as that request committed it, and ids are never reused.

The fast tests run in process; the slow ones drive a real server (tests/servers.py) on SQLite or,
in the PostgreSQL pass, on PostgreSQL. Their figures go to tests/reports/reliability.json.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import pairwise

import httpx
import pytest
from conftest import API, valid_body
from servers import Server, counters_match, moment, report
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url

from webui import queries, workspaces
from webui.extensions import db

RACE_SECONDS = float(os.environ.get("RACE_SECONDS", "20"))
CLIENTS = 12
NOON = datetime(2026, 6, 1, 12, 0, 0)




@pytest.fixture
def clock(monkeypatch) -> list[datetime]:
    """The app's clock, stopped: every write reads ``clock[0]``, which a test sets."""
    now = [NOON]
    for module in (queries, workspaces):
        monkeypatch.setattr(module, "utcnow", lambda: now[0])
    return now


def workspace_updated_at(app, name: str) -> datetime:
    with app.app_context():
        found = db.session.execute(text("SELECT updated_at FROM workspaces WHERE name = :name"),
                                   {"name": name}).scalar()
        db.session.remove()
    return moment(found)


# --- in process -------------------------------------------------------------------------------

def test_a_patch_answers_the_adapter_its_url_named_as_stored(client, create):
    """The answer is the stored adapter the URL named, with this change's time."""
    create(name="first")
    create(name="second", description="untouched")
    answer = client.patch(f"{API}/default/adapters/first", json={"description": "new"})
    assert answer.status_code == 200
    assert answer.get_json() == client.get(f"{API}/default/adapters/first").get_json()
    assert (answer.get_json()["name"], answer.get_json()["description"]) == ("first", "new")
    model_route = client.patch(f"{API}/default/models/base-model/adapters/second",
                               json={"enabled": False})
    assert model_route.get_json() == client.get(f"{API}/default/adapters/second").get_json()
    assert model_route.get_json()["description"] == "untouched"


def test_a_patch_answer_is_not_read_again_after_its_commit(app, client, create):
    """Right after the PATCH commits, its row's id comes to name another adapter (as when SQLite
    gave a deleted last row's id to the next insert): the answer is still the PATCH's own."""
    create(name="first")

    def swap(_session) -> None:
        with db.engine.begin() as other:
            other.execute(text("UPDATE adapters SET name = 'intruder', description = 'theirs' "
                               "WHERE name = 'first'"))

    with app.app_context():
        event.listen(db.session, "after_commit", swap, once=True)
        try:
            answer = client.patch(f"{API}/default/adapters/first", json={"description": "mine"})
        finally:
            if event.contains(db.session, "after_commit", swap):
                event.remove(db.session, "after_commit", swap)
    assert answer.status_code == 200
    assert (answer.get_json()["name"], answer.get_json()["description"]) == ("first", "mine")
    assert client.get(f"{API}/default/adapters/intruder").status_code == 200  # it did happen


def test_updated_at_moves_forward_within_one_clock_tick(client, create, clock):
    """Changes within one tick of the clock, or after it went back, still get later times."""
    created = moment(create()["updated_at"])
    times = [created]
    for number in range(3):
        if number == 2:
            clock[0] = NOON - timedelta(hours=1)  # the clock steps back
        answer = client.patch(f"{API}/default/adapters/lora-a", json={"description": f"{number}"})
        times.append(moment(answer.get_json()["updated_at"]))
    assert times == [NOON + timedelta(microseconds=step) for step in range(4)]
    stored = client.get(f"{API}/default/adapters/lora-a").get_json()["updated_at"]
    assert moment(stored) == times[-1]


def test_a_workspace_last_change_never_goes_back(app, client, create, clock):
    """A change stamped earlier than the workspace's last (a lagging clock) keeps the later."""
    clock[0] = NOON + timedelta(hours=1)
    create(name="early")
    clock[0] = NOON  # the next writers' clock is behind
    create(name="late")
    assert workspace_updated_at(app, "default") == NOON + timedelta(hours=1)
    assert client.patch(f"{API}/default/adapters/late", json={"enabled": False}).status_code == 200
    assert client.delete(f"{API}/default/adapters/early").status_code == 204
    assert workspace_updated_at(app, "default") == NOON + timedelta(hours=1)
    answer = client.put("/apis/entities/v2/workspaces/default", json={"description": "d"})
    assert moment(answer.get_json()["updated_at"]) == NOON + timedelta(hours=1)
    clock[0] = NOON + timedelta(hours=2)
    create(name="later")
    assert workspace_updated_at(app, "default") == NOON + timedelta(hours=2)


def test_ids_are_not_reused_after_the_last_row_is_deleted(app, client, create):
    """Create a, delete a, create b: b gets a new id, not a's."""
    create(name="a")
    with app.app_context():
        first = db.session.execute(text("SELECT id FROM adapters WHERE name = 'a'")).scalar()
        db.session.remove()
    assert client.delete(f"{API}/default/adapters/a").status_code == 204
    create(name="b")
    with app.app_context():
        second = db.session.execute(text("SELECT id FROM adapters WHERE name = 'b'")).scalar()
        db.session.remove()
    assert second > first


# --- against a real server --------------------------------------------------------------------

@pytest.fixture
def server(tmp_path, server_database_url) -> Iterator[Server]:
    """gunicorn with make serve's settings, 4 workers, on a database of its own."""
    running = Server(tmp_path, server_database_url, workers=4).start()
    yield running
    running.stop()


@pytest.fixture
def database(server: Server) -> Iterator[Engine]:
    """The server's database, opened by the test itself."""
    engine = create_engine(server.database_url)
    yield engine
    engine.dispose()


def backend(engine: Engine) -> str:
    return engine.dialect.name


# Every committed change of an adapter or a workspace, in commit order: a row per UPDATE,
# numbered by a key that never goes back.
CHANGE_LOG = {
    "sqlite": [
        "CREATE TABLE change_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT, at TEXT)",
        *(f"CREATE TRIGGER log_{table} AFTER UPDATE ON {table} BEGIN "
          f"INSERT INTO change_log (source, at) VALUES ('{table}', NEW.updated_at); END"
          for table in ("adapters", "workspaces")),
    ],
    "postgresql": [
        "CREATE TABLE change_log (seq serial PRIMARY KEY, source text, at timestamp)",
        "CREATE FUNCTION log_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "INSERT INTO change_log (source, at) VALUES (TG_TABLE_NAME, NEW.updated_at); "
        "RETURN NULL; END $$",
        *(f"CREATE TRIGGER log_{table} AFTER UPDATE ON {table} "
          "FOR EACH ROW EXECUTE FUNCTION log_change()" for table in ("adapters", "workspaces")),
    ],
}


def recorded(engine: Engine, source: str) -> list[datetime]:
    """The times the change log holds for ``source``, in commit order."""
    with engine.connect() as connection:
        found = connection.execute(text(
            "SELECT at FROM change_log WHERE source = :source ORDER BY seq"), {"source": source})
        return [moment(at) for (at,) in found]


def run_clients(work, count: int = CLIENTS) -> None:
    """Run ``work(number)`` in ``count`` threads that start together; wait for them all."""
    start = threading.Barrier(count)

    def client(number: int) -> None:
        start.wait()
        work(number)

    threads = [threading.Thread(target=client, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@pytest.mark.slow
def test_concurrent_patches_commit_times_in_order(server: Server, database: Engine):
    """12 clients × 150 PATCHes of one adapter: the committed `updated_at`s strictly increase,
    the workspace's last change never goes back, and each answer carries its own time."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        assert http.post(f"{API}/clock/adapters", json=valid_body(name="one")).status_code == 201
    with database.begin() as connection:
        for statement in CHANGE_LOG[backend(database)]:
            connection.execute(text(statement))
    answers: list[tuple[int, dict]] = []

    def patch(number: int) -> None:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            for turn in range(150):
                response = http.patch(f"{API}/clock/adapters/one",
                                      json={"description": f"{number}-{turn}"})
                answers.append((response.status_code, response.json()))

    started = time.monotonic()
    run_clients(patch)
    seconds = time.monotonic() - started
    adapter_times = recorded(database, "adapters")
    workspace_times = recorded(database, "workspaces")
    answered = [moment(body["updated_at"]) for status, body in answers if status == 200]
    backwards = sum(later <= earlier for earlier, later in pairwise(adapter_times))
    workspace_backwards = sum(later < earlier for earlier, later in pairwise(workspace_times))
    report(f"patch_time_order ({backend(database)})", {
        "clients": CLIENTS, "patches": len(answers), "seconds": round(seconds, 1),
        "statuses": dict(Counter(status for status, _ in answers)),
        "commits_recorded": len(adapter_times), "not_later_than_the_one_before": backwards,
        "workspace_went_back": workspace_backwards,
        "distinct_answer_times": len(set(answered))})
    assert [status for status, _ in answers] == [200] * CLIENTS * 150
    assert len(adapter_times) == len(workspace_times) == CLIENTS * 150
    assert backwards == 0 and workspace_backwards == 0
    assert sorted(answered) == adapter_times  # each answer is its own commit's time


RACE_NAMES = [f"race-{number}" for number in range(10)]


def race_step(http: httpx.Client, name: str) -> tuple[str, int, dict | None]:
    """One create, PATCH or DELETE of ``name`` (either route); what was done and the answer."""
    kind = random.choice(("create", "patch", "delete"))
    via_model = random.random() < 0.3
    base = f"{API}/race/models/base-model/adapters" if via_model else f"{API}/race/adapters"
    if kind == "create":
        body = valid_body(name=name)
        if via_model:
            del body["model"]
        response = http.post(base, json=body)
    elif kind == "patch":
        response = http.patch(f"{base}/{name}", json={"description": f"{random.random()}"})
    else:
        response = http.delete(f"{base}/{name}")
    body = response.json() if response.headers.get("content-type") == "application/json" else None
    return kind, response.status_code, body



@pytest.mark.slow
def test_create_delete_patch_races_end_in_contract_answers(server: Server, database: Engine):
    """12 clients create, PATCH and delete ten names for 20 s: no 5xx, every answer names the
    adapter its URL named, each name's 201s and 204s add up to what is stored, counters match."""
    outcomes: list[tuple[str, str, int, dict | None]] = []
    deadline = time.monotonic() + RACE_SECONDS

    def race(number: int) -> None:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            while time.monotonic() < deadline:
                name = random.choice(RACE_NAMES)
                outcomes.append((name, *race_step(http, name)))

    run_clients(race)
    with database.connect() as connection:
        stored = set(connection.execute(text("SELECT name FROM adapters")).scalars())
    wrong = [(name, body) for name, _, status, body in outcomes if status in (200, 201)
             and (body["name"], body["workspace"]) != (name, "race")]
    statuses = Counter((kind, status) for _, kind, status, _ in outcomes)
    unaccounted = [name for name in RACE_NAMES if sum(
        {201: 1, 204: -1}.get(status, 0) for named, _, status, _ in outcomes if named == name)
        != (name in stored)]
    report(f"create_delete_patch_race ({backend(database)})", {
        "clients": CLIENTS, "seconds": RACE_SECONDS, "requests": len(outcomes),
        "by_kind_and_status": {f"{kind} {status}": count
                               for (kind, status), count in sorted(statuses.items())},
        "server_errors": sum(status >= 500 for _, _, status, _ in outcomes),
        "answers_naming_another_adapter": len(wrong),
        "names_whose_201s_and_204s_disagree_with_the_rows": len(unaccounted),
        "counters_match": counters_match(server.database_url)})
    allowed = {"create": {201, 409}, "patch": {200, 404}, "delete": {204, 404}}
    assert {(kind, status) for kind, status in statuses if status not in allowed[kind]} == set()
    assert wrong == [] and unaccounted == []
    assert counters_match(server.database_url)


def delete_race_round(url: str) -> list[tuple[str, int, dict | None]]:
    """Make the adapter "twin", then six clients DELETE it while six PATCH it, all at once."""
    with httpx.Client(base_url=url, timeout=30) as http:
        assert http.post(f"{API}/twins/adapters", json=valid_body(name="twin")).status_code == 201
    answers: list[tuple[str, int, dict | None]] = []

    def act(number: int) -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            if number % 2:
                response = http.patch(f"{API}/twins/adapters/twin", json={"enabled": False})
                answers.append(("patch", response.status_code, response.json()))
            else:
                response = http.delete(f"{API}/twins/adapters/twin")
                answers.append(("delete", response.status_code, None))

    run_clients(act)
    return answers


@pytest.mark.slow
def test_deletes_racing_deletes_and_patches_give_one_204(server: Server):
    """Six DELETEs and six PATCHes of one adapter at once, 30 times over: one 204 and five 404s
    among the deletes; each PATCH a 200 with that adapter or a 404."""
    rounds = [delete_race_round(server.url) for _ in range(30)]
    deletes = [sorted(status for kind, status, _ in answers if kind == "delete")
               for answers in rounds]
    patches = [(status, body) for answers in rounds for kind, status, body in answers
               if kind == "patch"]
    report(f"delete_race ({make_url(server.database_url).get_backend_name()})", {
        "rounds": len(rounds), "clients": CLIENTS,
        "patch_statuses": dict(Counter(status for status, _ in patches)),
        "rounds_with_one_204": sum(found == [204] + [404] * 5 for found in deletes)})
    assert deletes == [[204] + [404] * 5] * 30
    assert all(status == 404 or (status == 200 and body["name"] == "twin")
               for status, body in patches), patches


@pytest.mark.parametrize("method", ["put", "delete"])
def test_a_workspace_change_racing_its_deletion_is_a_404(app, client, monkeypatch, method):
    """PUT or DELETE of a workspace that another request deletes between this one's read and
    its write: the contract's 404, never a 500."""
    with app.app_context():
        workspaces.create_workspace("doomed", None, "local")
    read = workspaces.get_workspace

    def read_then_lose(name: str):
        record = read(name)
        with db.engine.connect() as other:  # another request's DELETE, committed
            other.execute(text("DELETE FROM workspaces WHERE name = :name"), {"name": name})
            other.commit()
        return record

    monkeypatch.setattr(workspaces, "get_workspace", read_then_lose)
    response = getattr(client, method)("/apis/entities/v2/workspaces/doomed",
                                       json={"description": "late"})
    assert response.status_code == 404
    assert response.get_json() == {"detail": "Workspace 'doomed' not found"}
