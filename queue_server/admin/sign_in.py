"""Signing in to the console (rate-limited), changing one's password, signing out."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import redirect, render_template, request, url_for

from ..domain.errors import QueueError
from ..http import STATUS, check_csrf, csrf_token, deps, end_session, session_actor, start_session
from ..services import auth, ratelimit
from .blueprint import bp
from .pages import done


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/admin"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """管理员登录: staff number and password; attempts are rate-limited."""
    error: tuple[str, str] | None = None
    status = 200
    target = _safe_next(request.values.get("next"))
    if request.args.get("expired"):
        error = ("登录已过期，请重新登录", "Your session expired; please sign in again")
    if request.method == "POST":
        check_csrf()
        try:
            result = ratelimit.guarded_login(
                deps(),
                request.form.get("staff_no", ""),
                request.form.get("password", ""),
                request.remote_addr,
            )
        except auth.PasswordChangeRequired as reset:
            return _password_page(
                request.form.get("staff_no", ""), (reset.message, reset.message_en)
            )
        except QueueError as refused:
            error, status = (refused.message, refused.message_en), STATUS.get(refused.code, 400)
        else:
            if result["clerk"]["role"] not in ("manager", "admin"):
                auth.logout(deps(), result["token"])
                error, status = (
                    (
                        "管理后台仅限中心管理员和系统管理员使用",
                        "The console is for managers and admins",
                    ),
                    403,
                )
            else:
                start_session(result)
                return redirect(target or url_for("admin.overview"))
    return (
        render_template("admin/login.html", error=error, csrf=csrf_token(), next=target or ""),
        status,
    )


def _password_page(
    staff_no: str,
    notice: tuple[str, str] | None = None,
    *,
    error: tuple[str, str] | None = None,
    status: int = 200,
) -> Any:
    signed_in = session_actor()
    return (
        render_template(
            "admin/password.html",
            me=signed_in,
            staff_no=staff_no,
            notice=notice,
            error=error,
            min_length=auth.MIN_PASSWORD,
            csrf=csrf_token(),
        ),
        status,
    )


@bp.route("/password", methods=["GET", "POST"])
def password() -> Any:
    """修改密码: one's own password; also the first step after an admin's reset (not signed in,
    the staff number and the password the admin gave prove who it is)."""
    signed_in = session_actor()
    staff_no = request.values.get("staff_no", "")[:32]
    if signed_in is not None:
        staff_no = auth.staff_number(deps(), signed_in.id)
    if request.method == "GET":
        return _password_page(staff_no)
    check_csrf()
    if request.form.get("new_password") != request.form.get("repeat_password"):
        mismatch = ("两次输入的新密码不一致", "The two new passwords differ")
        return _password_page(staff_no, error=mismatch, status=422)
    try:
        result = ratelimit.guarded_change_password(
            deps(),
            staff_no,
            request.form.get("password", ""),
            request.form.get("new_password", ""),
            request.remote_addr,
        )
    except QueueError as refused:
        problem = (refused.message, refused.message_en)
        return _password_page(staff_no, error=problem, status=STATUS.get(refused.code, 400))
    start_session(result)
    if result["clerk"]["role"] in ("manager", "admin"):
        return done("密码已修改", "Password changed", url_for("admin.overview"))
    return _password_page(
        staff_no, ("密码已修改，请回到柜台登录", "Password changed; sign in at your counter")
    )


@bp.post("/logout")
def logout() -> Any:
    """Sign out of the console (the cookie's sign-in ends on every process)."""
    end_session()
    return redirect(url_for("admin.login"))
