"""How `make serve` runs the app: gunicorn's settings, read with ``-c python:webui.serving``.

Each worker is a gevent worker: a connection costs a greenlet, not a process, so clients that
send their request slowly (or never finish it) cannot hold every worker while others wait.
The app's own waits (for the SQLite writer lock, for a busy database) are bounded and
cooperative, so a waiting write never stalls the reads that share its worker.
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WORKERS", "4"))
worker_class = "gevent"
worker_connections = 1000  # per worker: each is a greenlet waiting on its socket
timeout = 30  # a worker silent this long is replaced; every wait of the app is far shorter
graceful_timeout = 20
# One request per connection: each request is taken by whichever worker is free, as with sync
# workers. Kept alive, a connection stays with the worker that accepted it, and one worker may
# hold three busy clients while another holds none (a p95 three times the median, measured).
keepalive = 0
control_socket_disable = True


def post_request(worker, req, environ, resp):
    """After each answer, let the worker's other connections go first: with keep-alive on
    (``--keep-alive N``), a client that sends its next request at once would otherwise be
    served again before anyone else, and the others wait (a p99 of 1.5 s against 0.1 s,
    measured under load). ``idle`` waits for the loop to poll for I/O, ``sleep(0)`` does not."""
    import gevent  # the worker's own: gunicorn loads this file before the worker exists

    gevent.idle()


def post_worker_init(worker):
    """Once the worker has loaded the app, move what it loaded (modules, templates, the
    schema: about 100 000 objects) out of the garbage collector's way. Each full collection
    otherwise walks them all, a pause of about 100 ms that every request waiting on the
    worker sits out (measured in-process; under load, the requests past the p99)."""
    import gc

    gc.collect()
    gc.freeze()
