import threading
import time

import pytest

from omni_connectors.core.ratelimit import RateLimiter, limiter_for


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it."""

    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_one_request_per_interval_without_burst():
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock, sleep=clock.sleep)
    waits = [limiter.acquire() for _ in range(4)]
    assert waits[0] == 0
    assert waits[1:] == pytest.approx([0.1, 0.1, 0.1])
    assert clock.now - 100.0 == pytest.approx(0.3)


def test_burst_then_steady_rate():
    clock = FakeClock()
    limiter = RateLimiter(2, burst=3, clock=clock, sleep=clock.sleep)
    waits = [limiter.acquire() for _ in range(5)]
    assert waits[:3] == [0, 0, 0]
    assert waits[3:] == pytest.approx([0.5, 0.5])


def test_idle_time_refills_no_more_than_the_burst():
    clock = FakeClock()
    limiter = RateLimiter(1, burst=2, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    limiter.acquire()
    clock.now += 60  # a long pause earns at most `burst` tokens
    waits = [limiter.acquire() for _ in range(3)]
    assert waits == pytest.approx([0, 0, 1.0])


def test_zero_rate_is_unlimited():
    clock = FakeClock()
    limiter = RateLimiter(0, clock=clock, sleep=clock.sleep)
    assert all(limiter.acquire() == 0 for _ in range(1000))
    assert clock.sleeps == []


def test_threads_share_the_budget():
    limiter = RateLimiter(200)
    stamps = []
    lock = threading.Lock()

    def worker():
        for _ in range(10):
            limiter.acquire()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(stamps) == 40
    # 40 requests at 200/s with a burst of 1 need at least 39 intervals
    assert max(stamps) - started >= 39 / 200 * 0.95


def test_registry_gives_one_limiter_per_key_and_follows_rate_changes():
    first = limiter_for("test:shop-a", 5)
    assert limiter_for("test:shop-a", 5) is first
    assert limiter_for("test:shop-b", 5) is not first
    assert limiter_for("test:shop-a", 8, burst=2) is first
    assert (first.rate, first.burst) == (8.0, 2)


def test_burst_must_be_positive():
    with pytest.raises(ValueError):
        RateLimiter(1, burst=0)
