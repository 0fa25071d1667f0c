"""One front door per capability: each door's pages blueprint and /api/v1 routes sit side by
side, the app factory mounts every door by name, and a door that cannot be imported stops the
start instead of leaving its routes silently out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from queue_server.app import FRONT_DOORS

ROOT = Path(__file__).resolve().parents[2]


def door_packages() -> set[str]:
    """Every package that holds routes: the top-level kiosk/ and display/, the console, and each
    package under queue_server/web/."""
    web = ROOT / "queue_server" / "web"
    found = {"kiosk", "display", "queue_server.admin"}
    found |= {f"queue_server.web.{path.parent.name}" for path in web.glob("*/__init__.py")}
    return found


def test_every_door_is_mounted_by_the_factory(app):
    assert {door.__name__ for door in FRONT_DOORS} == door_packages()
    for door in FRONT_DOORS:
        if door.bp is not None:
            assert app.blueprints[door.bp.name] is door.bp, door.__name__


def test_every_route_lives_in_a_front_door(app):
    doors = tuple(f"{door.__name__}." for door in FRONT_DOORS)
    outside = sorted(
        f"{rule.rule} ({view.__module__})"
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        and (view := app.view_functions[rule.endpoint]).__module__ != "queue_server.api"
        and not view.__module__.startswith(doors)
    )
    assert outside == []
    # The API core keeps only its own document.
    core = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        and app.view_functions[rule.endpoint].__module__ == "queue_server.api"
    ]
    assert core == ["/api/v1/openapi.json"]


def test_the_lobby_screens_snapshot_is_the_display_doors(app):
    assert app.view_functions["api.hall_snapshot"].__module__ == "display.api"


def test_a_door_that_cannot_be_imported_stops_the_start(tmp_path):
    script = (
        "import sys\n"
        "sys.modules['queue_server.web.cases'] = None  # as if the module were missing\n"
        "from queue_server import create_app\n"
        f"create_app({{'DATABASE_URL': 'sqlite:///{tmp_path}/x.db', 'SECRET_KEY': 'x',"
        f" 'INSTANCE': '{tmp_path}', 'PRINTING': False}})\n"
        "print('started')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode != 0
    assert "started" not in run.stdout
    assert "ImportError" in run.stderr or "ModuleNotFoundError" in run.stderr
