"""Issue throughput: tickets a second and their latency over HTTP, 20 keep-alive clients.

Each request takes a ticket at the kiosk of a random hall, in a random category: many halls,
as in a city, never 1,000 tickets a second in one queue. Scenarios:

1. the bare stack (Flask + Flask-SocketIO on gevent, a JSON answer and nothing else): the ceiling;
   then the same endpoint also running the statements issuing a ticket runs, with the sqlite3
   module alone (no SQLAlchemy, no hallq): the floor the database sets under the stack;
2. hallq, one process, SQLite, kiosks without a printer (the print dispatcher still looks each
   ticket up, as shipped);
3. the same without the print dispatcher (HALLQ_PRINTING=0): the issuing path alone;
4. the same with every kiosk printing on the server's side (a dummy printer, text mode);
5. hallq, one process, PostgreSQL (and Redis as the message queue when it answers);
6. hallq, two processes on PostgreSQL and Redis, 10 clients on each.

Besides requests a second, it prints the server's CPU time per request (what the figure costs
when the machine is shared), the server's resident memory, and how fair the server is under
this load (20 clients asking for more than it can do): p99 over p50, the slowest answer, and
the requests wrk gave up on after 5 s (those are not in its percentiles). Then it counts the
database round trips of one ticket, in this process through the app on each deployment's
database (on PostgreSQL exactly, from libpq's trace of the protocol: every ReadyForQuery, so
BEGIN, COMMIT and pool pings included; statements beside them by SQLAlchemy's
before_cursor_execute), and its CPU time there, and prints each of issue 17's targets as a ratio of two rows of the same run, the
figure it is measured against beside it: the machine may be shared, and only ratios taken in
one run mean anything then.

Run from the repository root: .venv/bin/python bench/issue_throughput.py [--seconds 10]
Needs wrk (Debian package `wrk`); PostgreSQL and Redis at HALLQ_TEST_PG_URL / HALLQ_TEST_REDIS_URL
for scenarios 4 and 5 (skipped with a reason otherwise).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any

import _bench as b

HALLS = 60
CONNECTIONS = 20
CATEGORIES = "ABCDEF"


def lua_script(path: Path, halls: list[dict[str, Any]], seed: int) -> Path:
    """A wrk script: POST a ticket for a random hall and category, with the kiosk's token."""
    targets = ",\n".join(
        f'  {{"/api/v1/halls/{h["hall"]}/tickets", "Bearer {h["kiosk_token"]}", "{c}"}}'
        for h in halls
        for c in CATEGORIES
    )
    path.write_text(
        "local targets = {\n" + targets + "\n}\n"
        f"math.randomseed({seed})\n"
        "request = function()\n"
        "  local t = targets[math.random(#targets)]\n"
        '  return wrk.format("POST", t[1], {["Authorization"] = t[2], '
        '["Content-Type"] = "application/json"}, \'{"category":"\' .. t[3] .. \'"}\')\n'
        "end\n" + b.WRK_DONE
    )
    return path


def measure(servers: list[b.Server], script: Path, seconds: float) -> dict[str, Any]:
    """Warm up, then load every server at once (the clients split between them)."""
    per_server = CONNECTIONS // len(servers)
    for server in servers:
        b.wrk(server.url, script, per_server, 2)  # warm caches and connection pools
    cpu_before = [b.cpu_seconds(s.pid) for s in servers]
    results: list[dict[str, float]] = [{} for _ in servers]
    failures: list[BaseException] = []

    def load(index: int) -> None:
        try:
            results[index] = b.wrk(servers[index].url, script, per_server, seconds)
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=load, args=(i,)) for i in range(len(servers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]
    cpu = sum(b.cpu_seconds(s.pid) - before for s, before in zip(servers, cpu_before, strict=True))
    requests = sum(r["requests"] for r in results)
    return {
        "rps": sum(r["rps"] for r in results),
        "p50_ms": max(r["p50_ms"] for r in results),
        "p99_ms": max(r["p99_ms"] for r in results),
        "max_ms": max(r["max_ms"] for r in results),
        "timeouts": sum(r["timeouts"] for r in results),
        "requests": requests,
        "bad": sum(r["non2xx"] + r["errors"] for r in results),
        "cpu_ms": cpu / requests * 1000 if requests else float("nan"),
        "rss_mb": sum(b.rss_bytes(s.pid) for s in servers) / 2**20,
    }


def seed(work: Path, name: str, database_url: str | None, message_queue: str | None) -> Any:
    """A deployment's environment and its seeded halls."""
    instance = work / name
    instance.mkdir()
    env = b.hallq_env(instance, database_url, message_queue)
    halls = b.seed_halls(env, HALLS)
    return instance, env, halls, database_url or f"sqlite:///{instance / 'hallq.db'}"


def reset_tickets(database_url: str) -> None:
    """Forget the tickets of an earlier scenario, so each starts from an empty day."""
    from sqlalchemy import create_engine, delete

    from queue_server.store import tables

    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        for table in (tables.service_records, tables.tickets, tables.audit_log):
            conn.execute(delete(table))
    engine.dispose()


def run_hallq(
    deployment: Any,
    processes: int,
    seconds: float,
    printer: str | None = None,
    printing: bool = True,
) -> dict[str, Any]:
    """Start the processes on a seeded deployment and measure."""
    instance, env, halls, database_url = deployment
    reset_tickets(database_url)
    b.set_kiosk_printers(database_url, printer)
    env = {**env, "HALLQ_PRINTING": "1" if printing else "0"}
    script = lua_script(instance / "issue.lua", halls, random.randrange(10**6))
    servers = [b.hallq_server(env, instance, f"serve{i}") for i in range(processes)]
    try:
        for server in servers:
            server.start()
        return measure(servers, script, seconds)
    finally:
        for server in servers:
            server.stop()


def in_process(deployment: Any, printer: str | None = None, tickets: int = 300) -> dict[str, float]:
    """A ticket's CPU time and round trips to the database, in this process: the app on the
    deployment's database (threads, not gevent) configured as `hallq serve` runs it (queue
    figures for screens folded per hall every 0.5 s), kiosk requests through Flask's test
    client, round the halls. CPU is this process's (the print dispatcher's, printers' and
    throttle's threads included, once they are done): without HTTP parsing, but free of other
    processes' load.

    Round trips on PostgreSQL are counted exactly, from libpq's own trace of the protocol: one
    for every ReadyForQuery the server sends (one per simple query, one per Sync of an extended
    query), on every connection checked out while the tickets are issued; BEGIN, COMMIT and
    pool pings included. Statements are counted beside them by SQLAlchemy's
    before_cursor_execute (the issuing statements sent straight to the driver included).
    """
    import tempfile

    from sqlalchemy import event

    instance, env, halls, database_url = deployment
    reset_tickets(database_url)
    b.set_kiosk_printers(database_url, printer)
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from queue_server import create_app

        app = create_app(
            {
                "ASYNC_MODE": "threading",
                "MESSAGE_QUEUE": None,
                "PRINTING": printer is not None,
                "QUEUE_CHANGED_INTERVAL": 0.5,
            }
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)
    deps = app.extensions["hallq"]
    printing = app.extensions.get("hallq_printing")
    counts = {"statements": 0}
    engines = {id(e): e for e in (deps.db.engine, deps.db.read_engine)}.values()
    traces = Path(tempfile.mkdtemp(prefix="hallq-pq-trace-"))
    traced: dict[int, Any] = {}

    def statement(*_: Any) -> None:
        counts["statements"] += 1

    def checkout(dbapi_conn: Any, *_: Any) -> None:
        pgconn = getattr(dbapi_conn, "pgconn", None)
        if pgconn is not None and id(dbapi_conn) not in traced:
            handle = open(traces / f"{len(traced)}.trace", "w")  # noqa: SIM115 - closed below
            traced[id(dbapi_conn)] = (dbapi_conn, handle)
            pgconn.trace(handle.fileno())

    client = app.test_client()
    post = [
        (f"/api/v1/halls/{h['hall']}/tickets", {"Authorization": f"Bearer {h['kiosk_token']}"})
        for h in halls
    ]
    for path, headers in post:  # warm: caches filled, pools opened, printers open
        client.post(path, json={"category": "A"}, headers=headers)
    if printing is not None:
        printing.wait_idle(60)
    time.sleep(0.6)  # the warm-up's queue figures sent
    for engine in engines:
        event.listen(engine, "before_cursor_execute", statement)
        for record in list(engine.pool._pool.queue):  # type: ignore[attr-defined]
            checkout(record.dbapi_connection)  # traced from now: a ping at checkout counts
        event.listen(engine.pool, "checkout", checkout)
    cpu = time.process_time()
    for number in range(tickets):
        path, headers = post[number % len(post)]
        answer = client.post(path, json={"category": CATEGORIES[number % 6]}, headers=headers)
        if answer.status_code != 201:
            raise RuntimeError(f"issuing failed: {answer.status_code} {answer.get_data()!r}")
    if printing is not None:
        printing.wait_idle(60)
    time.sleep(0.6)  # the last queue figures sent (their statements belong to these tickets)
    cpu = time.process_time() - cpu
    for engine in engines:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine.pool, "checkout", checkout)
    for dbapi_conn, handle in traced.values():
        if not dbapi_conn.closed:
            dbapi_conn.pgconn.untrace()
        handle.close()
    trips = sum(
        "\tReadyForQuery" in line
        for path in traces.iterdir()
        for line in path.read_text().splitlines()
    )
    for path in traces.iterdir():
        path.unlink()
    traces.rmdir()
    if printing is not None:
        printing.close()
    if deps.queue_changes is not None:
        deps.queue_changes.close()
    deps.db.dispose()
    return {
        "statements": counts["statements"] / tickets,
        "total": trips / tickets if traced else float("nan"),
        "cpu_ms": cpu / tickets * 1000,
    }


def run_bare(work: Path, seconds: float, deployment: Any = None) -> dict[str, Any]:
    """The same load against the bare Flask-SocketIO/gevent JSON endpoint; with a seeded
    SQLite deployment, the endpoint also runs the issuing statements on it (sqlite3 alone)."""
    port = b.free_port()
    command = [sys.executable, str(b.ROOT / "bench" / "_bare_app.py"), str(port)]
    halls = [{"hall": 1, "kiosk_token": "x"}]
    if deployment is not None:
        instance, _env, halls, database_url = deployment
        reset_tickets(database_url)
        command.append(str(instance / "hallq.db"))
    server = b.Server(command, dict(os.environ), port, work / "bare.log")
    script = lua_script(work / "bare.lua", halls, 1)
    try:
        server.start()
        return measure([server], script, seconds)
    finally:
        server.stop()


def main() -> int:
    """Run every scenario it can and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="load per scenario")
    args = parser.parse_args()
    print(b.machine())
    if not b.have_wrk():
        print("\nwrk is not installed (apt-get install wrk): issue throughput not measured")
        return 0
    print(
        f"load:    {CONNECTIONS} keep-alive connections (wrk), {HALLS} halls x 6 categories, "
        f"{args.seconds:.0f} s per scenario after a 2 s warm-up\n"
    )
    pg_missing = b.pg_reachable()
    trips: dict[str, dict[str, float]] = {}
    redis_missing = b.redis_reachable()
    rows: list[tuple[str, dict[str, Any] | str]] = []
    started = time.monotonic()
    with b.workdir("hallq-bench-issue-") as work:
        rows.append(("bare Flask-SocketIO/gevent JSON", run_bare(work, args.seconds)))
        sqlite = seed(work, "sqlite", None, None)
        rows.append(
            ("bare stack + the issuing SQL (sqlite3)", run_bare(work, args.seconds, sqlite))
        )
        rows.append(("hallq, 1 process, SQLite", run_hallq(sqlite, 1, args.seconds)))
        trips["SQLite"] = in_process(sqlite)
        trips["SQLite, kiosks print"] = in_process(sqlite, "dummy://")
        rows.append(
            ("  same, no print dispatcher", run_hallq(sqlite, 1, args.seconds, printing=False))
        )
        rows.append(
            (
                "  same, kiosks print (dummy printer)",
                run_hallq(sqlite, 1, args.seconds, printer="dummy://"),
            )
        )
        mq = None if redis_missing else b.REDIS_URL
        if pg_missing:
            rows.append(("hallq, PostgreSQL", f"skipped: PostgreSQL {pg_missing}"))
        else:
            with b.pg_database() as url:
                pg = seed(work, "pg", url, mq)
                rows.append(
                    (
                        f"hallq, 1 process, PostgreSQL{' + Redis' if mq else ''}",
                        run_hallq(pg, 1, args.seconds),
                    )
                )
                trips["PostgreSQL"] = in_process(pg)
                if redis_missing:
                    rows.append(("hallq, 2 processes", f"skipped: Redis {redis_missing}"))
                else:
                    rows.append(
                        ("hallq, 2 processes, PostgreSQL + Redis", run_hallq(pg, 2, args.seconds))
                    )
    bare = rows[0][1]
    print(
        f"{'scenario':<42} {'tickets/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'p99/p50':>7} "
        f"{'max ms':>7} {'>5 s':>5} {'share':>6} {'CPU ms/req':>10} {'RSS MB':>7} {'failed':>6}"
    )
    for name, result in rows:
        if isinstance(result, str):
            print(f"{name:<42} {result}")
            continue
        share = result["rps"] / bare["rps"] if isinstance(bare, dict) else float("nan")
        print(
            f"{name:<42} {result['rps']:>9.0f} {result['p50_ms']:>7.1f} "
            f"{result['p99_ms']:>7.1f} {result['p99_ms'] / result['p50_ms']:>7.1f} "
            f"{result['max_ms']:>7.0f} {result['timeouts']:>5} {share:>6.0%} "
            f"{result['cpu_ms']:>10.2f} {result['rss_mb']:>7.0f} {result['bad']:>6}"
        )
    print(
        f"\n(share: of the bare stack's requests a second; CPU ms/req: the server processes' "
        f"CPU time per request; >5 s: requests wrk gave up on, not in its percentiles; "
        f"ran in {time.monotonic() - started:.0f} s)"
    )
    print(
        "\nin this process (threads, Flask's test client, 300 kiosk tickets round the halls):"
        " CPU ms a ticket and round trips to the database a ticket"
    )
    for name, count in trips.items():
        trips_text = (
            "no network"
            if count["total"] != count["total"]
            else f"{count['total']:.1f} round trips"
        )
        print(
            f"  {name:<21} {count['cpu_ms']:>5.2f} ms   {count['statements']:>4.1f} statements,"
            f" {trips_text}"
        )
    print_targets(dict(rows), trips)
    return 0


def print_targets(
    rows: dict[str, dict[str, Any] | str], trips: dict[str, dict[str, float]]
) -> None:
    """Issue 17's targets, each a ratio of two rows of this run, its reference beside it."""
    found = {name.strip(): row for name, row in rows.items() if isinstance(row, dict)}

    def row(prefix: str) -> dict[str, Any] | None:
        return next((r for name, r in found.items() if name.startswith(prefix)), None)

    floor = row("bare stack + the issuing SQL")
    sqlite = row("hallq, 1 process, SQLite")
    printing = row("same, kiosks print")
    pg = row("hallq, 1 process, PostgreSQL")
    print("\ntargets (issue 17), each measured against a row of this same run:")

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    if printing and sqlite:
        ratio = printing["rps"] / sqlite["rps"]
        print(
            f"  kiosks print: {printing['rps']:.0f}/s against {sqlite['rps']:.0f}/s without "
            f"printers = {ratio:.0%} (target >= 80 %: {verdict(ratio >= 0.8)})"
        )
    if "SQLite" in trips and "SQLite, kiosks print" in trips:
        ratio = trips["SQLite"]["cpu_ms"] / trips["SQLite, kiosks print"]["cpu_ms"]
        print(
            f"  kiosks print, in this process: {trips['SQLite, kiosks print']['cpu_ms']:.2f} ms"
            f" a ticket against {trips['SQLite']['cpu_ms']:.2f} ms without printers: "
            f"{ratio:.0%} of the tickets a CPU-bound process issues (target >= 80 %: "
            f"{verdict(ratio >= 0.8)})"
        )
    if "SQLite" in trips and "PostgreSQL" in trips:
        ratio = trips["SQLite"]["cpu_ms"] / trips["PostgreSQL"]["cpu_ms"]
        print(
            f"  PostgreSQL, in this process: {trips['PostgreSQL']['cpu_ms']:.2f} ms a ticket "
            f"against {trips['SQLite']['cpu_ms']:.2f} ms on SQLite: {ratio:.0%} (target >= 50 %:"
            f" {verdict(ratio >= 0.5)})"
        )
    if pg and sqlite:
        ratio = pg["rps"] / sqlite["rps"]
        print(
            f"  PostgreSQL, 1 process: {pg['rps']:.0f}/s against {sqlite['rps']:.0f}/s on "
            f"SQLite = {ratio:.0%} (target >= 50 %: {verdict(ratio >= 0.5)})"
        )
    if "PostgreSQL" in trips:
        total = trips["PostgreSQL"]["total"]
        print(
            f"  PostgreSQL round trips per ticket: {total:.1f} (target <= 4: {verdict(total <= 4)})"
        )
    if sqlite and floor:
        ratio = sqlite["cpu_ms"] / floor["cpu_ms"]
        print(
            f"  SQLite CPU per ticket: {sqlite['cpu_ms']:.2f} ms against the floor's "
            f"{floor['cpu_ms']:.2f} ms = {ratio:.1f}x (target <= 2x: {verdict(ratio <= 2)})"
        )
    bare = row("bare Flask-SocketIO/gevent JSON")
    if bare:
        print(
            f"  (fairness of the bare stack itself, no lock and no hallq code: p99 "
            f"{bare['p99_ms'] / bare['p50_ms']:.1f}x p50, slowest {bare['max_ms']:.0f} ms)"
        )
    for name, result in found.items():
        if not name.startswith(("hallq", "same")):
            continue
        ratio = result["p99_ms"] / result["p50_ms"]
        fair = ratio <= 4 and result["max_ms"] <= 1000 and result["timeouts"] == 0
        print(
            f"  fair under overload, {name}: p99 {result['p99_ms']:.0f} ms = {ratio:.1f}x p50 "
            f"{result['p50_ms']:.0f} ms, slowest {result['max_ms']:.0f} ms, "
            f"{result['timeouts']} over 5 s (target p99 <= 4x p50, none over 1 s: "
            f"{verdict(fair)})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
