"""The screens' API route under /api/v1: everything a lobby screen needs to draw the hall."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from queue_server.api import HALL, api, documented
from queue_server.api import models as m
from queue_server.http import deps
from queue_server.services import views


@documented(
    api,
    "GET",
    f"/halls/{HALL}/snapshot",
    "Everything a lobby screen needs to draw the hall",
    errors=(404,),
    returns=m.HallSnapshot,
)
def hall_snapshot(hall: int) -> Any:
    with deps().db.reading() as s:
        return jsonify(views.hall_snapshot(s, views.get_hall(s, hall), deps().clock.now()))
