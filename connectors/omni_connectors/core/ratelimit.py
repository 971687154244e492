"""Client-side request pacing.

Two limiters with one interface (``acquire()`` waits as long as needed and
returns the seconds waited), handed to :class:`~.transport.HttpTransport` as
``rate_limiter``:

* :class:`RateLimiter`, a thread-safe token bucket, paces the threads of the
  current process only (:func:`limiter_for` gives one per key);
* :class:`SharedRateLimiter` paces every process that shares a ``reserve``
  function: the Odoo side reserves each request's slot in a database row,
  so workers and job runners on any machine stay within one limit together.

The shared limiter uses GCRA (the generic cell rate algorithm, "virtual
scheduling"), whose whole state is one number per remote service, the
theoretical arrival time, updated in one atomic statement; see
:func:`gcra_next`.
"""

import threading
import time


class RateLimiter:
    """Token bucket allowing ``rate_per_second`` requests, bursts of ``burst``.

    ``rate_per_second`` 0 (or less) disables the limit. Callers that find the
    bucket empty reserve a token and sleep outside the lock, so waiting
    threads are served in the order they arrived.
    """

    def __init__(
        self, rate_per_second, burst=1, clock=time.monotonic, sleep=time.sleep
    ):
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep
        self.rate = float(rate_per_second or 0.0)
        self.burst = int(burst)
        self._tokens = float(self.burst)
        self._stamp = clock()

    @property
    def unlimited(self):
        return self.rate <= 0

    def set_rate(self, rate_per_second, burst=None):
        """Change the rate (and burst) in place, keeping the current debt."""
        with self._lock:
            self._refill()
            self.rate = float(rate_per_second or 0.0)
            if burst is not None:
                if burst < 1:
                    raise ValueError("burst must be at least 1")
                self.burst = int(burst)
                self._tokens = min(self._tokens, float(self.burst))

    def _refill(self):
        now = self._clock()
        if self.rate > 0:
            elapsed = max(0.0, now - self._stamp)
            self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate)
        self._stamp = now

    def acquire(self):
        """Take one token, sleeping as long as needed. Return the seconds waited."""
        if self.unlimited:
            return 0.0
        with self._lock:
            self._refill()
            self._tokens -= 1.0
            wait = 0.0 if self._tokens >= 0 else -self._tokens / self.rate
        if wait > 0:
            self._sleep(wait)
        return wait


def gcra_next(tat, now, rate, burst=1):
    """One GCRA reservation: ``(new_tat, wait)`` for a request arriving at ``now``.

    ``tat`` (the theoretical arrival time) is when the budget would be back
    to full if nothing else came; None for a budget never used. With
    ``interval = 1 / rate`` and ``tolerance = (burst - 1) * interval``::

        start    = max(tat, now)            # a budget idle since tat is full
        allowed  = max(now, start - tolerance)
        wait     = allowed - now            # seconds before sending
        new_tat  = start + interval

    The request is always granted, possibly later: its slot is reserved at
    once (``new_tat`` is stored) and the caller waits ``wait`` before
    sending. So ``burst`` requests go at once after an idle period, then one
    every ``interval``; ``n`` requests from a full budget take at least
    ``(n - burst) * interval`` and no half-open window of length
    ``interval`` holds more than ``burst`` of them.

    Equivalently ``wait = max(0, new_tat - burst * interval - now)``, which
    is what one SQL UPSERT returns after storing ``new_tat`` (``tat`` and
    ``now`` as epoch seconds of one clock, the database's)::

        INSERT ... VALUES (key, now + interval)
        ON CONFLICT (key) DO UPDATE SET tat = GREATEST(tat, now) + interval
        RETURNING GREATEST(0, tat - burst * interval - now)
    """
    rate = float(rate)
    if not rate > 0:
        raise ValueError("GCRA needs a positive rate")
    if int(burst) < 1:
        raise ValueError("burst must be at least 1")
    interval = 1.0 / rate
    tolerance = (int(burst) - 1) * interval
    start = now if tat is None else max(tat, now)
    allowed = max(now, start - tolerance)
    return start + interval, allowed - now


class MemoryReserve:
    """A ``reserve(rate, burst) -> wait`` for :class:`SharedRateLimiter`, in memory.

    The reference implementation of the database's reservation: one GCRA
    state under a lock, shared by every thread holding this object (tests,
    or one process that wants the shared limiter's behaviour).
    """

    def __init__(self, clock=time.monotonic):
        self._lock = threading.Lock()
        self._clock = clock
        self.tat = None
        self.calls = 0

    def __call__(self, rate_per_second, burst=1):
        with self._lock:
            self.calls += 1
            self.tat, wait = gcra_next(self.tat, self._clock(), rate_per_second, burst)
            return wait


class SharedRateLimiter:
    """Paces requests against a budget shared across processes.

    ``reserve(rate_per_second, burst) -> float`` reserves the next request
    slot atomically where every process sees it (a database row, see
    :func:`gcra_next`) and returns the seconds this caller must wait for it.
    :meth:`acquire` calls it, then sleeps that long holding no lock, and
    returns the wait. ``rate_per_second`` 0 (or less) is unlimited: nothing
    is reserved. The reservation is made before the wait, so a caller that
    then gives up has spent its slot: waiting is only ever later, never
    earlier, than the limit allows.
    """

    def __init__(self, reserve, rate_per_second, burst=1, sleep=time.sleep):
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self._reserve = reserve
        self._sleep = sleep
        self.rate = float(rate_per_second or 0.0)
        self.burst = int(burst)

    @property
    def unlimited(self):
        return self.rate <= 0

    def acquire(self):
        """Reserve a slot and wait for it. Return the seconds waited."""
        if self.unlimited:
            return 0.0
        wait = max(0.0, float(self._reserve(self.rate, self.burst) or 0.0))
        if wait > 0:
            self._sleep(wait)
        return wait


_registry = {}
_registry_lock = threading.Lock()


def limiter_for(key, rate, burst=1):
    """Return this process's limiter for ``key``, creating it on first use.

    A later call with another rate or burst updates the shared limiter, so a
    changed channel setting takes effect without a restart.
    """
    with _registry_lock:
        limiter = _registry.get(key)
        if limiter is None:
            limiter = _registry[key] = RateLimiter(rate, burst=burst)
        elif limiter.rate != float(rate or 0.0) or limiter.burst != burst:
            limiter.set_rate(rate, burst=burst)
        return limiter
