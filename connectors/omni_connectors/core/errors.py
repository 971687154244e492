"""Structured errors raised by every omni connector.

The Odoo side translates them at its edge: retryable errors become
``RetryableJobError`` inside jobs, everything becomes ``UserError`` behind
buttons. Nothing here imports Odoo.
"""


class OmniConnectorError(Exception):
    """Base class. ``retryable`` tells the caller whether trying later may help.

    ``retry_after`` is the number of seconds after which trying again may
    help, when it is known: the remote's ``Retry-After``, or the wait the
    transport would have slept before its next attempt when that wait was
    too long to sleep inline (``HttpTransport(max_inline_wait=...)``). None
    when unknown; a job reschedules itself after it.
    """

    retryable = False
    retry_after = None

    def __init__(self, message, *, code=None, details=None, status=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details
        self.status = status

    def __str__(self):
        parts = [self.message]
        if self.code not in (None, ""):
            parts.append(f"[code {self.code}]")
        if self.status:
            parts.append(f"(HTTP {self.status})")
        return " ".join(parts)


class TransportError(OmniConnectorError):
    """The remote could not be reached or did not answer in time."""

    retryable = True


class TimeoutError_(TransportError):  # noqa: N801 - avoid shadowing the builtin
    """The remote did not answer within the timeout."""


class RateLimitError(OmniConnectorError):
    """The remote asked us to slow down (HTTP 429)."""

    retryable = True

    def __init__(self, message, *, retry_after=None, **kw):
        super().__init__(message, **kw)
        self.retry_after = retry_after


class AuthError(OmniConnectorError):
    """Credentials are missing, wrong or expired. Needs a human."""


class ValidationError(OmniConnectorError):
    """The remote refused the data we sent (wrong value, unknown id, ...)."""


class NotFoundError(ValidationError):
    """The remote does not know the thing asked for (HTTP 404).

    Sometimes an answer rather than a failure: Checkbox answers 404 to
    ``GET /receipts/{id}`` for a receipt it never registered, which tells the
    caller to send it again with the same id.
    """


class RemoteError(OmniConnectorError):
    """The remote failed on its side (5xx or an unexpected error envelope)."""

    def __init__(self, message, *, retryable=True, **kw):
        super().__init__(message, **kw)
        self.retryable = retryable


class PayloadError(OmniConnectorError):
    """A payload from the remote cannot be understood (malformed JSON, missing fields)."""


class InvalidPhone(PayloadError):
    """A phone number cannot be read as a valid number."""


class InvalidEmail(PayloadError):
    """An e-mail address is obviously wrong (no ``@``, spaces, no domain)."""
