"""Bodies on a real server: gunicorn (`make serve`'s gevent workers, and the sync worker) sent
chunked bodies with no Content-Length, compressed bodies and other charsets over a socket.

A chunked body past MAX_CONTENT_LENGTH (1 MiB + 1 byte, 3 MiB) is a 413, never cut at the limit
and stored; gzip and latin1 are 415s; nothing refused is stored.
"""

from __future__ import annotations

import gzip
import json
import os
import socket
import sqlite3
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest
from conftest import API, valid_body
from htmlquery import every
from servers import Server

from webui import rules

pytestmark = pytest.mark.slow

MIB = 1024 * 1024
CREATE = f"{API}/default/adapters"
NEW_PAGE = "/workspaces/default/new-adapter"


@pytest.fixture(scope="module", params=["gevent", "sync"])
def server(request, tmp_path_factory) -> Iterator[Server]:
    """gunicorn with 2 workers on a fresh SQLite file: `make serve`'s gevent, or sync."""
    folder = tmp_path_factory.mktemp(f"bodies-{request.param}")
    running = Server(folder, f"sqlite:///{folder / 'registry.sqlite3'}", workers=2,
                     settings={"GUNICORN_CMD_ARGS": f"-k {request.param}"})
    running.start()
    yield running
    running.stop()


def send_raw(server: Server, path: str, body: bytes, headers: dict[str, str],
             chunked: bool = True) -> tuple[int, bytes]:
    """POST ``body`` in 64 KiB pieces (chunks with no Content-Length, or after a Content-Length)
    and ``Connection: close``; the status and body answered.

    The server may answer (and close) before the last piece: the answer is read all the same.
    """
    framing = {"Transfer-Encoding": "chunked"} if chunked else {"Content-Length": str(len(body))}
    head = "".join(f"{name}: {value}\r\n" for name, value in {
        "Host": f"127.0.0.1:{server.port}", **framing, "Connection": "close", **headers}.items())
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        try:
            sock.sendall(f"POST {path} HTTP/1.1\r\n{head}\r\n".encode())
            for start in range(0, len(body), 65536):
                part = body[start:start + 65536]
                sock.sendall(b"%x\r\n%s\r\n" % (len(part), part) if chunked else part)
            sock.sendall(b"0\r\n\r\n" if chunked else b"")
        except (BrokenPipeError, ConnectionResetError):
            pass  # it stopped reading once the limit was passed; its answer is waiting
        return _answer(sock)


def _answer(sock: socket.socket) -> tuple[int, bytes]:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    head, _, content = received.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), content


def padded(start: bytes, size: int, filler: bytes = b" ") -> bytes:
    """``start``, filler up to the 1 MiB limit, then garbage up to ``size``: cut at the limit,
    it would be a good body, so only a 413 shows it was read whole."""
    body = start + filler * (rules.MAX_BODY_BYTES - len(start))
    return body + b"%" * (size - len(body))


def stored(server: Server) -> list[str]:
    """The names of the adapters in the server's database."""
    with sqlite3.connect(server.database) as connection:
        return [name for (name,) in connection.execute("SELECT name FROM adapters ORDER BY name")]


SIZES = [pytest.param(MIB + 1, id="1MiB+1"), pytest.param(3 * MIB, id="3MiB")]


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
@pytest.mark.parametrize("size", SIZES)
def test_a_json_body_past_the_limit_is_413(server, size, chunked):
    """A create past 1 MiB, chunked or not: 413 with the contract's body, which the client gets
    (no reset connection); nothing stored."""
    body = padded(json.dumps(valid_body(name="too-big")).encode(), size)
    status, answer = send_raw(server, CREATE, body, {"Content-Type": "application/json"},
                              chunked)
    assert (status, json.loads(answer)) == (413, {
        "detail": f"Request body is larger than the limit of {rules.MAX_BODY_BYTES} bytes"})
    assert "too-big" not in stored(server)


@pytest.mark.parametrize("size", SIZES)
def test_a_chunked_form_past_the_limit_is_413(server, size):
    """A chunked create form past 1 MiB: a 413 page; nothing stored."""
    with httpx.Client(base_url=server.url) as client:
        page = client.get(NEW_PAGE)
        token = every(page.text, 'input[name="csrf_token"]')[0]["value"]
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    form = urlencode({"csrf_token": token, "name": "too-big-form", "model": "base-model",
                      "fileset": "fs1", "finetuning_type": "lora"}) + "&pad="
    status, answer = send_raw(server, NEW_PAGE, padded(form.encode(), size, b"x"), {
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    assert status == 413 and answer.startswith(b"<!doctype html>"), answer[:200]
    assert "too-big-form" not in stored(server)


def test_a_chunked_body_of_exactly_the_limit_is_read_whole(server):
    """The 413 is the limit itself: exactly 1 MiB, chunked, is created."""
    body = padded(json.dumps(valid_body(name="exactly-1mib")).encode(), MIB)
    status, answer = send_raw(server, CREATE, body, {"Content-Type": "application/json"})
    assert status == 201, answer[:300]
    assert json.loads(answer)["name"] == "exactly-1mib"
    assert "exactly-1mib" in stored(server)


@pytest.mark.parametrize(("headers", "content", "detail"), [
    pytest.param({"Content-Type": "application/json", "Content-Encoding": "gzip"},
                 gzip.compress(json.dumps(valid_body(name="gzipped")).encode()),
                 "Content-Encoding 'gzip' is not supported: send the body unencoded", id="gzip"),
    pytest.param({"Content-Type": "application/json; charset=latin1"},
                 json.dumps(valid_body(name="latin1", description="café")).encode("latin-1"),
                 "Content-Type charset 'latin1' is not supported: JSON must be sent as UTF-8",
                 id="latin1"),
])
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_gzip_and_latin1_are_415(server, headers, content, detail, chunked):
    """A gzip body and a latin1 JSON body: 415 saying what is refused; nothing stored."""
    if chunked:
        status, answer = send_raw(server, CREATE, content, headers)
    else:
        response = httpx.post(f"{server.url}{CREATE}", content=content, headers=headers)
        status, answer = response.status_code, response.content
    assert (status, json.loads(answer)) == (415, {"detail": detail})
    assert not {"gzipped", "latin1"} & set(stored(server))


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_large_gzip_body_gets_its_415_not_a_reset(server, chunked):
    """A gzip body of almost 1 MiB, more than the connection buffers hold: the server reads
    it to its end before the 415 (bodies._drain), so the client gets the answer; closing
    with it unread would reset the connection under the client."""
    content = gzip.compress(os.urandom(1_000_000), compresslevel=0)
    status, answer = send_raw(server, CREATE, content, {
        "Content-Type": "application/json", "Content-Encoding": "gzip"}, chunked=chunked)
    assert status == 415, answer[:300]
    assert json.loads(answer)["detail"].startswith("Content-Encoding 'gzip' is not supported")
