"""What the benchmarks share: the machine's description, servers as processes, wrk, databases.

Not a benchmark itself (`make bench` runs bench/[a-z]*.py). Everything talks to 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BIN = Path(sys.executable).parent
HALLQ = str(BIN / "hallq")
PG_URL = os.environ.get("HALLQ_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("HALLQ_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# Thursday morning in opening hours, whatever the hour of the run.
OPEN_HOURS = "2026-11-26T09:30:00+08:00"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def machine() -> str:
    """Cores, CPU, Python and how busy the machine is, for the head of every report."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()
    return (
        f"machine: {os.cpu_count()} cores ({model or platform.machine()}), "
        f"{platform.system()} {platform.release()}\n"
        f"python:  {platform.python_implementation()} {platform.python_version()}\n"
        f"load:    {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} (1/5/15 min) at the start: "
        "a shared machine, other work competes for the cores"
    )


def free_port() -> int:
    """A TCP port nobody listens on right now (loopback)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    """Resident memory of a process."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


class Server:
    """A process serving HTTP on 127.0.0.1: `hallq serve` or another command."""

    def __init__(self, command: list[str], env: dict[str, str], port: int, log: Path) -> None:
        self.command = command
        self.env = env
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        """The server's process id."""
        assert self.process is not None
        return self.process.pid

    def start(self, health: str = "/healthz", timeout: float = 60) -> Server:
        """Start and wait until `health` answers."""
        import urllib.request

        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                self.command, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.command[0]} exited:\n{self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + health, timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.command} did not answer in {timeout} s")

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def hallq_env(
    instance: Path, database_url: str | None, message_queue: str | None
) -> dict[str, str]:
    """The environment of a hallq process of the benchmark deployment."""
    env = {
        **os.environ,
        "HALLQ_INSTANCE": str(instance),
        "HALLQ_SECRET_KEY": "bench-secret",
        "HALLQ_CLOCK_START": OPEN_HOURS,
        "HALLQ_CLOCK_ANCHOR": str(time.time()),
        "HALLQ_DEVICE_WORKERS": "0",
        # Events of this run stay on this run's channel, whoever else uses the Redis server.
        "HALLQ_MESSAGE_QUEUE_CHANNEL": f"hallq-bench-{uuid.uuid4().hex[:8]}",
    }
    env.pop("HALLQ_DATABASE_URL", None)
    env.pop("HALLQ_MESSAGE_QUEUE", None)
    if database_url:
        env["HALLQ_DATABASE_URL"] = database_url
    if message_queue:
        env["HALLQ_MESSAGE_QUEUE"] = message_queue
    return env


def hallq(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    """Run a hallq command; its output."""
    done = subprocess.run([HALLQ, *args], env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"hallq {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def seed_halls(env: dict[str, str], halls: int) -> list[dict[str, Any]]:
    """Migrate and seed `halls` demo halls; their credentials."""
    hallq(env, "db", "upgrade")
    # A city of halls takes minutes to seed on a busy machine.
    seeded = json.loads(
        hallq(env, "demo", "--json", "--halls", str(halls), timeout=300 + 20 * halls)
    )
    return list(seeded["halls"]) if "halls" in seeded else [seeded]


def hallq_server(env: dict[str, str], instance: Path, name: str = "serve") -> Server:
    """A `hallq serve` process (not started)."""
    port = free_port()
    return Server(
        [HALLQ, "serve", "--host", "127.0.0.1", "--port", str(port)],
        {**env, "HALLQ_PUBLIC_URL": f"http://127.0.0.1:{port}"},
        port,
        instance / f"{name}.log",
    )


def set_kiosk_printers(database_url: str, printer: str | None) -> None:
    """Give every kiosk this ticket printer (None: no printer on the server's side)."""
    from sqlalchemy import create_engine, update

    from queue_server.store import tables

    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            update(tables.devices)
            .where(tables.devices.c.kind == "kiosk")
            .values(config={"printer": printer, "paper_mm": 80})
        )
    engine.dispose()


# -- services ------------------------------------------------------------------------------------


def pg_reachable() -> str | None:
    """None when PostgreSQL answers at PG_URL, else why not."""
    try:
        import psycopg

        with psycopg.connect(PG_URL, connect_timeout=3):
            return None
    except Exception as error:  # any failure: no server to benchmark against
        return f"{type(error).__name__}: {error}"


def redis_reachable() -> str | None:
    """None when Redis answers at REDIS_URL, else why not."""
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_timeout=3).ping()
        return None
    except Exception as error:  # any failure: no server to benchmark against
        return f"{type(error).__name__}: {error}"


@contextmanager
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for one run, dropped afterwards."""
    import psycopg

    name = f"hallq_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def workdir(prefix: str) -> Iterator[Path]:
    """A temporary folder for instance files and logs, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# -- load ----------------------------------------------------------------------------------------

WRK_RESULT = re.compile(r"^RESULT (.*)$", re.M)

WRK_DONE = """
done = function(summary, latency, requests)
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d non2xx=%d errors=%d timeouts=%d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.timeout))
end
"""


# wrk's timeout: a request not answered within it is counted in `timeouts` and left out of
# the latency percentiles (which is why they are printed beside them).
WRK_TIMEOUT_S = 5


def wrk(url: str, script: Path, connections: int, seconds: float) -> dict[str, float]:
    """Run wrk with keep-alive connections; requests, duration and latency percentiles (ms),
    the slowest answer and the requests that timed out."""
    done = subprocess.run(
        [
            "wrk",
            f"-t{min(2, connections)}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            f"{WRK_TIMEOUT_S}s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    found = WRK_RESULT.search(done.stdout)
    if found is None:
        raise RuntimeError(f"wrk gave no result:\n{done.stdout}\n{done.stderr}")
    values = dict(item.split("=") for item in found.group(1).split())
    seconds_run = int(values["duration_us"]) / 1e6
    return {
        "requests": int(values["requests"]),
        "seconds": seconds_run,
        "rps": int(values["requests"]) / seconds_run,
        "p50_ms": int(values["p50_us"]) / 1000,
        "p99_ms": int(values["p99_us"]) / 1000,
        "max_ms": int(values["max_us"]) / 1000,
        "non2xx": int(values["non2xx"]),
        "errors": int(values["errors"]),
        "timeouts": int(values["timeouts"]),
    }


def have_wrk() -> bool:
    """Whether wrk (Debian package `wrk`) is installed."""
    return shutil.which("wrk") is not None
