"""Under overload every keep-alive connection of `hallq serve` waits its turn.

Kiosks, counters and screens each keep one connection open. When several have a request
waiting, the server must answer them in turn, not one connection again and again while the
others wait: gevent's pywsgi reads a connection's next request straight after answering one,
and when the bytes are already there it never passes the others' turn.

The test is deterministic, with no timing: every client's requests are in the server's sockets
before the server runs at all (sent pipelined, as a fast client's next request is already
there), then the server (`hallq serve`'s, on gevent's hub in this process) answers them all,
and the order it served them in is checked.
"""

from __future__ import annotations

import socket
from typing import Any

import gevent

CLIENTS = 8
REQUESTS = 12


def _request(n: int) -> bytes:
    return f"GET /r{n} HTTP/1.1\r\nHost: hallq\r\n\r\n".encode()


def test_keep_alive_connections_are_served_in_turn() -> None:
    from queue_server.cli import _make_server

    served: list[int] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        served.append(int(environ["REMOTE_PORT"]))
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    server = _make_server(app, "127.0.0.1", 0)
    server.init_socket()
    port = server.address[1]
    clients = []
    try:
        # Plain blocking sockets: the kernel completes the connections and buffers every
        # request while gevent's hub has not run yet.
        for _ in range(CLIENTS):
            client = socket.create_connection(("127.0.0.1", port))
            client.sendall(b"".join(_request(n) for n in range(REQUESTS)))
            clients.append(client)
        ports = {c.getsockname()[1] for c in clients}
        server.start()
        with gevent.Timeout(30):
            while len(served) < CLIENTS * REQUESTS:
                gevent.sleep(0.01)
    finally:
        server.stop()
        for client in clients:
            client.close()

    assert set(served) == ports and len(served) == CLIENTS * REQUESTS
    # Between two requests of one connection, each other connection with a request waiting is
    # served at most once (round robin), never one connection's whole backlog at a stretch.
    last: dict[int, int] = {}
    for index, port_ in enumerate(served):
        if port_ in last:
            others = index - last[port_] - 1
            assert others >= CLIENTS - 1, (
                f"connection {port_} served again after only {others} other requests while "
                f"{CLIENTS - 1} other connections had requests waiting; order: {served}"
            )
        last[port_] = index
    first_round = served[:CLIENTS]
    assert sorted(first_round) == sorted(ports), f"not every connection served first: {served}"
