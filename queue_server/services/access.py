"""Who may do what to which hall: the one access policy of hallq.

Every route and use case asks `has_permission(session, actor, hall, name)` (or `require`, which
raises the 401/403 of the error family); no other module decides access. Users, device tokens
and the system all answer the same question, after pretix's `has_permission`.

A permission names what is done ("hall.hours"); each holder — a staff role (admin, manager,
clerk, agent), a device kind (kiosk, screen, board, evaluator), anybody signed out, or the
system — holds it with a reach over the hall tree city → county → town → village:

- ALL: every hall (an admin; the system; what is the same wherever it is asked, like booking);
- TREE: the holder's own hall and every hall below it, never the parent's or a sibling's;
- OWN: the holder's own hall only;
- STATION: a village agent's station and the hall right above it (where they take citizens);
- POSTED: a window where the clerk holds the A or B post (whatever their role);
- ASSIGNED: what was given to this member of staff by name (a home visit);
- DEPARTMENT: staff of the back-office department a case waits for, in its hall or above.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.errors import Forbidden, NotFound, Unauthorized
from ..domain.model import Hall, Role, Window
from ..domain.reports import subtree
from ..store import tables
from .context import Actor

Text = tuple[str, str]


class Reach(Enum):
    """How far a holder's permission reaches from their own hall."""

    ALL = "all"
    TREE = "tree"
    OWN = "own"
    STATION = "station"
    POSTED = "posted"
    ASSIGNED = "assigned"
    DEPARTMENT = "department"


# Holders: staff roles by value, devices as "device:<kind>", plus these two.
ANONYMOUS = "anonymous"
SYSTEM = "system"
STAFF = (Role.ADMIN.value, Role.MANAGER.value, Role.CLERK.value, Role.AGENT.value)

SIGN_IN: Text = ("请先登录", "Please sign in first")
CONSOLE_ONLY: Text = (
    "管理后台仅限中心管理员使用",
    "The manager console is for managers and admins only",
)
OUT_OF_TREE: Text = (
    "您只能管理本大厅及下属站点",
    "You may only manage your own hall and the halls below it",
)
ADMIN_ONLY: Text = ("此项操作仅限系统管理员", "Only an admin may do this")


@dataclass(frozen=True)
class Permission:
    """A named permission: who holds it how far, and what a refusal says.

    `denied` answers an actor who does not hold it at all; `out_of_reach` one who holds it, but
    not for this hall; `device` a device (either way). Someone signed out gets 401 `signed_in`
    (a 403 with `step_of_signed_out`: a step of something they may do, like booking), and so
    does a device when only staff hold the permission; otherwise a device's refusal is a 403."""

    grants: dict[str, Reach]
    denied: Text
    out_of_reach: Text | None = None
    signed_in: Text = SIGN_IN
    device: Text | None = None
    step_of_signed_out: bool = False
    for_devices_or_anybody: bool = field(init=False)

    def __post_init__(self) -> None:
        open_to = any(h == ANONYMOUS or h.startswith("device:") for h in self.grants)
        object.__setattr__(self, "for_devices_or_anybody", open_to)


def _console() -> Permission:
    """A console permission: a manager over their subtree, an admin everywhere."""
    grants = {Role.MANAGER.value: Reach.TREE, Role.ADMIN.value: Reach.ALL}
    return Permission(grants, CONSOLE_ONLY, OUT_OF_TREE)


def _staff(reach: Reach, **more: Reach) -> dict[str, Reach]:
    return {role: reach for role in STAFF} | more


PERMISSIONS: dict[str, Permission] = {
    # -- the manager console ------------------------------------------------------------------
    "console.use": _console(),  # opening the console at all (its pages list only halls in reach)
    "hall.configure": _console(),  # name, level, notice, categories, windows, items, rules
    "hall.hours": _console(),  # weekly hours and date overrides
    "booking.configure": _console(),  # booking policy and rules, giving out home visits
    "staff.manage": _console(),  # staff accounts, passwords, photos
    "device.manage": _console(),  # devices, tokens, kiosk printers
    "report.read": _console(),  # reports, performance, the live monitor, the audit log
    "complaint.handle": _console(),  # complaints and 差评 follow-ups
    "calendar.read": _console(),  # the deployment's holiday schedules
    "booking.housekeeping": _console(),  # run the bookings' periodic work now (every hall)
    # Deployment-wide: other admins, halls at the top of a tree, the holiday schedules.
    "deployment.configure": Permission({Role.ADMIN.value: Reach.ALL}, ADMIN_ONLY, ADMIN_ONLY),
    # -- the counter ----------------------------------------------------------------------------
    "account.self": Permission(_staff(Reach.ALL), SIGN_IN),  # who am I, my windows, my bookings
    "window.operate": Permission(
        _staff(Reach.POSTED),
        ("您不是该窗口的 A 岗或 B 岗人员", "You hold neither the A nor the B post of this window"),
    ),
    "booking.staff": Permission(  # a hall's bookings and the messages sent about them
        {
            Role.CLERK.value: Reach.OWN,
            Role.AGENT.value: Reach.OWN,
            Role.MANAGER.value: Reach.TREE,
            Role.ADMIN.value: Reach.ALL,
        },
        ("您无权查看该大厅的预约", "You may not see this hall's bookings"),
    ),
    "home_visit.close": Permission(  # the clerk it went to, or a manager of the hall
        {
            Role.CLERK.value: Reach.ASSIGNED,
            Role.AGENT.value: Reach.ASSIGNED,
            Role.MANAGER.value: Reach.TREE,
            Role.ADMIN.value: Reach.ALL,
        },
        (
            "只有受派的工作人员或本中心管理员可以办结上门服务",
            "Only the clerk it was given to or a manager of the hall may close a home visit",
        ),
    ),
    # -- citizens, kiosks and other devices ----------------------------------------------------
    "ticket.issue": Permission(
        {
            "device:kiosk": Reach.OWN,
            Role.CLERK.value: Reach.OWN,
            Role.AGENT.value: Reach.STATION,
            Role.MANAGER.value: Reach.TREE,
            Role.ADMIN.value: Reach.ALL,
            SYSTEM: Reach.ALL,
        },
        ("您无权为该大厅取号", "You may not issue tickets for this hall"),
        signed_in=(
            "请在自助取号机取号，或由工作人员登录后代取",
            "Tickets are issued by a kiosk or a signed-in member of staff",
        ),
        device=("该设备无权为此大厅取号", "This device may not issue tickets for this hall"),
    ),
    "booking.create": Permission(  # citizens book for themselves, staff on their behalf
        _staff(Reach.ALL, anonymous=Reach.ALL, system=Reach.ALL),
        (
            "自助机不能预约，请用手机预约或请工作人员代约",
            "A kiosk cannot book; book on a phone or ask a member of staff",
        ),
    ),
    "booking.proxy": Permission(  # booking on a citizen's behalf, with the reason
        _staff(Reach.ALL),
        (
            "只有登录的代办员或工作人员可以代办预约",
            "Only a signed-in village agent or member of staff books on someone's behalf",
        ),
        step_of_signed_out=True,
    ),
    "kiosk.self": Permission(
        {"device:kiosk": Reach.OWN},
        ("此接口仅供自助取号机使用", "Only a kiosk device may use this"),
        signed_in=(
            "设备未授权：请使用取号机的设备令牌",
            "Device not authorised: use the kiosk's device token",
        ),
    ),
    # -- cases (办件, 受审分离) ---------------------------------------------------------------
    "case.receive": Permission(  # 受理 at a window: the clerk posted there, serving a ticket
        _staff(Reach.POSTED),
        ("您不是该窗口的 A 岗或 B 岗人员", "You hold neither the A nor the B post of this window"),
    ),
    "case.review": Permission(  # claim, approve, return, refuse: the department's approvers
        {Role.CLERK.value: Reach.DEPARTMENT, Role.MANAGER.value: Reach.DEPARTMENT},
        (
            "只有该件审批部门的工作人员可以审批",
            "Only staff of a department that reviews this case may decide it",
        ),
    ),
    "case.extend": Permission(  # 延期: the department's approvers or a manager of the hall
        {
            Role.CLERK.value: Reach.DEPARTMENT,
            Role.MANAGER.value: Reach.TREE,
            Role.ADMIN.value: Reach.ALL,
        },
        (
            "只有审批部门的工作人员或本中心管理员可以延期",
            "Only staff of a reviewing department or a manager of the hall may extend a case",
        ),
    ),
    "case.front_desk": Permission(  # materials arrive (补正), the result is handed out (出件)
        {
            Role.CLERK.value: Reach.OWN,
            Role.MANAGER.value: Reach.TREE,
            Role.ADMIN.value: Reach.ALL,
        },
        ("只有本大厅的工作人员可以办理", "Only staff of the case's hall may do this"),
    ),
    "case.proxy": Permission(  # 代办 at a village station, sent on to the town (转报); 出件 there
        {
            Role.AGENT.value: Reach.OWN,
            Role.CLERK.value: Reach.OWN,
            Role.MANAGER.value: Reach.TREE,
            Role.ADMIN.value: Reach.ALL,
        },
        (
            "只有本站点的代办员或工作人员可以代办",
            "Only the station's agent or staff may receive a case on a citizen's behalf",
        ),
    ),
    "case.read": Permission(  # a hall's cases: its staff and the staff of the halls above
        _staff(Reach.TREE, admin=Reach.ALL),
        ("您无权查看该大厅的办件", "You may not see this hall's cases"),
    ),
    # An evaluation pad rates visits at its own hall's windows (which window: the rating route).
    "window.rate": Permission(
        {"device:evaluator": Reach.OWN},
        ("只有本大厅的评价器可以评价", "Only an evaluation pad of this hall may rate its windows"),
    ),
}


def holder(actor: Actor) -> str:
    """Who the actor is to the policy: a staff role, a device kind, anybody or the system."""
    if actor.is_staff:
        return actor.role.value if isinstance(actor.role, Role) else str(actor.role or "")
    if actor.kind == "device":
        return f"device:{actor.device_kind}"
    if actor.kind == SYSTEM:
        return SYSTEM
    return ANONYMOUS


def hall_parents(session: Session) -> dict[int, int | None]:
    """Every hall with its parent (the whole tree is small: one row per hall)."""
    return {
        int(hall_id): (int(parent) if parent is not None else None)
        for hall_id, parent in session.execute(
            select(tables.halls.c.id, tables.halls.c.parent_id)
        ).all()
    }


def _hall_id(hall: Hall | int | None) -> int | None:
    if isinstance(hall, Hall):
        return hall.id
    return hall


def _posted(session: Session, actor: Actor, window: Window | int) -> bool:
    window_id = window.id if isinstance(window, Window) else window
    return (
        session.scalar(
            select(tables.window_posts.c.id).where(
                tables.window_posts.c.window_id == window_id,
                tables.window_posts.c.clerk_id == actor.id,
            )
        )
        is not None
    )


class _Tree:
    """The hall tree, read from the database only when a check needs it (once per check)."""

    def __init__(self, session: Session | None, parents: dict[int, int | None] | None = None):
        self.session = session
        self._parents = parents

    @property
    def parents(self) -> dict[int, int | None]:
        if self._parents is None:
            self._parents = hall_parents(self.session) if self.session is not None else {}
        return self._parents


def _reaches(
    tree: _Tree,
    actor: Actor,
    reach: Reach,
    hall_id: int | None,
    window: Window | int | None,
    assignee: int | None,
    department: str | None = None,
) -> bool:
    if reach == Reach.DEPARTMENT:
        return _in_department(tree, actor, hall_id, department)
    if reach == Reach.ALL or hall_id is None and reach in (Reach.TREE, Reach.OWN, Reach.STATION):
        return True  # hall None: "anywhere" (a console page listing the halls in reach)
    if reach == Reach.POSTED:
        if window is None or actor.id is None or tree.session is None:
            return False
        return _posted(tree.session, actor, window)
    if reach == Reach.ASSIGNED:
        return assignee is not None and actor.id is not None and actor.id == assignee
    if actor.hall_id is None:
        return False
    if hall_id == actor.hall_id:
        return True
    if reach == Reach.OWN:
        return False
    parents = tree.parents
    if reach == Reach.STATION:
        return parents.get(actor.hall_id) == hall_id
    return actor.hall_id in parents and hall_id in subtree(parents, actor.hall_id)


def _in_department(tree: _Tree, actor: Actor, hall_id: int | None, department: str | None) -> bool:
    """Staff of the department (by their record) at the hall or a hall above it."""
    if not department or actor.id is None or actor.hall_id is None or tree.session is None:
        return False
    mine = tree.session.scalar(
        select(tables.clerks.c.department).where(tables.clerks.c.id == actor.id)
    )
    if not mine or mine.strip() != department.strip():
        return False
    if hall_id is None or hall_id == actor.hall_id:
        return True
    parents = tree.parents
    return actor.hall_id in parents and hall_id in subtree(parents, actor.hall_id)


def _permission(name: str) -> Permission:
    try:
        return PERMISSIONS[name]
    except KeyError:
        raise ValueError(f"unknown permission {name!r}") from None


def _has(
    tree: _Tree,
    actor: Actor,
    hall: Hall | int | None,
    name: str,
    window: Window | int | None = None,
    assignee: int | None = None,
    department: str | None = None,
) -> bool:
    reach = _permission(name).grants.get(holder(actor))
    if reach is None or (actor.is_staff and actor.id is None):
        return False
    return _reaches(tree, actor, reach, _hall_id(hall), window, assignee, department)


def has_permission(
    session: Session | None,
    actor: Actor,
    hall: Hall | int | None,
    name: str,
    *,
    window: Window | int | None = None,
    assignee: int | None = None,
    department: str | None = None,
) -> bool:
    """Whether the actor may do `name` to the hall (None: at some hall of theirs).

    `window` is the window acted at (window.operate), `assignee` the member of staff a thing
    was given to (home_visit.close), `department` the back-office department acted for (a
    case's review step): holders who reach by post, by name or by department are judged by
    them. The session reads the hall tree, the posts and departments when the check needs them."""
    return _has(_Tree(session), actor, hall, name, window, assignee, department)


def require(
    session: Session | None,
    actor: Actor,
    hall: Hall | int | None,
    name: str,
    *,
    window: Window | int | None = None,
    assignee: int | None = None,
    department: str | None = None,
) -> None:
    """Refuse (401 or 403, in Chinese and English) unless the actor has the permission."""
    if _has(_Tree(session), actor, hall, name, window, assignee, department):
        return
    permission = _permission(name)
    who = holder(actor)
    holds = who in permission.grants and not (actor.is_staff and actor.id is None)
    if who == ANONYMOUS or (actor.is_staff and actor.id is None):
        if permission.step_of_signed_out:
            raise Forbidden(*permission.denied)
        raise Unauthorized(*permission.signed_in)
    if actor.kind == "device":
        if not permission.for_devices_or_anybody:
            raise Unauthorized(*permission.signed_in)
        raise Forbidden(*(permission.device or permission.denied))
    if holds and window is not None and isinstance(window, Window):
        raise Forbidden(
            f"您不是 {window.number} 号窗口的 A 岗或 B 岗人员",
            f"You hold neither the A nor the B post of window {window.number}",
        )
    if holds and permission.out_of_reach is not None:
        raise Forbidden(*permission.out_of_reach)
    raise Forbidden(*permission.denied)


def require_hall(session: Session, actor: Actor, hall_id: int, name: str) -> Hall:
    """The hall, if the actor has the permission there; 404 when it does not exist."""
    require(session, actor, None, name)  # no console: refused before the hall is looked up
    hall = session.get(Hall, hall_id)
    if hall is None:
        raise NotFound("找不到该服务大厅", "No such hall")
    require(session, actor, hall, name)
    return hall


def require_anywhere(actor: Actor, name: str) -> None:
    """Refuse unless the actor has the permission at some hall (opening the console at all)."""
    require(None, actor, None, name)


def halls_with(session: Session, actor: Actor, name: str) -> set[int]:
    """Every hall where the actor has the permission (the console's hall list)."""
    require(session, actor, None, name)
    tree = _Tree(session, hall_parents(session))
    return {hall_id for hall_id in tree.parents if _has(tree, actor, hall_id, name)}


def grantable_roles(actor: Actor) -> tuple[Role, ...]:
    """The roles the actor may give: only an admin makes another admin."""
    if holder(actor) in PERMISSIONS["deployment.configure"].grants:
        return (Role.CLERK, Role.AGENT, Role.MANAGER, Role.ADMIN)
    return (Role.CLERK, Role.AGENT, Role.MANAGER)
