"""Cases' front door (办件, 受审分离): the back office's workbench (/backoffice) and the
citizen's page of a case (/c/<token>) in pages.py; the API of registering, working and picking up
a case (api.py) and where staff meet a case: the counter's case of the ticket served, the printed
受理回执 and 一次性告知, the workbench's list (desk_api.py)."""

from . import api, desk_api
from .pages import bp

__all__ = ["api", "bp", "desk_api"]
