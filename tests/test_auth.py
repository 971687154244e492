"""Token logins renewed on expiry, against a loopback simulator that issues tokens."""

import itertools
from dataclasses import asdict

import pytest

from omni_connectors.core import errors
from omni_connectors.core.auth import TokenAuth
from omni_connectors.core.transport import HttpTransport
from omni_sandbox import HttpError, Reply, Simulator, route

PASSWORD = "cashier-pass-771"
ROZETKA_EXPIRED = (6001, 1018, 1020, 5401)


class TokenSimulator(Simulator):
    """Logs in with a password, issues tokens, expires them when told.

    ``expiry`` is how a dead token is answered: ``"401"`` (Checkbox) or
    ``"envelope"``, HTTP 200 with a Rozetka-style ``session_expired`` error.
    """

    name = "tokens"
    _counter = itertools.count(1)

    def reset_state(self):
        self.tokens = {}  # token -> alive
        self.logins = 0
        self.dead_on_issue = 0  # the next N tokens issued are dead at once
        self.expiry = "401"
        self.orders = []

    def expire_all(self):
        with self.lock:
            self.tokens = dict.fromkeys(self.tokens, False)

    @route("POST", "/login")
    def login(self, req):
        if req.json().get("password") != PASSWORD:
            raise HttpError(403, {"message": "Невірний логін або пароль"})
        with self.lock:
            self.logins += 1
            token = f"tok{next(self._counter):04d}-9f8e7d6c5b4a"
            self.tokens[token] = self.dead_on_issue <= 0
            self.dead_on_issue -= 1
        return {"type": "bearer", "token_type": "bearer", "access_token": token}

    def _check_token(self, req):
        token = req.header("Authorization").removeprefix("Bearer ")
        with self.lock:
            alive = self.tokens.get(token)
        if alive:
            return
        if self.expiry == "envelope":
            raise HttpError(
                200,
                {
                    "success": False,
                    "errors": {"message": "session_expired", "code": 6001},
                },
            )
        raise HttpError(401, "<html><body>Token expired</body></html>")

    @route("GET", "/me")
    def me(self, req):
        self._check_token(req)
        return {"ok": True}

    @route("POST", "/receipts")
    def receipt(self, req):
        self._check_token(req)
        with self.lock:
            self.orders.append(req.json())
        return Reply(status=201, body={"id": len(self.orders)})


class PasswordLogin(TokenAuth):
    def __init__(self, password=PASSWORD, **kw):
        super().__init__(**kw)
        self.password = password

    def login(self, transport):
        resp = transport.request(
            "POST",
            "/login",
            json={"login": "cashier", "password": self.password},
            auth=False,
            idempotent=True,
        )
        return resp.data["access_token"]


class EnvelopeLogin(PasswordLogin):
    """Rozetka: an expired session may also come as HTTP 200 with an error code."""

    def is_expired(self, response):
        data = response.data
        if isinstance(data, dict) and data.get("success") is False:
            return (data.get("errors") or {}).get("code") in ROZETKA_EXPIRED
        return super().is_expired(response)


@pytest.fixture
def token_sim():
    with TokenSimulator() as sim:
        yield sim


def make(sim, sleeps, records, auth):
    return HttpTransport(
        sim.url,
        timeout=(1, 2),
        sleep=sleeps,
        on_call=records.append,
        auth=auth,
    )


def assert_no_token_in(records, sim):
    dump = repr([asdict(record) for record in records])
    assert sim.tokens and not any(token in dump for token in sim.tokens)


def test_first_request_logs_in_and_the_token_is_masked(token_sim, sleeps):
    records, seen = [], []
    t = make(token_sim, sleeps, records, PasswordLogin(on_secret=seen.append))
    assert t.request("GET", "/me").data == {"ok": True}
    assert token_sim.logins == 1
    assert seen == list(token_sim.tokens)
    assert [(r.endpoint, r.status) for r in records] == [("/login", 200), ("/me", 200)]
    assert records[1].request_headers["Authorization"] == "Bearer ***"
    assert '"access_token": "***"' in records[0].response_body
    assert '"password": "***"' in records[0].request_body
    assert_no_token_in(records, token_sim)
    t.request("GET", "/me")
    assert token_sim.logins == 1  # the token is kept


def test_expired_token_is_renewed_once_and_the_request_resent(token_sim, sleeps):
    records = []
    t = make(token_sim, sleeps, records, PasswordLogin())
    t.request("GET", "/me")
    token_sim.expire_all()
    # a POST refused as unauthorised was not applied: it is sent again
    resp = t.request("POST", "/receipts", json={"id": "r-1"})
    assert resp.status == 201
    assert token_sim.orders == [{"id": "r-1"}]
    assert token_sim.logins == 2
    assert [(r.endpoint, r.status, r.error) for r in records[2:]] == [
        ("/receipts", 401, "token expired"),
        ("/login", 200, ""),
        ("/receipts", 201, ""),
    ]
    assert sleeps.calls == []
    assert_no_token_in(records, token_sim)


def test_session_expired_envelope_with_http_200_renews_the_token(token_sim, sleeps):
    token_sim.expiry = "envelope"
    records = []
    t = make(token_sim, sleeps, records, EnvelopeLogin())
    t.request("GET", "/me")
    token_sim.expire_all()
    assert t.request("GET", "/me").data == {"ok": True}
    assert token_sim.logins == 2
    assert [r.status for r in records] == [200, 200, 200, 200, 200]
    assert records[2].error == "token expired"
    assert_no_token_in(records, token_sim)


@pytest.mark.parametrize("expiry", ["401", "envelope"])
def test_expiry_after_a_fresh_login_is_an_auth_error(token_sim, sleeps, expiry):
    token_sim.expiry = expiry
    records = []
    t = make(token_sim, sleeps, records, EnvelopeLogin())
    t.request("GET", "/me")
    token_sim.expire_all()
    token_sim.dead_on_issue = 1  # the renewed token is refused as well
    with pytest.raises(errors.AuthError) as info:
        t.request("POST", "/receipts", json={"id": "r-2"})
    assert "fresh token was refused" in str(info.value)
    assert not info.value.retryable
    assert token_sim.logins == 2  # one renewal, no loop
    assert token_sim.orders == []
    assert [r.endpoint for r in records[1:]] == ["/me", "/receipts", "/login", "/receipts"]
    assert_no_token_in(records, token_sim)


def test_wrong_password_fails_at_login_without_retrying(token_sim, sleeps):
    records = []
    t = make(token_sim, sleeps, records, PasswordLogin(password="wrong-pass"))
    with pytest.raises(errors.AuthError) as info:
        t.request("GET", "/me")
    assert info.value.status == 403
    assert [r.endpoint for r in records] == ["/login"]
    assert "wrong-pass" not in repr(asdict(records[0]))


def test_token_cache_is_shared_between_processes(token_sim, sleeps):
    store = {}
    cache = (lambda: store.get("token"), lambda token: store.__setitem__("token", token))
    first_records, second_records, seen = [], [], []
    first = make(token_sim, sleeps, first_records, PasswordLogin(token_cache=cache))
    first.request("GET", "/me")
    assert store["token"] in token_sim.tokens
    # another job, another transport: it reuses the stored token
    auth = PasswordLogin(token_cache=cache, on_secret=seen.append)
    second = make(token_sim, sleeps, second_records, auth)
    second.request("GET", "/me")
    assert token_sim.logins == 1
    assert seen == [store["token"]]
    assert_no_token_in(second_records, token_sim)
    # a stored token that died is replaced, and the new one stored
    token_sim.expire_all()
    stale = store["token"]
    third = make(token_sim, sleeps, [], PasswordLogin(token_cache=cache))
    assert third.request("GET", "/me").data == {"ok": True}
    assert token_sim.logins == 2
    assert store["token"] != stale and token_sim.tokens[store["token"]]


def test_a_request_may_turn_the_auth_off(token_sim, sleeps):
    records = []
    t = make(token_sim, sleeps, records, PasswordLogin())
    with pytest.raises(errors.AuthError):
        t.request("GET", "/me", auth=False)
    assert token_sim.logins == 0
    assert "Authorization" not in records[0].request_headers
