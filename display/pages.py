"""Window displays (/display/window/<id>), the lobby screen (/display/hall/<id>), the spoken
call announcements they play (/display/voice/<number>/<window>.wav) and the screen set-up page
that checks a screen can speak unattended (/display/setup)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, render_template, send_file
from sqlalchemy import select

from queue_server.domain.announce import check_ticket_number, check_window_number
from queue_server.domain.model import Hall, ServiceItem, Window
from queue_server.http import deps, error_response
from queue_server.services import views
from queue_server.store import tables

from .voice import VoiceError, VoiceSynth, VoiceUnavailable, chime_wav

bp = Blueprint("display", __name__)

_synths: dict[str, VoiceSynth] = {}
_synths_lock = threading.Lock()


def voice_dir() -> Path:
    """Where the synthesised announcements are cached (inside the instance folder)."""
    return Path(current_app.config.get("INSTANCE") or current_app.instance_path) / "voice"


def synth() -> VoiceSynth:
    """The app's espeak-ng synthesiser (one per cache folder, so its voice check runs once)."""
    folder = str(voice_dir())
    with _synths_lock:
        if folder not in _synths:
            _synths[folder] = VoiceSynth(Path(folder))
        return _synths[folder]


def _missing_page(message: str, message_en: str) -> Any:
    return render_template("display/missing.html", message=message, message_en=message_en), 404


@bp.get("/display/window/<int:window>")
def window_display(window: int) -> Any:
    """窗口显示牌 / 工作人员座牌: the small screen above a window."""
    with deps().db.reading() as session:
        win = session.scalars(select(Window).where(tables.windows.c.id == window)).first()
        if win is None:
            return _missing_page("找不到该窗口", "No such window")
        snapshot = views.window_snapshot(session, win, deps().clock.now())
    return render_template("display/window.html", snapshot=snapshot, window_id=window)


def public_notice(session: Any, hall_id: int, notice: str) -> list[str]:
    """政务公开: the centre's duties and rules (the hall's notice), and its service items."""
    parts = [line.strip() for line in notice.replace("。", "。\n").splitlines() if line.strip()]
    items = session.scalars(
        select(ServiceItem)
        .where(tables.service_items.c.hall_id == hall_id, tables.service_items.c.active.is_(True))
        .order_by(tables.service_items.c.code)
    ).all()
    if items:
        names = "、".join(
            f"{item.name}（{'即办' if not item.time_limit_days else f'{item.time_limit_days}个工作日'}）"
            for item in items
        )
        parts.append(f"服务事项：{names}。")
    parts.append(
        "服务规范：首问负责、一次性告知、限时办结、AB岗服务；老年人、残疾人、孕妇、军人优先办理。"
    )
    return parts


@bp.get("/display/hall/<int:hall>")
def hall_display(hall: int) -> Any:
    """综合屏: the big screen in the lobby."""
    with deps().db.reading() as session:
        found = session.get(Hall, hall)
        if found is None:
            return _missing_page("找不到该服务大厅", "No such hall")
        snapshot = views.hall_snapshot(session, found, deps().clock.now())
        notice = public_notice(session, hall, found.notice)
    return render_template("display/hall.html", snapshot=snapshot, hall_id=hall, notice=notice)


def _known_call(number: str, window: int) -> bool:
    """Only numbers a hall could call are synthesised, so the cache cannot be flooded."""
    prefix = number.rstrip("0123456789")
    with deps().db.reading() as session:
        found = session.execute(
            select(tables.windows.c.id)
            .join(tables.categories, tables.categories.c.hall_id == tables.windows.c.hall_id)
            .where(tables.windows.c.number == window, tables.categories.c.prefix == prefix)
            .limit(1)
        ).first()
    return found is not None and int(number[len(prefix) :]) <= 999


@bp.get("/display/voice/<string:number>/<string:window>.wav")
def voice(number: str, window: str) -> Any:
    """The spoken announcement of a call: 请 A零零一 号 到 三 号窗口 办理 (cached WAV)."""
    try:
        number = check_ticket_number(number)
        window_number = check_window_number(window)
    except ValueError:
        return error_response(
            "not_found", "号码或窗口号无效", "Invalid ticket or window number", 404
        )
    if not _known_call(number, window_number):
        return error_response("not_found", "没有这样的号或窗口", "No such number or window", 404)
    try:
        path = synth().audio_for(number, window_number)
    except VoiceUnavailable as error:
        return error_response("voice_unavailable", error.message_zh, error.message_en, 503)
    except VoiceError as error:
        current_app.logger.warning("voice synthesis failed: %s", error)
        return error_response("voice_failed", error.message_zh, error.message_en, 503)
    return send_file(path, mimetype="audio/wav", max_age=7 * 24 * 3600)


@bp.get("/display/voice/chime.wav")
def chime() -> Any:
    """The two-tone chime (叮咚) played when no voice is available."""
    path = voice_dir() / "chime.wav"
    if not path.is_file():
        chime_wav(path)
    return send_file(path, mimetype="audio/wav", max_age=7 * 24 * 3600)


# The test announcement of the set-up page: a call as the lobby would speak it.
TEST_CALL = ("A001", 1)


@bp.get("/display/voice/test.wav")
def test_voice() -> Any:
    """The set-up page's test announcement: 请 A零零一 号，到 一 号窗口 办理."""
    try:
        path = synth().audio_for(*TEST_CALL)
    except VoiceError as error:
        return error_response("voice_unavailable", error.message_zh, error.message_en, 503)
    return send_file(path, mimetype="audio/wav", max_age=7 * 24 * 3600)


@bp.get("/display/setup")
def setup() -> Any:
    """屏幕设置: plays a test announcement and says whether this screen can speak unattended,
    with the addresses of each hall's lobby and window displays."""
    with deps().db.reading() as session:
        halls = session.scalars(select(Hall).order_by(tables.halls.c.id)).all()
        windows = session.scalars(
            select(Window).order_by(tables.windows.c.hall_id, tables.windows.c.number)
        ).all()
        screens = [
            {
                "id": hall.id,
                "name": hall.name,
                "windows": [(w.id, w.number, w.name) for w in windows if w.hall_id == hall.id],
            }
            for hall in halls
        ]
    return render_template("display/setup.html", halls=screens)
