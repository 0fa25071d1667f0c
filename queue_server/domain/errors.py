"""The one error family of hallq: every refusal carries a Chinese and an English message."""

from __future__ import annotations


class QueueError(Exception):
    """A request hallq refuses; the API maps `code` to an HTTP status in one place."""

    code = "error"

    def __init__(self, message: str, message_en: str) -> None:
        message_en = sentence(message_en)
        super().__init__(message_en)
        self.message = message
        self.message_en = message_en

    def details(self) -> dict[str, object]:
        """What a refusal carries besides its message (e.g. the missing materials)."""
        return {}


def sentence(text: str) -> str:
    """English as shown to people starts with a capital, unless it starts with a name from the
    API (`parent_id must be …`)."""
    first = text.split(" ", 1)[0]
    return text[:1].upper() + text[1:] if first.isalpha() and first.islower() else text


class InvalidInput(QueueError):
    """The input is malformed or breaks a rule about its shape (422)."""

    code = "invalid"


class NotFound(QueueError):
    """The thing asked for does not exist (404)."""

    code = "not_found"


class Conflict(QueueError):
    """The request clashes with the current state (409)."""

    code = "conflict"


class CapacityReached(Conflict):
    """A daily cap or a slot's places are used up (409)."""

    code = "full"


class Forbidden(QueueError):
    """The actor may not do this (403)."""

    code = "forbidden"


class Unauthorized(QueueError):
    """No valid sign-in or device token (401)."""

    code = "unauthorized"


class Unavailable(QueueError):
    """The database or another service is not reachable right now (503)."""

    code = "unavailable"


def in_english(text: object) -> str:
    """Text a request sent, as an English message may quote it: anything outside ASCII escaped
    (a field name typed in Chinese reads as \\u5b57 there), the Chinese message quotes it as is."""
    return str(text).encode("ascii", "backslashreplace").decode("ascii")
