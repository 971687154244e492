"""Prom.ua's error shapes as typed errors.

Prom answers most business errors with HTTP 200 (fact sheet 1.4), so the
transport's status mapping alone would take them for success. :func:`prom_check`
is the transport ``check`` that reads every documented shape:

============================================  ==============================
``{"error": "<text>"}`` (HTTP 200)             :class:`PromApiError`
``{"errors": {"error": "<text>"}}``            :class:`PromBatchError`
``{"status": "error", "message", "errors"}``   :class:`PromDeclarationError`
``{"status": "<not success>", "message"}``     :class:`PromRefusedError`
401 HTML page                                  ``AuthError`` (transport)
404 HTML page                                  ``NotFoundError`` (transport)
429 / 5xx                                      ``RateLimitError`` / ``RemoteError``
HTML or broken text with HTTP 200              ``PayloadError`` (transport)
============================================  ==============================

Per-item errors of a batch (``{"errors": {"<id>": ...}}`` beside
``processed_ids``) are not raised: they belong to their items.
"""

import json

from ..core.errors import ValidationError


class PromApiError(ValidationError):
    """``{"error": "<text>"}`` answered with HTTP 200 (bad parameter, unknown order,
    a status value Prom does not accept)."""


class PromBatchError(ValidationError):
    """A product edit refused as a whole: ``{"errors": {"error": "<text>"}}``."""


class PromDeclarationError(ValidationError):
    """``save_declaration_id`` refused: ``{"status": "error", "message", "errors"}``."""


class PromRefusedError(ValidationError):
    """``{"status": "<…>", "message": "<text>"}`` without success (an import refused)."""


def _text(value):
    if isinstance(value, str):
        return value.strip()
    return json.dumps(value, ensure_ascii=False)


def prom_check(response):
    """The transport ``check`` for Prom: an error for an HTTP-200 error envelope, else None."""
    data = response.data
    if not isinstance(data, dict):
        return None
    error = data.get("error")
    if error not in (None, "", {}, []):
        return PromApiError(_text(error) or "Prom refused the request", details=data)
    errors = data.get("errors")
    if isinstance(errors, dict) and set(errors) == {"error"} and "processed_ids" not in data:
        return PromBatchError(_text(errors["error"]), details=data)
    status = data.get("status")
    if status == "error":
        parts = [_text(data.get("message") or "")]
        if isinstance(errors, dict):
            parts += [f"{key}: {_text(value)}" for key, value in errors.items()]
        message = "; ".join(part for part in parts if part) or "Prom refused the request"
        return PromDeclarationError(message, details=data)
    if isinstance(status, str) and "message" in data and status.lower() != "success" \
            and "id" not in data:
        return PromRefusedError(_text(data.get("message")) or status, details=data)
    return None
