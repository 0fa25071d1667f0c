"""好差评: the five levels of a service rating, the reasons asked for a low one, and when a
ticket may still be rated. Pure rules; the service layer stores and publishes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple

from .errors import Conflict, InvalidInput


class EvaluationLevel(NamedTuple):
    """One level of 好差评: stable code, Chinese and English names, score out of 100."""

    code: str
    zh: str
    en: str
    score: int


# Ordered best first; an evaluator keypad's key 1 is EVALUATION_LEVELS[0].
EVALUATION_LEVELS: tuple[EvaluationLevel, ...] = (
    EvaluationLevel("very_satisfied", "非常满意", "very satisfied", 100),
    EvaluationLevel("satisfied", "满意", "satisfied", 75),
    EvaluationLevel("basic", "基本满意", "basically satisfied", 50),
    EvaluationLevel("dissatisfied", "不满意", "dissatisfied", 25),
    EvaluationLevel("very_dissatisfied", "非常不满意", "very dissatisfied", 0),
)

# The two lowest levels ask the citizen what went wrong.
LEVELS_NEEDING_REASON = ("dissatisfied", "very_dissatisfied")


class EvaluationReason(NamedTuple):
    """Why a citizen was not satisfied."""

    code: str
    zh: str
    en: str


EVALUATION_REASONS: tuple[EvaluationReason, ...] = (
    EvaluationReason("attitude", "态度", "attitude"),
    EvaluationReason("efficiency", "效率", "efficiency"),
    EvaluationReason("materials", "材料反复", "asked for documents again and again"),
    EvaluationReason("other", "其他", "other"),
)

# Where a rating came from: the tablet at the window, the keypad, or the citizen's phone.
EVALUATION_SOURCES = ("pad", "keypad", "phone")

MAX_COMMENT = 200
DEFAULT_EVALUATION_MINUTES = 30
EVALUATION_MINUTES_LIMITS = (1, 7 * 24 * 60)


def level_for_code(code: Any) -> EvaluationLevel:
    """The level of a code such as 'satisfied' (or its Chinese name), or a clear refusal."""
    for level in EVALUATION_LEVELS:
        if code in (level.code, level.zh):
            return level
    raise InvalidInput(
        "评价等级须为 非常满意、满意、基本满意、不满意 或 非常不满意",
        "level must be very_satisfied, satisfied, basic, dissatisfied or very_dissatisfied",
    )


class Rating(NamedTuple):
    """A checked rating, ready to be stored."""

    level: EvaluationLevel
    reason: str | None
    comment: str


def check_rating(
    level: Any, reason: Any = None, comment: Any = None, *, require_reason: bool = True
) -> Rating:
    """Check a rating's parts: a low level needs a reason from the list; comments are short.

    A keypad has only its five keys, so its low ratings come without a reason.
    """
    chosen = level_for_code(level)
    if comment is None:
        comment = ""
    if not isinstance(comment, str):
        raise InvalidInput("意见须为文字", "comment must be text")
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(
            f"意见不能超过 {MAX_COMMENT} 字", f"comment must be at most {MAX_COMMENT} characters"
        )
    if reason in (None, ""):
        reason = None
    elif not any(reason == r.code for r in EVALUATION_REASONS):
        raise InvalidInput(
            "不满意原因须为 态度、效率、材料反复 或 其他",
            "reason must be attitude, efficiency, materials or other",
        )
    if chosen.code in LEVELS_NEEDING_REASON:
        if reason is None and require_reason:
            raise InvalidInput("请选择不满意的原因", "Choose what you were not satisfied with")
    else:
        reason = None  # a reason only belongs to a low rating
    return Rating(chosen, reason, comment)


def evaluation_minutes(settings: dict[str, Any] | None) -> int:
    """The hall's time limit for rating after a service ends (`settings["evaluation"]`)."""
    section = (settings or {}).get("evaluation") or {}
    if not isinstance(section, dict):
        raise InvalidInput("评价设置须为对象", "evaluation settings must be an object")
    value = section.get("minutes", DEFAULT_EVALUATION_MINUTES)
    low, high = EVALUATION_MINUTES_LIMITS
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidInput(
            f"评价时限须为 {low} 到 {high} 之间的分钟数",
            f"the evaluation time limit must be {low} to {high} minutes",
        )
    return value


def evaluation_deadline(finished_at: datetime | None, minutes: int) -> datetime | None:
    """Until when a service that ended at `finished_at` may be rated."""
    return None if finished_at is None else finished_at + timedelta(minutes=minutes)


def require_open_for_rating(
    number: str, served: bool, finished_at: datetime | None, minutes: int, now: datetime
) -> None:
    """A ticket may be rated once served (一次一评) and only within the hall's time limit."""
    if not served or finished_at is None:
        raise Conflict(
            f"{number} 号尚未办理完毕，办结后才能评价",
            f"Ticket {number} has not been served yet; rate it once it is finished",
        )
    deadline = evaluation_deadline(finished_at, minutes)
    if deadline is not None and now > deadline:
        raise Conflict(
            f"{number} 号已超过评价时限（办结后 {minutes} 分钟内）",
            f"The time to rate ticket {number} is over ({minutes} minutes after the service)",
        )
