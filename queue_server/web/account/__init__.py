"""The staff account's front door: sign in, change the password, sign out, who is signed in
(API only: the counter and the console each show their own sign-in form)."""

from . import api

bp = None  # no pages of its own

__all__ = ["api", "bp"]
