"""Demo halls on one database with a morning under way, for the fuzz and access tests: who is
who (a kiosk, a lobby screen, an evaluation pad, a clerk, a village agent, a manager, the admin),
the ids of each hall's things, and tickets, a booking, a complaint and a 差评 follow-up to aim
requests at. Two towns side by side (`hall_world`), or the four-level tree city → county → town
→ village with two branches at each level (`hall_tree`).

The halls are seeded once per run into a template file; each user copies it (milliseconds)."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from queue_server.bootstrap import bootstrap
from queue_server.domain.model import Hall, HallKind
from queue_server.services import auth, complaints, evaluation, issuing
from queue_server.services import queue as q
from queue_server.services.booking.citizen import book
from queue_server.services.booking.staff import assign_home_visit
from queue_server.services.bus import RecordingBus
from queue_server.services.clock import FakeClock
from queue_server.services.context import Actor, Deps
from queue_server.services.demo import seed_demo
from queue_server.services.notify import FakeNotifier
from queue_server.store import admin_tables, migrate, tables
from queue_server.store.db import Database
from tests.conftest import MORNING, cached_demo_hash
from tests.conftest import make_app as build_app
from tests.services.test_booking import at, id_number

# Bookkeeping a refused request may write by design: failed sign-ins count towards the lock.
BOOKKEEPING = {"login_attempts", "auth_tokens", "code_guesses"}


@dataclass
class Town:
    """One demo town as the tests aim at it."""

    hall: int
    name: str
    village: int
    window: int  # the fuzzing clerk's window (A post)
    other_window: int
    category: int
    item: int
    clerk: int  # a colleague, never the signed-in clerk
    manager: int
    device: int  # a lobby screen
    kiosk: int
    complaint: int
    follow_up: int
    booking: int  # a home visit the village agent asked for
    booking_code: str
    tickets: dict[str, str]  # state → token
    staff: dict[str, str]  # role → staff number
    tokens: dict[str, str] = field(default_factory=dict)  # device kind → bearer token
    case: int = 0  # a case received at `window`, in review by the clerk's own department
    case_number: str = ""
    case_token: str = ""

    def ids(self) -> dict[str, Any]:
        """Route parameter name → this town's value."""
        return {
            "hall": self.hall,
            "window": self.window,
            "category": self.category,
            "item": self.item,
            "clerk": self.clerk,
            "device": self.device,
            "complaint": self.complaint,
            "follow_up": self.follow_up,
            "booking": self.booking,
            "code": self.booking_code,
            "token": self.tickets["waiting"],
            "day": "2026-11-30",
            "number": "A001",
            "name": "clerk.png",  # a staff photo (the matrix puts one there)
            "year": 2027,  # a holiday schedule the package lacks
            "case": self.case,
        }


@dataclass
class World:
    """The database file of the two towns and what the tests need to know of them."""

    path: Path
    mine: Town
    theirs: Town
    admin: str

    def copy_to(self, folder: Path) -> str:
        """A private copy of the database; its URL."""
        target = folder / "hallq.db"
        shutil.copy(self.path, target)
        return f"sqlite:///{target}"


def make_deps(url: str) -> Deps:
    """Adapters on a database, with the tests' Thursday-morning clock."""
    return bootstrap(
        {
            "DB": Database(url),
            "BUS": RecordingBus(),
            "CLOCK": FakeClock(MORNING),
            "DATABASE_URL": url,
        }
    )


def make_app(deps: Deps, instance: Path) -> Any:
    """The Flask app on these adapters; printing off so nothing changes behind a test's back."""
    app = build_app(deps, instance, PRINTING=False)
    app.extensions["hallq_notifier"] = FakeNotifier()
    return app


def _staff(deps: Deps, staff_no: str) -> Actor:
    with deps.db.reading() as s:
        clerk_id = s.scalar(select(tables.clerks.c.id).where(tables.clerks.c.staff_no == staff_no))
    actor = auth.actor_for_clerk(deps, int(clerk_id))
    assert actor is not None
    return actor


def _first(deps: Deps, column: Any, *where: Any) -> int:
    with deps.db.reading() as s:
        return int(s.scalar(select(column).where(*where).order_by(column)))


def _morning(deps: Deps, seeded: dict[str, Any], person: int) -> Town:
    """Tickets waiting, called and done, a 差评 with its follow-up, a complaint, a home visit."""
    hall = seeded["hall"]
    first, colleague = seeded["clerks"][0], seeded["clerks"][1]
    clerk = _staff(deps, first["staff_no"])
    manager = _staff(deps, seeded["manager"]["staff_no"])
    agent = _staff(deps, seeded["agent"]["staff_no"])
    kiosk = Actor("device", seeded["kiosk_id"], hall, device_kind="kiosk")
    done = issuing.issue_ticket(deps, kiosk, hall, "A")
    called = issuing.issue_ticket(deps, kiosk, hall, "A")
    waiting = issuing.issue_ticket(deps, kiosk, hall, "A")
    issuing.issue_ticket(deps, kiosk, hall, "B")
    q.open_window(deps, clerk, first["window"])
    q.call_next(deps, clerk, first["window"])
    q.finish(deps, clerk, first["window"])
    evaluation.rate_by_token(deps, done["token"], "very_dissatisfied", "attitude")
    complaints.open_follow_ups(deps, {hall})
    q.call_next(deps, clerk, first["window"])
    complaint = complaints.register_complaint(
        deps, manager, hall, {"channel": "phone", "summary": "等候时间太长"}
    )
    item = _first(deps, tables.service_items.c.id, tables.service_items.c.hall_id == hall)
    visit = book(
        deps,
        agent,
        hall,
        {
            "item": item,
            "kind": "home_visit",
            "day": "2026-11-30",
            "address": "李家村3组12号",
            "name": "王大爷",
            "phone": "13812345678",
            "id_number": id_number(person),
            "proxy_reason": "elderly",
        },
    )
    appointment = book(
        deps,
        Actor("anonymous"),
        hall,
        {
            "item": item,
            "start": at(2026, 11, 27, 9, 0).isoformat(),
            "name": "张三丰",
            "phone": "13912345678",
            "id_number": id_number(person + 1),
        },
    )
    assign_home_visit(deps, manager, visit["id"], first["staff_no"], FakeNotifier())
    screen_id, screen_token = auth.register_device(deps, hall, "screen", "大厅综合屏")
    _, pad_token = auth.register_device(
        deps, hall, "evaluator", "评价器", window_id=first["window"]
    )
    case = _case(deps, clerk, first["window"], item, person)
    with deps.db.transaction() as s:  # so a clerk may call a chosen ticket
        s.execute(
            update(tables.halls)
            .where(tables.halls.c.id == hall)
            .values(settings={"queue": {"allow_call_out_of_order": True}})
        )
    return Town(
        hall=hall,
        name=seeded["name"],
        village=seeded["village"],
        window=first["window"],
        other_window=seeded["clerks"][3]["window"],
        category=_first(deps, tables.categories.c.id, tables.categories.c.hall_id == hall),
        item=item,
        clerk=_staff(deps, colleague["staff_no"]).id or 0,
        manager=manager.id or 0,
        device=screen_id,
        kiosk=seeded["kiosk_id"],
        complaint=complaint["id"],
        follow_up=_first(
            deps, admin_tables.follow_ups.c.id, admin_tables.follow_ups.c.hall_id == hall
        ),
        booking=visit["id"],
        booking_code=appointment["code"],
        tickets={"waiting": waiting["token"], "called": called["token"], "done": done["token"]},
        staff={
            "clerk": first["staff_no"],
            "agent": seeded["agent"]["staff_no"],
            "manager": seeded["manager"]["staff_no"],
        },
        tokens={"kiosk": seeded["kiosk_token"], "display": screen_token, "evaluator": pad_token},
        case=case["id"],
        case_number=case["number"],
        case_token=case["token"],
    )


def _case(deps: Deps, clerk: Actor, window: int, item: int, person: int) -> dict[str, Any]:
    """A case received at the clerk's window, waiting for the clerk's own department."""
    from queue_server.services import cases
    from queue_server.store import case_tables

    with deps.db.reading() as s:
        materials = s.scalar(
            select(tables.service_items.c.materials).where(tables.service_items.c.id == item)
        )
        department = s.scalar(
            select(tables.clerks.c.department).where(tables.clerks.c.id == clerk.id)
        )
    made = cases.register_at_window(
        deps,
        clerk,
        window,
        {
            "item": item,
            "applicant": {"name": "赵六", "phone": "13612345678", "id_number": id_number(person)},
            "materials": dict.fromkeys(materials, "provided"),
        },
    )
    step = {"department": department, "state": "pending", "approver_id": None, "note": ""}
    with deps.db.transaction() as s:
        s.execute(
            update(case_tables.cases)
            .where(case_tables.cases.c.id == made["id"])
            .values(steps=[step])
        )
    return made


def build_world(folder: Path) -> World:
    """Seed the two towns into `folder`/hallq.db and start their morning."""
    from queue_server.services import demo

    path = folder / "hallq.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    deps = make_deps(url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo, "hash_password", cached_demo_hash)
        mine, theirs = seed_demo(deps, halls=2)
    world = World(
        path, _morning(deps, mine, 1), _morning(deps, theirs, 2), mine["admin"]["staff_no"]
    )
    deps.db.dispose()
    return world


@pytest.fixture(scope="session")
def hall_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """The two towns, seeded once per run."""
    return build_world(tmp_path_factory.mktemp("world"))


def database_digest(deps: Deps, skip: set[str] = BOOKKEEPING) -> dict[str, str]:
    """A hash of every table's rows (but the sign-in bookkeeping), to prove nothing changed."""
    digest = {}
    with deps.db.reading() as s:
        for table in tables.metadata.sorted_tables:
            if table.name in skip:
                continue
            columns = [c for c in table.columns if (table.name, c.name) != DEVICE_SEEN]
            rows = sorted(repr(tuple(row)) for row in s.execute(select(*columns)).all())
            digest[table.name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return digest


# A device's token use is written down once a minute (the health job's "last seen"), refused or not.
DEVICE_SEEN = ("devices", "last_seen_at")


# -- the four-level tree ----------------------------------------------------------------------
# name → (parent, kind). The halls the access tests aim at (FULL) are seeded demo halls (windows,
# staff, a kiosk, a morning of tickets) moved to their place; the others are bare halls.
TREE: dict[str, tuple[str | None, HallKind]] = {
    "city": (None, HallKind.CITY),
    "county1": ("city", HallKind.COUNTY),
    "county2": ("city", HallKind.COUNTY),
    "town1": ("county1", HallKind.TOWN),
    "town2": ("county1", HallKind.TOWN),
    "town3": ("county2", HallKind.TOWN),
    "town4": ("county2", HallKind.TOWN),
    **{
        f"village{town}{side}": (f"town{town}", HallKind.VILLAGE)
        for town in (1, 2, 3, 4)
        for side in ("a", "b")
    },
}
FULL = ("town1", "village1a", "county1", "town2", "town3", "village1b", "village3a")


@dataclass
class HallTree:
    """The database file of the tree and what the tests need to know of its halls."""

    path: Path
    ids: dict[str, int]  # every hall of TREE
    halls: dict[str, Town]  # the FULL ones
    admin: str

    def copy_to(self, folder: Path) -> str:
        """A private copy of the database; its URL."""
        target = folder / "hallq.db"
        shutil.copy(self.path, target)
        return f"sqlite:///{target}"


def _plant(deps: Deps, seeded: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Put the seeded halls where TREE says and add the bare ones; the demo's own village
    stations go, their agents move to a village of the tree (village1a unless their hall is one)."""
    old = [hall["village"] for hall in seeded.values()]
    ids = {name: hall["hall"] for name, hall in seeded.items()}
    with deps.db.transaction() as s:
        for name, hall in seeded.items():
            home = ids[name] if TREE[name][1] == HallKind.VILLAGE else ids["village1a"]
            s.execute(
                update(tables.clerks)
                .where(tables.clerks.c.staff_no == hall["agent"]["staff_no"])
                .values(hall_id=home)
            )
        windows = select(tables.windows.c.id).where(tables.windows.c.hall_id.in_(old))
        s.execute(delete(tables.window_posts).where(tables.window_posts.c.window_id.in_(windows)))
        # Everything else the demo gave its stations (windows, categories, a kiosk…), the
        # tables that refer to others first.
        for table in reversed(tables.metadata.sorted_tables):
            if "hall_id" in table.c and table.name != "clerks":
                s.execute(delete(table).where(table.c.hall_id.in_(old)))
        s.execute(delete(tables.halls).where(tables.halls.c.id.in_(old)))
        for name, (parent, kind) in TREE.items():
            values = {"kind": kind, "parent_id": ids[parent] if parent else None}
            if name in ids:
                s.execute(update(tables.halls).where(tables.halls.c.id == ids[name]).values(values))
            else:
                hall = Hall(name=f"{name}便民服务站", **values)
                s.add(hall)
                s.flush()
                ids[name] = hall.id or 0
    for name, hall in seeded.items():
        children = [child for child, (parent, _) in TREE.items() if parent == name]
        hall["village"] = ids[children[0]] if children else hall["hall"]
    return ids


def build_tree(folder: Path) -> HallTree:
    """Seed the fifteen halls of TREE into `folder`/hallq.db and start the morning of FULL."""
    from queue_server.services import demo

    path = folder / "hallq.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    deps = make_deps(url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo, "hash_password", cached_demo_hash)
        seeded = dict(zip(FULL, seed_demo(deps, halls=len(FULL)), strict=True))
    ids = _plant(deps, seeded)
    halls = {
        name: _morning(deps, hall, number)
        for number, (name, hall) in enumerate(seeded.items(), start=1)
    }
    tree = HallTree(path, ids, halls, seeded["town1"]["admin"]["staff_no"])
    deps.db.dispose()
    return tree


@pytest.fixture(scope="session")
def hall_tree(tmp_path_factory: pytest.TempPathFactory) -> HallTree:
    """The four-level tree, seeded once per run."""
    return build_tree(tmp_path_factory.mktemp("tree"))
