"""The figures judged: ratios to the baseline, and each target of the issue met or missed."""

from __future__ import annotations

from collections.abc import Callable

from bench import LAYOUT_LABELS, ONE, SPREAD, spaced
from bench.search import FOR_SCALE

TARGET_GROWTH = 2.0  # list page 1 and the HTML listing at 1M within 2x of their latency at 1 000
TARGET_P95_MS = 50.0  # p95 of every measured request at 100 000
TARGET_RATIO = 0.5  # API create and list: at least half the baseline's throughput
TARGET_INDEX_P95_MS = 50.0  # the workspaces index with 20 000 workspaces
TARGET_INDEX_WORKSPACES = 20_000
TARGET_SEARCH_P95_MS = 50.0  # the search across workspaces at 1 000 000 adapters
TARGET_SEARCH_ADAPTERS = 1_000_000
TARGET_SIGNIN = 0.9  # API create and list with sign-in on: 90% of their sign-in off throughput
SMALL, MIDDLE, LARGE = "1000", "100000", "1000000"  # the sizes the targets name


def add_ratios(results: dict) -> None:
    """Each app figure against the baseline of the same size and layout: throughput (create
    against create, every read against the baseline's list page 1) and p50 latency."""
    for per_size in results.values():
        for layout, kinds in per_size["app"].items():
            for key, figures in kinds.items():
                reference_key = "create" if key == "create" else "list_page1"
                reference = per_size["baseline"].get(layout, {}).get(reference_key)
                if reference is None or not reference.get("rps"):
                    continue
                figures["baseline_reference"] = f"baseline {reference_key} ({layout})"
                figures["rps_ratio"] = round(figures["rps"] / reference["rps"], 4)
                if figures.get("p50_ms") and reference.get("p50_ms"):
                    figures["p50_ratio"] = round(figures["p50_ms"] / reference["p50_ms"], 4)


def targets(results: dict, index: dict | None = None, search: dict | None = None) -> list[dict]:
    """Each target of the issue: the measured value, met or missed, and by how much."""
    return (_growth_targets(results) + _latency_targets(results) + _ratio_targets(results)
            + _signin_targets(results) + _index_targets(index) + _search_targets(search))


def _get(results: dict, size: str, side: str, layout: str, key: str) -> dict | None:
    return results.get(size, {}).get(side, {}).get(layout, {}).get(key)


def _judged(name: str, measured: str, value: float, limit: float, met: bool, by: str) -> dict:
    """A target's entry: the measured value against its limit, met or missed by ``by``."""
    entry = {"target": name, "measured": measured, "value": value, "limit": limit,
             "result": "met" if met else "missed"}
    if not met:
        entry["by"] = by
    return entry


def _growth_targets(results: dict) -> list[dict]:
    """Page 1 and the HTML listing: p50 at 1 000 000 adapters within 2x of p50 at 1 000."""
    found: list[dict] = []
    for key, label in (("list_page1", "API list page 1"), ("html_listing", "HTML listing")):
        name = f"{label}: p50 at 1 000 000 adapters (one workspace) within 2x of p50 at 1 000"
        base = _get(results, SMALL, "app", ONE, key)
        big = _get(results, LARGE, "app", ONE, key)
        if not (base and big and base.get("p50_ms") and big.get("p50_ms")):
            found.append({"target": name, "result": "not measured"})
            continue
        allowed = TARGET_GROWTH * base["p50_ms"]
        growth = big["p50_ms"] / base["p50_ms"]
        found.append(_judged(
            name, f"{big['p50_ms']:.2f} ms vs {base['p50_ms']:.2f} ms = {growth:.2f}x "
                  f"(p95 {big['p95_ms']:.2f} vs {base['p95_ms']:.2f} ms)",
            round(growth, 3), TARGET_GROWTH, big["p50_ms"] <= allowed,
            f"{big['p50_ms'] - allowed:.2f} ms over the allowed {allowed:.2f} ms "
            f"(+{(growth / TARGET_GROWTH - 1) * 100:.0f}%)"))
    return found


def _latency_targets(results: dict) -> list[dict]:
    """Every request measured at 100 000 adapters: p95 under 50 ms."""
    if MIDDLE not in results:
        return [{"target": f"p95 under {TARGET_P95_MS:g} ms at 100 000 adapters",
                 "result": "not measured"}]
    found: list[dict] = []
    for layout, kinds in results[MIDDLE]["app"].items():
        for key, figures in kinds.items():
            name = (f"p95 under {TARGET_P95_MS:g} ms at 100 000 adapters: {figures['label']} "
                    f"({LAYOUT_LABELS[layout]})")
            p95 = figures.get("p95_ms")
            if p95 is None:
                found.append({"target": name, "result": "missed",
                              "by": "no request finished in the measured time"})
                continue
            measured = f"p95 {p95:.2f} ms"
            reference = _get(results, MIDDLE, "baseline", layout, key)
            if reference and reference.get("p95_ms") is not None:
                measured += f" ({reference['label']}: p95 {reference['p95_ms']:.2f} ms)"
            found.append(_judged(
                name, measured, p95, TARGET_P95_MS, p95 < TARGET_P95_MS,
                f"{p95 - TARGET_P95_MS:.2f} ms over (+{(p95 / TARGET_P95_MS - 1) * 100:.0f}%)"))
    return found


def _ratio_targets(results: dict) -> list[dict]:
    """API create and list page 1, at every size and layout: half the baseline's throughput."""
    found: list[dict] = []
    for key, label in (("create", "API create"), ("list_page1", "API list page 1")):
        for size in results:
            for layout in (ONE, SPREAD):
                figures = _get(results, size, "app", layout, key)
                reference = _get(results, size, "baseline", layout, key)
                if not figures or not reference:
                    continue
                ratio = figures["rps"] / reference["rps"] if reference["rps"] else 0.0
                needed = TARGET_RATIO * reference["rps"]
                found.append(_judged(
                    f"{label}: at least {TARGET_RATIO:.0%} of the baseline's throughput, "
                    f"{spaced(size)} adapters ({LAYOUT_LABELS[layout]})",
                    f"{figures['rps']:.1f} vs {reference['rps']:.1f} req/s = {ratio:.0%}",
                    round(ratio, 4), TARGET_RATIO, ratio >= TARGET_RATIO,
                    f"{(TARGET_RATIO - ratio) * 100:.0f} points short: "
                    f"{needed - figures['rps']:.1f} req/s more needed (to {needed:.1f})"))
    return found


def _signin_targets(results: dict) -> list[dict]:
    """API create and list page 1 with a Bearer token on every request, at every size and
    layout measured with sign-in on: 90% of the same request's sign-in off throughput."""
    found: list[dict] = []
    for key, label in (("create", "API create"), ("list_page1", "API list page 1")):
        name = (f"{label} with sign-in on: at least {TARGET_SIGNIN:.0%} of its sign-in off "
                "throughput")
        measured = [(size, layout, results[size]["signin"][layout][key]) for size in results
                    for layout in (ONE, SPREAD)
                    if key in results[size].get("signin", {}).get(layout, {})]
        if not measured:
            found.append({"target": name, "result": "not measured"})
        for size, layout, figures in measured:
            found.append(_signin_judged(
                f"{name}, {spaced(size)} adapters ({LAYOUT_LABELS[layout]})",
                figures))
    return found


def _signin_judged(name: str, figures: dict) -> dict:
    """One sign-in target: the medians' ratio, missed too if any request or probe failed."""
    ratio, needed = figures["rps_ratio"], TARGET_SIGNIN * figures["off_rps"]
    pairs = ", ".join("–" if pair is None else f"{pair:.2f}" for pair in figures["pair_ratios"])
    measured = (f"{figures['on_rps']:.1f} vs {figures['off_rps']:.1f} req/s = {ratio:.0%} "
                f"(medians of {figures['rounds']} rounds each; pairs {pairs})")
    errors = figures["off_errors"] + figures["on_errors"]
    if errors:
        return _judged(name, measured, ratio, TARGET_SIGNIN, False,
                       f"{figures['on_errors']} failed requests or probes with sign-in on, "
                       f"{figures['off_errors']} with it off")
    return _judged(name, measured, ratio, TARGET_SIGNIN, ratio >= TARGET_SIGNIN,
                   f"{(TARGET_SIGNIN - ratio) * 100:.0f} points short: "
                   f"{needed - figures['on_rps']:.1f} req/s more needed (to {needed:.1f})")


def _index_targets(index: dict | None) -> list[dict]:
    """The workspaces index with 20 000 workspaces: p95 under 50 ms for each of its requests."""
    return _sized_p95_targets(
        f"the workspaces index with {spaced(TARGET_INDEX_WORKSPACES)} workspaces", index,
        "workspaces", TARGET_INDEX_WORKSPACES, ("index_reference",), TARGET_INDEX_P95_MS,
        lambda f: f"{f['bytes'] / max(1, f['requests']) / 1024:.0f} KiB a page")


def _search_targets(search: dict | None) -> list[dict]:
    """The search across workspaces at 1 000 000 adapters: p95 under 50 ms for each search."""
    return _sized_p95_targets(
        f"the search across workspaces at {spaced(TARGET_SEARCH_ADAPTERS)} adapters", search,
        "adapters", TARGET_SEARCH_ADAPTERS, FOR_SCALE, TARGET_SEARCH_P95_MS,
        lambda f: f"{f.get('matches', '?'):,} matches")


def _sized_p95_targets(what: str, part: dict | None, size_key: str, size: int,
                       for_scale: tuple[str, ...], target_ms: float,
                       detail: Callable[[dict], str]) -> list[dict]:
    """A p95 target for each request of a part of the benchmark measured at ``size`` (of
    ``size_key``); measured smaller, it is not the target's measurement."""
    name = f"p95 under {target_ms:g} ms, {what}"
    if not part or part[size_key] < size:
        return [{"target": name, "result": "not measured"}]
    return _p95_targets(name, part["kinds"], for_scale, target_ms, detail)


def _p95_targets(name: str, kinds: dict, for_scale: tuple[str, ...], target_ms: float,
                 detail: Callable[[dict], str]) -> list[dict]:
    """One p95 target judged for each measured request but those ``for_scale``; a request
    that failed, or whose probe did, misses it."""
    found: list[dict] = []
    for key, figures in kinds.items():
        if key in for_scale:
            continue
        p95 = figures.get("p95_ms")
        label = f"{name}: {figures['label']}"
        errors = sum(figures.get("errors", {}).values())
        if p95 is None or errors or not figures["probe"]["ok"]:
            found.append({"target": label, "result": "missed",
                          "by": f"{errors} failed requests; probe {figures['probe']['status']}"})
            continue
        rounds = figures.get("rounds", [])
        each = "; median of rounds at " + ", ".join(
            "–" if one["p95_ms"] is None else f"{one['p95_ms']:.1f}" for one in rounds
        ) if rounds else ""
        found.append(_judged(
            label, f"p95 {p95:.2f} ms (p50 {figures['p50_ms']:.2f} ms, {figures['rps']:.0f} "
                   f"req/s, {detail(figures)}{each})",
            p95, target_ms, p95 < target_ms,
            f"{p95 - target_ms:.2f} ms over (+{(p95 / target_ms - 1) * 100:.0f}%)"))
    return found
