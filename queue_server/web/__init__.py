"""What every page shares: the names of states and priorities in every template, the bilingual
not-found page, and the security headers of every response.

The pages themselves live in the front doors (queue_server/app.py, FRONT_DOORS).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template, request
from werkzeug.exceptions import NotFound


def init_app(app: Flask) -> None:
    """What every page shares: the label table, the not-found page, the security headers."""
    from . import labels

    table = labels.labels()
    # Every template names states and priorities from the domain's one table.
    app.context_processor(
        lambda: {"state_names": table["states"], "priority_names": table["priorities"]}
    )

    @app.errorhandler(404)
    def _not_found(error: NotFound) -> Any:
        """An unknown address: the API answers in JSON, a page in both languages."""
        from ..api import PREFIX, http_error_response

        if request.path.startswith(PREFIX):
            return http_error_response(error)
        return render_template("not_found.html"), 404

    @app.after_request
    def _security_headers(response: Any) -> Any:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


# Everything a page uses comes from hallq itself (halls run on closed networks: no CDN): no
# inline script or style, no plugin, no other site framing a page or receiving a form.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    )
)
