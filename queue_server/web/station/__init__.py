"""The village station's front door (代办、转报): the agent's page (/station/<hall>, pages.py) and
the station's case routes (api.py: register on a citizen's behalf, the station's list, sending a
decision back to the station)."""

from . import api
from .pages import bp

__all__ = ["api", "bp"]
