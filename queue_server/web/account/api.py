"""Sign-in API routes under /api/v1/auth: a session cookie and a bearer token for staff."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from ...api import EMPTY, api, body, documented
from ...api import models as m
from ...http import csrf_token, current_actor, deps, end_session, start_session
from ...services import auth, ratelimit
from ...services import queue as q


@documented(
    api,
    "POST",
    "/auth/login",
    "Sign in with staff number and password: a session cookie and a bearer token "
    "(5 wrong passwords in 15 minutes lock the staff number from that address, 20 lock the "
    "address: 429; after an admin's reset: 403 password_change_required)",
    body=m.LoginRequest,
    errors=(401, 403, 429),
    returns=m.SignedIn,
)
def login() -> Any:
    data = body()
    result = ratelimit.guarded_login(
        deps(), data.get("staff_no"), data.get("password"), request.remote_addr
    )
    start_session(result)
    result["csrf_token"] = csrf_token()
    return jsonify(result)


@documented(
    api,
    "POST",
    "/auth/password",
    "Change your own password (at least 10 characters, not your staff number, not a common "
    "one): the current password proves who you are, every other sign-in of yours ends, and "
    "you are signed in afresh. Signed in, staff_no may be left out; after an admin's reset "
    "(sign-in answers 403 password_change_required) send it",
    body=m.PasswordChange,
    errors=(401, 422, 429),
    returns=m.SignedIn,
)
def change_password() -> Any:
    data = body()
    staff_no = data.get("staff_no")
    if staff_no is None:
        actor = current_actor()
        if not actor.is_staff:
            from ...domain.errors import Unauthorized

            raise Unauthorized("请先登录", "Please sign in first")
        staff_no = auth.staff_number(deps(), actor.id)
    result = ratelimit.guarded_change_password(
        deps(), staff_no, data.get("password"), data.get("new_password"), request.remote_addr
    )
    start_session(result)
    result["csrf_token"] = csrf_token()
    return jsonify(result)


@documented(api, "POST", "/auth/logout", "Sign out (AB岗: your windows pause for the B post)",
            body=EMPTY, returns=m.Done)  # fmt: skip
def logout() -> Any:
    actor = current_actor()
    q.sign_out_of_windows(deps(), actor)
    from ...http import bearer_token

    token = bearer_token()
    if token:
        auth.logout(deps(), token)
    end_session()
    return jsonify({"ok": True})


@documented(api, "GET", "/auth/me", "Who is signed in", auth="clerk", returns=m.Me)
def me() -> Any:
    from ...services import access

    actor = current_actor()
    access.require_anywhere(actor, "account.self")
    return jsonify(
        {"id": actor.id, "name": actor.name, "role": actor.role, "hall_id": actor.hall_id}
    )
