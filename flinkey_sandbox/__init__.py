"""A faithful, stateful fake of the flinkey API v3, served over real HTTP (stdlib only)."""

from .requestlog import RequestRecord
from .sandbox import Sandbox
from .seed import DEMO

__all__ = ["DEMO", "RequestRecord", "Sandbox"]
