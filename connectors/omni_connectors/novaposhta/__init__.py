"""Nova Poshta API 2.0: the carrier client and its payload parsers."""

from . import parse
from .client import (
    API_URL,
    PRINT_URL,
    NovaPoshtaAuthError,
    NovaPoshtaClient,
    NovaPoshtaError,
    check_recipient_name,
    envelope_error,
)
from .parse import (
    STATUS_STATES,
    WAREHOUSE_TYPES,
    City,
    ContactPerson,
    Counterparty,
    NpWaybill,
    ReturnOrder,
    ReturnPossibility,
    ReturnReason,
    ScanSheet,
    Settlement,
    Warehouse,
)

__all__ = [
    "API_URL",
    "PRINT_URL",
    "STATUS_STATES",
    "WAREHOUSE_TYPES",
    "City",
    "ContactPerson",
    "Counterparty",
    "NovaPoshtaAuthError",
    "NovaPoshtaClient",
    "NovaPoshtaError",
    "NpWaybill",
    "ReturnOrder",
    "ReturnPossibility",
    "ReturnReason",
    "ScanSheet",
    "Settlement",
    "Warehouse",
    "check_recipient_name",
    "envelope_error",
    "parse",
]
