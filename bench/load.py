"""The load: the request kinds measured, and wrk driving each one, its figures read back."""

from __future__ import annotations

import argparse
import html
import json
import math
import os
import re
import subprocess
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import ONE, PAGE_SIZE, SECRET_KEY, SPREAD, measured_workspace
from bench.servers import Server, http

API = "/apis/models/v2/workspaces"

# wrk's own summary is text for people; this prints the figures as one JSON line instead.
LUA_DONE = r"""
function done(summary, latency, requests)
  local seconds = summary.duration / 1000000
  local e = summary.errors
  local function ms(value) return value / 1000 end
  if summary.requests == 0 then
    io.write(string.format('BENCH_JSON {"requests": 0, "duration_s": %.6f, "rps": 0, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
      seconds, e.connect, e.read, e.write, e.status, e.timeout))
    return
  end
  io.write(string.format('BENCH_JSON {"requests": %d, "duration_s": %.6f, "rps": %.3f, ' ..
    '"p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "mean_ms": %.3f, "max_ms": %.3f, ' ..
    '"bytes": %d, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, ' ..
    '"timeout": %d}}\n',
    summary.requests, seconds, summary.requests / seconds,
    ms(latency:percentile(50)), ms(latency:percentile(95)), ms(latency:percentile(99)),
    ms(latency.mean), ms(latency.max), summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""

# Unique names per request: the run's tag, the wrk thread's id and a counter; the headers are
# wrk.headers (JSON, and whatever the kind adds, such as a Bearer token).
LUA_CREATE = r"""
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
local tag = "run"
local counter = 0
local types = {"lora", "qlora", "dpo", "p_tuning", "all_weights", "kto", "dora", "ppo"}
function init(args)
  if args[1] then tag = args[1] end
end
wrk.headers["Content-Type"] = "application/json"
function request()
  counter = counter + 1
  local body = string.format('{"name": "new-%s-%d-%d", "model": "llama-3-8b", ' ..
    '"fileset": "dataset-%04d", "finetuning_type": "%s", ' ..
    '"description": "Created by the benchmark", "enabled": true}',
    tag, id, counter, counter % 1000, types[counter % #types + 1])
  return wrk.format("POST", nil, wrk.headers, body)
end
"""


@dataclass
class Kind:
    """One request kind to measure."""

    key: str
    label: str
    method: str
    path: str
    expect: int
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    create: bool = False

    def lua(self) -> str:
        """The wrk script that sends this request (with its headers) and prints the figures."""
        lines = [f"wrk.headers[ {_lua_string(name)} ] = {_lua_string(value)}"
                 for name, value in self.headers.items()]
        if self.create:  # its requests are made in Lua, from ``wrk.headers``
            return "\n".join(lines) + "\n" + LUA_CREATE + LUA_DONE
        lines.append(f"wrk.method = {_lua_string(self.method)}")
        if self.body is not None:
            lines.append(f"wrk.body = {_lua_string(self.body)}")
        return "\n".join(lines) + "\n" + LUA_DONE


def _lua_string(text: str) -> str:
    return "[==[" + text.replace("]==]", "") + "]==]"


def app_kinds(size: int, layout: str) -> list[Kind]:
    """The app's request kinds for a layout; creates last, so reads see exactly ``size`` rows."""
    workspace = measured_workspace(layout)
    list_page1 = Kind("list_page1", "(b) API list, page 1", "GET", f"{API}/{workspace}/adapters",
                      200)
    html_listing = Kind("html_listing", "(d) HTML listing", "GET",
                        f"/workspaces/{workspace}/adapters", 200)
    activity = [Kind("html_activity", "(i) HTML activity page", "GET",
                     f"/workspaces/{workspace}/activity", 200),
                Kind("api_activity", "(i) API activity, page 1", "GET",
                     f"/apis/webui/v1/workspaces/{workspace}/activity", 200)]
    if layout == SPREAD:
        return [list_page1, html_listing, *activity]
    last_page = max(1, math.ceil(size / PAGE_SIZE))
    like = urllib.parse.urlencode({"filter[name][$like]": "00012", "sort": "-updated_at"})
    shown = f"adapter-{min(500, size - 1):07d}"
    return [
        list_page1,
        Kind("list_deep", f"(b) API list, page {last_page} (last)", "GET",
             f"{API}/{workspace}/adapters?page={last_page}", 200),
        Kind("list_like_sort", "(c) API list, $like filter + sort", "GET",
             f"{API}/{workspace}/adapters?{like}", 200),
        html_listing,
        *activity,
        Kind("html_adapter", "(e) HTML adapter page", "GET",
             f"/workspaces/{workspace}/adapters/{shown}", 200),
        Kind("validate", "(f) per-field validation (name)", "POST",
             f"/workspaces/{workspace}/new-adapter/validate?field=name", 200,
             body="name=fresh-adapter-name"),
        Kind("create", "(a) API create", "POST", f"{API}/{workspace}/adapters", 201,
             create=True),
    ]


def baseline_kinds(layout: str) -> list[Kind]:
    """The baseline's request kinds for a layout: list page 1, and create in one workspace."""
    workspace = measured_workspace(layout)
    kinds = [Kind("list_page1", "baseline: list, page 1", "GET", f"{API}/{workspace}/adapters",
                  200)]
    if layout == ONE:
        kinds.append(Kind("create", "baseline: create", "POST", f"{API}/{workspace}/adapters",
                          201, create=True))
    return kinds


def csrf_headers(server: Server, workspace: str) -> dict[str, str]:
    """The session cookie and CSRF token a browser would have after opening the form."""
    status, headers, content, _ = http("GET", f"{server.url}/workspaces/{workspace}/new-adapter")
    if status != 200:
        raise RuntimeError(f"the create form answered {status}")
    cookies = [cookie.split(";", 1)[0] for cookie in headers.get_all("Set-Cookie") or []]
    page = content.decode()
    token = None
    for tag in re.findall(r"<input[^>]*>", page):
        if 'name="csrf_token"' in tag and (found := re.search(r'value="([^"]+)"', tag)):
            token = html.unescape(found.group(1))
            break
    if token is None and (found := re.search(r'"X-CSRFToken":\s*"([^"]+)"', html.unescape(page))):
        token = found.group(1)
    if not cookies or token is None:
        raise RuntimeError("no session cookie or CSRF token on the create form")
    return {"Cookie": "; ".join(cookies), "X-CSRFToken": token,
            "Content-Type": "application/x-www-form-urlencoded"}


def probe(server: Server, kind: Kind, tag: str) -> dict:
    """One request first: the status must be what the kind expects (and it warms the path)."""
    body = kind.body.encode() if kind.body is not None else None
    headers = dict(kind.headers)
    if kind.create:
        body = json.dumps({"name": f"probe-{tag}", "model": "llama-3-8b", "fileset": "fs1",
                           "finetuning_type": "lora"}).encode()
        headers["Content-Type"] = "application/json"
    status, _, content, took = http(kind.method, server.url + kind.path, body, headers,
                                    timeout=120)
    result = {"status": status, "ms": round(took, 3), "ok": status == kind.expect}
    if not result["ok"]:
        result["body"] = content[:300].decode("utf-8", "replace")
    return result


def run_wrk(server: Server, kind: Kind, seconds: int, args: argparse.Namespace, tag: str,
            scripts: Path) -> dict:
    """wrk on one kind for ``seconds``: the figures its script prints."""
    script = scripts / f"{kind.key}.lua"
    script.write_text(kind.lua())
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s",
               "--latency", "--timeout", f"{args.request_timeout}s", "-s", str(script),
               server.url + kind.path, "--", tag]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60,
                          stdin=subprocess.DEVNULL)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line.removeprefix("BENCH_JSON "))
    raise RuntimeError(f"wrk gave no figures: {done.stdout}\n{done.stderr}")


def measure(server: Server, kind: Kind, args: argparse.Namespace, scripts: Path,
            run_id: str, warm_up: bool = True, tag: str = "") -> dict:
    """Probe, warm up (unless told not to), then measure one kind for ``args.seconds``."""
    figures: dict[str, Any] = {"label": kind.label, "method": kind.method, "path": kind.path}
    figures["loadavg_1m_before"] = round(os.getloadavg()[0], 2)
    figures["probe"] = probe(server, kind, f"{run_id}-{kind.key}{tag}")
    if warm_up and args.warmup > 0:
        run_wrk(server, kind, args.warmup, args, f"{run_id}w{tag}", scripts)
    started = time.monotonic()
    figures.update(run_wrk(server, kind, args.seconds, args, f"{run_id}m{tag}", scripts))
    figures["wall_s"] = round(time.monotonic() - started, 2)
    print(f"    {kind.label:<42} {figures['rps']:>9.1f} req/s  "
          f"p50 {_fmt(figures.get('p50_ms'))} p95 {_fmt(figures.get('p95_ms'))} "
          f"p99 {_fmt(figures.get('p99_ms'))} ms  n={figures['requests']}"
          + ("" if figures["probe"]["ok"] else f"  PROBE {figures['probe']['status']}")
          + (f"  errors={figures['errors']}" if any(figures["errors"].values()) else ""),
          flush=True)
    return figures


def measure_app(database: Path, kinds: list[Kind], args: argparse.Namespace, work: Path,
                run_id: str, name: str, rounds: int = 1) -> dict[str, dict]:
    """Serve the SQLite file ``database`` with the app, sign-in off, as `make serve` does, and
    measure each of ``kinds`` in ``rounds`` alternating rounds (each kind once a round; only
    the first round warms up); each kind's figures are its median round's
    (:func:`median_round`). The server's log is logs/app-``name``.log beside the output."""
    (work / "lua").mkdir(parents=True, exist_ok=True)
    env = {"DATABASE_URL": f"sqlite:///{database}", "WEBUI_INSTANCE_PATH": str(work / "instance"),
           "SECRET_KEY": SECRET_KEY}
    log = Path(args.output).parent / "logs" / f"app-{name}.log"
    measured: dict[str, list[dict]] = {kind.key: [] for kind in kinds}
    with Server("app", "webui:create_app()", env, "/apis/openapi.json", args.workers,
                log) as server:
        for number in range(rounds):
            if rounds > 1:
                print(f"   round {number + 1} of {rounds}", flush=True)
            for kind in kinds:
                measured[kind.key].append(measure(server, kind, args, work / "lua", run_id,
                                                  warm_up=number == 0, tag=f"r{number}"))
    return {key: median_round(found) for key, found in measured.items()}


def median_round(found: list[dict]) -> dict:
    """One kind's rounds as one set of figures: the round of the median p95 (the lower middle
    one of an even count), with every round's throughput and p95 beside it (``rounds``). A
    failed request or probe in any round counts against the kind."""
    if len(found) == 1:
        return found[0]
    ordered = sorted(found, key=lambda figures: (figures.get("p95_ms") is None,
                                                 figures.get("p95_ms") or 0.0))
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["rounds"] = [{"rps": figures["rps"], "p95_ms": figures.get("p95_ms")}
                        for figures in found]
    chosen["errors"] = {kind: sum(figures["errors"].get(kind, 0) for figures in found)
                        for kind in found[0]["errors"]}
    chosen["probe"] = next((figures["probe"] for figures in found
                            if not figures["probe"]["ok"]), chosen["probe"])
    return chosen


def _fmt(value: float | None) -> str:
    return "   -  " if value is None else f"{value:7.2f}"
