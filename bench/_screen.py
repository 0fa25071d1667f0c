"""A screen as the benchmarks hold thousands of them: the Socket.IO protocol spoken directly
over one websocket (aiohttp), reconnecting as `static/common/live.js` makes the browser's
socket.io client do.

A python-socketio client costs its process several milliseconds of CPU a connection (its own
HTTP session, engine.io client and background tasks per screen); thousands of them on the
server's own two cores measured the clients as much as the server. This one does only what a
screen's browser does on the wire: open the websocket (`EIO=4`), connect to the namespace,
join its rooms, answer the server's pings, and hand each event's raw text to the benchmark,
which decodes only what it times.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
from collections.abc import Awaitable, Callable
from typing import Any

NAMESPACE = "/live"

# static/common/live.js: what a screen's socket.io client is given.
RECONNECTION_DELAY = 0.5
RECONNECTION_DELAY_MAX = 3.0
RANDOMIZATION_FACTOR = 0.5
CONNECT_TIMEOUT = 20.0


class Backoff:
    """socket.io-client's reconnection delays: doubling from `low` to at most `high`, each
    moved up or down by a random share of at most `jitter` (its `Backoff.duration`)."""

    def __init__(
        self,
        low: float = RECONNECTION_DELAY,
        high: float = RECONNECTION_DELAY_MAX,
        jitter: float = RANDOMIZATION_FACTOR,
    ) -> None:
        self.low, self.high, self.jitter = low, high, jitter
        self.attempts = 0

    def duration(self) -> float:
        """The next delay (seconds)."""
        delay = self.low * 2 ** min(self.attempts, 30)
        self.attempts += 1
        rand = random.random()
        deviation = math.floor(rand * self.jitter * delay * 1000) / 1000
        delay = delay - deviation if math.floor(rand * 10) % 2 == 0 else delay + deviation
        return min(delay, self.high)

    def reset(self) -> None:
        """After a connection that opened: start again from the shortest delay."""
        self.attempts = 0


def event(text: str) -> tuple[str, Any] | None:
    """An event packet of the namespace as (name, payload); None for anything else."""
    prefix = f"42{NAMESPACE},"
    if not text.startswith(prefix):
        return None
    name, *args = json.loads(text[len(prefix) :])
    return name, (args[0] if args else None)


def is_event(text: str, name: str) -> bool:
    """Whether a packet is the namespace's event `name` (without decoding its payload)."""
    return text.startswith(f'42{NAMESPACE},["{name}"')


async def connect_once(
    session: Any,
    url: str,
    rooms: list[dict[str, Any]],
    on_packet: Callable[[str], Awaitable[None] | None],
    stop: asyncio.Event,
    timeout: float = CONNECT_TIMEOUT,
    opened: Callable[[], None] | None = None,
) -> bool:
    """One connection: open, join `rooms`, pass every packet of the namespace to `on_packet`
    until the server closes or `stop` is set. False when it never opened."""
    import aiohttp

    ws_url = url.replace("http://", "ws://", 1) + "/socket.io/?EIO=4&transport=websocket"
    try:
        async with asyncio.timeout(timeout):
            ws = await session.ws_connect(ws_url, autoping=False, max_msg_size=0)
            first = await ws.receive()
            if first.type != aiohttp.WSMsgType.TEXT or not first.data.startswith("0"):
                await ws.close()
                return False
    except (TimeoutError, aiohttp.ClientError, OSError):
        return False
    if opened is not None:
        opened()
    try:
        await ws.send_str(f"40{NAMESPACE},")
        stopping = asyncio.ensure_future(stop.wait())
        try:
            while True:
                receiving = asyncio.ensure_future(ws.receive())
                await asyncio.wait([receiving, stopping], return_when=asyncio.FIRST_COMPLETED)
                if stopping.done():
                    receiving.cancel()
                    return True
                message = receiving.result()
                if message.type != aiohttp.WSMsgType.TEXT:
                    return True  # closed: the server went away
                text = message.data
                if text == "2":
                    await ws.send_str("3")
                elif text.startswith(f"40{NAMESPACE},"):
                    for room in rooms:
                        await ws.send_str(f"42{NAMESPACE},{json.dumps(['join', room])}")
                elif text.startswith("4"):
                    result = on_packet(text)
                    if result is not None:
                        await result
        finally:
            stopping.cancel()
    except (aiohttp.ClientError, OSError, RuntimeError):
        return True
    finally:
        await ws.close()


async def keep_connected(
    session: Any,
    url: str,
    rooms: list[dict[str, Any]],
    on_packet: Callable[[str], Awaitable[None] | None],
    stop: asyncio.Event,
) -> None:
    """Connect and stay connected as a screen does: after every loss wait the backoff's next
    delay and connect again (and join again)."""
    backoff = Backoff()
    while not stop.is_set():
        await connect_once(session, url, rooms, on_packet, stop, opened=backoff.reset)
        if stop.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), backoff.duration())
