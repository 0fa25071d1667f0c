"""好差评's front door: the evaluation pad and the phone widget's page (pages.py), and the rating
API of the pad, the phone page and the keypad's service (api.py)."""

from . import api
from .pages import bp

__all__ = ["api", "bp"]
