"""SQLite's writers in one process take their turns in the order they came, under gevent as
`hallq serve` runs them: a request that has just written and goes straight on to its next one
(a keep-alive client) does not go before the requests already waiting. Each case runs in a
fresh process, since gevent patches a process once."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import queue_server.entry  # noqa: F401 - patches the process, as `hallq serve` does
    import json
    import gevent
    import gevent.event
    from sqlalchemy import text
    from queue_server.store.db import Database

    database = Database({url!r})
    with database.transaction() as session:
        session.execute(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
    order = []
    holding, go_on = gevent.event.Event(), gevent.event.Event()

    def write(name):
        with database.transaction() as session:
            session.execute(text("INSERT INTO t VALUES (1)"))
            order.append(name)
            if name == "busy0":  # holds the lock until the others wait for it
                holding.set()
                go_on.wait(10)

    def busy_client():
        # one connection whose next request is already in its socket: it writes again at once
        for number in range(4):
            write(f"busy{{number}}")

    first = gevent.spawn(busy_client)
    holding.wait(10)
    others = [gevent.spawn(write, f"other{{i}}") for i in range(3)]
    gevent.sleep(0.05)  # each of them runs until it waits for the lock, in this order
    go_on.set()
    gevent.joinall([first, *others], timeout=10)
    print(json.dumps(order))
    """
)


def test_writers_take_the_lock_in_the_order_they_asked(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'order.db'}"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(url=url)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    order = json.loads(done.stdout.strip().splitlines()[-1])
    # busy1 asked after the three others were waiting: it comes after them, not before
    assert order[:4] == ["busy0", "other0", "other1", "other2"], order
    assert sorted(order) == sorted([f"busy{i}" for i in range(4)] + [f"other{i}" for i in range(3)])
