"""Channel-neutral building blocks: errors, data classes, transport, helpers."""

from .adapter import ChannelAdapter
from .errors import (
    AuthError,
    InvalidEmail,
    InvalidPhone,
    OmniConnectorError,
    PayloadError,
    RateLimitError,
    RemoteError,
    TimeoutError_,
    TransportError,
    ValidationError,
)
from .models import (
    ConnectionInfo,
    Customer,
    DeliveryInfo,
    Order,
    OrderBatch,
    OrderLine,
    OrderState,
    PaymentInfo,
    PriceUpdate,
    PushResult,
    RawOrder,
    RemoteOffer,
    StockUpdate,
)
from .money import from_kopecks, quantize_uah, to_decimal, to_kopecks
from .phone import normalize_email, normalize_phone
from .ratelimit import RateLimiter, limiter_for
from .redact import DEFAULT_SECRET_KEYS, RedactingFilter, Redactor, redact
from .transport import BODY_CAP, CallRecord, HttpTransport, Response

__all__ = [
    "BODY_CAP",
    "DEFAULT_SECRET_KEYS",
    "AuthError",
    "CallRecord",
    "ChannelAdapter",
    "ConnectionInfo",
    "Customer",
    "DeliveryInfo",
    "HttpTransport",
    "InvalidEmail",
    "InvalidPhone",
    "OmniConnectorError",
    "Order",
    "OrderBatch",
    "OrderLine",
    "OrderState",
    "PayloadError",
    "PaymentInfo",
    "PriceUpdate",
    "PushResult",
    "RateLimitError",
    "RateLimiter",
    "RawOrder",
    "RedactingFilter",
    "Redactor",
    "RemoteError",
    "RemoteOffer",
    "Response",
    "StockUpdate",
    "TimeoutError_",
    "TransportError",
    "ValidationError",
    "from_kopecks",
    "limiter_for",
    "normalize_email",
    "normalize_phone",
    "quantize_uah",
    "redact",
    "to_decimal",
    "to_kopecks",
]
