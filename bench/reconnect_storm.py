"""Reconnect storm: 2,000 lobby screens reconnecting at once after a restart, on PostgreSQL with
the Redis message queue.

Two `hallq serve` processes on one PostgreSQL database and one Redis channel; several client
processes hold the screens between them (`_screen.py`: the Socket.IO protocol over a
websocket, half on each server, all in one hall's room), reconnecting as the lobby display does
(static/common/live.js: first retry after 0.5 s ±50 %, doubling to at most 3 s, 20 s for a
handshake) and joining their hall again on every connect. Both servers are stopped and started again on the
same ports; from the moment they answer again, every screen's fresh snapshot is timed, while a
kiosk takes tickets and a page asks for the hall list on each server, one request after another,
to time what other users wait during the storm.

Printed: when the last screen had its snapshot (and the median), the slowest and p99 other
request during the storm, and the servers' CPU time over the storm.

Run from the repository root: .venv/bin/python bench/reconnect_storm.py [--screens 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import _bench as b

NAMESPACE = "/live"


# -- the client processes ------------------------------------------------------------------------


def client_process(url: str, hall: int, count: int) -> int:
    """Hold `count` screens; print READY once each has a snapshot; on REPORT print the
    wall-clock times of every screen's snapshots; on STOP end."""
    return asyncio.run(_screens(url, hall, count))


async def _screens(url: str, hall: int, count: int) -> int:
    import aiohttp
    from _screen import is_event, keep_connected

    snapshots: list[list[float]] = [[] for _ in range(count)]
    stopping = asyncio.Event()
    # Enough sockets for every screen of this process; one HTTP session for all of them.
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    session = aiohttp.ClientSession(connector=connector)

    async def screen(index: int) -> None:
        """One screen: connect, join, and on every loss connect again as live.js does."""
        await asyncio.sleep(index * 0.01)  # the screens were switched on over a while

        def on_packet(text: str) -> None:
            if is_event(text, "snapshot"):
                snapshots[index].append(time.time())

        await keep_connected(session, url, [{"hall": hall}], on_packet, stopping)

    tasks = [asyncio.ensure_future(screen(i)) for i in range(count)]
    while not all(snapshots):
        await asyncio.sleep(0.05)
    print("READY", flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        if line != "REPORT":
            break
        print(json.dumps(snapshots), flush=True)
    stopping.set()
    await asyncio.wait(tasks, timeout=20)
    await session.close()
    return 0


# -- other users during the storm ----------------------------------------------------------------


class Prober:
    """A kiosk taking tickets and a page reading the hall list, on each server, one request
    after another: their latencies while the screens reconnect."""

    def __init__(self, servers: list[b.Server], demo: dict[str, Any]) -> None:
        self.servers = servers
        self.demo = demo
        self.times: list[tuple[float, float, str]] = []  # (sent at, seconds, what)
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._run, args=(server, kind), daemon=True)
            for server in servers
            for kind in ("kiosk", "page")
        ]

    def start(self) -> Prober:
        for thread in self.threads:
            thread.start()
        return self

    def _run(self, server: b.Server, kind: str) -> None:
        import requests

        session = requests.Session()
        kiosk = {"Authorization": f"Bearer {self.demo['kiosk_token']}"}
        while not self.stop.is_set():
            sent = time.time()
            try:
                if kind == "kiosk":
                    reply = session.post(
                        f"{server.url}/api/v1/halls/{self.demo['hall']}/tickets",
                        json={"category": "B"},
                        headers=kiosk,
                        timeout=30,
                    )
                else:
                    reply = session.get(f"{server.url}/api/v1/halls", timeout=30)
                ok = reply.status_code < 300
            except requests.RequestException:
                ok = False
            if ok:
                self.times.append((sent, time.time() - sent, kind))
            else:
                time.sleep(0.05)  # the server is not up yet
            time.sleep(0.1)

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=35)


# -- the benchmark -------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of the values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def report(clients: list[subprocess.Popen[str]]) -> list[list[float]]:
    out: list[list[float]] = []
    for client in clients:
        assert client.stdin and client.stdout
        client.stdin.write("REPORT\n")
        client.stdin.flush()
    for client in clients:
        assert client.stdout
        out.extend(json.loads(client.stdout.readline()))
    return out


def measure(servers: list[b.Server], demo: dict[str, Any], args: Any) -> dict[str, Any]:
    """Connect the screens, restart the servers, time the snapshots and the other requests."""
    per_process = [args.screens // args.processes] * args.processes
    per_process[0] += args.screens - sum(per_process)
    clients: list[subprocess.Popen[str]] = []
    try:
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
        time.sleep(2.0)

        stopped = time.time()
        for server in servers:
            server.stop()
        prober = Prober(servers, demo).start()
        starting = [
            threading.Thread(target=server.start, args=("/healthz", 300)) for server in servers
        ]
        for thread in starting:  # every server at once, as after a machine's restart
            thread.start()
        for thread in starting:
            thread.join()
        ready = time.time()
        cpu_before = sum(b.cpu_seconds(s.pid) for s in servers)
        deadline = time.monotonic() + args.timeout
        while True:
            seen = report(clients)
            fresh = [next((t for t in times if t >= stopped), None) for times in seen]
            if all(fresh) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        done = time.time()
        cpu = sum(b.cpu_seconds(s.pid) for s in servers) - cpu_before
        time.sleep(1.0)
        prober.finish()
    finally:
        for client in clients:
            try:
                if client.stdin:
                    client.stdin.write("STOP\n")
                    client.stdin.flush()
                client.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                client.kill()
    arrivals = sorted(t - ready for t in fresh if t is not None)
    during = [seconds for sent, seconds, _ in prober.times if ready <= sent <= done]
    return {
        "screens": args.screens,
        "got": len(arrivals),
        "last_s": arrivals[-1] if arrivals else float("nan"),
        "median_s": arrivals[len(arrivals) // 2] if arrivals else float("nan"),
        "deciles": [arrivals[min(len(arrivals) - 1, len(arrivals) * k // 10)] for k in range(1, 10)]
        if arrivals
        else [],
        "down_s": ready - stopped,
        "other_ms": [s * 1000 for s in during],
        "cpu_s": cpu,
    }


def main() -> int:
    """Hold the screens, restart the servers, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screens", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--servers", type=int, default=2, help="hallq serve processes")
    parser.add_argument("--timeout", type=float, default=90, help="seconds to wait for snapshots")
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
        f"screens: {args.screens} screens (bench/_screen.py: Socket.IO over websocket) in "
        f"{args.processes} processes, one hall room, spread over {args.servers} hallq serve "
        "processes on PostgreSQL + Redis\n"
    )
    missing = b.pg_reachable() or b.redis_reachable()
    if missing:
        print(f"skipped: {missing}")
        return 0
    started = time.monotonic()
    with b.workdir("hallq-bench-storm-") as work, b.pg_database() as url:
        env = b.hallq_env(work, url, b.REDIS_URL)
        [demo] = b.seed_halls(env, 1)
        servers = [b.hallq_server(env, work, f"serve-{i}") for i in range(args.servers)]
        try:
            for server in servers:
                server.start()
            result = measure(servers, demo, args)
        finally:
            for server in servers:
                server.stop()
        if result["got"] < result["screens"]:
            for server in servers:
                print(f"-- {server.log.name}, last lines:")
                print("\n".join(server.log.read_text().splitlines()[-15:]))
    other = result["other_ms"]
    print(f"servers down and up again in {result['down_s']:.1f} s")
    print(
        f"snapshots after the restart: {result['got']}/{result['screens']}; "
        f"half within {result['median_s']:.2f} s, the last {result['last_s']:.2f} s "
        "after the servers answered again (target: under 10 s)"
    )
    print("  tenths of the screens by then (s): " + " ".join(f"{d:.1f}" for d in result["deciles"]))
    if other:
        print(
            f"other requests during the storm ({len(other)}: kiosk tickets and hall lists): "
            f"p50 {percentile(other, 0.5):.0f} ms, p99 {percentile(other, 0.99):.0f} ms, "
            f"max {max(other):.0f} ms (target: under 500 ms)"
        )
    print(
        f"server CPU over the storm: {result['cpu_s']:.1f} s "
        f"(ran in {time.monotonic() - started:.0f} s)"
    )
    return 0 if result["got"] == result["screens"] else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
