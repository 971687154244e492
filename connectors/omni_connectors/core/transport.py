"""HTTP transport shared by every connector.

:class:`HttpTransport` wraps a :class:`requests.Session` with what every
channel client needs and nothing channel-specific:

* a timeout on every request;
* retries with exponential backoff and full jitter on connection failures,
  on HTTP 429 (honouring ``Retry-After``), on 503 and, for idempotent calls,
  on read timeouts and other 5xx;
* HTTP errors turned into :mod:`omni_connectors.core.errors`;
* an optional ``auth`` (:class:`~omni_connectors.core.auth.TokenAuth`): a
  token obtained before the first call and renewed once when the remote
  says it expired;
* an optional ``check`` that turns an error envelope sent with HTTP 200
  (``{"success": false, ...}``) into a structured error, see
  :func:`success_flag_check`; without one, such envelopes are returned as
  ordinary responses;
* one :class:`CallRecord` per attempt, redacted, for the caller's event log.

Retry rules in detail. A connection that could not be opened (refused,
DNS failure, connect timeout) is always retried: the request never left.
A read timeout, or a connection dropped after the request was sent, is
retried only for idempotent calls, because the remote may have applied it.
429 and 503 mean "not processed" and are always retried; other 5xx answers
only for idempotent calls. A call is idempotent when its method is (GET,
HEAD, OPTIONS, PUT, DELETE) unless the caller says otherwise: a read-only
POST (Nova Poshta reads, searches) passes ``idempotent=True``, a PUT that
appends (a comment history) passes ``idempotent=False``.

Waits between attempts. A ``Retry-After`` sent with 429 or 5xx is honoured
as sent (no jitter) when it is at most ``retry_after_cap`` seconds; a
longer one is not waited at all: the error is raised at once, its
``retry_after`` set to what the remote asked, so the caller reschedules.
Without ``Retry-After`` the wait is the exponential backoff with full
jitter, at most ``backoff_max``. ``max_inline_wait`` (None: no limit) is
the longest wait the transport sleeps inline: the Odoo side holds a lock
on the backend during a job, so a longer wait (backoff or ``Retry-After``)
is not slept and the error is raised with ``retry_after`` = that wait.
Every error raised for a retryable failure carries ``retry_after`` (the
remote's ``Retry-After`` when it sent one, else None), also once the
retries are spent.
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
    NotFoundError,
    OmniConnectorError,
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
#: Methods retried after a read timeout or a 5xx unless told otherwise.
IDEMPOTENT_METHODS = frozenset(("GET", "HEAD", "OPTIONS", "PUT", "DELETE"))
#: What ``request(expect=...)`` accepts.
EXPECT = ("json", "text", "bytes")

_TEXT_MIME_RE = re.compile(
    r"^(text/.*|application/(json|xml|javascript|x-www-form-urlencoded)|.*\+(json|xml))$"
)


def cap_text(text, limit=BODY_CAP):
    """Cut ``text`` to ``limit`` characters, saying how much was dropped."""
    if text is None or len(text) <= limit:
        return text
    return f"{text[:limit]}...[truncated {len(text) - limit} chars]"


@dataclass
class Response:
    """An answer; the transport returns only 2xx/3xx ones. Header names are lower-cased.

    ``content`` is the body exactly as received; ``text`` the decoded body
    (empty for a binary body asked for with ``expect="bytes"``); ``data`` the
    parsed JSON when JSON was expected, else None.
    """

    status: int
    headers: dict
    text: str
    data: Any = None
    duration_ms: float = 0.0
    content: bytes = b""


@dataclass
class CallRecord:
    """One HTTP attempt, redacted and capped, as handed to ``on_call``.

    A binary response body is recorded as ``<N bytes, content type>``.
    """

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


@dataclass
class _Call:
    """The options of one logical request, shared by its attempts."""

    url: str
    json: Any
    params: Any
    data: Any
    idempotent: bool
    expect: str
    check: Any
    auth: Any


class _Retry(Exception):
    """Internal: this attempt failed in a way that may be retried."""

    def __init__(self, error, delay=None):
        super().__init__(str(error))
        self.error = error
        self.delay = delay  # None: use the backoff


class _Expired(Exception):
    """Internal: the remote said the token expired; log in again and resend."""

    def __init__(self, response):
        super().__init__("token expired")
        self.response = response


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


def _is_binary(content_type, content):
    """Whether a body is bytes rather than text (by its type, else by UTF-8)."""
    if not content:
        return False
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime:
        return _TEXT_MIME_RE.match(mime) is None
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _describe_bytes(content, content_type):
    mime = content_type.split(";", 1)[0].strip()
    return f"<{len(content)} bytes, {mime}>" if mime else f"<{len(content)} bytes>"


def success_flag_check(classify=None):
    """A ``check`` for APIs that answer ``{"success": false, "errors": ...}`` with HTTP 200.

    Nova Poshta sends ``errors`` as a list of texts (or an object keyed by
    field) with ``errorCodes`` beside it; Rozetka sends one object
    ``{"code", "message", "description", "details"}``. The error's message
    joins the texts, its code is the first code, its ``details`` the whole
    envelope but the payload (``errors``, ``errorCodes``, ``warnings``...).
    ``classify(code, message)`` returns the error class to raise (e.g.
    AuthError for an invalid key); the default is ValidationError.

    Calls whose ``success: false`` carries per-item results (Rozetka's
    mass update) pass ``check=False`` and read the envelope themselves.
    """

    def check(response):
        data = response.data
        if not isinstance(data, dict) or data.get("success") is not False:
            return None
        message, code = _envelope_error(data)
        cls = (classify(code, message) if classify else None) or ValidationError
        details = {k: v for k, v in data.items() if k not in ("success", "data", "content")}
        return cls(message, code=code, details=details, status=response.status)

    return check


def _envelope_error(data):
    """(message, code) of a ``success: false`` envelope."""
    errors = data.get("errors")
    codes = [c for c in data.get("errorCodes") or () if c not in (None, "")]
    if isinstance(errors, dict) and {"code", "message", "description"} & errors.keys():
        texts = [errors.get("description") or errors.get("message")]
        if not codes and errors.get("code") not in (None, ""):
            codes = [errors["code"]]
    elif isinstance(errors, dict):
        texts = list(errors.values())
    elif isinstance(errors, list):
        texts = errors
    else:
        texts = [errors]
    texts = [
        text if isinstance(text, str) else jsonlib.dumps(text, ensure_ascii=False)
        for text in texts
        if text not in (None, "", [], {})
    ]
    message = "; ".join(texts) or "the remote refused the request"
    return message, codes[0] if codes else None


class HttpTransport:
    """Retrying, redacting HTTP client bound to one base URL.

    ``timeout`` is ``(connect, read)`` seconds or one number. ``max_retries``
    counts the attempts after the first one. ``max_inline_wait`` and
    ``retry_after_cap`` bound the waits between attempts (module docstring).
    ``rate_limiter`` (anything with ``acquire()``) is called before every
    attempt. ``secrets`` are masked in
    every record and log line; :meth:`add_secret` adds one later (a token
    obtained at login). ``on_call(record)`` receives one :class:`CallRecord`
    per attempt; its exceptions are logged, never raised. ``auth`` (a
    :class:`~omni_connectors.core.auth.TokenAuth`) authenticates every
    request; ``check(response)`` inspects every successful answer and
    returns (or raises) an :class:`OmniConnectorError` for an error envelope,
    None otherwise. Both can be overridden per request.
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
        auth=None,
        check=None,
        max_inline_wait=None,
        retry_after_cap=300.0,
    ):
        if not timeout:
            raise ValueError("a timeout is required")
        if max_inline_wait is not None and float(max_inline_wait) < 0:
            raise ValueError("max_inline_wait must not be negative")
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout
        self.max_retries = max(0, int(max_retries))
        self.backoff_base = float(backoff_base)
        self.backoff_max = float(backoff_max)
        self.max_inline_wait = None if max_inline_wait is None else float(max_inline_wait)
        self.retry_after_cap = float(retry_after_cap)
        self.rate_limiter = rate_limiter
        self.default_headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        self.default_headers.update(default_headers or {})
        self.on_call = on_call
        self.sleep = sleep
        self.session = session or requests.Session()
        self.auth = auth
        self.check = check
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
        idempotent=None,
        expect_json=True,
        expect=None,
        check=None,
        auth=None,
    ):
        """Send one logical request, retrying per the rules above.

        Returns a :class:`Response` for 2xx/3xx answers; raises a structured
        error otherwise. ``expect`` is ``"json"`` (a non-empty body must be
        JSON, ``PayloadError`` otherwise), ``"text"`` (``data`` stays None) or
        ``"bytes"`` (read ``content``); without it, ``expect_json`` chooses
        between the first two. ``idempotent`` defaults to what the method
        is. ``check`` and ``auth`` replace the transport's own for this
        request; ``False`` turns them off (a login is sent with ``auth=False``).
        """
        method = method.upper()
        if expect is None:
            expect = "json" if expect_json else "text"
        elif expect not in EXPECT:
            raise ValueError(f"expect must be one of {EXPECT}, not {expect!r}")
        call = _Call(
            url=self.url_for(path),
            json=json,
            params=params,
            data=data,
            idempotent=(
                method in IDEMPOTENT_METHODS if idempotent is None else bool(idempotent)
            ),
            expect=expect,
            check=(self.check if check is None else check) or None,
            auth=(self.auth if auth is None else auth) or None,
        )
        if call.auth is not None:
            call.auth.ensure(self)
        record_url = self._redact_url(call.url, params)
        endpoint = self._redactor.redact_text(path)
        record_body = self._body_for_record(json, data)
        refreshed = False
        retries = 0
        attempt = 0
        while True:
            attempt += 1
            if self.rate_limiter is not None:
                self.rate_limiter.acquire()
            send_headers = dict(self.default_headers)
            send_headers.update(headers or {})
            if call.auth is not None:
                call.auth.apply(send_headers)
            record = CallRecord(
                method=method,
                url=record_url,
                endpoint=endpoint,
                request_body=record_body,
                request_headers=self.redact(send_headers),
                attempt=attempt,
            )
            try:
                return self._attempt(record, call, send_headers)
            except _Expired as expired:
                if refreshed:
                    raise self._token_refused(expired.response) from None
                refreshed = True
                call.auth.refresh(self)
            except _Retry as retry:
                retries += 1
                delay = self._delay_before_retry(retry, retries, method, record_url)
                _logger.warning(
                    "%s %s failed (%s), retry %d/%d in %.2fs",
                    method,
                    record_url,
                    record.error,
                    retries,
                    self.max_retries,
                    delay,
                )
                if delay > 0:
                    self.sleep(delay)

    def _delay_before_retry(self, retry, retries, method, record_url):
        """Seconds to sleep before retry number ``retries``, or raise the error.

        The error is raised (with ``retry_after`` set) when the retries are
        spent, when the remote asks for more than ``retry_after_cap``, or
        when the wait exceeds ``max_inline_wait``.
        """
        error = retry.error
        asked = retry.delay  # the remote's Retry-After, None when it sent none
        if asked is not None and asked > self.retry_after_cap:
            _logger.warning(
                "%s %s: the remote asks to wait %.1fs (more than %.1fs), not retried",
                method,
                record_url,
                asked,
                self.retry_after_cap,
            )
            error.retry_after = asked
            raise error from None
        if retries > self.max_retries:
            raise error from None
        delay = asked if asked is not None else self._backoff(retries)
        if self.max_inline_wait is not None and delay > self.max_inline_wait:
            _logger.info(
                "%s %s failed (%s); the next try is due in %.2fs, left to the caller",
                method,
                record_url,
                error,
                delay,
            )
            error.retry_after = delay
            raise error from None
        return delay

    def _attempt(self, record, call, headers):
        started = time.perf_counter()
        try:
            resp = self.session.request(
                record.method,
                call.url,
                json=call.json,
                params=call.params,
                data=call.data,
                headers=headers,
                timeout=self.timeout,
            )
            content = resp.content
        except requests.RequestException as exc:
            record.duration_ms = (time.perf_counter() - started) * 1000
            error = self._network_error(exc, record, call.idempotent)
            record.error = self.redact(f"{type(exc).__name__}: {exc}")
            _logger.debug("%s %s -> %s", record.method, record.url, record.error)
            self._emit(record)
            # the original exception's text may hold an unredacted URL
            raise error from None
        duration_ms = (time.perf_counter() - started) * 1000
        record.duration_ms = duration_ms
        record.status = resp.status_code
        content_type = resp.headers.get("Content-Type", "")
        binary = _is_binary(content_type, content)
        if binary:
            record.response_body = _describe_bytes(content, content_type)
        response, bad_json = self._response(resp, content, binary, duration_ms, call)
        if not binary:
            record.response_body = self._redact_capped(response.text)
        _logger.debug(
            "%s %s -> %s in %.0f ms (attempt %d)",
            record.method,
            record.url,
            resp.status_code,
            duration_ms,
            record.attempt,
        )
        try:
            if call.auth is not None and call.auth.is_expired(response):
                raise _Expired(response)
            result = self._interpret(response, bad_json, call)
            if call.check is not None:
                self._run_check(call.check, result)
        except _Expired as expired:
            record.error = str(expired)
            self._emit(record)
            raise
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

    @staticmethod
    def _response(resp, content, binary, duration_ms, call):
        """The answer as a Response, and the JSON error if its body should be JSON."""
        status = resp.status_code
        if call.expect == "bytes" and binary and status < 400:
            text = ""
        else:
            text = _decode(resp)
        data, bad_json = None, None
        if text.strip() and (call.expect == "json" or status >= 400):
            try:
                data = jsonlib.loads(text)
            except ValueError as err:
                bad_json = err
        response = Response(
            status=status,
            headers={k.lower(): v for k, v in resp.headers.items()},
            text=text,
            data=data,
            duration_ms=duration_ms,
            content=content,
        )
        return response, bad_json

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

    def _message_and_details(self, response):
        message = cap_text(
            self.redact(_message_from(response.data, response.text)), MESSAGE_CAP
        )
        if response.data is not None:
            details = self.redact(response.data)
        else:
            details = self._redact_capped(response.text)
        return message, details

    def _interpret(self, response, bad_json, call):
        status = response.status
        if status < 400:
            if bad_json is not None:
                raise PayloadError(
                    f"answer of HTTP {status} is not valid JSON: {bad_json}",
                    status=status,
                    details=cap_text(self._redactor._literal(response.text)),
                )
            return response
        message, details = self._message_and_details(response)
        retry_after = parse_retry_after(response.headers.get("retry-after"))
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
            error.retry_after = retry_after
            if status == 503 or call.idempotent:
                raise _Retry(error, retry_after)
            raise error
        if status in (401, 403):
            raise AuthError(message or "not authorised", status=status, details=details)
        if status == 404:
            raise NotFoundError(message or "not found", status=status, details=details)
        raise ValidationError(
            message or f"refused with HTTP {status}", status=status, details=details
        )

    def _run_check(self, check, response):
        try:
            error = check(response)
        except OmniConnectorError as err:
            error = err
        if error is None:
            return
        if error.status is None:
            error.status = response.status
        error.message = self.redact(error.message)
        error.args = (error.message,)
        error.details = self.redact(error.details)
        raise error

    def _token_refused(self, response):
        message, details = self._message_and_details(response)
        return AuthError(
            f"a fresh token was refused too: {message or 'not authorised'}",
            status=response.status,
            details=details,
        )
