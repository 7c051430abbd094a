"""The report: the machine's details, and the figures written as JSON and as Markdown."""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import platform
import sqlite3
import subprocess
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

from bench import LAYOUT_LABELS, ONE, ROOT, SPREAD, spaced
from webui.queries import SEARCH_COUNT_MOST

LATENCY = ("Latencies are in ms; wrk is closed-loop (each connection waits for its answer), so "
           "latency includes queueing behind the other connections.")
SQLITE_METHOD = (
    "The files are seeded through `webui.create_app` (the app's schema and indexes) and "
    "bulk-filled; every size is measured on a fresh copy, reads first and creates last; each "
    "baseline figure is taken right after the app figure it is compared with. The *baseline* is "
    "`bench/baseline.py`: Flask and raw `sqlite3` on a copy of the same file, same pragmas and "
    "gunicorn settings; its create inserts the row and bumps the counter rows the app keeps "
    "(workspace count, per-workspace model count) in one transaction, its list reads the "
    "workspace counter and one `ORDER BY created_at, name LIMIT 100 OFFSET …` page, with no "
    "validation, ORM, sessions or security headers. Seeding loads the rows first and then builds "
    "the app's indexes (replaying its `CREATE INDEX` statements), so those indexes are compactly "
    "packed.")
SQLITE_RATIOS = (
    "*× baseline* is throughput divided by the baseline's (create against the baseline's create; "
    "every read against the baseline's list page 1 in the same layout); *p50 ÷ baseline* is the "
    "same for the median latency. Raw figures, with error counts and the machine details: "
    "`bench/results/latest.json` (not committed).")
SIGNIN_METHOD = (
    "*Sign-in on against off*: after the figures above, two more copies of the same seeded file "
    "are served by two more app servers, twins but for `WEBUI_AUTH`: off, and on, whose copy "
    "was first given, through the app's own functions before gunicorn started, a user who is "
    "not a platform admin, the Editor role in the measured workspace and an API token. API list "
    "page 1, and API create where it is measured (one workspace), are measured on the twins in "
    "turn, {rounds} rounds each, the pairs ordered off-on, on-off, off-on, … so neither side is "
    "always first; every request to the sign-in server carries `Authorization: Bearer <token>`, "
    "and only each twin's first round has a warm-up. *on ÷ off* is the median of the on rounds' "
    "throughput over the median of the off rounds'; *pairs* are each pair's own ratio, a "
    "measure of the noise.")
POSTGRES_METHOD = (
    "For every size and layout the app's tables are dropped, made again by `webui.create_app` "
    "(the app's schema and indexes), loaded with `COPY` (the app's indexes built after the "
    "load), the counter tables filled from the rows, and the database analysed; seeds are not "
    "cached. Reads are measured first and creates last.")
POSTGRES_NO_BASELINE = (
    "**No baseline on PostgreSQL**: there is no raw-psycopg counterpart of `bench/baseline.py`, "
    "so the figures are absolute (the ratio columns are –) and the baseline-ratio targets are "
    "skipped; the latency targets are kept. Raw figures: `bench/results/latest-postgresql.json` "
    "(not committed). SQLite figures: [`RESULTS.md`](RESULTS.md).")
SIGNIN_HEAD = ["| request | layout | off req/s | on req/s | on ÷ off | pairs | p50 off → on "
               "| p95 off → on | errors off / on |",
               "|---|---|--:|--:|--:|--:|--:|--:|--:|"]
TABLE_HEAD = ["| request | layout | req/s | p50 | p95 | p99 | × baseline | p50 ÷ baseline "
              "| n | errors |",
              "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|"]


def machine() -> dict:
    """The machine, the versions and the app's commit the figures were measured with."""
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    dirty = subprocess.run(["git", "status", "--porcelain", "webui", "templates"],
                           capture_output=True, text=True, cwd=ROOT)
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": _cpu(),
        "memory_mib": _memory_mib(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": (wrk.stdout or wrk.stderr or "?").splitlines()[0].split(" Copyright")[0],
        "gunicorn": _version("gunicorn"),
        "flask": _version("flask"),
        "sqlalchemy": _version("sqlalchemy"),
        "git_commit": commit.stdout.strip() or None,
        "app_changes_uncommitted": bool(dirty.stdout.strip()),
        "loadavg_start": [round(value, 2) for value in os.getloadavg()],
    }


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _cpu() -> str | None:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return None


def _memory_mib() -> int | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    return None


def write(report: dict, output: Path, markdown_path: str) -> None:
    """The figures as JSON and as Markdown, and the targets' results on the terminal."""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    Path(markdown_path).write_text(markdown(report))
    print(f"\n{output} and {markdown_path} written ({report['seconds_total']:.0f} s)")
    for entry in report["targets"]:
        print(f"  {entry['result']:>12}  {entry['target']}"
              + (f" — {entry['by']}" if entry.get("by") else ""))


def markdown(report: dict) -> str:
    """The whole Markdown report: method, a table for each size, the targets."""
    postgres = report["settings"].get("database") == "postgresql"
    lines = _heading_postgresql(report) if postgres else _heading_sqlite(report)
    for size, per_size in report["results"].items():
        lines += _size_section(size, per_size, postgres)
    lines += _index_section(report.get("index"))
    lines += _search_section(report.get("search"))
    lines += _targets_section(report, postgres)
    return "\n".join(lines)


def _written(how: str, m: dict, database: str) -> str:
    """Who wrote the report, when, and on what."""
    return (f"Written by {how} on {m['date']}: {m['nproc']} cores ({m['cpu']}), "
            f"{m['memory_mib']} MiB, Python {m['python']}, {database}, gunicorn {m['gunicorn']}, "
            f"{m['wrk']}; app commit `{(m['git_commit'] or '?')[:12]}`"
            + (" with uncommitted changes in webui/ or templates/"
               if m["app_changes_uncommitted"] else "") + ".")


def _each_figure(s: dict, served_on: str) -> str:
    """How each figure was measured."""
    return (f"Each figure: `wrk -t{s['threads']} -c{s['connections']} -d{s['seconds']:g}s` on "
            f"127.0.0.1 after a {s['warmup']:g} s warm-up, against gunicorn with {s['workers']} "
            f"sync workers on {served_on}. {LATENCY}")


def _heading_sqlite(report: dict) -> list[str]:
    """The heading and the method, on SQLite."""
    m, s = report["machine"], report["settings"]
    return [
        "# Benchmark results",
        "",
        _written("`make bench` (`bench/run.py`)", m, f"SQLite {m['sqlite']}"),
        "",
        _each_figure(s, "a SQLite file (WAL, `synchronous=FULL`, 30 s busy timeout)")
        + " " + SQLITE_METHOD,
        "",
        SQLITE_RATIOS,
        "",
        *([SIGNIN_METHOD.format(rounds=s["signin_rounds"]), ""] if s.get("signin_rounds") else []),
    ]


def _heading_postgresql(report: dict) -> list[str]:
    """The heading and the method, on PostgreSQL."""
    m, s = report["machine"], report["settings"]
    pg = m["postgresql"]
    return [
        "# Benchmark results: PostgreSQL",
        "",
        _written("`bench/run.py --database-url postgresql+psycopg://…`", m,
                 f"PostgreSQL {pg['server_version']} (fsync {pg['fsync']}, synchronous_commit "
                 f"{pg['synchronous_commit']}, shared_buffers {pg['shared_buffers']}) on the same "
                 f"machine, psycopg {m['psycopg']}"),
        "",
        _each_figure(s, "PostgreSQL") + " " + POSTGRES_METHOD,
        "",
        POSTGRES_NO_BASELINE,
        "",
    ]


def _cell(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:,.{digits}f}".replace(",", " ")


def _row(figures: dict, layout: str) -> str:
    """One measured request kind as a table row."""
    errors = sum(figures.get("errors", {}).values())
    probe = figures.get("probe", {})
    errors_cell = (str(errors) if probe.get("ok", True)
                   else f"{errors} (probe: {probe.get('status')})")
    path = urllib.parse.unquote(figures["path"]).replace("|", "\\|")
    return (
        f"| {figures['label']} <br>`{figures['method']} {path}` | "
        f"{LAYOUT_LABELS.get(layout, layout)} | {_cell(figures.get('rps'), 1)} | "
        f"{_cell(figures.get('p50_ms'))} | {_cell(figures.get('p95_ms'))} | "
        f"{_cell(figures.get('p99_ms'))} | "
        + (f"{figures['rps_ratio']:.2f}" if "rps_ratio" in figures else "–") + " | "
        + (f"{figures['p50_ratio']:.2f}" if "p50_ratio" in figures else "–")
        + f" | {figures.get('requests', 0)} | {errors_cell} |"
    )


def _size_section(size: str, per_size: dict, postgres: bool) -> list[str]:
    """One size: the app's rows sorted by request kind, then the baseline's, then the seeds."""
    rows = []
    for layout in (ONE, SPREAD):
        rows += [(figures, layout) for figures in per_size["app"].get(layout, {}).values()]
    rows.sort(key=lambda pair: (pair[0]["label"][:3], pair[1] != ONE))
    for layout in (ONE, SPREAD):
        rows += [(figures, layout) for figures in per_size["baseline"].get(layout, {}).values()]
    seeds = "; ".join(
        f"{LAYOUT_LABELS[layout]}: {seed['bytes'] / 2**20:.0f} MiB, "
        + ("from the cache" if seed["cached"] else f"seeded in {seed['seconds']} s")
        for layout, seed in per_size["seed"].items())
    return [f"## {spaced(size)} adapters", "", *TABLE_HEAD,
            *(_row(figures, layout) for figures, layout in rows),
            "", f"{'Database' if postgres else 'Files'}: {seeds}.", "",
            *_signin_table(per_size.get("signin", {}))]


def _index_section(index: dict | None) -> list[str]:
    """The workspaces index: its request kinds with that many workspaces."""
    if not index:
        return []
    head = [line.replace(" layout |", " workspaces |") for line in TABLE_HEAD]
    rows = [_row(figures, spaced(index["workspaces"])) for figures in index["kinds"].values()]
    return [f"## The workspaces index, {spaced(index['workspaces'])} workspaces", "",
            "One adapter in each workspace; the index shows 50 a page, in name order; the "
            "search keeps the names that start with the term (a tenth of them here). Seeded "
            f"in {index['seed_seconds']} s.", "", *head, *rows, "", *_rounds(index["kinds"])]


def _search_section(search: dict | None) -> list[str]:
    """The search across workspaces: each search with that many adapters."""
    if not search:
        return []
    head = [line.replace(" layout |", " adapters |") for line in TABLE_HEAD]
    rows = [_row(figures, spaced(search["adapters"])) for figures in search["kinds"].values()]
    matches = ", ".join(f"{figures['label'].split(' (')[0].removeprefix('(h) ')}: "
                        f"{figures['matches']:,}" for figures in search["kinds"].values()
                        if "matches" in figures)
    seed = search["seed"]
    return [f"## The search across workspaces, {spaced(search['adapters'])} adapters", "",
            "Over 100 workspaces, sign-in off (every workspace searched), page 1 at 25 a page, "
            f"newest first; matches: {matches} (the page counts up to {SEARCH_COUNT_MOST:,}). "
            f"File: {seed['bytes'] / 2**20:.0f} MiB, "
            + ("from the cache." if seed["cached"] else f"seeded in {seed['seconds']} s."),
            "", *head, *rows, "", *_rounds(search["kinds"])]


def _rounds(kinds: dict) -> list[str]:
    """Under a table measured in alternating rounds: what it shows, and every round's figures."""
    measured = [figures for figures in kinds.values() if "rounds" in figures]
    if not measured:
        return []
    lines = [f"Measured in {len(measured[0]['rounds'])} alternating rounds (each request once a "
             "round, on the same server; only the first round warms up); each row is its "
             "median round, by p95. Every round, p95 in ms (req/s):", ""]
    for figures in measured:
        each = ", ".join(f"{_cell(one['p95_ms'])} ({_cell(one['rps'], 0)})"
                         for one in figures["rounds"])
        lines.append(f"- {figures['label']}: {each}")
    return [*lines, ""]


def _signin_table(signin: dict) -> list[str]:
    """One size's sign-in comparison: each request kind, off against on."""
    if not signin:
        return []
    lines = ["Sign-in on (a non-admin Editor's Bearer token on every request) against sign-in "
             "off, alternating rounds:", "", *SIGNIN_HEAD]
    for layout in (ONE, SPREAD):
        for figures in signin.get(layout, {}).values():
            pairs = ", ".join("–" if pair is None else f"{pair:.2f}"
                              for pair in figures["pair_ratios"])
            lines.append(
                f"| {figures['label']} | {LAYOUT_LABELS[layout]} | "
                f"{_cell(figures['off_rps'], 1)} | {_cell(figures['on_rps'], 1)} | "
                f"**{figures['rps_ratio']:.2f}** | {pairs} | "
                f"{_cell(figures['off_p50_ms'])} → {_cell(figures['on_p50_ms'])} | "
                f"{_cell(figures['off_p95_ms'])} → {_cell(figures['on_p95_ms'])} | "
                f"{figures['off_errors']} / {figures['on_errors']} |")
    return [*lines, ""]


def _targets_section(report: dict, postgres: bool) -> list[str]:
    """The targets' table, how many were met, the run time and the machine's load."""
    lines = ["## Targets", "", "| target | measured | result | by how much |", "|---|---|---|---|"]
    for entry in report["targets"]:
        lines.append(f"| {entry['target']} | {entry.get('measured', '–')} | "
                     f"**{entry['result']}** | {entry.get('by', '')} |")
    met = sum(entry["result"] == "met" for entry in report["targets"])
    loads = [figures["loadavg_1m_before"] for per_size in report["results"].values()
             for side in ("app", "baseline") for kinds in per_size[side].values()
             for figures in kinds.values() if "loadavg_1m_before" in figures]
    loads += [figures["loadavg_1m_before"] for per_size in report["results"].values()
              for kinds in per_size.get("signin", {}).values() for compared in kinds.values()
              for figures in compared["off"] + compared["on"]]
    loads += [figures["loadavg_1m_before"]
              for part in ("index", "search")
              for figures in (report.get(part) or {}).get("kinds", {}).values()]
    load = f"{min(loads):.1f}–{max(loads):.1f}" if loads else "?"
    lines += ["", f"{met} of {len(report['targets'])} met"
              + (" (the baseline-ratio targets are skipped: no PostgreSQL baseline)"
                 if postgres else "") + ". Run time: "
              f"{report['seconds_total']:.0f} s. The 1-minute load average before the "
              f"measurements ranged {load} on {report['machine']['nproc']} cores (the server and "
              "wrk themselves account for about 2 of it; more means other work shared the machine"
              + ("" if postgres else ", which the ratios to the baseline, each measured right "
                 "after its app figure, partly cancel") + ").", ""]
    return lines
