"""Who follows a case besides the back office: the citizen's page (`/c/{token}`, the Socket.IO
room `case:{token}`) and the citizen's phone (a notice through the deployment's notifier when
the case needs correction and when it is ready to pick up).

A bus subscriber: every committed `case_changed` (sent to the hall's back-office room) is
followed here, in the process that made the change, once. The citizen's room hears the number
and the state only; the page reads the rest by its token. A notice that cannot be sent is
audited as failed and never undoes the change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ..domain.cases import CaseState
from ..store import case_tables, tables
from .bus import Message
from .context import Actor, Deps, audit
from .notify import LogNotifier, Notice
from .unit_of_work import unit_of_work

log = logging.getLogger(__name__)
C = case_tables.cases

# What the citizen is told of, by the action that changed the case.
NOTICE_KINDS = {"returned": "case_correction", "approved": "case_ready", "refused": "case_ready"}


def case_room(token: str) -> str:
    """The Socket.IO room of the citizen's page of a case (its token is the key)."""
    return f"case:{token}"


@dataclass
class CaseFollowers:
    """Tells the citizen's page and phone what happened to their case."""

    deps: Deps

    def on_messages(self, messages: list[Message]) -> None:
        """Follow the committed case changes of one batch (a bus subscriber)."""
        for message in messages:
            if message.event != "case_changed" or not message.room.startswith("backoffice:"):
                continue
            case_id = message.payload.get("id")
            if isinstance(case_id, int):
                self._follow(case_id, str(message.payload.get("what", "")))

    def _follow(self, case_id: int, what: str) -> None:
        with self.deps.db.reading() as s:
            row = s.execute(
                select(
                    C.c.id,
                    C.c.hall_id,
                    C.c.number,
                    C.c.token,
                    C.c.state,
                    C.c.phone,
                    C.c.missing,
                    tables.service_items.c.name.label("item"),
                    tables.halls.c.name.label("hall"),
                )
                .join(tables.service_items, tables.service_items.c.id == C.c.service_item_id)
                .join(tables.halls, tables.halls.c.id == C.c.hall_id)
                .where(C.c.id == case_id)
            ).first()
        if row is None:
            return
        self.deps.bus.publish(
            [
                Message(
                    "case_status",
                    case_room(row.token),
                    {"number": row.number, "state": CaseState(row.state).value, "what": what},
                )
            ]
        )
        kind = NOTICE_KINDS.get(what)
        if kind is not None and row.phone:
            self._notify(row, kind)

    def _notify(self, row: Any, kind: str) -> None:
        url = f"{self.deps.public_url.rstrip('/')}/c/{row.token}"
        if kind == "case_correction":
            missing = "、".join(row.missing or [])
            text = (
                f"【{row.hall}】您的办件{row.number}（{row.item}）需补正材料：{missing}。"
                f"请带齐后到综合窗口补交，办理时限在补正期间暂停。详情：{url}"
            )
            text_en = (
                f"Your case {row.number} needs more materials: {missing}. Bring them to a "
                f"comprehensive window; the time limit waits meanwhile. {url}"
            )
        else:
            text = (
                f"【{row.hall}】您的办件{row.number}（{row.item}）已办结，请带受理回执到综合窗口"
                f"取件，可在取号机扫回执二维码取号。详情：{url}"
            )
            text_en = (
                f"Your case {row.number} is decided: bring the receipt to a comprehensive "
                f"window; scan its QR code at the kiosk for a ticket. {url}"
            )
        notifier = self.deps.notifier or LogNotifier()
        status = "sent"
        try:
            notifier.send(Notice(row.hall_id, row.id, kind, row.phone, text, text_en))
        except Exception as error:  # a gateway fault never undoes the decision
            status = "failed"
            log.warning("case %s: %s notice not sent (%s)", row.id, kind, type(error).__name__)
        try:
            with unit_of_work(self.deps) as uow:
                s = uow.session
                audit(
                    s,
                    at=self.deps.clock.now(),
                    actor=Actor("system"),
                    action="case.notice",
                    hall_id=row.hall_id,
                    subject=row.number,
                    detail={"case": row.id, "kind": kind, "status": status},
                )
        except Exception:
            log.exception("case %s: could not audit the %s notice", row.id, kind)
