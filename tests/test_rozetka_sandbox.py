"""The Rozetka simulator: the fact sheet's checklist, seen through plain HTTP."""

import base64

import pytest
import requests

from omni_sandbox import get_simulator
from omni_sandbox.rozetka import OrderRefused, RozetkaSimulator


@pytest.fixture
def sim():
    with RozetkaSimulator() as simulator:
        simulator.add_item("A-1", "Чайник", quantity=2, price=640)
        simulator.add_item("FEED-1", "Плед", quantity=5, price=300, managed_by="feed")
        yield simulator


def login(sim, form=False):
    data = {"username": sim.username,
            "password": base64.b64encode(sim.password.encode()).decode()}
    resp = (requests.post(sim.url + "/sites", data=data, timeout=5) if form
            else requests.post(sim.url + "/sites", json=data, timeout=5))
    return resp.json()


def get(sim, token, path, headers=None, **params):
    head = {"Authorization": f"Bearer {token}", **(headers or {})}
    return requests.get(sim.url + path, params=params, headers=head, timeout=5)


def test_registered_for_the_cli():
    assert get_simulator("rozetka") is RozetkaSimulator


def test_login_json_or_form_and_wrong_password(sim):
    assert login(sim)["content"]["market"]["title"] == "Затишна Оселя"
    assert login(sim, form=True)["success"] is True
    resp = requests.post(sim.url + "/sites", json={"username": sim.username,
                                                    "password": sim.password}, timeout=5)
    assert resp.status_code == 200 and resp.json()["errors"]["code"] == 1004
    logged = [r for r in sim.requests if r["path"] == "/sites"]
    assert all(sim.password not in r["body"] for r in logged)


def test_token_expiry_codes(sim):
    token = login(sim)["content"]["access_token"]
    assert get(sim, token, "/orders/counts-new").json()["success"] is True
    sim.expire_tokens()
    resp = get(sim, token, "/orders/counts-new")
    assert resp.status_code == 200 and resp.json()["errors"]["code"] == 6001
    sim.expired_reply = "401"
    resp = get(sim, token, "/orders/counts-new")
    assert resp.status_code == 401 and resp.json()["errors"]["code"] == 5401
    assert get(sim, "nope", "/goods/all").status_code == 401


def test_search_filters_paging_and_expand(sim):
    token = login(sim)["content"]["access_token"]
    for _ in range(2):
        sim.place_order([{"sku": "A-1", "quantity": 1}])
    with pytest.raises(OrderRefused):
        sim.place_order([{"sku": "A-1", "quantity": 1}])  # the buyer sees 0
    first = sim.first_order_id
    sim.cancel_order_remote(first + 1)
    body = get(sim, token, "/orders/search", pageSize=1, sort="-id").json()["content"]
    assert body["_meta"] == {"totalCount": 2, "pageCount": 2, "currentPage": 1, "perPage": 1}
    assert body["orders"][0]["id"] == first + 1
    assert "purchases" not in body["orders"][0]
    assert set(body["totalFields"]) == {"amount", "amount_with_discount", "cost",
                                        "cost_with_discount"}
    new = get(sim, token, "/orders/search", types=4, expand="purchases,delivery").json()
    (order,) = new["content"]["orders"]
    assert order["id"] == first and order["purchases"][0]["item"]["price_offer_id"] == "A-1"
    assert order["delivery"]["city"]["name_ua"] == "Київ"
    assert len(get(sim, token, "/orders/search", status=45).json()["content"]["orders"]) == 1
    assert get(sim, token, "/orders/search", ttn="1").json()["content"]["orders"] == []
    today = order["created"][:10]
    assert len(get(sim, token, "/orders/search",
                   changed_from=today).json()["content"]["orders"]) == 2
    assert get(sim, token, "/orders/search",
               created_to="2000-01-01").json()["content"]["orders"] == []


def test_bad_filters_ignored_unless_validation_asked(sim):
    token = login(sim)["content"]["access_token"]
    assert get(sim, token, "/orders/search", page="x").json()["success"] is True
    resp = get(sim, token, "/orders/search", headers={"Accept-Validate-Exception": "1"},
               page="x").json()
    assert resp["errors"]["code"] == 1002


def test_transitions_and_ttn(sim):
    token = login(sim)["content"]["access_token"]
    placed = sim.place_order([{"sku": "A-1", "quantity": 1}])
    head = {"Authorization": f"Bearer {token}"}
    url = f"{sim.url}/orders/{placed['id']}"
    bad = requests.put(url, json={"status": 6}, headers=head, timeout=5).json()
    assert bad["errors"]["code"] == 1005 and "status" in bad["errors"]["details"]
    ok = requests.patch(url, json={"status": 26}, headers=head, timeout=5).json()
    assert ok["content"]["status"] == 26
    assert requests.put(url, json={"status": 2}, headers=head, timeout=5).json()["success"]
    no_ttn = requests.put(url, json={"status": 3}, headers=head, timeout=5).json()
    assert no_ttn["errors"]["details"] == {"ttn": ["Необхідно заповнити «ТТН»."]}
    moved = requests.put(url, json={"status": 2, "ttn": "20451234567890"}, headers=head,
                         timeout=5).json()
    assert moved["content"]["status"] == 61 and moved["content"]["ttn"] == "20451234567890"
    unknown = get(sim, token, "/orders/1").json()
    assert unknown["errors"]["code"] == 1019
    graph = get(sim, token, "/status-availables/search", parent_id=26).json()
    assert {e["child_id"] for e in graph["content"]["statusAvailables"]} >= {2, 47, 42}


def test_mass_update_guard_errors_and_feed(sim):
    token = login(sim)["content"]["access_token"]
    rz = sim.item("A-1")["rz_item_id"]
    feed = sim.item("FEED-1")["rz_item_id"]
    head = {"Authorization": f"Bearer {token}"}
    body = {"isIgnoreCheck": 0, "items": [
        {"item_rz_id": rz, "price": 2000}, {"item_rz_id": feed, "stock_quantity": 1},
        {"item_rz_id": 1, "stock_quantity": 1}, {"item_rz_id": rz, "stock_quantity": -1}]}
    resp = requests.put(sim.url + "/items/mass-update", json=body, headers=head,
                        timeout=5).json()
    assert resp["success"] is False
    assert resp["errors"][str(rz)]["reason"][0]["id"] == 3
    assert resp["errors"]["1"]["reason"][0]["id"] == 1
    assert sim.held == [(rz, 640, 2000)] and sim.item("A-1")["price"] == 640
    assert sim.item("FEED-1")["feed_overwrites"] is True
    forced = {"isIgnoreCheck": 1, "items": [{"item_rz_id": rz, "price": 2000}]}
    assert requests.put(sim.url + "/items/mass-update", json=forced, headers=head,
                        timeout=5).json() == {"success": True, "content": None}
    assert sim.item("A-1")["price"] == 2000


def test_faults_and_control_endpoints(sim):
    token = login(sim)["content"]["access_token"]
    requests.post(sim.url + "/_sandbox/faults", json={"kind": "status", "status": 503,
                                                       "path": "/goods/all"}, timeout=5)
    assert get(sim, token, "/goods/all").status_code == 503
    assert get(sim, token, "/goods/all").status_code == 200
    placed = requests.post(sim.url + "/_sandbox/orders",
                           json={"lines": [{"sku": "A-1", "quantity": 2}]}, timeout=5)
    assert placed.status_code == 201
    refused = requests.post(sim.url + "/_sandbox/orders",
                            json={"lines": [{"sku": "A-1", "quantity": 1}]}, timeout=5)
    assert refused.status_code == 409
    order_id = placed.json()["id"]
    cancelled = requests.post(f"{sim.url}/_sandbox/orders/{order_id}/cancel", json={},
                              timeout=5).json()
    assert cancelled["status"] == 45 and cancelled["status_group"] == 3
    raw = requests.post(sim.url + "/_sandbox/raw_orders",
                        json={"payload": {"id": 5, "purchases": "x"}}, timeout=5)
    assert raw.json() == {"id": 5}
    requests.post(sim.url + "/_sandbox/expire_tokens", timeout=5)
    assert get(sim, token, "/goods/all").json()["errors"]["code"] == 6001
