"""Cases' front door (办件, 受审分离): the API of registering, working and picking up a case
(api.py). Its screens are parts of the counter's and the console's pages."""

from . import api

bp = None  # no pages of its own

__all__ = ["api", "bp"]
