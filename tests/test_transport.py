import time
from email.utils import formatdate

import pytest

from omni_connectors.core import errors
from omni_connectors.core import transport as transport_mod
from omni_connectors.core.transport import BODY_CAP, HttpTransport, parse_retry_after


def make(sim_or_url, sleeps, records=None, **kw):
    url = sim_or_url if isinstance(sim_or_url, str) else sim_or_url.url
    kw.setdefault("timeout", (1, 2))
    return HttpTransport(
        url,
        sleep=sleeps,
        on_call=records.append if records is not None else None,
        **kw,
    )


def api_requests(sim, path):
    return [r for r in sim.requests if r["path"] == path]


def test_json_answer_is_parsed_and_recorded(echo_sim, sleeps):
    records = []
    t = make(echo_sim, sleeps, records)
    resp = t.request("POST", "/echo", json={"a": 1}, params={"page": 2})
    assert resp.status == 200
    assert resp.data["method"] == "POST"
    assert resp.data["query"] == {"page": "2"}
    assert resp.data["body"] == '{"a": 1}'
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.duration_ms > 0
    assert len(records) == 1
    rec = records[0]
    assert (rec.method, rec.endpoint, rec.status, rec.attempt, rec.error) == (
        "POST",
        "/echo",
        200,
        1,
        "",
    )
    assert rec.url.endswith("/echo?page=2")
    assert rec.request_body == '{"a": 1}'
    assert '"method": "POST"' in rec.response_body
    assert sleeps.calls == []


def test_every_request_carries_a_timeout():
    seen = {}

    class FakeSession:
        def request(self, method, url, **kw):
            seen.update(kw)
            raise transport_mod.requests.ConnectTimeout("boom")

    t = HttpTransport("http://x.invalid", session=FakeSession(), max_retries=0)
    with pytest.raises(errors.TimeoutError_):
        t.request("GET", "/")
    assert seen["timeout"] == (5, 30)
    with pytest.raises(ValueError):
        HttpTransport("http://x.invalid", timeout=None)


def test_429_honours_retry_after_seconds(echo_sim, sleeps):
    echo_sim.faults.add("status", path="/echo", status=429, retry_after=3, times=2)
    records = []
    resp = make(echo_sim, sleeps, records).request("GET", "/echo")
    assert resp.status == 200
    assert sleeps.calls == [3.0, 3.0]
    assert [r.status for r in records] == [429, 429, 200]
    assert [r.attempt for r in records] == [1, 2, 3]
    assert records[0].error and not records[2].error


def test_429_honours_retry_after_http_date(echo_sim, sleeps):
    echo_sim.faults.add(
        "status", status=429, retry_after=formatdate(time.time() + 10, usegmt=True)
    )
    make(echo_sim, sleeps).request("GET", "/echo")
    assert len(sleeps.calls) == 1
    assert 8.0 <= sleeps.calls[0] <= 10.01


def test_retry_after_is_capped_by_backoff_max(echo_sim, sleeps):
    echo_sim.faults.add("status", status=429, retry_after=120)
    make(echo_sim, sleeps, backoff_max=7).request("GET", "/echo")
    assert sleeps.calls == [7.0]


def test_429_exhausted_raises_rate_limit_with_server_delay(echo_sim, sleeps):
    echo_sim.faults.add("status", status=429, retry_after=42, times=3)
    with pytest.raises(errors.RateLimitError) as info:
        make(echo_sim, sleeps, max_retries=2, backoff_max=5).request("GET", "/echo")
    assert info.value.retry_after == 42.0  # uncapped: the job can wait that long
    assert info.value.status == 429
    assert info.value.retryable
    assert len(api_requests(echo_sim, "/echo")) == 3
    assert sleeps.calls == [5.0, 5.0]


def test_5xx_backoff_is_exponential_and_capped(echo_sim, sleeps, monkeypatch):
    monkeypatch.setattr(transport_mod.random, "uniform", lambda low, high: high)
    echo_sim.faults.add("status", status=500, times=4)
    t = make(echo_sim, sleeps, backoff_base=0.5, backoff_max=1.5)
    assert t.request("GET", "/echo").status == 200
    assert sleeps.calls == [0.5, 1.0, 1.5, 1.5]


def test_5xx_backoff_uses_full_jitter(echo_sim, sleeps):
    echo_sim.faults.add("status", status=502, times=3)
    make(echo_sim, sleeps, backoff_base=0.5, backoff_max=30).request("GET", "/echo")
    assert len(sleeps.calls) == 3
    for index, delay in enumerate(sleeps.calls):
        assert 0 <= delay <= 0.5 * 2**index


def test_5xx_exhausted_raises_remote_error(echo_sim, sleeps):
    echo_sim.faults.add("status", status=500, times=5)
    with pytest.raises(errors.RemoteError) as info:
        make(echo_sim, sleeps, max_retries=2).request("GET", "/echo")
    assert info.value.status == 500
    assert info.value.retryable
    assert len(api_requests(echo_sim, "/echo")) == 3


def test_500_is_not_retried_for_non_idempotent_calls(echo_sim, sleeps):
    echo_sim.faults.add("status", status=500)
    with pytest.raises(errors.RemoteError):
        make(echo_sim, sleeps).request("POST", "/echo", json={}, idempotent=False)
    assert len(api_requests(echo_sim, "/echo")) == 1
    assert sleeps.calls == []


def test_503_is_retried_even_for_non_idempotent_calls(echo_sim, sleeps):
    echo_sim.faults.add("status", status=503, retry_after=1)
    resp = make(echo_sim, sleeps).request("POST", "/echo", json={}, idempotent=False)
    assert resp.status == 200
    assert sleeps.calls == [1.0]


def test_read_timeout_is_retried_when_idempotent(echo_sim, sleeps):
    echo_sim.faults.add("timeout", path="/echo", seconds=5)
    records = []
    t = make(echo_sim, sleeps, records, timeout=(1, 0.5))
    assert t.request("GET", "/echo").status == 200
    assert [r.status for r in records] == [None, 200]
    assert "Timeout" in records[0].error
    assert [r["fault"] for r in api_requests(echo_sim, "/echo")] == ["timeout", None]


def test_read_timeout_is_not_retried_when_not_idempotent(echo_sim, sleeps):
    echo_sim.faults.add("timeout", seconds=5)
    t = make(echo_sim, sleeps, timeout=(1, 0.5))
    with pytest.raises(errors.TimeoutError_) as info:
        t.request("POST", "/echo", json={"x": 1}, idempotent=False)
    assert info.value.retryable
    assert len(api_requests(echo_sim, "/echo")) == 1
    assert sleeps.calls == []


def test_timeouts_exhausted_raise_timeout_error(echo_sim, sleeps):
    echo_sim.faults.add("timeout", seconds=5, times=2)
    t = make(echo_sim, sleeps, timeout=(1, 0.5), max_retries=1)
    started = time.monotonic()
    with pytest.raises(errors.TimeoutError_):
        t.request("GET", "/echo")
    assert time.monotonic() - started < 2.0
    assert len(api_requests(echo_sim, "/echo")) == 2


@pytest.mark.parametrize("idempotent", [True, False])
def test_connection_refused_is_retried_then_raised(free_port, sleeps, idempotent):
    records = []
    t = make(f"http://127.0.0.1:{free_port}", sleeps, records, max_retries=2)
    with pytest.raises(errors.TransportError) as info:
        t.request("POST", "/echo", json={}, idempotent=idempotent)
    assert not isinstance(info.value, errors.TimeoutError_)
    assert info.value.retryable
    assert "cannot connect" in str(info.value)
    # the request never left, so even a non-idempotent call is retried
    assert [r.attempt for r in records] == [1, 2, 3]
    assert all(r.status is None and r.error for r in records)
    assert len(sleeps.calls) == 2


def test_malformed_json_raises_payload_error_with_raw_text(echo_sim, sleeps):
    echo_sim.faults.add("malformed", body='{"orders": [1, 2')
    with pytest.raises(errors.PayloadError) as info:
        make(echo_sim, sleeps).request("GET", "/echo")
    assert info.value.details == '{"orders": [1, 2'
    assert not info.value.retryable
    assert len(api_requests(echo_sim, "/echo")) == 1


def test_non_json_allowed_when_not_expected(echo_sim, sleeps):
    resp = make(echo_sim, sleeps).request("GET", "/text", expect_json=False)
    assert resp.text == "plain words, not JSON"
    assert resp.data is None
    empty = make(echo_sim, sleeps).request("GET", "/empty")
    assert (empty.status, empty.data) == (204, None)


def test_html_401_becomes_auth_error(echo_sim, sleeps):
    with pytest.raises(errors.AuthError) as info:
        make(echo_sim, sleeps).request("GET", "/html401")
    assert info.value.status == 401
    assert "Unauthorized Token expired" in info.value.message
    assert "<" not in info.value.message
    assert not info.value.retryable
    assert len(api_requests(echo_sim, "/html401")) == 1


def test_403_becomes_auth_error(echo_sim, sleeps):
    with pytest.raises(errors.AuthError) as info:
        make(echo_sim, sleeps).request("GET", "/status/403", params={"msg": "no scope"})
    assert (info.value.status, info.value.message) == (403, "no scope")


def test_other_4xx_becomes_validation_error_with_message(echo_sim, sleeps):
    with pytest.raises(errors.ValidationError) as info:
        make(echo_sim, sleeps).request(
            "GET", "/status/422", params={"msg": "batch limit 100 exceeded"}
        )
    assert info.value.status == 422
    assert info.value.message == "batch limit 100 exceeded"
    assert info.value.details == {"error": "batch limit 100 exceeded"}
    assert sleeps.calls == []


def test_business_error_with_http_200_is_left_to_the_adapter(echo_sim, sleeps):
    resp = make(echo_sim, sleeps).request("GET", "/status/200", params={"msg": "bad"})
    assert resp.data == {"error": "bad"}


def test_on_call_failure_does_not_break_the_request(echo_sim, sleeps, caplog):
    def hook(record):
        raise RuntimeError("hook is broken")

    t = HttpTransport(echo_sim.url, on_call=hook, sleep=sleeps)
    assert t.request("GET", "/echo").status == 200
    assert "hook is broken" in caplog.text


def test_bodies_are_capped_in_records(echo_sim, sleeps):
    records = []
    resp = make(echo_sim, sleeps, records).request(
        "GET", "/big", params={"size": 70000}
    )
    full = len(resp.text)
    body = records[0].response_body
    assert full > BODY_CAP
    assert body.endswith(f"...[truncated {full - BODY_CAP} chars]")
    assert len(body) == BODY_CAP + len(f"...[truncated {full - BODY_CAP} chars]")


def test_rate_limiter_is_asked_before_every_attempt(echo_sim, sleeps):
    class Counter:
        calls = 0

        def acquire(self):
            self.calls += 1

    limiter = Counter()
    echo_sim.faults.add("status", status=500, times=2)
    make(echo_sim, sleeps, rate_limiter=limiter).request("GET", "/echo")
    assert limiter.calls == 3


def test_parse_retry_after():
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470) == 10.0
