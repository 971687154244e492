"""Fault injection for the simulators.

A fault is queued with :meth:`FaultSet.add` (or ``POST /_sandbox/faults``)
and fires on the next matching requests, ``times`` times, in FIFO order:
the oldest fault that matches a request is the one applied to it.
``times=None`` keeps a fault until it is cleared, which together with
``probability`` gives rule-like faults ("10 % of stock pushes answer 503").

Kinds and their parameters:

``latency``   ``seconds`` (default 0.2): wait, then handle the request.
``status``    ``status`` (default 500), ``retry_after`` (seconds or an
              HTTP-date, sent as ``Retry-After``), ``body`` (dict or text),
              ``content_type``, ``headers``: answer without applying.
``timeout``   ``seconds`` (default 30): hold the request, then close the
              connection without an answer and without applying it. The
              wait ends early when the simulator stops.
``malformed`` ``body`` (default a cut-off JSON text): answer 200 with text
              that does not parse, without applying the request.
``duplicate`` order feeds only: the next listing returns the previous
              non-empty page again, exactly as it was sent.

``path`` restricts a fault to one path (``fnmatch`` patterns allowed, e.g.
``/api/orders/*/status``), ``method`` to one HTTP method, ``match`` to
requests whose JSON body is an object holding every given key with the given
value (``{"calledMethod": "save"}`` for Nova Poshta's single endpoint).
Control paths (``/_sandbox/...``) never receive faults.

``after=True`` (``status`` and ``timeout`` only) applies the request first and
then loses the answer: the client sees the error or the timeout although the
remote did the work (a TTN created, a receipt registered).
"""

import fnmatch
import random
import threading
from dataclasses import asdict, dataclass, field

KINDS = ("latency", "status", "timeout", "malformed", "duplicate")

_DEFAULTS = {
    "latency": {"seconds": 0.2},
    "status": {"status": 500},
    "timeout": {"seconds": 30.0},
    "malformed": {"body": '{"broken": [1, 2, '},
    "duplicate": {},
}
_ALLOWED = {
    "latency": {"seconds"},
    "status": {"status", "retry_after", "body", "content_type", "headers"},
    "timeout": {"seconds"},
    "malformed": {"body", "content_type"},
    "duplicate": set(),
}


_AFTER_KINDS = ("status", "timeout")


@dataclass
class Fault:
    kind: str
    path: str | None = None
    method: str | None = None
    times: int | None = 1
    probability: float = 1.0
    params: dict = field(default_factory=dict)
    fired: int = 0
    match: dict | None = None  # key/values the JSON body must hold
    after: bool = False  # apply the request, then lose the answer

    def matches(self, method, path, *, feed=False, body=None):
        """``body`` is the parsed JSON body, or a callable returning it."""
        if self.kind == "duplicate" and not feed:
            return False
        if self.method and self.method.upper() != method.upper():
            return False
        if self.path and not (
            self.path == path or fnmatch.fnmatchcase(path, self.path)
        ):
            return False
        if self.match:
            data = body() if callable(body) else body
            if not isinstance(data, dict):
                return False
            for key, value in self.match.items():
                if key not in data or data[key] != value:
                    return False
        return True

    def as_dict(self):
        return asdict(self)


class FaultSet:
    """Thread-safe FIFO of pending faults."""

    def __init__(self, seed=None):
        self._lock = threading.Lock()
        self._faults = []
        self._rng = random.Random(seed)

    def add(
        self,
        kind,
        *,
        path=None,
        method=None,
        times=1,
        probability=1.0,
        match=None,
        after=False,
        **params,
    ):
        """Queue a fault; see the module docstring for kinds and parameters."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {KINDS}")
        if match is not None and not isinstance(match, dict):
            raise ValueError("match must be an object of body keys and values")
        if after and kind not in _AFTER_KINDS:
            raise ValueError(f"after=True applies to {_AFTER_KINDS} faults only")
        unknown = set(params) - _ALLOWED[kind]
        if unknown:
            raise ValueError(f"fault {kind!r} takes no parameter {sorted(unknown)}")
        if times is not None and (not isinstance(times, int) or times < 1):
            raise ValueError("times must be a positive integer or None")
        if not 0 < float(probability) <= 1:
            raise ValueError("probability must be in (0, 1]")
        merged = dict(_DEFAULTS[kind])
        merged.update(params)
        if kind == "status":
            status = merged["status"]
            if not isinstance(status, int) or not 100 <= status <= 599:
                raise ValueError(f"bad status {status!r}")
        if "seconds" in merged and float(merged["seconds"]) < 0:
            raise ValueError("seconds must not be negative")
        fault = Fault(
            kind=kind,
            path=path,
            method=method,
            times=times,
            probability=float(probability),
            params=merged,
            match=dict(match) if match else None,
            after=bool(after),
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method, path, *, feed=False, body=None):
        """Return the fault to apply to this request (consuming one use), or None.

        ``body`` is the parsed JSON body or a callable returning it, called
        only when a pending fault has a ``match``.
        """
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method, path, feed=feed, body=body):
                    continue
                if fault.probability < 1 and self._rng.random() >= fault.probability:
                    continue
                fault.fired += 1
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    def clear(self):
        with self._lock:
            count = len(self._faults)
            self._faults.clear()
            return count

    def pending(self):
        with self._lock:
            return [fault.as_dict() for fault in self._faults]

    def __len__(self):
        with self._lock:
            return len(self._faults)
