"""The halls' API routes: the list of halls, and a hall's open device alarms."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from sqlalchemy import select

from ...api import HALL, api, documented
from ...api import models as m
from ...domain.model import Hall
from ...http import deps
from ...services import views
from ...store import tables


@documented(
    api, "GET", "/halls", "List the halls (city → county → town → village)", returns=m.HallList
)
def list_halls() -> Any:
    with deps().db.reading() as session_:
        halls = session_.scalars(select(Hall).order_by(tables.halls.c.id)).all()
        return jsonify({"halls": [views.hall_view(h) for h in halls]})


@documented(
    api,
    "GET",
    f"/halls/{HALL}/alarms",
    "Open device alarms of a hall",
    errors=(404,),
    returns=m.Alarms,
)
def hall_alarms(hall: int) -> Any:
    from ...services.alarms import open_alarms

    with deps().db.reading() as s:
        views.get_hall(s, hall)
    return jsonify({"alarms": open_alarms(deps(), hall)})
