"""Signed webhooks: what Odoo sends to a shop and how the shop checks it.

Every webhook body is signed with HMAC-SHA256 under the channel's secret.
The signed text is ``<timestamp>.<body>``: the timestamp (Unix seconds, the
``X-Omni-Timestamp`` header) is inside the signature, so a receiver that
refuses timestamps older than a few minutes refuses replays, and nobody can
refresh an old body's timestamp without the secret. Headers::

    X-Omni-Timestamp: 1718000000
    X-Omni-Signature: v1=5f2c...   (hex; several "v1=" values, comma-separated,
                                    are allowed: one per secret while rotating)
    X-Omni-Event: stock.updated
    X-Omni-Delivery: 6f1d...       (unique per delivery; a receiver may dedupe on it)

A receiver needs nothing from this package; the ten lines in the readme do
the same as :func:`verify`.
"""

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-Omni-Timestamp"
SIGNATURE_HEADER = "X-Omni-Signature"
EVENT_HEADER = "X-Omni-Event"
DELIVERY_HEADER = "X-Omni-Delivery"
SCHEME = "v1"
#: seconds a receiver accepts between the timestamp and its own clock
DEFAULT_TOLERANCE = 300


class SignatureError(ValueError):
    """The webhook is not signed by the channel's secret, or is too old."""


def _as_bytes(value):
    if isinstance(value, str):
        return value.encode("utf-8")
    return bytes(value)


def sign(secret, body, timestamp):
    """The ``X-Omni-Signature`` value of ``body`` sent at ``timestamp``."""
    if not secret:
        raise ValueError("a webhook secret is required")
    message = str(int(timestamp)).encode("ascii") + b"." + _as_bytes(body)
    digest = hmac.new(_as_bytes(secret), message, hashlib.sha256).hexdigest()
    return f"{SCHEME}={digest}"


def signed_headers(secret, body, *, event="", delivery="", now=None):
    """Headers carrying the timestamp and signature of ``body`` (bytes as sent)."""
    timestamp = int(time.time() if now is None else now)
    headers = {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, body, timestamp),
    }
    if event:
        headers[EVENT_HEADER] = event
    if delivery:
        headers[DELIVERY_HEADER] = delivery
    return headers


def verify(secret, body, timestamp, signature, *, tolerance=DEFAULT_TOLERANCE, now=None):
    """Raise :class:`SignatureError` unless ``signature`` signs ``body`` at ``timestamp``
    under ``secret`` and the timestamp is within ``tolerance`` seconds of ``now``.

    ``timestamp`` and ``signature`` are the header values as received (text).
    Returns the timestamp as an integer.
    """
    if not signature or not timestamp:
        raise SignatureError("the signature or timestamp header is missing")
    try:
        stamp = int(str(timestamp).strip())
    except ValueError:
        raise SignatureError("the timestamp is not a number") from None
    current = time.time() if now is None else now
    if abs(current - stamp) > tolerance:
        raise SignatureError(
            f"the timestamp is {int(current - stamp)} s away from now (replay or clock skew)"
        )
    expected = sign(secret, body, stamp)
    candidates = [part.strip() for part in str(signature).split(",")]
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise SignatureError("the signature does not match the body")
    return stamp
