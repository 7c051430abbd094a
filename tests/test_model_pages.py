"""The model pages: a base model's adapters in every readable workspace, counted and paged."""

from __future__ import annotations

import flask_migrate
import pytest
from conftest import API, PASSWORD, signed_in
from htmlquery import every, one, parse, text, texts
from sqlalchemy import event
from sqlalchemy import text as sql

from webui import accounts, create_app, queries, workspaces
from webui.extensions import db

MODEL = "acme/llama-3"
PAGE = "/models/acme/llama-3"


def add(app, workspace: str, count: int, model: str = MODEL, kinds=("lora",),
        prefix: str = "ad") -> None:
    """``count`` adapters of ``model`` in ``workspace``, named prefix-00, prefix-01, …, their
    types taken in turn from ``kinds``; through the app's own write."""
    with app.app_context():
        for number in range(count):
            queries.create_adapter(workspace, {
                "name": f"{prefix}-{number:02d}", "model": model, "fileset": "fs",
                "finetuning_type": kinds[number % len(kinds)], "enabled": number % 3 != 2})


def names(page) -> list[str]:
    """The adapters a model page shows, as workspace/name."""
    return [f"{cells[1]}/{cells[0]}" for cells in (
        [text(cell) for cell in row.select("td")] for row in every(page, "tbody tr:not(.group)"))]


def count_line(page) -> str:
    return text(one(page, "#model-count"))


def type_line(page) -> str:
    return text(one(page, "#model-types"))


def test_the_page_lists_the_model_in_every_workspace_grouped_by_workspace(app, client):
    """Two workspaces, each under its heading with its count; other models are left out."""
    add(app, "beta", 2, kinds=("dpo",))
    add(app, "alpha", 3, kinds=("lora", "p_tuning"))
    add(app, "alpha", 4, model="acme/mistral", prefix="other")
    add(app, "beta", 1, model="llama-3", prefix="bare")  # the bare name is another model
    response = client.get(PAGE)
    assert response.status_code == 200
    page = parse(response)
    assert text(one(page, "h1")) == "Adapters of acme/llama-3"
    assert names(page) == ["alpha/ad-00", "alpha/ad-01", "alpha/ad-02", "beta/ad-00",
                           "beta/ad-01"]
    assert texts(page, "tr.group th") == ["alpha · 3 adapters of this model",
                                          "beta · 2 adapters of this model"]
    assert count_line(page) == "1–5 of 5 adapters"
    assert "5 in 2 workspaces" in text(one(page, "p.lead"))
    row = every(page, "tbody tr:not(.group)")[0]
    assert one(row, "td a")["href"] == "/workspaces/alpha/adapters/ad-00"
    assert [cell["data-label"] for cell in row.select("td")] == [
        "Name", "Workspace", "Type", "Fileset", "Status", "Created"]
    assert [text(cell) for cell in row.select("td")][1:5] == ["alpha", "lora", "fs", "Enabled"]
    assert one(row, "td time")["datetime"].endswith("Z")


def test_counts_per_finetuning_type_and_per_workspace(app, client):
    """The types are counted most first, in all workspaces or in the one chosen; the
    workspace choice shows each workspace's count."""
    add(app, "alpha", 5, kinds=("lora", "lora", "p_tuning"))  # lora 4, p_tuning 1
    add(app, "beta", 3, kinds=("dpo", "lora"))  # dpo 2, lora 1
    page = parse(client.get(PAGE))
    assert type_line(page) == "By finetuning type: lora 5 · , dpo 2 · , p_tuning 1"
    assert texts(page, "#model-workspace option") == [
        "All workspaces (8)", "alpha (5)", "beta (3)"]
    only_beta = parse(client.get(f"{PAGE}?workspace=beta"))
    assert type_line(only_beta) == "By finetuning type in beta: dpo 2 · , lora 1"
    assert names(only_beta) == ["beta/ad-00", "beta/ad-01", "beta/ad-02"]
    assert count_line(only_beta) == "1–3 of 3 adapters in beta"
    assert one(only_beta, "#model-workspace option[selected]")["value"] == "beta"


@pytest.mark.parametrize("asked", ["gamma", "Bad name!", ""], ids=["no-adapters", "invalid",
                                                                    "blank"])
def test_a_workspace_without_the_model_is_no_filter(app, client, asked):
    add(app, "alpha", 2)
    add(app, "gamma", 2, model="acme/mistral")
    page = parse(client.get(PAGE, query_string={"workspace": asked}))
    assert names(page) == ["alpha/ad-00", "alpha/ad-01"]
    assert one(page, "#model-workspace option[selected]")["value"] == ""


def test_pages_run_across_workspaces_in_workspace_then_name_order(app, client):
    """35 in alpha and 25 in beta at 25 a page: page 2 ends alpha and starts beta."""
    add(app, "alpha", 35)
    add(app, "beta", 25)
    first = parse(client.get(f"{PAGE}?page_size=25"))
    assert count_line(first) == "1–25 of 60 adapters"
    second = parse(client.get(f"{PAGE}?page_size=25&page=2"))
    assert count_line(second) == "26–50 of 60 adapters"
    assert names(second) == ([f"alpha/ad-{number:02d}" for number in range(25, 35)]
                             + [f"beta/ad-{number:02d}" for number in range(15)])
    assert texts(second, "tr.group th") == ["alpha · 35 adapters of this model",
                                            "beta · 25 adapters of this model"]
    assert one(second, 'a[rel="prev"]')["href"] == f"{PAGE}?page_size=25"
    assert one(second, 'a[rel="next"]')["href"] == f"{PAGE}?page=3&page_size=25"
    third = parse(client.get(one(second, 'a[rel="next"]')["href"]))
    assert names(third) == [f"beta/ad-{number:02d}" for number in range(15, 25)]
    assert every(third, 'a[rel="next"]') == []
    every_row = [name for number in (1, 2, 3)
                 for name in names(client.get(f"{PAGE}?page_size=25&page={number}"))]
    assert len(every_row) == len(set(every_row)) == 60


@pytest.mark.parametrize("asked", ["0", "-1", "x", "1e3"], ids=["zero", "negative", "word",
                                                                 "float"])
def test_a_bad_page_number_shows_the_first_page(app, client, asked):
    add(app, "alpha", 3)
    page = parse(client.get(f"{PAGE}?page={asked}"))
    assert count_line(page) == "1–3 of 3 adapters"


def test_a_page_past_the_end_says_so_and_links_to_the_last(app, client):
    add(app, "alpha", 30)
    response = client.get(f"{PAGE}?page=9&page_size=25")
    assert response.status_code == 200
    page = parse(response)
    assert count_line(page) == "Page 9 is past the end: 30 adapters in all"
    assert every(page, "table") == []
    last = one(page, ".model-past-end a")
    assert (text(last), last["href"]) == ("Go to the last page (2)", f"{PAGE}?page=2&page_size=25")
    assert names(client.get(last["href"])) == ["alpha/ad-25", "alpha/ad-26", "alpha/ad-27",
                                               "alpha/ad-28", "alpha/ad-29"]


def test_a_model_without_adapters_is_a_page_that_says_so(app, client):
    add(app, "alpha", 2, model="llama-3")  # bare: not the adapters of acme/llama-3
    response = client.get(PAGE)
    assert response.status_code == 200
    page = parse(response)
    assert text(one(page, ".empty strong")) == "No adapters of acme/llama-3 that you can read."
    assert one(page, '.empty a[href="/models/llama-3"]')  # where the bare name's adapters are
    assert every(page, "table") == [] and every(page, "form#model-filters") == []


def test_a_bare_model_name_has_its_one_segment_page(app, client):
    """/models/{model_name}: the adapters that name the model without a workspace."""
    add(app, "alpha", 2, model="llama-3", prefix="bare")
    add(app, "alpha", 2)
    page = parse(client.get("/models/llama-3"))
    assert text(one(page, "h1")) == "Adapters of llama-3"
    assert names(page) == ["alpha/bare-00", "alpha/bare-01"]
    with app.test_request_context():
        from webui.model_views import model_url
        assert model_url("llama-3") == "/models/llama-3"
        assert model_url(MODEL) == PAGE
        assert model_url(MODEL, page=2) == f"{PAGE}?page=2"


def test_a_model_with_a_dot_dot_segment_is_served_by_query(app, client):
    """'..' is a valid model segment that browsers fold out of a path: its page is
    /models?model=…, and the query form of any other reference redirects to its path."""
    add(app, "alpha", 2, model="../llama", prefix="dots")
    with app.test_request_context():
        from webui.model_views import model_url
        url = model_url("../llama")
    assert url == "/models?model=../llama"
    page = parse(client.get(url))
    assert names(page) == ["alpha/dots-00", "alpha/dots-01"]
    assert one(page, 'form#model-filters input[name="model"]')["value"] == "../llama"
    moved = client.get("/models?model=acme/llama-3&page=2")
    assert (moved.status_code, moved.location) == (308, f"{PAGE}?page=2")


@pytest.mark.parametrize("path", [
    pytest.param("/models/Acme/llama-3", id="uppercase-workspace"),
    pytest.param("/models/acme/Llama", id="uppercase-name"),
    pytest.param("/models/x", id="one-character"),
    pytest.param("/models/acme/-llama", id="leading-dash"),
    pytest.param("/models/acme/llama--3", id="double-dash"),
    pytest.param("/models/" + "a" * 64, id="too-long-segment"),
    pytest.param("/models/acme/llama%203", id="space"),
    pytest.param("/models/acme/llama-3/more", id="three-segments"),
    pytest.param("/models", id="no-model"),
    pytest.param("/models?model=acme//x", id="query-empty-segment"),
    pytest.param("/models?model=%00", id="query-nul"),
])
def test_an_invalid_model_is_a_404_page(app, client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_htmx_gets_the_results_alone_and_the_tidy_url(app, client):
    add(app, "alpha", 3)
    add(app, "beta", 3)
    response = client.get(f"{PAGE}?workspace=beta&page=1&page_size=50",
                          headers={"HX-Request": "true", "HX-Target": "model-results"})
    assert response.headers["HX-Push-Url"] == f"{PAGE}?workspace=beta"
    assert "HX-Target" in response.headers["Vary"]
    page = parse(response)
    assert every(page, "h1") == [] and names(page) == ["beta/ad-00", "beta/ad-01", "beta/ad-02"]


def test_counts_follow_creates_and_deletes(app, client):
    """The counter rows are kept in step with the adapters, in the same transaction."""
    add(app, "alpha", 3, kinds=("lora", "dpo"))
    assert client.delete(f"{API}/alpha/adapters/ad-00").status_code == 204
    with app.app_context():  # the model-checked delete, as the model routes use it
        assert queries.delete_adapter("alpha", "ad-01", model=MODEL)
    page = parse(client.get(PAGE))
    assert type_line(page) == "By finetuning type: lora 1"
    assert texts(page, "#model-workspace option") == ["All workspaces (1)", "alpha (1)"]
    assert client.delete(f"{API}/alpha/adapters/ad-02").status_code == 204
    assert every(client.get(PAGE), ".empty")


def test_the_page_reads_counters_and_the_index_never_counting_adapters(app, client):
    """On SQLite: no statement counts or scans the adapters; the page's rows are read off the
    (workspace, model, name) index."""
    add(app, "alpha", 30, kinds=("lora", "dpo"))
    add(app, "beta", 30)
    seen: list[tuple[str, object]] = []
    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "sqlite":
            pytest.skip("query plans are checked on SQLite")

        def record(_conn, _cursor, statement, parameters, _context, _many):
            seen.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", record)
        try:
            assert client.get(f"{PAGE}?page=2&page_size=25").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
        reading = [(statement, parameters) for statement, parameters in seen
                   if "FROM adapters" in statement]
        assert len(reading) == 2  # the page's first workspace, then the rest
        assert not any("count(" in statement.lower() for statement, _ in reading)
        with engine.connect() as connection:
            for statement, parameters in reading:
                plan = [row[3] for row in connection.exec_driver_sql(
                    "EXPLAIN QUERY PLAN " + statement, parameters)]
                assert not any(line.startswith("SCAN adapters") for line in plan), plan
                assert any("INDEX ix_adapters_workspace_model (workspace=? AND model=?)" in line
                           for line in plan), plan


def test_a_database_from_before_the_model_counts_gets_them(app, create):
    """A database at 0008 (adapters, no type counts) upgrades on start, counting its
    adapters of each model, workspace and type."""
    create(name="one", model=MODEL, finetuning_type="lora")
    create(name="two", model=MODEL, finetuning_type="dpo")
    create(workspace="beta", name="three", model=MODEL, finetuning_type="lora")
    with app.app_context():
        db.session.remove()
        flask_migrate.downgrade(revision="0008")
        assert db.session.execute(sql("SELECT count(*) FROM adapters")).scalar() == 3
        db.session.remove()
    again = create_app(dict(app.config, INSTANCE_PATH=app.instance_path))
    page = parse(again.test_client().get(PAGE))
    assert type_line(page) == "By finetuning type: lora 2 · , dpo 1"
    assert texts(page, "#model-workspace option") == [
        "All workspaces (3)", "beta (1)", "default (2)"]
    with again.app_context():
        db.session.remove()
        db.engine.dispose()


# --- sign-in on ------------------------------------------------------------------------------

@pytest.mark.parametrize("app_config", [{"WEBUI_AUTH": "on"}])
def test_with_sign_in_only_readable_workspaces_are_shown_or_counted(app, client):
    """alice reads alpha (as a member) and gamma (as everyone): beta's adapters are neither
    listed nor counted, nor reached by asking for beta; a platform admin sees all three."""
    with app.app_context():
        accounts.create_user("alice", PASSWORD)
        accounts.create_user("root", PASSWORD, platform_admin=True)
        for name in ("alpha", "beta", "gamma"):
            workspaces.create_workspace(name, None, "root")
        workspaces.set_member("alpha", "alice", ["Viewer"], "root", add=True)
        workspaces.set_member("gamma", "*", ["Viewer"], "root", add=True)
    add(app, "alpha", 2, kinds=("lora",))
    add(app, "beta", 3, kinds=("dpo",))
    add(app, "gamma", 1, kinds=("p_tuning",))
    assert client.get(PAGE).status_code == 302  # sign in first
    signed_in(client, "alice")
    page = parse(client.get(PAGE))
    assert names(page) == ["alpha/ad-00", "alpha/ad-01", "gamma/ad-00"]
    assert type_line(page) == "By finetuning type: lora 2 · , p_tuning 1"
    assert texts(page, "#model-workspace option") == [
        "All workspaces (3)", "alpha (2)", "gamma (1)"]
    assert "beta" not in client.get(PAGE).get_data(as_text=True)
    asked = parse(client.get(f"{PAGE}?workspace=beta"))
    assert names(asked) == ["alpha/ad-00", "alpha/ad-01", "gamma/ad-00"]
    admin = app.test_client()
    signed_in(admin, "root")
    assert count_line(admin.get(PAGE)) == "1–6 of 6 adapters"


@pytest.mark.parametrize("app_config", [{"WEBUI_AUTH": "on"}])
def test_with_sign_in_a_model_only_in_unreadable_workspaces_is_empty(app, client):
    with app.app_context():
        accounts.create_user("alice", PASSWORD)
        workspaces.create_workspace("beta", None, "root")
    add(app, "beta", 2)
    signed_in(client, "alice")
    response = client.get(PAGE)
    assert response.status_code == 200
    assert text(one(response, ".empty strong")) == "No adapters of acme/llama-3 that you can read."
    assert "ad-00" not in response.get_data(as_text=True)


# --- every page that shows a model links it ---------------------------------------------------

@pytest.mark.parametrize(("path", "selector"), [
    pytest.param("/workspaces/alpha/adapters/ad-00", "dl.details dd a", id="adapter-page"),
    pytest.param("/workspaces/alpha/adapters", 'td[data-label="Model"] a', id="listing"),
    pytest.param("/search?q=ad-00", ".search-meta code a", id="search"),
])
@pytest.mark.parametrize(("model", "url"), [
    pytest.param(MODEL, PAGE, id="workspace-model"),
    pytest.param("llama-3", "/models/llama-3", id="bare-model"),
])
def test_every_page_showing_a_model_links_its_page(app, client, path, selector, model, url):
    add(app, "alpha", 1, model=model)
    link = one(client.get(path), selector)
    assert (text(link), link["href"]) == (model, url)
    assert names(client.get(link["href"])) == ["alpha/ad-00"]
