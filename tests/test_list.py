"""Listing: pagination arithmetic, every sort key, every filter operator in both forms."""

from __future__ import annotations

import json
import math
from urllib.parse import quote

import pytest
from conftest import API

from webui import listing

ADAPTERS = f"{API}/default/adapters"


def names(response) -> list[str]:
    """The names on a list page."""
    assert response.status_code == 200, response.get_data(as_text=True)
    return [adapter["name"] for adapter in response.get_json()["data"]]


@pytest.fixture
def seeded(create):
    """Five adapters made in this order, with fields that sort differently from the names."""
    rows = [
        dict(name="delta", model="m-b", fileset="ws/f3", finetuning_type="lora", enabled=True,
             description="Holds 100% of the_weights"),
        dict(name="alpha", model="m-c", fileset="ws/f1", finetuning_type="dpo", enabled=False,
             description="plain"),
        dict(name="Echo", model="m-a", fileset="ws/f2", finetuning_type="lora", enabled=True,
             description=None),
        dict(name="charlie", model="m-b", fileset="ws/f5", finetuning_type="ppo",
             enabled=False, description="100 percent, theXweights"),
        dict(name="bravo", model="m-a", fileset="ws/f4", finetuning_type="lora", enabled=True,
             description="Mixed CASE Text"),
    ]
    return [create(**row) for row in rows]


@pytest.mark.parametrize(("total", "page_size"), [(0, 10), (1, 1), (7, 3), (9, 3), (10, 1000)])
def test_pagination_arithmetic(client, create, total, page_size):
    """total_pages = ceil(total / page_size); each page holds what it says; past the end is []."""
    for index in range(total):
        create(name=f"a{index:02d}")
    seen = []
    pages = max(1, math.ceil(total / page_size))
    for page in range(1, pages + 2):
        body = client.get(f"{ADAPTERS}?page={page}&page_size={page_size}").get_json()
        assert body["pagination"] == {
            "page": page,
            "page_size": page_size,
            "current_page_size": len(body["data"]),
            "total_pages": math.ceil(total / page_size),
            "total_results": total,
        }
        seen += [adapter["name"] for adapter in body["data"]]
    assert seen == [f"a{index:02d}" for index in range(total)]


def test_list_defaults(client, seeded):
    """Default: page 1, 100 a page, sorted by created_at ascending, no filter key."""
    body = client.get(ADAPTERS).get_json()
    assert body["pagination"]["page"] == 1 and body["pagination"]["page_size"] == 100
    assert body["sort"] == "created_at"
    assert "filter" not in body
    assert [a["name"] for a in body["data"]] == ["delta", "alpha", "Echo", "charlie", "bravo"]


def test_list_only_shows_its_workspace(client, create, seeded):
    """Other workspaces' adapters are not listed or counted."""
    create(workspace="elsewhere", name="zulu")
    body = client.get(ADAPTERS).get_json()
    assert "zulu" not in [a["name"] for a in body["data"]]
    assert body["pagination"]["total_results"] == 5


def sort_key(field):
    def key(adapter):
        return (adapter[field], adapter["name"])
    return key


@pytest.mark.parametrize("field", listing.ADAPTERS.sort_fields)
@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
def test_each_sort_key(client, seeded, field, descending):
    """Every sort key, both directions; ties broken by name, so the order is total."""
    expected = sorted(seeded, key=sort_key(field), reverse=descending)
    sort = f"-{field}" if descending else field
    body = client.get(f"{ADAPTERS}?sort={sort}").get_json()
    assert body["sort"] == sort
    assert [a["name"] for a in body["data"]] == [a["name"] for a in expected]


def test_sort_is_stable_across_pages(client, seeded):
    """Walking pages of 2 under a sort with ties yields the full order with no repeats."""
    walked = []
    for page in (1, 2, 3):
        walked += names(client.get(f"{ADAPTERS}?sort=finetuning_type&page_size=2&page={page}"))
    assert walked == ["alpha", "Echo", "bravo", "delta", "charlie"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("filter[name]=alpha", ["alpha"]),
        ("filter[name][$eq]=alpha", ["alpha"]),
        ("filter[name][$like]=LP", ["alpha"]),
        ("filter[name][$like]=a", ["delta", "alpha", "charlie", "bravo"]),
        ("filter[model]=default/m-b", ["delta", "charlie"]),
        ("filter[finetuning_type][$in]=dpo,ppo", ["alpha", "charlie"]),
        ("filter[finetuning_type][$in]=dpo", ["alpha"]),
        ("filter[finetuning_type][$nin]=lora", ["alpha", "charlie"]),
        ("filter[fileset][$like]=F4", ["bravo"]),
        ("filter[enabled]=false", ["alpha", "charlie"]),
        ("filter[enabled]=true", ["delta", "Echo", "bravo"]),
        ("filter[description][$like]=case", ["bravo"]),
        ("filter[description][$nin]=plain", ["delta", "Echo", "charlie", "bravo"]),
        ("filter[enabled]=true&filter[model]=default/m-a", ["Echo", "bravo"]),
    ],
)
def test_bracket_filters(client, seeded, query, expected):
    """The bracket form the SDK sends: equals, $like, $in, $nin, booleans, combined."""
    assert names(client.get(f"{ADAPTERS}?{query}")) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("100%", ["delta"]), ("the_w", ["delta"]), ("%", ["delta"]), ("_", ["delta"])],
)
def test_like_matches_percent_and_underscore_literally(client, seeded, value, expected):
    """'%' and '_' in a $like value are the characters themselves, not wildcards."""
    query = f"filter[description][$like]={quote(value)}"
    assert names(client.get(f"{ADAPTERS}?{query}")) == expected


def test_json_filter_form(client, seeded):
    """filter={...} as JSON, with typed values and lists."""
    query = json.dumps({"name": {"$like": "a"}, "enabled": False,
                        "finetuning_type": {"$in": ["dpo", "ppo", "qlora"]}})
    response = client.get(f"{ADAPTERS}?filter={quote(query)}")
    assert names(response) == ["alpha", "charlie"]
    assert response.get_json()["filter"] == {
        "name": {"$like": "a"}, "enabled": False,
        "finetuning_type": {"$in": ["dpo", "ppo", "qlora"]}}


def test_filter_is_echoed_as_parsed(client, seeded):
    """The bracket form's echo: a plain value for equals, operator objects otherwise."""
    body = client.get(f"{ADAPTERS}?filter[enabled]=true&filter[name][$in]=a,b").get_json()
    assert body["filter"] == {"enabled": True, "name": {"$in": ["a", "b"]}}


def test_filter_totals_count_only_matches(client, seeded):
    """Pagination counts the filtered set."""
    body = client.get(f"{ADAPTERS}?filter[finetuning_type]=lora&page_size=2").get_json()
    assert body["pagination"]["total_results"] == 3
    assert body["pagination"]["total_pages"] == 2


def test_time_range_filters(client, seeded):
    """$gt, $gte, $lt, $lte on created_at and updated_at."""
    times = [adapter["created_at"] for adapter in seeded]
    third = quote(times[2])

    def query(operator, field="created_at"):
        return names(client.get(f"{ADAPTERS}?filter[{field}][{operator}]={third}"))

    assert query("$gt") == ["charlie", "bravo"]
    assert query("$gte") == ["Echo", "charlie", "bravo"]
    assert query("$lt") == ["delta", "alpha"]
    assert query("$lte") == ["delta", "alpha", "Echo"]
    assert query("$gte", "updated_at") == ["Echo", "charlie", "bravo"]
    both = f"filter[created_at][$gt]={quote(times[0])}&filter[created_at][$lt]={quote(times[4])}"
    assert names(client.get(f"{ADAPTERS}?{both}")) == ["alpha", "Echo", "charlie"]


def test_time_filters_accept_offsets_and_the_sdk_form(client, seeded):
    """An offset is converted to UTC; the SDK's 'YYYY-MM-DD HH:MM:SS+00:00' works too."""
    assert len(names(client.get(f"{ADAPTERS}?filter[created_at][$gte]=2000-01-01"))) == 5
    sdk_form = quote("2000-01-01 00:00:00+00:00")
    assert len(names(client.get(f"{ADAPTERS}?filter[created_at][$gt]={sdk_form}"))) == 5
    future = quote("2999-01-01T05:00:00+05:00")
    assert names(client.get(f"{ADAPTERS}?filter[created_at][$gt]={future}")) == []


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("filter[foo]=1", "Unknown filter field 'foo'. Valid fields: ["),
        ("filter[name][$regex]=a", "Unknown filter operator '$regex'"),
        ("filter={bad json", "Malformed JSON in 'filter'"),
        ("filter=[1]", "must be a JSON object"),
        ('filter={"nope": 1}', "Unknown filter field 'nope'"),
        ("filter[enabled]=maybe", "true or false"),
        ("filter[created_at][$gte]=yesterday", "ISO 8601"),
        ("filter[enabled][$like]=t", "'$like' applies only to text fields"),
        ("filter[name][$gt]=a", "applies only to created_at and updated_at"),
        ("filter[name=x", "Malformed filter parameter"),
        ('filter={"name": {"$in": 5}}', "takes a list"),
        ('filter={"name": {"$eq": {"a": 1}}}', "must be text"),
    ],
)
def test_bad_filters_are_400_with_a_clear_detail(client, seeded, query, words):
    """Unknown fields or operators, malformed JSON, and bad values: 400, one sentence."""
    response = client.get(f"{ADAPTERS}?{query}")
    assert response.status_code == 400
    assert words in response.get_json()["detail"]


def test_unknown_field_lists_the_valid_ones(client):
    """The 400 for an unknown field names every valid field."""
    detail = client.get(f"{ADAPTERS}?filter[foo]=1").get_json()["detail"]
    fields = list(listing.ADAPTERS.filter_fields)
    assert detail == f"Unknown filter field 'foo'. Valid fields: {fields}"


@pytest.mark.parametrize(
    ("query", "loc"),
    [
        ("page=0", ["query", "page"]),
        ("page=-1", ["query", "page"]),
        ("page=abc", ["query", "page"]),
        ("page=1.5", ["query", "page"]),
        ("page_size=0", ["query", "page_size"]),
        ("page_size=1001", ["query", "page_size"]),
        ("page_size=ten", ["query", "page_size"]),
        ("sort=size", ["query", "sort"]),
        ("sort=--name", ["query", "sort"]),
        ("sort=NAME", ["query", "sort"]),
    ],
)
def test_bad_list_parameters_are_422(client, query, loc):
    """page >= 1, page_size 1-1000, sort from the list: otherwise 422 at ['query', ...]."""
    response = client.get(f"{ADAPTERS}?{query}")
    assert response.status_code == 422
    assert [entry["loc"] for entry in response.get_json()["detail"]] == [loc]


def test_page_size_bounds_are_inclusive(client, create):
    """page_size=1 and page_size=1000 are both fine."""
    create()
    for size in (1, 1000):
        assert client.get(f"{ADAPTERS}?page_size={size}").status_code == 200


def test_deleting_updates_the_total(client, seeded):
    """The total follows creates and deletes."""
    client.delete(f"{ADAPTERS}/alpha")
    assert client.get(ADAPTERS).get_json()["pagination"]["total_results"] == 4


@pytest.fixture(params=["index", "scan"])
def name_search(request, monkeypatch):
    """Run a test through both ways a name $like is answered: the trigram index and a scan."""
    from webui import queries

    if request.param == "scan":
        monkeypatch.setattr(queries, "NAME_INDEX_MOST", 0)  # every term counts as too common
    return request.param


def test_name_like_is_literal_and_case_insensitive_both_ways(client, create, name_search):
    """'_' is a character, not a wildcard; case does not matter; other workspaces stay out."""
    for name in ("a_b-1", "axb-1", "A_B-2", "zz-a_b"):
        create(name=name)
    create(workspace="elsewhere", name="a_b-9")
    assert names(client.get(f"{ADAPTERS}?filter[name][$like]=a_b")) == ["a_b-1", "A_B-2",
                                                                         "zz-a_b"]
    assert names(client.get(f"{ADAPTERS}?filter[name][$like]=A_B-")) == ["a_b-1", "A_B-2"]
    body = client.get(f"{ADAPTERS}?filter[name][$like]=b-1&sort=-name").get_json()
    assert [a["name"] for a in body["data"]] == ["axb-1", "a_b-1"]
    assert body["pagination"]["total_results"] == 2


def test_name_like_follows_creates_and_deletes(client, create, name_search):
    """The name index is kept in step with the table."""
    create(name="findme-1")
    create(name="findme-2")
    client.delete(f"{ADAPTERS}/findme-2")  # the newest row: its id is free to be taken again
    create(name="other-3")
    assert names(client.get(f"{ADAPTERS}?filter[name][$like]=indme")) == ["findme-1"]
    assert names(client.get(f"{ADAPTERS}?filter[name][$like]=her-")) == ["other-3"]


@pytest.mark.parametrize("term", ['a"b', '"', "AND", "a OR b", "NEAR(x y)", "*", "^ab", "a:b"])
def test_name_like_takes_any_text(client, create, term):
    """Terms that mean something to a search engine are plain text here."""
    create(name="and-or-near")
    response = client.get(f"{ADAPTERS}?filter[name][$like]={quote(term)}")
    assert response.status_code == 200
    expected = ["and-or-near"] if term.lower() in "and-or-near" else []
    assert names(response) == expected
