"""Call to screen: how soon 1,000 lobby screens in one hall see a clerk's call.

One `hallq serve` process (SQLite) with the demo hall. Several client processes hold 1,000
python-socketio asyncio clients between them (websocket transport), all joined to the hall's
room. A clerk then calls tickets, one a second; every client notes when its `ticket_called`
came. Reported: the time from the call-next request to each screen's event, p50 / p99 / max
(the server writes the call to every screen before it answers the clerk, so the time from the
response is also printed but undercounts); the server's memory per connection and its CPU
time per call.

Run from the repository root: .venv/bin/python bench/call_to_screen.py [--screens 1000]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import _bench as b

NAMESPACE = "/live"


# -- the client processes ------------------------------------------------------------------------


def client_process(url: str, hall: int, count: int) -> int:
    """Hold `count` screens; print READY, note each call's arrival, print them on STOP."""
    import asyncio

    return asyncio.run(_screens(url, hall, count))


async def _screens(url: str, hall: int, count: int) -> int:
    import asyncio

    import socketio

    received: list[tuple[str, float]] = []
    clients: list[Any] = []

    async def connect() -> None:
        client = socketio.AsyncClient(reconnection=False)

        async def on_called(data: dict[str, Any]) -> None:
            received.append((data["number"], time.monotonic()))

        client.on("ticket_called", on_called, namespace=NAMESPACE)
        await client.connect(url, transports=["websocket"], namespaces=[NAMESPACE], wait_timeout=30)
        reply = await client.call("join", {"hall": hall}, namespace=NAMESPACE, timeout=60)
        if not reply.get("ok"):
            raise RuntimeError(f"join refused: {reply}")
        clients.append(client)

    for start in range(0, count, 50):  # fifty handshakes at a time
        await asyncio.gather(*(connect() for _ in range(min(50, count - start))))
    print("READY", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)  # STOP
    print(json.dumps(received), flush=True)
    for client in clients:
        with contextlib.suppress(Exception):  # the server may already be gone
            await client.disconnect()
    return 0


# -- the benchmark -------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of the values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def measure(servers: list[b.Server], demo: dict[str, Any], args: Any) -> dict[str, Any]:
    """Connect the screens (spread over the servers), call tickets through the first server."""
    import requests

    first = servers[0]
    kiosk = {"Authorization": f"Bearer {demo['kiosk_token']}"}
    clerk = next(c for c in demo["clerks"] if c["window_number"] == 1)
    token = requests.post(
        f"{first.url}/api/v1/auth/login",
        json={"staff_no": clerk["staff_no"], "password": clerk["password"]},
        timeout=30,
    ).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    window_url = f"{first.url}/api/v1/windows/{clerk['window']}"
    requests.post(f"{window_url}/open", headers=auth, timeout=30).raise_for_status()
    for _ in range(args.calls):
        requests.post(
            f"{first.url}/api/v1/halls/{demo['hall']}/tickets",
            json={"category": "A"},
            headers=kiosk,
            timeout=30,
        ).raise_for_status()
    rss_before = sum(b.rss_bytes(s.pid) for s in servers)

    per_process = [args.screens // args.processes] * args.processes
    per_process[0] += args.screens - sum(per_process)
    clients: list[subprocess.Popen[str]] = []
    try:
        connect_started = time.monotonic()
        for index, count in enumerate(per_process):
            url = servers[index % len(servers)].url
            clients.append(
                subprocess.Popen(
                    [sys.executable, __file__, "--client", url, str(demo["hall"]), str(count)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        for client in clients:
            line = client.stdout.readline() if client.stdout else ""
            if line.strip() != "READY":
                raise RuntimeError(f"a client process failed to connect: {line!r}")
        connect_seconds = time.monotonic() - connect_started
        time.sleep(1.0)  # let connection set-up garbage settle
        rss_after = sum(b.rss_bytes(s.pid) for s in servers)

        session = requests.Session()
        calls: dict[str, tuple[float, float]] = {}
        cpu_before = sum(b.cpu_seconds(s.pid) for s in servers)
        for _ in range(args.calls):
            sent = time.monotonic()
            response = session.post(f"{window_url}/call-next", headers=auth, timeout=30)
            answered = time.monotonic()
            response.raise_for_status()
            calls[response.json()["ticket"]["number"]] = (sent, answered)
            time.sleep(args.gap)
        time.sleep(3.0)  # the last call's events reach every screen
        cpu = sum(b.cpu_seconds(s.pid) for s in servers) - cpu_before

        received: list[tuple[str, float]] = []
        for client in clients:
            assert client.stdin and client.stdout
            client.stdin.write("STOP\n")
            client.stdin.flush()
            received.extend(json.loads(client.stdout.readline()))
    finally:
        for client in clients:
            try:
                client.wait(timeout=30)
            except subprocess.TimeoutExpired:
                client.kill()
    from_response = [(at - calls[n][1]) * 1000 for n, at in received if n in calls]
    from_request = [(at - calls[n][0]) * 1000 for n, at in received if n in calls]
    return {
        "connect_s": connect_seconds,
        "delivered": len(from_response),
        "expected": args.calls * args.screens,
        "response": from_response,
        "request": from_request,
        "reply_ms": [(answered - sent) * 1000 for sent, answered in calls.values()],
        "kb_per_connection": (rss_after - rss_before) / args.screens / 1024,
        "cpu_ms_per_call": cpu * 1000 / args.calls,
    }


def main() -> int:
    """Connect the screens, make the calls, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screens", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--gap", type=float, default=1.0, help="seconds between calls")
    parser.add_argument(
        "--client", nargs=3, metavar=("URL", "HALL", "COUNT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.client:
        url, hall, count = args.client
        return client_process(url, int(hall), int(count))

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 8192)), hard))
    print(b.machine())
    print(
        f"screens: {args.screens} python-socketio asyncio clients (websocket) in "
        f"{args.processes} processes, one hall room; {args.calls} calls, {args.gap:g} s apart\n"
    )
    started = time.monotonic()
    results: list[tuple[str, dict[str, Any] | str]] = []
    with b.workdir("hallq-bench-screens-") as work:
        env = b.hallq_env(work, None, None)
        [demo] = b.seed_halls(env, 1)
        server = b.hallq_server(env, work)
        try:
            server.start()
            results.append(("1 process, SQLite", measure([server], demo, args)))
        finally:
            server.stop()
        missing = b.pg_reachable() or b.redis_reachable()
        if missing:
            results.append(("2 processes, PostgreSQL + Redis", f"skipped: {missing}"))
        else:
            with b.pg_database() as url:
                env = b.hallq_env(work, url, b.REDIS_URL)
                [demo] = b.seed_halls(env, 1)
                servers = [b.hallq_server(env, work, f"serve-pg{i}") for i in range(2)]
                try:
                    for one in servers:
                        one.start()
                    results.append(
                        (
                            "2 processes, PostgreSQL + Redis, screens split",
                            measure(servers, demo, args),
                        )
                    )
                finally:
                    for one in servers:
                        one.stop()

    print(
        f"{'ms after the call-next request':<47} {'p50':>6} {'p99':>6} {'max':>6} "
        f"{'delivered':>11} {'KB/conn':>7} {'CPU ms/call':>11}"
    )
    for name, result in results:
        if isinstance(result, str):
            print(f"{name:<47} {result}")
            continue
        values = result["request"]
        print(
            f"{name:<47} {percentile(values, 0.5):>6.1f} {percentile(values, 0.99):>6.1f} "
            f"{max(values):>6.1f} {result['delivered']:>5}/{result['expected']:<5} "
            f"{result['kb_per_connection']:>7.0f} {result['cpu_ms_per_call']:>11.0f}"
        )
        response = result["response"]
        print(
            f"{'  (from the response)':<47} {percentile(response, 0.5):>6.1f} "
            f"{percentile(response, 0.99):>6.1f} {max(response):>6.1f}"
        )
        replies = result["reply_ms"]
        print(
            f"{'  (the clerk waits for the reply: p50, max)':<47} "
            f"{percentile(replies, 0.5):>6.1f} {max(replies):>13.1f}"
        )
    print(
        "\n(a call-next sends the hall room ticket_called first, then ticket_finished and "
        "window_changed once every\n connection has written the call, before the clerk's reply: "
        "time from the request is the figure to\n compare. CPU: all server processes, "
        "per call; KB/conn: resident memory added per screen; "
        f"ran in {time.monotonic() - started:.0f} s)"
    )
    complete = all(isinstance(r, str) or r["delivered"] == r["expected"] for _, r in results)
    return 0 if complete else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
