"""Prom.ua seller API v1: the channel adapter, order mapping and typed errors."""

from .adapter import (
    BASE_URL,
    CANCEL_REASONS,
    SETTABLE_STATUSES,
    STATUS_MAP,
    PromAdapter,
    filter_date,
)
from .errors import (
    PromApiError,
    PromBatchError,
    PromDeclarationError,
    PromRefusedError,
    prom_check,
)
from .mapping import parse_order

__all__ = [
    "BASE_URL",
    "CANCEL_REASONS",
    "SETTABLE_STATUSES",
    "STATUS_MAP",
    "PromAdapter",
    "PromApiError",
    "PromBatchError",
    "PromDeclarationError",
    "PromRefusedError",
    "filter_date",
    "parse_order",
    "prom_check",
]
