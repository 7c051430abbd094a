"""Sign-in on: the same seeded file served with ``WEBUI_AUTH=on`` and with it off, side by side.

For each size and layout (on SQLite), once the main figures are taken, two more copies of the
seeded file are served by two more app servers, twins but for sign-in: one with it off, one
with ``WEBUI_AUTH=on`` whose copy was first given, through the app's own functions and before
gunicorn started, a user who is not a platform admin, the Editor role in the measured workspace
(one ``workspace_members`` row) and an API token. API list page 1 and, where the benchmark
measures it (the one-workspace layout), API create are measured on the twins in turn,
``--signin-rounds`` times each, every request to the sign-in server carrying
``Authorization: Bearer <token>``. The rounds go off-on, on-off, off-on, … so neither side is
always measured first (a drift of the machine's load, or a cache the first one warms, then
favours neither), and both twins serve exactly the same requests in the same order. The ratio
is the median throughput of the on rounds over the median of the off rounds; each pair's own
ratio is kept too, to show how much the machine's noise moves it.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import statistics
from pathlib import Path
from typing import Any

from bench import SECRET_KEY, measured_workspace
from bench.load import Kind, measure
from bench.servers import Server

KEYS = ("list_page1", "create")  # the request kinds measured with sign-in on
USERNAME = "bench-editor"
PASSWORD = "benchmark-password"  # never used: the requests carry the token
ROLE = "Editor"  # may list and create; not a platform admin, so the roles lookup is paid
TOKEN_LABEL = "benchmark"


def provision(database: Path, instance: Path, workspace: str) -> str:
    """The Editor and their token, made with the app's own functions on the file about to be
    served; the token's text."""
    # The app is imported only here, as in bench.seed: the options are read without it.
    import webui
    from webui import accounts, workspaces
    from webui.extensions import db

    app = webui.create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
                            "INSTANCE_PATH": str(instance), "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        try:
            user = accounts.create_user(USERNAME, PASSWORD, platform_admin=False)
            workspaces.set_member(workspace, user.username, [ROLE], actor="benchmark", add=True)
            text, _ = accounts.create_token(user, TOKEN_LABEL)
        finally:
            db.session.remove()
            db.engine.dispose()
    return text


@dataclasses.dataclass
class SigninPair:
    """The twin app servers, sign-in off and on, and the token every request to ``on`` carries."""

    off: Server
    on: Server
    token: str

    def signed(self, kind: Kind) -> Kind:
        """``kind`` as sent to the sign-in server: the same request with the Bearer token."""
        return dataclasses.replace(kind, label=f"{kind.label}, sign-in on", headers={
            **kind.headers, "Authorization": f"Bearer {self.token}"})

    def compare(self, kind: Kind, args: argparse.Namespace, scripts: Path, tag: str) -> dict:
        """``args.signin_rounds`` rounds on each twin, the first of each pair alternating; only
        each twin's first round has a warm-up (after it both are warm)."""
        sides = {"off": (self.off, dataclasses.replace(kind, label=f"{kind.label}, sign-in off")),
                 "on": (self.on, self.signed(kind))}
        rounds: dict[str, list[dict]] = {"off": [], "on": []}
        for number in range(args.signin_rounds):
            for side in ("off", "on") if number % 2 == 0 else ("on", "off"):
                server, sent = sides[side]
                settings = args if number == 0 else argparse.Namespace(**{**vars(args),
                                                                         "warmup": 0})
                rounds[side].append(measure(server, sent, settings, scripts,
                                            f"{tag}{side}{number}"))
        return summary(kind.label, rounds["off"], rounds["on"])


def start_pair(servers: contextlib.ExitStack, copies: tuple[Path, Path], layout: str,
               args: argparse.Namespace, instance: Path, logs: Path) -> SigninPair:
    """Provision the sign-in copy, then serve both copies (stopped with ``servers``)."""
    off_db, on_db = copies
    token = provision(on_db, instance, measured_workspace(layout))
    started = {}
    for name, database, mode in (("off", off_db, "off"), ("on", on_db, "on")):
        env = {"DATABASE_URL": f"sqlite:///{database}", "WEBUI_INSTANCE_PATH": str(instance),
               "SECRET_KEY": SECRET_KEY, "WEBUI_AUTH": mode}
        started[name] = servers.enter_context(
            Server(f"app-signin-{name}", "webui:create_app()", env, "/apis/openapi.json",
                   args.workers, logs / f"app-signin-{name}.log"))
    return SigninPair(started["off"], started["on"], token)


def _errors(rounds: list[dict]) -> int:
    """Failed requests (wrk's errors, non-2xx answers included) and failed probes."""
    return sum(sum(figures.get("errors", {}).values())
               + (not figures.get("probe", {}).get("ok", True)) for figures in rounds)


def _median(rounds: list[dict], key: str) -> float | None:
    values = [figures[key] for figures in rounds if figures.get(key) is not None]
    return round(statistics.median(values), 3) if values else None


def summary(label: str, off_rounds: list[dict], on_rounds: list[dict]) -> dict[str, Any]:
    """The medians, their ratio, each pair's ratio, and every round's raw figures."""
    off_rps, on_rps = _median(off_rounds, "rps") or 0.0, _median(on_rounds, "rps") or 0.0
    return {
        "label": label, "rounds": len(on_rounds),
        "off_rps": off_rps, "on_rps": on_rps,
        "rps_ratio": round(on_rps / off_rps, 4) if off_rps else 0.0,
        "pair_ratios": [round(on["rps"] / off["rps"], 4) if off.get("rps") else None
                        for off, on in zip(off_rounds, on_rounds, strict=False)],
        "off_p50_ms": _median(off_rounds, "p50_ms"), "on_p50_ms": _median(on_rounds, "p50_ms"),
        "off_p95_ms": _median(off_rounds, "p95_ms"), "on_p95_ms": _median(on_rounds, "p95_ms"),
        "off_errors": _errors(off_rounds), "on_errors": _errors(on_rounds),
        "off": off_rounds, "on": on_rounds,
    }
