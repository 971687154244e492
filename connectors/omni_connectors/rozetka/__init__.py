"""Rozetka Seller API: adapter, order mapping, status tables, typed errors."""

from . import statuses
from .adapter import DEFAULT_URL, RozetkaAdapter, RozetkaApiToken, RozetkaLogin
from .errors import (
    RozetkaAccessDenied,
    RozetkaAuthError,
    RozetkaError,
    RozetkaNotFound,
    RozetkaPayloadError,
    RozetkaRemoteError,
    RozetkaValidationError,
)
from .mapping import parse_order

__all__ = [
    "DEFAULT_URL",
    "RozetkaAccessDenied",
    "RozetkaAdapter",
    "RozetkaApiToken",
    "RozetkaAuthError",
    "RozetkaError",
    "RozetkaLogin",
    "RozetkaNotFound",
    "RozetkaPayloadError",
    "RozetkaRemoteError",
    "RozetkaValidationError",
    "parse_order",
    "statuses",
]
