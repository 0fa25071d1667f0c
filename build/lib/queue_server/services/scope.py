"""Who may see and change which halls: the one place the hall-tree scope rules live.

- an admin: every hall;
- a manager: their own hall and every hall below it (a town manager runs the town's centre and
  its village stations; another town is out of reach);
- a clerk or village agent: no console at all (their own windows and tickets are reached
  through the counter panel, where `queue.require_post` holds them to their A/B posts).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.errors import Forbidden, NotFound, Unauthorized
from ..domain.model import Hall, Role
from ..domain.reports import subtree
from ..store import tables
from .context import Actor

CONSOLE_ROLES = (Role.MANAGER, Role.ADMIN)


def hall_parents(session: Session) -> dict[int, int | None]:
    """Every hall with its parent (the whole tree is small: one row per hall)."""
    return {
        int(hall_id): (int(parent) if parent is not None else None)
        for hall_id, parent in session.execute(
            select(tables.halls.c.id, tables.halls.c.parent_id)
        ).all()
    }


def require_console(actor: Actor) -> None:
    """Only signed-in managers and admins use the manager console."""
    if not actor.is_staff or actor.id is None:
        raise Unauthorized("请先登录", "Please sign in first")
    if actor.role not in CONSOLE_ROLES:
        raise Forbidden(
            "管理后台仅限中心管理员使用", "The manager console is for managers and admins only"
        )


def visible_halls(session: Session, actor: Actor) -> set[int]:
    """The halls the actor may see and change in the console."""
    require_console(actor)
    parents = hall_parents(session)
    if actor.role == Role.ADMIN:
        return set(parents)
    if actor.hall_id is None or actor.hall_id not in parents:
        return set()
    return subtree(parents, actor.hall_id)


def in_scope(session: Session, actor: Actor, hall_id: int) -> bool:
    """Whether the hall is within the actor's reach."""
    return hall_id in visible_halls(session, actor)


def require_hall(session: Session, actor: Actor, hall_id: int) -> Hall:
    """The hall, if the actor may manage it; 404 when it does not exist, 403 when out of reach."""
    require_console(actor)
    hall = session.get(Hall, hall_id)
    if hall is None:
        raise NotFound("找不到该服务大厅", "No such hall")
    if not in_scope(session, actor, hall_id):
        raise Forbidden(
            "您只能管理本大厅及下属站点", "You may only manage your own hall and the halls below it"
        )
    return hall


def require_admin(actor: Actor) -> None:
    """Some changes (other admins, top-level halls) are for admins only."""
    require_console(actor)
    if actor.role != Role.ADMIN:
        raise Forbidden("此项操作仅限系统管理员", "Only an admin may do this")


def grantable_roles(actor: Actor) -> tuple[Role, ...]:
    """The roles the actor may give: a manager never makes an admin."""
    if actor.role == Role.ADMIN:
        return (Role.CLERK, Role.AGENT, Role.MANAGER, Role.ADMIN)
    return (Role.CLERK, Role.AGENT, Role.MANAGER)
