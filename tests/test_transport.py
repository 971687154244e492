import json
import time
from dataclasses import asdict
from email.utils import formatdate

import pytest

from omni_connectors.core import errors
from omni_connectors.core import transport as transport_mod
from omni_connectors.core.transport import (
    BODY_CAP,
    HttpTransport,
    parse_retry_after,
    success_flag_check,
)


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


def test_retry_after_is_honoured_as_sent_not_clipped_to_backoff_max(echo_sim, sleeps):
    echo_sim.faults.add("status", status=429, retry_after=120)
    make(echo_sim, sleeps, backoff_max=7).request("GET", "/echo")
    assert sleeps.calls == [120.0]  # one wait as asked, then one successful retry
    assert len(api_requests(echo_sim, "/echo")) == 2


def test_retry_after_above_the_cap_is_left_to_the_caller(echo_sim, sleeps):
    echo_sim.faults.add("status", status=429, retry_after=400)
    with pytest.raises(errors.RateLimitError) as info:
        make(echo_sim, sleeps).request("GET", "/echo")
    assert info.value.retry_after == 400.0
    assert sleeps.calls == []
    assert len(api_requests(echo_sim, "/echo")) == 1
    echo_sim.faults.add("status", status=503, retry_after=400)
    make(echo_sim, sleeps, retry_after_cap=600).request("GET", "/echo")
    assert sleeps.calls == [400.0]


def test_429_exhausted_raises_rate_limit_with_server_delay(echo_sim, sleeps):
    echo_sim.faults.add("status", status=429, retry_after=42, times=3)
    with pytest.raises(errors.RateLimitError) as info:
        make(echo_sim, sleeps, max_retries=2, backoff_max=5).request("GET", "/echo")
    assert info.value.retry_after == 42.0  # uncapped: the job can wait that long
    assert info.value.status == 429
    assert info.value.retryable
    assert len(api_requests(echo_sim, "/echo")) == 3
    assert sleeps.calls == [42.0, 42.0]


def test_a_long_retry_after_is_not_slept_inline(echo_sim, sleeps):
    echo_sim.faults.add("status", status=429, retry_after=20, times=5)
    with pytest.raises(errors.RateLimitError) as info:
        make(echo_sim, sleeps, max_inline_wait=2).request("GET", "/echo")
    assert info.value.retry_after == 20.0
    assert len(api_requests(echo_sim, "/echo")) == 1  # exactly one request
    assert sleeps.calls == []


def test_a_short_retry_after_is_slept_exactly(echo_sim, sleeps):
    echo_sim.faults.add("status", status=429, retry_after="1.5")
    resp = make(echo_sim, sleeps, max_inline_wait=2).request("GET", "/echo")
    assert resp.status == 200
    assert sleeps.calls == [1.5]  # as asked, no jitter


def test_503_with_a_long_retry_after_is_left_to_the_caller(echo_sim, sleeps):
    echo_sim.faults.add("status", status=503, retry_after=20)
    with pytest.raises(errors.RemoteError) as info:
        make(echo_sim, sleeps, max_inline_wait=2).request("POST", "/echo", json={})
    assert (info.value.status, info.value.retry_after) == (503, 20.0)
    assert info.value.retryable
    assert echo_sim.received == []


def test_a_long_backoff_is_not_slept_inline(echo_sim, sleeps, monkeypatch):
    monkeypatch.setattr(transport_mod.random, "uniform", lambda low, high: high)
    echo_sim.faults.add("status", status=500, times=5)
    with pytest.raises(errors.RemoteError) as info:
        make(echo_sim, sleeps, backoff_base=1, max_inline_wait=2).request("GET", "/echo")
    assert sleeps.calls == [1.0, 2.0]  # the third wait, 4 s, is the caller's
    assert info.value.retry_after == 4.0
    assert len(api_requests(echo_sim, "/echo")) == 3


def test_network_errors_carry_the_wait_they_were_denied(free_port, sleeps, monkeypatch):
    monkeypatch.setattr(transport_mod.random, "uniform", lambda low, high: high)
    t = make(f"http://127.0.0.1:{free_port}", sleeps, max_inline_wait=0.1)
    with pytest.raises(errors.TransportError) as info:
        t.request("GET", "/echo")
    assert (info.value.retry_after, sleeps.calls) == (0.5, [])
    with pytest.raises(ValueError):
        HttpTransport("http://x.invalid", max_inline_wait=-1)


def test_retry_after_is_none_when_unknown(echo_sim, sleeps):
    echo_sim.faults.add("status", status=502, times=2)
    with pytest.raises(errors.RemoteError) as info:
        make(echo_sim, sleeps, max_retries=1).request("GET", "/echo")
    assert info.value.retry_after is None
    with pytest.raises(errors.ValidationError) as info:
        make(echo_sim, sleeps).request("GET", "/status/422")
    assert info.value.retry_after is None


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


def test_binary_body_comes_back_as_identical_bytes(echo_sim, sleeps):
    records = []
    t = make(echo_sim, sleeps, records)
    resp = t.request("GET", "/print/label/2045.pdf", expect="bytes")
    assert resp.content == echo_sim.PDF
    assert resp.content.startswith(b"%PDF-")
    assert (resp.text, resp.data) == ("", None)
    assert resp.headers["content-type"] == "application/pdf"
    assert records[0].response_body == f"<{len(echo_sim.PDF)} bytes, application/pdf>"
    # asked as text, the body is still kept as bytes and recorded as such
    as_text = t.request("GET", "/print/label/2045.pdf", expect_json=False)
    assert as_text.content == echo_sim.PDF
    assert records[1].response_body == f"<{len(echo_sim.PDF)} bytes, application/pdf>"


def test_text_and_json_answers_keep_their_bytes_too(echo_sim, sleeps):
    records = []
    t = make(echo_sim, sleeps, records)
    resp = t.request("GET", "/text", expect="text")
    assert resp.content == b"plain words, not JSON"
    assert resp.text == "plain words, not JSON"
    assert records[0].response_body == "plain words, not JSON"
    resp = t.request("GET", "/echo", expect="json")
    assert resp.data["method"] == "GET"
    assert resp.content.decode() == resp.text
    with pytest.raises(ValueError, match="expect must be one of"):
        t.request("GET", "/echo", expect="xml")


def test_endpoint_and_url_are_redacted(echo_sim, sleeps):
    key = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
    ref = "ab0e1c2d-3f45-11ee-8ced-005056b2dbe1"
    path = f"/print/printDocument/orders[]/{ref}/type/pdf/apiKey/{key}"
    for secrets in ((), (key,)):  # masked by the segment name, and by value
        records = []
        t = make(echo_sim, sleeps, records, secrets=secrets)
        assert t.request("GET", path, expect="bytes").content == echo_sim.PDF
        record = records[0]
        assert record.endpoint == f"/print/printDocument/orders[]/{ref}/type/pdf/apiKey/***"
        assert record.url.endswith(record.endpoint)
        assert key not in repr(asdict(record))


def test_post_is_not_resent_after_a_read_timeout_by_default(echo_sim, sleeps):
    echo_sim.faults.add("timeout", path="/echo", seconds=3, after=True)
    t = make(echo_sim, sleeps, timeout=(1, 0.5))
    with pytest.raises(errors.TimeoutError_) as info:
        t.request("POST", "/echo", json={"ttn": "create"})
    assert info.value.retryable  # the caller decides, e.g. by looking the TTN up
    assert echo_sim.received == ['{"ttn": "create"}']  # applied once, never twice
    assert len(api_requests(echo_sim, "/echo")) == 1
    assert sleeps.calls == []


def test_post_500_is_not_resent_by_default(echo_sim, sleeps):
    echo_sim.faults.add("status", path="/echo", status=500, after=True)
    with pytest.raises(errors.RemoteError):
        make(echo_sim, sleeps).request("POST", "/echo", json={"n": 1})
    assert echo_sim.received == ['{"n": 1}']


@pytest.mark.parametrize(
    "method, idempotent, sent",
    [("GET", None, 2), ("PUT", None, 2), ("POST", None, 1), ("POST", True, 2), ("PUT", False, 1)],
)
def test_idempotent_follows_the_method_unless_told(echo_sim, sleeps, method, idempotent, sent):
    echo_sim.faults.add("timeout", path="/echo", seconds=3, after=True)
    t = make(echo_sim, sleeps, timeout=(1, 0.5))
    try:
        t.request(method, "/echo", json={"q": 1}, idempotent=idempotent)
    except errors.TimeoutError_:
        assert sent == 1
    assert len(echo_sim.received) == sent


def test_404_is_a_not_found_validation_error(echo_sim, sleeps):
    with pytest.raises(errors.NotFoundError) as info:
        make(echo_sim, sleeps).request("GET", "/status/404", params={"msg": "no receipt"})
    assert isinstance(info.value, errors.ValidationError)
    assert (info.value.status, info.value.message) == (404, "no receipt")
    with pytest.raises(errors.NotFoundError):
        make(echo_sim, sleeps).request("GET", "/no/such/route")


def envelope(t, body, **kw):
    return t.request("GET", "/envelope", params={"body": json.dumps(body)}, **kw)


NP_FAILURE = {
    "success": False,
    "data": [],
    "errors": ["RecipientsPhone invalid format", "Weight is empty"],
    "warnings": [],
    "errorCodes": ["20000300434", "20000400503"],
    "warningCodes": [],
}
ROZETKA_FAILURE = {
    "success": False,
    "errors": {
        "message": "check_correctness_of_data",
        "code": 1005,
        "description": "Перевірте правильність введених даних",
        "details": {"ttn": ["Необхідно заповнити «ТТН»."]},
    },
}


def test_success_flag_check_raises_nova_poshta_errors_with_every_code(echo_sim, sleeps):
    records = []
    t = make(echo_sim, sleeps, records, check=success_flag_check())
    with pytest.raises(errors.ValidationError) as info:
        envelope(t, NP_FAILURE)
    err = info.value
    assert err.message == "RecipientsPhone invalid format; Weight is empty"
    assert (err.code, err.status) == ("20000300434", 200)
    assert err.details["errors"] == NP_FAILURE["errors"]
    assert err.details["errorCodes"] == NP_FAILURE["errorCodes"]
    assert "data" not in err.details
    assert records[0].error == str(err)
    ok = envelope(t, {"success": True, "data": [{"Ref": "x"}], "errors": []})
    assert ok.data["data"] == [{"Ref": "x"}]
    by_field = dict(NP_FAILURE, errors={"RecipientsPhone": "RecipientsPhone invalid format"})
    by_field.pop("errorCodes")
    with pytest.raises(errors.ValidationError) as info:
        envelope(t, by_field)
    assert (info.value.message, info.value.code) == ("RecipientsPhone invalid format", None)


def test_success_flag_check_reads_rozetka_errors_and_classifies(echo_sim, sleeps):
    def classify(code, message):
        return errors.AuthError if code in (1004, 5401, 6001) else None

    t = make(echo_sim, sleeps, check=success_flag_check(classify))
    with pytest.raises(errors.ValidationError) as info:
        envelope(t, ROZETKA_FAILURE)
    assert info.value.message == "Перевірте правильність введених даних"
    assert info.value.code == 1005
    assert info.value.details["errors"]["details"] == {"ttn": ["Необхідно заповнити «ТТН»."]}
    with pytest.raises(errors.AuthError):
        envelope(t, {"success": False, "errors": {"message": "invalid_credentials", "code": 5401}})
    # a call that reads per-item results itself turns the check off
    partial = {"success": False, "errors": {"412908002": {"reason": [{"id": 2}]}}}
    assert envelope(t, partial, check=False).data == partial


def test_check_per_request_may_raise_and_is_redacted(echo_sim, sleeps):
    key = "prom-token-5f3a9c7e"

    def prom_check(response):
        if isinstance(response.data, dict) and "error" in response.data:
            raise errors.ValidationError(response.data["error"], details=response.data)
        return None

    records = []
    t = make(echo_sim, sleeps, records, secrets=(key,))
    body = {"error": f"bad token {key}", "echo": {"token": key}}
    assert envelope(t, body).data == body  # no check: returned as is
    with pytest.raises(errors.ValidationError) as info:
        envelope(t, body, check=prom_check)
    assert key not in str(info.value) and key not in repr(info.value.details)
    assert info.value.status == 200
    assert key not in repr([asdict(r) for r in records])
