"""Schema versions: a database from the first release upgrades in place, with every row kept."""

from __future__ import annotations

import ast
import os
import sqlite3
import time
from pathlib import Path

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import API, valid_body
from sqlalchemy import inspect, text

from webui import create_app
from webui.database import head_revision
from webui.extensions import db
from webui.models import is_model_table

FIRST_SCHEMA = Path(__file__).parent / "data" / "schema_v1.sql"
ON_SQLITE = not os.environ.get("TEST_DATABASE_URL")

FIRST_RELEASE_ROWS = [
    # workspace, name, description, fileset, type, enabled, rank, alpha, model, created, updated
    ("default", "lora-a", None, "default/fs1", "lora", 1, 8, 16, "default/base-model",
     "2026-01-02 03:04:05.000001", "2026-01-02 03:04:05.000001"),
    ("default", "dpo-b", "kept", "fs2", "dpo", 0, None, None, "shared/llama",
     "2026-01-03 00:00:00.000000", "2026-02-01 00:00:00.000000"),
    ("team", "p-c", "x" * 1000, "team/f", "p_tuning", 1, None, None, "team/base-model",
     "2026-01-04 00:00:00.000000", "2026-01-04 00:00:00.000000"),
]


def current_revision(app) -> str | None:
    with app.app_context(), db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@pytest.mark.skipif(not ON_SQLITE, reason="the first release's SQLite file")
def test_a_first_release_sqlite_file_upgrades_in_place(tmp_path):
    """A file made by the first release's schema: the app upgrades it on start, rows intact."""
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.executescript(FIRST_SCHEMA.read_text())
        connection.executemany(
            "INSERT INTO adapters (workspace, name, description, fileset, finetuning_type, "
            "enabled, lora_rank, lora_alpha, model, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", FIRST_RELEASE_ROWS)
        connection.executemany(
            "INSERT INTO workspaces (name, adapter_count, updated_at) VALUES (?, ?, ?)",
            [("default", 2, "2026-02-01 00:00:00.000000"),
             ("team", 1, "2026-01-04 00:00:00.000000")])
    connection.close()
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    assert current_revision(app) == head_revision()
    client = app.test_client()
    listed = client.get(f"{API}/default/adapters?sort=name").get_json()["data"]
    assert [(a["name"], a["enabled"], a["lora_config"], a["model"], a["created_at"])
            for a in listed] == [
        ("dpo-b", False, None, "shared/llama", "2026-01-03T00:00:00.000000Z"),
        ("lora-a", True, {"alpha": 16, "rank": 8}, "default/base-model",
         "2026-01-02T03:04:05.000001Z"),
    ]
    assert client.get(f"{API}/team/adapters/p-c").get_json()["description"] == "x" * 1000
    # the name index was built from the rows already there
    found = client.get(f"{API}/default/adapters?filter[name][$like]=RA-").get_json()["data"]
    assert [adapter["name"] for adapter in found] == ["lora-a"]
    # the new version's table was filled from the rows already there
    page = client.get("/workspaces/default/new-adapter").get_data(as_text=True)
    assert '<option value="shared/llama">' in page and '<option value="default/base-model">' in page
    created = client.post(f"{API}/default/adapters", json=valid_body(name="new-one"))
    assert created.status_code == 201
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT COUNT(*) FROM adapters").fetchone()[0] == 4
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    connection.close()
    with app.app_context():
        db.engine.dispose()


def test_a_database_at_an_older_version_upgrades_on_start(app, create):
    """Stamped at the first version (as upgraded by an older release), it upgrades on start."""
    create(model="llama-3")
    with app.app_context():
        db.session.remove()
        flask_migrate.downgrade(revision="0001")  # undoes what every later version added
        assert "workspace_models" not in inspect(db.engine).get_table_names()
    assert current_revision(app) == "0001"
    again = create_app(dict(app.config, INSTANCE_PATH=app.instance_path))
    assert current_revision(again) == head_revision()
    page = again.test_client().get("/workspaces/default/new-adapter").get_data(as_text=True)
    assert '<option value="default/llama-3">' in page
    with again.app_context():
        db.session.remove()
        db.engine.dispose()


def upgrade_from_nothing(app) -> None:
    """Empty the database, then build it again by running every migration in turn."""
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.session.execute(text("DROP TABLE alembic_version"))
        db.session.commit()
        flask_migrate.upgrade()


def test_migrations_build_the_same_schema_as_the_models(app):
    """Upgrading an empty database step by step gives exactly the tables the models declare."""
    upgrade_from_nothing(app)
    with app.app_context():
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={
                "include_name": lambda name, kind, _: (
                    kind not in ("table", "index") or is_model_table(name))})
            differences = compare_metadata(context, db.metadata)
        assert differences == []
        tables = set(inspect(db.engine).get_table_names())
        assert {name for name in tables if is_model_table(name)} == {
            "adapters", "workspaces", "workspace_models", "model_type_counts", "alembic_version",
            "workspace_members", "activity_events",
            "users", "login_sessions", "api_tokens", "login_failures"}
        assert ("adapter_search" in tables) == (db.engine.dialect.name == "sqlite")
        assert "adapter_names" not in tables  # replaced by the search index (0008)


def _search_index_ddl(app) -> list[str]:
    """The SQL of the search index and its triggers, as the database holds it."""
    with app.app_context():
        return list(db.session.execute(text(
            "SELECT sql FROM sqlite_master WHERE name LIKE 'adapter_search%' AND sql IS NOT NULL "
            "ORDER BY name")).scalars())


@pytest.mark.skipif(not ON_SQLITE, reason="the SQLite search index")
def test_migrated_search_index_is_the_one_the_models_make(app):
    """The frozen DDL of migration 0008 makes the same index and triggers as a new database."""
    made = _search_index_ddl(app)
    upgrade_from_nothing(app)
    assert sum(sql.startswith("CREATE TRIGGER") for sql in made) == 3
    assert _search_index_ddl(app) == made


def test_migrations_carry_their_own_definitions():
    """Migrations are frozen history: none imports the app's live code."""
    versions = Path(__file__).parent.parent / "webui" / "migrations" / "versions"
    imported = set()
    for migration in versions.glob("*.py"):
        for node in ast.walk(ast.parse(migration.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                imported.add((node.module or "").split(".")[0])
    assert "webui" not in imported, imported


def test_a_new_database_starts_at_the_newest_version(app):
    """A fresh database is created at head, not left unversioned."""
    assert current_revision(app) == head_revision() == "0011"


def test_restarting_at_the_newest_version_changes_nothing(app, create):
    """Starting again on an up-to-date database keeps its rows and its version."""
    create()
    again = create_app(dict(app.config, INSTANCE_PATH=app.instance_path))
    assert again.test_client().get(f"{API}/default/adapters/lora-a").status_code == 200
    assert current_revision(again) == head_revision()
    with again.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_search_and_name_indexes_exist_on_either_database(app):
    """SQLite gets one FTS5 trigram table (search and names), PostgreSQL two pg_trgm GIN
    indexes (the four searched fields, and names)."""
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            found = set(db.session.execute(text(
                "SELECT name FROM sqlite_master WHERE name IN ('adapter_search', "
                "'adapter_names')")).scalars())
            wanted = {"adapter_search"}
        else:
            found = set(db.session.execute(text(
                "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'adapter_%_trgm'"
            )).scalars())
            wanted = {"adapter_search_trgm", "adapter_names_trgm"}
        db.session.remove()
    assert found == wanted


@pytest.mark.postgres
@pytest.mark.skipif(ON_SQLITE, reason="several machines on one PostgreSQL server")
def test_processes_on_separate_machines_prepare_the_schema_one_at_a_time(database_url, tmp_path):
    """Processes that share no folder start together on one new database: all come up."""
    import subprocess
    import sys

    go = tmp_path / "go"
    script = (  # imported first, then all wait for one signal, to start at the same moment
        "import os, sys, time\n"
        "from webui import create_app\n"
        "while not os.path.exists(sys.argv[3]): time.sleep(0.001)\n"
        "create_app({'SQLALCHEMY_DATABASE_URI': sys.argv[1], 'INSTANCE_PATH': sys.argv[2]})\n")
    starts = [subprocess.Popen([sys.executable, "-c", script, database_url,
                                str(tmp_path / f"machine-{number}"), str(go)],
                               stderr=subprocess.PIPE)
              for number in range(10)]
    time.sleep(3)  # the imports
    go.touch()
    errors = [process.communicate(timeout=60)[1].decode() for process in starts]
    assert [process.returncode for process in starts] == [0] * 10, errors
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": str(tmp_path)})
    assert current_revision(app) == head_revision()
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_the_previous_release_upgrades_to_people_and_roles(app, create):
    """A database of the release before sign-in (0004): every adapter kept; each workspace
    becomes a record with an id and a first time, and no members."""
    for name in ("a-1", "a-2"):
        create(name=name)
    create(workspace="other", name="b-1")
    with app.app_context():
        db.session.remove()
        flask_migrate.downgrade(revision="0004")
        assert "users" not in inspect(db.engine).get_table_names()
    again = create_app(dict(app.config, INSTANCE_PATH=app.instance_path))
    assert current_revision(again) == head_revision()
    client = again.test_client()
    names = [a["name"] for a in client.get(f"{API}/default/adapters?sort=name").get_json()["data"]]
    assert names == ["a-1", "a-2"]
    listed = client.get("/apis/entities/v2/workspaces").get_json()["data"]
    assert [(w["name"], w["created_by"]) for w in listed] == [("default", None), ("other", None)]
    assert all(len(w["id"]) == 36 and w["created_at"] for w in listed)
    assert client.get("/apis/entities/v2/workspaces/default/members").get_json() == {"data": []}
    with again.app_context():
        db.session.remove()
        db.engine.dispose()


def _adapters_ddl(app) -> list[str]:
    """The SQL of the adapters table, its indexes, and the name index with its triggers, with
    runs of white space made one space."""
    with app.app_context():
        found = db.session.execute(text(
            "SELECT sql FROM sqlite_master WHERE (tbl_name = 'adapters' OR name LIKE "
            "'adapter_search%') AND sql IS NOT NULL ORDER BY name")).scalars()
        return [" ".join(sql.split()) for sql in found]


@pytest.mark.skipif(not ON_SQLITE, reason="the SQLite table's definition")
def test_migrated_adapters_table_is_the_one_the_models_make(app):
    """The frozen DDL of migration 0006 makes the table (ids never reused), its indexes and
    the triggers of the index that replaced the name index (0008) exactly as a new database
    has them."""
    made = _adapters_ddl(app)
    upgrade_from_nothing(app)
    assert any("PRIMARY KEY AUTOINCREMENT" in sql for sql in made)
    assert sum(sql.startswith(("CREATE INDEX", "CREATE TRIGGER")) for sql in made) == 6 + 3
    assert _adapters_ddl(app) == made


def _indexes_ddl(app) -> list[tuple[str, str, str | None]]:
    """Every index of every table, with its SQL (None: made by a constraint), runs of white
    space made one space."""
    with app.app_context():
        found = db.session.execute(text(
            "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' "
            "ORDER BY tbl_name, name")).all()
        return [(table, name, sql and " ".join(sql.split())) for table, name, sql in found]


@pytest.mark.skipif(not ON_SQLITE, reason="the SQLite indexes")
def test_migrated_indexes_are_the_ones_the_models_make(app):
    """The frozen DDL of the migrations (0007's case-blind index of workspace names
    included, which the models make only on SQLite) gives exactly a new database's indexes."""
    made = _indexes_ddl(app)
    assert ("workspaces", "ix_workspaces_name_nocase",
            "CREATE INDEX ix_workspaces_name_nocase ON workspaces (name COLLATE NOCASE, name)"
            ) in made
    upgrade_from_nothing(app)
    assert _indexes_ddl(app) == made


def test_the_previous_release_upgrades_to_the_case_blind_name_index(app, create):
    """A database of the release before (0006): its workspaces kept and searchable in any
    case, in name order ignoring case."""
    for workspace in ("Team-b", "team-a", "other"):
        create(workspace=workspace, name="a-1")
    with app.app_context():
        db.session.remove()
        flask_migrate.downgrade(revision="0006")
        assert "ix_workspaces_name_nocase" not in {
            index["name"] for index in inspect(db.engine).get_indexes("workspaces")}
    again = create_app(dict(app.config, INSTANCE_PATH=app.instance_path))
    assert current_revision(again) == head_revision()
    page = again.test_client().get("/?q=TEAM").get_data(as_text=True)
    assert page.index(">team-a<") < page.index(">Team-b<") and ">other<" not in page
    with again.app_context():
        if db.engine.dialect.name == "sqlite":
            assert "ix_workspaces_name_nocase" in {
                index["name"] for index in inspect(db.engine).get_indexes("workspaces")}
        db.session.remove()
        db.engine.dispose()


def _adapter_ids(app) -> dict[str, int]:
    with app.app_context():
        found = db.session.execute(text("SELECT name, id FROM adapters")).all()
        db.session.remove()
    return dict(found)


def test_the_previous_release_upgrades_to_ids_never_reused(app, create):
    """A database of the release before (0005): every adapter kept with its id, the name index
    still finds them, and the last row's id is not given to the next adapter."""
    for name in ("a-1", "a-2"):
        create(name=name)
    before = _adapter_ids(app)
    with app.app_context():
        db.session.remove()
        flask_migrate.downgrade(revision="0005")
    again = create_app(dict(app.config, INSTANCE_PATH=app.instance_path))
    assert current_revision(again) == head_revision()
    assert _adapter_ids(again) == before
    client = again.test_client()
    found = client.get(f"{API}/default/adapters?filter[name][$like]=A-2").get_json()["data"]
    assert [adapter["name"] for adapter in found] == ["a-2"]
    assert client.delete(f"{API}/default/adapters/a-2").status_code == 204
    assert client.post(f"{API}/default/adapters", json=valid_body(name="a-3")).status_code == 201
    assert _adapter_ids(again)["a-3"] > before["a-2"]
    with again.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_previous_release_upgrades_to_the_search_index(app, create):
    """A database of the release before (0007): its adapters are found by every word of a
    search in any field, and `$like` on the name still finds them; back at 0007, the name
    index it had answers `$like` again."""
    create(name="lora-llama-7", description="Support bot")
    create(workspace="other", name="plain", model="mistral-7b")
    with app.app_context():
        db.session.remove()
        flask_migrate.downgrade(revision="0007")
    again = create_app(dict(app.config, INSTANCE_PATH=app.instance_path))
    assert current_revision(again) == head_revision()
    client = again.test_client()
    page = client.get("/search?q=LLAMA+support").get_data(as_text=True)
    assert "lora-llama-7" in page and "plain" not in page
    assert "plain" in client.get("/search?q=MISTRAL").get_data(as_text=True)
    found = client.get(f"{API}/default/adapters?filter[name][$like]=LLAMA").get_json()["data"]
    assert [adapter["name"] for adapter in found] == ["lora-llama-7"]
    with again.app_context():
        db.session.remove()
        flask_migrate.downgrade(revision="0007")
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(text(
                "SELECT count(*) FROM adapter_names WHERE adapter_names MATCH '\"llama\"'"
            )).scalar() == 1
        db.session.remove()
        db.engine.dispose()


def test_the_migrated_activity_history_refuses_changes_as_a_new_one_does(app, create):
    """Migration 0011's frozen DDL makes the events as append-only as the models do: an
    UPDATE or DELETE of one is refused (on SQLite by the same triggers)."""
    from sqlalchemy.exc import DBAPIError

    made = _activity_ddl(app)
    upgrade_from_nothing(app)
    assert _activity_ddl(app) == made
    create(name="after-upgrade")
    with app.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM activity_events")) == 1
        for statement in ("UPDATE activity_events SET actor = 'x'", "DELETE FROM activity_events"):
            with pytest.raises(DBAPIError, match="never changed or deleted"):
                db.session.execute(text(statement))
            db.session.rollback()
        db.session.remove()


def _activity_ddl(app) -> list[str]:
    """The SQL of the activity history's triggers, as the database holds it (SQLite)."""
    if not ON_SQLITE:
        return []
    with app.app_context():
        found = list(db.session.execute(text(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = "
            "'activity_events' ORDER BY name")).scalars())
        db.session.remove()
    return found
