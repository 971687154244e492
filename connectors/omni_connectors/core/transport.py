"""HTTP transport shared by every connector.

:class:`HttpTransport` wraps a :class:`requests.Session` with what every
channel client needs and nothing channel-specific:

* a timeout on every request;
* retries with exponential backoff and full jitter on connection failures,
  on HTTP 429 (honouring ``Retry-After``), on 503 and, for idempotent calls,
  on read timeouts and other 5xx;
* HTTP errors turned into :mod:`omni_connectors.core.errors`;
* one :class:`CallRecord` per attempt, redacted, for the caller's event log.

Business envelopes (``{"success": false}``, ``{"error": ...}`` with HTTP 200)
are the adapters' business: the transport returns them as ordinary responses.

Retry rules in detail. A connection that could not be opened (refused,
DNS failure, connect timeout) is always retried: the request never left.
A read timeout, or a connection dropped after the request was sent, is
retried only when ``idempotent=True``, because the remote may have applied
it. 429 and 503 mean "not processed" and are always retried; other 5xx
answers only for idempotent calls.
"""

import json as jsonlib
import logging
import math
import random
import re
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

import requests
from urllib3.exceptions import MaxRetryError

from .errors import (
    AuthError,
    PayloadError,
    RateLimitError,
    RemoteError,
    TimeoutError_,
    TransportError,
    ValidationError,
)
from .redact import Redactor

_logger = logging.getLogger(__name__)

#: Largest body (in characters) kept in a CallRecord.
BODY_CAP = 64 * 1024
#: Longest error message taken from a response body.
MESSAGE_CAP = 500
USER_AGENT = "omni-connectors/0.1"


def cap_text(text, limit=BODY_CAP):
    """Cut ``text`` to ``limit`` characters, saying how much was dropped."""
    if text is None or len(text) <= limit:
        return text
    return f"{text[:limit]}...[truncated {len(text) - limit} chars]"


@dataclass
class Response:
    """A successful (2xx/3xx) answer. Header names are lower-cased."""

    status: int
    headers: dict
    text: str
    data: Any = None
    duration_ms: float = 0.0


@dataclass
class CallRecord:
    """One HTTP attempt, redacted and capped, as handed to ``on_call``."""

    method: str
    url: str
    endpoint: str
    request_body: str = ""
    request_headers: dict = field(default_factory=dict)
    status: int | None = None
    response_body: str = ""
    duration_ms: float = 0.0
    error: str = ""
    attempt: int = 1


class _Retry(Exception):
    """Internal: this attempt failed in a way that may be retried."""

    def __init__(self, error, delay=None):
        super().__init__(str(error))
        self.error = error
        self.delay = delay  # None: use the backoff


def parse_retry_after(value, now=None):
    """Seconds to wait from a ``Retry-After`` header (seconds or HTTP-date)."""
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        now = time.time() if now is None else now
        seconds = when.timestamp() - now
    if math.isnan(seconds):
        return None
    return max(0.0, seconds)


def _decode(resp):
    """Body text; JSON without a declared charset is UTF-8, not Latin-1."""
    content_type = resp.headers.get("Content-Type", "")
    if "charset=" in content_type.lower() and resp.encoding:
        try:
            return resp.content.decode(resp.encoding, errors="replace")
        except LookupError:
            pass
    return resp.content.decode("utf-8", errors="replace")


def _strip_html(text):
    text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", text)
    text = re.sub(r"(?s)<[^>]+>", " ", text)
    return " ".join(text.split())


def _message_from(data, text):
    """A short human message from an error body (JSON or HTML or text)."""
    if isinstance(data, dict):
        for key in ("error", "message", "detail", "description", "errors"):
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
            if isinstance(value, dict):
                inner = value.get("description") or value.get("message")
                if isinstance(inner, str) and inner.strip():
                    return inner.strip()
                if value:
                    return jsonlib.dumps(value, ensure_ascii=False)
            if isinstance(value, list) and value:
                first = value[0]
                if isinstance(first, dict):
                    first = first.get("msg") or first.get("message") or first
                return (
                    first
                    if isinstance(first, str)
                    else jsonlib.dumps(first, ensure_ascii=False)
                )
    return _strip_html(text or "")


class HttpTransport:
    """Retrying, redacting HTTP client bound to one base URL.

    ``timeout`` is ``(connect, read)`` seconds or one number. ``max_retries``
    counts the attempts after the first one. ``rate_limiter`` (anything with
    ``acquire()``) is called before every attempt. ``secrets`` are masked in
    every record and log line; :meth:`add_secret` adds one later (a token
    obtained at login). ``on_call(record)`` receives one :class:`CallRecord`
    per attempt; its exceptions are logged, never raised.
    """

    def __init__(
        self,
        base_url,
        *,
        timeout=(5, 30),
        max_retries=4,
        backoff_base=0.5,
        backoff_max=30.0,
        rate_limiter=None,
        secrets=(),
        default_headers=None,
        on_call=None,
        sleep=time.sleep,
        session=None,
    ):
        if not timeout:
            raise ValueError("a timeout is required")
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout
        self.max_retries = max(0, int(max_retries))
        self.backoff_base = float(backoff_base)
        self.backoff_max = float(backoff_max)
        self.rate_limiter = rate_limiter
        self.default_headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        self.default_headers.update(default_headers or {})
        self.on_call = on_call
        self.sleep = sleep
        self.session = session or requests.Session()
        self._secrets = [s for s in secrets if s]
        self._redactor = Redactor(self._secrets)

    # -- secrets -----------------------------------------------------------

    def add_secret(self, secret):
        """Mask ``secret`` from now on (e.g. a token received at login)."""
        if secret and secret not in self._secrets:
            self._secrets.append(secret)
            self._redactor = Redactor(self._secrets)

    def redact(self, value):
        return self._redactor.redact(value)

    # -- helpers -----------------------------------------------------------

    def url_for(self, path):
        if path.startswith(("http://", "https://")):
            return path
        return urljoin(self.base_url, path.lstrip("/"))

    def _redact_url(self, url, params=None):
        if params:
            parts = urlsplit(url)
            extra = urlencode(params, doseq=True)
            query = f"{parts.query}&{extra}" if parts.query else extra
            url = urlunsplit(parts._replace(query=query))
        return self._redactor.redact_text(url)

    def _body_for_record(self, json, data):
        if json is not None:
            return cap_text(
                jsonlib.dumps(self.redact(json), ensure_ascii=False, default=str)
            )
        if data is None:
            return ""
        if isinstance(data, dict):
            return cap_text(urlencode(self.redact(data), doseq=True))
        if isinstance(data, (bytes, bytearray)):
            data = bytes(data).decode("utf-8", errors="replace")
        return self._redact_capped(str(data))

    def _redact_capped(self, text):
        if not text:
            return ""
        if len(text) <= BODY_CAP:
            return self.redact(text)
        # Redact a little more than is kept so that no secret is cut in half.
        head = self._redactor._redact_free_text(text[: BODY_CAP + 4096])
        dropped = len(text) - BODY_CAP
        return f"{head[:BODY_CAP]}...[truncated {dropped} chars]"

    def _backoff(self, retry_number):
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** (retry_number - 1)))
        return random.uniform(0, ceiling)

    def _emit(self, record):
        if self.on_call is None:
            return
        try:
            self.on_call(record)
        except Exception as err:
            _logger.warning("on_call hook failed: %s", self.redact(repr(err)))
            _logger.debug("on_call hook traceback", exc_info=True)

    # -- the call ----------------------------------------------------------

    def request(
        self,
        method,
        path,
        *,
        json=None,
        params=None,
        data=None,
        headers=None,
        idempotent=True,
        expect_json=True,
    ):
        """Send one logical request, retrying per the rules above.

        Returns a :class:`Response` for 2xx/3xx answers; raises a structured
        error otherwise. With ``expect_json`` a non-empty body must be JSON
        (``PayloadError`` otherwise); without it ``data`` stays None.
        """
        method = method.upper()
        url = self.url_for(path)
        send_headers = dict(self.default_headers)
        send_headers.update(headers or {})
        record_url = self._redact_url(url, params)
        record_headers = self.redact(send_headers)
        record_body = self._body_for_record(json, data)
        attempts = self.max_retries + 1
        for attempt in range(1, attempts + 1):
            if self.rate_limiter is not None:
                self.rate_limiter.acquire()
            record = CallRecord(
                method=method,
                url=record_url,
                endpoint=path,
                request_body=record_body,
                request_headers=record_headers,
                attempt=attempt,
            )
            try:
                return self._attempt(
                    record,
                    url,
                    send_headers,
                    json,
                    params,
                    data,
                    idempotent,
                    expect_json,
                )
            except _Retry as retry:
                if attempt >= attempts:
                    raise retry.error from None
                delay = retry.delay
                if delay is None:
                    delay = self._backoff(attempt)
                else:
                    delay = min(delay, self.backoff_max)
                _logger.warning(
                    "%s %s failed (%s), retry %d/%d in %.2fs",
                    method,
                    record_url,
                    record.error,
                    attempt,
                    self.max_retries,
                    delay,
                )
                if delay > 0:
                    self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(
        self, record, url, headers, json, params, data, idempotent, expect_json
    ):
        started = time.perf_counter()
        try:
            resp = self.session.request(
                record.method,
                url,
                json=json,
                params=params,
                data=data,
                headers=headers,
                timeout=self.timeout,
            )
            text = _decode(resp)
        except requests.RequestException as exc:
            record.duration_ms = (time.perf_counter() - started) * 1000
            error = self._network_error(exc, record, idempotent)
            record.error = self.redact(f"{type(exc).__name__}: {exc}")
            _logger.debug("%s %s -> %s", record.method, record.url, record.error)
            self._emit(record)
            # the original exception's text may hold an unredacted URL
            raise error from None
        duration_ms = (time.perf_counter() - started) * 1000
        record.duration_ms = duration_ms
        record.status = resp.status_code
        record.response_body = self._redact_capped(text)
        _logger.debug(
            "%s %s -> %s in %.0f ms (attempt %d)",
            record.method,
            record.url,
            resp.status_code,
            duration_ms,
            record.attempt,
        )
        try:
            result = self._interpret(resp, text, duration_ms, idempotent, expect_json)
        except _Retry as retry:
            record.error = str(retry.error)
            self._emit(record)
            raise
        except Exception as err:
            record.error = self.redact(str(err))
            self._emit(record)
            raise
        self._emit(record)
        return result

    def _network_error(self, exc, record, idempotent):
        """Map a requests exception to an error, wrapped in _Retry when retryable."""
        where = f"{record.method} {record.url}"
        if isinstance(exc, requests.ConnectTimeout):
            return _Retry(TimeoutError_(f"connection to {where} timed out"))
        if isinstance(exc, requests.Timeout):
            err = TimeoutError_(f"no answer from {where} within the timeout")
            return _Retry(err) if idempotent else err
        if isinstance(exc, requests.exceptions.SSLError):
            err = TransportError(
                f"TLS error talking to {where}: {self.redact(str(exc))}"
            )
            err.retryable = False
            return err
        if isinstance(exc, requests.ConnectionError):
            reason = exc.args[0] if exc.args else None
            if isinstance(reason, MaxRetryError):
                # the connection could not be opened: the request never left
                return _Retry(TransportError(f"cannot connect to {where}"))
            err = TransportError(f"connection to {where} lost before the answer")
            return _Retry(err) if idempotent else err
        if isinstance(
            exc,
            (
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
            ),
        ):
            err = TransportError(f"broken answer from {where}")
            return _Retry(err) if idempotent else err
        err = TransportError(f"cannot send {where}: {self.redact(str(exc))}")
        err.retryable = False
        return err

    def _interpret(self, resp, text, duration_ms, idempotent, expect_json):
        status = resp.status_code
        if status < 400:
            data = None
            if expect_json and text.strip():
                try:
                    data = jsonlib.loads(text)
                except ValueError as err:
                    raise PayloadError(
                        f"answer of HTTP {status} is not valid JSON: {err}",
                        status=status,
                        details=cap_text(self._redactor._literal(text)),
                    ) from None
            return Response(
                status=status,
                headers={k.lower(): v for k, v in resp.headers.items()},
                text=text,
                data=data,
                duration_ms=duration_ms,
            )
        data = None
        try:
            data = jsonlib.loads(text) if text.strip() else None
        except ValueError:
            pass
        message = cap_text(self.redact(_message_from(data, text)), MESSAGE_CAP)
        details = self.redact(data) if data is not None else self._redact_capped(text)
        retry_after = parse_retry_after(resp.headers.get("Retry-After"))
        if status == 429:
            error = RateLimitError(
                message or "too many requests",
                retry_after=retry_after,
                status=status,
                details=details,
            )
            raise _Retry(error, retry_after)
        if status >= 500:
            error = RemoteError(
                message or f"server error {status}", status=status, details=details
            )
            if status == 503 or idempotent:
                raise _Retry(error, retry_after)
            raise error
        if status in (401, 403):
            raise AuthError(message or "not authorised", status=status, details=details)
        raise ValidationError(
            message or f"refused with HTTP {status}", status=status, details=details
        )
