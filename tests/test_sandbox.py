import base64
import json
import os
import selectors
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from omni_sandbox import SIMULATORS, Reply, Simulator, get_simulator, html_reply, route
from omni_sandbox.generic import (
    HOSTILE_ORDER_KINDS,
    GenericChannelSimulator,
    OrderRefused,
    hostile_order_body,
)

ROOT = Path(__file__).resolve().parent.parent


def api(sim, method, path, **kw):
    headers = {"X-Api-Key": sim.api_key, **kw.pop("headers", {})}
    return requests.request(method, sim.url + path, headers=headers, timeout=5, **kw)


def ctl(sim, method, path, **kw):
    return requests.request(method, sim.url + "/_sandbox/" + path, timeout=5, **kw)


def test_faults_fire_in_fifo_order_and_times(generic_sim):
    generic_sim.faults.add("status", status=500, times=2)
    generic_sim.faults.add("status", status=503, retry_after=4)
    statuses = [api(generic_sim, "GET", "/api/ping") for _ in range(4)]
    assert [r.status_code for r in statuses] == [500, 500, 503, 200]
    assert statuses[2].headers["Retry-After"] == "4"
    assert len(generic_sim.faults) == 0


def test_fault_path_and_method_filters(generic_sim):
    generic_sim.add_offer("A-1", quantity=1)
    generic_sim.faults.add("status", path="/api/stock", status=429)
    generic_sim.faults.add(
        "status", path="/api/orders/*/status", method="POST", status=502
    )
    assert api(generic_sim, "GET", "/api/ping").status_code == 200
    assert api(generic_sim, "GET", "/api/orders").status_code == 200
    body = {"items": [{"sku": "A-1", "quantity": 2}]}
    assert api(generic_sim, "POST", "/api/stock", json=body).status_code == 429
    assert generic_sim.applied == []  # a status fault does not apply the request
    assert api(generic_sim, "POST", "/api/stock", json=body).status_code == 200
    answer = api(
        generic_sim, "POST", "/api/orders/G-1/status", json={"status": "confirmed"}
    )
    assert answer.status_code == 502


def test_latency_fault_delays_then_applies(generic_sim):
    generic_sim.add_offer("A-1", quantity=1)
    generic_sim.faults.add("latency", seconds=0.3)
    started = time.monotonic()
    answer = api(
        generic_sim,
        "POST",
        "/api/stock",
        json={"items": [{"sku": "A-1", "quantity": 5}]},
    )
    assert time.monotonic() - started >= 0.3
    assert answer.json() == {"updated": ["A-1"], "errors": {}}
    assert generic_sim.offer("A-1")["quantity"] == 5


def test_malformed_fault_does_not_apply(generic_sim):
    generic_sim.add_offer("A-1", quantity=1)
    generic_sim.faults.add("malformed")
    answer = api(
        generic_sim,
        "POST",
        "/api/stock",
        json={"items": [{"sku": "A-1", "quantity": 5}]},
    )
    assert answer.status_code == 200
    with pytest.raises(ValueError):
        answer.json()
    assert generic_sim.offer("A-1")["quantity"] == 1


def test_duplicate_fault_waits_for_an_order_listing(generic_sim):
    generic_sim.add_offer("A-1", quantity=5)
    generic_sim.faults.add("duplicate")
    generic_sim.place_order({"name": "A"}, [{"sku": "A-1", "quantity": 1}])
    assert api(generic_sim, "GET", "/api/ping").status_code == 200
    assert len(generic_sim.faults) == 1  # not consumed by other paths
    first = api(generic_sim, "GET", "/api/orders").json()  # nothing to repeat yet
    assert len(generic_sim.faults) == 0
    again = api(
        generic_sim, "GET", "/api/orders", params={"since": first["cursor"]}
    ).json()
    assert [o["id"] for o in first["orders"]] == ["G-1001"]
    assert again["orders"] == []


def test_timeout_fault_hangs_up_and_stop_releases_it():
    sim = GenericChannelSimulator(api_key="k-timeout").start()
    sim.add_offer("A-1", quantity=1)
    sim.faults.add("timeout")  # 30 s by default
    outcome = {}

    def call():
        try:
            api(
                sim,
                "POST",
                "/api/stock",
                json={"items": [{"sku": "A-1", "quantity": 9}]},
            )
        except requests.RequestException as err:
            outcome["error"] = err

    thread = threading.Thread(target=call)
    thread.start()
    deadline = time.monotonic() + 5
    while not sim.requests and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sim.requests and sim.requests[0]["fault"] == "timeout"
    started = time.monotonic()
    sim.stop()
    thread.join(5)
    assert time.monotonic() - started < 3
    assert isinstance(outcome.get("error"), requests.ConnectionError)
    assert sim.offer("A-1")["quantity"] == 1  # never applied


def test_probability_rule_keeps_firing_until_cleared():
    with GenericChannelSimulator(api_key="k-rule", fault_seed=7) as sim:
        sim.faults.add("status", status=503, times=None, probability=0.5)
        codes = [api(sim, "GET", "/api/ping").status_code for _ in range(40)]
        assert 5 < codes.count(503) < 35
        assert set(codes) == {200, 503}
        assert len(sim.faults) == 1
        sim.faults.clear()
        assert api(sim, "GET", "/api/ping").status_code == 200


def test_fault_arguments_are_checked(generic_sim):
    with pytest.raises(ValueError):
        generic_sim.faults.add("explode")
    with pytest.raises(ValueError):
        generic_sim.faults.add("latency", status=500)
    with pytest.raises(ValueError):
        generic_sim.faults.add("status", status=700)
    with pytest.raises(ValueError):
        generic_sim.faults.add("status", times=0)


def test_auth_routes_and_errors(generic_sim):
    wrong = api(generic_sim, "GET", "/api/ping", headers={"X-Api-Key": "nope"})
    assert (wrong.status_code, wrong.json()) == (401, {"error": "unauthorized"})
    assert api(generic_sim, "GET", "/api/nothing").status_code == 404
    assert api(generic_sim, "DELETE", "/api/ping").status_code == 405
    bad = api(generic_sim, "POST", "/api/stock", data="{not json")
    assert bad.status_code == 400


def test_stock_and_price_validation(generic_sim):
    generic_sim.add_offer("A-1", quantity=1)
    items = [
        {"sku": "A-1", "quantity": "5"},
        {"sku": "A-1", "quantity": 1.5},
        {"sku": "A-1", "quantity": True},
        {"quantity": 1},
    ]
    answer = api(generic_sim, "POST", "/api/stock", json={"items": items}).json()
    assert answer == {
        "updated": [],
        "errors": {
            "A-1": "quantity must be a non-negative integer",
            "#3": "item has no sku",
        },
    }
    prices = [{"sku": "A-1", "price": "12.345"}]
    answer = api(generic_sim, "POST", "/api/prices", json={"items": prices}).json()
    assert answer["updated"] == [] and "A-1" in answer["errors"]
    prices = [{"sku": "A-1", "price": 12.5}]
    answer = api(generic_sim, "POST", "/api/prices", json={"items": prices}).json()
    assert answer["updated"] == ["A-1"]
    assert generic_sim.offer("A-1")["price"] == "12.50"


def test_buyer_orders_only_what_is_displayed(generic_sim):
    generic_sim.add_offer("A-1", quantity=3, price="10.00")
    generic_sim.add_offer("OFF", quantity=3, active=False)
    order = generic_sim.place_order(
        {"name": "B", "phone": "0671234567"},
        [{"sku": "A-1", "quantity": 1}, {"sku": "A-1", "quantity": 1}],
    )
    assert order["total"] == "20.00"
    assert order["delivery"]["recipient_phone"] == "0671234567"
    assert generic_sim.offer("A-1")["quantity"] == 1
    with pytest.raises(OrderRefused, match="shows 1, 2 wanted"):
        generic_sim.place_order({}, [{"sku": "A-1", "quantity": 2}])
    with pytest.raises(OrderRefused, match="not on sale"):
        generic_sim.place_order({}, [{"sku": "OFF", "quantity": 1}])
    assert generic_sim.offer("A-1")["quantity"] == 1
    assert len(generic_sim.orders) == 1


def test_control_endpoints_drive_the_simulator(generic_sim):
    created = ctl(
        generic_sim,
        "POST",
        "offers",
        json={
            "offers": [
                {"sku": "A-1", "quantity": 2, "price": "5.00"},
                {"sku": "B-2", "quantity": 0, "price": "7.00"},
            ]
        },
    )
    assert created.status_code == 201
    placed = ctl(
        generic_sim,
        "POST",
        "orders",
        json={"customer": {"name": "C"}, "lines": [{"sku": "A-1", "quantity": 2}]},
    )
    assert placed.status_code == 201
    order_id = placed.json()["id"]
    refused = ctl(
        generic_sim,
        "POST",
        "orders",
        json={"customer": {"name": "C"}, "lines": [{"sku": "B-2", "quantity": 1}]},
    )
    assert (refused.status_code, refused.json()["refused"]) == (409, True)
    cancelled = ctl(
        generic_sim, "POST", f"orders/{order_id}/cancel", json={"reason": "x"}
    )
    assert cancelled.json()["status"] == "cancelled"
    assert ctl(generic_sim, "POST", "orders/G-9/cancel").status_code == 404
    raw = ctl(generic_sim, "POST", "raw_orders", json={"text": "garbage"})
    assert raw.status_code == 201
    added = ctl(
        generic_sim,
        "POST",
        "faults",
        json=[
            {"kind": "status", "status": 500, "path": "/api/ping"},
            {"kind": "latency", "seconds": 0.01},
        ],
    )
    assert added.json()["pending"] == 2
    assert ctl(generic_sim, "POST", "faults", json={"kind": "nope"}).status_code == 400
    assert len(ctl(generic_sim, "GET", "faults").json()["pending"]) == 2
    assert api(generic_sim, "GET", "/api/ping").status_code == 500
    assert ctl(generic_sim, "DELETE", "faults").json() == {"cleared": 1}
    state = ctl(generic_sim, "GET", "state").json()
    assert state["simulator"] == "generic"
    assert [o["quantity"] for o in state["offers"]] == [0, 0]
    assert [o["status"] for o in state["orders"]] == ["cancelled"]
    assert state["raw_orders"][0]["entry"] == "garbage"
    log = ctl(generic_sim, "GET", "requests").json()["requests"]
    assert [(r["path"], r["status"], r["fault"]) for r in log] == [
        ("/api/ping", 500, "status")
    ]
    assert ctl(generic_sim, "POST", "reset").json() == {"ok": True}
    state = ctl(generic_sim, "GET", "state").json()
    assert (state["offers"], state["orders"], state["seq"]) == ([], [], 0)
    assert generic_sim.requests == []


def test_registry_resolves_lazily():
    assert "generic" in SIMULATORS
    assert get_simulator("generic") is GenericChannelSimulator
    with pytest.raises(KeyError, match="unknown simulator"):
        get_simulator("nope")


def test_cli_serves_a_simulator_until_terminated(free_port):
    env = dict(os.environ)
    paths = [str(ROOT / "sandbox"), str(ROOT / "connectors"), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "omni_sandbox",
            "generic",
            "--port",
            str(free_port),
            "--api-key",
            "cli-key-123",
            "--shop",
            "CLI Shop",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        assert selector.select(timeout=15), "the CLI printed nothing"
        url = proc.stdout.readline().strip()
        assert url == f"http://127.0.0.1:{free_port}"
        answer = requests.get(
            url + "/api/ping", headers={"X-Api-Key": "cli-key-123"}, timeout=5
        )
        assert answer.json() == {"ok": True, "shop": "CLI Shop"}
    finally:
        proc.terminate()
        code = proc.wait(timeout=10)
    assert code == 0


class NpLikeSimulator(Simulator):
    """One JSON endpoint dispatching on the body, print URLs, repeated parameters."""

    name = "np-like"

    def reset_state(self):
        self.saved = []

    @route("POST", "/v2.0/json/")
    def json_api(self, req):
        body = req.json()
        if body.get("calledMethod") == "save":
            with self.lock:
                self.saved.append(body["methodProperties"])
                number = f"2045{len(self.saved):010d}"
            return {"success": True, "data": [{"IntDocNumber": number}]}
        return {"success": True, "data": []}

    @route("GET", "/orders/printDocument/orders[]/{ref}/type/pdf/apiKey/{key}")
    def print_document(self, req):
        return Reply(body=b"%PDF-1.4 " + req.params["ref"].encode(), content_type="application/pdf")

    @route("GET", "/files/{name:path}")
    def files(self, req):
        return {"name": req.params["name"]}

    @route("GET", "/міста/{city}")
    def city(self, req):
        return {"city": req.params["city"], "raw": req.raw_path}

    @route("GET", "/shifts")
    def shifts(self, req):
        return {"all": req.query_all.get("statuses[]", []), "first": req.query.get("statuses[]")}

    def not_found_reply(self, req):
        return html_reply("<html><body><h1>404</h1></body></html>", status=404)


@pytest.fixture
def np_sim():
    with NpLikeSimulator() as sim:
        yield sim


def np_call(sim, method, **kw):
    body = {"apiKey": "np-key-0123456789", "modelName": "InternetDocument"}
    body.update(calledMethod=method, methodProperties=kw)
    return requests.post(sim.url + "/v2.0/json/", json=body, timeout=5)


def test_fault_matches_on_the_json_body(np_sim):
    np_sim.faults.add("status", status=500, match={"calledMethod": "save"})
    assert np_call(np_sim, "getDocumentList").status_code == 200
    assert len(np_sim.faults) == 1  # another method of the same endpoint: untouched
    assert np_call(np_sim, "save", Weight="1").status_code == 500
    assert np_sim.saved == []
    assert np_call(np_sim, "save", Weight="1").status_code == 200
    np_sim.faults.add("status", status=503, match={"calledMethod": "save"})
    broken = requests.post(np_sim.url + "/v2.0/json/", data="not json", timeout=5)
    assert broken.status_code == 400  # a body that is not JSON never matches
    assert len(np_sim.faults) == 1


def test_body_match_fault_through_the_control_route(np_sim):
    spec = {"kind": "status", "status": 502, "match": {"calledMethod": "save"}}
    added = ctl(np_sim, "POST", "faults", json=spec)
    assert added.status_code == 201
    assert added.json()["added"][0]["match"] == {"calledMethod": "save"}
    bad = ctl(np_sim, "POST", "faults", json=dict(spec, match="save"))
    assert bad.status_code == 400
    assert np_call(np_sim, "getDocumentList").status_code == 200
    assert np_call(np_sim, "save").status_code == 502


def test_after_timeout_applies_then_hangs_up(np_sim):
    np_sim.faults.add("timeout", seconds=3, after=True, match={"calledMethod": "save"})
    with pytest.raises(requests.ReadTimeout):
        requests.post(
            np_sim.url + "/v2.0/json/",
            json={"calledMethod": "save", "methodProperties": {"Weight": "1"}},
            timeout=(2, 0.5),
        )
    assert np_sim.saved == [{"Weight": "1"}]  # the TTN exists, the answer is lost
    assert [r["fault"] for r in np_sim.requests] == ["timeout"]


def test_after_status_applies_then_answers_the_error(generic_sim):
    generic_sim.add_offer("A-1", quantity=1)
    generic_sim.faults.add("status", status=500, after=True, path="/api/stock")
    body = {"items": [{"sku": "A-1", "quantity": 6}]}
    assert api(generic_sim, "POST", "/api/stock", json=body).status_code == 500
    assert generic_sim.offer("A-1")["quantity"] == 6
    with pytest.raises(ValueError, match="after=True"):
        generic_sim.faults.add("malformed", after=True)


def test_routes_match_the_decoded_path_and_catch_all(np_sim):
    answer = requests.get(np_sim.url + "/files/labels/2045/a%20b.pdf", timeout=5)
    assert answer.json() == {"name": "labels/2045/a b.pdf"}
    city = requests.get(np_sim.url + "/міста/Київ", timeout=5).json()
    assert city["city"] == "Київ"
    assert city["raw"].startswith("/%D0%BC")
    pdf = requests.get(
        np_sim.url + "/orders/printDocument/orders[]/REF-1/type/pdf/apiKey/np-key-0123456789",
        timeout=5,
    )
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.content == b"%PDF-1.4 REF-1"


def test_query_all_keeps_repeated_parameters(np_sim):
    answer = requests.get(
        np_sim.url + "/shifts", params={"statuses[]": ["OPENED", "CLOSING"]}, timeout=5
    )
    assert answer.json() == {"all": ["OPENED", "CLOSING"], "first": "OPENED"}


def test_not_found_reply_answers_like_the_real_api(np_sim, generic_sim):
    answer = requests.get(np_sim.url + "/no/such/path", timeout=5)
    assert answer.status_code == 404
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "<h1>404</h1>" in answer.text
    unknown_control = requests.get(np_sim.url + "/_sandbox/nothing", timeout=5)
    assert (unknown_control.status_code, unknown_control.json()) == (
        404,
        {"error": "no route for /_sandbox/nothing"},
    )
    default = api(generic_sim, "GET", "/api/nothing")
    assert (default.status_code, default.json()) == (
        404,
        {"error": "no route for /api/nothing"},
    )


def test_request_log_masks_credentials(np_sim):
    key = "np-key-0123456789"
    np_call(np_sim, "save", Weight="1")
    requests.get(
        np_sim.url + f"/orders/printDocument/orders[]/REF-1/type/pdf/apiKey/{key}",
        headers={"Authorization": "Bearer tok-abcdef123456", "X-License-Key": "lic-987654"},
        params={"token": "qtok-55555"},
        timeout=5,
    )
    requests.post(
        np_sim.url + "/sites",
        data={"username": "shop@example.ua", "password": "c2VjcmV0LXB3"},
        timeout=5,
    )
    requests.post(
        np_sim.url + "/files/x",
        json={"login": "cashier", "pin_code": "4321", "nested": [{"password": "pw-12345"}]},
        timeout=5,
    )
    log = ctl(np_sim, "GET", "requests").json()["requests"]
    text = json.dumps(log, ensure_ascii=False)
    for secret in (key, "tok-abcdef123456", "lic-987654", "qtok-55555", "c2VjcmV0LXB3", "pw-12345"):
        assert secret not in text
    assert '"pin_code": "4321"' not in text
    assert json.loads(log[0]["body"])["apiKey"] == "***"
    assert json.loads(log[0]["body"])["calledMethod"] == "save"
    assert log[1]["path"].endswith("/apiKey/***")
    assert log[1]["headers"]["authorization"] == "Bearer ***"
    assert log[1]["headers"]["x-license-key"] == "***"
    assert log[1]["query"] == {"token": "***"}
    assert log[2]["body"] == "username=shop%40example.ua&password=%2A%2A%2A"
    assert json.loads(log[3]["body"])["login"] == "cashier"
    assert np_sim.saved == [{"Weight": "1"}]  # handlers still saw the real request


# -- hostile input -----------------------------------------------------------------

HOSTILE_REQUEST_BODIES = {
    "lone surrogate": b'{"items": [{"sku": "A-1\\ud800", "quantity": 1}]}',
    "lone surrogate in a key": b'{"items\\udfff": []}',
    "escaped NUL": b'{"items": [{"sku": "A\\u0000", "quantity": 1}]}',
    "raw NUL": b'{"items": [{"sku": "A\x00", "quantity": 1}]}',
    "NUL bytes only": b"\x00\x00\x00",
    "not UTF-8": b'{"items": [{"sku": "\xff\xfe", "quantity": 1}]}',
    "UTF-16": '{"items": []}'.encode("utf-16"),
    "nested too deep": b"[" * 100_000 + b"]" * 100_000,
}


@pytest.mark.parametrize("name", sorted(HOSTILE_REQUEST_BODIES))
def test_hostile_request_bodies_answer_400_json_and_the_simulator_keeps_serving(
    generic_sim, name
):
    generic_sim.add_offer("A-1", quantity=1)
    body = HOSTILE_REQUEST_BODIES[name]
    headers = {"Content-Type": "application/json"}
    for path in ("/api/stock", "/api/orders/G-1/status"):
        answer = api(generic_sim, "POST", path, data=body, headers=headers)
        assert answer.status_code == 400, (path, answer.text)
        assert answer.headers["Content-Type"].startswith("application/json")
        assert answer.json()["error"]
    for path in ("offers", "orders", "raw_orders", "faults"):
        assert ctl(generic_sim, "POST", path, data=body, headers=headers).status_code == 400
    assert generic_sim.offer("A-1")["quantity"] == 1
    assert generic_sim.applied == [] and len(generic_sim.faults) == 0
    # the request log holds the hostile bodies and is still served as JSON
    log = ctl(generic_sim, "GET", "requests").json()["requests"]
    assert [entry["status"] for entry in log] == [400, 400]
    assert ctl(generic_sim, "GET", "state").status_code == 200
    assert api(generic_sim, "GET", "/api/ping").json()["ok"] is True


def test_hostile_bodies_never_match_a_body_fault(np_sim):
    np_sim.faults.add("status", status=500, match={"calledMethod": "save"})
    body = b'{"calledMethod": "save", "methodProperties": {"Description": "\\ud800"}}'
    answer = requests.post(np_sim.url + "/v2.0/json/", data=body, timeout=5)
    assert answer.status_code == 400  # the handler refused it; the fault waits
    assert len(np_sim.faults) == 1 and np_sim.saved == []


def test_oversized_and_unsendable_answers_do_not_stop_the_simulator(generic_sim):
    generic_sim.max_body = 100
    answer = api(generic_sim, "POST", "/api/stock", data=b"x" * 101)
    assert answer.status_code == 413
    # a handler whose reply cannot be sent (a header outside Latin-1) answers 500
    generic_sim.add_route(
        "GET", "/api/bad-header", lambda req: Reply(body={}, headers={"X-Name": "Київ"})
    )
    assert api(generic_sim, "GET", "/api/bad-header").status_code == 500
    # text a handler produced with a lone surrogate still goes out
    generic_sim.add_offer("A-1", name="Чайник \ud800", quantity=1)
    offers = api(generic_sim, "GET", "/api/offers")
    assert offers.status_code == 200
    assert offers.json()["offers"][0]["name"] == "Чайник \ud800"
    assert "\\ud800" in offers.text  # sent as an ASCII escape, valid JSON
    assert ctl(generic_sim, "GET", "state").status_code == 200
    assert api(generic_sim, "GET", "/api/ping").status_code == 200


def orders_page(sim, since=None):
    params = {"since": since} if since is not None else {}
    return api(sim, "GET", "/api/orders", params=params)


def test_an_injected_order_body_is_served_byte_for_byte(generic_sim):
    generic_sim.add_offer("A-1", quantity=5, price="10.00")
    generic_sim.place_order({"name": "A"}, [{"sku": "A-1", "quantity": 1}])
    text = '{"id": "H-1", "customer": {"name": "\\ud800"}, "total": 1e308}'
    seq = generic_sim.inject_order_body(text)
    raw = b'{"id": "H-2", "customer": {"name": "\xff\xfe"}}'
    generic_sim.inject_order_body(raw)
    page = orders_page(generic_sim)
    assert page.status_code == 200
    assert page.content.startswith(b'{"orders": [{"id": "G-1001"')
    assert (b", " + text.encode() + b", " + raw + b"]") in page.content
    data = json.loads(page.content.decode("utf-8", "replace"))
    assert [o["id"] for o in data["orders"]] == ["G-1001", "H-1", "H-2"]
    assert data["orders"][1]["customer"]["name"] == "\ud800"
    assert data["cursor"] == str(seq + 1) and data["has_more"] is False
    last = orders_page(generic_sim, since=seq)
    assert last.content == b'{"orders": [' + raw + b'], "cursor": "%d", "has_more": false}' % (
        seq + 1
    )
    # a duplicate listing repeats the last page exactly, hostile bytes included
    generic_sim.faults.add("duplicate")
    again = orders_page(generic_sim, since=data["cursor"])
    assert again.content == last.content
    state = ctl(generic_sim, "GET", "state").json()
    assert state["raw_orders"][0] == {"seq": seq, "body": text}
    assert state["raw_orders"][1]["body"].endswith('\\xff\\xfe"}}')
    with pytest.raises(ValueError):
        generic_sim.inject_order_body({"id": "not text"})


@pytest.mark.parametrize("kind", HOSTILE_ORDER_KINDS)
def test_hostile_orders_through_the_control_route(generic_sim, kind):
    answer = ctl(generic_sim, "POST", "raw_orders", json={"hostile": kind, "id": f"H-{kind}"})
    assert answer.status_code == 201
    seq = answer.json()["seq"]
    body = hostile_order_body(kind, f"H-{kind}", seq)
    page = orders_page(generic_sim).content
    assert page == b'{"orders": [' + body + b'], "cursor": "%d", "has_more": false}' % seq
    assert body.startswith(b'{"id": "H-%s", "status": "new", "seq": %d' % (kind.encode(), seq))
    marker = {
        "lone_surrogate": b"\\ud800",
        "nul": b"\\u0000",
        "raw_nul": b"\x00",
        "invalid_utf8": b"\xff\xfe",
        "huge_price": b'"price": 1e308',
        "overflow_price": b'"price": 1e999',
        "huge_quantity": b'"quantity": 1e20',
        "deep_nesting": b'"comment": [[[[',
    }[kind]
    assert marker in body
    assert api(generic_sim, "GET", "/api/ping").status_code == 200


def test_raw_order_control_route_takes_exact_text_and_base64(generic_sim):
    text = '{"id": "H-9", "name": "Тарас\\u0000"}'
    assert ctl(generic_sim, "POST", "raw_orders", json={"body": text}).status_code == 201
    raw = b'{"id": "H-10", "name": "\xc3\x28"}'
    encoded = base64.b64encode(raw).decode()
    assert ctl(generic_sim, "POST", "raw_orders", json={"body_base64": encoded}).status_code == 201
    page = orders_page(generic_sim).content
    assert text.encode() + b", " + raw in page
    for bad in ({"body_base64": "@@@"}, {"hostile": "nope"}, {"other": 1}):
        assert ctl(generic_sim, "POST", "raw_orders", json=bad).status_code == 400
    assert len(generic_sim.raw_orders) == 2
    with pytest.raises(ValueError, match="unknown hostile order"):
        hostile_order_body("nope")
