"""Whether this process can do its work: the database answers, and so does the message queue
that carries events to the screens connected to other processes."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..domain.errors import Unavailable
from .context import Deps

# A check answers within about this long, whatever is down (a load balancer is waiting).
TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Problem:
    """One part that does not answer, said for people."""

    part: str  # "database" or "message_queue"
    message: str
    message_en: str
    reason: str  # the error as the driver put it

    def as_dict(self) -> dict[str, str]:
        """As JSON."""
        return {
            "part": self.part,
            "message": self.message,
            "message_en": self.message_en,
            "reason": self.reason,
        }


_redis_clients: dict[str, Any] = {}
_redis_lock = threading.Lock()


def _redis(url: str) -> Any:
    import redis

    with _redis_lock:
        client = _redis_clients.get(url)
        if client is None:
            client = redis.Redis.from_url(
                url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
            )
            _redis_clients[url] = client
        return client


def problems(deps: Deps, message_queue: str | None) -> list[Problem]:
    """What does not answer now (empty when all is well)."""
    found = []
    try:
        with deps.db.reading() as session:
            session.execute(select(1))
    except (SQLAlchemyError, Unavailable) as error:
        found.append(
            Problem(
                "database",
                "数据库无法连接：取号、叫号都无法进行",
                "The database is unreachable: no ticket can be issued or called",
                _short(error),
            )
        )
    if message_queue:
        try:
            _redis(message_queue).ping()
        except Exception as error:  # any failure to answer is the news, whatever its kind
            found.append(
                Problem(
                    "message_queue",
                    "消息队列（Redis）无法连接：其他服务进程上的屏幕收不到叫号",
                    "The message queue (Redis) is unreachable: screens connected to other "
                    "server processes miss the calls",
                    _short(error),
                )
            )
    return found


def _short(error: BaseException) -> str:
    cause = error.__cause__ if isinstance(error, Unavailable) and error.__cause__ else error
    text = str(getattr(cause, "orig", None) or cause).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:200]


def report(deps: Deps, message_queue: str | None) -> tuple[dict[str, Any], int]:
    """`/healthz`'s answer and status: 200 when all is well, 503 with the reasons if not."""
    found = problems(deps, message_queue)
    parts = {"database": "ok", "message_queue": "ok" if message_queue else "none"}
    for problem in found:
        parts[problem.part] = "unreachable"
    if not found:
        return {"ok": True, **parts}, 200
    return {
        "ok": False,
        **parts,
        "error": "unavailable",
        "message": "；".join(p.message for p in found),
        "message_en": "; ".join(p.message_en for p in found),
        "problems": [p.as_dict() for p in found],
    }, 503
