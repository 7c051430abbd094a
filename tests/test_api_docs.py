"""GET /apis/docs, the API reference page made from the OpenAPI document, and the favicon."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from webui import create_app
from webui.openapi import build_document

METHODS = ("get", "post", "put", "patch", "delete")


def operations(document: dict) -> list[tuple[str, str, dict]]:
    """Every (method, path, operation) of the document."""
    return [(method, path, item[method]) for path, item in document["paths"].items()
            for method in METHODS if method in item]


@pytest.fixture
def docs(client) -> BeautifulSoup:
    response = client.get("/apis/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_the_page_shows_every_operation_of_the_document(client, docs):
    """Each operation the document has is on the page, with its method, path and summary, and
    the table of contents links to it."""
    document = client.get("/apis/openapi.json").get_json()
    found = operations(document)
    assert len(found) >= 17
    shown = docs.select("article.api-op[id]:not([id^='schema-'])")
    assert {article["id"] for article in shown} == {op["operationId"] for _, _, op in found}
    for method, path, operation in found:
        article = docs.find(id=operation["operationId"])
        assert article.select_one(".api-signature code").get_text() == f"{method.upper()} {path}"
        assert operation["summary"] in article.h3.get_text()
        statuses = [code.get_text() for code in article.select(".api-responses .status")]
        assert statuses == sorted(operation["responses"])
        assert docs.select_one(f"nav.api-toc a[href='#{operation['operationId']}']")


def test_every_schema_of_the_document_has_its_section(client, docs):
    document = client.get("/apis/openapi.json").get_json()
    for name in document["components"]["schemas"]:
        assert docs.find(id=f"schema-{name}"), name
    for link in docs.select("a[href^='#']"):  # no link on the page leads nowhere
        assert docs.find(id=link["href"][1:]), link["href"]


def field_row(article, name: str):
    for row in article.select("tbody tr"):
        if row.select_one(".api-name").get_text() == name:
            return row
    raise AssertionError(f"no row for {name}")


def limit_values(row) -> dict[str, str]:
    return {item.select_one(".api-key").get_text(): " ".join(
        code.get_text() for code in item.select("code")) for item in row.select(".api-limits li")}


def test_a_body_field_shows_the_limits_the_document_states(docs):
    """createAdapter's name: its length limits and pattern exactly as in the document."""
    name = build_document()["components"]["schemas"]["AdapterCreate"]["properties"]["name"]
    row = field_row(docs.find(id="createAdapter"), "name")
    limits = limit_values(row)
    assert limits["minLength"] == str(name["minLength"])
    assert limits["maxLength"] == str(name["maxLength"])
    assert limits["pattern"] == name["pattern"]
    assert limits["not enum"] == " ".join(name["not"]["enum"])
    assert row.select_one("[data-label=Required]").get_text() == "yes"


def test_an_enum_and_a_query_parameter_come_from_the_document(docs):
    document = build_document()
    kinds = document["components"]["schemas"]["FinetuningType"]["enum"]
    shown = [code.get_text() for code in docs.find(id="schema-FinetuningType").select(
        ".api-limits code")]
    assert shown == kinds
    page_size = next(p for p in document["paths"][
        "/apis/models/v2/workspaces/{workspace}/adapters"]["get"]["parameters"]
        if p["name"] == "page_size")
    row = field_row(docs.find(id="listAdapters"), "page_size")
    assert row.select_one("[data-label=In]").get_text() == "query"
    assert limit_values(row)["maximum"] == str(page_size["schema"]["maximum"])


def test_the_page_loads_no_script_from_elsewhere(client, docs):
    """Only the base template's scripts: the pinned htmx and the app's own file."""
    sources = [script.get("src") for script in docs.find_all("script")]
    assert all(src for src in sources), "no inline script"
    assert set(sources) == {client.application.config["HTMX_URL"], "/static/app.js"}
    assert docs.select_one("main a[href='/apis/openapi.json']")


def test_the_header_api_link_leads_to_the_page(client):
    html = BeautifulSoup(client.get("/apis/docs").get_data(as_text=True), "html.parser")
    assert html.select_one("header nav").find("a", string="API")["href"] == "/apis/docs"


@pytest.mark.parametrize("auth", ["off", "on"])
def test_the_page_is_readable_as_the_document_is(tmp_path, auth):
    """With sign-in off or on, and no one signed in, the page answers as the document does."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "WEBUI_AUTH": auth,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}",
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    client = app.test_client()
    assert client.get("/apis/openapi.json").status_code == 200
    assert client.get("/apis/docs").status_code == 200
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200


def test_the_favicon_is_served_and_linked(client):
    """/favicon.ico is the SVG icon base.html links, not a 404."""
    with client.get("/favicon.ico") as answer, client.get("/static/favicon.svg") as icon:
        assert answer.status_code == 200
        assert answer.mimetype == icon.mimetype == "image/svg+xml"
        assert answer.data == icon.data and icon.data.lstrip().startswith(b"<svg")
        csp = answer.headers.get("Content-Security-Policy", "")
    html = BeautifulSoup(client.get("/apis/docs").get_data(as_text=True), "html.parser")
    assert html.select_one("link[rel=icon]")["href"] == "/static/favicon.svg"
    assert "img-src 'self'" in csp
