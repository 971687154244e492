"""Client-side request pacing: a thread-safe token bucket.

A limiter only paces the threads of the current process. When several Odoo
workers or job runners talk to the same account, serialising them is the
Odoo side's job (a row lock on the channel held while pushing); the limiter
then keeps the requests of that one holder within the channel's rate.
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
