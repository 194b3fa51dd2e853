"""Python client for the flinkey API v3: typed results, one error hierarchy, OData queries.

Plain Python and requests only: nothing here imports Django.
"""

from . import odata
from .client import FlinkeyClient
from .credentials import credential_problem
from .errors import (
    AuthenticationError,
    BadRequestError,
    FlinkeyError,
    InvalidCredentialsFormat,
    NotFoundError,
    ProtocolError,
    RateLimitedError,
    ServerError,
    UnavailableError,
    UnsupportedMediaTypeError,
    UpstreamTimeout,
)
from .fanout import Ahead, Outcome, fan_out
from .models import Car, Customer, Event, Location, Page, Product
from .odata import Query
from .sessions import close_sessions
from .token import Token

__all__ = [
    "Ahead",
    "AuthenticationError",
    "BadRequestError",
    "Car",
    "Customer",
    "Event",
    "FlinkeyClient",
    "FlinkeyError",
    "InvalidCredentialsFormat",
    "Location",
    "NotFoundError",
    "Outcome",
    "Page",
    "Product",
    "ProtocolError",
    "Query",
    "RateLimitedError",
    "ServerError",
    "Token",
    "UnavailableError",
    "UnsupportedMediaTypeError",
    "UpstreamTimeout",
    "close_sessions",
    "credential_problem",
    "fan_out",
    "odata",
]
