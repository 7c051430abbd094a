"""The search: every word of it found, case-blind, in the name, model, fileset or description;
across every readable workspace at /search, and within one on the listing. On SQLite and
PostgreSQL (the `app` fixture), through the index and by scanning."""

from __future__ import annotations

import pytest
from conftest import API, PASSWORD, signed_in, valid_body
from htmlquery import every, one, text, texts
from sqlalchemy import text as sql

from webui import accounts, queries, workspaces
from webui.extensions import db

SEARCH = "/search"

# workspace, name, model, fileset, description — created in this order (oldest first)
ADAPTERS = [
    ("default", "lora-llama-7", "llama-3-8b", "default/chat-set", "Support bot, March data"),
    ("default", "dpo-mistral", "mistral-7b", "default/prefs", "Preference tuning 100%_done"),
    ("default", "qa-bot", "gemma-2b", "default/qa_v2", None),
    ("research", "llama-summaries", "shared/llama-3-70b", "research/reports", "Summaries\nline 2"),
    ("research", "x1", "qwen-2-7b", "research/support-tickets", "Tone: friendly"),
]


@pytest.fixture
def seeded(create):
    """The adapters of ADAPTERS, made through the API."""
    for workspace, name, model, fileset, description in ADAPTERS:
        create(workspace=workspace, name=name, model=model, fileset=fileset,
               description=description)


@pytest.fixture(params=["index", "scan"])
def way(request, monkeypatch):
    """Run a test through both ways a search is answered: the trigram index, and a scan (every
    word treated as too short for the index)."""
    if request.param == "scan":
        monkeypatch.setattr(queries, "SEARCH_SHORTEST", 10_000)
    return request.param


def found(client, q: str, **params: object) -> list[str]:
    """The names the search page shows for ``q``, in order."""
    response = client.get(SEARCH, query_string={"q": q, **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    return [text(link) for link in every(response, ".search-hit > a")]


@pytest.mark.parametrize(("q", "names"), [
    ("llama lora", ["lora-llama-7"]),  # the case: words in any order
    ("lora llama", ["lora-llama-7"]),
    ("llama", ["llama-summaries", "lora-llama-7"]),  # newest first
    ("LLAMA Summaries", ["llama-summaries"]),  # case-blind
    ("mistral-7b", ["dpo-mistral"]),  # the model
    ("qa_v2", ["qa-bot"]),  # the fileset, '_' as itself
    ("support", ["x1", "lora-llama-7"]),  # a fileset and a description
    ("march bot", ["lora-llama-7"]),  # two words of the description
    ("support friendly", ["x1"]),  # the fileset and the description of one adapter
    ("llama march", ["lora-llama-7"]),  # the name and the description
    ("llama friendly", []),  # each word in some adapter, but never both in one
    ("100%_done", ["dpo-mistral"]),  # '%' and '_' as themselves
    ("0%", ["dpo-mistral"]),
    ("%", ["dpo-mistral"]),
    ("_", ["qa-bot", "dpo-mistral"]),
    ("a_v", ["qa-bot"]),
    ("x", ["x1"]),  # one character
    ("x1 tone", ["x1"]),  # a short word with a long one
    ("qa", ["qa-bot"]),
    ("2b qa", ["qa-bot"]),
    ("line summaries", ["llama-summaries"]),  # a description's second line is searched too
    ('"', []), ("a\"b", []), ("AND", []), ("NOT llama", []), ("*", []), ("llama*", []),
    ("name:llama", []), ("(llama)", []), ("^llama", []), ("{name}", []), ("NEAR(a b)", []),
], ids=lambda value: value if isinstance(value, str) else None)
def test_every_word_is_found_in_some_field(client, seeded, way, q, names):
    """An adapter matches when each word is a case-blind substring of its name, model,
    fileset or description; the words of FTS5's query language mean nothing special."""
    assert found(client, q) == names


def test_short_words_alone_are_found_by_scanning(client, seeded):
    """Words of one or two characters (no trigram index finds them) still match."""
    assert found(client, "qa 2b") == ["qa-bot"]
    assert found(client, "7 a") == ["x1", "llama-summaries", "dpo-mistral", "lora-llama-7"]


def test_results_are_grouped_by_workspace_with_counts_and_highlighted(client, seeded):
    """A heading per workspace with its matches on this page; the words are marked."""
    response = client.get(SEARCH, query_string={"q": "llama"})
    headings = texts(response, ".search-group-title")
    assert headings == ["research · 1 match on this page", "default · 1 match on this page"]
    assert [text(mark) for mark in every(response, ".search-hit mark")] == [
        "llama", "llama", "llama", "llama"]
    hit = every(response, ".search-hit")[0]
    assert one(hit, ".search-hit > a")["href"] == "/workspaces/research/adapters/llama-summaries"
    assert "Summaries" in text(hit) and "line 2" not in text(hit)  # the first line only
    assert "lora" in text(every(response, ".search-hit")[1])  # its finetuning type
    assert "2 adapters" in text(one(response, "#search-count"))


def test_an_empty_search_shows_the_form_and_a_hint(client, seeded):
    """No words: the form, a hint, and no results."""
    for q in ("", "   "):
        response = client.get(SEARCH, query_string={"q": q})
        assert response.status_code == 200
        assert one(response, "#search-q")["value"] == q.strip()
        assert one(response, ".search-hint") and not every(response, ".search-hit")


def test_no_results_says_so_helpfully(client, seeded):
    response = client.get(SEARCH, query_string={"q": "llama friendly"})
    assert "No adapters match “llama friendly”" in response.get_data(as_text=True)
    assert "try fewer words" in response.get_data(as_text=True)


def test_pages_newest_first_across_workspaces(client, create):
    """30 matches in two workspaces, 25 a page: newest first, then the rest on page 2."""
    for number in range(30):
        create(workspace=("one", "two")[number % 2], name=f"match-{number:02d}")
    create(name="other")
    # the 25 newest (29 down to 5), each workspace's together, the newest's workspace first
    assert found(client, "match", page_size=25) == [
        *(f"match-{number:02d}" for number in range(29, 4, -2)),
        *(f"match-{number:02d}" for number in range(28, 5, -2))]
    assert found(client, "match", page_size=25, page=2) == [
        "match-04", "match-02", "match-00", "match-03", "match-01"]
    past = client.get(SEARCH, query_string={"q": "match", "page_size": 25, "page": 3})
    assert past.status_code == 200 and "past the end" in past.get_data(as_text=True)
    counts = texts(client.get(SEARCH, query_string={"q": "match", "page_size": 25}),
                   ".search-group-title .muted")
    assert counts == ["· 13 matches on this page", "· 12 matches on this page"]


def test_past_250_matches_the_count_says_more_than_250(client, create):
    """The README's cap: 251 matches read "more than 250", ten pages of 25, and page 11 is
    past the end."""
    for number in range(251):
        create(name=f"many-{number:03d}")
    response = client.get(SEARCH, query_string={"q": "many"})
    assert text(one(response, "#search-count")).startswith("1–25 of more than 250 adapters")
    last = client.get(SEARCH, query_string={"q": "many", "page": 10})
    assert [text(link) for link in every(last, ".search-hit > a")][-1] == "many-001"
    assert not every(client.get(SEARCH, query_string={"q": "many", "page": 11}), ".search-hit")


def test_a_common_word_is_counted_up_to_a_cap(client, create, monkeypatch):
    """Past SEARCH_COUNT_MOST matches the total says "more than", and pages stop there."""
    monkeypatch.setattr(queries, "SEARCH_COUNT_MOST", 3)
    for number in range(5):
        create(name=f"common-{number}")
    response = client.get(SEARCH, query_string={"q": "common", "page_size": 25})
    assert "1–3 of more than 3 adapters" in text(one(response, "#search-count"))
    assert [text(link) for link in every(response, ".search-hit > a")] == [
        "common-4", "common-3", "common-2"]


@pytest.mark.parametrize(("query_string", "status"), [
    ({"q": "x" * 201}, 422),  # past rules.SEARCH_MAX
    ({"q": "x" * 200}, 200),
    ({"q": "x" * 100_000}, 422),
    ({"q": "llama\x00lora"}, 422),
    ("q=%ED%A0%80", 200),  # an encoded unpaired surrogate: decoded as U+FFFD
    ("q=%FF%FE", 200),
    ({"q": "llama", "page": "-1"}, 200),
    ({"q": "llama", "page": "abc"}, 200),
    ({"q": "llama", "page": "0"}, 200),
    ({"q": "llama", "page": "99999999999999999999999"}, 200),
    ({"q": "llama", "page_size": "7"}, 200),
    ({"q": "llama", "page_size": "-5"}, 200),
    ("q=a&q=b", 200),
    ({"q": " ".join(f"w{n}" for n in range(50))}, 200),  # past search.WORDS_MAX
    ({"q": "🦙 llama"}, 200),
], ids=["too-long", "longest", "huge", "nul", "encoded-surrogate", "bad-utf8",
        "page-negative", "page-abc", "page-zero", "page-huge", "page-size-odd",
        "page-size-negative", "q-twice", "many-words", "emoji"])
def test_bad_input_gets_a_clear_answer_never_a_500(client, seeded, query_string, status):
    response = client.get(SEARCH, query_string=query_string)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    if status == 422:
        assert one(response, "#search-q")["aria-invalid"] == "true"
        assert "Error: " in text(one(response, "title"))
        assert ("must be at most 200 characters" in page
                or "must not contain NUL characters" in page)
        assert not every(response, ".search-hit")
        # the box shows what it may of the refused text: the first 200 characters, or nothing
        shown = one(response, "#search-q")["value"]
        assert shown == ("" if "\x00" in query_string["q"] else query_string["q"][:200])


def test_the_index_follows_create_patch_and_delete(client, create):
    """A new adapter is found at once; a changed description is found by its new words and no
    longer by its old ones; a deleted adapter is gone."""
    create(name="tracked", description="alpha words")
    assert found(client, "alpha") == ["tracked"]
    patched = client.patch(f"{API}/default/adapters/tracked", json={
        "description": "bravo words", "fileset": "default/charlie"})
    assert patched.status_code == 200
    assert found(client, "alpha") == []
    assert found(client, "bravo charlie") == ["tracked"]
    assert found(client, "tracked") == ["tracked"]
    assert client.patch(f"{API}/default/adapters/tracked",
                        json={"enabled": False}).status_code == 200
    assert found(client, "bravo") == ["tracked"]
    assert client.delete(f"{API}/default/adapters/tracked").status_code == 204
    assert found(client, "tracked") == [] and found(client, "bravo") == []


def test_the_count_follows_changes_and_deletes(app, client, create):
    """The count is read off the index alone: after adapters are changed and deleted it
    counts only what is there, and on SQLite the index passes its own integrity check (its
    triggers hand it each row's old values to delete)."""
    for number in range(4):
        create(name=f"zeta-{number}", description="omega words")
    assert client.patch(f"{API}/default/adapters/zeta-1", json={
        "description": "other text"}).status_code == 200
    for name in ("zeta-2", "zeta-3"):
        assert client.delete(f"{API}/default/adapters/{name}").status_code == 204
    response = client.get(SEARCH, query_string={"q": "omega words"})
    assert [text(link) for link in every(response, ".search-hit > a")] == ["zeta-0"]
    assert text(one(response, "#search-count")).startswith("1–1 of 1 adapter,")
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            db.session.execute(sql(
                "INSERT INTO adapter_search (adapter_search) VALUES ('integrity-check')"))
            db.session.rollback()


def test_htmx_gets_the_results_alone_and_typing_replaces_history(client, seeded):
    """For htmx, only the results; while typing (X-History: replace) the URL replaces the
    current history entry, a committed search pushes one."""
    headers = {"HX-Request": "true", "HX-Target": "search-results"}
    typed = client.get(SEARCH, query_string={"q": "llama", "page_size": "25"},
                       headers=headers | {"X-History": "replace"})
    assert typed.headers["HX-Replace-Url"] == "/search?q=llama"
    assert "<html" not in typed.get_data(as_text=True) and every(typed, ".search-hit")
    assert "HX-Target" in typed.headers["Vary"]
    committed = client.get(SEARCH, query_string={"q": "llama"}, headers=headers)
    assert committed.headers["HX-Push-Url"] == "/search?q=llama"


def test_the_header_search_is_on_every_page(client, seeded):
    """A GET form to /search with a labelled input the "/" key can find."""
    for url in ("/", "/workspaces/default/adapters", "/workspaces/default/adapters/qa-bot",
                "/search?q=llama"):
        response = client.get(url)
        form = one(response, "header form[role=search]")
        assert form["action"] == "/search" and form.get("method") == "get"
        box = one(form, "input[name=q]")
        assert box["data-search"] == "header"
        assert one(form, f"label[for={box['id']}]")


@pytest.mark.parametrize(("q", "names"), [
    ("llama lora", ["lora-llama-7"]),
    ("bot march", ["lora-llama-7"]),
    ("PREFS", ["dpo-mistral"]),
    ("qa 2b", ["qa-bot"]),
    ("_", ["qa-bot", "dpo-mistral"]),
    ("llama friendly", []),
], ids=lambda value: value if isinstance(value, str) else None)
def test_the_listing_search_matches_every_word_too(client, seeded, q, names, monkeypatch,
                                                    way):
    """The workspace listing's search box means the same; also when the index finds too many
    rows and the workspace is scanned instead."""
    if way == "index":
        monkeypatch.setattr(queries, "NAME_INDEX_MOST", 0)  # every word too common: scan
    response = client.get("/workspaces/default/adapters", query_string={"q": q})
    assert response.status_code == 200
    shown = [text(link) for link in every(response, "table.adapters td[data-label=Name] a")]
    assert shown == names


def test_the_listing_search_and_a_name_filter_combine(client, seeded):
    """The search and `$like` on the name are both answered by the index, together."""
    body = client.get(f"{API}/default/adapters?filter[name][$like]=LLAMA").get_json()
    assert [adapter["name"] for adapter in body["data"]] == ["lora-llama-7"]
    response = client.get("/workspaces/default/adapters",
                          query_string={"q": "support", "model": "llama"})
    assert response.status_code == 200


# --- sign-in on: only the workspaces one may read ---------------------------------------------

@pytest.fixture
def teams(app):
    """Two teams, each with an adapter whose words the other's also uses, and an open
    workspace every signed-in person may read."""
    with app.app_context():
        for name in ("ana", "ben", "solo"):
            accounts.create_user(name, PASSWORD)
        accounts.create_user("root", PASSWORD, platform_admin=True)
        for workspace, owner in (("red", "ana"), ("blue", "ben"), ("open", "root")):
            workspaces.create_workspace(workspace, None, owner)
            workspaces.set_member(workspace, owner, ["Admin"], owner, add=True)
        workspaces.set_member("open", "*", ["Viewer"], "root", add=True)
        for workspace in ("red", "blue", "open"):
            values = valid_body(name=f"secret-{workspace}", description="shared llama words")
            values["model"] = "llama-3"
            queries.create_adapter(workspace, values, "root")
        db.session.remove()


@pytest.mark.parametrize("app_config", [{"WEBUI_AUTH": "on"}])
@pytest.mark.parametrize(("user", "names"), [
    ("ana", ["secret-open", "secret-red"]),
    ("ben", ["secret-open", "secret-blue"]),
    ("solo", ["secret-open"]),
    ("root", ["secret-open", "secret-blue", "secret-red"]),
])
@pytest.mark.parametrize("q", ["llama words", "secret", "ll"])
def test_a_person_finds_only_what_they_may_read(client, teams, way, user, names, q):
    """With sign-in on, a person never sees another team's adapters; a platform admin sees
    every workspace's."""
    signed_in(client, user)
    assert found(client, q) == names


@pytest.mark.parametrize("app_config", [{"WEBUI_AUTH": "on"}])
def test_a_person_with_many_adapters_to_read_is_answered_by_the_index(client, teams,
                                                                      monkeypatch):
    """Past NAME_INDEX_MOST readable adapters the index answers, still only readable rows."""
    monkeypatch.setattr(queries, "NAME_INDEX_MOST", 0)
    signed_in(client, "ana")
    assert found(client, "llama words") == ["secret-open", "secret-red"]


@pytest.mark.parametrize("app_config", [{"WEBUI_AUTH": "on"}])
def test_signed_out_the_search_asks_to_sign_in(client, teams):
    response = client.get(SEARCH, query_string={"q": "secret"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert not every(client.get("/login"), "header form[role=search]")


def test_the_search_reads_the_index(app, client, seeded):
    """The search is answered through the search index, not a scan of the adapters: on SQLite
    the FTS5 table gives the matching ids in its own order (no sort), as one JSON array, then
    the page's rows are read by id; on PostgreSQL the page's statement uses its trigram GIN
    index (sequential scans off, so the tiny table's statistics do not hide it)."""
    from sqlalchemy import event

    with app.app_context():
        statements: list[tuple[str, object]] = []

        def record(_conn, _cursor, statement, parameters, _context, _many):
            statements.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            queries.search_adapters("llama support", None, 1, 50)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        connection = db.session.connection().connection.driver_connection
        cursor = connection.cursor()
        if db.engine.dialect.name == "sqlite":
            (ids, ids_parameters), (rows, rows_parameters) = statements
            cursor.execute("EXPLAIN QUERY PLAN " + ids, ids_parameters)
            plan = " | ".join(row[3] for row in cursor.fetchall())
            # the ids, in the index's own order, gathered into one JSON array
            assert ids.startswith("SELECT json_group_array("), ids
            assert "SCAN adapter_search VIRTUAL TABLE INDEX" in plan, plan
            assert "SCAN adapters" not in plan, plan
            assert "TEMP B-TREE" not in plan, plan  # no sort: the index's order is the page's
            cursor.execute("EXPLAIN QUERY PLAN " + rows, rows_parameters)
            plan = " | ".join(row[3] for row in cursor.fetchall())
            assert plan.startswith("SEARCH adapters USING INTEGER PRIMARY KEY"), plan
            assert "TEMP B-TREE" not in plan, plan
        else:
            statement, parameters = statements[-1]  # the page
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + statement, parameters)
            plan = " | ".join(row[0] for row in cursor.fetchall())
            assert "adapter_search_trgm" in plan, plan
        db.session.rollback()


def test_compacting_the_index_merges_its_pieces_and_finds_the_same(app, client, create):
    """`flask --app webui search-index compact` merges the search index into one piece, in
    steps, and every search finds what it found before; on PostgreSQL, which keeps its own
    index, it says there is nothing to do and changes nothing."""
    for number in range(6):  # each create is its own transaction: its own piece of the index
        create(workspace="default", name=f"piece-{number}", model="llama-3-8b",
               description=f"Support summaries, batch {number}")
    searches = ("support", "llama summaries", "piece batch", "PIECE-3")
    before = {q: found(client, q) for q in searches}
    assert before["piece batch"] == [f"piece-{number}" for number in reversed(range(6))]
    with app.app_context():
        pieces = queries.search_index_segments()
    result = app.test_cli_runner().invoke(args=["search-index", "compact"])
    assert result.exit_code == 0, result.output
    if pieces is None:  # PostgreSQL
        assert "nothing to do" in result.output
    else:
        assert pieces > 1
        assert f"in {pieces} pieces, now 1 (" in result.output
        with app.app_context():
            assert queries.search_index_segments() == 1
            check = db.session.execute(sql("INSERT INTO adapter_search (adapter_search, rank) "
                                           "VALUES ('integrity-check', 0)"))
            check.close()
            db.session.rollback()
    assert {q: found(client, q) for q in searches} == before
    result = app.test_cli_runner().invoke(args=["search-index", "compact"])
    assert result.exit_code == 0 and ("nothing to do" in result.output or
                                      "in 1 piece, now 1 (0 steps" in result.output)
