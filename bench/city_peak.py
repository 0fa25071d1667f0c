"""A city's peak hour: 150 halls, every screen connected, kiosks issuing and counters calling.

`hallq demo --halls N` seeds the city. Every hall's lobby display, its window displays and its
counter panels connect over Socket.IO (about 17 a hall: some 2,500 connections at 150 halls),
spread over client processes. Then, for `--seconds`, kiosks take `--issue-rate` tickets a second
and the comprehensive windows call `--call-rate` tickets a second, spread over the halls, on a
fixed schedule (a slow answer does not slow the load down); the demo kiosks print every ticket
(the demo's dummy printer). Every tenth ticket is followed by a phone page (a Socket.IO client
in the ticket's room).

Measured from the clients: issue latency, call latency, call → lobby screen and call → phone
page (from the call-next request to the `ticket_called` event), errors (answers other than
2xx, refused connections, events that never came), the server's CPU and its memory per
connected screen. Two deployments: one process on SQLite; two processes on PostgreSQL with
Redis as the message queue, halls split between them as a sticky balancer would.

Run from the repository root: .venv/bin/python bench/city_peak.py [--halls 150] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import resource
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import _bench as b

NAMESPACE = "/live"
TARGETS = {"issue_p99": 50.0, "screen_p99": 100.0, "kb_per_screen": 80.0}


# -- the screens (client processes) --------------------------------------------------------------


def screens_process(spec_file: str, first: int, last: int) -> int:
    """Hold the screens `first:last` of the spec; print READY; on STOP print the calls seen."""
    return asyncio.run(_screens(json.loads(Path(spec_file).read_text())[first:last]))


async def _screens(specs: list[dict[str, Any]]) -> int:
    import socketio

    seen: list[tuple[int, str, float]] = []
    clients: list[Any] = []
    failed = 0

    async def connect(spec: dict[str, Any]) -> None:
        nonlocal failed
        client = socketio.AsyncClient(reconnection=False)
        if spec["kind"] == "lobby":

            async def on_called(data: dict[str, Any]) -> None:
                seen.append((spec["hall"], data["number"], time.monotonic()))

            client.on("ticket_called", on_called, namespace=NAMESPACE)
        try:
            await client.connect(
                spec["url"], transports=["websocket"], namespaces=[NAMESPACE], wait_timeout=60
            )
            reply = await client.call("join", spec["join"], namespace=NAMESPACE, timeout=120)
            if not reply.get("ok"):
                raise RuntimeError(reply)
            clients.append(client)
        except Exception:  # counted and reported: a screen that could not join is an error
            failed += 1

    for start in range(0, len(specs), 50):  # fifty handshakes at a time
        await asyncio.gather(*(connect(spec) for spec in specs[start : start + 50]))
    print(f"READY {failed}", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)  # STOP
    print(json.dumps(seen), flush=True)
    for client in clients:
        with contextlib.suppress(Exception):  # the server may already be gone
            await client.disconnect()
    return 0


# -- set-up --------------------------------------------------------------------------------------


def sign_in_and_open(url_of: Any, halls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sign in each hall's comprehensive-window clerks and open their windows (the counters)."""
    import requests

    wanted = [
        (hall, clerk)
        for hall in halls
        for clerk in hall["clerks"]
        if clerk["window_number"] in (1, 2, 3)
    ]

    def one(pair: tuple[dict[str, Any], dict[str, Any]]) -> dict[str, Any]:
        hall, clerk = pair
        base = url_of(hall["hall"])
        token = requests.post(
            f"{base}/api/v1/auth/login",
            json={"staff_no": clerk["staff_no"], "password": clerk["password"]},
            timeout=60,
        ).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        opened = requests.post(
            f"{base}/api/v1/windows/{clerk['window']}/open", headers=headers, timeout=60
        )
        opened.raise_for_status()
        return {"hall": hall["hall"], "window": clerk["window"], "headers": headers}

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, wanted))


def screen_specs(url_of: Any, halls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every screen of every hall: the lobby display, each window's display and counter panel."""
    specs = []
    for hall in halls:
        url = url_of(hall["hall"])
        specs.append(
            {"kind": "lobby", "hall": hall["hall"], "url": url, "join": {"hall": hall["hall"]}}
        )
        for clerk in hall["clerks"]:
            for kind in ("window", "counter"):
                specs.append(
                    {
                        "kind": kind,
                        "hall": hall["hall"],
                        "url": url,
                        "join": {"window": clerk["window"]},
                    }
                )
    random.Random(7).shuffle(specs)  # each client process holds screens of many halls
    return specs


# -- the peak hour (the load driver) -------------------------------------------------------------


async def peak(
    url_of: Any, halls: list[dict[str, Any]], counters: list[dict[str, Any]], args: Any
) -> dict[str, Any]:
    """Issue and call on a fixed schedule for `args.seconds`; follow every tenth ticket."""
    import aiohttp
    import socketio

    issue_ms: list[float] = []
    call_ms: list[float] = []
    called_at: dict[tuple[int, str], float] = {}
    followed_number: dict[str, tuple[int, str]] = {}
    phone_seen: dict[str, float] = {}
    phones: list[Any] = []
    followed: dict[str, float] = {}  # ticket token -> when its phone page had joined
    errors: dict[str, int] = {"issue": 0, "call": 0, "phone": 0}
    rng = random.Random(11)

    async def follow(url: str, token: str) -> None:
        phone = socketio.AsyncClient(reconnection=False)

        async def on_called(data: dict[str, Any]) -> None:
            phone_seen.setdefault(token, time.monotonic())

        phone.on("ticket_called", on_called, namespace=NAMESPACE)
        try:
            await phone.connect(
                url, transports=["websocket"], namespaces=[NAMESPACE], wait_timeout=30
            )
            await phone.call("join", {"ticket": token}, namespace=NAMESPACE, timeout=30)
            phones.append(phone)
            followed[token] = time.monotonic()
        except Exception:  # counted: a phone page that could not follow its ticket
            errors["phone"] += 1

    async def issue(session: aiohttp.ClientSession, n: int) -> None:
        hall = rng.choice(halls)
        base = url_of(hall["hall"])
        sent = time.monotonic()
        try:
            async with session.post(
                f"{base}/api/v1/halls/{hall['hall']}/tickets",
                json={"category": rng.choice("ABCD")},
                headers={"Authorization": f"Bearer {hall['kiosk_token']}"},
            ) as reply:
                body = await reply.json()
                issue_ms.append((time.monotonic() - sent) * 1000)
                if reply.status != 201:
                    errors["issue"] += 1
                    return
        except Exception:
            errors["issue"] += 1
            return
        if n % 10 == 0:
            followed_number[body["token"]] = (hall["hall"], body["number"])
            await follow(base, body["token"])

    async def call(session: aiohttp.ClientSession) -> None:
        counter = rng.choice(counters)
        base = url_of(counter["hall"])
        sent = time.monotonic()
        try:
            # Each call is a new request with its own key: without one, a ticket called moments
            # ago at that window and not yet being served is not finished (409, the double-tap
            # guard), which at 40 calls a second over 450 windows happens often.
            headers = {**counter["headers"], "Idempotency-Key": uuid.uuid4().hex}
            async with session.post(
                f"{base}/api/v1/windows/{counter['window']}/call-next", headers=headers
            ) as reply:
                body = await reply.json()
                call_ms.append((time.monotonic() - sent) * 1000)
                if reply.status != 200:
                    errors["call"] += 1
                    return
        except Exception:
            errors["call"] += 1
            return
        ticket = body.get("ticket")
        if ticket:
            called_at[(counter["hall"], ticket["number"])] = sent

    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=200)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        tasks: list[asyncio.Task[None]] = []
        started = time.monotonic()
        issues = calls = 0
        while (elapsed := time.monotonic() - started) < args.seconds:
            while issues < elapsed * args.issue_rate:
                tasks.append(asyncio.create_task(issue(session, issues)))
                issues += 1
            while calls < elapsed * args.call_rate:
                tasks.append(asyncio.create_task(call(session)))
                calls += 1
            await asyncio.sleep(0.005)
        await asyncio.gather(*tasks)
    await asyncio.sleep(3)  # the last calls reach every screen and phone
    for phone in phones:
        with contextlib.suppress(Exception):
            await phone.disconnect()
    await asyncio.sleep(0.5)  # let the phones' sockets close before the loop does
    followed_and_called = [token for token in followed if followed_number.get(token) in called_at]
    phone_ms = [
        (phone_seen[token] - called_at[followed_number[token]]) * 1000
        for token in followed_and_called
        if token in phone_seen
    ]
    return {
        "issue_ms": issue_ms,
        "call_ms": call_ms,
        "called_at": called_at,
        "phone_ms": phone_ms,
        "phones": len(phones),
        "phones_called": len(followed_and_called),
        "phones_missed": sum(1 for token in followed_and_called if token not in phone_seen),
        "errors": errors,
        "issued": issues,
        "calls": calls,
    }


# -- one deployment ------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of the values lie (nearest rank); nan without values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def run(
    servers: list[b.Server], halls: list[dict[str, Any]], args: Any, work: Path
) -> dict[str, Any]:
    """Connect the city's screens, run the peak, gather what the clients saw."""
    import requests

    def url_of(hall: int) -> str:
        return servers[hall % len(servers)].url

    counters = sign_in_and_open(url_of, halls)
    for hall in halls:  # a few citizens already wait when the peak starts
        for _ in range(3):
            requests.post(
                f"{url_of(hall['hall'])}/api/v1/halls/{hall['hall']}/tickets",
                json={"category": "A"},
                headers={"Authorization": f"Bearer {hall['kiosk_token']}"},
                timeout=60,
            ).raise_for_status()
    specs = screen_specs(url_of, halls)
    spec_file = work / "screens.json"
    spec_file.write_text(json.dumps(specs))
    rss_before = sum(b.rss_bytes(s.pid) for s in servers)
    share = -(-len(specs) // args.processes)
    clients: list[subprocess.Popen[str]] = []
    failed_screens = 0
    try:
        connect_started = time.monotonic()
        for first in range(0, len(specs), share):
            clients.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        __file__,
                        "--screens",
                        str(spec_file),
                        str(first),
                        str(first + share),
                    ],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        for client in clients:
            line = client.stdout.readline() if client.stdout else ""
            if not line.startswith("READY"):
                raise RuntimeError(f"a screen process failed: {line!r}")
            failed_screens += int(line.split()[1])
        connect_seconds = time.monotonic() - connect_started
        time.sleep(2.0)  # let connection set-up garbage settle
        rss_after = sum(b.rss_bytes(s.pid) for s in servers)
        cpu_before = sum(b.cpu_seconds(s.pid) for s in servers)
        wall_before = time.monotonic()
        result = asyncio.run(peak(url_of, halls, counters, args))
        cpu = sum(b.cpu_seconds(s.pid) for s in servers) - cpu_before
        wall = time.monotonic() - wall_before
        lobby_seen: list[tuple[int, str, float]] = []
        for client in clients:
            assert client.stdin and client.stdout
            client.stdin.write("STOP\n")
            client.stdin.flush()
            lobby_seen.extend(tuple(item) for item in json.loads(client.stdout.readline()))
    finally:
        for client in clients:
            try:
                client.wait(timeout=60)
            except subprocess.TimeoutExpired:
                client.kill()
    called_at = result["called_at"]
    screen_ms = [
        (at - called_at[(hall, number)]) * 1000
        for hall, number, at in lobby_seen
        if (hall, number) in called_at
    ]
    missed = len(called_at) - len({(h, n) for h, n, _ in lobby_seen if (h, n) in called_at})
    return {
        **result,
        "screens": len(specs) - failed_screens,
        "failed_screens": failed_screens,
        "connect_s": connect_seconds,
        "screen_ms": screen_ms,
        "missed_on_screen": missed,
        "kb_per_screen": (rss_after - rss_before) / max(1, len(specs)) / 1024,
        "rss_mb": rss_after / 2**20,
        "cpu_percent": cpu / wall * 100,
        "cpu_ms_per_request": cpu * 1000 / max(1, result["issued"] + result["calls"]),
    }


def report(name: str, r: dict[str, Any], args: Any) -> None:
    """Print one deployment's figures against the targets."""
    errors = (
        sum(r["errors"].values()) + r["failed_screens"] + r["missed_on_screen"] + r["phones_missed"]
    )
    print(f"\n== {name}")
    print(
        f"screens connected: {r['screens']} in {r['connect_s']:.1f} s "
        f"({r['failed_screens']} refused); phones followed: {r['phones']}"
    )
    print(
        f"load: {r['issued']} tickets and {r['calls']} calls in {args.seconds:g} s "
        f"({args.issue_rate:g}/s + {args.call_rate:g}/s)"
    )
    rows = [
        ("issue (HTTP)", r["issue_ms"], TARGETS["issue_p99"]),
        ("call-next (HTTP)", r["call_ms"], None),
        ("call -> lobby screen", r["screen_ms"], TARGETS["screen_p99"]),
        ("call -> phone page", r["phone_ms"], None),
    ]
    print(f"{'':24} {'count':>7} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9}  target p99")
    for label, values, target in rows:
        verdict = ""
        if target is not None and values:
            p99 = percentile(values, 0.99)
            verdict = f"< {target:g} ms: {'met' if p99 < target else 'MISSED'}"
        print(
            f"{label:24} {len(values):7d} {percentile(values, 0.5):9.1f} "
            f"{percentile(values, 0.99):9.1f} {max(values, default=float('nan')):9.1f}  {verdict}"
        )
    print(
        f"errors: {errors} (issue {r['errors']['issue']}, call {r['errors']['call']}, "
        f"phone {r['errors']['phone']}, screens refused {r['failed_screens']}, "
        f"calls no lobby screen showed {r['missed_on_screen']}, "
        f"calls of followed tickets no phone heard {r['phones_missed']})"
    )
    kb = r["kb_per_screen"]
    print(
        f"server: CPU {r['cpu_percent']:.0f} % of one core ({r['cpu_ms_per_request']:.2f} ms a "
        f"request), RSS {r['rss_mb']:.0f} MB, {kb:.0f} KB per connected screen "
        f"(target <= {TARGETS['kb_per_screen']:g}: {'met' if kb <= TARGETS['kb_per_screen'] else 'MISSED'})"
    )


def main() -> int:
    """Seed the city, run the peak hour on each deployment, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--halls", type=int, default=150)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--issue-rate", type=float, default=40, help="tickets a second")
    parser.add_argument("--call-rate", type=float, default=40, help="calls a second")
    parser.add_argument("--processes", type=int, default=4, help="screen client processes")
    parser.add_argument("--only", choices=["sqlite", "pg"], help="one deployment only")
    parser.add_argument("--screens", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.screens:
        spec_file, first, last = args.screens
        return screens_process(spec_file, int(first), int(last))

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 16384)), hard))
    print(b.machine())
    print(
        f"city: {args.halls} demo halls; {args.seconds:g} s of {args.issue_rate:g} tickets/s "
        f"(printing kiosks) and {args.call_rate:g} calls/s; screens in {args.processes} "
        "python-socketio processes (websocket)"
    )
    if args.only != "pg":
        with b.workdir("hallq-bench-city-") as work:
            env = b.hallq_env(work, None, None)
            halls = b.seed_halls(env, args.halls)
            server = b.hallq_server(env, work)
            try:
                server.start()
                report("1 process, SQLite", run([server], halls, args, work), args)
            finally:
                server.stop()
    if args.only != "sqlite":
        missing = b.pg_reachable() or b.redis_reachable()
        if missing:
            print(f"\n== 2 processes, PostgreSQL + Redis: skipped ({missing})")
            return 0
        with b.workdir("hallq-bench-city-pg-") as work, b.pg_database() as url:
            env = b.hallq_env(work, url, b.REDIS_URL)
            halls = b.seed_halls(env, args.halls)
            servers = [b.hallq_server(env, work, f"serve{i}") for i in range(2)]
            try:
                for server in servers:
                    server.start()
                report("2 processes, PostgreSQL + Redis", run(servers, halls, args, work), args)
            finally:
                for server in servers:
                    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
