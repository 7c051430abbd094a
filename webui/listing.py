"""The list query language of the NeMo list routes: ``page``, ``page_size``, ``sort``, ``filter``.

Parsing only: what a filter means in SQL is the query layer's business. A :class:`ListSpec`
names the fields a list sorts and filters on, so every list speaks the same language; the
adapters' list is :data:`ADAPTERS`. Plain Python, like ``rules``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from .rules import (
    Violation,
    error_entry,
    format_timestamp,
    json_problem,
    loads_strict,
    parse_flag,
    parse_whole_number,
    text_problem,
)

PAGE_SIZE_DEFAULT = 100
PAGE_SIZE_MAX = 1000
PAGE_MAX = 10**15  # far past any real page; keeps offsets inside 64 bits
FILTER_LIST_MAX = 1000  # values in one $in / $nin
FILTER_NUMBER_DIGITS = 20  # a JSON filter's numbers; longer ones are sent as text
FILTER_OPERATORS = ("$eq", "$like", "$in", "$nin", "$gt", "$gte", "$lt", "$lte")
RANGE_OPERATORS = frozenset({"$gt", "$gte", "$lt", "$lte"})
LIST_OPERATORS = frozenset({"$in", "$nin"})


class ListSpec(NamedTuple):
    """What one list sorts and filters on."""

    sort_fields: tuple[str, ...]
    sort_default: str
    filter_fields: tuple[str, ...]
    text_fields: frozenset[str]  # where `$like` applies
    time_fields: frozenset[str]  # where ranges apply; values are ISO 8601 times
    flag_fields: frozenset[str]  # values are true or false


ADAPTERS = ListSpec(
    sort_fields=("name", "created_at", "updated_at", "finetuning_type", "model", "fileset",
                 "enabled"),
    sort_default="created_at",
    filter_fields=("name", "model", "description", "fileset", "finetuning_type", "enabled",
                   "created_at", "updated_at"),
    text_fields=frozenset({"name", "model", "description", "fileset", "finetuning_type"}),
    time_fields=frozenset({"created_at", "updated_at"}),
    flag_fields=frozenset({"enabled"}),
)


WORKSPACES = ListSpec(
    sort_fields=("name", "created_at", "updated_at"),
    sort_default="name",
    filter_fields=("name", "created_at", "updated_at"),
    text_fields=frozenset({"name"}),
    time_fields=frozenset({"created_at", "updated_at"}),
    flag_fields=frozenset(),
)


class FilterError(ValueError):
    """A ``filter`` the list cannot apply: answered with 400 and this detail."""


class ListQuery(NamedTuple):
    """A parsed list request."""

    page: int
    page_size: int
    sort: str
    filter: dict[str, dict[str, Any]] | None = None


def _parse_int_param(
    args: Mapping[str, str], key: str, default: int, high: int
) -> tuple[int, Violation | None]:
    raw = args.get(key)
    if raw is None:
        return default, None
    number = parse_whole_number(raw)
    if number is None:
        return default, Violation(f"'{key}' must be a whole number", "int_parsing")
    if number < 1:
        return default, Violation(f"'{key}' must be at least 1", "greater_than_equal")
    if number > high:
        return default, Violation(f"'{key}' must be at most {high}", "less_than_equal")
    return number, None


def check_sort(value: str, spec: ListSpec = ADAPTERS) -> Violation | None:
    """A sort key, optionally prefixed by '-' for descending."""
    if value.removeprefix("-") not in spec.sort_fields:
        choices = ", ".join(spec.sort_fields)
        return Violation(f"'sort' must be one of {choices}, optionally prefixed by '-'", "enum")
    return None


def parse_paging(
    args: Mapping[str, str], spec: ListSpec = ADAPTERS, defaults: ListQuery | None = None
) -> tuple[ListQuery, list[dict[str, Any]]]:
    """``page``, ``page_size`` and ``sort``, each falling back to its default when refused,
    together with the 422 entries of what was refused."""
    default = defaults or ListQuery(1, PAGE_SIZE_DEFAULT, spec.sort_default)
    errors = []
    page, problem = _parse_int_param(args, "page", default.page, PAGE_MAX)
    if problem:
        errors.append(error_entry(("query", "page"), problem))
    page_size, problem = _parse_int_param(args, "page_size", default.page_size, PAGE_SIZE_MAX)
    if problem:
        errors.append(error_entry(("query", "page_size"), problem))
    sort = args.get("sort", default.sort)  # given but empty is not a sort key
    if problem := check_sort(sort, spec):
        errors.append(error_entry(("query", "sort"), problem))
        sort = default.sort
    return ListQuery(page, page_size, sort), errors


def parse_list_args(
    args: Mapping[str, str], filter_items: Iterable[tuple[str, str]], spec: ListSpec = ADAPTERS
) -> tuple[ListQuery | None, list[dict[str, Any]]]:
    """A list request as the API takes it: paging (422 entries) and filter (raises
    FilterError)."""
    query, errors = parse_paging(args, spec)
    if errors:
        return None, errors
    return query._replace(filter=parse_filter(filter_items, spec)), []


_BRACKET_KEY = re.compile(r"^filter\[([^\[\]]*)\](?:\[([^\[\]]*)\])?(\[\])?$")


def parse_filter(
    items: Iterable[tuple[str, str]], spec: ListSpec = ADAPTERS
) -> dict[str, dict[str, Any]] | None:
    """Parse ``filter`` from query items, in the bracket form or the JSON form.

    Returns ``{field: {operator: value}}`` or None when no filter was given.
    """
    raw: dict[str, dict[str, Any]] = {}
    given = False
    for key, value in items:
        if key == "filter":
            given = True
            for field, condition in _decode_json_filter(value).items():
                _merge(raw, field, condition, spec)
            continue
        match = _BRACKET_KEY.match(key)
        if not match:
            if key.startswith("filter"):
                raise FilterError(
                    f"Malformed filter parameter '{key}'. "
                    "Use filter[field]=value or filter[field][$operator]=value"
                )
            continue
        given = True
        field, operator, _ = match.groups()
        _merge(raw, field, {operator: value} if operator is not None else value, spec)
    if not given:
        return None
    return {field: _clean_conditions(field, conds, spec) for field, conds in raw.items()}


def _filter_number(digits: str) -> int:
    """A whole number in a JSON filter, exactly: one too long to be held as a number is a 400."""
    if len(digits.removeprefix("-")) > FILTER_NUMBER_DIGITS:
        raise FilterError(f"Numbers in 'filter' may have at most {FILTER_NUMBER_DIGITS} digits; "
                          "send a longer one as text")
    return int(digits)


def _decode_json_filter(text: str) -> dict[str, Any]:
    try:
        decoded = loads_strict(text, parse_int=_filter_number)
    except FilterError:
        raise
    except (ValueError, RecursionError) as exc:
        raise FilterError(f"Malformed JSON in 'filter': {json_problem(exc)}") from None
    if not isinstance(decoded, dict):
        raise FilterError("'filter' must be a JSON object, e.g. {\"name\": {\"$like\": \"x\"}}")
    return decoded


def _merge(raw: dict[str, dict[str, Any]], field: str, condition: object, spec: ListSpec) -> None:
    if field not in spec.filter_fields:
        raise FilterError(
            f"Unknown filter field '{field}'. Valid fields: {list(spec.filter_fields)}")
    if not isinstance(condition, dict) or not condition:
        condition = {"$eq": condition}
    conditions = raw.setdefault(field, {})
    for operator, value in condition.items():
        if operator in conditions:
            raise FilterError(f"Filter operator '{operator}' given twice for '{field}'")
        conditions[operator] = value


def _clean_conditions(field: str, conditions: dict[str, Any], spec: ListSpec) -> dict[str, Any]:
    clean = {}
    for operator, value in conditions.items():
        _check_operator(field, operator, spec)
        if operator in LIST_OPERATORS:
            clean[operator] = [_filter_value(field, item, spec)
                               for item in _filter_list(field, operator, value)]
        else:
            clean[operator] = _filter_value(field, value, spec)
    return clean


def _check_operator(field: str, operator: str, spec: ListSpec) -> None:
    if operator not in FILTER_OPERATORS:
        raise FilterError(
            f"Unknown filter operator '{operator}' for '{field}'. "
            f"Valid operators: {list(FILTER_OPERATORS)}"
        )
    if operator == "$like" and field not in spec.text_fields:
        raise FilterError(f"'$like' applies only to text fields, not '{field}'")
    if operator in RANGE_OPERATORS and field not in spec.time_fields:
        times = " and ".join(sorted(spec.time_fields))
        raise FilterError(f"'{operator}' applies only to {times}")


def _filter_list(field: str, operator: str, value: object) -> list[Any]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list):
        raise FilterError(f"'{operator}' for '{field}' takes a list or comma-separated text")
    if len(items) > FILTER_LIST_MAX:
        raise FilterError(f"'{operator}' for '{field}' takes at most {FILTER_LIST_MAX} values")
    return items


def _filter_value(field: str, value: object, spec: ListSpec) -> Any:
    if field in spec.flag_fields:
        if isinstance(value, bool):
            return value
        if (flag := parse_flag(value)) is not None:
            return flag
        raise FilterError(f"Filter values for '{field}' must be true or false")
    if isinstance(value, dict | list) or value is None:
        raise FilterError(f"Filter value for '{field}' must be text, not {json.dumps(value)}")
    text = str(value)
    if problem := text_problem(text, f"Filter value for '{field}'"):
        raise FilterError(problem.msg)
    if field in spec.time_fields:
        return parse_timestamp(text, field)
    return text


def parse_timestamp(text: str, field: str) -> datetime:
    """An ISO 8601 time; one without an offset is taken as UTC. Returned naive, in UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):  # not a time, or out of range once in UTC
        raise FilterError(
            f"Filter value for '{field}' must be an ISO 8601 time, e.g. 2026-01-01T00:00:00Z"
        ) from None
    return moment


def echo_filter(conditions: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The parsed filter as the list response echoes it (JSON-ready)."""
    def plain(value: Any) -> Any:
        if isinstance(value, datetime):
            return format_timestamp(value)
        if isinstance(value, list):
            return [plain(item) for item in value]
        return value

    echoed: dict[str, Any] = {}
    for field, ops in conditions.items():
        if list(ops) == ["$eq"]:
            echoed[field] = plain(ops["$eq"])
        else:
            echoed[field] = {op: plain(value) for op, value in ops.items()}
    return echoed
