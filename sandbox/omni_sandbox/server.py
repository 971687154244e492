"""A small framework for loopback API simulators.

A simulator subclasses :class:`Simulator`, declares routes with
:func:`route` and keeps its state under ``self.lock``. It serves real HTTP
on 127.0.0.1 from a daemon thread (port 0 picks a free port), so clients
are tested through their whole network stack::

    class Shop(Simulator):
        name = "shop"

        @route("GET", "/api/items/{sku}")
        def get_item(self, req):
            return {"sku": req.params["sku"]}

    with Shop() as sim:
        requests.get(sim.url + "/api/items/A-1")

Every simulator also answers the control endpoints under ``/_sandbox/``
(faults, state, reset, request log) so that a test in another process can
drive it; see :meth:`Simulator.control_routes`. Credentials (auth headers,
``apiKey``/``password``-like fields, ``/apiKey/<key>`` path segments) are
masked in the request log.

A simulator stays up whatever it is fed. :meth:`Request.json` answers 400
with a JSON error for a body that is not UTF-8, not JSON, nested too deep
to parse, or whose strings hold a lone surrogate (``"\\ud800"``: valid
JSON, invalid Unicode) or a NUL character (which real APIs backed by
PostgreSQL refuse); a body above :attr:`Simulator.max_body` answers 413;
a handler or a reply that fails answers 500 JSON. The request log and the
state dumps are always served, even when they hold such text.
"""

import json
import logging
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, unquote, urlencode, urlsplit

from .faults import FaultSet

_logger = logging.getLogger(__name__)

CONTROL_PREFIX = "/_sandbox/"
_PARAM_RE = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)(:path)?}")

MASK = "***"
#: header names whose values are masked in the request log
SECRET_HEADERS = frozenset(
    (
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "x-license-key",
        "x-access-key",
        "cookie",
    )
)
#: body, query and path field names masked in the request log, compared
#: lower-case without ``-`` and ``_`` (``apiKey``, ``pin_code``, ...)
SECRET_FIELDS = frozenset(
    (
        "apikey",
        "password",
        "pin",
        "pincode",
        "token",
        "accesstoken",
        "refreshtoken",
        "licensekey",
        "secret",
    )
)


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def json_bytes(data):
    """``data`` as UTF-8 JSON; text with lone surrogates falls back to ASCII escapes."""
    try:
        return json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(data).encode("ascii")


def text_bytes(text):
    """``text`` as UTF-8; a lone surrogate becomes its (invalid UTF-8) bytes as is."""
    return text.encode("utf-8", errors="surrogatepass")


def _text_problem(data):
    """What makes parsed JSON unusable as text ("a lone surrogate", "a NUL"), or ""."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str):
            if "\x00" in value:
                return "a NUL character"
            if _SURROGATE_RE.search(value):
                return "a lone surrogate (invalid Unicode)"
    return ""


class HttpError(Exception):
    """Raise from a handler to answer ``status`` with ``body`` at once."""

    def __init__(self, status, body=None, headers=None):
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body if body is not None else {"error": f"HTTP {status}"}
        self.headers = headers or {}


@dataclass
class Request:
    method: str
    path: str  # percent-decoded
    query: dict  # first value of each parameter
    headers: dict  # lower-cased names
    body: bytes
    params: dict = field(default_factory=dict)  # from the route pattern
    fault: Any = None  # a 'duplicate' fault for feed handlers, else None
    query_all: dict = field(default_factory=dict)  # every value: {"statuses[]": [...]}
    raw_path: str = ""  # the path as sent, still percent-encoded

    @property
    def text(self):
        return self.body.decode("utf-8", errors="replace")

    def _parse(self):
        """(data, error): the body as JSON, or the reason it cannot be used."""
        if not hasattr(self, "_parsed"):
            data, error = None, ""
            if self.body.strip():
                try:
                    data = json.loads(self.body.decode("utf-8"))
                except UnicodeDecodeError as err:
                    error = f"body is not UTF-8: {err}"
                except RecursionError:
                    error = "body is not JSON: nested too deep"
                except ValueError as err:
                    error = f"body is not JSON: {err}"
                else:
                    problem = _text_problem(data)
                    if problem:
                        data, error = None, f"body holds {problem}"
            self._parsed = (data, error)
        return self._parsed

    def json_or_none(self):
        """The body as JSON, or None when it is empty or unusable (never raises)."""
        return self._parse()[0]

    def header(self, name, default=""):
        return self.headers.get(name.lower(), default)

    def json(self):
        """The body as JSON; an empty body is ``{}``; anything unusable answers 400.

        Unusable: not UTF-8, not JSON, nested too deep, or text holding a
        lone surrogate or a NUL (see the module docstring).
        """
        if not self.body.strip():
            return {}
        data, error = self._parse()
        if error:
            raise HttpError(400, {"error": error})
        return data


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list: JSON; str/bytes: sent as is
    headers: dict = field(default_factory=dict)
    content_type: str | None = None


def json_reply(data, status=200, headers=None):
    return Reply(status=status, body=data, headers=dict(headers or {}))


def text_reply(text, status=200, content_type="text/plain; charset=utf-8"):
    return Reply(status=status, body=text, content_type=content_type)


def html_reply(html, status=200):
    return text_reply(html, status=status, content_type="text/html; charset=utf-8")


def route(method, pattern):
    """Mark a method as the handler of ``method`` requests to ``pattern``.

    ``pattern`` is a percent-decoded path where ``{name}`` matches one path
    segment and ``{name:path}`` the rest of the path, slashes included; the
    values are passed to the handler in ``req.params``.
    """

    def decorate(func):
        routes = list(getattr(func, "_sandbox_routes", ()))
        routes.append((method.upper(), pattern))
        func._sandbox_routes = routes
        return func

    return decorate


def _compile(pattern):
    regex = ""
    pos = 0
    for match in _PARAM_RE.finditer(pattern):
        regex += re.escape(pattern[pos : match.start()])
        value = ".+" if match.group(2) else "[^/]+"
        regex += f"(?P<{match.group(1)}>{value})"
        pos = match.end()
    regex += re.escape(pattern[pos:])
    return re.compile(f"^{regex}$")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address, handler, simulator):
        self.simulator = simulator
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    server_version = "omni-sandbox"

    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        _logger.debug("%s - %s", self.address_string(), format % args)

    def _serve(self):
        self.server.simulator._handle(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


class Simulator:
    """Base class: routing, JSON helpers, fault injection, request log.

    Subclasses set :attr:`name`, implement :meth:`reset_state` and
    :meth:`dump_state`, and declare routes with :func:`route`. Handlers get a
    :class:`Request` and return a dict/list (200 JSON), a :class:`Reply`, a
    ``(status, body)`` tuple or None (204); they may raise :class:`HttpError`.
    """

    #: name used by the CLI registry and in ``/_sandbox/state``
    name = "base"
    #: paths of order feeds, where the 'duplicate' fault applies (GET only)
    feed_paths = ()
    #: most request log entries kept (oldest dropped first)
    max_log = 10_000
    #: largest request body read (bytes); a longer one answers 413
    max_body = 32 * 1024 * 1024

    def __init__(self, *, host="127.0.0.1", port=0, fault_seed=None):
        self.host = host
        self.port = port
        self.lock = threading.RLock()
        self.faults = FaultSet(seed=fault_seed)
        self.requests = []
        self._routes = []
        self._server = None
        self._thread = None
        self._stopping = threading.Event()
        for method, pattern, handler in self.control_routes():
            self.add_route(method, pattern, handler)
        for attr in dir(type(self)):
            func = getattr(type(self), attr, None)
            for method, pattern in getattr(func, "_sandbox_routes", ()):
                self.add_route(method, pattern, getattr(self, attr))
        self.reset_state()

    # -- to override -------------------------------------------------------

    def reset_state(self):
        """Put the simulated remote back to its initial state."""

    def dump_state(self):
        """A JSON-serialisable picture of the state, for tests and debugging."""
        return {}

    def not_found_reply(self, req):
        """The answer to a path no route matches; override to look like the real API."""
        return Reply(status=404, body={"error": f"no route for {req.path}"})

    @classmethod
    def add_arguments(cls, parser):
        """Add simulator-specific CLI options to an argparse parser."""

    @classmethod
    def from_args(cls, args, *, host, port):
        """Build an instance from parsed CLI options."""
        return cls(host=host, port=port)

    # -- routing -------------------------------------------------------------

    def add_route(self, method, pattern, handler):
        self._routes.append((method.upper(), _compile(pattern), handler))

    def _resolve(self, method, path):
        """(handler, params), or (None, None) when no route has this path."""
        allowed = False
        for route_method, regex, handler in self._routes:
            match = regex.match(path)
            if match is None:
                continue
            if route_method == method:
                return handler, match.groupdict()
            allowed = True
        if allowed:
            raise HttpError(405, {"error": f"method {method} not allowed"})
        return None, None

    # -- lifecycle -----------------------------------------------------------

    def start(self):
        """Serve in a daemon thread; return self."""
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server((self.host, self.port), _Handler, self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"omni-sandbox-{self.name}-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self):
        """Stop serving; requests held by latency or timeout faults are released."""
        self._stopping.set()
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        """Base URL, e.g. ``http://127.0.0.1:40123`` (after :meth:`start`)."""
        return f"http://{self.host}:{self.port}"

    @property
    def running(self):
        return self._server is not None

    def wait(self, seconds):
        """Sleep up to ``seconds``; return True if the simulator is stopping."""
        return self._stopping.wait(seconds)

    def reset(self):
        """Reset the state, drop pending faults and clear the request log."""
        with self.lock:
            self.reset_state()
            self.faults.clear()
            self.requests.clear()

    # -- request handling ----------------------------------------------------

    def _handle(self, handler):
        try:
            self._handle_request(handler)
        except Exception:
            # whatever went wrong, answer and keep serving
            _logger.exception("%s: request %r failed", self.name, handler.path)
            handler.close_connection = True
            self._send(handler, Reply(status=500, body={"error": "simulator failure"}))

    def _handle_request(self, handler):
        split = urlsplit(handler.path)
        raw_path = split.path or "/"
        path = unquote(raw_path)
        query_all = parse_qs(split.query, keep_blank_values=True)
        query = {k: v[0] for k, v in query_all.items()}
        headers = {k.lower(): v for k, v in handler.headers.items()}
        try:
            length = int(headers.get("content-length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self._send(handler, Reply(status=400, body={"error": "bad Content-Length"}))
            handler.close_connection = True
            return
        if length > self.max_body:
            self._send(handler, Reply(status=413, body={"error": "body too large"}))
            handler.close_connection = True
            return
        body = handler.rfile.read(length) if length > 0 else b""
        req = Request(
            method=handler.command,
            path=path,
            query=query,
            headers=headers,
            body=body,
            query_all=query_all,
            raw_path=raw_path,
        )
        control = path.startswith(CONTROL_PREFIX)
        entry = None
        if not control:
            entry = {
                "method": req.method,
                "path": _mask_path(path),
                "query": _mask_fields(query),
                "headers": _mask_headers(headers),
                "body": _mask_body(req),
                "status": None,
                "fault": None,
            }
            with self.lock:
                self.requests.append(entry)
                if len(self.requests) > self.max_log:
                    del self.requests[: len(self.requests) - self.max_log]
        reply = self._reply_for(req, entry, control)
        if reply is None:  # a timeout fault: hang up without answering
            handler.close_connection = True
            return
        if entry is not None:
            entry["status"] = reply.status
        self._send(handler, reply)

    def _reply_for(self, req, entry, control):
        if not control:
            feed = req.method == "GET" and req.path in self.feed_paths
            fault = self.faults.take(
                req.method, req.path, feed=feed, body=req.json_or_none
            )
            if fault is not None:
                entry["fault"] = fault.kind
                if fault.after:
                    self._route(req, control)
                    return self._lost_answer(fault)
                early = self._apply_fault(fault, req)
                if early is not None or fault.kind == "timeout":
                    return early
        return self._route(req, control)

    def _route(self, req, control):
        try:
            handler, req.params = self._resolve(req.method, req.path)
            if handler is None:
                if control:
                    raise HttpError(404, {"error": f"no route for {req.path}"})
                return self._coerce(self.not_found_reply(req))
            return self._coerce(handler(req))
        except HttpError as err:
            return Reply(status=err.status, body=err.body, headers=err.headers)
        except Exception:
            _logger.exception(
                "%s: handler of %s %s failed", self.name, req.method, req.path
            )
            return Reply(status=500, body={"error": "simulator failure"})

    def _apply_fault(self, fault, req):
        """Return a Reply to send instead of handling, or None to go on."""
        params = fault.params
        if fault.kind == "latency":
            self.wait(float(params["seconds"]))
            return None
        if fault.kind == "timeout":
            self.wait(float(params["seconds"]))
            return None
        if fault.kind == "duplicate":
            req.fault = fault
            return None
        if fault.kind == "malformed":
            return Reply(
                status=200,
                body=params["body"],
                content_type=params.get("content_type", "application/json"),
            )
        return self._status_reply(params)

    def _lost_answer(self, fault):
        """After the request was applied: the fault's status, or no answer at all."""
        if fault.kind == "timeout":
            self.wait(float(fault.params["seconds"]))
            return None
        return self._status_reply(fault.params)

    @staticmethod
    def _status_reply(params):
        status = params["status"]
        headers = dict(params.get("headers") or {})
        if params.get("retry_after") is not None:
            headers["Retry-After"] = str(params["retry_after"])
        body = params.get("body")
        if body is None:
            body = {"error": f"injected fault: HTTP {status}"}
        return Reply(
            status=status,
            body=body,
            headers=headers,
            content_type=params.get("content_type"),
        )

    @staticmethod
    def _coerce(result):
        if isinstance(result, Reply):
            return result
        if result is None:
            return Reply(status=204, body=b"")
        if isinstance(result, tuple):
            status, body = result
            return Reply(status=status, body=body)
        return Reply(status=200, body=result)

    @staticmethod
    def _encode(reply):
        """(status line code, header pairs, body bytes) of a reply; raises if unsendable."""
        body = reply.body
        content_type = reply.content_type
        if isinstance(body, (dict, list)):
            data = json_bytes(body)
            content_type = content_type or "application/json; charset=utf-8"
        elif isinstance(body, str):
            data = text_bytes(body)
            if content_type is None:
                html = body.lstrip().startswith("<")
                content_type = "text/html" if html else "text/plain"
                content_type += "; charset=utf-8"
        elif body is None:
            data = b""
        else:
            data = bytes(body)
        headers = []
        if data or reply.status != 204:
            headers.append(("Content-Type", content_type or "application/octet-stream"))
        headers.append(("Content-Length", str(len(data))))
        headers += [(str(name), str(value)) for name, value in reply.headers.items()]
        for name, value in headers:  # http.server sends headers as Latin-1
            f"{name}: {value}".encode("latin-1", "strict")
            if "\r" in name + value or "\n" in name + value:
                raise ValueError(f"header {name!r} holds a line break")
        return reply.status, headers, data

    @classmethod
    def _send(cls, handler, reply):
        try:
            status, headers, data = cls._encode(reply)
        except Exception:
            _logger.exception("cannot encode a reply of HTTP %s", reply.status)
            status, headers, data = cls._encode(
                Reply(status=500, body={"error": "simulator failure"})
            )
        try:
            handler.send_response(status)
            for name, value in headers:
                handler.send_header(name, value)
            handler.end_headers()
            if data and handler.command != "HEAD":
                handler.wfile.write(data)
        except OSError:  # broken pipe, reset: the client went away
            _logger.debug("client went away before the answer was sent")

    # -- control endpoints ---------------------------------------------------

    def control_routes(self):
        """Routes every simulator has; subclasses may extend the list."""
        return [
            ("GET", "/_sandbox/state", self._ctl_state),
            ("POST", "/_sandbox/reset", self._ctl_reset),
            ("GET", "/_sandbox/faults", self._ctl_faults),
            ("POST", "/_sandbox/faults", self._ctl_add_faults),
            ("DELETE", "/_sandbox/faults", self._ctl_clear_faults),
            ("GET", "/_sandbox/requests", self._ctl_requests),
            ("DELETE", "/_sandbox/requests", self._ctl_clear_requests),
        ]

    def _ctl_state(self, req):
        with self.lock:
            state = self.dump_state()
        state.setdefault("simulator", self.name)
        state.setdefault("faults", self.faults.pending())
        return state

    def _ctl_reset(self, req):
        self.reset()
        return {"ok": True}

    def _ctl_faults(self, req):
        return {"pending": self.faults.pending()}

    def _ctl_add_faults(self, req):
        payload = req.json()
        specs = payload if isinstance(payload, list) else [payload]
        added = []
        for spec in specs:
            if not isinstance(spec, dict) or "kind" not in spec:
                raise HttpError(400, {"error": "a fault needs a 'kind'"})
            spec = dict(spec)
            try:
                added.append(self.faults.add(spec.pop("kind"), **spec).as_dict())
            except (TypeError, ValueError) as err:
                raise HttpError(400, {"error": str(err)}) from None
        return Reply(status=201, body={"added": added, "pending": len(self.faults)})

    def _ctl_clear_faults(self, req):
        return {"cleared": self.faults.clear()}

    def _ctl_requests(self, req):
        with self.lock:
            return {"requests": list(self.requests)}

    def _ctl_clear_requests(self, req):
        with self.lock:
            count = len(self.requests)
            self.requests.clear()
        return {"cleared": count}


# -- request log masking -----------------------------------------------------


def _is_secret_field(name):
    return (
        isinstance(name, str)
        and name.lower().replace("-", "").replace("_", "") in SECRET_FIELDS
    )


def _mask_headers(headers):
    masked = {}
    for name, value in headers.items():
        if name.lower() in SECRET_HEADERS:
            scheme, _, rest = str(value).partition(" ")
            known = scheme.lower() in ("bearer", "basic", "token", "digest")
            value = f"{scheme} {MASK}" if rest and known else MASK
        masked[name] = value
    return masked


def _mask_fields(data):
    if isinstance(data, dict):
        return {
            key: MASK if _is_secret_field(key) else _mask_fields(value)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [_mask_fields(value) for value in data]
    return data


def _mask_path(path):
    """``/apiKey/<key>`` (Nova Poshta print links) becomes ``/apiKey/***``."""
    segments = path.split("/")
    for index in range(1, len(segments)):
        if segments[index] and _is_secret_field(segments[index - 1]):
            segments[index] = MASK
    return "/".join(segments)


def _mask_body(req):
    """The body text for the log, with credential fields masked."""
    text = req.text
    data = req.json_or_none()
    if isinstance(data, (dict, list)):
        masked = _mask_fields(data)
        return text if masked == data else json.dumps(masked, ensure_ascii=False)
    if "x-www-form-urlencoded" in req.header("content-type"):
        pairs = parse_qsl(text, keep_blank_values=True)
        if any(_is_secret_field(key) for key, _value in pairs):
            return urlencode(
                [(k, MASK if _is_secret_field(k) else v) for k, v in pairs]
            )
    return text
