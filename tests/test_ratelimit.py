import threading
import time

import pytest

from omni_connectors.core.ratelimit import (
    MemoryReserve,
    RateLimiter,
    SharedRateLimiter,
    gcra_next,
    limiter_for,
)


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


# -- GCRA and the shared limiter -------------------------------------------------


def reference_schedule(arrivals, rate, burst):
    """Send times of requests arriving at ``arrivals``, by gcra_next."""
    tat, sent = None, []
    for now in arrivals:
        tat, wait = gcra_next(tat, now, rate, burst)
        sent.append(now + wait)
    return sent


def max_in_window(times, width):
    """Most of ``times`` inside any half-open window [t, t + width)."""
    times = sorted(times)
    best, start = 0, 0
    for end, stamp in enumerate(times):
        while stamp - times[start] >= width - 1e-9:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_gcra_next_burst_then_one_per_interval():
    tat, waits = None, []
    for _ in range(6):
        tat, wait = gcra_next(tat, 10.0, 2, burst=3)
        waits.append(wait)
    assert waits == pytest.approx([0, 0, 0, 0.5, 1.0, 1.5])
    assert tat == pytest.approx(13.0)
    # an idle budget refills to the burst, never beyond
    _tat, wait = gcra_next(tat, 100.0, 2, burst=3)
    assert wait == 0
    assert gcra_next(None, 5.0, 4) == (5.25, 0.0)


def test_gcra_wait_equals_the_sql_form():
    tat = None
    for now in (0.0, 0.0, 0.1, 0.1, 0.9, 5.0, 5.0, 5.01):
        prev = tat
        tat, wait = gcra_next(prev, now, 5, burst=2)
        assert wait == pytest.approx(max(0.0, tat - 2 * (1 / 5) - now))


def test_gcra_schedule_respects_rate_and_burst():
    rate, burst = 10, 3
    arrivals = [0.0] * 20 + [0.05 * k for k in range(20)] + [4.0 + 0.001 * k for k in range(10)]
    sent = reference_schedule(arrivals, rate, burst)
    assert max_in_window(sent, 1 / rate) <= burst
    assert max(sent[:40]) - min(sent[:40]) >= (40 - burst) / rate - 1e-9
    with pytest.raises(ValueError):
        gcra_next(None, 0, 0)
    with pytest.raises(ValueError):
        gcra_next(None, 0, 1, burst=0)


def test_shared_limiter_sleeps_what_reserve_says_outside_any_lock():
    asked = []

    def reserve(rate, burst):
        asked.append((rate, burst))
        return 0.25

    slept = []
    limiter = SharedRateLimiter(reserve, 4, burst=2, sleep=slept.append)
    assert limiter.acquire() == 0.25
    assert (asked, slept) == ([(4.0, 2)], [0.25])
    unlimited = SharedRateLimiter(reserve, 0, sleep=slept.append)
    assert unlimited.unlimited and unlimited.acquire() == 0.0
    assert len(asked) == 1  # nothing reserved when unlimited
    with pytest.raises(ValueError):
        SharedRateLimiter(reserve, 1, burst=0)


def test_shared_limiter_reservations_are_atomic_across_threads():
    clock = FakeClock()  # frozen: every thread arrives at the same instant
    reserve = MemoryReserve(clock=clock)
    waits = []
    lock = threading.Lock()

    def sleep(seconds):
        with lock:
            waits.append(seconds)

    rate, burst, n = 50, 4, 40
    limiter = SharedRateLimiter(reserve, rate, burst=burst, sleep=sleep)
    barrier = threading.Barrier(8)

    def worker():
        barrier.wait()
        for _ in range(n // 8):
            limiter.acquire()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert reserve.calls == n
    # every slot handed out exactly once: burst at once, then one per interval
    assert sorted(waits) == pytest.approx([k / rate for k in range(1, n - burst + 1)])
    sent = [clock.now] * (n - len(waits)) + [clock.now + w for w in waits]
    assert max_in_window(sent, 1 / rate) <= burst
    assert max(sent) - min(sent) >= (n - burst) / rate - 1e-9


def test_shared_limiter_paces_real_threads():
    rate, burst, n = 100, 2, 20
    reserve = MemoryReserve()
    limiters = [SharedRateLimiter(reserve, rate, burst=burst) for _ in range(4)]
    stamps = []
    lock = threading.Lock()

    def worker(limiter):
        for _ in range(n // 4):
            limiter.acquire()
            with lock:
                stamps.append(time.monotonic())

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(lim,)) for lim in limiters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(stamps) == n
    assert max(stamps) - started >= (n - burst) / rate * 0.95
