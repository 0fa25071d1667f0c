"""psycopg under gevent: a slow query in one greenlet must not stop the others (every request of
a `hallq serve` process shares one OS thread). Each case runs in a fresh Python process, since
monkey patching and psycopg's choice of waiting loop happen once per process."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

# Timed against the clock or loading the machine: run alone, after the parallel part.
pytestmark = pytest.mark.solo

# Greenlet A runs `SELECT pg_sleep(0.6)`; greenlet B ticks every 20 ms meanwhile. Prints how
# many ticks fell inside the query and which waiting function psycopg used.
EXPERIMENT = textwrap.dedent(
    """
    import json, sys, time
    import gevent
    from sqlalchemy import text

    def measure(run_query):
        ticks, span = [], []

        def ticker():
            for _ in range(60):
                gevent.sleep(0.02)
                ticks.append(time.monotonic())

        def slow():
            started = time.monotonic()
            run_query()
            span.extend([started, time.monotonic()])

        gevent.joinall([gevent.spawn(ticker), gevent.spawn(slow)])
        import psycopg.waiting
        return {
            "ticks": sum(span[0] < t < span[1] for t in ticks),
            "wait": psycopg.waiting.wait.__name__,
        }
    """
)

VIA_HALLQ = """
from queue_server.store.db import Database

database = Database({url!r})

def query():
    with database.reading() as session:
        session.execute(text("SELECT pg_sleep(0.6)"))

print(json.dumps(measure(query)))
"""

RAW_PSYCOPG = """
import psycopg  # imported before gevent patches the process, and used directly
from gevent import monkey
monkey.patch_all()
{experiment}

def query():
    with psycopg.connect({url!r}) as conn:
        conn.execute("SELECT pg_sleep(0.6)")

print(json.dumps(measure(query)))
"""

# `hallq serve`'s own order: the entry point patches the process before anything else loads.
ENTRY_FIRST = "import queue_server.entry  # noqa: F401 - patches the process\n"
# Some other entry point imported psycopg before gevent patched the process.
PSYCOPG_FIRST = "import psycopg  # noqa: F401\nfrom gevent import monkey\nmonkey.patch_all()\n"


def run(script: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.parametrize("prelude", [ENTRY_FIRST, PSYCOPG_FIRST], ids=["hallq-serve", "late-patch"])
def test_a_slow_query_leaves_the_other_greenlets_running(pg_database: str, prelude: str):
    result = run(prelude + EXPERIMENT + VIA_HALLQ.format(url=pg_database))
    assert result["wait"] != "wait_c"
    assert int(result["ticks"]) >= 15  # ~30 ticks fit in 0.6 s; a blocked process gets none


def test_the_experiment_sees_a_blocked_process(pg_database: str):
    """The control: psycopg imported before patching and used without hallq's database setup
    keeps its C waiting loop, and the ticker stops for the whole query."""
    result = run(RAW_PSYCOPG.format(experiment=EXPERIMENT, url=pg_database))
    assert result == {"ticks": 0, "wait": "wait_c"}
