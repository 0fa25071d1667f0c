"""The ceiling of hallq's stack: Flask + Flask-SocketIO on gevent's pywsgi with TCP_NODELAY,
answering a POST with a small JSON body and doing nothing else. Served like `hallq serve`.

Run: python bench/_bare_app.py PORT
"""

from gevent import monkey

monkey.patch_all()

import sys  # noqa: E402

from flask import Flask, jsonify, request  # noqa: E402
from flask_socketio import SocketIO  # noqa: E402

app = Flask(__name__)
socketio = SocketIO(app, async_mode="gevent")


@app.get("/healthz")
def health():  # type: ignore[no-untyped-def]
    return {"ok": True}


@app.post("/api/v1/halls/<int:hall>/tickets")
def issue(hall: int):  # type: ignore[no-untyped-def]
    body = request.get_json(silent=True) or {}
    return jsonify({"hall": hall, "category": body.get("category"), "number": "A001"}), 201


if __name__ == "__main__":
    sys.path.insert(0, ".")
    from queue_server.cli import _make_server

    _make_server(app, "127.0.0.1", int(sys.argv[1])).serve_forever()
