"""Rozetka's error envelope as typed errors carrying Rozetka's code and message key.

Every failure the API documents arrives in one of these shapes:

* HTTP 200 (or 4xx/5xx) with ``{"success": false, "errors": {"message":
  "<key>", "code": <int>, "description": "<text>", "details": ...}}``;
* the same with ``errors`` as a list of such objects (one client saw it);
* HTTP 401 with code 5401, or 200 with 6001/1018/1020 for a dead session;
* ``/items/mass-update``: ``errors`` keyed by item id, read per item by the
  adapter, never raised.

:func:`error_for` turns an envelope into one of the classes below, each a
subclass of the matching core error, so the Odoo side (which knows only
``omni_connectors.core.errors``) retries or explains it as usual, and a
caller that wants Rozetka's own code reads ``err.code`` and ``err.key``.
"""

import json

from ..core import errors as core

#: codes of a session that is dead: log in again and resend once
EXPIRED_CODES = frozenset({6001, 1018, 1020, 5401})
#: [C] code list (fact sheet 1.5), grouped by what the caller should do
AUTH_CODES = frozenset({1004, 1018, 1020, 1021, 5401, 6001})
DENIED_CODES = frozenset({1010})
NOT_FOUND_CODES = frozenset({1019, 1025, 1404, 5404})
#: the remote's own trouble: trying later may help
RETRYABLE_CODES = frozenset({0, 1003, 1015, 1031, 3002, 5503})


class RozetkaError(core.OmniConnectorError):
    """Mixin of every Rozetka error: ``code`` (int), ``key`` (``"session_expired"``)."""

    key = ""
    description = ""


class RozetkaAuthError(RozetkaError, core.AuthError):
    """Login refused, token invalid or expired beyond one renewal."""


class RozetkaAccessDenied(RozetkaAuthError):
    """The token's role lacks the permission (1010 access_denied)."""


class RozetkaValidationError(RozetkaError, core.ValidationError):
    """Rozetka refused the data: a parameter, a transition, a missing TTN."""


class RozetkaNotFound(RozetkaError, core.NotFoundError):
    """Rozetka does not know the order, item or shop."""


class RozetkaRemoteError(RozetkaError, core.RemoteError):
    """Rozetka failed on its side (server error, queue failure, maintenance, item locked)."""


class RozetkaPayloadError(RozetkaError, core.PayloadError):
    """An answer that does not have the documented shape."""


def _first_error(errors):
    if isinstance(errors, list):
        errors = next((e for e in errors if isinstance(e, dict)), None)
    return errors if isinstance(errors, dict) else None


def _code(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def envelope_error(data):
    """(code, key, description, details) of a ``success: false`` envelope, or None."""
    if not isinstance(data, dict) or data.get("success") is not False:
        return None
    err = _first_error(data.get("errors"))
    if err is None:
        text = data.get("errors")
        return None, "", "" if text is None else str(text), None
    if not ({"code", "message", "description"} & set(err)):
        return None  # keyed by item id: a per-item map, read by the caller
    key = err.get("message")
    description = err.get("description")
    return (
        _code(err.get("code")),
        key if isinstance(key, str) else "",
        description if isinstance(description, str) else "",
        err.get("details"),
    )


def class_for(code, status=None):
    if code in DENIED_CODES:
        return RozetkaAccessDenied
    if code in AUTH_CODES or status == 401:
        return RozetkaAuthError
    if code in NOT_FOUND_CODES or status == 404:
        return RozetkaNotFound
    if code in RETRYABLE_CODES or (status is not None and status >= 500):
        return RozetkaRemoteError
    return RozetkaValidationError


def _details_text(details):
    if details in (None, "", [], {}):
        return ""
    if isinstance(details, dict):
        parts = []
        for field, value in details.items():
            values = value if isinstance(value, list) else [value]
            parts.append(f"{field}: {'; '.join(str(v) for v in values)}")
        return ", ".join(parts)
    if isinstance(details, list):
        return "; ".join(str(v) for v in details)
    return str(details)


def error_for(data, status=None):
    """The typed error of an envelope (None when it is not an error envelope)."""
    parsed = envelope_error(data)
    if parsed is None:
        return None
    code, key, description, details = parsed
    message = description or key or "Rozetka refused the request"
    extra = _details_text(details)
    if extra and extra not in message:
        message = f"{message} ({extra})"
    if key and key not in message:
        message = f"{message} [{key}]"
    cls = class_for(code, status)
    kwargs = {"code": code, "details": data, "status": status}
    if cls is RozetkaRemoteError:
        retryable = code != 0 or (status is not None and status >= 500)
        err = cls(message, retryable=retryable, **kwargs)
    else:
        err = cls(message, **kwargs)
    err.key = key
    err.description = description
    return err


def check(response):
    """``HttpTransport(check=...)``: raise a typed error for ``success: false``."""
    err = error_for(response.data, response.status)
    if err is not None:
        raise err
    return None


def retype(err):
    """A core error raised by the transport (HTTP 4xx/5xx) as its Rozetka type.

    The transport raised it before any envelope check; its ``details`` hold
    the parsed body, which may be Rozetka's envelope.
    """
    if isinstance(err, (RozetkaError, core.RateLimitError, core.TransportError)):
        return err
    data = err.details
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            data = None
    typed = error_for(data, err.status) if isinstance(data, dict) else None
    if typed is None:
        return err
    if isinstance(err, core.AuthError) and not isinstance(typed, core.AuthError):
        key, description = typed.key, typed.description
        typed = RozetkaAuthError(typed.message, code=typed.code, details=typed.details,
                                 status=typed.status)
        typed.key, typed.description = key, description
    if err.retryable:
        typed.retryable = True
    typed.retry_after = err.retry_after
    return typed
