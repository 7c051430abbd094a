"""Every read and write the views need."""

from __future__ import annotations

import json
import operator
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    DateTime,
    bindparam,
    case,
    cast,
    column,
    func,
    insert,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from . import activity
from .database import one_writer
from .extensions import db
from .listing import ListQuery
from .models import (
    SEARCH_INDEX,
    SEARCH_TEXT_POSTGRESQL,
    Adapter,
    ModelTypeCount,
    Workspace,
    WorkspaceModel,
)
from .rules import LOCAL
from .search import words as search_words


class NameTaken(Exception):
    """The adapter name is already used in the workspace."""

    def __init__(self, workspace: str, name: str) -> None:
        super().__init__(f"Adapter with name '{name}' already exists in workspace '{workspace}'")


class Page(NamedTuple):
    """One page of a list: its rows, the total that match, and where it stands."""

    items: list[Any]
    total: int
    page: int
    page_size: int
    capped: bool = False  # the total is a floor: more rows match than were counted

    @property
    def total_pages(self) -> int:
        """How many pages the matching rows fill."""
        return -(-self.total // self.page_size)

    @property
    def first(self) -> int:
        """The position of the page's first row, counting from 1."""
        return (self.page - 1) * self.page_size + 1


def not_found_message(workspace: str, name: str) -> str:
    """The 404 sentence for an adapter."""
    return f"Adapter '{name}' not found in workspace '{workspace}'"


def utcnow() -> datetime:
    """The current time, naive in UTC, as stored."""
    return datetime.now(UTC).replace(tzinfo=None)


@cache
def _counter_statement(
    dialect: str, counter: type[Workspace] | type[WorkspaceModel] | type[ModelTypeCount],
) -> Any:
    """Add ``:delta`` to a counter row, made if missing: built once, run with parameters."""
    upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    keys = [column.name for column in counter.__table__.primary_key]
    values = {key: bindparam(key) for key in keys} | {"adapter_count": bindparam("delta")}
    changes = {"adapter_count": counter.adapter_count + bindparam("delta")}
    if counter is Workspace:  # a workspace's record: made by its first adapter if need be
        stamp = bindparam("stamp", type_=DateTime())
        values |= {"id": bindparam("id"), "created_at": stamp, "created_by": bindparam("actor"),
                   "updated_at": stamp, "updated_by": bindparam("actor")}
        # the last change never goes backwards: a writer whose clock lags (another process,
        # another machine) keeps the later time already stored
        changes["updated_at"] = case((counter.updated_at > stamp, counter.updated_at),
                                     else_=stamp)
        changes["updated_by"] = bindparam("actor")
    return upsert(counter).values(values).on_conflict_do_update(index_elements=keys, set_=changes)


def _touch_workspace(workspace: str, delta: int, stamp: datetime, actor: str,
                     model: str | None = None, finetuning_type: str | None = None) -> None:
    """Keep the workspace's counts and last change in step, inside the caller's transaction."""
    connection = db.session.connection()
    dialect = connection.dialect.name
    connection.execute(_counter_statement(dialect, Workspace), {
        "name": workspace, "delta": delta, "stamp": stamp, "actor": actor,
        "id": str(uuid.uuid4())})
    if model is not None:
        connection.execute(_counter_statement(dialect, WorkspaceModel),
                           {"workspace": workspace, "model": model, "delta": delta})
    if finetuning_type is not None:
        connection.execute(_counter_statement(dialect, ModelTypeCount), {
            "model": model, "workspace": workspace, "finetuning_type": finetuning_type,
            "delta": delta})


def create_adapter(workspace: str, values: dict[str, Any], actor: str = LOCAL) -> Adapter:
    """Store a new adapter from checked values, made by ``actor``; raise NameTaken if the name
    is used."""
    lora = values.get("lora_config") or {}
    row = {
        "workspace": workspace,
        "name": values["name"],
        "description": values.get("description"),
        "fileset": values["fileset"],
        "finetuning_type": values["finetuning_type"],
        "enabled": values.get("enabled", True),
        "lora_rank": lora.get("rank"),
        "lora_alpha": lora.get("alpha"),
        "model": values["model"],
        "created_by": actor,
        "updated_by": actor,
    }
    try:
        with one_writer():
            # the time is taken once this writer holds the database, as every change's is
            row["created_at"] = row["updated_at"] = utcnow()
            # Core, on the session's connection: the ORM's unit of work is a third of a
            # create's time and buys nothing here
            result = db.session.connection().execute(insert(Adapter.__table__), row)
            _touch_workspace(workspace, 1, row["updated_at"], actor, row["model"],
                             row["finetuning_type"])
            activity.record(workspace, activity.ADAPTER_CREATED, actor, row["updated_at"],
                            row["name"], activity.changed({}, activity.adapter_values(row)))
            db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise NameTaken(workspace, values["name"]) from None
    return Adapter(id=result.inserted_primary_key[0], **row)


def insert_new(*records: Any) -> bool:
    """Store new rows in one transaction; False, with nothing stored, when one of them would
    break a unique constraint (a taken name)."""
    db.session.add_all(records)
    try:
        with one_writer():
            db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def get_adapter(workspace: str, name: str, model: str | None = None) -> Adapter | None:
    """One adapter, or None; with ``model``, only if it belongs to that model."""
    statement = select(Adapter).where(Adapter.workspace == workspace, Adapter.name == name)
    if model is not None:
        statement = statement.where(Adapter.model == model)
    return db.session.scalars(statement).first()


def update_adapter(
    workspace: str, name: str, changes: dict[str, Any], model: str | None = None,
    actor: str = LOCAL,
) -> Adapter | None:
    """Apply checked changes by ``actor`` and set a new ``updated_at``; None if there is no
    such adapter.

    The answer is the adapter as this change committed it, built from the values written:
    never read again afterwards, when the row may be gone or its id another adapter's.
    """
    with one_writer():
        row = _locked_adapter(workspace, name, model)
        if row is None:
            db.session.rollback()
            return None
        # Taken once the row is this writer's: strictly later than the change before it
        # committed, even within one clock tick or when this process's clock lags another's.
        stamp = max(utcnow(), row.updated_at + timedelta(microseconds=1))
        written = {**changes, "updated_at": stamp, "updated_by": actor}
        table = Adapter.__table__
        db.session.connection().execute(
            table.update().where(table.c.id == row.id).values(written))
        _touch_workspace(workspace, 0, stamp, actor)
        after = row._asdict() | written
        activity.record(workspace, activity.ADAPTER_CHANGED, actor, stamp, name,
                        activity.changed(activity.adapter_values(row._mapping),
                                         activity.adapter_values(after)))
        db.session.commit()
    return Adapter(**after)


def _locked_adapter(workspace: str, name: str, model: str | None) -> Any:
    """An adapter's stored row, locked until the transaction ends (SQLite: the writer lock
    already keeps every other writer out), or None."""
    table = Adapter.__table__
    statement = select(table).where(table.c.workspace == workspace, table.c.name == name)
    if model is not None:
        statement = statement.where(table.c.model == model)
    return db.session.connection().execute(statement.with_for_update()).first()


def delete_adapter(workspace: str, name: str, model: str | None = None,
                   actor: str = LOCAL) -> bool:
    """Delete one adapter (``actor`` is the workspace's last changer); False if there was
    none."""
    statement = Adapter.__table__.delete().where(
        Adapter.workspace == workspace, Adapter.name == name
    )
    if model is not None:
        statement = statement.where(Adapter.model == model)
    with one_writer():
        deleted = db.session.connection().execute(statement.returning(*Adapter.__table__.c)).all()
        if len(deleted) != 1:
            db.session.rollback()
            return False
        row = deleted[0]
        stamp = utcnow()
        _touch_workspace(workspace, -1, stamp, actor, row.model, row.finetuning_type)
        activity.record(workspace, activity.ADAPTER_DELETED, actor, stamp, name,
                        activity.changed(activity.adapter_values(row._mapping), {}))
        db.session.commit()
    return True


def _contains(column: Any, term: str) -> Any:
    """Case-insensitive substring match; '%' and '_' in ``term`` match literally.

    SQLite's LIKE already ignores ASCII case, and a plain LIKE is twice as fast there as
    comparing lower() of both sides; PostgreSQL gets ILIKE, which its trigram index serves.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        return column.contains(term, autoescape=True)
    return column.icontains(term, autoescape=True)


# A term found in more rows than this is matched by scanning the workspace (the index would
# hand back too many rows to be quicker); below it, the trigram index answers.
NAME_INDEX_MOST = 5000
SEARCH_SHORTEST = 3  # a trigram index finds words of three characters or more


def _phrase(word: str, column: str | None = None) -> str:
    """An FTS5 query for ``word`` as a literal substring (of ``column`` only, if given)."""
    quoted = '"' + word.replace('"', '""') + '"'
    return f"{column} : {quoted}" if column else quoted


def _index_matches(match: str) -> Any:
    """The ids of the rows the search index finds for an FTS5 query (SQLite)."""
    return select(literal_column("-rowid")).select_from(table(SEARCH_INDEX)).where(
        text(f"{SEARCH_INDEX} MATCH :index_match").bindparams(
            bindparam("index_match", match, unique=True)))


def _index_finds_few(match: str) -> bool:
    """Whether the search index finds at most NAME_INDEX_MOST rows for an FTS5 query."""
    found = db.session.scalar(
        text(f"SELECT count(*) FROM (SELECT rowid FROM {SEARCH_INDEX} WHERE {SEARCH_INDEX} "
             "MATCH :phrase LIMIT :most)"),
        {"phrase": match, "most": NAME_INDEX_MOST + 1},
    )
    return found <= NAME_INDEX_MOST


def _on_sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def _name_contains(term: str) -> tuple[Any, bool]:
    """A case-insensitive substring match on the name, through the trigram index when it helps.

    The index (SQLite only) answers terms of three characters or more, with a filter on its
    name column; its phrase match is literal, like the scan's escaped LIKE. Also says whether
    the index narrowed the rows.
    """
    if not _on_sqlite() or len(term) < SEARCH_SHORTEST:
        return _contains(Adapter.name, term), False
    phrase = _phrase(term, "name")
    if not _index_finds_few(phrase):
        return _contains(Adapter.name, term), False
    return Adapter.id.in_(_index_matches(phrase)), True


def _word_anywhere(word: str) -> Any:
    """A case-insensitive substring match of one word in any searched field, by scanning."""
    if _on_sqlite():
        return or_(*(_contains(column, word) for column in (
            Adapter.name, Adapter.model, Adapter.fileset, Adapter.description)))
    return _search_text().ilike(_like_pattern(word), escape="/")


def _search_text() -> Any:
    """PostgreSQL: the four searched fields joined by spaces, as its trigram index holds them."""
    return literal_column(SEARCH_TEXT_POSTGRESQL)


def _like_pattern(word: str) -> str:
    """``%word%`` with ``/``, ``%`` and ``_`` escaped by ``/``: the word as a literal substring."""
    escaped = word.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


def _search_clauses(words: list[str], in_workspace: bool) -> tuple[list[Any], bool]:
    """The WHERE terms that keep rows holding every word, and whether the index narrowed them.

    On SQLite the words of three characters or more are one query of the trigram index (one
    quoted phrase per word, all ANDed); shorter words, which no trigram index can find, are
    LIKE conditions on the rows it found. Within one workspace (``in_workspace``), words the
    index finds in more than NAME_INDEX_MOST rows are scanned instead, as `$like` does. On
    PostgreSQL each word is one ILIKE on the four fields joined, which pg_trgm's index serves.
    """
    if not _on_sqlite():
        return [_word_anywhere(word) for word in words], False
    long_words = [word for word in words if len(word) >= SEARCH_SHORTEST]
    clauses = [_word_anywhere(word) for word in words if len(word) < SEARCH_SHORTEST]
    if not long_words:
        return clauses, False
    match = " AND ".join(_phrase(word) for word in long_words)
    if in_workspace and not _index_finds_few(match):
        return clauses + [_word_anywhere(word) for word in long_words], False
    return [Adapter.id.in_(_index_matches(match)), *clauses], True


# What each filter operator means, as a clause on a column ('$like' is below: the name has
# its own index).
FILTER_CLAUSES = {
    "$eq": operator.eq,
    "$in": lambda column, values: column.in_(values),
    "$nin": lambda column, values: or_(column.is_(None), column.not_in(values)),
    "$gt": operator.gt,
    "$gte": operator.ge,
    "$lt": operator.lt,
    "$lte": operator.le,
}


def _filter_clauses(conditions: dict[str, dict[str, Any]]) -> tuple[list[Any], bool]:
    """The WHERE terms of a filter, and whether the name index narrowed the rows."""
    clauses = []
    narrowed = False
    for field, operators in conditions.items():
        column = getattr(Adapter, field)
        for name, value in operators.items():
            if name == "$like" and field == "name":
                clause, narrows = _name_contains(value)
                narrowed = narrowed or narrows
            elif name == "$like":
                clause = _contains(column, value)
            else:
                clause = FILTER_CLAUSES[name](column, value)
            clauses.append(clause)
    return clauses, narrowed


def count_in_workspace(workspace: str) -> int:
    """How many adapters a workspace holds, from its counter row."""
    count = db.session.connection().execute(_count_statement(), {"workspace": workspace}).scalar()
    return count or 0


@cache
def _count_statement() -> Any:
    return select(Workspace.adapter_count).where(Workspace.name == bindparam("workspace"))


def list_adapters(workspace: str, query: ListQuery, search: str | None = None) -> Page:
    """One page of a workspace's adapters, filtered and sorted, with the total that match.

    ``search`` (the pages' search box) keeps the rows where every word of it is found,
    case-insensitively, in the name, model, fileset or description.
    """
    filters, narrowed = _filter_clauses(query.filter or {})
    words = search_words(search)
    if words:
        found, by_index = _search_clauses(words, in_workspace=True)
        filters += found
        narrowed = narrowed or by_index
    # When the name index has narrowed the rows, they lead: `workspace || ''` keeps the
    # database from walking the whole workspace's index instead (SQLite, without statistics).
    in_workspace = (Adapter.workspace + "") if narrowed else Adapter.workspace
    clauses = [in_workspace == bindparam("workspace"), *filters]
    parameters = {"workspace": workspace}
    if filters:
        counting = select(func.count()).select_from(Adapter).where(*clauses)
        total = db.session.connection().execute(counting, parameters).scalar()
    else:
        total = count_in_workspace(workspace)
    offset = (query.page - 1) * query.page_size
    if offset >= total:  # past the end: nothing to read
        return Page([], total, query.page, query.page_size)
    if filters:
        statement = _page_statement(query.sort, clauses)
    else:
        statement = _plain_page_statement(query.sort)
    parameters |= {"offset": offset, "limit": query.page_size}
    # Core on the session's connection: plain rows, without the ORM's per-statement work
    rows = db.session.connection().execute(statement, parameters).all()
    return Page(rows, total, query.page, query.page_size)


def _page_statement(sort: str, clauses: list[Any]) -> Any:
    """One page of the rows ``clauses`` pick, in ``sort`` order; :offset and :limit are
    parameters (and :workspace, in the clauses)."""
    key = sort.removeprefix("-")
    columns = [getattr(Adapter, key), Adapter.name] if key != "name" else [Adapter.name]
    order = [column.desc() if sort.startswith("-") else column.asc() for column in columns]
    # Find the page's ids first: the sort index holds them, so skipping `offset` rows reads
    # only the index; then load just those rows. Plain rows, not ORM objects (half the cost).
    page_ids = (
        select(Adapter.id).where(*clauses)
        .order_by(*order).offset(bindparam("offset")).limit(bindparam("limit")).subquery()
    )
    table = Adapter.__table__
    return select(table).join(page_ids, table.c.id == page_ids.c.id).order_by(*order)


@cache
def _plain_page_statement(sort: str) -> Any:
    """The unfiltered page statement of each sort: built once, the common case."""
    return _page_statement(sort, [Adapter.workspace == bindparam("workspace")])


def models_in_workspace(workspace: str, limit: int = 50) -> list[str]:
    """The models a workspace's adapters use, most used first, for suggestions."""
    statement = (
        select(WorkspaceModel.model)
        .where(WorkspaceModel.workspace == workspace, WorkspaceModel.adapter_count > 0)
        .order_by(WorkspaceModel.adapter_count.desc(), WorkspaceModel.model)
        .limit(limit)
    )
    return list(db.session.scalars(statement))


# --- a base model's adapters, across workspaces ------------------------------------------------

def model_workspaces(model: str, readable: Any = None) -> list[Any]:
    """The workspaces holding adapters of ``model``, by name, each with its count (rows of
    ``workspace, adapter_count``), from the counter rows, never by counting adapters.
    ``readable`` (a select of workspace names) keeps only those; None keeps every one."""
    count = cast(func.sum(ModelTypeCount.adapter_count), BigInteger)  # not numeric
    statement = select(ModelTypeCount.workspace, count.label("adapter_count")).where(
        ModelTypeCount.model == model)
    if readable is not None:
        statement = statement.where(ModelTypeCount.workspace.in_(readable))
    statement = (statement.group_by(ModelTypeCount.workspace).having(count > 0)
                 .order_by(ModelTypeCount.workspace))
    return db.session.execute(statement).all()


def model_type_counts(model: str, workspace: str | None = None,
                      readable: Any = None) -> list[tuple[str, int]]:
    """How many adapters of ``model`` each finetuning type has, most first: in ``workspace``,
    or in the workspaces ``readable`` selects (None: all); from the counter rows."""
    count = cast(func.sum(ModelTypeCount.adapter_count), BigInteger)  # not numeric
    statement = select(ModelTypeCount.finetuning_type, count).where(
        ModelTypeCount.model == model)
    if workspace is not None:
        statement = statement.where(ModelTypeCount.workspace == workspace)
    elif readable is not None:
        statement = statement.where(ModelTypeCount.workspace.in_(readable))
    counts = db.session.execute(
        statement.group_by(ModelTypeCount.finetuning_type).having(count > 0)).all()
    return sorted(((kind, int(number)) for kind, number in counts),
                  key=lambda pair: (-pair[1], pair[0]))


def list_model_adapters(model: str, workspaces: list[Any], page: int, page_size: int) -> Page:
    """One page of the adapters of ``model`` in ``workspaces`` (rows of workspace and count,
    as :func:`model_workspaces` gives them), in workspace then name order.

    The counts say which workspaces the page spans: the first is read from its offset, the
    rest from their start, each straight off the index on (workspace, model, name).
    """
    total = sum(count for _, count in workspaces)
    offset = (page - 1) * page_size
    if offset >= total:  # past the end: nothing to read
        return Page([], total, page, page_size)
    spans: list[tuple[str, int, int]] = []  # workspace, rows to skip in it, rows to take
    skip, wanted = offset, page_size
    for name, count in workspaces:
        if skip >= count:
            skip -= count
            continue
        take = min(count - skip, wanted)
        spans.append((name, skip, take))
        skip, wanted = 0, wanted - take
        if not wanted:
            break
    name, skip, take = spans[0]
    rows = _model_rows(model, [name], skip, take)
    if len(spans) > 1:  # the others start at their first row: one read for them all
        rows += _model_rows(model, [name for name, _, _ in spans[1:]], 0,
                            sum(take for _, _, take in spans[1:]))
    return Page(rows, total, page, page_size)


def _model_rows(model: str, workspaces: list[str], offset: int, limit: int) -> list[Any]:
    """Rows of ``model`` in ``workspaces``, by workspace then name: the ids from the index,
    then just those rows."""
    order = [Adapter.workspace, Adapter.name]
    page_ids = (select(Adapter.id)
                .where(Adapter.workspace.in_(workspaces), Adapter.model == model)
                .order_by(*order).offset(offset).limit(limit).subquery())
    table = Adapter.__table__
    statement = select(table).join(page_ids, table.c.id == page_ids.c.id).order_by(*order)
    return list(db.session.connection().execute(statement).all())


# The search across workspaces counts its matches up to this many, then says "more than": a
# common word may match most of a million rows, and counting them all would cost more than
# the page (at 1 000 000 adapters, counting 10 000 matches of a common word took 25 to 45 ms;
# 1 000 matches of two words 1.6 ms, 500 of them 1.1 ms, 250 0.8 ms, while the page itself
# reads in 0.3 ms). Its pages stop there too, ten of the default 25 (newest first, so the rest
# is older: a narrower search finds them).
SEARCH_COUNT_MOST = 250
# What a search's page shows of each adapter (its times and settings are on its own page).
SEARCH_SHOWN = ("id", "workspace", "name", "model", "finetuning_type", "fileset", "description")


def search_adapters(text_searched: str | None, reader: str | None, page: int,
                    page_size: int) -> Page:
    """One page of the adapters holding every word of a search, in the workspaces ``reader``
    may read (None: every workspace), newest first; the total is counted up to
    SEARCH_COUNT_MOST (``capped`` says there are more).

    On SQLite the trigram index yields its rows by id, newest first, so a page of a common
    word is read off the start of the index and the count stops at the cap. A reader whose
    workspaces hold few adapters, or a search with no word of three characters, scans those
    adapters instead (by id, newest first, stopping once the page is full).
    """
    words = search_words(text_searched)
    table_ = Adapter.__table__
    scope = []
    if reader is not None:
        readable = _readable_workspaces(reader)
        scope = [table_.c.workspace.in_(readable)]
    indexed = _on_sqlite() and any(len(word) >= SEARCH_SHORTEST for word in words) and not (
        reader is not None and _adapters_in(readable) <= NAME_INDEX_MOST)
    if indexed and all(len(word) >= SEARCH_SHORTEST for word in words):
        return _indexed_page(words, reader, page, page_size)
    if indexed:
        clauses = _indexed_search(words) + scope
        index, source, newest = _search_index()
    else:
        clauses = [_word_anywhere(word) for word in words] + scope
        newest = table_.c.id.desc()
        source = table_
    offset = (page - 1) * page_size
    limit = min(page_size, SEARCH_COUNT_MOST - offset)  # the pages stop at the cap
    rows = [] if limit <= 0 else db.session.execute(
        select(*_shown(table_)).select_from(source).where(*clauses).order_by(newest)
        .offset(offset).limit(limit)).all()
    if page == 1 and len(rows) < limit:  # the whole of it is on this page: nothing to count
        return Page(rows, len(rows), page, page_size, False)
    if not scope and source is not table_:
        source = index  # unscoped: the index alone counts, without reading the rows
    counted = db.session.scalar(select(func.count()).select_from(
        select(literal_column("1")).select_from(source).where(*clauses)
        .limit(SEARCH_COUNT_MOST + 1).subquery()))
    total = min(counted, SEARCH_COUNT_MOST)
    return Page(rows if offset < total else [], total, page, page_size,
                counted > SEARCH_COUNT_MOST)


def _indexed_page(words: list[str], reader: str | None, page: int, page_size: int) -> Page:
    """SQLite, every word three characters or more (the common case), from statements built
    once: one read of the index takes the ids of the newest matches up to the cap (newest
    first is the index's own order, so it stops there), which are the count and every page's
    ids at once; then the page's rows by id. (A page and a separate count read the index
    twice: 1.0 ms against 0.8 ms for two words at 1 000 000 adapters.)"""
    ids_statement, rows_statement = _indexed_statements(reader is not None)
    connection = db.session.connection()
    found = json.loads(connection.execute(ids_statement, {
        "search_match": " AND ".join(_phrase(word) for word in words), "reader": reader,
        "most": SEARCH_COUNT_MOST + 1}).scalar_one())
    total = min(len(found), SEARCH_COUNT_MOST)
    offset = (page - 1) * page_size
    page_ids = found[offset:min(offset + page_size, total)]
    rows = connection.execute(rows_statement, {"ids": json.dumps(page_ids)}).all(
        ) if page_ids else []
    return Page(rows, total, page, page_size, len(found) > SEARCH_COUNT_MOST)


@cache
def _indexed_statements(scoped: bool) -> tuple[Any, Any]:
    """The ids of the index's matches, newest first, up to :most, as one JSON array (the
    words are :search_match, the reader :reader when ``scoped``); and the rows of the ids in
    :ids (a JSON array), newest first. (One value, not a row per id: turning 251 rows into
    Python cost a third as much as finding them.)"""
    table_ = Adapter.__table__
    index, source, newest = _search_index()
    clauses = [text(f"{SEARCH_INDEX} MATCH :search_match")]
    if scoped:
        clauses.append(table_.c.workspace.in_(_readable_workspaces(bindparam("reader"))))
    # unscoped, the index alone answers, without reading the rows
    found = (select((-index.c.rowid).label("id")).select_from(source if scoped else index)
             .where(*clauses).order_by(newest).limit(bindparam("most")).subquery())
    ids = select(func.json_group_array(found.c.id))
    listed = select(literal_column("value")).select_from(
        func.json_each(bindparam("ids")))  # one statement for any number of ids
    rows = select(*_shown(table_)).where(table_.c.id.in_(listed)).order_by(table_.c.id.desc())
    return ids, rows


def _shown(table_: Any) -> list[Any]:
    """The columns a search's page shows."""
    return [table_.c[name] for name in SEARCH_SHOWN]


# One step of compacting the search index merges about this many of its pages, a write of
# about 0.3 s at 1 000 000 adapters; other writes take their turn between the steps.
SEARCH_MERGE_PAGES = 500


def search_index_segments() -> int | None:
    """SQLite: how many segments the search index is in (None on PostgreSQL)."""
    if not _on_sqlite():
        return None
    return db.session.scalar(text(f"SELECT count(DISTINCT segid) FROM {SEARCH_INDEX}_idx"))


def compact_search_index(step: Callable[[int, int], None] | None = None) -> int:
    """SQLite: merge the search index into one segment, a bounded step at a time, each step its
    own short write; returns the steps taken (0 on PostgreSQL, which keeps its index itself).

    Every transaction that writes adapters adds a segment to the index, which FTS5 merges
    only now and then; a search reads every segment, so one that has grown by many writes, or
    by a bulk load, searches up to twice as slowly (two words at 1 000 000 adapters: 1.1 ms in
    ten segments, 0.6 ms in one). ``step(done, most)`` is told of each step. Writes made
    meanwhile add segments of their own: the steps stop at ``most``, twice what the index's
    size needs, so a busy registry cannot keep it going."""
    if not _on_sqlite():
        return 0
    pages = db.session.scalar(text(f"SELECT count(*) FROM {SEARCH_INDEX}_data"))
    most = 2 * -(-pages // SEARCH_MERGE_PAGES) + 10
    done = 0
    while done < most and (search_index_segments() or 0) > 1:
        with one_writer():
            db.session.execute(text(f"INSERT INTO {SEARCH_INDEX} ({SEARCH_INDEX}, rank) "
                                    "VALUES ('merge', :pages)"),
                               {"pages": -SEARCH_MERGE_PAGES})  # negative: every segment
            db.session.commit()
        done += 1
        if step is not None:
            step(done, most)
    db.session.rollback()  # the last count's read ends here
    return done


def _search_index() -> tuple[Any, Any, Any]:
    """SQLite: the search index, the index joined to its adapters, and the order newest
    first. The index's rowid is the adapter's id negated, so newest first is its own
    ascending order: no sort, and LIMIT stops the read early."""
    table_ = Adapter.__table__
    index = table(SEARCH_INDEX, column("rowid"))
    return index, index.join(table_, table_.c.id == -index.c.rowid), index.c.rowid.asc()


def _indexed_search(words: list[str]) -> list[Any]:
    """SQLite: the words of three characters or more as one query of the trigram index, the
    shorter ones as LIKE conditions on the rows it finds."""
    long_words = [word for word in words if len(word) >= SEARCH_SHORTEST]
    match = " AND ".join(_phrase(word) for word in long_words)
    return [text(f"{SEARCH_INDEX} MATCH :search_match").bindparams(search_match=match),
            *(_word_anywhere(word) for word in words if len(word) < SEARCH_SHORTEST)]


def _readable_workspaces(username: str) -> Any:
    """The names of the workspaces where ``username`` (or '*') holds a role."""
    from . import workspaces  # which imports this module

    return workspaces._readable_names(username)


def _adapters_in(workspaces: Any) -> int:
    """How many adapters the workspaces a subquery names hold, from their counter rows."""
    return db.session.scalar(select(func.coalesce(func.sum(Workspace.adapter_count), 0))
                             .where(Workspace.name.in_(workspaces)))
