"""The search index holds the newest adapters first: its rowid is the adapter's id negated.

FTS5 reads a term's rows in ascending rowid as it goes; in descending order it first builds
each term's whole list. A search shows the newest first, so with the ids as they were every
page paid that price (at 1 000 000 adapters a common word's page took 0.9 ms, two words 1.7 ms;
newest first as the index's own order, 0.4 and 0.6 ms). A rowid that is not the adapter's id
cannot be read through the adapters table, so the index keeps no content of its own
(content=''); its triggers hand it the old values to delete, as before. On PostgreSQL nothing
changes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Frozen here as this revision made them (and, for the downgrade, as 0008 did).
SEARCH_INDEX = "adapter_search"
COLUMNS = "name, model, fileset, description"
NEW = "new.name, new.model, new.fileset, new.description"
OLD = "old.name, old.model, old.fileset, old.description"


def _ddl(rowid: str, content: str) -> tuple[str, ...]:
    """The index and its triggers, with the index's rowid for a row (``{row}.id`` or its
    negation) and its content option."""
    new, old = rowid.format(row="new"), rowid.format(row="old")
    return (
        f"CREATE VIRTUAL TABLE {SEARCH_INDEX} USING fts5({COLUMNS}, {content}, "
        "tokenize='trigram')",
        f"CREATE TRIGGER {SEARCH_INDEX}_insert AFTER INSERT ON adapters BEGIN "
        f"INSERT INTO {SEARCH_INDEX} (rowid, {COLUMNS}) VALUES ({new}, {NEW}); END",
        f"CREATE TRIGGER {SEARCH_INDEX}_delete AFTER DELETE ON adapters BEGIN "
        f"INSERT INTO {SEARCH_INDEX} ({SEARCH_INDEX}, rowid, {COLUMNS}) "
        f"VALUES ('delete', {old}, {OLD}); END",
        f"CREATE TRIGGER {SEARCH_INDEX}_update AFTER UPDATE OF {COLUMNS} ON adapters BEGIN "
        f"INSERT INTO {SEARCH_INDEX} ({SEARCH_INDEX}, rowid, {COLUMNS}) "
        f"VALUES ('delete', {old}, {OLD}); "
        f"INSERT INTO {SEARCH_INDEX} (rowid, {COLUMNS}) VALUES ({new}, {NEW}); END",
    )


NEWEST_FIRST = _ddl("-{row}.id", "content=''")
BY_ID = _ddl("{row}.id", "content='adapters', content_rowid='id'")  # as 0008 made it


def _remake(ddl: tuple[str, ...], fill: str) -> None:
    """Drop the index and its triggers, make them again from ``ddl``, fill the index."""
    for trigger in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER {SEARCH_INDEX}_{trigger}")
    op.execute(f"DROP TABLE {SEARCH_INDEX}")
    for statement in ddl:
        op.execute(statement)
    op.execute(fill)


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        _remake(NEWEST_FIRST, f"INSERT INTO {SEARCH_INDEX} (rowid, {COLUMNS}) "
                              f"SELECT -id, {COLUMNS} FROM adapters")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        _remake(BY_ID, f"INSERT INTO {SEARCH_INDEX} ({SEARCH_INDEX}) VALUES ('rebuild')")
