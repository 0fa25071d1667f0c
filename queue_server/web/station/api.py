"""API routes of the village station's cases (代办、转报): register on a citizen's behalf, the
station's list, and the town's front desk sending a decision back to the station."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from ...api import HALL, api, body
from ...api import case_models as cm
from ...api.models import NoFields
from ...api.spec import documented, query
from ...http import current_actor, deps
from ...services import station
from ..cases.api import STATE


@documented(
    api,
    "POST",
    f"/stations/{HALL}/cases",
    "代办: the village station's agent registers a case on a citizen's behalf for an item of "
    "the town above; it goes to the town's back office (转报). 201 as at a window; 422 "
    '`materials_missing` with "missing" unless `accept_with_missing`',
    body=cm.CaseRegistration,
    auth="clerk",
    status=201,
    errors=(404, 409),
    returns=cm.StationRegistered,
)
def register_station_case(hall: int) -> Any:
    return jsonify(station.register_at_station(deps(), current_actor(), hall, body())), 201


@documented(
    api,
    "GET",
    f"/stations/{HALL}/cases",
    "The cases a village station received, newest first, with their states, and the items it "
    "may take in (staff of the station or above)",
    auth="clerk",
    errors=(404, 409),
    query=(STATE,),
    returns=cm.StationCases,
)
def station_cases(hall: int) -> Any:
    return jsonify(station.station_cases(deps(), current_actor(), hall, query()["state"]))


@documented(
    api,
    "POST",
    "/cases/<int:case>/send-to-station",
    "A decided case received at a village station is sent back there to be handed out "
    "(the town's front desk); the station then delivers it with how=station",
    body=NoFields,
    auth="clerk",
    errors=(404, 409),
    returns=cm.Case,
)
def case_send_to_station(case: int) -> Any:
    return jsonify(station.send_to_station(deps(), current_actor(), case))
